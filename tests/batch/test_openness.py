"""The openness checklist of a model (Model Openness Framework): plan, spec, audit.json, model card, summary, page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from batch_fixtures import quick_plan, zoo_fixture  # noqa: F401 - the zoo fixture

import auditkit
from auditkit import AuditSpec, InputError
from auditkit.batch import BatchPlan
from auditkit.batch.index import write_outputs
from auditkit.batch.summary import summary_frame
from auditkit.batch.task import run_planned
from auditkit.io.openness import COMPONENTS, checked_openness

RELEASED = {"released": True, "url": None, "licence": None}
STATED = {"model_card": "https://example.org/card?a=1&b=<2>", "training_code": {"url": "https://example.org/code",
          "licence": "MIT"}, "weights_licence": "Apache-2.0", "datasets": False, "evaluation_code": None}
CHECKED = {
    "training_code": {"released": True, "url": "https://example.org/code", "licence": "MIT"},
    "model_parameters": {"released": True, "url": None, "licence": "Apache-2.0"},
    "datasets": {"released": False, "url": None, "licence": None},
    "model_card": {"released": True, "url": "https://example.org/card?a=1&b=<2>", "licence": None},
}


def test_the_components_are_the_model_openness_frameworks():
    names = [name for name, _ in COMPONENTS.values()]
    assert names == ["Model architecture", "Data preprocessing code", "Training code", "Inference code",
                     "Evaluation code", "Supporting libraries and tools", "Model parameters (final)",
                     "Model parameters (intermediate)", "Datasets", "Evaluation data", "Model metadata",
                     "Sample model outputs", "Model card", "Data card", "Technical report", "Research paper",
                     "Evaluation results"]
    kinds = [kind for _, kind in COMPONENTS.values()]
    assert (kinds.count("code"), kinds.count("data"), kinds.count("documentation")) == (6, 6, 5)


@pytest.mark.parametrize(("given", "expected"), [
    (None, {}),
    ({"model_card": "https://example.org/card"}, {"model_card": {**RELEASED, "url": "https://example.org/card"}}),
    ({"training_code": True}, {"training_code": RELEASED}),
    ({"datasets": False}, {"datasets": {**RELEASED, "released": False}}),
    ({"datasets": None}, {}),  # not stated: unknown
    ({"weights": {"url": "u", "licence": "MIT"}}, {"model_parameters": {"released": True, "url": "u",
                                                                        "licence": "MIT"}}),
    ({"weights_licence": "MIT"}, {"model_parameters": {**RELEASED, "licence": "MIT"}}),
    ({"datasheet": "u", "data_card_licence": "CC-BY-4.0"}, {"data_card": {"released": True, "url": "u",
                                                                          "licence": "CC-BY-4.0"}}),
    ({"evaluation_code": {"released": False}}, {"evaluation_code": {**RELEASED, "released": False}}),
    (STATED, CHECKED),
])
def test_each_form_of_a_component_gives_one_form(given, expected):
    checked = checked_openness(given)
    assert checked == expected
    assert list(checked) == [c for c in COMPONENTS if c in checked]  # the MOF's order
    assert checked_openness(checked) == checked  # the one form is a form given: specs round-trip


GOOD = {"datasets": {"g": {"data": "german"}}, "models": {"m": {"path": "m.skops"}}}


@pytest.mark.parametrize(("openness", "message"), [
    ("yes", r"plan model 'm': openness must be a mapping of component to a URL, true or false, or \{url, licence, "
            r"released\}, e.g. \{model_card: URL, weights_licence: MIT\}; got 'yes' \(str\)"),
    ({"modelcard": True}, r"plan model 'm': openness: unknown component 'modelcard' \(did you mean 'model_card'\?\); "
                          r"expected a Model Openness Framework component: model_architecture, ..., "
                          r"evaluation_results \(or <component>_licence\)"),
    ({"weight_licence": "MIT"}, r"plan model 'm': openness: unknown component 'weight_licence' \(did you mean "
                                r"'weights'\?\)"),
    ({"training_code": 3}, r"plan model 'm': openness.training_code must be a URL, true or false, or \{url, licence, "
                           r"released\}; got 3 \(int\)"),
    ({"model_card": ""}, r"plan model 'm': openness.model_card must be a URL, .*; got '' \(str\)"),
    ({"weights_licence": 3}, r"plan model 'm': openness.weights_licence must be non-empty text; got 3 \(int\)"),
    ({"datasets": False, "datasets_licence": "MIT"}, "plan model 'm': openness: datasets_licence gives a licence of "
                                                     r"datasets, which it says is not released \(false\); drop one"),
    ({"datasets": {"released": False, "url": "u"}}, r"plan model 'm': openness.datasets is not released \(released: "
                                                    r"false\) but has a url or licence; drop one"),
    ({"datasets": {"lisence": "MIT"}}, r"plan model 'm': openness.datasets: unknown setting 'lisence' \(did you mean "
                                       r"'licence'\?\); expected some of: url, licence, released"),
    ({"datasets": {"released": "yes"}}, r"plan model 'm': openness.datasets.released must be true or false; got "
                                        r"'yes' \(str\)"),
    ({"datasets": {"url": 7}}, r"plan model 'm': openness.datasets.url must be non-empty text; got 7 \(int\)"),
])
def test_a_bad_checklist_is_one_line_naming_the_model_and_component(tmp_path, openness, message):
    (tmp_path / "m.skops").touch()
    plan = {**GOOD, "models": {"m": {"path": "m.skops", "openness": openness}}}
    with pytest.raises(InputError, match=message) as caught:
        BatchPlan.from_dict(plan, base=tmp_path)
    assert "\n" not in str(caught.value)


def test_the_spec_checks_the_checklist_and_refuses_it_without_a_model():
    assert AuditSpec(data="german", model_openness=STATED).model_openness == CHECKED
    assert AuditSpec(data="german", model_openness=None).model_openness == {}
    with pytest.raises(InputError, match=r"^model_openness: unknown component 'x'"):
        AuditSpec(data="german", model_openness={"x": True})
    with pytest.raises(InputError, match=r"^model_openness must be a mapping of openness component to its state; "
                                         r"got \['model_card'\] \(list\)"):
        AuditSpec(data="german", model_openness=["model_card"])
    with pytest.raises(InputError, match="model_openness= applies to a model; an audit of predictions= has no model"):
        AuditSpec(data="compas", predictions="is_recid", model_openness={"model_card": True})


def test_the_plan_passes_the_checklist_to_the_spec_and_the_summary(tmp_path):
    (tmp_path / "m.skops").touch()
    (tmp_path / "n.skops").touch()
    plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {
        "m": {"path": "m.skops", "openness": STATED}, "n": "n.skops"}}, base=tmp_path)
    stated, unstated = plan.audits
    assert stated.spec.model_openness == CHECKED and stated.model_info["openness"] == CHECKED
    assert unstated.spec.model_openness == {} and unstated.model_info["openness"] is None
    summary = summary_frame(plan, {}, tmp_path).set_index("name")
    assert summary.loc["m-g", ["openness", "openness_released", "openness_not_released", "openness_licences"]].tolist(
    ) == ["3 of 17", "training_code; model_parameters; model_card", "datasets",
          "training_code: MIT; model_parameters: Apache-2.0"]
    assert summary.loc["n-g", ["openness", "openness_released"]].tolist() == ["0 of 17", ""]


def test_index_shows_components_by_model_with_safe_links(tmp_path):
    (tmp_path / "m.skops").touch()
    (tmp_path / "n.skops").touch()
    evil = {**STATED, "research_paper": "javascript:alert(1)", "data_card": "https://example.org/'><script>x"}
    plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {
        "m": {"path": "m.skops", "openness": evil}, "n": {"path": "n.skops", "openness": {"model_card": False}}}},
        base=tmp_path)
    write_outputs(plan, {}, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<h2>Openness of the models</h2>" in page and "arXiv:2403.13784" in page
    table = page[page.index("<h2>Openness"):]
    table = table[:table.index("</table>")]
    rows = {row.split("</td>")[0].removeprefix("<tr><td>"): row for row in table.split("\n") if row.startswith("<tr>")}
    assert len(rows) == 18  # 17 components and the count
    assert "href='https://example.org/card?a=1&amp;b=%3C2%3E'" in rows["Model card"]
    assert "<td class='withheld'>✗</td>" in rows["Model card"]  # model n
    assert ("<td class='released'><a href='https://example.org/code' title='https://example.org/code'>✓</a> "
            "<small>MIT</small></td>"
            "<td class='unknown'>unknown</td>") in rows["Training code"]
    assert "href='javascript" not in page and "✓ javascript:alert(1)" in rows["Research paper"]  # text, not a link
    assert "<script>" not in page
    assert "<tr><th>released</th><td></td><td>5 of 17</td><td>0 of 17</td></tr>" in table


def test_without_checklists_the_page_has_no_openness_table(tmp_path):
    (tmp_path / "m.skops").touch()
    plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": "m.skops"}}, base=tmp_path)
    write_outputs(plan, {}, tmp_path)
    assert "Openness" not in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert pd.read_csv(tmp_path / "summary.csv")["openness"].tolist() == ["0 of 17"]


def test_a_batch_audit_records_the_checklist_in_audit_json_and_the_model_card(zoo, tmp_path):
    mapping = quick_plan(["logreg"])
    mapping["models"]["logreg"]["openness"] = STATED
    audit = BatchPlan.from_dict(mapping, base=zoo).audits[0]
    record = run_planned(audit, str(tmp_path), key="k")
    assert record["status"] == "ok", record
    folder = Path(tmp_path) / audit.name
    model = json.loads((folder / "audit.json").read_text(encoding="utf-8"))["provenance"]["model"]
    assert model["openness"] == CHECKED
    assert (model["source"], model["licence"]) == (None, None)  # beside the model's other provenance
    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert ("Openness, after the components of the Model Openness Framework (White et al. 2024): 3 of 17 "
            "components released, 13 not stated (as given to the audit, not checked):") in card
    assert "| Training code | yes | https://example.org/code | MIT |" in card
    assert "| Datasets | no |  |  |" in card
    assert "| Model card | yes | https://example.org/card?a=1&amp;b=&lt;2&gt; |  |" in card


def test_a_solo_audit_records_the_checklist_too():
    result = auditkit.audit(data="german", sample=300, seed=1, steps=["performance"], progress=False,
                            model_openness={"weights": "https://example.org/w"})
    assert result.to_dict()["provenance"]["model"]["openness"] == {
        "model_parameters": {"released": True, "url": "https://example.org/w", "licence": None}}


def test_the_readme_plan_is_a_valid_plan_with_a_checklist():
    import yaml

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Batch audits"):]
    block = section[section.index("```yaml") + len("```yaml"):]
    plan = BatchPlan.from_dict(yaml.safe_load(block[:block.index("```")]), check_files=False)
    logreg = plan.audits[0]
    assert logreg.model == "logreg"
    assert list(logreg.spec.model_openness) == ["training_code", "model_parameters", "datasets", "model_card"]
