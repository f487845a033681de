"""Reading the data an audit names: a bundled dataset, a CSV/TSV/Parquet file, a DataFrame or a Dataset.

A file's format is decided by its content where the content is unambiguous (Parquet's
``PAR1``, gzip's ``1f 8b``), otherwise by its name. Text is decoded as UTF-8 unless a
byte-order mark or an explicit encoding says otherwise: a file that is not UTF-8 is refused
with a hint rather than decoded by a guess. Every problem is a one-line :class:`DataReadError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import pandas as pd

from auditkit.datasets import dataset_names
from auditkit.exceptions import DataReadError
from auditkit.io.frame_checks import check_frame, plain_dtypes
from auditkit.io.inputs import DATA_FORMS, is_dataframe, is_dataset, looks_like_path
from auditkit.io.text_decoding import decode_text
from auditkit.params import show

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


@dataclass(frozen=True)
class LoadedData:
    """A frame plus what is known about where it came from.

    ``read`` says how a file was read (format, compression, text encoding and where the
    encoding came from); it is recorded in the audit's provenance as ``data_format``.

    Examples
    --------
    >>> loaded = read_data("german")
    >>> loaded.name, loaded.target, loaded.positive_label, loaded.frame.shape, len(loaded.sha256)
    ('german', 'credit_risk', 'good', (1000, 23), 64)
    """

    frame: pd.DataFrame
    name: str
    sha256: str
    files: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    positive_label: Any = None
    sensitive_features: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None
    read: dict[str, Any] = field(default_factory=dict)


def read_data(data: Any, encoding: str | None = None) -> LoadedData:
    """Resolve ``data`` (bundled name, file path, DataFrame or Dataset) to a :class:`LoadedData`.

    Parameters
    ----------
    data : str, Path, DataFrame or auditkit.datasets.Dataset
        A CSV/TSV/Parquet file (optionally gzip-compressed), a bundled dataset name, a frame,
        or a Dataset (whose metadata supplies target, positive label, sensitive and feature
        columns).
    encoding : str, optional
        Text encoding of a CSV/TSV file (a Python codec name such as ``"latin-1"``). By
        default a byte-order mark decides, and without one the file must be UTF-8.

    Raises
    ------
    DataReadError
        A missing, unreadable or unsupported file, or a table auditkit cannot audit
        (duplicate or nested columns, no rows, a single column).

    Examples
    --------
    >>> import pandas as pd
    >>> loaded = read_data(pd.DataFrame({"x": [1, 2], "y": [0, 1]}))
    >>> loaded.name, loaded.frame.shape, loaded.read
    ('DataFrame', (2, 2), {'format': 'DataFrame'})
    >>> read_data("no_such_dataset")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DatasetNotFoundError: Unknown dataset 'no_such_dataset'.
    Available bundled datasets: adult, compas, german.
    """
    if encoding is not None and not isinstance(encoding, str):
        raise DataReadError(f"encoding must be a codec name such as 'latin-1'; got {encoding}")
    if is_dataframe(data):
        _refuse_encoding(encoding, "a DataFrame")
        check_frame(data, "the DataFrame")
        return LoadedData(frame=plain_dtypes(data.copy()), name="DataFrame", sha256=_frame_sha256(data),
                          read={"format": "DataFrame"})
    if is_dataset(data):
        return _read_dataset(data, encoding)
    if not isinstance(data, str | PathLike) or str(data) == "":
        raise DataReadError(f"data must be {DATA_FORMS}; got {show(data)} ({type(data).__name__})")
    text = fspath(data)
    if looks_like_path(text) and not _shadowed_bundled_name(data):
        return _read_file(Path(text), encoding)
    return _read_bundled(text, encoding)


def _shadowed_bundled_name(data: Any) -> bool:
    """A bundled name (``german``) that is also a folder here, e.g. the output folder ``--out german``.

    A folder is never data, so the name means the bundled dataset; a file of that name is read as a file.
    """
    return isinstance(data, str) and data in dataset_names() and Path(data).is_dir()


def _frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values and index (``pandas.util.hash_pandas_object``)."""
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).values.tobytes()).hexdigest()


def describe_read(read: dict[str, Any]) -> str:
    """How data was read, in words: ``"gzip-compressed CSV in UTF-16 LE, told by its byte-order mark"``.

    Examples
    --------
    >>> describe_read({"format": "csv", "compression": "gzip", "encoding": "utf-8", "encoding_source": "default"})
    'gzip-compressed CSV in utf-8'
    >>> describe_read(read_data("german").read)
    'bundled dataset'
    """
    what = str(read.get("format", "unknown format"))
    what = what.upper() if what in {"csv", "tsv"} else what.capitalize() if what == "parquet" else what
    if read.get("compression"):
        what = f"{read['compression']}-compressed {what}"
    if read.get("encoding"):
        source = {"byte-order mark": ", told by its byte-order mark", "given": ", as given"}
        what += f" in {read['encoding']}{source.get(read.get('encoding_source'), '')}"
    return what


def _read_bundled(name: str, encoding: str | None) -> LoadedData:
    from auditkit import datasets

    if name in datasets.list():
        _refuse_encoding(encoding, f"the bundled dataset '{name}'")
    bundled = datasets.load(name)  # raises DatasetNotFoundError with the list of names
    joined = "\n".join(f"{file} {sha}" for file, sha in sorted(bundled.source_files.items()))
    return LoadedData(
        frame=bundled.frame,
        name=bundled.name,
        sha256=hashlib.sha256(joined.encode()).hexdigest(),
        files=dict(bundled.source_files),
        target=bundled.target_name,
        positive_label=bundled.positive_label,
        sensitive_features=list(bundled.sensitive_features),
        feature_names=list(bundled.feature_names),
        read={"format": "bundled dataset"},
    )


def _read_dataset(dataset: Any, encoding: str | None) -> LoadedData:
    """A :class:`auditkit.datasets.Dataset`: its frame (hashed as audited) and its metadata."""
    what = f"the dataset '{dataset.name}'"
    _refuse_encoding(encoding, what)
    check_frame(dataset.frame, what)
    return LoadedData(
        frame=plain_dtypes(dataset.frame.copy()),
        name=str(dataset.name),
        sha256=_frame_sha256(dataset.frame),
        files=dict(dataset.source_files or {}),
        target=dataset.target_name,
        positive_label=dataset.positive_label,
        sensitive_features=list(dataset.sensitive_features),
        feature_names=list(dataset.feature_names),
        read={"format": "Dataset"},
    )


def _refuse_encoding(encoding: str | None, what: str) -> None:
    if encoding is not None:
        raise DataReadError(f"encoding= applies to CSV/TSV files, not to {what}; leave it out")


def _read_file(path: Path, encoding: str | None) -> LoadedData:
    raw = _file_bytes(path)
    frame, how = _parse(raw, path, encoding)
    check_frame(frame, str(path))
    return LoadedData(frame=plain_dtypes(frame), name=path.name, sha256=hashlib.sha256(raw).hexdigest(), read=how)


def _file_bytes(path: Path) -> bytes:
    try:
        return _read_bytes(path)
    except OSError as exc:  # e.g. a name too long for the file system
        raise DataReadError(f"cannot read data file {show(str(path))}: {exc.strerror or exc}") from None


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise DataReadError(f"data path {path} is a directory; pass one of its files ({READ_FORMATS} are read)")
    if not path.exists():
        raise DataReadError(f"data file not found: {path}")
    if not path.is_file():
        raise DataReadError(f"data path {path} is not a regular file")
    try:
        return path.read_bytes()
    except PermissionError:
        raise DataReadError(f"cannot read data file {path}: permission denied") from None
    except OSError as exc:
        raise DataReadError(f"cannot read data file {path}: {exc.strerror or exc}") from None


def _parse(raw: bytes, path: Path, encoding: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame in ``raw`` and how it was read; the format comes from the content, then the name."""
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
        _refuse_encoding(encoding, f"the Parquet file {path}")
        return _read_parquet(raw, path), {"format": "parquet", "compression": compression}
    _refuse_unread_format(raw, path, suffixes[-1] if suffixes else "")
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


def _refuse_unread_format(raw: bytes, path: Path, suffix: str) -> None:
    """Refuse content or names of formats that are not read, and a .parquet name on other content."""
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
        raise DataReadError(f"could not read {path}: not a valid Parquet file ({_first_line(exc)})") from None
    _refuse_parquet_columns(schema, path)
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001
        raise DataReadError(f"could not read {path}: {type(exc).__name__}: {_first_line(exc)}") from None


def _refuse_parquet_columns(schema: Any, path: Path) -> None:
    """Duplicate names and nested (list, struct, map) columns, told from the schema before reading."""
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
        raise DataReadError(f"could not read {path} as {kind}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
