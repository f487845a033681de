"""Models for batch tests, saved with skops: a working one, one that raises on predict, one that kills its process.

The batch's worker processes import this module by name (``batch_models``) to load the models: they
inherit the test process's ``sys.path``, where pytest put this folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

FEATURES = ["income", "debt"]


class RaisesOnPredict(ClassifierMixin, BaseEstimator):
    """Fitted on the features, then every prediction raises."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        raise RuntimeError("this model is broken on purpose")


class KillsItsProcess(RaisesOnPredict):
    """Predicting ends the process at once (as a crash or the OOM killer would), until ``marker`` exists.

    With ``once=True`` the first call creates ``marker`` before dying, so a retry predicts normally.
    """

    def __init__(self, marker: str = "", once: bool = False):
        self.marker = marker
        self.once = once

    def predict(self, X):
        if not Path(self.marker).exists():
            if self.once:
                Path(self.marker).touch()
            os._exit(17)
        return np.zeros(len(X), dtype=int)


class SleepsOnPredict(RaisesOnPredict):
    """Predicting takes ``seconds`` (an audit that hangs)."""

    def __init__(self, seconds: float = 600):
        self.seconds = seconds

    def predict(self, X):
        import time

        time.sleep(self.seconds)
        return np.zeros(len(X), dtype=int)


def save_models(folder: Path, frame) -> dict[str, str]:
    """Fit the test models on ``frame`` and save them in ``folder``; their names and paths."""
    X, y = frame[FEATURES], frame["approved"]
    models = {
        "logreg": LogisticRegression().fit(X, y),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
        "broken": RaisesOnPredict().fit(X, y),
        "killer": KillsItsProcess(marker=str(folder / "killer.marker")).fit(X, y),
        "flaky": KillsItsProcess(marker=str(folder / "flaky.marker"), once=True).fit(X, y),
        "sleepy": SleepsOnPredict().fit(X, y),
    }
    paths = {}
    for name, model in models.items():
        paths[name] = str(folder / f"{name}.skops")
        sio.dump(model, paths[name])
    return paths
