"""Reading data: formats told by content, encodings never guessed, and the tables auditkit refuses.

Every refusal is one :class:`DataReadError` line from Python and exit status 2 with the same
line (and no traceback) from the CLI.
"""

from __future__ import annotations

import bz2
import codecs
import decimal
import gzip
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditkit import AuditSpec, audit, cli
from auditkit.context import build_context
from auditkit.exceptions import DataReadError, InputError
from auditkit.io.data import describe_read, read_data
from auditkit.io.frame_checks import plain_dtypes

SMALL = pd.DataFrame({"x": [1.5, 2.0, 3.25, 4.0], "s": ["Müller", "Straße", "Müller", "Straße"], "y": [0, 1, 0, 1]})
CSV_TEXT = SMALL.to_csv(index=False)
FORMATS = "CSV, TSV, Parquet and gzip-compressed CSV/TSV files"
UNREAD = "which auditkit does not read; it reads " + FORMATS + ": export the data as CSV or Parquet"
ZIP = "a ZIP archive (an Excel .xlsx or OpenDocument workbook, or a zipped file)"
ROWS = "\n".join(f"{x},{s},{y}" for x, s, y in SMALL.itertuples(index=False))


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")


def _parquet(table: pa.Table):
    return lambda path: pq.write_table(table, path)


def _text(text: str, encoding: str = "utf-8"):
    return lambda path: path.write_bytes(text.encode(encoding))


def _bytes(raw: bytes):
    return lambda path: path.write_bytes(raw)


DUPLICATE_TABLE = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array(["a", "b"]), pa.array([0, 1]),
                                        pa.array(["a", "b"])], names=["x", "s", "y", "s"])
NESTED_TABLE = pa.table({"x": [1.0, 2.0], "s": ["a", "b"], "y": [0, 1], "tags": [[1, 2], [3]],
                         "meta": [{"k": 1}, {"k": 2}],
                         "pairs": pa.array([[("a", 1)], [("b", 2)]], type=pa.map_(pa.string(), pa.int64()))})

# case: (file name, how to write it, the one-line message with {path})
BAD_FILES = {
    "directory": ("data.csv", lambda p: p.mkdir(),
                  f"data path {{path}} is a directory; pass one of its files ({FORMATS} are read)"),
    "xlsx": ("data.xlsx", _zip, f"{{path}} is {ZIP}, {UNREAD}"),
    "xlsx named .csv": ("data.csv", _zip, f"{{path}} is {ZIP}, {UNREAD}"),
    "xls": ("data.xls", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)),
            f"{{path}} is an Excel .xls workbook, {UNREAD}"),
    "bzip2": ("data.csv.bz2", _bytes(bz2.compress(CSV_TEXT.encode())), f"{{path}} is bzip2-compressed, {UNREAD}"),
    "feather": ("data.feather", lambda p: SMALL.to_feather(p), f"{{path}} is an Arrow/Feather file, {UNREAD}"),
    "json": ("data.json", lambda p: SMALL.to_json(p), f"{{path}} is a .json file, {UNREAD}"),
    "binary without a name": ("data", _bytes(bytes(range(256)) * 4),
                              f"{{path}} is binary, not UTF-8 text; auditkit reads {FORMATS}"),
    "empty": ("data.csv", _bytes(b""), "data file {path} is empty (0 bytes)"),
    "blank lines": ("data.csv", _text("\n  \n\n"), "data file {path} has no header row and no data (only blank lines)"),
    "header only": ("data.csv", _text("x,s,y\n"), "{path} has no data rows, only the columns 'x', 's', 'y'"),
    "one column": ("data.csv", _text("y\n0\n1\n"),
                   "{path} has only one column ('y'); an audit needs a target and at least one other column"),
    "semicolons": ("data.csv", _text("x;s;y\n1;a;0\n"),
                   "{path} has only one column ('x;s;y'); an audit needs a target and at least one other column; "
                   "the name holds a semicolon, but .csv files are read comma-separated "
                   "(and .tsv files tab-separated)"),
    "CSV named .parquet": ("data.parquet", _text(CSV_TEXT),
                           "could not read {path}: its name ends in .parquet but it is not a Parquet file (it does not "
                           "start with the 'PAR1' magic bytes); if it is a CSV file, name it .csv"),
    "text named .gz": ("data.csv.gz", _text(CSV_TEXT),
                       "could not read {path}: its name ends in .gz but it is not gzip-compressed"),
    "latin-1 without an encoding": ("data.csv", _text(CSV_TEXT, "latin-1"),
                                   "{path} is not UTF-8 text (byte 0xfc on line 2); pass its encoding, e.g. encoding="
                                   "'latin-1' (or 'cp1252' for files saved by Windows programs)"),
    "UTF-16 without a byte-order mark": ("data.csv", _text(CSV_TEXT, "utf-16-le"),
                                         "{path} looks like UTF-16 text without a byte-order mark (every other byte "
                                         "is 0); pass encoding='utf-16-le'"),
    "duplicate CSV columns": ("data.csv", _text("x,s,y,s\n1,a,0,a\n2,b,1,b\n"),
                              "{path} has duplicate column names: 's' (columns 2 and 4); "
                              "rename them so that each name occurs once"),
    "duplicate quoted CSV columns": ("data.tsv", _text('a\t"a"\tb\ta\tb\ty\n1\t2\t3\t4\t5\t0\n'),
                                     "{path} has duplicate column names: 'a' (columns 1, 2 and 4); 'b' (columns 3 "
                                     "and 5); rename them so that each name occurs once"),
    "duplicate parquet columns": ("data.parquet", _parquet(DUPLICATE_TABLE),
                                  "{path} has duplicate column names: 's' (columns 2 and 4); "
                                  "rename them so that each name occurs once"),
    "nested parquet columns": ("data.parquet", _parquet(NESTED_TABLE),
                               "{path} has nested columns, which cannot be audited: 'tags' (list), "
                               "'meta' (struct), 'pairs' (map); flatten them into plain "
                               "columns or drop them before the audit"),
}
# The parse error's own words come from pyarrow/zlib; the start of the message is ours.
BAD_FILE_PREFIXES = {
    "truncated parquet": ("data.parquet", lambda p: SMALL.to_parquet(p) or p.write_bytes(p.read_bytes()[:60]),
                          "could not read {path}: not a valid Parquet file ("),
    "broken gzip": ("data.csv.gz", _bytes(b"\x1f\x8b\x08\x00broken"),
                    "could not read {path}: it starts like gzip but does not decompress ("),
}


def _write(tmp_path: Path, case: tuple) -> tuple[Path, str]:
    name, write, message = case
    path = tmp_path / name
    write(path)
    return path, message.format(path=path)


def _cli_error(path: Path, tmp_path: Path, capsys, *extra: str) -> tuple[int, str]:
    code = cli.main(["audit", "-q", "--data", str(path), "--target", "y", "--sensitive", "s", *extra,
                     "--no-report", "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_one_data_read_error(case, tmp_path):
    path, message = _write(tmp_path, BAD_FILES[case])
    with pytest.raises(DataReadError) as err:
        read_data(path)
    assert str(err.value) == message
    assert isinstance(err.value, InputError)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_exits_2_with_the_same_line(case, tmp_path, capsys):
    path, message = _write(tmp_path, BAD_FILES[case])
    assert _cli_error(path, tmp_path, capsys) == (2, f"auditkit: error: {cli.as_flags(message)}\n")


@pytest.mark.parametrize("case", sorted(BAD_FILE_PREFIXES))
def test_unparsable_file_is_one_line_naming_the_file(case, tmp_path, capsys):
    path, start = _write(tmp_path, BAD_FILE_PREFIXES[case])
    with pytest.raises(DataReadError, match="^" + re.escape(start)):
        read_data(path)
    code, err = _cli_error(path, tmp_path, capsys)
    assert code == 2 and err.startswith(f"auditkit: error: {start}") and err.count("\n") == 1


def test_unreadable_file_says_permission_denied(tmp_path, capsys, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text(CSV_TEXT)

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)  # tests run as root, so chmod would not stop them
    message = f"cannot read data file {path}: permission denied"
    with pytest.raises(DataReadError, match=f"^{message}$"):
        read_data(path)
    assert _cli_error(path, tmp_path, capsys) == (2, f"auditkit: error: {cli.as_flags(message)}\n")


def test_device_is_not_a_regular_file():
    with pytest.raises(DataReadError, match="^data path /dev/null is not a regular file$"):
        read_data("/dev/null")


def test_missing_path_with_a_name_is_a_missing_file_not_a_dataset(tmp_path):
    with pytest.raises(DataReadError, match="^data file not found: adult.csv$"):
        read_data("adult.csv")


def test_cli_error_has_no_traceback(tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-m", "auditkit.cli", "audit", "-q", "--data", str(folder),
                             "--target", "y", "--sensitive", "s", "--no-report", "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr == (f"auditkit: error: data path {folder} is a directory; "
                             f"pass one of its files ({FORMATS} are read)\n")


# --- files that are read, and how: the format from the content, the encoding never guessed ----------------

def _gzip_csv(path: Path) -> None:
    path.write_bytes(gzip.compress(CSV_TEXT.encode()))


READABLE = {
    "gzip without a name": ("data", _gzip_csv, {"format": "csv", "compression": "gzip"}),
    "gzip CSV": ("data.csv.gz", _gzip_csv, {"format": "csv", "compression": "gzip"}),
    "gzip TSV": ("data.tsv.gz", lambda p: p.write_bytes(gzip.compress(SMALL.to_csv(sep="\t", index=False).encode())),
                 {"format": "tsv", "compression": "gzip"}),
    "TSV": ("data.tsv", lambda p: SMALL.to_csv(p, sep="\t", index=False), {"format": "tsv", "compression": None}),
    "Parquet named .csv": ("data.csv", lambda p: SMALL.to_parquet(p), {"format": "parquet", "compression": None}),
    "Parquet named .pq": ("data.pq", lambda p: SMALL.to_parquet(p), {"format": "parquet", "compression": None}),
}


@pytest.mark.parametrize("case", sorted(READABLE))
def test_format_is_told_by_content(case, tmp_path):
    name, write, how = READABLE[case]
    path = tmp_path / name
    write(path)
    loaded = read_data(path)
    pd.testing.assert_frame_equal(loaded.frame, SMALL)
    assert {k: loaded.read[k] for k in how} == how
    assert loaded.read.get("encoding") in (None, "UTF-8")


BYTE_ORDER_MARKS = {
    "UTF-8": b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"),
    "UTF-16 LE": codecs.BOM_UTF16_LE + CSV_TEXT.encode("utf-16-le"),
    "UTF-16 BE": codecs.BOM_UTF16_BE + CSV_TEXT.encode("utf-16-be"),
    "UTF-32 LE": codecs.BOM_UTF32_LE + CSV_TEXT.encode("utf-32-le"),
}


@pytest.mark.parametrize("encoding", sorted(BYTE_ORDER_MARKS))
def test_byte_order_mark_decides_the_encoding_and_is_recorded(encoding, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(BYTE_ORDER_MARKS[encoding])
    loaded = read_data(path)
    pd.testing.assert_frame_equal(loaded.frame, SMALL)  # first column is 'x', not '\ufeffx'
    assert loaded.read == {"format": "csv", "compression": None, "encoding": encoding,
                           "encoding_source": "byte-order mark"}
    assert describe_read(loaded.read) == f"CSV in {encoding}, told by its byte-order mark"


@pytest.mark.parametrize(("written", "given"), [("latin-1", "latin-1"), ("cp1252", "cp1252"),
                                                ("utf-16", "utf-16"), ("utf-16-be", "utf-16-be"),
                                                ("utf-8-sig", "utf-8")])
def test_given_encoding_is_used_and_recorded(written, given, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(CSV_TEXT.encode(written))
    loaded = read_data(path, encoding=given)
    pd.testing.assert_frame_equal(loaded.frame, SMALL)
    assert loaded.read["encoding"] == given and loaded.read["encoding_source"] == "given"
    assert describe_read(loaded.read) == f"CSV in {given}, as given"


BAD_ENCODINGS = {
    "contradicts the mark": ("latin-1", "{path} starts with a UTF-16 LE byte-order mark, but the encoding given is "
                             "latin-1; leave out encoding= to read it as UTF-16 LE"),
    "unknown": ("latin-9x", "unknown encoding 'latin-9x'; give a codec name such as utf-8, latin-1, cp1252 or utf-16"),
    "not a text encoding": ("base64",
                            "'base64' is not a text encoding; give one such as utf-8, latin-1, cp1252 or utf-16"),
    "not a name": (5, "encoding must be a codec name such as 'latin-1'; got 5"),
}


@pytest.mark.parametrize("case", sorted(BAD_ENCODINGS))
def test_bad_encoding_is_one_line(case, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(BYTE_ORDER_MARKS["UTF-16 LE"])
    encoding, message = BAD_ENCODINGS[case]
    with pytest.raises(DataReadError) as err:
        read_data(path, encoding=encoding)
    assert str(err.value) == message.format(path=path)


def test_wrong_encoding_names_the_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(CSV_TEXT.encode("latin-1"))
    with pytest.raises(DataReadError, match=f"^{path} cannot be decoded as utf-8: byte 0xfc on line 2 is invalid; "
                                            "check encoding=$"):
        read_data(path, encoding="utf-8")


def test_encoding_applies_only_to_text_files(tmp_path):
    path = tmp_path / "data.parquet"
    SMALL.to_parquet(path)
    with pytest.raises(DataReadError, match=f"^encoding= applies to CSV/TSV files, not to the Parquet file {path}; "):
        read_data(path, encoding="latin-1")
    with pytest.raises(DataReadError, match="^encoding= applies to CSV/TSV files, not to a DataFrame; leave it out$"):
        read_data(SMALL, encoding="latin-1")
    with pytest.raises(DataReadError, match="^encoding= applies to CSV/TSV files, not to the bundled dataset 'adult'"):
        read_data("adult", encoding="latin-1")


def test_cli_encoding_reaches_the_audit_and_its_provenance(tmp_path, frame, capsys):
    path = tmp_path / "loans.csv"
    frame.assign(sex=frame["sex"].map({"female": "Frau", "male": "Männer"})).to_csv(path, index=False,
                                                                                     encoding="latin-1")
    args = ["--target", "approved", "--sensitive", "sex", "--predictions", "decision",
            "--steps", "data_overview,performance,fairness", "--no-report", "--out", str(tmp_path / "out")]
    assert cli.main(["audit", "-q", "--data", str(path), *args]) == 2
    assert "pass its encoding, e.g. --encoding latin-1" in capsys.readouterr().err
    assert cli.main(["audit", "-q", "--data", str(path), "--encoding", "latin-1", *args]) == 0
    doc = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert doc["provenance"]["data_format"] == {"format": "csv", "compression": None, "encoding": "latin-1",
                                                "encoding_source": "given"}
    assert sorted(row["group"]["sex"] for row in doc["fairness"]["by_group"]) == ["Frau", "Männer"]


def test_spec_from_args_passes_encoding():
    args = cli.build_parser().parse_args(["audit", "--data", "d.csv", "--encoding", "cp1252"])
    assert cli.spec_from_args(args).encoding == "cp1252"


# --- DataFrames are held to the same rules as files -------------------------------------------------------

BAD_FRAMES = {
    "duplicate columns": (pd.DataFrame([[1, "a", 0, "a"]], columns=["x", "s", "y", "s"]),
                          "the DataFrame has duplicate column names: 's' (columns 2 and 4); "
                          "rename them so that each name occurs once"),
    "list column": (SMALL.assign(tags=[[1], [2, 3], [], [4]]),
                    "the DataFrame has nested columns, which cannot be audited: 'tags' (list values); "
                    "flatten them into plain columns or drop them before the audit"),
    "dict and array columns": (SMALL.assign(meta=[{"k": 1}, None, {"k": 2}, None],
                                            emb=[np.zeros(2)] * 4),
                               "the DataFrame has nested columns, which cannot be audited: 'meta' (dict values), "
                               "'emb' (ndarray values); flatten them into plain columns or drop them before the audit"),
    "one column": (SMALL[["y"]], "the DataFrame has only one column ('y'); an audit needs a target and at least "
                                 "one other column"),
    "no rows": (SMALL.iloc[:0], "the DataFrame has no data rows, only the columns 'x', 's', 'y'"),
    "no columns": (pd.DataFrame(), "the DataFrame has no columns"),
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_unauditable_frame_is_one_line(case):
    bad, message = BAD_FRAMES[case]
    with pytest.raises(DataReadError) as err:
        read_data(bad)
    assert str(err.value) == message


# --- nullable and Decimal columns become the NumPy dtypes scikit-learn accepts ----------------------------

def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus missing values, in pandas' nullable dtypes (what parquet written by pandas returns)."""
    n = len(frame)
    out = frame.drop(columns=["score", "decision"])
    out["income"] = out["income"].astype("Float64")
    out.loc[::7, "income"] = pd.NA
    out["children"] = pd.array(np.arange(n) % 4, dtype="Int64")
    out.loc[::5, "children"] = pd.NA
    out["owns_home"] = pd.array(np.arange(n) % 3 == 0, dtype="boolean")
    out.loc[::6, "owns_home"] = pd.NA
    out["region"] = out["region"].astype("string[pyarrow]")
    out.loc[::9, "region"] = pd.NA
    return out


def test_plain_dtypes_are_what_a_csv_read_gives(frame, tmp_path):
    nullable = _nullable(frame)
    nullable.to_csv(tmp_path / "same.csv", index=False)
    from_csv = pd.read_csv(tmp_path / "same.csv")
    plain = plain_dtypes(nullable)
    pd.testing.assert_frame_equal(plain, from_csv)
    complete = pd.DataFrame({"i": pd.array([1, 2], dtype="Int64"), "b": pd.array([True, False], dtype="boolean"),
                             "f": pd.array([0.5, 1.5], dtype="Float64")})
    assert plain_dtypes(complete).dtypes.astype(str).tolist() == ["int64", "bool", "float64"]


def test_decimal_parquet_columns_become_numbers(tmp_path):
    path = tmp_path / "data.parquet"
    table = pa.table({"amount": pa.array([decimal.Decimal("1.25"), None, decimal.Decimal("3.50")],
                                         type=pa.decimal128(5, 2)), "s": ["a", "b", "a"], "y": [0, 1, 0]})
    pq.write_table(table, path)
    amount = read_data(path).frame["amount"]
    assert amount.dtype == np.float64 and amount.isna().tolist() == [False, True, False]
    assert amount.dropna().tolist() == [1.25, 3.5]


def test_reference_audit_on_nullable_columns_matches_the_plain_frame(frame, tmp_path):
    from sklearn.metrics import accuracy_score, roc_auc_score

    from auditkit.steps import PerformanceStep

    nullable = _nullable(frame)
    nullable.to_parquet(tmp_path / "nullable.parquet")
    nullable.to_csv(tmp_path / "plain.csv", index=False)
    assert pd.read_parquet(tmp_path / "nullable.parquet")["children"].dtype == "Int64"  # the file keeps it
    spec = {"target": "approved", "sensitive": ["sex"]}
    result = audit(data=str(tmp_path / "nullable.parquet"), steps=["performance"], **spec)
    plain = build_context(AuditSpec(data=str(tmp_path / "plain.csv"), **spec))
    from_frame = build_context(AuditSpec(data=nullable, **spec))
    assert result.to_dict()["performance"] == PerformanceStep().run(plain).payload
    overall = result.to_dict()["performance"]["overall"]
    assert overall["n"] == 120
    assert overall["accuracy"] == pytest.approx(accuracy_score(plain.y_true, plain.y_pred))
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(plain.y_true, plain.y_score))
    assert result.provenance["data_format"] == {"format": "parquet", "compression": None}
    pd.testing.assert_frame_equal(from_frame.X, plain.X)
    assert plain.X["income"].isna().sum() > 0 and plain.X["children"].dtype == np.float64
    np.testing.assert_array_equal(from_frame.y_score, plain.y_score)


def test_a_bundled_name_that_is_also_a_folder_here_reads_the_bundled_data(tmp_path, monkeypatch):
    """`auditkit audit --data german --out german` creates ./german before reading data: it must not shadow the name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "german").mkdir()
    assert read_data("german").name == "german"
    assert cli.main(["audit", "--data", "german", "--out", "german", "--steps", "performance", "--no-report",
                     "--sample", "200", "-q"]) == 0
    assert (tmp_path / "german" / "audit.json").is_file()
