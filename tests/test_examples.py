"""auditkit.examples: the seeded inputs the docstring examples start from, so no example repeats a setup."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import auditkit
from auditkit import examples

PACKAGE = Path(auditkit.__file__).parent
SETUP_LINES = 4  # a run of this many example lines (imports aside) is a setup
MOST_PLACES = 2  # docstrings one setup may stand in before it belongs in auditkit.examples


def _example_lines(doc: str) -> list[str]:
    lines = [line.strip() for line in doc.splitlines() if line.strip().startswith((">>>", "..."))]
    return [line for line in lines if not line.startswith((">>> import ", ">>> from "))]


def test_no_docstring_example_setup_is_written_out_more_than_twice():
    places: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
                lines = _example_lines(ast.get_docstring(node) or "")
                for start in range(len(lines) - SETUP_LINES + 1):
                    where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'name', '<module>')}"
                    places[tuple(lines[start:start + SETUP_LINES])].add(where)
    repeated = {run[0]: sorted(where) for run, where in places.items() if len(where) > MOST_PLACES}
    assert repeated == {}


def test_the_decisions_are_the_proxy_rule_the_examples_wrote_out():
    frame = examples.biased_decisions(400)
    assert frame["decision"].tolist() == (frame["x0"] + frame["proxy"] > 0).astype(int).tolist()
    assert np.allclose(frame["score"], 1 / (1 + np.exp(-(frame["x0"] + frame["proxy"]))))


def test_the_fairness_output_counts_as_pandas_does():
    frame = examples.biased_decisions(400)
    [result] = examples.fairness_output().results
    by_group = frame.groupby("group")["decision"].agg(["size", "mean"])
    assert result.table["n"].tolist() == by_group["size"].tolist()
    assert result.table["selection_rate"].tolist() == pytest.approx(by_group["mean"].tolist())


def test_settings_given_replace_the_defaults():
    doc = examples.biased_audit(scores=None, policy=None, steps=["fairness"]).to_dict()
    assert "checks" not in doc and doc["fairness"]["calibration"] == {}
    assert examples.biased_audit(steps=["fairness"]).to_dict()["checks"]["n_failed"] == 1


@pytest.mark.parametrize("rows", [2, 4, 6])
def test_the_loans_model_separates_its_two_halves(rows):
    X, model = examples.loans_model(rows)
    assert len(X) == rows and model.classes_.tolist() == [0, 1]
