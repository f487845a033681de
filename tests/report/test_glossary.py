"""The glossary explains every term the report uses, in one sentence each, and the first use links to it."""

from __future__ import annotations

import re

import pytest

import auditkit
from auditkit.report.document import front_html
from auditkit.report.findings_view import findings_html
from auditkit.report.glossary import TERMS, TermLinker, glossary_html, term_anchor, terms_for

# Terms the issue names, as the report writes them, and the glossary entry each must link to.
USED = {
    "selection rate": "selection-rate", "true positive rate": "true-positive-rate", "TPR": "true-positive-rate",
    "false positive rate": "false-positive-rate", "FPR": "false-positive-rate", "equalized odds": "equalized-odds",
    "demographic parity": "demographic-parity", "equal opportunity": "equal-opportunity",
    "predictive parity": "predictive-parity", "calibration": "calibration", "log-odds": "log-odds",
    "Holm correction": "holm", "Benjamini-Hochberg": "benjamini-hochberg", "Cramér's V": "cramers-v",
    "bootstrap interval": "bootstrap", "Wilson score interval": "wilson-interval",
    "Four-fifths rule": "four-fifths-rule",
    "SHAP": "shap", "LIME": "lime", "additivity": "additivity", "95% CI": "ci", "adjusted p": "p-value",
    "reference group": "reference-group", "Jaccard": "jaccard", "base rate": "base-rate", "proxies": "proxy",
    "precision": "precision", "balanced accuracy": "balanced-accuracy",
}


@pytest.mark.parametrize(("text", "slug"), USED.items())
def test_every_term_used_links_to_its_entry(text, slug):
    html = TermLinker().link(f"Here: {text}.")
    assert re.findall(r"href='#([^']+)'", html) == [term_anchor(slug)]
    assert html_text(html) == f"Here: {text}."


def html_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&#x27;", "'")


def test_entries_are_one_plain_sentence_with_a_unique_anchor():
    assert len({t.slug for t in TERMS}) == len(TERMS)
    for term in TERMS:
        assert term.sentence.endswith(".") and not re.search(r"[.!?] [A-Z]", term.sentence), term.slug
        assert len(term.sentence) < 220, term.slug


def test_only_the_first_use_is_linked_and_text_is_escaped():
    linker = TermLinker()
    first = linker.link("<script>: the selection rate, then the selection rate again")
    assert first.startswith("&lt;script&gt;: the <a ") and first.count("<a ") == 1
    assert linker.link("selection rate") == "selection rate"


def test_overlapping_terms_link_once_and_the_other_waits_for_its_next_use():
    linker = TermLinker()
    html = linker.link("true positive rate (TPR)")  # the same entry twice: one link
    assert html.count("<a ") == 1


def test_entries_of_parts_the_audit_does_not_have_are_left_out_and_never_linked():
    doc = {"fairness": {"by_group": []}}
    slugs = {t.slug for t in terms_for(doc)}
    assert "shap" not in slugs and "demographic-parity" in slugs
    assert "href" not in TermLinker(doc).link("SHAP values")
    assert "term-shap" not in glossary_html(doc)


@pytest.fixture(scope="module")
def doc():
    return auditkit.audit(data="compas", predictions="compas_high_risk", steps=["data_bias", "fairness"],
                          progress=False, policy={"demographic_parity_ratio": {"min": 0.8}},
                          step_options={"fairness": {"n_boot": 100, "correction": "bh"},
                                        "data_bias": {"n_boot": 50}}).to_dict()


def test_every_link_of_the_report_has_its_entry_in_the_glossary(doc):
    html = front_html(doc, "bias") + findings_html(doc)
    links = set(re.findall(r"href='#(term-[^']+)'", html))
    anchors = set(re.findall(r"id='(term-[^']+)'", glossary_html(doc)))
    assert links and links <= anchors
    assert {"term-benjamini-hochberg", "term-demographic-parity", "term-four-fifths-rule", "term-ci"} <= links
