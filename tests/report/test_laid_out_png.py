"""Every laid-out report figure is drawn once, to the same PNG bytes as savefig makes (it draws twice)."""

import io

import matplotlib
import pytest

import auditkit
from auditkit.report import sections, views
from auditkit.report.drawing_ahead import save_so_far

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def audit_folder(tmp_path_factory):
    result = auditkit.audit(data="german", sample=400, seed=3, steps=["fairness", "shap"], progress=False,
                            step_options={"fairness": {"n_boot": 20}, "shap": {"max_rows": 40}})
    return save_so_far(result, tmp_path_factory.mktemp("audit"))


def _report_pngs(doc, result, monkeypatch, draw):
    pngs = []

    def kept(fig):
        pngs.append(draw(fig))
        assert views.laid_out(fig) and fig.dpi == 100  # the figure's layout engine and resolution are back
        return pngs[-1]

    monkeypatch.setattr(views, "laid_out_png", kept)
    for section in (sections.groups, sections.disparities, sections.explanations):
        section(doc, result)
    return pngs


def _savefig(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=views.SCREEN_DPI * views.PRINT_SCALE)
    return buffer.getvalue()


def test_every_report_figure_is_the_png_savefig_makes(audit_folder, monkeypatch):
    """Each figure is made afresh for each way (a figure saved twice need not give the same bytes twice)."""
    doc, result = views.load(audit_folder), views.load_result(audit_folder)
    drawn_once = _report_pngs(doc, result, monkeypatch, views.laid_out_png)
    saved = _report_pngs(doc, result, monkeypatch, _savefig)
    assert len(drawn_once) >= 8  # rates, disparities, calibration, SHAP (with a colour bar) ...
    assert drawn_once == saved
