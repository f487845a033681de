"""Data strings are shown as written: a ``$`` in a column name or a category never starts TeX.

Matplotlib parses ``$...$`` as mathtext (``$\\x$`` crashed the report) and notebook front ends
typeset ``$...$`` in HTML outputs; every view function must show such strings as plain text.
"""

from __future__ import annotations

import inspect

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
                       steps=["data_overview", "performance", "fairness", "data_bias", "shap"],
                       step_options={"fairness": {"n_boot": 20}, "data_bias": {"n_boot": 20}})
    out = tmp_path_factory.mktemp("dollar")
    write_audit(result, out)
    return out


def _figures(audit_dir) -> dict[str, list]:
    """Every plot function of the views, called on the audit: name -> figures."""
    doc = views.load(audit_dir)
    shap_rows = _views_explain.load_shap_artifacts(audit_dir)
    section, space = doc["explanations"], doc["explanations"]["shap"]["output_space"]
    features = list(shap_rows["values"].columns)
    return {
        "plot_group_rates": [views.plot_group_rates(doc, keys) for keys in views.groupings_in(doc)],
        "plot_importance": [_views_explain.plot_importance(section)],
        "plot_beeswarm": [_views_explain.plot_beeswarm(shap_rows, features, space)],
        "plot_dependence": [_views_explain.plot_dependence(shap_rows, f, space) for f in features],
    }


def _plot_functions() -> set[str]:
    return {name for module in (views, _views_explain, _views_bias)
            for name, _ in inspect.getmembers(module, inspect.isfunction) if name.startswith("plot_")}


def test_every_plot_function_draws_data_strings_as_written(audit_dir):
    import matplotlib.pyplot as plt

    figures = _figures(audit_dir)
    assert set(figures) == _plot_functions()  # a new plot function must be added here
    shown: set[str] = set()
    for name, made in figures.items():
        for fig in made:
            fig.canvas.draw()  # mathtext parses at draw time: ``$\x$`` raised here
            for text in fig.findobj(Text):
                if "$" in text.get_text():
                    assert (text.get_parse_math(), text.get_usetex()) == (False, False), (name, text.get_text())
                shown.add(text.get_text())
            plt.close(fig)
    assert {COLUMN, VALUE, *CATEGORIES} <= shown  # tick labels, exactly the original strings
    assert f"Dependence: {COLUMN}" in shown and f"Rates by {SENSITIVE_COLUMN}" in shown
    assert f"Rates by sex × {SENSITIVE_COLUMN}" in shown


def test_notebook_html_is_not_typeset(audit_dir, monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setattr(plt, "show", lambda: plt.close("all"))
    doc = views.load(audit_dir)
    _views_bias.show(doc)
    _views_explain.show(doc, audit_dir)
    fragments = [obj.data for obj in shown]
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
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4
    assert VALUE in (out / "report.html").read_text()
