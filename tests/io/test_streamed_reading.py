"""Fast, lean reading: files stream through SHA-256 into the parser; Parquet reads only the columns used.

The whole-file read (``parse_bytes``: the bytes, the text and a StringIO of it in memory) is
the reference: a streamed read gives the same frame, the same hash and, for a bad file, the
same message.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditkit import AuditSpec
from auditkit.exceptions import DataReadError
from auditkit.io import data_files
from auditkit.io.data import read_data
from auditkit.io.file_formats import parse_bytes
from auditkit.io.frame_checks import plain_dtypes
from auditkit.io.projection import columns_used
from auditkit.result import to_jsonable

HEAD = data_files.HEAD_BYTES


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "sex": rng.choice(["Female", "Male", "Non-binary"], n),
        "note": rng.choice(['plain', 'with, comma', 'with "quote"', "two\nlines", "café", ""], n),
        "score": rng.normal(size=n).round(4),
        "label": rng.integers(0, 2, n),
    })


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


CSV = _table(5000).to_csv(index=False).encode()
# (file name, bytes, encoding=) of well-formed files, several larger than the head and the read chunk.
WELL_FORMED = {
    "utf8": ("data.csv", CSV, None),
    "crlf": ("data.csv", _table(3000).to_csv(index=False, lineterminator="\r\n").encode(), None),
    "big": ("data.csv", _table(60_000).to_csv(index=False).encode(), None),
    "gzip": ("data.csv.gz", gzip.compress(_table(40_000).to_csv(index=False).encode()), None),
    "tsv": ("data.tsv", _table(2000).to_csv(index=False, sep="\t").encode(), None),
    "bom": ("data.csv", codecs.BOM_UTF8 + CSV, None),
    "bom_given_utf8": ("data.csv", codecs.BOM_UTF8 + CSV, "utf-8"),
    "latin1": ("data.csv", _table(3000).to_csv(index=False).encode("latin-1"), "latin-1"),
    "cp1252": ("data.csv", "a,b\n1,€ 5\n2,x\n".encode("cp1252"), "cp1252"),
    "blank_lines_first": ("data.csv", b"\n\n" + CSV, None),
    "no_final_newline": ("data.csv", CSV.rstrip(b"\n"), None),
}


@pytest.mark.parametrize("case", list(WELL_FORMED))
def test_streamed_read_gives_the_frame_and_hash_of_the_whole_file_read(case, tmp_path):
    name, content, encoding = WELL_FORMED[case]
    path = _write(tmp_path / name, content)
    loaded = read_data(path, encoding=encoding)
    frame, how = parse_bytes(content, path, encoding)
    pd.testing.assert_frame_equal(loaded.frame, plain_dtypes(frame))
    assert loaded.read == how
    assert loaded.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("case", [*WELL_FORMED, "parquet"])
def test_well_formed_files_are_never_held_whole_in_memory(case, tmp_path, monkeypatch):
    if case == "parquet":
        path, encoding = tmp_path / "data.parquet", None
        _table(3000).to_parquet(path)
    else:
        name, content, encoding = WELL_FORMED[case]
        path = _write(tmp_path / name, content)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()

    def whole(*args, **kwargs):
        raise AssertionError("the whole file was read into memory")

    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(data_files, "_read_whole", whole)
    assert read_data(path, encoding=encoding).sha256 == expected


def test_reading_a_csv_holds_no_copy_of_its_text(tmp_path):
    """Beyond the frame's own arrays, traced allocations stay below half the file.

    The whole-file read held the bytes, the decoded text and a StringIO of it: about seven times the file.
    """
    path = tmp_path / "data.csv"
    _table(200_000).drop(columns="note").to_csv(path, index=False)
    tracemalloc.start()
    try:
        frame = read_data(path).frame
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    numeric = frame.select_dtypes("number").memory_usage(index=False).sum()
    assert peak - numeric < 0.5 * path.stat().st_size


def _late(content: bytes) -> bytes:
    """``content`` after more than the head of good rows, so only the streaming read reaches it."""
    return CSV + _table(HEAD // 20).to_csv(index=False, header=False).encode() + content


# Files whose problem shows only after the head: the streamed read must end in the whole-file read's message.
LATE_PROBLEMS = {
    "invalid_utf8": ("data.csv", _late(b"40,Male,caf\xe9,0.1,1\n"), None),
    "nul_byte": ("data.csv", _late(b"40,Male,x\x00y,0.1,1\n"), None),
    "ragged_row": ("data.csv", _late(b"40,Male,x,0.1,1,extra,fields\n"), None),
    "cp1252_undefined_byte": ("data.csv", _late(b"40,Male,\x81,0.1,1\n"), "cp1252"),
    "truncated_gzip": ("data.csv.gz", gzip.compress(_late(b""))[:-200], None),
    "corrupt_gzip_crc": ("data.csv.gz", (lambda z: z[:-8] + bytes(4) + z[-4:])(gzip.compress(_late(b""))), None),
    "gzip_then_garbage": ("data.csv.gz", gzip.compress(CSV) + b"not gzip", None),
    "duplicate_header": ("data.csv", b"a,b,a\n" + CSV, None),
    "only_blank_lines": ("data.csv", b"\n\n\n", None),
}


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    _table(1000).to_parquet(buffer)
    return buffer.getvalue()


PARQUET = _parquet_bytes()
LATE_PROBLEMS |= {
    "truncated_parquet": ("data.parquet", PARQUET[:-100], None),
    "corrupt_parquet_pages": ("data.parquet", PARQUET[:200] + bytes(300) + PARQUET[500:], None),
}


@pytest.mark.parametrize("case", list(LATE_PROBLEMS))
def test_problems_met_while_streaming_get_the_whole_file_reads_message(case, tmp_path):
    name, content, encoding = LATE_PROBLEMS[case]
    path = _write(tmp_path / name, content)
    with pytest.raises(DataReadError) as expected:
        parse_bytes(content, path, encoding)
    with pytest.raises(DataReadError) as got:
        read_data(path, encoding=encoding)
    assert str(got.value) == str(expected.value)
    assert "\n" not in str(got.value)


def test_parquet_reads_only_the_columns_asked_for_and_hashes_the_whole_file(tmp_path):
    path = tmp_path / "data.parquet"
    _table(500).to_parquet(path, index=False)
    loaded = read_data(path, columns=["label", "age", "sex"])
    assert loaded.frame.columns.tolist() == ["age", "sex", "label"]  # the file's order
    assert loaded.read == {"format": "parquet", "compression": None, "columns_read": ["age", "sex", "label"]}
    assert loaded.sha256 == read_data(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    pd.testing.assert_frame_equal(loaded.frame, read_data(path).frame[["age", "sex", "label"]])


@pytest.mark.parametrize("columns", [["age", "no_such_column"], ["age", "sex", "note", "score", "label"], None])
def test_parquet_is_read_whole_unless_every_column_asked_for_is_in_it(columns, tmp_path):
    path = tmp_path / "data.parquet"
    _table(50).to_parquet(path, index=False)
    loaded = read_data(path, columns=columns)
    assert loaded.frame.shape[1] == 5 and "columns_read" not in loaded.read


def test_csv_ignores_columns():
    assert "columns_read" not in read_data("german", columns=["age"]).read


DECISIONS = {"data": "data.parquet", "target": "label", "sensitive": ["sex"], "predictions": "decision"}
REFERENCE = {"data": "data.parquet", "target": "label", "sensitive": ["sex"], "features": ["age", "score"]}


@pytest.mark.parametrize(("settings", "expected"), [
    ({**DECISIONS, "steps": ["performance", "fairness"]}, ["label", "sex", "decision"]),
    ({**DECISIONS, "steps": ["fairness", "shap"], "scores": "score"}, ["label", "sex", "decision", "score"]),
    ({**DECISIONS, "steps": ["data_bias", "fairness"], "step_options": {"data_bias": {"columns": ["note"]}}},
     ["label", "sex", "decision", "note"]),
    ({**DECISIONS, "steps": ["data_bias", "fairness"]}, None),  # data_bias checks every column for proxies
    ({**DECISIONS, "steps": ["data_overview"]}, None),  # describes every column
    (DECISIONS, None),  # the default steps include both
    ({**REFERENCE, "steps": ["fairness", "shap", "lime"]}, ["label", "sex", "age", "score"]),
    ({**REFERENCE, "steps": ["fairness"], "features": None}, None),  # the model's inputs are not named
    ({**REFERENCE, "steps": ["fairness"], "target": None}, None),
])
def test_columns_used_names_what_the_steps_read(settings, expected):
    assert columns_used(AuditSpec(**settings)) == expected


def test_an_audit_of_a_parquet_file_reads_only_its_columns_and_gets_the_same_numbers(tmp_path):
    import auditkit

    frame = _table(3000).assign(decision=lambda f: (f["score"] > 0).astype(int), unused=1.5)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=False)
    settings = {"target": "label", "sensitive": ["sex"], "predictions": "decision", "scores": "score",
                "steps": ["performance", "fairness"], "seed": 0, "progress": False}
    projected = auditkit.audit(data=str(path), **settings)
    whole = auditkit.audit(data=frame, **settings)
    assert projected.provenance["data_format"]["columns_read"] == ["sex", "score", "label", "decision"]
    assert projected.provenance["data_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    for step in ("performance", "fairness"):
        assert to_jsonable(projected.step(step).payload) == to_jsonable(whole.step(step).payload)
    assert {k: v for k, v in projected.dataset.items() if k != "name"} == {
        k: v for k, v in whole.dataset.items() if k != "name"} | {"spec": projected.dataset["spec"]}
