"""The words a lesson uses, one plain sentence each: the report's glossary and the lessons' own terms.

A lesson ends with ``teach.glossary("selection-rate", "label-bias", ...)``: the entries of the
report's glossary (:data:`auditkit.report.glossary.TERMS`) and of :data:`LESSON_TERMS`, shown as
a definition list in JupyterLab and as text elsewhere.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from auditkit.exceptions import InputError
from auditkit.report.glossary import TERMS, Term

LESSON_TERMS: tuple[Term, ...] = (
    Term("sensitive-feature", "Sensitive feature", "A column such as sex or race that says which group a person "
         "belongs to, and across whose groups the decisions are compared.", (r"\bsensitive features?\b",)),
    Term("representation", "Representation", "How large a share of the rows each group is; a group that is rarer "
         "in the data than in the population it stands for is under-represented.", (r"\brepresent\w*",)),
    Term("label-bias", "Label bias", "When the recorded outcome (the label) is wrong more often for one group, for "
         "example because past decisions or measurements were unfair; a model learns the bias with the labels.",
         (r"\blabel bias\b",)),
    Term("unawareness", "Fairness through unawareness", "Leaving the sensitive feature out of the model's inputs; it "
         "does not stop a model from using the feature through proxies.", (r"\bunaware\w*",)),
    Term("impossibility", "Impossibility theorem", "When groups' base rates differ, a score cannot be calibrated in "
         "every group and have equal false positive and false negative rates too, unless it predicts perfectly "
         "(Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2016).", (r"\bimpossib\w*",)),
    Term("recidivism", "Recidivism", "Reoffending; in the COMPAS data, a new arrest within two years of the risk "
         "assessment.", (r"\brecidivism\b",)),
    Term("gradient-boosting", "Gradient-boosted trees", "A model made of many small decision trees, each one "
         "correcting the errors of those before it; a classifier of this kind adds up the trees' scores in "
         "log-odds.", (r"\bgradient[- ]boost\w*",)),
    Term("base-value", "Base value", "Where every SHAP explanation of a model starts: about the model's average "
         "output over the data it was trained on; a row's SHAP values say how far its own output lies from it.",
         (r"\bbase values?\b",)),
    Term("global-importance", "Global importance", "How much a feature matters to a model over many rows: the mean "
         "of its absolute SHAP values, whatever their direction.", (r"\bglobal importance\b",)),
    Term("local-explanation", "Local explanation", "An explanation of one prediction, for one row: its SHAP values "
         "or its LIME weights.", (r"\blocal explanations?\b",)),
    Term("beeswarm", "Beeswarm plot", "One dot per row on each feature's line, placed at the row's SHAP value of the "
         "feature and coloured by the feature's value: importance and direction in one picture.", (r"\bbeeswarm\b",)),
    Term("waterfall", "Waterfall plot", "One row's explanation drawn as bars that start at the base value and add "
         "the row's SHAP values one at a time, up to the model's output for the row.", (r"\bwaterfall\b",)),
    Term("dependence-plot", "Dependence plot", "Each row's SHAP value of a feature drawn against the feature's value: "
         "how the model's use of the feature changes with the value, and, by the spread, how far it depends on the "
         "other features.", (r"\bdependence plots?\b",)),
    Term("interaction", "Interaction", "When the effect of one feature on a model's output depends on the value of "
         "another feature.", (r"\binteractions?\b",)),
    Term("gap-decomposition", "Gap decomposition", "The gap in mean model output between two groups split into one "
         "part per feature: the difference between the groups' mean SHAP values of that feature. By additivity the "
         "parts add up to the gap.", (r"\bgap decomposition\b",)),
    Term("perturbed-copy", "Perturbed copy", "A copy of a row with some of its values replaced at random; LIME asks "
         "the model about thousands of them.", (r"\bperturb\w*",)),
    Term("surrogate-model", "Surrogate model", "A simple model fitted to imitate a complex one; LIME's is a weighted "
         "linear model near one row, whose weights are the explanation and whose R² (local_r2) says how well it "
         "imitates the model there.", (r"\bsurrogate\b",)),
    Term("random-seed", "Random seed", "The number that starts a random number generator: the same seed gives the "
         "same random draws, another seed other draws.", (r"\bseeds?\b",)),
    Term("stability", "Stability of an explanation", "Whether an explanation stays the same when it is computed "
         "again with another random seed; measured here by the top-k Jaccard index between the runs.",
         (r"\bstab(?:le|ility)\b",)),
    Term("feature-agreement", "Feature agreement", "The share of the top-k features that two explanations of the "
         "same row have in common, from 0 (none) to 1 (the same features), one of the agreement measures of "
         "Krishna et al. (2022).", (r"\bfeature agreement\b",)),
    # lessons 6 and 7: mitigation; writing up an audit and its uncertainty
    Term("accuracy", "Accuracy", "The share of rows whose decision matches the recorded true outcome.",
         (r"(?<!balanced )\baccuracy\b",)),
    Term("mitigation", "Mitigation", "A change to a model, or to its decisions, meant to make a disparity between "
         "groups smaller.", (r"\bmitigat\w*",)),
    Term("held-out", "Held-out rows", "Rows kept apart while a model (or a mitigation) is fitted, so that it can be "
         "measured fairly on them: a model does better on the rows it learnt from.", (r"\bheld[- ]out\b",)),
    Term("threshold", "Decision threshold", "The score above which a model's decision is positive; post-processing "
         "can give each group a threshold of its own.", (r"\bdecision thresholds?\b",)),
    Term("levelling-down", "Levelling down", "Making groups more equal by taking something away from the better-off "
         "group (for example selecting fewer of its members) instead of giving more to the worse-off group.",
         (r"\blevell?ing[ -]down\b",)),
    Term("finding", "Finding", "One statement an audit makes about the data or the model, with a severity (high, "
         "medium, low or info) and the numbers behind it.", (r"\bfindings?\b",)),
    Term("audit-report", "Audit report", "The page auditkit writes for an audit (report.html, from the notebook "
         "report.ipynb): verdict, scorecard, findings and every table with its intervals, with where the data and "
         "model came from.", (r"\baudit report\b", r"\breport\.html\b")),
    Term("model-card", "Model card", "A short document that goes with a model: what it is for, how and on which "
         "groups it was evaluated, the results with their uncertainty, and its limits (Mitchell et al. 2019).",
         (r"\bmodel cards?\b",)),
    Term("scorecard", "Scorecard", "The report's table that judges each fairness criterion against a threshold: pass "
         "when the whole interval of the disparity is at or below it, fail when all of it is above, uncertain when "
         "it straddles the threshold.", (r"\bscorecard\b",)),
    Term("uncertain", "Uncertain (scorecard status)", "The interval of a disparity has values on both sides of the "
         "threshold: the data cannot tell whether the criterion is met. It is not a pass.", (r"\buncertain\b",)),
    Term("small-group", "Small group", "A group with fewer rows than the audit's minimum (min_group_size, 30 unless "
         "set otherwise): its rates are shown with their intervals, but left out of comparisons, tests and the "
         "scorecard.", (r"\bsmall groups?\b",)),
    Term("degenerate-interval", "Degenerate interval", "An interval that is a single point, such as [1, 1] when every "
         "bootstrap resample gives a rate of 1; it does not mean the rate is certain, so auditkit shows a Wilson "
         "interval instead.", (r"\bdegenerate\b", r"\bsingle point\b")),
)
"""Terms the lessons use that the report's glossary does not define."""


@dataclass(frozen=True)
class Glossary:
    """Some glossary entries, shown as a definition list (``_repr_html_``) or as text.

    Examples
    --------
    >>> print(glossary("base-rate"))
    Base rate: The share of rows whose recorded true outcome is positive, before any model decides anything.
    """

    terms: tuple[Term, ...]

    def __str__(self) -> str:
        return "\n".join(f"{term.name}: {term.sentence}" for term in self.terms)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        items = "".join(f"<dt style='font-weight:bold;margin-top:0.4em'>{html.escape(t.name)}</dt>"
                        f"<dd style='margin-left:1.5em'>{html.escape(t.sentence)}</dd>" for t in self.terms)
        return f"<dl class='auditkit-glossary'>{items}</dl>"


def glossary(*slugs: str) -> Glossary:
    """The glossary entries named by ``slugs`` (e.g. ``"selection-rate"``), in the order given.

    Raises
    ------
    InputError
        A slug that names no entry; the message lists them all.

    Examples
    --------
    >>> [term.name for term in glossary("label-bias", "proxy").terms]
    ['Label bias', 'Proxy']
    """
    known = {term.slug: term for term in (*TERMS, *LESSON_TERMS)}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise InputError(f"no glossary entry {', '.join(map(repr, unknown))}; the entries are: {', '.join(known)}")
    return Glossary(tuple(known[slug] for slug in slugs))
