"""Report tables fit the page: wide ones split (every column kept), long ones folded (every row kept once),
the same gap shown once only when its two records are identical; measured in Chromium at 1024 px."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from auditkit import audit
from auditkit.report import bias_views, html_tables, views
from auditkit.report.bias_tables import BOTH_METHODS, SAME_GAP_FIELDS, disparities_tables, merged_disparities


def _tables(html: str) -> list[dict]:
    """Each ``<table>``: its headers, its rows (cell texts) and whether it sits in a folded ``<details>``."""
    out = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        heads = [th.get_text() for th in table.find("thead").find_all("th")]
        rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
        out.append({"heads": heads, "rows": rows, "folded": table.find_parent("details") is not None})
    return out


def _wide_frame(n_rows: int = 3) -> pd.DataFrame:
    """A by-group table as the report has one: a label column, counts, 12 rates and a flag."""
    rng = np.random.default_rng(0)
    metrics = ["selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
               "true_negative_rate", "precision", "negative_predictive_value", "accuracy", "balanced_accuracy",
               "base_rate", "roc_auc", "brier_score"]
    frame = pd.DataFrame({"group": [f"sex=Female, race=Amer-Indian-Eskimo {i}" for i in range(n_rows)],
                          "n": rng.integers(10, 20000, n_rows)})
    for metric in metrics:
        frame[metric] = rng.random(n_rows)
    frame["small_group"] = False
    return frame


def test_a_wide_table_is_split_keeping_every_column_and_its_label_column():
    frame = _wide_frame()
    tables = _tables(views.table_html(frame))
    assert len(tables) == 2
    assert [t["heads"][0] for t in tables] == ["group", "group"]  # the rows are named in every part
    shown = [h for t in tables for h in t["heads"][1:]]
    assert shown == [html_tables.header_text(c) for c in frame.columns[1:]]  # every column once, in order
    for table in tables:
        assert [row[0] for row in table["rows"]] == frame["group"].tolist()
    by_header = {h: [row[i] for row in t["rows"]] for t in tables for i, h in enumerate(t["heads"])}
    assert by_header["selection rate"] == [f"{v:.3f}" for v in frame["selection_rate"]]
    assert by_header["n"] == [f"{v:,}" for v in frame["n"]]


@pytest.mark.parametrize("n_columns", [1, 5, 14, 30])
def test_no_part_is_estimated_wider_than_the_page(n_columns):
    frame = _wide_frame().iloc[:, :n_columns]
    texts = html_tables.text_frame(frame)
    widths = dict(zip(texts.columns, html_tables.min_widths(texts), strict=True))
    for part in html_tables.column_parts(texts):
        assert sum(widths[c] for c in part) <= html_tables.TABLE_WIDTH_PX or len(part) <= 2


@pytest.mark.parametrize(("n_rows", "folded"), [(1, False), (15, False), (16, True), (88, True)])
def test_a_long_table_shows_its_first_rows_and_folds_the_others(n_rows, folded):
    frame = pd.DataFrame({"bin": range(n_rows), "share": np.linspace(0, 1, n_rows)})
    html = views.table_html(frame)
    tables = _tables(html)
    rows = [row[0] for t in tables for row in t["rows"]]
    assert rows == [str(i) for i in range(n_rows)]  # every row, once, in order
    if folded:
        assert [len(t["rows"]) for t in tables] == [html_tables.PREVIEW_ROWS, n_rows - html_tables.PREVIEW_ROWS]
        assert [t["folded"] for t in tables] == [False, True]
        assert f"Show the other {n_rows - 10} rows ({n_rows} in all)" in html
    else:
        assert len(tables) == 1 and "<details" not in html


def test_cells_are_compact_and_escaped():
    frame = pd.DataFrame({"group": ["<b>A</b>"], "n": [12538], "row_id": [12538], "rate": [0.08043],
                          "small_group": [True], "auc": [None]})
    table = _tables(views.table_html(frame))[0]
    assert table["heads"] == ["group", "n", "row id", "rate", "small group", "auc"]
    assert table["rows"] == [["<b>A</b>", "12,538", "12538", "0.080", "yes", "undefined"]]
    assert "<b>A</b>" not in views.table_html(frame)


# -- the same gap between groups and to the reference: one row only when the records are identical ---------------

GAP = {"metric": "selection_rate", "first": {"sex": "Male"}, "second": {"sex": "Female"}}
RECORD = {"grouping": "sex", "features": ["sex"], "reference": {"sex": "Male"}, "name": "demographic_parity_difference",
          "criterion": "demographic_parity", "metrics": ["selection_rate"], "measure": "difference", "value": 0.18043,
          "ci": [0.16879, 0.19254], "ci_degenerate": False, "gap": GAP, "n_groups_compared": 2, "excluded": []}


def _pair(**changes) -> list[dict]:
    between = {**copy.deepcopy(RECORD), "method": "between_groups"}
    to_reference = {**copy.deepcopy(RECORD), "method": "to_reference", **changes}
    return [between, to_reference]


def test_identical_records_are_shown_in_one_row():
    merged = merged_disparities(_pair())
    assert [r["method"] for r in merged] == [BOTH_METHODS]
    table = disparities_tables({"fairness": {"disparities": _pair()}})["sex"]
    assert table["method"].tolist() == ["between groups = to reference"] and table["value"].tolist() == [0.18043]


@pytest.mark.parametrize("change", [
    {"value": 0.18044}, {"ci": [0.16879, 0.19255]}, {"ci": None},
    {"gap": {**GAP, "second": {"sex": "Other"}}},  # the same number about another pair of groups
    {"excluded": [{"metric": "precision", "group": {"sex": "Other"}, "denominator": 3}]},
    {"n_groups_compared": 3},
])
def test_different_records_are_never_merged(change):
    assert set(change) <= set(SAME_GAP_FIELDS)
    records = _pair(**change)
    merged = merged_disparities(records)
    assert [r["method"] for r in merged] == ["between_groups", "to_reference"]
    table = disparities_tables({"fairness": {"disparities": records}})["sex"]
    assert table["method"].tolist() == ["between groups", "to reference"]


def test_a_real_audit_merges_exactly_the_identical_pairs(frame):
    result = audit(data=frame, target="approved", sensitive=["sex", "region"], predictions="decision",
                   steps=["fairness"], step_options={"fairness": {"n_boot": 50}}, progress=False)
    records = result.to_dict()["fairness"]["disparities"]
    merged = merged_disparities(records)
    both = [r for r in merged if r["method"] == BOTH_METHODS]
    assert {r["grouping"] for r in both} >= {"sex"}  # two groups: every criterion shown once
    assert len(merged) == len(records) - len(both)
    for row in both:  # each merged row stands for two records with the very same numbers
        twins = [r for r in records if (r["grouping"], r["name"]) == (row["grouping"], row["name"])]
        assert [t["method"] for t in twins] == ["between_groups", "to_reference"]
        assert all(twins[0][k] == twins[1][k] == row[k] for k in SAME_GAP_FIELDS)
    html = bias_views.bias_html(json.loads(result.to_json()))
    assert "one row shows both" in html  # the caption says so


# -- measured in a browser -------------------------------------------------------------------------------------

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
MEASURE = """<script>
window.addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });  // folded rows count too
  const out = [];
  document.querySelectorAll('table').forEach(t => {
    const box = t.closest('.jp-OutputArea-output');
    out.push([t.querySelector('th').textContent, Math.ceil(t.getBoundingClientRect().width), box.clientWidth,
              box.scrollWidth]);
  });
  const pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (Debian: apt-get install chromium)")
def test_every_report_table_fits_a_1024_px_window(tmp_path):
    """Wide by-group and comparison tables with long group names, exported by nbconvert, opened in Chromium."""
    import nbformat

    from auditkit.report.render import export_html

    rng = np.random.default_rng(1)
    n = 1500
    data = pd.DataFrame({"sex": rng.choice(["Female", "Male"], n),
                         "race": rng.choice(["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "White"], n),
                         "x": rng.normal(size=n)})
    data["label"] = (data["x"] + rng.normal(size=n) > 0).astype(int)
    data["score"] = 1 / (1 + np.exp(-data["x"]))
    data["decision"] = (data["score"] > 0.5).astype(int)
    result = audit(data=data, target="label", sensitive=["sex", "race"], predictions="decision", scores="score",
                   steps=["fairness", "data_bias"], step_options={"fairness": {"n_boot": 30},
                                                                  "data_bias": {"n_boot": 20}}, progress=False)
    doc = json.loads(result.to_json())
    fragments = [views.table_html(views.by_group_frame(doc, grouping).drop(columns=["grouping"]))
                 for grouping in views.groupings_in(doc)]
    fragments.append(bias_views.bias_html(doc))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "", outputs=[nbformat.v4.new_output("display_data", data={"text/html": views.plain_html(f)})
                     for f in fragments])])
    nbformat.write(notebook, tmp_path / "report.ipynb")
    page = export_html(tmp_path / "report.ipynb", tmp_path / "report.html")
    page.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
                          "--window-size=1024,800", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    measured = json.loads(BeautifulSoup(dom, "html.parser").find("pre", id="measured").get_text())
    assert len(measured) >= 10
    too_wide = [(head, width, room) for head, width, room, scrolled in measured if width > room or scrolled > room]
    assert too_wide == []
