"""The documented train/test split of each bundled dataset.

Each bundled dataset's ``metadata.json`` records its split under ``"split"``: Adult's is the
one its authors made (``adult.data`` to train, ``adult.test`` to test); COMPAS and German Credit,
which ship without one, get a seeded one (``sklearn.model_selection.train_test_split`` of the row
numbers, a ``test_fraction`` of them held out, stratified by the target's positive label, with a
fixed ``seed``). The split never depends on an audit's settings, so a model trained on the
training part can always be audited on rows it has not seen. Every time the split is made its
held-out rows are checked against ``test_rows_sha256`` (the SHA-256 of their row numbers, written
in ascending order and separated by single spaces): the same seed gives the same rows, and a
library change that moved a row would be an error, never a silent change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditkit.exceptions import AuditkitError

PARTS = ("all", "train", "test")
"""The parts :func:`auditkit.datasets.load` returns (``split=``)."""


@dataclass(frozen=True, eq=False)
class DocumentedSplit:
    """A bundled dataset's documented split: the rows of each part, and how it was made.

    ``train`` and ``test`` hold row numbers of the whole dataset (its ``frame``'s index), in the
    order the split gives them (``train_test_split``'s shuffled order for a seeded split).

    Examples
    --------
    >>> from auditkit.datasets import documented_split
    >>> split = documented_split("german")
    >>> len(split.train), len(split.test), split.method["seed"]
    (700, 300, 0)
    >>> split.description
    'a stratified 30 % of the rows (300), held out by auditkit with seed 0; the other 700 rows are the training part'
    """

    dataset: str
    train: np.ndarray
    test: np.ndarray
    description: str
    method: dict[str, Any]

    def part(self, name: str) -> np.ndarray:
        """The row numbers of part ``"train"`` or ``"test"``."""
        return self.train if name == "train" else self.test


def make_split(name: str, frame: pd.DataFrame, meta: dict[str, Any]) -> DocumentedSplit:
    """The split ``meta["split"]`` documents, of the bundled dataset ``name`` parsed into ``frame``.

    Raises
    ------
    AuditkitError
        The split made differs from the rows ``metadata.json`` records.

    Examples
    --------
    >>> from auditkit.datasets._loaders import _parsed_frame, read_metadata
    >>> split = make_split("adult", _parsed_frame("adult"), read_metadata("adult"))
    >>> len(split.train), len(split.test), split.method["method"]
    (32561, 16281, 'file')
    """
    method = dict(meta["split"])
    train, test = _parts(frame, method, meta)
    _check_recorded(name, method, train, test)
    return DocumentedSplit(dataset=name, train=train, test=test, description=str(method["description"]),
                           method=method)


def _parts(frame: pd.DataFrame, method: dict[str, Any], meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the training and the held-out part."""
    if method["method"] == "file":
        is_test = (frame[method["column"]] == "test").to_numpy()
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    from sklearn.model_selection import train_test_split

    positive = (frame[method["stratify"]] == meta["positive_label"]).to_numpy(dtype=np.int8)
    train, test = train_test_split(np.arange(len(frame)), test_size=method["test_fraction"],
                                   random_state=method["seed"], stratify=positive)
    return train, test


def _check_recorded(name: str, method: dict[str, Any], train: np.ndarray, test: np.ndarray) -> None:
    digest = hashlib.sha256(" ".join(str(int(i)) for i in sorted(test)).encode()).hexdigest()
    if (len(train), len(test), digest) != (method["train_rows"], method["test_rows"], method["test_rows_sha256"]):
        raise AuditkitError(
            f"dataset {name!r}: its train/test split gave {len(train)}/{len(test)} rows with held-out rows "
            f"sha256 {digest}; metadata.json records {method['train_rows']}/{method['test_rows']} rows and "
            f"{method['test_rows_sha256']}. A library update changed how the split is made; please report it."
        )
