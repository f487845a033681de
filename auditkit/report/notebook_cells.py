"""The report notebooks, built from one description so that the three cannot drift apart.

``notebooks/bias_report.ipynb``, ``explainability_report.ipynb`` and ``audit_report.ipynb`` are
generated here (``make notebooks``, or ``python -m auditkit.report.notebook_cells``); a test
checks that the committed files equal what this module builds. Each notebook is in document
order: the ``sys.path`` and ``parameters`` cells, the one call that runs (or finds) the audit,
the title with the verdict, scorecard and contents, then one markdown heading with prose and
one call of :mod:`auditkit.report.sections` per section, the context and provenance, and the
glossary last. :func:`sections_for` is also what the table of contents lists, so its links
match the headings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from auditkit.report.notebooks import NOTEBOOKS, REPORT_STEPS

__all__ = ["Section", "build_notebook", "main", "notebook_text", "sections_for", "write_notebooks"]


@dataclass(frozen=True)
class Section:
    """One section of a report: a markdown heading with prose, then one code cell.

    ``title`` None makes a marked place without a heading (not in the contents): a code cell
    holding only a comment until the call it names is wired in.

    Examples
    --------
    >>> Section("Findings", "Read these first.", "sections.findings(doc)").key
    'findings'
    """

    title: str | None
    prose: str
    code: str

    @property
    def key(self) -> str:
        return (self.title or "placeholder").lower().replace(" ", "-")


SYS_PATH = """\
# Modules come from the installed packages only: a file such as auditkit.py or pandas.py in the
# working folder must not shadow them ('' and '.' on sys.path stand for that folder).
import sys
sys.path[:] = [entry for entry in sys.path if entry not in ('', '.')]"""

PARAMETERS = """\
# The audit's settings (papermill: -p NAME VALUE; `papermill --help-notebook` lists them). Unset: None.
from typing import Any, Optional, Union

data: Any = None  # data to audit: a bundled dataset name (adult, compas, german), a CSV/Parquet file path or a DataFrame
target: Optional[str] = None  # column holding the true outcome (default for a bundled dataset: its documented target)
positive_label: Any = None  # value of the target that counts as the favourable outcome (default: 1, True or the bundled one)
sensitive: Union[list, str, None] = None  # sensitive columns to compare groups by: a list, or one comma-separated string such as "race,sex"
model: Optional[str] = None  # path of a scikit-learn model saved with skops (default: a reference model fitted on the data)
predictions: Optional[str] = None  # column holding the decisions to audit instead of a model's (e.g. compas_high_risk)
scores: Optional[str] = None  # column holding the scores (probabilities) that go with the predictions
seed: Optional[int] = None  # random seed (default 0): the same data, model and seed give the same numbers
steps: Union[list, str, None] = None  # steps to run: a list, or one comma-separated string such as "performance,fairness" (default: {steps})
policy: Union[str, dict, None] = None  # fairness policy: a YAML/JSON file path, or a dict of {{metric: {{min/max: bound}}}}
data_name: Optional[str] = None  # name of the data shown in the report (default: the bundled name or file name)
model_name: Optional[str] = None  # name of the model shown in the report (default: the model file name)
intended_use: Optional[str] = None  # what the model is for and who should (not) use it, for the report and model card
limitations: Optional[str] = None  # known limitations of the model, for the report and model card
sample: Optional[int] = None  # audit a random sample of this many rows (fast first look); None: all rows
split: Optional[str] = None  # rows of a bundled dataset to audit: "test" (its documented held-out part) or "all"
out_dir: Optional[str] = None  # folder to write audit.json to (default: a new temporary folder)
audit_dir: Optional[str] = None  # alternative: a folder holding a saved audit.json to re-render (leave the settings above unset)
"""  # noqa: E501 - papermill shows each comment as the parameter's help

RUN = """\
from auditkit.notebook import run_for_notebook

audit_dir = run_for_notebook(audit_dir, report={kind!r}, out_dir=out_dir, data=data, target=target,
                             positive_label=positive_label, sensitive=sensitive, model=model, predictions=predictions,
                             scores=scores, seed=seed, steps=steps, policy=policy, data_name=data_name,
                             model_name=model_name, intended_use=intended_use, limitations=limitations,
                             sample=sample, split=split)"""

FRONT = """\
from IPython.display import HTML, display

from auditkit.report import document, sections, views

doc = views.load(audit_dir)
result = views.load_result(audit_dir)  # the same audit, for its plots (result.plot)
display(HTML(document.front_html(doc, report={kind!r})))"""

FINDINGS = Section("Findings", "What an auditor should read first, by theme and most severe first: one finding per "
                   "grouping and criterion, each with what it means and what to check next. Each finding's evidence "
                   "is in `audit.json` under `findings`.", "sections.findings(doc)")
DATA = Section("The data", "Rows audited, missing values by column and the size of each sensitive group. Small "
               "groups give uncertain rates; missing sensitive values are kept as an explicit `(missing)` group, "
               "kept apart from any value written as \"missing\".", "sections.data(doc)")
DATA_BIAS = Section("Bias in the data", "Before any model: how many rows each group has, how the recorded outcome "
                    "differs by group, where values are missing more often, and which columns reveal a sensitive "
                    "feature (proxies).", "sections.data_bias(doc)")
PERFORMANCE = Section("Performance", "How well the audited decisions match the true outcomes over all rows.",
                      "sections.performance(doc)")
GROUPS = Section("Fairness by group", "For each sensitive feature and their intersections: the selection rate (share "
                 "of positive decisions), the true and false positive rates, and the other rates. `undefined` means "
                 "the rate has no denominator in that group (e.g. no true positives to find), not zero.",
                 "sections.groups(doc, result)")
DISPARITIES = Section("Disparities and uncertainty", "Gaps between groups with bootstrap confidence intervals, each "
                      "group against the reference group with tests corrected for multiple comparisons, the policy "
                      "checks, and calibration by group when the audit has scores.",
                      "sections.disparities(doc, result)")
EXPLANATIONS = Section("Explanations", "Which features drive the model's outputs (SHAP), local explanations of chosen "
                       "rows (LIME), how stable they are, and whether the two methods agree.",
                       "sections.explanations(doc, result)")
SHAP = Section("Feature attributions (SHAP)", "Which features drive the model's outputs overall, for single rows, and "
               "in the gaps between groups (by SHAP additivity the parts add up to the gap).",
               "sections.shap(doc, result)")
LIME = Section("Local explanations (LIME)", "Explanations of chosen rows by a local linear model, repeated with "
               "other seeds to show how stable they are.", "sections.lime(doc, result)")
AGREEMENT = Section("Agreement of SHAP and LIME", "Whether the two methods name the same top features, with the "
                    "same signs, on the rows LIME explained.", "sections.agreement(doc, result)")
MITIGATION = Section("Mitigation", "What fairlearn's mitigations would change, and what each costs: "
                     "ThresholdOptimizer (post-processing: a decision threshold per group for the audited model) and "
                     "ExponentiatedGradient (reductions: the model trained anew under a constraint), each for "
                     "demographic parity and for equalized odds, measured on held-out rows none of them saw, with the "
                     "fairness section's metrics and intervals. Post-processing needs each person's sensitive feature "
                     "at decision time, which may be unlawful in some settings. The step is not part of the standard "
                     "audit (it trains models): add `mitigation` to the steps.", "sections.mitigation(doc, result)")
CONTEXT = Section("Context", "What was audited and what it is for: the model, the data and its datasheet, the "
                  "intended use and limitations (as the audit's settings state them, or marked where only the model's "
                  "authors can say), and what this audit cannot tell.", "sections.context(doc)")
PROVENANCE = Section("Provenance", "What was audited, with the hashes, versions, seed and times that make the audit "
                     "repeatable. Every number in this report is in `audit.json` in the same folder.",
                     "sections.provenance(doc)")
GLOSSARY = Section("Glossary", "Every metric and statistical term this report uses, in one plain sentence each.",
                   "sections.glossary(doc)")

_EVIDENCE = {
    "bias": (DATA, DATA_BIAS, PERFORMANCE, GROUPS, DISPARITIES, MITIGATION),
    "explain": (DATA, PERFORMANCE, SHAP, LIME, AGREEMENT),
    "full": (DATA, DATA_BIAS, PERFORMANCE, GROUPS, DISPARITIES, EXPLANATIONS, MITIGATION),
}


def sections_for(kind: str) -> tuple[Section, ...]:
    """The sections of a report notebook, in order (after its title and scorecard).

    Examples
    --------
    >>> [s.title for s in sections_for("explain")]
    ['Findings', 'The data', 'Performance', 'Feature attributions (SHAP)', 'Local explanations (LIME)',
     'Agreement of SHAP and LIME', 'Context', 'Provenance', 'Glossary']
    """
    return (FINDINGS, *_EVIDENCE[kind], CONTEXT, PROVENANCE, GLOSSARY)


def build_notebook(kind: str):
    """The report notebook ``kind`` as an ``nbformat`` notebook (cell ids are stable: ``<kind>-<n>``).

    Examples
    --------
    >>> notebook = build_notebook("bias")
    >>> [c.metadata.get("tags") for c in notebook.cells[:3]]
    [None, ['parameters'], None]
    """
    import nbformat.v4 as nbf

    steps = REPORT_STEPS[kind]
    cells = [nbf.new_code_cell(SYS_PATH),
             nbf.new_code_cell(PARAMETERS.format(steps="the standard audit" if steps is None else ",".join(steps)),
                               metadata={"tags": ["parameters"]}),
             nbf.new_code_cell(RUN.format(kind=kind)),
             nbf.new_code_cell(FRONT.format(kind=kind))]
    for section in sections_for(kind):
        if section.title is not None:
            cells.append(nbf.new_markdown_cell(f"## {section.title}\n\n{section.prose}"))
        cells.append(nbf.new_code_cell(section.code))
    for i, cell in enumerate(cells):
        cell["id"] = f"{kind}-{i:02d}"
    return nbf.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})


def notebook_text(kind: str) -> str:
    """The file content of the report notebook ``kind``, as committed.

    Examples
    --------
    >>> notebook_text("full").startswith('{\\n "cells": [')
    True
    """
    import nbformat

    notebook = build_notebook(kind)
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def write_notebooks(folder: str | Path) -> list[Path]:
    """Write every report notebook into ``folder``; return their paths.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_notebooks(tempfile.mkdtemp())]
    ['bias_report.ipynb', 'explainability_report.ipynb', 'audit_report.ipynb']
    """
    paths = []
    for kind, name in NOTEBOOKS.items():
        path = Path(folder) / name
        path.write_text(notebook_text(kind), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write the notebooks into the folder given (default: the repository's ``notebooks/``).

    Examples
    --------
    >>> import tempfile
    >>> main([tempfile.mkdtemp()])
    wrote .../bias_report.ipynb
    wrote .../explainability_report.ipynb
    wrote .../audit_report.ipynb
    0
    """
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "notebooks"
    for path in write_notebooks(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
