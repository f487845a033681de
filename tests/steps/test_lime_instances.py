"""The LIME step's "most confident errors": confidence read right for probabilities and decision scores.

Confidence is how far a score lies beyond the decision threshold on the side of the decision.
``1 - score`` is that only for probabilities; for a decision score (any scale, threshold 0) a
negative decision at -0.5 is less confident than a positive one at 1.2, not more.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from auditkit.stats.missing_group import sensitive_frame
from auditkit.steps.lime_step import _confident_errors, decision_confidence, decision_threshold


def _context(y_true, y_pred, y_score, kind, groups=None) -> SimpleNamespace:
    """What ``_confident_errors`` reads of an audit context (binary task)."""
    groups = ["a"] * len(y_true) if groups is None else groups
    return SimpleNamespace(
        y_true=np.asarray(y_true, dtype=np.int8), y_pred=np.asarray(y_pred, dtype=np.int8),
        y_score=np.asarray(y_score, dtype=float), score_kind=kind, spec=SimpleNamespace(task="binary"),
        sensitive=sensitive_frame(pd.DataFrame({"g": groups}), ["g"]), sensitive_features=["g"],
    )


# Rows: a right decision (never picked), then two wrong ones; the first wrong row is the confident one.
@pytest.mark.parametrize(("case", "y_true", "y_pred", "y_score", "kind", "picked"), [
    # decision_function scores: a positive decision at 1.2 is more confident than a negative one at -0.5
    ("decision", [1, 0, 1], [1, 1, 0], [2.0, 1.2, -0.5], "decision", 1),
    ("decision, negative first", [1, 1, 0], [1, 0, 1], [2.0, -3.0, 0.4], "decision", 1),
    # probabilities: unchanged (0.9 for a positive decision against 0.2 for a negative one)
    ("probability", [0, 0, 1], [0, 1, 0], [0.1, 0.9, 0.2], "probability", 1),
    ("probability, negative first", [0, 1, 0], [0, 0, 1], [0.1, 0.05, 0.6], "probability", 1),
    # a user's risk deciles, "high risk" (positive) from 5 on: a negative decision at 1 is 3.5 below
    # the threshold 4.5, a positive one at 6 only 1.5 above it
    ("deciles", [0, 1, 0, 1], [0, 0, 1, 1], [3.0, 1.0, 6.0, 9.0], "decision", 1),
])
def test_the_most_confident_error_is_the_one_farthest_beyond_the_threshold(case, y_true, y_pred, y_score, kind,
                                                                           picked):
    ctx = _context(y_true, y_pred, y_score, kind)
    assert _confident_errors(ctx, 1) == [(picked, "most confident error, g=a")], case


def test_errors_are_ranked_by_confidence_within_each_group():
    ctx = _context([1, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 1], [-0.2, -2.5, 0.7, -1.0, 3.0, 0.1], "decision",
                   groups=["a", "a", "a", "b", "b", "b"])
    assert _confident_errors(ctx, 2) == [(1, "most confident error, g=a"), (2, "most confident error, g=a"),
                                         (4, "most confident error, g=b"), (3, "most confident error, g=b")]


def test_confidence_of_a_linear_svm_is_the_distance_of_its_decision_score_from_zero():
    """Cross-check with scikit-learn: LinearSVC predicts positive exactly when decision_function > 0."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(scale=0.8, size=300) > 0).astype(int)
    svm = LinearSVC().fit(X, y)
    score, decided = svm.decision_function(X), svm.predict(X)
    assert decision_threshold(decided, score, "decision") == 0.0
    np.testing.assert_array_equal(decision_confidence(decided, score, "decision"), np.abs(score))


@pytest.mark.parametrize(("y_pred", "y_score", "kind", "threshold"), [
    ([0, 1, 1], [0.2, 0.5001, 0.9], "probability", 0.5),
    ([0, 0, 1], [0.1, 0.3, 0.35], "probability", 0.325),  # probabilities thresholded at 1/3 by the user
    ([0, 1], [-1.0, 0.0001], "decision", 0.0),
    ([0, 0, 1, 1], [1.0, 4.0, 5.0, 10.0], "decision", 4.5),
    ([0, 1, 0, 1], [1.0, 2.0, 3.0, 4.0], "decision", 0.0),  # no threshold separates them: the default
    ([1, 1], [2.0, 3.0], "decision", 0.0),  # one kind of decision only
])
def test_decision_threshold(y_pred, y_score, kind, threshold):
    assert decision_threshold(np.array(y_pred), np.array(y_score), kind) == pytest.approx(threshold)
