"""Data strings are shown as written: a ``$`` in a column name or a category never starts TeX.

Matplotlib parses ``$...$`` as mathtext (``$\\x$`` crashed the report) and notebook front ends
typeset ``$...$`` in HTML outputs; every view function must show such strings as plain text.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from threadpoolctl import threadpool_limits

from auditkit import audit, cli
from auditkit.report import bias_views as _views_bias
from auditkit.report import explain_views as _views_explain
from auditkit.report import views
from auditkit.report.render import write_audit

matplotlib.use("Agg")

COLUMN = "a$\\x$b"  # a numeric feature
SENSITIVE_COLUMN = "s$\\x$"
VALUE = "$\\x$"  # a sensitive value
CATEGORIES = ["$north$", "south", "e$\\alpha$st"]  # a categorical feature


def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({COLUMN: rng.normal(50, 15, n).round(1), "region": rng.choice(CATEGORIES, n),
                          "sex": rng.choice([VALUE, "male"], n), SENSITIVE_COLUMN: rng.choice([VALUE, "plain"], n)})
    frame["approved"] = ((frame[COLUMN] + 10 * (frame["region"] == "south") + rng.normal(0, 10, n)) > 55).astype(int)
    return frame


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    with threadpool_limits(limits=1, user_api="openmp"):
        result = audit(data=_frame(), target="approved", sensitive=["sex", SENSITIVE_COLUMN],
                       steps=["data_overview", "performance", "fairness", "data_bias", "shap", "lime", "mitigation"],
                       step_options={"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20},
                                     "mitigation": {"methods": ["threshold_optimizer"], "n_boot": 20},
                                     "lime": {"n_instances": 2, "repeats": 2, "num_samples": 200}})
    out = tmp_path_factory.mktemp("dollar")
    write_audit(result, out)
    return out


def _figures(audit_dir) -> dict[str, list]:
    """Every plot of ``result.plot``, called on the saved audit: name -> figures."""
    result = views.load_result(audit_dir)
    groupings = views.groupings_in(views.load(audit_dir))
    features = list(result.step("shap").artifacts["values"].columns)
    sensitive = result.dataset["sensitive_features"]
    lime_rows = [i["row_id"] for i in result.step("lime").payload["lime"]["instances"]]
    return {
        "group_rates": [result.plot.group_rates(keys) for keys in groupings],
        "disparities": [result.plot.disparities()],
        "calibration": [result.plot.calibration(keys) for keys in groupings],
        "importance": [result.plot.importance()],
        "beeswarm": [result.plot.beeswarm()],
        "dependence": [result.plot.dependence(f) for f in features],
        "waterfall": [result.plot.waterfall(result.step("shap").artifacts["rows"]["row_id"][0], max_display=30)],
        "group_attribution": [result.plot.group_attribution(f) for f in sensitive],
        "lime": [result.plot.lime(row) for row in lime_rows],
        "mitigation": [result.plot.mitigation()],
    }


def _plot_functions() -> set[str]:
    from auditkit.report.plots import ResultPlots

    return {name for name in vars(ResultPlots) if not name.startswith("_")}


def test_every_plot_function_draws_data_strings_as_written(audit_dir):
    figures = _figures(audit_dir)
    assert set(figures) == _plot_functions()  # a new plot must be added here
    shown: set[str] = set()
    for name, made in figures.items():
        for fig in made:
            fig.canvas.draw()  # mathtext parses at draw time: ``$\x$`` raised here
            for text in fig.findobj(Text):
                if "$" in text.get_text():
                    assert (text.get_parse_math(), text.get_usetex()) == (False, False), (name, text.get_text())
                shown.add(text.get_text())
    assert {COLUMN, VALUE, *CATEGORIES} <= shown  # tick labels, exactly the original strings
    assert f"Dependence: {COLUMN}" in shown
    assert {f"Rates by {SENSITIVE_COLUMN} with 95% intervals", f"Rates by sex × {SENSITIVE_COLUMN} with 95% intervals",
            f"Calibration by {SENSITIVE_COLUMN} with 95% intervals"} <= shown


def test_notebook_html_is_not_typeset(audit_dir, monkeypatch):
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    doc, result = views.load(audit_dir), views.load_result(audit_dir)
    _views_bias.show(doc, result)
    _views_explain.show(doc, result)
    fragments = [obj.data for obj in shown]
    images = re.findall(r"<img\b[^>]*>", "".join(fragments))
    assert len(images) >= 8 and all(re.match(r"<img alt='[^']+' src='data:image/png;base64,", i) for i in images)
    fragments += [views.header_html(doc), views.findings_html(doc), views.table_html(pd.DataFrame({"g": [VALUE]}))]
    for fragment in fragments:
        assert "tex2jax_ignore mathjax_ignore" in fragment[:80]
    html = "".join(fragments)
    assert [s for s in (COLUMN, SENSITIVE_COLUMN, VALUE) if s not in html] == []


@pytest.mark.slow
def test_report_renders_end_to_end_with_dollar_signs(tmp_path):
    """The papermill report (kernel, notebook, nbconvert) on such data: exit 0, no error output."""
    import json

    csv = tmp_path / "dollar.csv"
    _frame(200).to_csv(csv, index=False)
    out = tmp_path / "out"
    code = cli.main(["audit", "--data", str(csv), "--target", "approved", "--sensitive", "sex",
                     "--sensitive", SENSITIVE_COLUMN, "--steps", "performance,fairness,shap", "--out", str(out)])
    assert code == 0
    notebook = json.loads((out / "report.ipynb").read_text())
    outputs = [o for cell in notebook["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if "image/png" in o.get("data", {})]  # plots are <img> with alternative text
    html = (out / "report.html").read_text()
    images = re.findall(r"<img\b[^>]*>", html)
    alts = [re.search(r'\balt="([^"]*)"', i) for i in images]
    assert len(images) >= 4 and all(alts)
    # nbconvert writes this alt (and warns) for an image that has none
    assert not [a[1] for a in alts if not a[1] or a[1] == "No description has been provided for this image"]
    assert VALUE in html
