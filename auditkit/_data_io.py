"""Reading the data an audit names: a bundled dataset, a CSV/Parquet file, or a DataFrame."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import DataReadError


@dataclass(frozen=True)
class LoadedData:
    """A frame plus what is known about where it came from."""

    frame: pd.DataFrame
    name: str
    sha256: str
    files: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    positive_label: Any = None
    sensitive_features: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None


def read_data(data: Any) -> LoadedData:
    """Resolve ``data`` (bundled name, file path or DataFrame) to a :class:`LoadedData`."""
    if isinstance(data, pd.DataFrame):
        digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=True).values.tobytes())
        return LoadedData(frame=data.copy(), name="<DataFrame>", sha256=digest.hexdigest())
    text = str(data)
    path = Path(text)
    if path.suffix.lower() in {".csv", ".parquet", ".pq", ".gz", ".tsv"} or path.exists():
        return _read_file(path)
    from . import datasets

    bundled = datasets.load(text)  # raises DatasetNotFoundError with the list of names
    joined = "\n".join(f"{name} {sha}" for name, sha in sorted(bundled.source_files.items()))
    return LoadedData(
        frame=bundled.frame,
        name=bundled.name,
        sha256=hashlib.sha256(joined.encode()).hexdigest(),
        files=dict(bundled.source_files),
        target=bundled.target_name,
        positive_label=bundled.positive_label,
        sensitive_features=list(bundled.sensitive_features),
        feature_names=list(bundled.feature_names),
    )


def _read_file(path: Path) -> LoadedData:
    if not path.is_file():
        raise DataReadError(f"data file not found: {path}")
    raw = path.read_bytes()
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(io.BytesIO(raw))
        else:
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            compression = "gzip" if path.suffix.lower() == ".gz" else None
            frame = pd.read_csv(io.BytesIO(raw), sep=sep, compression=compression)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise DataReadError(f"could not read {path}: {type(exc).__name__}: {exc}") from None
    if frame.empty or frame.shape[1] < 2:
        raise DataReadError(
            f"{path} has {frame.shape[0]} rows and {frame.shape[1]} columns; "
            "an audit needs at least a target and one other column"
        )
    return LoadedData(frame=frame, name=path.name, sha256=hashlib.sha256(raw).hexdigest())
