"""p-values read as ``< 0.001`` or ``0.042`` wherever the report and findings show them; audit.json keeps the floats."""

from __future__ import annotations

import json
import math
import re

import pytest
from bs4 import BeautifulSoup

from auditkit import audit, datasets
from auditkit.report import bias_views
from auditkit.report.html_tables import cell_text
from auditkit.text import p_value

SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e[-+]?\d+", re.IGNORECASE)
P_SHOWN = re.compile(r"(?:< 0\.001|0\.\d{3}|1\.000)")  # what a p-value may look like once formatted


@pytest.mark.parametrize(("value", "text"), [
    (1.5e-33, "< 0.001"), (2.0e-144, "< 0.001"), (0.0, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
    (0.0423, "0.042"), (0.04249, "0.042"), (0.5, "0.500"), (0.99949, "0.999"), (0.9996, "1.000"), (1.0, "1.000"),
    (None, "undefined"), (math.nan, "undefined"),
])
def test_p_value(value, text):
    assert p_value(value) == text


def test_a_table_cell_keeps_the_p_value_on_one_line():
    assert cell_text(1e-40, is_p=True) == "<\u00a00.001"
    assert cell_text(1e-40) == "0.000"  # any other number keeps its decimals: only p-value columns are p-values


@pytest.fixture(scope="module")
def biased() -> dict:
    """An audit whose gaps are far beyond chance: p-values near 1e-30 in tests of the data and of the decisions."""
    frame = datasets.make_biased(3000, seed=0, base_rate_gap=0.3).frame
    frame["decision"] = (frame["x0"] + frame["proxy"] > 0).astype(int)
    frame.loc[frame.sample(frac=0.3, random_state=0).index[:600], "x1"] = None  # missing mostly in one draw
    frame.loc[(frame["group"] == "B") & (frame.index % 3 == 0), "x1"] = None
    result = audit(data=frame, target="label", sensitive=["group"], predictions="decision",
                   steps=["data_bias", "fairness"], step_options={"fairness": {"n_boot": 50},
                                                                 "data_bias": {"n_boot": 20}}, progress=False)
    return json.loads(result.to_json())


def test_findings_show_p_values_without_scientific_notation(biased):
    messages = [f["message"] for f in biased["findings"]]
    with_p = [m for m in messages if re.search(r"\bp \S", m)]
    assert any(f["step"] == "data_bias" for f in biased["findings"] if f["message"] in with_p)
    assert [m for m in messages if SCIENTIFIC.search(m)] == []
    for message in with_p:
        for shown in re.findall(r"\bp (< 0\.001|\S+?)[).;,]", message):
            assert P_SHOWN.fullmatch(shown), (shown, message)
    assert any("adjusted p < 0.001" in m for m in with_p)


def test_audit_json_keeps_the_exact_p_values(biased):
    adjusted = [c["p_adjusted"] for c in biased["fairness"]["comparisons"]]
    assert all(isinstance(p, float) for p in adjusted)
    assert 0 < min(adjusted) < 1e-10  # the number itself, not its rounded text
    base_rate = next(f for f in biased["findings"] if f["id"].startswith("data_bias.base_rate_gap"))
    assert "adjusted p < 0.001" in base_rate["message"] and 0 < base_rate["evidence"]["p_adjusted"] < 1e-10


def _columns(table) -> dict[str, list[str]]:
    heads = [th.get_text() for th in table.find("thead").find_all("th")]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    return {h: [row[i] for row in rows] for i, h in enumerate(heads)}


def test_report_tables_show_p_values_as_people_read_them(biased):
    soup = BeautifulSoup(bias_views.bias_html(biased), "html.parser")
    cells = [cell for table in soup.find_all("table") for head, column in _columns(table).items()
             if head in ("p", "adjusted p") for cell in column]
    assert len(cells) >= 2 * len(biased["fairness"]["comparisons"])  # comparisons, and missing values by group
    assert [c for c in cells if not P_SHOWN.fullmatch(c.replace("\u00a0", " "))] == []
    assert "<\u00a00.001" in cells and "0.000" not in cells
