"""Overall metrics cross-checked against scikit-learn."""

import pytest
from sklearn import metrics

from auditkit import audit


def test_overall_metrics_match_scikit_learn(frame):
    result = audit(data=frame, target="approved", sensitive=["sex"], predictions="decision", scores="score",
                   steps=["performance"])
    overall = result.step("performance").payload["overall"]
    y, p, s = frame["approved"], frame["decision"], frame["score"]
    assert overall["accuracy"] == pytest.approx(metrics.accuracy_score(y, p), abs=1e-12)
    assert overall["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, p), abs=1e-12)
    assert overall["precision"] == pytest.approx(metrics.precision_score(y, p), abs=1e-12)
    assert overall["recall"] == pytest.approx(metrics.recall_score(y, p), abs=1e-12)
    assert overall["f1"] == pytest.approx(metrics.f1_score(y, p), abs=1e-12)
    assert overall["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)
    assert overall["brier_score"] == pytest.approx(metrics.brier_score_loss(y, s), abs=1e-12)
    tn, fp, fn, tp = metrics.confusion_matrix(y, p).ravel()
    assert result.step("performance").payload["confusion_matrix"] == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
