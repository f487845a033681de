"""The report's glossary: every metric and statistical term it uses, in one plain sentence each.

Each entry has an anchor (``term-<slug>``) so that the first use of a term in the scorecard and
the findings links to it (:class:`TermLinker`). Entries about a part of the audit that did not
run (e.g. SHAP without explanations) are left out, and so are links to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from auditkit.report.summary import NO_TEX, esc

__all__ = ["TERMS", "Term", "TermLinker", "glossary_html", "term_anchor", "terms_for"]


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    Parameters
    ----------
    slug : str
        Anchor name (``term-<slug>``).
    name : str
        The term as the glossary lists it.
    sentence : str
        Its meaning, in one plain sentence.
    patterns : tuple of str
        Regular expressions of the ways the report writes it (matched case-insensitively
        unless ``exact_case``).
    section : str or None
        The ``audit.json`` section the term belongs to; the entry is left out when the audit
        has no such section (None: always shown).
    exact_case : bool
        Match the patterns with their case (abbreviations such as ``CI``).

    Examples
    --------
    >>> Term("ci", "Confidence interval (CI)", "A range.", (r"\\bCI\\b",), exact_case=True).anchor
    'term-ci'
    """

    slug: str
    name: str
    sentence: str
    patterns: tuple[str, ...]
    section: str | None = None
    exact_case: bool = False

    @property
    def anchor(self) -> str:
        return term_anchor(self.slug)

    def regex(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), 0 if self.exact_case else re.IGNORECASE)


def term_anchor(slug: str) -> str:
    """The HTML id of a glossary entry.

    Examples
    --------
    >>> term_anchor("selection-rate")
    'term-selection-rate'
    """
    return f"term-{slug}"


F, D, E, M = "fairness", "data", "explanations", "mitigation"
TERMS: tuple[Term, ...] = (
    Term("selection-rate", "Selection rate", "The share of rows that got the positive decision (for example approved, "
         "or predicted high risk).", (r"\bselection[ _]rates?\b", r"share of positive decisions")),
    Term("true-positive-rate", "True positive rate (TPR, recall)", "Among the rows whose true outcome is positive, the "
         "share that got a positive decision.", (r"\btrue[ _]positive[ _]rates?\b", r"\bTPR\b")),
    Term("false-positive-rate", "False positive rate (FPR)", "Among the rows whose true outcome is negative, the share "
         "that got a positive decision anyway.", (r"\bfalse[ _]positive[ _]rates?\b", r"\bFPR\b")),
    Term("false-negative-rate", "False negative rate", "Among the rows whose true outcome is positive, the share that "
         "got a negative decision (1 minus the true positive rate).", (r"\bfalse[ _]negative[ _]rates?\b",)),
    Term("precision", "Precision", "Among the rows that got a positive decision, the share whose true outcome is "
         "positive.", (r"\bprecision\b",)),
    Term("balanced-accuracy", "Balanced accuracy", "The average of the true positive and true negative rates: accuracy "
         "that does not reward always predicting the more common outcome.", (r"\bbalanced[ _]accuracy\b",)),
    Term("roc-auc", "ROC AUC", "The chance that a randomly chosen positive row gets a higher score than a randomly "
         "chosen negative one (0.5 is guessing, 1 is perfect ranking).", (r"\bROC[ _]AUC\b",)),
    Term("brier-score", "Brier score", "The mean squared difference between the predicted probability and the true "
         "outcome (0 or 1); lower is better.", (r"\bBrier\b",)),
    Term("demographic-parity", "Demographic parity", "The criterion that every group gets positive decisions at the "
         "same rate (equal selection rates), whatever their true outcomes.", (r"\bdemographic[ _]parity\b",), F),
    Term("equalized-odds", "Equalized odds", "The criterion that the groups have the same true positive rate and the "
         "same false positive rate, so errors fall equally on people with the same true outcome.",
         (r"\bequali[sz]ed[ _]odds\b",), F),
    Term("equal-opportunity", "Equal opportunity", "The part of equalized odds about true positive rates: people whose "
         "true outcome is positive get a positive decision equally often in every group.",
         (r"\bequal[ _]opportunity\b",), F),
    Term("predictive-parity", "Predictive parity", "The criterion that a positive decision is right equally often in "
         "every group (equal precision).", (r"\bpredictive[ _]parity\b",), F),
    Term("calibration", "Calibration", "Whether a score means the same in every group: among rows scored 0.7, about "
         "70% should turn out positive, whatever their group.", (r"\bcalibrat\w*",), F),
    Term("disparity", "Disparity (difference, ratio)", "How far apart the groups are on a rate: the difference is the "
         "highest minus the lowest group, the ratio the lowest divided by the highest.",
         (r"\bdisparit(?:y|ies)\b", r"\blargest gap\b"), F),
    Term("reference-group", "Reference group", "The group every other group of a grouping is compared with: the "
         "largest group, unless the audit's reference_groups names another.", (r"\breference group\b",), F),
    Term("intersection", "Intersection", "A grouping by several sensitive features at once (for example sex × race), "
         "whose groups are combinations such as Female and Black.", (r"\bintersections?\b",), F),
    Term("four-fifths-rule", "Four-fifths rule", "A rule of thumb from US employment guidelines: a selection rate "
         "below four fifths (0.8) of the highest group's is a warning sign of adverse impact.",
         (r"\bfour[- ]fifths\b",), F),
    Term("post-processing", "Post-processing (ThresholdOptimizer)", "A mitigation that keeps the model and changes its "
         "decisions afterwards, here with a decision threshold for each group chosen so that the groups meet a "
         "fairness criterion; each decision then needs the person's group.",
         (r"\bpost-processing\b", r"\bThresholdOptimizer\b"), M),
    Term("reductions", "Reductions (ExponentiatedGradient)", "A mitigation that trains the model anew many times on "
         "reweighted rows and mixes the models it gets, so that the mix meets a fairness criterion on its training "
         "rows.", (r"\breductions\b", r"\bExponentiatedGradient\b"), M),
    Term("pareto", "Trade-off (Pareto) view", "Accuracy plotted against disparity for each mitigation option; an "
         "option is on the Pareto front when no other option has both a smaller disparity and a higher accuracy.",
         (r"\bPareto\b", r"\btrade-offs?\b"), M),
    Term("ci", "Confidence interval (CI)", "A range of values compatible with the data at the stated level (e.g. 95%): "
         "a wide interval means an uncertain estimate.", (r"\bCI\b", r"\bconfidence intervals?\b"), exact_case=True),
    Term("bootstrap", "Bootstrap interval", "An interval found by recomputing a number on many resamples of the rows "
         "(drawn with replacement) and keeping the middle 95% of the results.", (r"\bbootstrap\w*",)),
    Term("wilson-interval", "Wilson score interval", "An interval for a share that stays sensible at 0% or 100%, used "
         "when every bootstrap resample gives the same rate.", (r"\bWilson\b",)),
    Term("p-value", "p-value (adjusted p)", "The probability of a gap at least this large if the groups truly had the "
         "same rate; a small value means the gap is unlikely to be chance.", (r"\bp-values?\b", r"\badjusted p\b")),
    Term("significant", "Significant", "Said of a gap whose adjusted p-value is below the significance level (alpha, "
         "0.05 unless set otherwise).", (r"\bsignifican(?:t|tly|ce)\b",)),
    Term("holm", "Holm correction", "An adjustment of p-values for making many comparisons at once, so that the chance "
         "of even one false alarm among them stays below the significance level.", (r"\bHolm\b",)),
    Term("benjamini-hochberg", "Benjamini–Hochberg correction", "A milder adjustment of p-values for many comparisons, "
         "which keeps the expected share of false alarms among the flagged gaps below the significance level.",
         (r"\bBenjamini[-–]Hochberg\b",)),
    Term("chi-square", "Chi-square and Fisher's exact tests", "Tests of whether two groups' rates differ by more than "
         "chance; Fisher's exact test is used when the counts are small.", (r"\bchi-square\b", r"\bFisher\b")),
    Term("base-rate", "Base rate", "The share of rows whose recorded true outcome is positive, before any model "
         "decides anything.", (r"\bbase[ _]rates?\b", r"\bshare of positive outcomes\b"), D),
    Term("proxy", "Proxy", "A column that reveals a sensitive feature, so a model can use the feature through it even "
         "when the feature itself is left out.", (r"\bprox(?:y|ies)\b",), D),
    Term("cramers-v", "Cramér's V", "A measure of how strongly two categorical columns are related, from 0 "
         "(unrelated) to 1 (one determines the other).", (r"\bCram[ée]r's V\b",), D),
    Term("mutual-information", "Mutual information", "How much knowing one column tells about another, in bits or "
         "nats; 0 means nothing.", (r"\bmutual[ _]information\b",), D),
    Term("shap", "SHAP", "A method that splits one prediction into parts, one per feature, that add up to the "
         "difference between the prediction and the average prediction (Shapley values).", (r"\bSHAP\b",), E, True),
    Term("additivity", "Additivity", "The property that a row's SHAP values plus the base value add up exactly to the "
         "model's output; auditkit checks it for every explained row.", (r"\badditivity\b",), E),
    Term("log-odds", "Log-odds", "The logarithm of p / (1 − p) for a probability p; many classifiers add up feature "
         "effects on this scale before turning it into a probability.", (r"\blog-odds\b",), E),
    Term("lime", "LIME", "A method that explains one prediction by fitting a simple weighted linear model to the "
         "model's predictions on perturbed copies of the row.", (r"\bLIME\b",), E, True),
    Term("jaccard", "Top-k Jaccard index", "The overlap of two lists of top features, from 0 (none shared) to 1 (the "
         "same), used to measure how stable or alike explanations are.", (r"\bJaccard\b",), E),
    Term("agreement", "Explanation agreement", "Measures of Krishna et al. (2022) of how far SHAP and LIME agree on "
         "the top features of a row and on the signs of their effects.", (r"\bagree(?:s|ment)?\b",), E),
)
"""Every glossary entry, in the order the glossary lists them."""


def terms_for(doc: dict[str, Any] | None = None) -> list[Term]:
    """The entries for an ``audit.json`` document: those of the sections it has (all without ``doc``).

    Examples
    --------
    >>> doc = {"fairness": {}, "performance": {}}
    >>> [t.slug for t in terms_for(doc)][:3], "shap" in [t.slug for t in terms_for(doc)]
    (['selection-rate', 'true-positive-rate', 'false-positive-rate'], False)
    """
    return [t for t in TERMS if doc is None or t.section is None or doc.get(t.section)]


def glossary_html(doc: dict[str, Any] | None = None) -> str:
    """The glossary as an HTML definition list, each entry with its anchor.

    Examples
    --------
    >>> html = glossary_html({"fairness": {"by_group": []}})
    >>> "<dt id='term-four-fifths-rule'>Four-fifths rule</dt>" in html, "term-shap" in html
    (True, False)
    """
    items = "".join(f"<dt id='{t.anchor}'>{esc(t.name)}</dt><dd>{esc(t.sentence)}</dd>" for t in terms_for(doc))
    return f"<dl class='auditkit-glossary {NO_TEX}'>{items}</dl>"


@dataclass
class TermLinker:
    """Links the first use of each glossary term in text to its entry (later uses stay plain).

    The text is escaped here: give it raw (as written in ``audit.json``), get HTML back.

    Examples
    --------
    >>> linker = TermLinker()
    >>> linker.link("A selection rate & a p-value.")
    "A <a class='auditkit-term' href='#term-selection-rate'>selection rate</a> &amp; a \
<a class='auditkit-term' href='#term-p-value'>p-value</a>."
    >>> linker.link("Another selection rate.")  # used before: not linked again
    'Another selection rate.'
    """

    doc: dict[str, Any] | None = None
    seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._patterns = [(t.slug, t.anchor, t.regex()) for t in terms_for(self.doc)]

    def link(self, text: Any) -> str:
        """``text`` as escaped HTML with the first use of each term not linked before made a link."""
        text = str(text)
        spans = []
        for slug, anchor, regex in self._patterns:
            match = None if slug in self.seen else regex.search(text)
            if match:
                spans.append((match.start(), match.end(), slug, anchor))
        out, position = [], 0
        for start, end, slug, anchor in sorted(spans):
            if start < position:
                continue  # overlaps a term linked just before; linked at its next use
            self.seen.add(slug)
            out.append(esc(text[position:start]))
            out.append(f"<a class='auditkit-term' href='#{anchor}'>{esc(text[start:end])}</a>")
            position = end
        out.append(esc(text[position:]))
        return "".join(out)
