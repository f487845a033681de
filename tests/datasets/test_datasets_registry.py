"""list(), load() errors, caching and checksum verification."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
from pathlib import Path

import pytest

from auditkit import datasets
from auditkit.datasets import _loaders
from auditkit.exceptions import AuditkitError, DatasetNotFoundError, InputError


@pytest.fixture
def fresh_cache():
    _loaders._parsed_frame.cache_clear()
    yield
    _loaders._parsed_frame.cache_clear()


def test_list_returns_sorted_names() -> None:
    assert datasets.list() == ["adult", "compas", "german"]


def test_unknown_name_error_lists_available_names() -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        datasets.load("adlt")
    assert str(info.value) == ("Unknown dataset 'adlt'. Available bundled datasets: adult, compas, german.")
    assert isinstance(info.value, InputError)
    assert isinstance(info.value, ValueError)


def test_public_api_is_exported() -> None:
    assert set(datasets.__all__) == {"Dataset", "documented_split", "list", "load", "make_biased",
                                    "propublica_filter"}


@pytest.mark.parametrize("name", ["adult", "compas", "german"])
def test_dataset_fields_are_consistent(name: str) -> None:
    ds = datasets.load(name)
    assert ds.name == name
    assert list(ds.data.columns) == ds.feature_names
    assert ds.target.name == ds.target_name
    assert ds.target_name not in ds.feature_names
    assert set(ds.sensitive_features) <= set(ds.frame.columns)
    assert set(ds.feature_names) <= set(ds.frame.columns)
    assert ds.positive_label in set(ds.target.unique())
    assert ds.target.nunique() == 2
    assert ds.datasheet.is_file()
    assert ds.description
    assert ds.ground_truth is None
    assert all(len(sha) == 64 for sha in ds.source_files.values())


def test_dataset_is_frozen() -> None:
    ds = datasets.load("german")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]


def test_load_returns_copies_not_the_cache() -> None:
    first = datasets.load("german")
    first.frame.loc[0, "age"] = -1
    first.data.loc[0, "age"] = -1
    first.target.iloc[0] = "changed"
    second = datasets.load("german")
    assert second.frame.loc[0, "age"] == 67
    assert second.data.loc[0, "age"] == 67
    assert second.target.iloc[0] == "good"


def test_data_root_falls_back_to_checkout() -> None:
    root = _loaders.data_root()
    assert (root / "adult" / "metadata.json").is_file()


def test_data_root_prefers_installed_package_data(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_loaders, "_PACKAGE_DATA", tmp_path)
    assert _loaders.data_root() == tmp_path
    monkeypatch.setattr(_loaders, "_PACKAGE_DATA", tmp_path / "absent")
    assert _loaders.data_root() == _loaders._CHECKOUT_DATA


def test_read_verified_rejects_wrong_digest(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"hello"))
    with pytest.raises(AuditkitError, match="checksum mismatch"):
        _loaders.read_verified(path, "0" * 64)


def test_read_verified_rejects_non_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(AuditkitError, match="not valid gzip"):
        _loaders.read_verified(path, "0" * 64)


def test_load_detects_tampered_file(tmp_path, monkeypatch, fresh_cache) -> None:
    shutil.copytree(_loaders.data_root() / "german", tmp_path / "german")
    raw = gzip.decompress((tmp_path / "german" / "german.data.gz").read_bytes())
    tampered = raw.replace(b"A11", b"A12", 1)
    (tmp_path / "german" / "german.data.gz").write_bytes(gzip.compress(tampered))
    monkeypatch.setattr(_loaders, "data_root", lambda: tmp_path)
    with pytest.raises(AuditkitError, match="checksum mismatch.*german.data.gz"):
        datasets.load("german")


def test_load_reports_missing_file(tmp_path, monkeypatch, fresh_cache) -> None:
    shutil.copytree(_loaders.data_root() / "german", tmp_path / "german")
    (tmp_path / "german" / "german.data.gz").unlink()
    monkeypatch.setattr(_loaders, "data_root", lambda: tmp_path)
    with pytest.raises(AuditkitError, match="missing"):
        datasets.load("german")
