"""The report's context and provenance sections (auditkit/report/context_views.py) and the lean header."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

import auditkit
from auditkit import datasets
from auditkit.report.context_facts import cannot_tell, datasheet
from auditkit.report.context_views import AUDIT_JSON_LINK, context_html, provenance_html
from auditkit.report.views import header_html
from auditkit.result import AuditResult

SCRIPT = "<script>alert(1)</script>"
PROMPT = "<b>Not stated</b> —"


def _own_frame(n: int = 600):
    """The user's own data, with a script in a column name, a group name, and a data file name."""
    frame = datasets.make_biased(n, seed=0).frame
    frame["group"] = frame["group"].map({"A": SCRIPT, "B": "B"})
    frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    return frame.rename(columns={"x1": f"x1{SCRIPT}"})


@pytest.fixture(scope="module")
def reference_doc() -> dict:
    return auditkit.audit(data="german", sample=300, seed=1, steps=["performance", "fairness", "shap"],
                          exclude=["sex", "personal_status_sex"], progress=False).to_dict()


@pytest.fixture(scope="module")
def predictions_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ctx") / "own"
    auditkit.audit_to_dir(out_dir=out, data=_own_frame(), target="label", sensitive=["group"],
                          predictions="decision", steps=["performance", "fairness"], report=False, progress=False,
                          data_name=f"loans {SCRIPT}", intended_use=f"Screening {SCRIPT}\n\nSecond paragraph.",
                          limitations=f"Old data {SCRIPT}")
    return out


def test_every_string_from_the_data_and_the_spec_is_escaped(predictions_dir: Path, reference_doc: dict) -> None:
    doc = json.loads((predictions_dir / "audit.json").read_text(encoding="utf-8"))
    shown = context_html(doc) + provenance_html(doc) + header_html(doc)
    assert "<script>" not in shown
    assert "Screening &lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "Old data &lt;script&gt;" in shown and "loans &lt;script&gt;" in shown
    named = auditkit.audit(data="german", sample=200, steps=["performance"], progress=False,
                           model_name=f"gbm {SCRIPT}").to_dict()
    assert "<script>" not in context_html(named) + header_html(named)
    assert "gbm &lt;script&gt;" in context_html(named)


def test_stated_text_replaces_the_prompts_and_keeps_its_paragraphs(predictions_dir: Path) -> None:
    shown = context_html(json.loads((predictions_dir / "audit.json").read_text(encoding="utf-8")))
    use = shown.split("<h4>Intended use</h4>")[1].split("<h4>")[0]
    limitations = shown.split("<h4>Limitations</h4>")[1].split("<h3>")[0]
    assert PROMPT not in use and PROMPT not in limitations
    assert use.count("<p class='auditkit-stated'>") == 2 and "Second paragraph." in use


def test_what_only_the_authors_know_is_a_marked_prompt(reference_doc: dict) -> None:
    shown = context_html(reference_doc)
    assert "<h4>Intended use</h4><p class='auditkit-prompt'" in shown
    assert "<h4>Limitations</h4><p class='auditkit-prompt'" in shown
    assert f"{PROMPT} the model&#x27;s authors should say what the model is for" in shown


@pytest.mark.parametrize("name", datasets.list())
def test_the_datasheet_link_opens_the_bundled_datasheet(name: str) -> None:
    doc = auditkit.audit(data=name, sample=200, steps=["performance"], progress=False).to_dict()
    shown = context_html(doc)
    (href,) = re.findall(r"<a href='([^']+)'>" + name + "/DATASHEET.md</a>", shown)
    path = Path(url2pathname(urlparse(href).path))
    assert urlparse(href).scheme == "file" and path.is_file()
    assert path == datasets.load(name).datasheet.resolve()
    assert path.read_text(encoding="utf-8").startswith("# Datasheet:")
    summary = dict(datasheet(doc).summary)
    assert "Rows" in summary and "Licence" in summary and "<summary>Its summary</summary>" in shown


def test_a_loaded_dataset_renamed_keeps_its_datasheet() -> None:
    doc = auditkit.audit(data=datasets.load("compas"), data_name="my compas", predictions="compas_high_risk",
                         sample=200, steps=["performance"], progress=False).to_dict()
    assert datasheet(doc).dataset == "compas"
    assert "The target is re-arrest, not re-offending" in context_html(doc)  # the datasheet's caveats


def test_own_data_prompts_for_a_datasheet(predictions_dir: Path) -> None:
    doc = json.loads((predictions_dir / "audit.json").read_text(encoding="utf-8"))
    assert datasheet(doc) is None
    assert f"{PROMPT} the data&#x27;s owners should say where these rows come from" in context_html(doc)


def test_the_reference_model_details(reference_doc: dict) -> None:
    model = reference_doc["provenance"]["model"]
    shown = context_html(reference_doc)
    assert "<b>HistGradientBoostingClassifier in a Pipeline</b>" in shown
    assert "<code>sklearn.pipeline.Pipeline</code> whose final step is <code>HistGradientBoostingClassifier</code>" \
        in shown
    assert "set: <code>early_stopping=False</code>, <code>random_state=1</code>; the other" in shown
    assert model["train_rows"] + reference_doc["dataset"]["n_rows"] == 1000  # german's split: 700 train, 300 audited
    assert f"{model['train_rows']} rows of german, fitted by auditkit" in shown
    assert "none: trained in this audit" in shown


def test_a_given_model_asks_for_its_training_data() -> None:
    frame = datasets.make_biased(300, seed=0).frame
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=0.5).fit(frame[["x0", "proxy"]], frame["label"])
    doc = auditkit.audit(data=frame, model=model, target="label", sensitive=["group"], features=["x0", "proxy"],
                         steps=["performance"], progress=False).to_dict()
    shown = context_html(doc)
    assert "<b>LogisticRegression</b>" in shown and "set: <code>C=0.5</code>" in shown
    assert f"<code>{doc['provenance']['model_sha256']}</code> (skops content)" in shown
    assert f"{PROMPT} the model&#x27;s authors should say which data trained the model" in shown


@pytest.mark.parametrize(("steps", "present", "absent"), [
    (["performance"], ["Label bias cannot be seen"], ["groups the data do not record", "SHAP and LIME"]),
    (["fairness", "shap"], ["groups recorded in sex, age_group only", "SHAP and LIME explain the model"], []),
    (["data_overview"], ["held-out split"], ["Label bias"]),
])
def test_what_the_audit_cannot_tell_follows_what_it_ran(steps, present, absent) -> None:
    doc = auditkit.audit(data="german", sample=200, steps=steps, progress=False).to_dict()
    limits = " ".join(cannot_tell(doc))
    assert [p for p in present if p not in limits] == [] and [a for a in absent if a in limits] == []


def test_the_limits_of_an_audit_without_the_sensitive_features(reference_doc: dict) -> None:
    assert "Leaving sex, personal_status_sex out of the model's inputs" in " ".join(cannot_tell(reference_doc))


def test_the_limits_of_an_audit_of_decisions(predictions_dir: Path) -> None:
    limits = cannot_tell(json.loads((predictions_dir / "audit.json").read_text(encoding="utf-8")))
    assert any(line.startswith("No model was called") for line in limits)
    assert any("600 audited rows" in line for line in limits)


def test_the_provenance_links_audit_json_beside_the_report(predictions_dir: Path) -> None:
    doc = json.loads((predictions_dir / "audit.json").read_text(encoding="utf-8"))
    shown = provenance_html(doc)
    (href,) = re.findall(r"<a href='([^']+)'>audit.json</a>", shown)
    assert AUDIT_JSON_LINK in shown and (predictions_dir / href).is_file()  # relative to the report's folder
    prov = doc["provenance"]
    for text in (prov["data_sha256"], prov["python"], prov["auditkit_version"], f"numpy {prov['packages']['numpy']}",
                 prov["started"], prov["finished"]):
        assert text in shown
    assert "none: no model was called" in shown


def test_the_audit_json_of_a_decisions_audit_still_loads(predictions_dir: Path) -> None:
    text = (predictions_dir / "audit.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in audit.json"))
    assert doc["schema_version"] == "1" and doc["provenance"]["model"] is None
    assert AuditResult.from_json(predictions_dir).to_dict() == doc


def test_the_header_keeps_to_what_was_audited(reference_doc: dict) -> None:
    header = header_html(reference_doc)
    prov = reference_doc["provenance"]
    assert "reference model <b>HistGradientBoostingClassifier in a Pipeline</b> trained" in header
    assert prov["data_sha256"] not in header and prov["python"] not in header and "Seed" not in header


def test_context_and_provenance_are_left_untypeset(reference_doc: dict) -> None:
    for fragment in (context_html(reference_doc), provenance_html(reference_doc)):
        assert "tex2jax_ignore mathjax_ignore" in fragment[:80]


def test_a_minimal_document_renders_with_prompts() -> None:
    doc = {"provenance": {}, "dataset": {"name": "x", "n_rows": 14653, "mode": "model"}}
    assert PROMPT in context_html(doc) and AUDIT_JSON_LINK in provenance_html(doc)
    assert "14,653</td>" in context_html(doc)

