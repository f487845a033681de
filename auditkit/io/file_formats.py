"""Formats of data files and how each is parsed from its bytes: CSV/TSV (optionally gzip-compressed), Parquet.

A file's format is decided by its content where the content is unambiguous (Parquet's
``PAR1``, gzip's ``1f 8b``), otherwise by its name. :func:`parse_bytes` parses a whole file
held in memory; :mod:`auditkit.io.data_files` streams the common cases and falls back to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from auditkit.exceptions import DataReadError
from auditkit.io.text_decoding import decode_text

READ_FORMATS = "CSV, TSV, Parquet and gzip-compressed CSV/TSV files"
PARQUET_SUFFIXES = (".parquet", ".pq")
TAB_SUFFIXES = (".tsv", ".tab")

# First bytes of formats that are not read, and what to call them in the message.
UNREAD_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or OpenDocument workbook, or a zipped file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"ARROW1", "an Arrow/Feather file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"%PDF", "a PDF document"),
    (b"Obj\x01", "an Avro file"),
    (b"\x80\x04\x95", "a Python pickle"),
    (b"\x80\x05\x95", "a Python pickle"),
)
# Names of formats that are not read although their content is text (or unrecognised binary).
UNREAD_SUFFIXES = (
    ".xlsx", ".xlsm", ".xls", ".ods", ".json", ".jsonl", ".ndjson", ".xml", ".html", ".htm", ".yaml", ".yml",
    ".feather", ".arrow", ".orc", ".avro", ".h5", ".hdf5", ".pkl", ".pickle", ".joblib", ".npy", ".npz",
    ".sav", ".dta", ".sas7bdat", ".rds", ".rdata", ".zip", ".bz2", ".xz", ".zst", ".7z", ".db", ".sqlite",
)


def refuse_encoding(encoding: str | None, what: str) -> None:
    """Refuse ``encoding=`` for data that is not a CSV/TSV file.

    Examples
    --------
    >>> refuse_encoding(None, "a DataFrame")
    >>> refuse_encoding("latin-1", "a DataFrame")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: encoding= applies to CSV/TSV files, not to a DataFrame; leave it out
    """
    if encoding is not None:
        raise DataReadError(f"encoding= applies to CSV/TSV files, not to {what}; leave it out")


def parse_bytes(raw: bytes, path: Path, encoding: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame in ``raw`` (a whole file's bytes) and how it was read: the format from the content, then the name.

    Examples
    --------
    >>> frame, how = parse_bytes(b"a,b\\n1,x\\n", Path("data.csv"), None)
    >>> frame.shape, how
    ((1, 2), {'format': 'csv', 'compression': None, 'encoding': 'UTF-8', 'encoding_source': 'default'})
    """
    if not raw:
        raise DataReadError(f"data file {path} is empty (0 bytes)")
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if raw.startswith(b"\x1f\x8b"):
        raw, compression = _gunzip(raw, path), "gzip"
        suffixes = suffixes[:-1] if suffixes[-1:] == [".gz"] else suffixes
    elif suffixes[-1:] == [".gz"]:
        raise DataReadError(f"could not read {path}: its name ends in .gz but it is not gzip-compressed")
    if raw.startswith(b"PAR1"):
        refuse_encoding(encoding, f"the Parquet file {path}")
        return _read_parquet(raw, path), {"format": "parquet", "compression": compression}
    refuse_unread_format(raw, path, suffixes[-1] if suffixes else "")
    text, how = decode_text(raw, str(path), encoding, binary_hint=f"; auditkit reads {READ_FORMATS}")
    sep = "\t" if suffixes[-1:] and suffixes[-1] in TAB_SUFFIXES else ","
    frame = _read_delimited(text, sep, path)
    return frame, {"format": "tsv" if sep == "\t" else "csv", "compression": compression, **how}


def _gunzip(raw: bytes, path: Path) -> bytes:
    import gzip
    import zlib

    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataReadError(f"could not read {path}: it starts like gzip but does not decompress ({exc})") from None


def refuse_unread_format(raw: bytes, path: Path, suffix: str) -> None:
    """Refuse content or names of formats that are not read, and a .parquet name on other content.

    Examples
    --------
    >>> refuse_unread_format(b"a,b\\n", Path("data.csv"), ".csv")
    >>> refuse_unread_format(b"PK\\x03\\x04...", Path("data.csv"), ".csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data.csv is a ZIP archive (an Excel .xlsx or OpenDocument workbook, ...
    """
    what = next((name for magic, name in UNREAD_MAGIC if raw.startswith(magic)), None)
    if what is None and suffix in UNREAD_SUFFIXES:
        what = f"a {suffix} file"
    if what is not None:
        raise DataReadError(
            f"{path} is {what}, which auditkit does not read; it reads {READ_FORMATS}: "
            "export the data as CSV or Parquet"
        )
    if suffix in PARQUET_SUFFIXES:
        raise DataReadError(
            f"could not read {path}: its name ends in {suffix} but it is not a Parquet file (it does not start "
            "with the 'PAR1' magic bytes); if it is a CSV file, name it .csv"
        )


def _read_parquet(raw: bytes, path: Path) -> pd.DataFrame:
    import io

    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise DataReadError(f"could not read {path}: not a valid Parquet file ({first_line(exc)})") from None
    refuse_parquet_columns(schema, path)
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001
        raise DataReadError(f"could not read {path}: {type(exc).__name__}: {first_line(exc)}") from None


def refuse_parquet_columns(schema: Any, path: Path) -> None:
    """Duplicate names and nested (list, struct, map) columns, told from the schema before reading.

    Examples
    --------
    >>> import pyarrow as pa
    >>> refuse_parquet_columns(pa.schema([("a", pa.int64()), ("b", pa.string())]), Path("data.parquet"))
    >>> refuse_parquet_columns(pa.schema([("a", pa.int64()), ("t", pa.list_(pa.string()))]), Path("data.parquet"))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data.parquet has nested columns, which cannot be audited: 't' (list); ...
    """
    import pyarrow as pa

    from auditkit.io.frame_checks import duplicate_names_message, nested_columns_message

    duplicates = duplicate_names_message(list(schema.names))
    if duplicates:
        raise DataReadError(f"{path} {duplicates}")
    nested = {f.name: _nested_kind(f.type) for f in schema if pa.types.is_nested(f.type)}
    if nested:
        raise DataReadError(f"{path} {nested_columns_message(nested)}")


def _nested_kind(arrow_type: Any) -> str:
    """``"list"``, ``"struct"``, ``"map"``... for an Arrow nested type (``ListType`` -> ``"list"``)."""
    name = type(arrow_type).__name__.removesuffix("Type")
    return {"LargeList": "list", "FixedSizeList": "list", "ListView": "list", "LargeListView": "list"}.get(
        name, name.lower())


def _read_delimited(text: str, sep: str, path: Path) -> pd.DataFrame:
    import io

    from auditkit.io.frame_checks import duplicate_names_message, header_names

    kind = "TSV" if sep == "\t" else "CSV"
    names = header_names(text, sep)
    if names is None:
        raise DataReadError(f"data file {path} has no header row and no data (only blank lines)")
    duplicates = duplicate_names_message(names)
    if duplicates:
        raise DataReadError(f"{path} {duplicates}")
    try:
        return pd.read_csv(io.StringIO(text), sep=sep)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise DataReadError(f"could not read {path} as {kind}: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name if it has none).

    Examples
    --------
    >>> first_line(ValueError("bad value\\nmore detail")), first_line(KeyError())
    ('bad value', 'KeyError')
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
