"""Small, seeded inputs and audits to try auditkit's functions on: what the docstring examples start from.

Every function builds its object anew on each call (nothing is cached or shared), so a caller may change
what it gets. The data are :func:`auditkit.datasets.make_biased` rows (group B is under-selected through a
proxy) or the bundled German credit data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from auditkit.fairness.tasks import FairnessOutput
    from auditkit.result import AuditResult

__all__ = ["biased_audit", "biased_decisions", "fairness_output", "lime_audit", "loans_model", "shap_audit",
           "shap_result", "two_groups"]

DEMOGRAPHIC_PARITY_POLICY = {"demographic_parity_ratio": {"min": 0.8}}


def biased_decisions(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """``make_biased(n, seed=seed)`` rows with a model's ``score`` and 0/1 ``decision`` (score above 0.5).

    The score is the logistic of ``x0 + proxy``: the proxy follows membership of group B, so the decisions
    differ by group.

    Examples
    --------
    >>> frame = biased_decisions()
    >>> len(frame), frame.groupby("group")["decision"].mean().round(2).to_dict()
    (300, {'A': 0.37, 'B': 0.63})
    """
    from auditkit.datasets import make_biased

    frame = make_biased(n, seed=seed).frame
    frame["score"] = 1 / (1 + np.exp(-(frame["x0"] + frame["proxy"])))
    frame["decision"] = (frame["score"] > 0.5).astype(int)
    return frame


def biased_audit(n: int = 300, seed: int = 0, **settings: Any) -> AuditResult:
    """The audit of :func:`biased_decisions`: its decisions and scores by ``group``, with a demographic parity policy.

    Parameters
    ----------
    n, seed : int
        As for :func:`biased_decisions`.
    **settings
        :func:`auditkit.audit` settings that replace these (``scores=None``: decisions only;
        ``policy=None``: no policy; ``steps=[...]``).

    Examples
    --------
    >>> result = biased_audit(steps=["fairness"])
    >>> [(check["name"], check["status"]) for check in result.to_dict()["checks"]["results"]]
    [('demographic_parity_ratio[group]', 'failed')]
    """
    from auditkit.runner import audit

    given = {"target": "label", "sensitive": ["group"], "predictions": "decision", "scores": "score",
             "policy": DEMOGRAPHIC_PARITY_POLICY, "progress": False, **settings}
    return audit(data=biased_decisions(n, seed), **given)


def fairness_output(n: int = 400, seed: int = 0, n_boot: int = 200) -> FairnessOutput:
    """The fairness analysis of :func:`biased_decisions` by ``group`` (decisions only), as the fairness step gets it.

    Examples
    --------
    >>> output = fairness_output()
    >>> [result] = output.results
    >>> result.name, result.table["n"].tolist()
    ('group', [200, 200])
    """
    from auditkit.context import build_context
    from auditkit.fairness.analysis import FairnessSettings
    from auditkit.fairness.tasks import run_fairness
    from auditkit.spec import AuditSpec

    spec = AuditSpec(data=biased_decisions(n, seed), target="label", sensitive=["group"], predictions="decision")
    return run_fairness(build_context(spec), FairnessSettings(n_boot=n_boot), [("group",)], {}, 0)


def shap_audit() -> AuditResult:
    """SHAP of the reference model on 300 held-out rows of the German credit data (groups of 20 rows or more).

    Examples
    --------
    >>> shap_audit().to_dict()["explanations"]["shap"]["explainer"]
    'tree'
    """
    from auditkit.runner import audit

    return audit(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"], progress=False)


def lime_audit() -> AuditResult:
    """LIME (2 rows, 2 repeats) and its agreement with SHAP for the reference model on 200 German credit rows.

    Examples
    --------
    >>> section = lime_audit().to_dict()["explanations"]
    >>> len(section["lime"]["instances"]), section["lime"]["repeats"]
    (2, 2)
    """
    from auditkit.runner import audit

    return audit(data="german", sample=200, seed=1, steps=["lime", "agreement"], progress=False,
                 step_options={"lime": {"n_instances": 2, "repeats": 2, "num_samples": 300}})


def shap_result() -> AuditResult:
    """A hand-made result of the ``shap`` step: 3 explained rows (ids 35, 133, 7), features ``age`` and ``job``.

    Base value 1 in log-odds of class ``good``; the rows' SHAP values are exact binary fractions, so what is
    drawn from them can be checked by hand.

    Examples
    --------
    >>> shap = shap_result().step("shap").artifacts
    >>> shap["values"].sum(axis=1).add(1.0).tolist() == shap["rows"]["output"].tolist()
    True
    """
    from auditkit.result import AuditResult, StepResult

    payload = {"shap": {"output_space": "log-odds", "explained_class": "good", "base_value": 1.0},
               "global_importance": [{"feature": f, "mean_abs_shap": v} for f, v in [("age", .25), ("job", .125)]]}
    artifacts = {"values": pd.DataFrame({"age": [0.5, -0.25, 0.0], "job": [0.125, 0.0, -0.25]}),
                 "features": pd.DataFrame({"age": [61, 23, None], "job": ["skilled", "unskilled", "skilled"]}),
                 "rows": pd.DataFrame({"row_id": ["35", "133", "7"], "output": [1.625, 0.75, 0.75]})}
    return AuditResult({}, {}, [StepResult("shap", "explanations", payload=payload, artifacts=artifacts)])


def loans_model(rows: int = 6) -> tuple[pd.DataFrame, Any]:
    """``rows`` (2 to 6) loan applicants by ``income`` and ``debt``, and a logistic regression fitted on them.

    The first half of the rows are labelled 0, the rest 1.

    Examples
    --------
    >>> X, model = loans_model(4)
    >>> X.values.tolist(), model.predict(X).tolist()
    ([[10.0, 5.0], [20.0, 1.0], [30.0, 4.0], [40.0, 2.0]], [0, 0, 1, 1])
    """
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"income": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], "debt": [5.0, 1.0, 4.0, 2.0, 3.0, 0.0]})
    X = X.iloc[:rows]
    return X, LogisticRegression().fit(X, [0] * (rows // 2) + [1] * (rows - rows // 2))


def two_groups(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One feature ``x``, 0/1 outcomes that follow it with noise, and groups ``a`` (first half) and ``b``.

    Examples
    --------
    >>> X, y, groups = two_groups()
    >>> X.shape, int(y.sum()), groups[[0, -1]].tolist()
    ((200, 1), 93, ['a', 'b'])
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = (X["x"] + rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y, np.repeat(["a", "b"], [n // 2, n - n // 2])
