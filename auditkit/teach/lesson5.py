"""Lesson 5, LIME and when explanations disagree: LIME repeated with seeds, SHAP next to LIME, and the checkers.

The model and the rows are lesson 4's (:func:`auditkit.teach.lesson4.load_rows`,
:func:`~auditkit.teach.lesson4.make_model`). LIME explains one row by asking the model about
thousands of perturbed copies of it and fitting a weighted linear model to the answers; which
copies it draws depends on a random seed, so two runs can tell different stories.
:func:`lime_by_seed` repeats LIME on one row with several seeds, :func:`stability_by_samples`
shows how the number of copies changes that, and :func:`side_by_side` sets each explained row's
SHAP values next to its LIME weights. The checkers compute their answers from the tables the
student passes them.

Examples
--------
>>> from auditkit.teach import lesson5
>>> lesson5.LIME_OPTIONS["num_samples"]
1000
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditkit.exceptions import InputError
from auditkit.explain.agreement import feature_agreement, top_k
from auditkit.teach import lesson4
from auditkit.teach.checks import answer_near, check_columns, check_number
from auditkit.teach.feedback import NOT_YET, Feedback
from auditkit.text import show

if TYPE_CHECKING:
    from auditkit.result import AuditResult

K = 5
"""Size of the lists of top features compared."""
LIME_OPTIONS: dict[str, Any] = {"n_instances": 8, "repeats": 5, "num_samples": 1000}
"""Settings of the lime step in the lesson's audit: 8 rows, each explained 5 times with 1,000 perturbed copies."""
SEEDS = (1, 2, 3, 4, 5)


@functools.cache
def lesson_audit() -> lesson4.LessonAudit:
    """Lesson 4's model (the same trained model) audited with SHAP, LIME and their agreement, as the notebook does it.

    Made once, then cached.

    Examples
    --------
    >>> lesson_audit().result.table("lime", "instances")["reason"].iloc[0]
    'most confident error, sex=Female'
    """
    import auditkit

    training, audited, model = (getattr(lesson4.lesson_audit(), name) for name in ("training", "audited", "model"))
    result = auditkit.audit(data=audited, model=model, target=lesson4.TARGET, positive_label=lesson4.POSITIVE_LABEL,
                            sensitive=["sex"], steps=["shap", "lime", "agreement"], step_options={"lime": LIME_OPTIONS},
                            data_name="Adult: 500 test rows", progress=False)
    return lesson4.LessonAudit(training, audited, model, result)


def lime_by_seed(model: Any, row: pd.DataFrame, training: pd.DataFrame, seeds: Sequence[int] = SEEDS, *,
                 num_samples: int = LIME_OPTIONS["num_samples"]) -> pd.DataFrame:
    """LIME's weights for one row, once per seed: one row per seed, one column per feature.

    Parameters
    ----------
    model : fitted classifier
        Called on DataFrames with the columns of ``training`` but the target.
    row : DataFrame
        The row to explain, as a one-row DataFrame (``audited.loc[[label]]``).
    training : DataFrame
        Rows LIME takes the spread of each feature from (the target column, if there, is left out).
    seeds : sequence of int
        One LIME run per seed.
    num_samples : int, default 1000
        Perturbed copies of the row LIME asks the model about, per run.

    Examples
    --------
    >>> lesson = lesson_audit()
    >>> weights = lime_by_seed(lesson.model, lesson.audited.iloc[[0]], lesson.training, seeds=[1, 2], num_samples=300)
    >>> weights.index.tolist(), weights.shape
    ([1, 2], (2, 13))
    """
    from auditkit.explain.lime_runs import explain_with_lime

    if not isinstance(row, pd.DataFrame) or len(row) != 1:
        raise InputError(f"row must be a one-row DataFrame, e.g. audited.loc[[label]]; got {_described(row)}")
    inputs = [c for c in training.columns if c != lesson4.TARGET]
    runs = explain_with_lime(model, row[inputs], training[inputs], [int(s) for s in seeds],
                             positive_label=lesson4.POSITIVE_LABEL, num_samples=int(num_samples))
    return pd.DataFrame(runs.weights[0], index=pd.Index(list(seeds), name="seed"), columns=runs.features)


def stability_by_samples(model: Any, row: pd.DataFrame, training: pd.DataFrame,
                         sizes: Sequence[int] = (250, 1000, 5000), seeds: Sequence[int] = SEEDS, *,
                         k: int = K) -> pd.DataFrame:
    """How stable LIME's explanation of one row is across ``seeds``, for each number of perturbed copies in ``sizes``.

    Returns
    -------
    DataFrame
        Indexed by ``num_samples``: ``top_k_jaccard`` (mean Jaccard index of the top-``k`` feature
        lists over every pair of seeds; 1 means the same features every time) and ``weight_std``
        (standard deviation of a weight across seeds, averaged over the features).

    Examples
    --------
    >>> lesson = lesson_audit()
    >>> table = stability_by_samples(lesson.model, lesson.audited.iloc[[0]], lesson.training, sizes=[200],
    ...                              seeds=[1, 2])
    >>> table.columns.tolist(), table.index.tolist()
    (['top_k_jaccard', 'weight_std'], [200])
    """
    rows = []
    for size in sizes:
        weights = lime_by_seed(model, row, training, seeds, num_samples=size)
        rows.append({"num_samples": int(size), "top_k_jaccard": mean_jaccard(weights, k),
                     "weight_std": float(weights.std(axis=0, ddof=0).mean())})
    return pd.DataFrame(rows).set_index("num_samples")


def mean_jaccard(weights: pd.DataFrame, k: int = K) -> float:
    """Mean Jaccard index of the top-``k`` feature lists (by absolute weight) over every pair of rows of ``weights``.

    Examples
    --------
    >>> weights = pd.DataFrame([[0.5, 0.3, 0.1], [0.5, 0.0, 0.3]], columns=["a", "b", "c"])
    >>> round(mean_jaccard(weights, k=2), 3)  # {a, b} and {a, c}: one of three features in both
    0.333
    """
    tops = [_top(row, k) for _, row in weights.iterrows()]
    pairs = list(combinations(tops, 2))
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs])) if pairs else 1.0


def side_by_side(result: AuditResult | None = None) -> pd.DataFrame:
    """Each row LIME explained in an audit, with each feature's SHAP value and LIME weight (mean over the repeats).

    Returns
    -------
    DataFrame
        ``row_id``, ``feature`` (in the model's column order), ``shap`` (log-odds) and ``lime``
        (probability of earning over $50K).

    Examples
    --------
    >>> table = side_by_side()
    >>> table.columns.tolist(), len(table)
    (['row_id', 'feature', 'shap', 'lime'], 104)
    """
    result = lesson_audit().result if result is None else result
    values = lesson4.shap_values(result)
    lime = result.table("lime", "weights")
    weights = lime.set_index(["row_id", "feature"])["weight"]
    rows = [{"row_id": row, "feature": feature, "shap": float(values.loc[row, feature]),
             "lime": float(weights[(row, feature)])}
            for row in dict.fromkeys(lime["row_id"]) for feature in values.columns]
    return pd.DataFrame(rows, columns=["row_id", "feature", "shap", "lime"])


def lime_conditions(result: AuditResult | None = None, row: Any = None) -> pd.DataFrame:
    """LIME's explanation of one row as it reads it: conditions on the row's values and their weights (first run).

    Examples
    --------
    >>> lime_conditions().columns.tolist()
    ['condition', 'weight']
    """
    result = lesson_audit().result if result is None else result
    instances = {str(i["row_id"]): i for i in result.step("lime").payload["lime"]["instances"]}
    if not instances:
        raise InputError("the audit's lime step explained no row")
    key = next(iter(instances)) if row is None else str(row)
    if key not in instances:
        raise InputError(f"row must be a row LIME explained ({', '.join(instances)}); got {show(row)}")
    return pd.DataFrame(instances[key]["conditions"], columns=["condition", "weight"])


def check_seed_overlap(answer: Any, weights: pd.DataFrame, *, k: int = K) -> Feedback:
    """Is ``answer`` the Jaccard index of the top-``k`` features of the first two rows (seeds) of ``weights``?

    Examples
    --------
    >>> weights = pd.DataFrame([[0.5, 0.3, 0.1], [0.5, 0.0, 0.3]], index=[1, 2], columns=["a", "b", "c"])
    >>> check_seed_overlap(1 / 3, weights, k=2)
    Overlap of two LIME runs: ✓ Right: 1 of the 3 features in either top-2 list is in both: the runs agree on ...
    """
    title = "Overlap of two LIME runs"
    if len(weights) < 2:
        raise InputError(f"weights must have a row for each of at least two seeds; got {len(weights)}")
    first, second = _top(weights.iloc[0], k), _top(weights.iloc[1], k)
    common, either = len(first & second), len(first | second)
    expected = common / either
    hint = (f"For each of the first two seeds, take the {k} features with the largest weight in size (.abs()); "
            "the Jaccard index is the number of features in both lists divided by the number in either list.")
    if not answer_near(answer, expected):
        if answer_near(answer, common):
            return Feedback(NOT_YET, "that counts the features in both lists; the index divides the count by the "
                            "number of features in either list.", hint, title)
        if either != k and answer_near(answer, common / k):
            return Feedback(NOT_YET, f"divide by the number of features in either list, not by {k}.", hint, title)
    why = (f"{common} of the {either} features in either top-{k} list {'is' if common == 1 else 'are'} in both: the "
           f"runs agree on {'all' if common == k else 'only some'} of their top features.")
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def check_feature_agreement(answer: Any, row: Any, *, table: pd.DataFrame | None = None, k: int = K) -> Feedback:
    """Is ``answer`` the share of the top-``k`` features (by size) that SHAP and LIME have in common for ``row``?

    ``table`` is :func:`side_by_side`'s (default: the lesson's).

    Examples
    --------
    >>> table = pd.DataFrame({"row_id": [7] * 3, "feature": ["a", "b", "c"], "shap": [0.5, -0.3, 0.1],
    ...                       "lime": [0.1, 0.0, 0.2]})
    >>> check_feature_agreement(1, 7, table=table, k=2).message
    'that counts the features in both lists; feature agreement is the share of the 2.'
    """
    rows = _rows_of(table, row)
    expected = feature_agreement(rows["shap"].to_numpy(), rows["lime"].to_numpy(), k)
    common = round(expected * min(k, len(rows)))
    title = "SHAP and LIME: feature agreement"
    hint = (f"In the rows of the table for this person, take the {k} features with the largest SHAP values in size "
            f"(.abs()) and the {k} with the largest LIME weights in size; count the features in both, then divide "
            f"by {k}.")
    if not answer_near(answer, expected) and answer_near(answer, common):
        return Feedback(NOT_YET, f"that counts the features in both lists; feature agreement is the share of the {k}.",
                        hint, title)
    why = (f"{common} of the top {k} features are the same for SHAP and LIME"
           + (": they agree on what matters most." if common == k else "; the others are in only one top list."))
    return check_number(answer, expected, why=why, hint=hint, exercise=title)


def check_top_in_both(answer: Any, *, table: pd.DataFrame | None = None, k: int = K) -> Feedback:
    """Does ``answer`` name the features in the top ``k`` of both SHAP and LIME, over all the explained rows?

    A feature's size is the mean of its absolute SHAP values (of its absolute LIME weights) over
    the rows of ``table`` (:func:`side_by_side`'s, default the lesson's).

    Examples
    --------
    >>> table = pd.DataFrame({"row_id": [7, 7, 7], "feature": ["a", "b", "c"], "shap": [0.5, -0.3, 0.1],
    ...                       "lime": [0.4, 0.0, -0.2]})
    >>> check_top_in_both(["a"], table=table, k=2)
    Top features of both: ✓ Right: SHAP's top 2 are a, b and LIME's a, c: 1 feature in both.
    """
    table = side_by_side() if table is None else table
    features = list(dict.fromkeys(table["feature"]))
    sizes = table.assign(shap=table["shap"].abs(), lime=table["lime"].abs()).groupby("feature", sort=False)[
        ["shap", "lime"]].mean().loc[features]
    shap_top = [features[i] for i in top_k(sizes["shap"].to_numpy(), k)]
    lime_top = [features[i] for i in top_k(sizes["lime"].to_numpy(), k)]
    both = [f for f in shap_top if f in lime_top]
    why = (f"SHAP's top {k} are {', '.join(shap_top)} and LIME's {', '.join(lime_top)}: {len(both)} "
           f"feature{'' if len(both) == 1 else 's'} in both.")
    hint = (f"Average the absolute SHAP values and the absolute LIME weights of each feature over the explained rows "
            f"(groupby feature); take the top {k} of each, then keep the features that are in both lists.")
    return check_columns(answer, both, columns=features, why=why, hint=hint, exercise="Top features of both")


def _top(weights: pd.Series, k: int) -> set[str]:
    return {str(weights.index[i]) for i in top_k(weights.to_numpy(dtype=float), k)}


def _rows_of(table: pd.DataFrame | None, row: Any) -> pd.DataFrame:
    table = side_by_side() if table is None else table
    ids = {str(r) for r in table["row_id"]}
    if str(row) not in ids:
        raise InputError(f"row must be a row_id of the table ({', '.join(sorted(ids))}); got {show(row)}")
    return table[table["row_id"].astype(str) == str(row)]


def _described(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame of {len(value)} rows"
    return f"a {type(value).__name__}"
