"""model_card.md: Hugging Face front matter whose numbers are audit.json's, Mitchell et al.'s sections, prompts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import auditkit
from auditkit.report.card_metadata import BY_GROUP_METRICS
from auditkit.report.model_card import PROMPT_PREFIX, SECTIONS, model_card
from auditkit.result import AuditResult

# A group name that would end a Markdown table cell, break its row, or inject HTML, if written as is.
NASTY = "a|b\nc <script>x</script>"


@pytest.fixture(scope="module")
def german_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference-mode audit of the bundled German credit data, written by audit_to_dir without a report."""
    out = tmp_path_factory.mktemp("card") / "german"
    auditkit.audit_to_dir(out_dir=out, data="german", seed=1, sample=90, steps=["performance", "fairness"],
                          report=False, progress=False)
    return out


@pytest.fixture(scope="module")
def predictions_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A predictions-mode audit of the user's own frame, large enough for disparities, with a nasty group name."""
    frame = auditkit.datasets.make_biased(1200, seed=0).frame
    frame["group"] = frame["group"].map({"A": NASTY, "B": "B"})
    frame["decision"] = (frame["x0"] + np.where(frame["group"] == "B", 0.5, 0.0) > 0).astype(int)
    out = tmp_path_factory.mktemp("card") / "own"
    auditkit.audit_to_dir(out_dir=out, data=frame, target="label", sensitive=["group"], predictions="decision",
                          seed=0, steps=["performance", "fairness"], report=False, progress=False)
    return out


@pytest.fixture(params=["german_dir", "predictions_dir"])
def audit_dir(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("\n---\n", 1)[0].removeprefix("---\n"))


def sections(card: str) -> dict[str, str]:
    """The text of each ``## `` section of the card, by heading."""
    parts = re.split(r"^## (.+)$", card, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_audit_to_dir_writes_the_card_of_the_audit_it_wrote(german_dir: Path) -> None:
    card = (german_dir / "model_card.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in german_dir.iterdir()) == ["audit.json", "model_card.md"]
    assert card == AuditResult.from_json(german_dir).model_card()  # from audit.json only: a loaded audit, same card


def test_front_matter_is_hugging_face_metadata(german_dir: Path) -> None:
    front = front_matter((german_dir / "model_card.md").read_text(encoding="utf-8"))
    assert front["license"] == "unknown"
    assert {"auditkit", "fairness"} <= set(front["tags"])
    assert front["datasets"] == ["german"]
    (entry,) = front["model-index"]
    assert entry["name"] == "HistGradientBoostingClassifier in a Pipeline"  # the reference model's kind
    for result in entry["results"]:
        assert result["task"]["type"] == "tabular-classification"
        assert result["dataset"]["name"] == "german"
        assert all({"type", "name", "value"} <= set(m) for m in result["metrics"])


def test_front_matter_numbers_are_audit_json_numbers(audit_dir: Path) -> None:
    doc = json.loads((audit_dir / "audit.json").read_text(encoding="utf-8"))
    front = front_matter((audit_dir / "model_card.md").read_text(encoding="utf-8"))
    metrics = [m for r in front["model-index"][0]["results"] for m in r["metrics"]]
    overall = [m for m in metrics if m["name"].endswith("(overall)")]
    by_group = [m for m in metrics if "group" in m.get("args", {})]
    disparities = [m for m in metrics if "method" in m.get("args", {})]
    assert len(overall) + len(by_group) + len(disparities) == len(metrics)

    expected_overall = {k: v for k, v in doc["performance"]["overall"].items() if k != "n"}
    assert {m["type"]: m["value"] for m in overall} == expected_overall
    assert {m["type"] for m in overall} >= {"accuracy", "selection_rate", "true_positive_rate"}

    rows = {json.dumps(r["group"], sort_keys=True): r for r in doc["fairness"]["by_group"]}
    for metric in by_group:
        row = rows[json.dumps(metric["args"]["group"], sort_keys=True)]
        assert metric["value"] == row["metrics"][metric["type"]]
        assert [metric["args"]["ci_low"], metric["args"]["ci_high"]] == row["ci"][metric["type"]]
        assert metric["args"]["n"] == row["n"]
    expected = sum(r["metrics"].get(m) is not None for r in doc["fairness"]["by_group"] for m in BY_GROUP_METRICS)
    assert len(by_group) == expected > 0  # every group's rates, none left out

    for metric in disparities:
        matches = [d for d in doc["fairness"]["disparities"]
                   if (d["grouping"], d["name"], d["method"]) == (metric["args"]["grouping"], metric["type"],
                                                                 metric["args"]["method"])]
        assert len(matches) == 1
        assert metric["value"] == matches[0]["value"]
        assert [metric["args"]["ci_low"], metric["args"]["ci_high"]] == matches[0]["ci"]


def test_predictions_audit_has_disparities_in_front_matter_and_table(predictions_dir: Path) -> None:
    card = (predictions_dir / "model_card.md").read_text(encoding="utf-8")
    front = front_matter(card)
    types = {m["type"] for r in front["model-index"][0]["results"] for m in r["metrics"]}
    assert "demographic_parity_difference" in types
    assert "| demographic_parity_difference |" in sections(card)["Quantitative analyses"]


def test_small_audit_says_no_disparity_could_be_estimated(german_dir: Path) -> None:
    analyses = sections((german_dir / "model_card.md").read_text(encoding="utf-8"))["Quantitative analyses"]
    assert "No disparity could be estimated" in analyses
    assert "### By sex" in analyses and "### By age_group" in analyses


def test_every_section_of_mitchell_et_al_in_order(audit_dir: Path) -> None:
    card = (audit_dir / "model_card.md").read_text(encoding="utf-8")
    assert list(sections(card)) == list(SECTIONS) == [
        "Model details", "Intended use", "Factors", "Metrics", "Evaluation data", "Training data",
        "Quantitative analyses", "Ethical considerations", "Caveats and recommendations"]


@pytest.mark.parametrize(("fixture", "section", "prompted"), [
    ("german_dir", "Intended use", True),
    ("german_dir", "Ethical considerations", True),
    ("german_dir", "Caveats and recommendations", True),
    ("german_dir", "Training data", False),  # auditkit trained the reference model: it knows
    ("german_dir", "Evaluation data", False),  # the bundled datasheet says it
    ("predictions_dir", "Training data", True),  # only the authors know
    ("predictions_dir", "Evaluation data", True),  # the user's own data: no datasheet
    ("predictions_dir", "Model details", True),
])
def test_prompts_where_only_the_authors_know(fixture: str, section: str, prompted: bool,
                                             request: pytest.FixtureRequest) -> None:
    card = (request.getfixturevalue(fixture) / "model_card.md").read_text(encoding="utf-8")
    assert (PROMPT_PREFIX in sections(card)[section]) is prompted


def test_card_states_what_the_audit_knows(german_dir: Path) -> None:
    doc = json.loads((german_dir / "audit.json").read_text(encoding="utf-8"))
    card = sections((german_dir / "model_card.md").read_text(encoding="utf-8"))
    model = doc["provenance"]["model"]
    assert "Datasheet:** the bundled datasets/german/DATASHEET.md" in card["Evaluation data"]
    assert doc["provenance"]["data_sha256"] in card["Evaluation data"]
    assert f"on {model['train_rows']} rows of german" in card["Training data"]
    assert f"sample of {model['test_rows']} of the other 300 rows" in card["Training data"]
    assert "| learning_rate | 0.1 |" in card["Model details"]
    assert f"scikit-learn {doc['provenance']['packages']['scikit-learn']}" in card["Model details"]
    medium = [f["id"] for f in doc["findings"] if f["severity"] in ("high", "medium")]
    assert medium and all(f"({i})" in card["Ethical considerations"] for i in medium)


UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_data_strings_cannot_break_a_table(predictions_dir: Path) -> None:
    card = (predictions_dir / "model_card.md").read_text(encoding="utf-8")
    body = card.split("\n---\n", 1)[1]
    assert "<script>" not in body
    for table in re.findall(r"(?:^\|.*\|$\n?)+", body, flags=re.MULTILINE):
        lines = table.strip("\n").split("\n")
        widths = {len(UNESCAPED_PIPE.findall(line)) for line in lines}
        assert len(widths) == 1, table
    assert r"| group=a\|b c &lt;script&gt;x&lt;/script&gt; |" in body
    groups = [m["args"]["group"]["group"] for r in front_matter(card)["model-index"][0]["results"]
              for m in r["metrics"] if "group" in m.get("args", {})]
    assert NASTY in groups  # the front matter keeps the exact name (YAML quotes it)


def test_model_card_of_a_minimal_result_has_prompts_not_errors() -> None:
    card = model_card(AuditResult(provenance={}, dataset={"name": "x"}))
    assert list(sections(card)) == list(SECTIONS)
    assert front_matter(card)["model-index"] == [{"name": "the audited model", "results": []}]
