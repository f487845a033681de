"""Work shared by the steps of one audit lives on its context (ctx.cache), never in a module global."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import auditkit
from auditkit import audit
from auditkit.context import AuditCache
from auditkit.explain import shap_values
from auditkit.steps import shap_step

QUICK_LIME = {"n_instances": 3, "repeats": 2, "num_samples": 200}


@pytest.fixture
def counted(monkeypatch):
    """Counts of SHAP engines built and of SHAP explanation calls."""
    counts = {"built": 0, "explained": 0}
    build, explain = shap_step.build_shap_engine, shap_values.ShapEngine.explain

    def counting_build(*args, **kwargs):
        counts["built"] += 1
        return build(*args, **kwargs)

    def counting_explain(self, *args, **kwargs):
        counts["explained"] += 1
        return explain(self, *args, **kwargs)

    monkeypatch.setattr(shap_step, "build_shap_engine", counting_build)
    monkeypatch.setattr(shap_values.ShapEngine, "explain", counting_explain)
    return counts


def test_agreement_reuses_the_engine_and_values_of_the_shap_step(frame, counted):
    settings = {"data": frame, "target": "approved", "sensitive": ["sex"], "sample": 150, "seed": 0,
                "step_options": {"lime": QUICK_LIME}}
    result = audit(**settings, steps=["shap", "lime", "agreement"])
    assert counted == {"built": 1, "explained": 1}
    assert result.failed_steps == []
    alone = audit(**settings, steps=["agreement"])  # a new audit: nothing carried over from the last one
    assert counted == {"built": 2, "explained": 2}
    assert alone.step("agreement").payload == result.step("agreement").payload


def test_the_cache_computes_once_per_key():
    cache, calls = AuditCache(), []
    assert cache.get_or_compute("k", lambda: calls.append(1) or 5) == 5
    assert cache.get_or_compute("k", lambda: calls.append(1) or 6) == 5
    assert calls == [1] and "k" in cache and len(cache) == 1 and cache.get("other") is None


def test_every_context_starts_with_its_own_cache(frame):
    from auditkit import AuditSpec, build_context

    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="decision"))
    built = len(ctx.cache)  # what build_context found on the way (each sensitive feature's group codes)
    ctx.cache.get_or_compute("k", lambda: 1)
    again = dataclasses.replace(ctx)
    assert len(again.cache) == 0 and len(ctx.cache) == built + 1 and "k" not in again.cache
    assert again == ctx  # the cache is not part of what a context is
    assert "cache" not in repr(ctx)


def test_no_module_keeps_per_audit_state_keyed_by_id():
    package = Path(auditkit.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and ast.unparse(node.func) == "id" and node.args and ast.unparse(node.args[0]) == "ctx"]
        assert not calls, (path, calls)
