"""Which rows an audit audits, and which the reference model trains on.

The ``split`` setting picks the pool of rows:

* ``"test"``: held-out rows. For a bundled dataset named by ``data`` (``"adult"``), its documented
  held-out split (:func:`auditkit.datasets.documented_split`): the same rows for a model given by the
  user and for the reference model, which trains on the dataset's training part. For other data, only
  the reference model can be audited on held-out rows: auditkit splits the data (``test_size``, ``seed``,
  stratified by the target) and trains it on the rest.
* ``"all"``: every row (a given model or existing decisions only: the reference model is never audited
  on the rows it was trained on).

By default (``split=None``) an audit of a model (given or reference) on a bundled dataset audits its
held-out split, and an audit of existing decisions (``predictions``) or of a given model on other
data audits every row. Then ``sample=N`` audits N rows of the pool, drawn with the audit's seed (all
of them when the pool has N or fewer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditkit.datasets import documented_split
from auditkit.exceptions import InputError

if TYPE_CHECKING:
    from auditkit.datasets._splits import DocumentedSplit
    from auditkit.io.data import LoadedData
    from auditkit.spec import AuditSpec

BUNDLED_TEST_SIZE = 0.3  # AuditSpec's default test_size: any other value asks for a split a bundled dataset has


@dataclass(frozen=True)
class AuditRows:
    """The rows an audit audits (``audited``) and the reference model trains on (``train``), as row numbers.

    ``record`` is what ``audit.json`` says about them (``provenance.split``): the ``split`` in effect;
    ``made_by`` (``"dataset"``: the bundled dataset's documented split, ``"auditkit"``: auditkit's
    seeded split of data without one, None: every row); ``description`` in words; ``method`` (how the
    held-out rows were chosen: seed, fraction, stratification) or None; ``rows`` in the pool before any
    ``sample``; ``sample``; ``rows_audited``; and ``rows_in_training_part``: audited rows that are in the
    reference model's training rows (always 0) or in the bundled dataset's documented training part, or
    None when that cannot be known (a given model on other data: a model file records neither its training
    rows nor a hash of them).

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> from auditkit.io.data import read_data
    >>> loaded = read_data("german")
    >>> rows = choose_rows(AuditSpec(data="german", sample=200), loaded, "credit_risk", ("bad", "good"), "reference")
    >>> len(rows.audited), len(rows.train), rows.record["rows"], rows.record["rows_in_training_part"]
    (200, 700, 300, 0)
    """

    audited: np.ndarray
    train: np.ndarray | None
    record: dict[str, Any]


def choose_rows(spec: AuditSpec, loaded: LoadedData, target: str, labels: tuple[Any, ...], mode: str) -> AuditRows:
    """The rows an audit of ``mode`` (``"reference"``, ``"model"`` or ``"predictions"``) audits (module docstring).

    Raises
    ------
    InputError
        ``split="test"`` for a given model or decisions on data without a documented split, or a
        ``test_size`` other than the default for the reference model on a bundled dataset.

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> from auditkit.io.data import read_data
    >>> spec = AuditSpec(data="compas", predictions="compas_high_risk", sample=100)
    >>> rows = choose_rows(spec, read_data("compas"), "two_year_recid", (0, 1), "predictions")
    >>> rows.record["split"], rows.record["rows"], len(rows.audited), rows.train is None
    ('all', 7214, 100, True)
    """
    documented = _documented(loaded)
    split = spec.split or ("test" if mode == "reference" or (mode == "model" and documented) else "all")
    _check(spec, split, mode, loaded, documented)
    frame = loaded.frame
    train = method = made_by = None
    if split == "all":
        pool, description = np.arange(len(frame)), "every row"
    elif documented is not None:
        pool, made_by, method = documented.test, "dataset", _method(documented)
        train = documented.train if mode == "reference" else None
        description = f"{loaded.name}'s documented held-out split: {documented.description}"
    else:
        train, pool = _seeded_split(spec, frame[target], labels)
        made_by, method = "auditkit", {"method": "seeded", "seed": spec.seed, "test_fraction": spec.test_size,
                                       "stratify": target if _strata(frame[target], spec.task, labels) is not None
                                       else None}
        description = (f"the rows auditkit held out from the reference model's training: {spec.test_size:.0%} "
                       f"of the data ({len(pool):,} rows), seed {spec.seed}")
    audited = _sample(pool, spec.sample, spec.seed)
    in_training = _rows_in_training_part(audited, train, documented)
    return AuditRows(audited=audited, train=train, record={
        "split": split, "made_by": made_by, "description": description, "method": method, "rows": len(pool),
        "sample": spec.sample, "rows_audited": len(audited), "rows_in_training_part": in_training})


def _documented(loaded: LoadedData) -> DocumentedSplit | None:
    """The documented split of a bundled dataset named by ``data``; None for other data (files, frames, Datasets)."""
    if loaded.read.get("format") != "bundled dataset":
        return None
    split = documented_split(loaded.name)
    if not loaded.frame.index.equals(pd.RangeIndex(len(loaded.frame))):  # row numbers are the frame's labels
        raise RuntimeError(f"the bundled dataset {loaded.name} was read with another index")
    return split


def _check(spec: AuditSpec, split: str, mode: str, loaded: LoadedData, documented: DocumentedSplit | None) -> None:
    if split == "test" and mode != "reference" and documented is None:
        what = "a given model" if mode == "model" else "existing decisions"
        raise InputError(f"split='test' audits a bundled dataset's held-out rows; {loaded.name} has no documented "
                         f"split, so an audit of {what} audits every row: leave split= out, or pass only the "
                         "held-out rows as data")
    if mode == "reference" and documented is not None and spec.test_size != BUNDLED_TEST_SIZE:
        raise InputError(f"test_size applies when auditkit splits the data itself; the bundled dataset "
                         f"{loaded.name} has a documented held-out split ({len(documented.test):,} rows, see its "
                         f"datasheet) that the reference model is audited on: leave test_size out")


def _method(documented: DocumentedSplit) -> dict[str, Any]:
    return {k: v for k, v in documented.method.items() if k != "description"}


def _seeded_split(spec: AuditSpec, target: pd.Series, labels: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
    """auditkit's split of data without a documented one: ``(training rows, held-out rows)``."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(target)), test_size=spec.test_size, random_state=spec.seed,
                                   stratify=_strata(target, spec.task, labels))
    return train, test


def _strata(values: pd.Series, task: str, labels: tuple[Any, ...]) -> np.ndarray | None:
    """Labels to stratify the reference split on (None for regression or classes too rare to split)."""
    if task == "regression":
        return None
    if task == "binary":
        return (values == labels[1]).to_numpy(dtype=np.int8)
    as_text = values.astype(str)
    return as_text.to_numpy() if as_text.value_counts().min() >= 2 else None


def _sample(pool: np.ndarray, sample: int | None, seed: int) -> np.ndarray:
    """``sample`` rows of ``pool`` drawn with ``seed``, in row order (as ``DataFrame.sample``); all when fewer."""
    if sample is None or sample >= len(pool):
        return pool
    chosen = np.random.RandomState(seed).choice(len(pool), size=int(sample), replace=False)
    return np.sort(pool[chosen])


def _rows_in_training_part(audited: np.ndarray, train: np.ndarray | None,
                           documented: DocumentedSplit | None) -> int | None:
    if train is not None:
        overlap = int(np.isin(audited, train).sum())
        if overlap:  # by construction never: the reference model is audited on held-out rows only
            raise RuntimeError(f"{overlap} audited rows are among the reference model's training rows")
        return 0
    if documented is not None:
        return int(np.isin(audited, documented.train).sum())
    return None


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[rows]``; when ``rows`` are every row in order, the frame itself (no copy of its data).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 2, 3]})
    >>> take_rows(frame, np.array([2, 0]))["a"].tolist(), take_rows(frame, np.arange(3))["a"].tolist()
    ([3, 1], [1, 2, 3])
    """
    rows = np.asarray(rows)
    if len(rows) == len(frame) and bool((rows == np.arange(len(frame))).all()):
        return frame.copy(deep=False)
    return frame.iloc[rows]
