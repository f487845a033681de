"""make_biased gives each row's true label (before label bias), apart from the audited frame."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

import auditkit
from auditkit import AuditSpec, build_context
from auditkit.datasets import make_biased


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """The reference model's boosted trees: one OpenMP thread is as fast here, and does not crawl on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _rows(ds):
    return ds.frame.join(ds.truth)


def test_truth_has_one_row_per_row_of_the_frame():
    ds = make_biased(500, label_bias=0.4, seed=2)
    assert list(ds.truth.columns) == ["true_label", "label_flipped"]
    assert ds.truth.index.equals(ds.frame.index)
    assert set(ds.truth["true_label"]) == {0, 1}


@pytest.mark.parametrize("label_bias", [0.0, 0.3, 1.0])
def test_recorded_label_is_the_true_label_except_flipped_positives_of_b(label_bias):
    rows = _rows(make_biased(3000, label_bias=label_bias, seed=4))
    flipped = rows["label_flipped"].to_numpy()
    assert (rows["label"] == np.where(flipped, 0, rows["true_label"])).all()
    assert set(rows.loc[flipped, "group"]) <= {"B"}
    assert (rows.loc[flipped, "true_label"] == 1).all()


@pytest.mark.parametrize("label_bias", [0.1, 0.3, 0.6])
def test_measured_label_bias_rate_is_the_documented_probability(label_bias):
    ds = make_biased(20_000, label_bias=label_bias, seed=5)
    rows = _rows(ds)
    positives_of_b = rows[(rows["group"] == "B") & (rows["true_label"] == 1)]
    n_flipped = int(positives_of_b["label_flipped"].sum())
    assert ds.ground_truth["label_bias_realised"] == pytest.approx(n_flipped / len(positives_of_b))
    assert binomtest(n_flipped, len(positives_of_b), label_bias).pvalue > 0.001


def test_true_base_rates_in_ground_truth_are_those_of_the_true_labels():
    ds = make_biased(4000, base_rate_gap=0.3, label_bias=0.5, seed=6)
    rows = _rows(ds)
    by_group = rows.groupby("group")[["true_label", "label"]].mean()
    assert by_group["true_label"].to_dict() == pytest.approx(ds.ground_truth["base_rate_true"])
    assert by_group["label"].to_dict() == pytest.approx(ds.ground_truth["base_rate_observed"])


def test_an_audit_never_sees_the_true_labels():
    ds = make_biased(400, label_bias=0.3, seed=1)
    ctx = build_context(AuditSpec(data=ds))
    assert "true_label" not in ctx.frame.columns and "true_label" not in ctx.X.columns
    assert "true_label" not in ds.feature_names and "true_label" not in ds.frame.columns


def test_unawareness_excludes_the_sensitive_column_from_the_reference_model():
    ds = make_biased(600, label_bias=0.3, seed=1)
    result = auditkit.audit(data=ds, exclude=["group"], steps=["performance"], progress=False)
    model = result.provenance["model"]
    assert "group" not in model["features"] and "proxy" in model["features"]
    assert model["excluded"] == ["group"]
