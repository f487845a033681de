"""make_biased plants exactly the bias it reports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from auditkit.datasets import make_biased
from auditkit.exceptions import InputError

N = 20_000


def _is_b(ds) -> np.ndarray:
    return (ds.frame["group"] == "B").to_numpy().astype(float)


def test_same_seed_gives_identical_data() -> None:
    first, second = make_biased(2000, label_bias=0.3, seed=7), make_biased(2000, label_bias=0.3, seed=7)
    pd.testing.assert_frame_equal(first.frame, second.frame)
    assert first.ground_truth == second.ground_truth


def test_different_seed_gives_different_data() -> None:
    first, second = make_biased(2000, seed=1), make_biased(2000, seed=2)
    assert not first.frame.equals(second.frame)


def test_dataset_fields() -> None:
    ds = make_biased(500, n_informative=2, n_irrelevant=3)
    assert list(ds.frame.columns) == [
        "group", "proxy", "x0", "x1", "noise0", "noise1", "noise2", "label",
    ]  # fmt: skip
    assert ds.feature_names == list(ds.data.columns) == list(ds.frame.columns[:-1])
    assert ds.target_name == "label" and ds.positive_label == 1
    assert set(ds.target) == {0, 1}
    assert ds.sensitive_features == ["group"]
    assert set(ds.frame["group"]) == {"A", "B"}
    assert ds.datasheet is None and ds.source_files == {}
    assert ds.ground_truth["disadvantaged_group"] == "B"
    assert ds.ground_truth["irrelevant_features"] == ["noise0", "noise1", "noise2"]
    assert ds.ground_truth["informative_features"] == ["x0", "x1"]


def test_group_proportion_is_exact() -> None:
    ds = make_biased(1000, group_proportion=0.3)
    assert ds.ground_truth["group_sizes"] == {"A": 700, "B": 300}
    assert int(_is_b(ds).sum()) == 300


def test_realised_base_rate_gap_is_close_to_requested() -> None:
    gap = 0.3
    ds = make_biased(N, base_rate_gap=gap, seed=3)
    rates = ds.frame.groupby("group")["label"].mean()
    p_a, p_b = 0.5 + gap / 2, 0.5 - gap / 2
    se = math.sqrt(p_a * (1 - p_a) / (N / 2) + p_b * (1 - p_b) / (N / 2))
    assert abs((rates["A"] - rates["B"]) - gap) < 4 * se
    truth = ds.ground_truth
    assert truth["base_rate_observed"] == pytest.approx(rates.to_dict())
    assert truth["base_rate_gap_true"] == pytest.approx(rates["A"] - rates["B"])


def test_label_bias_flips_only_positive_members_of_b() -> None:
    fair, biased = make_biased(N, label_bias=0.0, seed=5), make_biased(N, label_bias=0.5, seed=5)
    features = fair.frame.columns.drop("label")
    pd.testing.assert_frame_equal(fair.frame[features], biased.frame[features])
    changed = fair.frame["label"] != biased.frame["label"]
    assert (fair.frame.loc[changed, "label"] == 1).all()
    assert (fair.frame.loc[changed, "group"] == "B").all()
    assert fair.ground_truth["n_labels_flipped"] == 0
    assert biased.ground_truth["n_labels_flipped"] == int(changed.sum())


def test_label_bias_halves_observed_positive_rate_of_b() -> None:
    ds = make_biased(N, label_bias=0.5, seed=5)
    truth = ds.ground_truth
    assert truth["base_rate_true"]["A"] == truth["base_rate_observed"]["A"]
    n_b = truth["group_sizes"]["B"]
    positives_b = truth["base_rate_true"]["B"] * n_b
    se = math.sqrt(positives_b * 0.25) / n_b
    expected = truth["base_rate_true"]["B"] * 0.5
    assert abs(truth["base_rate_observed"]["B"] - expected) < 4 * se
    assert truth["base_rate_gap_observed"] > truth["base_rate_gap_true"]


@pytest.mark.parametrize("strength", [0.0, 0.3, 0.8, 1.0])
def test_proxy_correlation_is_close_to_requested(strength: float) -> None:
    ds = make_biased(N, proxy_strength=strength, seed=11)
    corr = np.corrcoef(ds.frame["proxy"], _is_b(ds))[0, 1]
    se = (1 - strength**2) / math.sqrt(N)
    assert abs(corr - strength) < 4 * se + 1e-9
    assert ds.ground_truth["proxy_correlation"] == pytest.approx(corr)
    assert abs(ds.frame["proxy"].mean()) < 1e-9
    assert ds.frame["proxy"].std(ddof=0) == pytest.approx(1.0)


def test_irrelevant_features_are_uncorrelated_with_everything() -> None:
    ds = make_biased(N, base_rate_gap=0.4, label_bias=0.3, n_irrelevant=3, seed=13)
    others = pd.DataFrame({"group_b": _is_b(ds), "label": ds.frame["label"]})
    others = others.join(ds.frame[["proxy", "x0", "x1", "x2"]])
    limit = 4 / math.sqrt(N)
    for noise in ds.ground_truth["irrelevant_features"]:
        for col in others.columns:
            corr = np.corrcoef(ds.frame[noise], others[col])[0, 1]
            assert abs(corr) < limit, (noise, col, corr)


def test_informative_features_carry_signal() -> None:
    ds = make_biased(N, seed=17)
    for col in ds.ground_truth["informative_features"]:
        assert np.corrcoef(ds.frame[col], ds.frame["label"])[0, 1] > 0.4


def test_knobs_are_recorded() -> None:
    ds = make_biased(100, base_rate_gap=0.1, label_bias=0.2, proxy_strength=0.5, seed=4)
    assert ds.ground_truth["params"] == {
        "n_samples": 100,
        "base_rate_gap": 0.1,
        "label_bias": 0.2,
        "proxy_strength": 0.5,
        "n_informative": 3,
        "n_irrelevant": 2,
        "group_proportion": 0.5,
        "seed": 4,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 1}, "n_samples must be an integer >= 2; got 1"),
        ({"n_samples": 10.0}, "n_samples must be an integer >= 2; got 10.0"),
        ({"n_samples": True}, "n_samples must be an integer >= 2; got True"),
        ({"base_rate_gap": 1.5}, r"base_rate_gap must be a number in \[0, 1\]; got 1.5"),
        ({"base_rate_gap": -0.1}, r"base_rate_gap must be a number in \[0, 1\]; got -0.1"),
        ({"label_bias": float("nan")}, r"label_bias must be a number in \[0, 1\]; got nan"),
        ({"label_bias": "0.2"}, r"label_bias must be a number in \[0, 1\]; got '0.2'"),
        ({"proxy_strength": 1.01}, r"proxy_strength must be a number in \[0, 1\]"),
        ({"n_informative": -1}, "n_informative must be an integer >= 0; got -1"),
        ({"n_irrelevant": 2.5}, "n_irrelevant must be an integer >= 0; got 2.5"),
        ({"group_proportion": 0.0}, r"group_proportion must be a number in \(0, 1\); got 0.0"),
        ({"group_proportion": 1}, r"group_proportion must be a number in \(0, 1\); got 1"),
        ({"n_samples": 10, "group_proportion": 0.01}, "at least one row in each group"),
        ({"seed": -1}, "seed must be an integer >= 0; got -1"),
        ({"seed": None}, "seed must be an integer >= 0; got None"),
    ],
)
def test_bad_knobs_raise_input_error(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make_biased(**kwargs)


def test_bad_knob_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        make_biased(label_bias=2)


def test_extreme_knobs_work() -> None:
    ds = make_biased(
        1000, base_rate_gap=1.0, label_bias=1.0, proxy_strength=1.0, n_informative=0, n_irrelevant=0
    )
    truth = ds.ground_truth
    assert truth["base_rate_true"] == {"A": 1.0, "B": 0.0}
    assert truth["proxy_correlation"] == pytest.approx(1.0)
    assert list(ds.frame.columns) == ["group", "proxy", "label"]
