"""The batch's summary (figures from audit.json, ranks with ties), its comparison page, stamps, the CLI command."""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pytest

import auditkit
from auditkit import cli
from auditkit.batch import BatchPlan
from auditkit.batch.index import index_html, write_outputs
from auditkit.batch.stamp import STAMP_FILE, read_stamp, remove_stamp, write_stamp
from auditkit.batch.summary import add_ranks, audit_figures, worst_disparities

POLICY = {"demographic_parity_difference": {"max": 0.1}, "equal_opportunity_difference": {"max": 0.9}}


@pytest.fixture(scope="module")
def german_audit() -> dict:
    result = auditkit.audit(data="german", sample=300, seed=1, steps=["performance", "fairness", "shap"],
                            step_options={"fairness": {"n_boot": 50}, "shap": {"max_rows": 60}}, policy=POLICY,
                            progress=False)
    return json.loads(json.dumps(result.to_dict(), default=str))


def test_figures_are_the_audits_own_numbers(german_audit):
    figures = audit_figures(german_audit)
    overall = german_audit["performance"]["overall"]
    assert (figures["accuracy"], figures["roc_auc"], figures["n_rows"]) == (overall["accuracy"], overall["roc_auc"],
                                                                           300)
    between = [d for d in german_audit["fairness"]["disparities"]
               if d["measure"] == "difference" and d["method"] == "between_groups" and d["value"] is not None]
    for name in {d["name"] for d in between}:  # independently: the largest value of that criterion
        worst = max((d for d in between if d["name"] == name), key=lambda d: d["value"])
        assert (figures[name], figures[f"{name}_ci_low"], figures[f"{name}_ci_high"]) == (worst["value"],
                                                                                          *worst["ci"])
        assert figures[f"{name}_grouping"] == worst["grouping"]
    importance = pd.DataFrame(german_audit["explanations"]["global_importance"])
    top = importance.sort_values("mean_abs_shap", ascending=False)["feature"].head(3).tolist()
    assert figures["top_features"] == "; ".join(top)
    statuses = [r["status"] for r in german_audit["checks"]["results"]]
    assert figures["policy_failed"] == statuses.count("failed")
    assert figures["policy"] == ("failed" if "failed" in statuses else
                                 "passed" if set(statuses) == {"passed"} else "undefined")


@pytest.mark.parametrize(("rows", "expected"), [
    ([], {}),
    ([{"name": "d", "measure": "difference", "method": "between_groups", "value": float("nan")}], {}),
    ([{"name": "d", "measure": "difference", "method": "to_reference", "value": 0.9},
      {"name": "d", "measure": "difference", "method": "between_groups", "value": 0.2, "grouping": "a"},
      {"name": "d", "measure": "difference", "method": "between_groups", "value": 0.3, "grouping": "b"}],
     {"d": "b"}),
])
def test_the_worst_difference_is_between_groups_and_defined(rows, expected):
    assert {name: row["grouping"] for name, row in worst_disparities(rows).items()} == expected


@pytest.mark.parametrize(("values", "lows", "highs", "ranks"), [
    ([0.1, 0.2, 0.5], [0.05, 0.16, 0.45], [0.15, 0.25, 0.55], [1, 2, 3]),  # no overlap: plain order
    ([0.1, 0.2], [0.05, 0.15], [0.15, 0.25], [1, 1]),  # intervals that touch overlap
    ([0.1, 0.2, 0.5], [0.0, 0.1, 0.45], [0.25, 0.3, 0.55], [1, 1, 3]),  # first two overlap: tied
    ([0.1, 0.2, 0.3], [0.0, 0.05, 0.22], [0.21, 0.3, 0.4], [1, 1, 2]),  # third: behind the first, tied with 2nd
    ([0.1, None, 0.3], [0.0, None, 0.2], [0.15, None, 0.4], [1, None, 2]),  # no value: no rank
    ([0.1, 0.3], [None, None], [None, None], [1, 2]),  # no interval: the estimates decide
])
def test_ranks_tie_where_intervals_overlap(values, lows, highs, ranks):
    frame = pd.DataFrame({"dataset": "d", "gap": values, "gap_ci_low": lows, "gap_ci_high": highs})
    got = add_ranks(frame)["gap_rank"].tolist()
    assert [None if pd.isna(r) else int(r) for r in got] == ranks


def test_ranks_are_within_a_dataset():
    frame = pd.DataFrame({"dataset": ["a", "a", "b"], "gap": [0.1, 0.5, 0.9], "gap_ci_low": [0.0, 0.4, 0.8],
                          "gap_ci_high": [0.2, 0.6, 1.0]})
    assert add_ranks(frame)["gap_rank"].tolist() == [1, 2, 1]


def test_the_page_escapes_every_value_and_links_each_audit():
    frame = pd.DataFrame({
        "name": ["m1-d", "m2-d"], "model": ["<b>m1</b>", "m2"], "dataset": ["d & e", "d & e"],
        "status": ["ok", "failed"], "error": ["", "ValueError: <script>alert(1)</script>"],
        "report": ["m1-d/report.html", None], "accuracy": [0.81, None], "top_features": ["<i>age</i>; sex", None],
        "gap": [0.2, None], "gap_ci_low": [0.1, None], "gap_ci_high": [0.3, None], "gap_grouping": ["sex", None],
        "gap_rank": [1, None]})
    page = index_html(frame)
    assert "<script>" not in page and "<b>m1" not in page and "<i>age" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "Dataset d &amp; e" in page
    assert "href='m1-d/report.html'" in page
    assert "0.200 [0.100, 0.300] (rank 1) by sex" in page
    assert re.search(r"<img alt='Dataset d &amp; e: models &lt;b&gt;m1&lt;/b&gt; compared on accuracy", page)
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=['\"]https?:", page)  # offline: nothing fetched


def test_outputs_are_written_for_a_plan_with_no_completed_audit(tmp_path):
    plan = BatchPlan.from_dict({"datasets": {"g": "german"}, "models": {"m": "m.skops"}}, check_files=False)
    summary = write_outputs(plan, {"m-g": {"status": "failed", "error": "boom", "seconds": 0.5}}, tmp_path)
    assert summary[["name", "status", "error"]].values.tolist() == [["m-g", "failed", "boom"]]
    assert pd.read_csv(tmp_path / "summary.csv")["status"].tolist() == ["failed"]
    assert "No audit of this dataset completed" in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


# --- stamps: what counts as complete --------------------------------------------------------------------------


@pytest.fixture
def stamped(tmp_path):
    (tmp_path / "audit.json").write_text('{"schema_version": "1"}', encoding="utf-8")
    (tmp_path / "report.html").write_text("<html></html>", encoding="utf-8")
    write_stamp(tmp_path, "key", {"status": "ok", "seconds": 2.0})
    return tmp_path


def test_a_stamped_folder_is_complete(stamped):
    assert read_stamp(stamped, "key") == {"status": "ok", "seconds": 2.0}


@pytest.mark.parametrize("damage", [
    lambda folder: (folder / "report.html").unlink(),
    lambda folder: (folder / "audit.json").write_text('{"schema_version": ', encoding="utf-8"),
    lambda folder: (folder / STAMP_FILE).write_text('{"key": "key", "rec', encoding="utf-8"),
    lambda folder: remove_stamp(folder),
])
def test_a_changed_or_half_written_folder_is_not_complete(stamped, damage):
    damage(stamped)
    assert read_stamp(stamped, "key") is None


def test_other_settings_or_inputs_are_not_complete(stamped):
    assert read_stamp(stamped, "another key") is None


# --- the command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("statuses", "code"), [(["ok", "ok"], 0), (["ok", "failed"], 1), (["partial"], 1)])
def test_the_batch_command_makes_one_call(monkeypatch, tmp_path, capsys, statuses, code):
    calls = []

    def fake_batch(plan, **options):
        calls.append((plan, options))
        return pd.DataFrame({"status": statuses})

    monkeypatch.setattr(sys.modules["auditkit.batch"], "batch", fake_batch)  # auditkit.batch is also the function
    assert cli.main(["batch", "plan.yaml", "--workers", "2", "--out", str(tmp_path), "--timeout", "60", "-q"]) == code
    assert calls == [("plan.yaml", {"out": str(tmp_path), "workers": 2, "scheduler": None, "timeout": 60.0,
                                    "report": None, "progress": False, "log": None})]
    assert capsys.readouterr().out.strip() == str(tmp_path / "index.html")


def test_a_bad_plan_is_exit_2_with_one_line(tmp_path, capsys):
    (tmp_path / "plan.yaml").write_text("datasets: {g: german}\nmodels: {m: missing.skops}\n", encoding="utf-8")
    assert cli.main(["batch", str(tmp_path / "plan.yaml"), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditkit: error: plan model 'm': model file not found: missing.skops") and err.count(
        "\n") == 1
