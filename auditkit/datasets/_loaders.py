"""Loading, verifying and parsing the bundled datasets.

Every bundled dataset lives in its own folder (``adult/``, ``compas/``,
``german/``) holding the gzip-compressed original files, a ``metadata.json``
and a ``DATASHEET.md``. The folder tree is looked up first inside the
installed package (``auditkit/_datasets``, where the wheel build puts it) and
then at the top level of a source checkout (``datasets/``).
"""

from __future__ import annotations

import builtins
import functools
import gzip
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.datasets._splits import PARTS, DocumentedSplit, make_split
from auditkit.exceptions import AuditkitError, ColumnNotFoundError, DatasetNotFoundError
from auditkit.params import Options, validate

_PACKAGE_DATA = Path(__file__).resolve().parents[1] / "_datasets"
_CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "datasets"

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]  # fmt: skip

PROPUBLICA_SCREENING_WINDOW_DAYS = 30


@dataclass(frozen=True, eq=False)
class Dataset:
    """A tabular dataset ready for an audit (in the spirit of scikit-learn's ``Bunch``).

    Instances are returned by :func:`auditkit.datasets.load` and
    :func:`auditkit.datasets.make_biased`; see :func:`load` for the meaning of
    every field. Equality is identity: data frames do not compare to a single
    truth value.
    """

    name: str
    frame: pd.DataFrame
    data: pd.DataFrame
    target: pd.Series
    target_name: str
    positive_label: Any
    sensitive_features: builtins.list[str]
    feature_names: builtins.list[str]
    datasheet: Path | None
    description: str
    source_files: dict[str, str]
    ground_truth: dict[str, Any] | None = None
    truth: pd.DataFrame | None = None
    split: str = "all"


def data_root() -> Path:
    """Return the folder that holds the bundled datasets.

    Returns
    -------
    pathlib.Path
        ``auditkit/_datasets`` when it exists (installed wheel), else the
        ``datasets/`` folder of the source checkout.
    """
    return _PACKAGE_DATA if _PACKAGE_DATA.is_dir() else _CHECKOUT_DATA


def dataset_names() -> builtins.list[str]:
    """Return the sorted names of the bundled datasets.

    Returns
    -------
    list of str
        ``['adult', 'compas', 'german']``.
    """
    return sorted(_PARSERS)


def load(name: str, split: str = "all") -> Dataset:
    """Load a bundled dataset, verified against its recorded checksums.

    Parameters
    ----------
    name : str
        One of the names returned by :func:`auditkit.datasets.list`.
    split : {"all", "train", "test"}, default "all"
        Every row, or one part of the dataset's documented split (its ``metadata.json`` and
        datasheet say how it was made): train a model on ``"train"``, and an audit of
        ``data=name`` with that model audits ``"test"``, rows it has not seen. The rows keep
        their labels in the whole dataset.

    Returns
    -------
    Dataset
        A frozen record with the fields below. The data frames are fresh
        copies: changing them does not affect later calls.

        name : str
            The dataset name, as passed.
        frame : pandas.DataFrame
            Every column, including the target, derived columns and columns
            that are not features (weights, identifiers, provenance).
        data : pandas.DataFrame
            Only the feature columns, in the order of ``feature_names``.
        target : pandas.Series
            The target column (``frame[target_name]``).
        target_name : str
            Name of the target column.
        positive_label : object
            The target value counted as the positive class. It is the event
            being predicted, which is not always the favourable outcome
            (for ``compas`` it is re-arrest).
        sensitive_features : list of str
            Default sensitive (protected) attributes to audit; all are
            columns of ``frame``.
        feature_names : list of str
            Columns a model would normally be trained on. Sensitive attributes
            are included; see the datasheet for what was left out and why.
        datasheet : pathlib.Path or None
            Path of the dataset's ``DATASHEET.md``; ``None`` for synthetic data.
        description : str
            One-line description.
        source_files : dict of str to str
            Original (uncompressed) file name to its SHA-256 hex digest.
        ground_truth : dict or None
            The planted bias of synthetic data; ``None`` for bundled data.
        truth : pandas.DataFrame or None
            Row-level planted truth of synthetic data (same index as
            ``frame``, e.g. each row's label before label bias); ``None``
            for bundled data. Kept apart from ``frame``: an audit never
            sees it, as an auditor never would.
        split : str
            The part loaded: ``"all"``, ``"train"`` or ``"test"``.

    Raises
    ------
    auditkit.exceptions.DatasetNotFoundError
        If ``name`` is not a bundled dataset.
    auditkit.exceptions.InputError
        If ``split`` is not one of ``"all"``, ``"train"``, ``"test"``.
    auditkit.exceptions.AuditkitError
        If a bundled file is missing or its checksum does not match.

    Examples
    --------
    >>> from auditkit import datasets
    >>> adult = datasets.load("adult")
    >>> adult.frame.shape
    (48842, 16)
    >>> datasets.load("german", split="train").frame.shape
    (700, 23)
    """
    _check_name(name)
    validate("split", split, [Options(PARTS)])
    meta = read_metadata(name)
    frame = _parsed_frame(name)
    frame = (frame if split == "all" else frame.iloc[np.sort(documented_split(name).part(split))]).copy()
    return Dataset(
        name=name,
        frame=frame,
        data=frame[meta["feature_names"]].copy(),
        target=frame[meta["target"]].copy(),
        target_name=meta["target"],
        positive_label=meta["positive_label"],
        sensitive_features=builtins.list(meta["sensitive_features"]),
        feature_names=builtins.list(meta["feature_names"]),
        datasheet=data_root() / name / "DATASHEET.md",
        description=meta["description"],
        source_files={orig: info["sha256"] for orig, info in meta["files"].items()},
        split=split,
    )


@functools.cache
def documented_split(name: str) -> DocumentedSplit:
    """The documented train/test split of bundled dataset ``name`` (see ``"split"`` in its ``metadata.json``).

    Adult's is its two original files; COMPAS and German Credit get a seeded, stratified one. It
    does not depend on any audit setting; the held-out rows are checked against the digest
    ``metadata.json`` records.

    Examples
    --------
    >>> split = documented_split("compas")
    >>> len(split.train), len(split.test), split.method["seed"], split.method["test_fraction"]
    (5049, 2165, 0, 0.3)
    """
    _check_name(name)
    return make_split(name, _parsed_frame(name), read_metadata(name))


def propublica_filter(frame: pd.DataFrame) -> pd.DataFrame:
    """Apply ProPublica's row filter to the ``compas`` frame.

    Keeps rows whose COMPAS screening happened within 30 days of the arrest
    (``days_b_screening_arrest`` in [-30, 30]; missing values are dropped),
    with a known recidivism status (``is_recid != -1``), a charge that is not
    an ordinary traffic offence (``c_charge_degree != 'O'``) and a score
    (``score_text != 'N/A'``), as in ProPublica's ``Compas Analysis`` notebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``auditkit.datasets.load("compas").frame`` or a subset of its rows.

    Returns
    -------
    pandas.DataFrame
        A copy of the kept rows with their original index (6,172 rows for
        the full dataset).

    Raises
    ------
    auditkit.exceptions.InputError
        If a column the filter needs is missing.
    """
    needed = ["days_b_screening_arrest", "is_recid", "c_charge_degree", "score_text"]
    missing = [col for col in needed if col not in frame.columns]
    if missing:
        raise ColumnNotFoundError(missing[0], "ProPublica filter", builtins.list(frame.columns))
    days = frame["days_b_screening_arrest"]
    keep = (
        days.between(-PROPUBLICA_SCREENING_WINDOW_DAYS, PROPUBLICA_SCREENING_WINDOW_DAYS)
        & (frame["is_recid"] != -1)
        & (frame["c_charge_degree"] != "O")
        & (frame["score_text"] != "N/A")
    )
    return frame.loc[keep].copy()


def read_metadata(name: str) -> dict[str, Any]:
    """Return the parsed ``metadata.json`` of a bundled dataset.

    Parameters
    ----------
    name : str
        A bundled dataset name.

    Returns
    -------
    dict
        The metadata (target, positive label, features, files, ...).
    """
    _check_name(name)
    path = data_root() / name / "metadata.json"
    return json.loads(_read_existing(path).decode("utf-8"))


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """Decompress a bundled ``.gz`` file and check the SHA-256 of its content.

    Parameters
    ----------
    path : pathlib.Path
        The gzip-compressed file.
    expected_sha256 : str
        Hex digest of the original uncompressed file.

    Returns
    -------
    bytes
        The decompressed content.

    Raises
    ------
    auditkit.exceptions.AuditkitError
        If the file is missing, is not valid gzip, or the digest differs.
    """
    try:
        raw = gzip.decompress(_read_existing(path))
    except (OSError, EOFError) as exc:
        raise AuditkitError(f"bundled data file {path} is not valid gzip: {exc}") from exc
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected_sha256:
        raise AuditkitError(
            f"checksum mismatch for bundled data file {path}: expected sha256 "
            f"{expected_sha256} for the decompressed content, got {actual}. "
            "The installation is corrupted or the file was modified; reinstall auditkit."
        )
    return raw


def _read_existing(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise AuditkitError(f"bundled data file {path} is missing; the installation is incomplete.") from exc


def _check_name(name: str) -> None:
    if name not in _PARSERS:
        available = ", ".join(dataset_names())
        raise DatasetNotFoundError(f"Unknown dataset {name!r}. Available bundled datasets: {available}.")


@functools.cache
def _parsed_frame(name: str) -> pd.DataFrame:
    meta = read_metadata(name)
    folder = data_root() / name
    raw = {
        orig: read_verified(folder / info["bundled_as"], info["sha256"])
        for orig, info in meta["files"].items()
    }
    frame = _PARSERS[name](raw, folder)
    if len(frame) != meta["n_rows"]:
        raise AuditkitError(f"dataset {name!r} parsed to {len(frame)} rows, expected {meta['n_rows']}.")
    return frame


def _parse_adult(raw: dict[str, bytes], folder: Path) -> pd.DataFrame:
    train = _read_adult_file(raw["adult.data"], skiprows=0).assign(split="train")
    # adult.test starts with the line "|1x3 Cross validator".
    test = _read_adult_file(raw["adult.test"], skiprows=1).assign(split="test")
    frame = pd.concat([train, test], ignore_index=True)
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def _read_adult_file(content: bytes, skiprows: int) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(content),
        header=None,
        names=ADULT_COLUMNS,
        skiprows=skiprows,
        skipinitialspace=True,
        na_values=["?"],
        keep_default_na=False,
        index_col=False,
    )


def _parse_compas(raw: dict[str, bytes], folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(raw["compas-scores-two-years.csv"]))
    frame = _drop_identical_duplicates(frame)
    frame["compas_high_risk"] = frame["score_text"].isin(["Medium", "High"]).astype("int64")
    return frame


def _drop_identical_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop pandas-mangled duplicate columns (``col.1``) that equal ``col``."""
    duplicates = [col for col in frame.columns if _is_mangled_copy(col, frame.columns)]
    for col in duplicates:
        original = col.rsplit(".", 1)[0]
        if not frame[col].equals(frame[original]):
            raise AuditkitError(
                f"compas: duplicated column {original!r} has differing copies; refusing to drop one silently."
            )
    return frame.drop(columns=duplicates)


def _is_mangled_copy(col: str, columns: pd.Index) -> bool:
    base, _, suffix = col.rpartition(".")
    return bool(base) and suffix.isdigit() and base in columns


def _parse_german(raw: dict[str, bytes], folder: Path) -> pd.DataFrame:
    codes = json.loads(_read_existing(folder / "codes.json").decode("utf-8"))
    names = [col["name"] for col in codes["columns"]]
    frame = pd.read_csv(io.BytesIO(raw["german.data"]), sep=" ", header=None, names=names, index_col=False)
    for col, table in codes["values"].items():
        frame[col] = _decode(frame[col], table)
    frame["sex"] = frame["personal_status_sex"].str.split(":").str[0].astype("str")
    frame["age_group"] = np.where(frame["age"] < 25, "under_25", "25_and_over")
    return frame


def _decode(column: pd.Series, table: dict[str, str]) -> pd.Series:
    decoded = column.astype(str).map(table)
    unknown = sorted(set(column.astype(str)[decoded.isna()]))
    if unknown:
        raise AuditkitError(f"german: column {column.name!r} has undocumented codes {unknown}.")
    return decoded.astype(str)


_PARSERS: dict[str, Callable[[dict[str, bytes], Path], pd.DataFrame]] = {
    "adult": _parse_adult,
    "compas": _parse_compas,
    "german": _parse_german,
}
