"""The data-bias step: representation, base rates, missingness and proxies, without a model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from auditkit import AuditSpec, build_context, datasets
from auditkit.data_bias.proxies import contingency, cramers_v, encode_column, mutual_information
from auditkit.exceptions import InputError
from auditkit.stats.missing_group import MISSING_GROUP
from auditkit.steps import DataBiasStep


def run(frame, target, sensitive, predictions="decision", task="binary", **options):
    spec = AuditSpec(data=frame, target=target, sensitive=sensitive, predictions=predictions, task=task, seed=0)
    ctx = build_context(spec)
    return DataBiasStep(**options).run(ctx), ctx


def test_cramers_v_uncorrected_equals_scipy_and_correction_shrinks_it():
    rng = np.random.default_rng(0)
    table = rng.integers(1, 40, (5, 3))
    assert cramers_v(table, corrected=False) == pytest.approx(association(table, method="cramer"), abs=1e-12)
    assert cramers_v(table) < cramers_v(table, corrected=False)
    identical = np.diag([50, 30, 20])
    assert cramers_v(identical, corrected=False) == pytest.approx(1.0)


def test_mutual_information_equals_scikit_learn():
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(1)
    x, s = rng.integers(0, 4, 500), rng.integers(0, 2, 500)
    s = np.where(rng.random(500) < 0.3, x % 2, s)
    bits, share = mutual_information(contingency(x, s, 4, 2))
    assert bits == pytest.approx(mutual_info_score(x, s) / np.log(2), abs=1e-12)
    assert 0 < share < 1


def test_encoding_bins_numbers_pools_rare_categories_and_skips_identifiers():
    numbers = encode_column(pd.Series(np.arange(1000.0)))
    assert numbers.n_levels == 10 and numbers.kind == "numeric (binned)"
    many = encode_column(pd.Series([f"c{i % 60}" for i in range(6000)]))
    assert many.n_levels == 31  # 30 most frequent + "(other)"
    ids = encode_column(pd.Series([f"id{i}" for i in range(200)]))
    assert ids.codes is None and "identifier" in ids.skipped
    assert encode_column(pd.Series([1, 1, 1])).skipped == "the column has a single value"


@pytest.mark.parametrize(("name", "sensitive", "proxy"), [("german", "sex", "personal_status_sex"),
                                                          ("adult", "sex", "relationship")])
def test_the_same_attribute_under_another_name_ranks_first(name, sensitive, proxy):
    bundled = datasets.load(name)
    frame = bundled.frame.sample(n=min(len(bundled.frame), 4000), random_state=0)
    frame = frame.assign(decision=bundled.positive_label)  # any decisions in the target's labels
    target = bundled.target_name
    spec = AuditSpec(data=frame, target=target, positive_label=bundled.positive_label, sensitive=[sensitive],
                     predictions="decision")
    result = DataBiasStep(n_boot=100).run(build_context(spec))
    proxies = result.payload["bias"]["proxies"]
    assert proxies[0]["feature"] == proxy and proxies[0]["sensitive_feature"] == sensitive
    assert all(p["feature"] not in (sensitive, target, "decision") for p in proxies)
    assert proxies[0]["balanced_accuracy"] > 0.75
    finding = next(f for f in result.findings if f.id == f"data_bias.proxies.{sensitive}")
    assert finding.severity == "high" and proxy in finding.message


def test_planted_proxy_is_found_and_noise_is_not():
    data = datasets.make_biased(3000, proxy_strength=0.8, seed=0).frame.assign(decision=0)
    result, _ = run(data, "label", ["group"], n_boot=100)
    by_feature = {p["feature"]: p for p in result.payload["bias"]["proxies"]}
    assert result.payload["bias"]["proxies"][0]["feature"] == "proxy"
    assert by_feature["proxy"]["cramers_v_ci"][0] > 0.5
    assert by_feature["noise0"]["cramers_v"] < 0.1
    assert "noise0" not in next(f for f in result.findings if f.id == "data_bias.proxies.group").message


def test_base_rates_by_group_with_interval_and_finding():
    data = datasets.make_biased(4000, base_rate_gap=0.3, seed=2).frame.assign(decision=0)
    result, _ = run(data, "label", ["group"], n_boot=200)
    rates = {r["group"]["group"]: r for r in result.payload["bias"]["base_rates"]}
    for group, row in rates.items():
        assert row["base_rate"] == pytest.approx(data.loc[data["group"] == group, "label"].mean())
        assert row["ci"][0] < row["base_rate"] < row["ci"][1]
    assert any(f.id == "data_bias.base_rate_gap.group" for f in result.findings)


def test_no_base_rate_finding_without_a_gap():
    data = datasets.make_biased(2000, base_rate_gap=0.0, seed=3).frame.assign(decision=0)
    result, _ = run(data, "label", ["group"], n_boot=0)
    assert not any(f.id.startswith("data_bias.base_rate_gap") for f in result.findings)


def test_missingness_by_group_hand_count(frame):
    frame = frame.copy()
    frame.loc[(frame["sex"] == "female") & (frame.index % 3 == 0), "debt"] = np.nan
    result, _ = run(frame, "approved", ["sex"], n_boot=100)
    rows = [r for r in result.payload["bias"]["missingness"] if r["column"] == "debt"]
    female = next(r for r in rows if r["group"] == "female")
    expected = frame.loc[frame["sex"] == "female", "debt"].isna()
    assert female["n_missing"] == expected.sum() and female["missing_rate"] == pytest.approx(expected.mean())
    assert next(r for r in rows if r["group"] == "male")["n_missing"] == 0
    assert any(f.id == "data_bias.missingness_gap.sex.debt" for f in result.findings)


def test_missing_sensitive_values_are_reported(frame):
    frame = frame.copy()
    frame.loc[frame.index[:12], "region"] = np.nan
    result, _ = run(frame, "approved", ["region"], n_boot=0)
    row = next(r for r in result.payload["bias"]["representation"] if r["group"] == {"region": MISSING_GROUP})
    assert row["n"] == 12
    assert any(f.id == "data_bias.missing_sensitive.region" for f in result.findings)


def test_representation_against_a_reference_distribution(frame):
    reference = {"region": {"north": 0.3, "south": 0.3, "east": 0.3, "west": 0.1}}
    result, _ = run(frame, "approved", ["region"], reference_distribution=reference, n_boot=100)
    rows = {r["group"]["region"]: r for r in result.payload["bias"]["representation"] if r["grouping"] == "region"}
    assert rows["west"]["n"] == 0 and rows["west"]["reference_share"] == pytest.approx(0.1)
    assert rows["east"]["ratio_to_reference"] == pytest.approx(rows["east"]["share"] / 0.3)
    assert result.payload["bias"]["representation_tests"][0]["p_value"] < 0.05
    finding = next(f for f in result.findings if f.id == "data_bias.under_represented.region")
    assert "region=east" in finding.message
    with pytest.raises(InputError, match="has no share for group"):
        run(frame, "approved", ["region"], reference_distribution={"region": {"north": 1.0}})


def test_regression_and_multiclass_base_rates(frame):
    data = frame.assign(amount=frame["income"] + np.where(frame["sex"] == "male", 20, 0), guess=frame["income"])
    result, _ = run(data, "amount", ["sex"], predictions="guess", task="regression", n_boot=100)
    male = next(r for r in result.payload["bias"]["base_rates"] if r["group"] == {"sex": "male"})
    assert male["mean_target"] == pytest.approx(data.loc[data["sex"] == "male", "amount"].mean())
    assert any(f.id == "data_bias.base_rate_gap.sex" for f in result.findings)
    data = frame.assign(decision=frame["region"])
    result, _ = run(data, "region", ["sex"], task="multiclass", n_boot=50)
    rows = result.payload["bias"]["base_rates"]
    assert {r["class"] for r in rows} == {"east", "north", "south"}
    shares = pd.DataFrame(rows).groupby(pd.DataFrame(rows)["group"].map(str))["base_rate"].sum()
    assert shares.to_numpy() == pytest.approx([1.0, 1.0])


def test_the_step_never_calls_the_model(frame, monkeypatch):
    spec = AuditSpec(data=frame, target="approved", sensitive=["sex"], seed=0, sample=200)
    ctx = build_context(spec)
    monkeypatch.setattr(ctx.model, "predict", lambda *a: (_ for _ in ()).throw(AssertionError("called")))
    monkeypatch.setattr(ctx.model, "predict_proba", lambda *a: (_ for _ in ()).throw(AssertionError("called")))
    DataBiasStep(n_boot=0).run(ctx)
