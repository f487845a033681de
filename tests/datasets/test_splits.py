"""The documented train/test split of each bundled dataset (auditkit/datasets/_splits.py, load(split=))."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from auditkit import datasets
from auditkit.datasets import _loaders
from auditkit.datasets._splits import make_split
from auditkit.exceptions import AuditkitError, InputError

# name, training rows, held-out rows, positive rows held out (counted independently below)
SPLITS = [("adult", 32561, 16281, 3846), ("compas", 5049, 2165, 976), ("german", 700, 300, 210)]


def independent_test_rows(name: str) -> np.ndarray:
    """The held-out rows as the datasheet describes them, computed here without auditkit's split code."""
    ds = datasets.load(name)
    if name == "adult":  # the creators' test file
        return np.flatnonzero(ds.frame["split"].to_numpy() == "test")
    positive = (ds.target == ds.positive_label).to_numpy()
    _, test = train_test_split(np.arange(len(ds.frame)), test_size=0.3, random_state=0, stratify=positive)
    return np.sort(test)


@pytest.mark.parametrize(("name", "n_train", "n_test", "n_positive"), SPLITS)
def test_the_split_is_the_documented_one(name, n_train, n_test, n_positive):
    split = datasets.documented_split(name)
    assert (len(split.train), len(split.test)) == (n_train, n_test)
    assert np.array_equal(np.sort(split.test), independent_test_rows(name))
    assert not np.isin(split.train, split.test).any()
    assert np.array_equal(np.sort(np.concatenate([split.train, split.test])), np.arange(n_train + n_test))
    held_out = datasets.load(name, split="test")
    assert int((held_out.target == held_out.positive_label).sum()) == n_positive


@pytest.mark.parametrize(("name", "n_train", "n_test", "n_positive"), SPLITS)
def test_metadata_and_datasheet_state_the_split(name, n_train, n_test, n_positive):
    meta = _loaders.read_metadata(name)
    assert (meta["split"]["train_rows"], meta["split"]["test_rows"]) == (n_train, n_test)
    summary = (_loaders.data_root() / name / "DATASHEET.md").read_text(encoding="utf-8")
    row = next(line for line in summary.splitlines() if line.startswith("| Held-out split |"))
    assert f"{n_test:,}" in row and f"{n_train:,}" in row


@pytest.mark.parametrize("part", ["train", "test"])
@pytest.mark.parametrize("name", ["adult", "compas", "german"])
def test_load_gives_one_part_with_its_rows_labels(name, part):
    whole = datasets.load(name)
    loaded = datasets.load(name, split=part)
    rows = np.sort(datasets.documented_split(name).part(part))
    assert loaded.split == part
    assert loaded.frame.index.tolist() == rows.tolist()
    assert loaded.frame.equals(whole.frame.iloc[rows])
    assert loaded.data.equals(whole.data.iloc[rows]) and loaded.target.equals(whole.target.iloc[rows])
    assert whole.split == "all" and len(whole.frame) == whole.frame.index.max() + 1


@pytest.mark.parametrize(("split", "shown"), [("dev", "'dev' (str)"), ("Test", "'Test' (str)"), (None, "None"),
                                              (1, "1 (int)")])
def test_load_refuses_another_split(split, shown):
    with pytest.raises(InputError, match=r"^split must be one of all, train, test; got " + shown.replace("(", r"\(")
                       .replace(")", r"\)") + "$"):
        datasets.load("german", split=split)


@pytest.mark.parametrize("changed", ["test_rows_sha256", "test_rows", "seed"])
def test_a_split_that_differs_from_the_recorded_rows_is_an_error(changed):
    meta = json.loads(json.dumps(_loaders.read_metadata("german")))
    meta["split"][changed] = {"test_rows_sha256": "0" * 64, "test_rows": 299, "seed": 1}[changed]
    with pytest.raises(AuditkitError, match="^dataset 'german': its train/test split gave 700/300 rows"):
        make_split("german", datasets.load("german").frame, meta)
