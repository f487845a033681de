"""Tests of a group against the reference, and the multiple-comparison corrections."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from auditkit.stats.significance import adjust_pvalues, mean_test, proportion_test


def test_large_counts_use_pearsons_chi_square():
    p, name = proportion_test(120, 400, 90, 400)
    assert name == "chi-square"
    table = [[120, 280], [90, 310]]
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-12)


def test_small_expected_counts_use_fishers_exact_test():
    p, name = proportion_test(1, 8, 6, 9)
    assert name == "fisher-exact"
    assert p == pytest.approx(stats.fisher_exact([[1, 7], [6, 3]]).pvalue, rel=1e-12)


def test_undefined_rate_has_no_p_value():
    assert proportion_test(0, 0, 3, 10) == (None, "undefined")


def test_identical_degenerate_groups_are_not_different():
    assert proportion_test(0, 50, 0, 60)[0] == 1.0


def test_welch_t_test_for_means():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 50), rng.normal(0.5, 2, 80)
    p, name = mean_test(a, b)
    assert name == "welch-t"
    assert p == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert mean_test(a[:1], b) == (None, "undefined")


def test_holm_by_hand():
    # sorted p: 0.01, 0.03, 0.04 -> 3 * 0.01, max(2 * 0.03, .03), max(1 * 0.04, .06)
    assert adjust_pvalues([0.04, 0.01, 0.03], "holm") == pytest.approx([0.06, 0.03, 0.06])
    assert adjust_pvalues([0.5, 0.6], "holm") == pytest.approx([1.0, 1.0])


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(1).random(30) ** 3
    assert adjust_pvalues(list(p), "bh") == pytest.approx(stats.false_discovery_control(p, method="bh"))


def test_missing_p_values_are_skipped_and_kept():
    assert adjust_pvalues([None, 0.01, None, 0.02], "holm") == [None, pytest.approx(0.02), None, pytest.approx(0.02)]


def test_unknown_correction_is_refused():
    with pytest.raises(ValueError, match="correction must be one of"):
        adjust_pvalues([0.1], "bonferroni")
