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

import numpy as np
import pandas as pd

from auditkit.datasets import dataset_names
from auditkit.exceptions import DataReadError
from auditkit.io.data_files import read_file
from auditkit.io.file_formats import refuse_encoding
from auditkit.io.frame_checks import check_frame, plain_dtypes
from auditkit.io.inputs import DATA_FORMS, is_dataframe, is_dataset, looks_like_path
from auditkit.params import show


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
    row_weights: np.ndarray | None = None  # rows of the data each row of frame stands for (aggregated data); None: 1


def read_data(data: Any, encoding: str | None = None, columns: list[str] | None = None) -> LoadedData:
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
    columns : list of str, optional
        The columns the audit uses. A Parquet file that has every one of them is read with
        only those (``read["columns_read"]`` lists them); the hash still covers the whole
        file. Other data is read whole.

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
        return _read_file(Path(text), encoding, columns)
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
    refuse_encoding(encoding, what)


def _read_file(path: Path, encoding: str | None, columns: list[str] | None) -> LoadedData:
    frame, sha256, how = read_file(path, encoding, columns)
    check_frame(frame, str(path))
    return LoadedData(frame=plain_dtypes(frame), name=path.name, sha256=sha256, read=how)
