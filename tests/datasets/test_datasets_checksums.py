"""The bundled files decompress to the exact public originals."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "datasets"

# Digests of the original uncompressed files, as published with the sources.
EXPECTED = {
    ("adult", "adult.data"): "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    ("adult", "adult.test"): "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    ("compas", "compas-scores-two-years.csv"): (
        "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d"
    ),
    ("german", "german.data"): "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
}


def _metadata(name: str) -> dict:
    return json.loads((DATA / name / "metadata.json").read_text(encoding="utf-8"))


def _datasheet_sha(name: str, filename: str) -> str:
    text = (DATA / name / "DATASHEET.md").read_text(encoding="utf-8")
    match = re.search(rf"`{re.escape(filename)}`[^\n]*?\b([0-9a-f]{{64}})\b", text)
    assert match, f"no sha256 for {filename} in {name}/DATASHEET.md"
    return match.group(1)


@pytest.mark.parametrize(("name", "filename"), sorted(EXPECTED))
def test_decompressed_digest_matches_metadata_and_datasheet(name: str, filename: str) -> None:
    info = _metadata(name)["files"][filename]
    raw = gzip.decompress((DATA / name / info["bundled_as"]).read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == EXPECTED[(name, filename)]
    assert info["sha256"] == digest
    assert _datasheet_sha(name, filename) == digest


@pytest.mark.parametrize("name", ["adult", "compas", "german"])
def test_metadata_lists_every_bundled_gz(name: str) -> None:
    bundled = {p.name for p in (DATA / name).glob("*.gz")}
    listed = {info["bundled_as"] for info in _metadata(name)["files"].values()}
    assert bundled == listed


@pytest.mark.parametrize("name", ["adult", "compas", "german"])
def test_gzip_headers_are_deterministic(name: str) -> None:
    for path in (DATA / name).glob("*.gz"):
        header = path.read_bytes()[:10]
        assert header[4:8] == b"\0\0\0\0", f"{path.name} stores an mtime (use gzip -n)"
        assert header[3] & 0x08 == 0, f"{path.name} stores a file name (use gzip -n)"
