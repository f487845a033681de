"""What two audits of the same rows by different engines must share: every number (``numbers``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# What may differ between engines: when it ran, how the data was named, read and hashed.
ENGINE_KEYS = {"provenance": ("started", "finished", "data_sha256", "data_files", "data_format"),
               "dataset": ("name", "spec")}


def numbers(audit: dict) -> dict:
    """``audit`` (an ``audit.json`` document) without what may differ between engines (:data:`ENGINE_KEYS`)."""
    out = {k: v for k, v in audit.items() if k not in ENGINE_KEYS}
    for key, dropped in ENGINE_KEYS.items():
        out[key] = {k: v for k, v in audit[key].items() if k not in dropped}
    return out


def assert_same_numbers(got: dict, expected: dict, rel: float = 1e-12) -> None:
    """Every number of ``got`` equals ``expected``'s; floats within ``rel`` (sums of scores in another row order).

    Counts, texts and the structure must be identical; a float may differ in its last bits only, as a sum of the
    same values in another order does (the Dask engine sees the rows grouped by cell, not in the file's order).
    """
    assert _approximate(numbers(got), rel) == numbers(expected)


def _approximate(value, rel: float):
    import pytest

    if isinstance(value, dict):
        return {k: _approximate(v, rel) for k, v in value.items()}
    if isinstance(value, list):
        return [_approximate(v, rel) for v in value]
    if isinstance(value, float) and value == value:
        return pytest.approx(value, rel=rel, abs=1e-15)
    return value


def read_back(folder: Path) -> pd.DataFrame:
    """The rows of the Parquet partitions in ``folder`` as pandas reads them (its string dtype, as Dask's workers)."""
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))], ignore_index=True)


def parquet_parts(frame: pd.DataFrame, folder: Path, row_sets: Iterable[Any]) -> pd.DataFrame:
    """``frame`` written as ``part-{i}.parquet`` in ``folder``, one file per row set (positions or a slice; may be
    empty); returns the rows as read back (:func:`read_back`), what the in-memory engine is compared on."""
    for i, rows in enumerate(row_sets):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
    return read_back(folder)


def longest_array(value: Any, *, frames: bool = True, depth: int = 0) -> int:
    """The longest array in ``value`` (inside lists, tuples, dicts and dataclasses): what a Dask task returned.

    ``frames``: Series, frames and indexes count too (else only NumPy arrays: a partition read, or a table keyed
    by cells or levels, is left out).
    """
    if isinstance(value, np.ndarray) or (frames and isinstance(value, pd.Series | pd.DataFrame | pd.Index)):
        return len(value) if np.ndim(value) else 0
    if depth > 5 or isinstance(value, str | bytes | pd.Series | pd.DataFrame | pd.Index):
        return 0
    if isinstance(value, dict):
        value = list(value.values())
    elif hasattr(value, "__dataclass_fields__"):
        value = list(vars(value).values())
    if isinstance(value, list | tuple):
        return max((longest_array(v, frames=frames, depth=depth + 1) for v in value), default=0)
    return 0


def longest_computed(monkeypatch: Any) -> list[int]:
    """Spy on ``dask.compute``: the list it returns gets the longest array of each computation's results."""
    import dask

    received: list[int] = []
    compute = dask.compute

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = compute(*args, **kwargs)
        received.append(longest_array(out))
        return out

    monkeypatch.setattr(dask, "compute", spy)
    return received
