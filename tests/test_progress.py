"""Progress bars: off or on as asked, drawn on stderr, around log lines, and never changing a number."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from steps._explain_fixtures import loans
from threadpoolctl import threadpool_limits

from auditkit import audit, cli, progress
from auditkit.exceptions import InputError
from auditkit.explain import shap_values
from auditkit.explain.shap_values import build_shap_engine

STEPS = ["data_overview", "data_bias", "performance", "fairness", "shap", "lime", "agreement"]
SMALL = {"lime": {"n_instances": 3, "repeats": 2, "num_samples": 200}, "fairness": {"n_boot": 100}}


def small_audit(**settings):
    return audit(data=loans(300), target="approved", sensitive=["sex"], steps=STEPS, step_options=SMALL,
                 seed=3, **settings)


def stripped(result) -> dict:
    """The audit as audit.json holds it, without the two timestamps."""
    doc = result.to_dict()
    for key in ("started", "finished"):
        doc["provenance"].pop(key)
    return doc


@pytest.fixture(scope="module")
def audits():
    """The same audit with bars off and on (inner bars at once, SHAP in several chunks), and its stderr."""
    runs = {}
    with pytest.MonkeyPatch.context() as patch, threadpool_limits(limits=1, user_api="openmp"):
        patch.setattr(progress, "INNER_DELAY", 0)
        patch.setattr(shap_values, "FAST_CHUNK_ROWS", 25)
        for shown in (False, True):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):
                result = small_audit(progress=shown, log=lambda message: print(f"auditkit: {message}",
                                                                               file=sys.stderr))
            runs[shown] = (result, err.getvalue())
    return runs


def test_progress_off_writes_nothing_but_the_log(audits):
    _, err = audits[False]
    assert [line for line in err.splitlines() if not line.startswith("auditkit: ")] == []


def test_progress_off_and_no_log_writes_nothing(capfd):
    audit(data=loans(200).assign(decision=1), target="approved", sensitive=["sex"], predictions="decision",
          progress=False)
    assert capfd.readouterr() == ("", "")


def test_progress_on_draws_a_bar_over_the_stages(audits):
    _, err = audits[True]
    assert "audit: 100%|" in err and f"{len(STEPS) + 1}/{len(STEPS) + 1} stages" in err
    for stage in ["data", *STEPS]:
        assert f", {stage}]" in err, stage


@pytest.mark.parametrize(("desc", "total"), [
    ("SHAP", 90),  # the 30% of 300 rows held out, explained in chunks of 25
    ("LIME", 6),  # 3 instances x 2 repeats
    ("bootstrap", 100),  # score metrics by group
])
def test_progress_on_draws_a_bar_inside_long_steps(audits, desc, total):
    _, err = audits[True]
    drawn = [state for state in err.split("\r") if state.startswith(f"{desc}: ")]
    assert any(f"/{total} [" in state for state in drawn), drawn


def test_log_lines_are_written_above_the_bars(audits):
    _, err = audits[True]
    logged = [line.rsplit("\r", 1)[-1] for line in err.split("\n") if "auditkit: " in line]
    assert len(logged) == len(STEPS) + 2
    assert all(line.startswith("auditkit: ") for line in logged), logged


def test_progress_changes_no_number(audits):
    assert stripped(audits[True][0]) == stripped(audits[False][0])


@pytest.mark.parametrize(("model", "explainer"), [
    (LogisticRegression(), "linear"),
    (HistGradientBoostingClassifier(max_iter=20), "tree"),
    (LogisticRegression(), "permutation"),
])
def test_shap_values_do_not_depend_on_the_chunks(monkeypatch, model, explainer):
    data = loans(120)
    X = data.drop(columns=["approved"]).select_dtypes("number")
    model = model.fit(X, data["approved"])
    engine = build_shap_engine(model, X.iloc[:40], explainer=explainer, n_permutations=2)
    assert engine.explainer == explainer
    rows, seeds = X.iloc[40:47], np.arange(7)
    whole = engine.explain(rows, seeds)
    monkeypatch.setattr(shap_values, "FAST_CHUNK_ROWS", 3)
    monkeypatch.setattr(shap_values, "PERMUTATION_CHUNK_ROWS", 3)
    chunked = engine.explain(rows, seeds)
    np.testing.assert_allclose(chunked.values, whole.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(chunked.output, whole.output, rtol=0, atol=1e-12)
    assert chunked.base_value == pytest.approx(whole.base_value, abs=1e-12)


@pytest.mark.parametrize(("kernel", "terminal", "shown"), [
    (False, False, False),  # pipes, log files, CI, batch workers
    (False, True, True),  # a terminal
    (True, False, True),  # JupyterLab: stderr is the kernel's stream, not a terminal
])
def test_default_draws_bars_only_when_interactive(monkeypatch, kernel, terminal, shown):
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: kernel)
    monkeypatch.setattr(sys, "stderr", types.SimpleNamespace(isatty=lambda: terminal))
    assert progress.show_progress(None) is shown


@pytest.mark.parametrize(("shell", "expected"), [
    (types.SimpleNamespace(kernel=object()), True),  # ipykernel's ZMQInteractiveShell
    (types.SimpleNamespace(), False),  # terminal IPython
    (None, False),  # IPython imported, no shell running
])
def test_jupyter_kernel_is_told_by_the_shell(monkeypatch, shell, expected):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert progress.in_jupyter_kernel() is expected


@pytest.mark.parametrize("value", ["yes", 1, "false"])
def test_progress_must_be_true_false_or_none(value):
    with pytest.raises(InputError, match=f"^progress must be true or false; got {value!r} ") as error:
        audit(data=loans(50), target="approved", sensitive=["sex"], progress=value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("flags", "expected"), [([], None), (["-q"], False)])
def test_cli_draws_bars_unless_quiet(monkeypatch, tmp_path, flags, expected):
    received = {}

    def fake_audit_to_dir(spec, out, **options):
        received.update(options)
        return types.SimpleNamespace(failed_steps=[])

    monkeypatch.setattr("auditkit.runner.audit_to_dir", fake_audit_to_dir)
    code = cli.main(["audit", "--data", "german", "--out", str(tmp_path / "out"), "--no-report", *flags])
    assert code == 0 and received["progress"] is expected


NO_WARNINGS = """
import json, sys, types, warnings
import IPython  # noqa: F401 - with the marker below, what tqdm.auto takes for a Jupyter kernel
sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
sys.path.insert(0, {tests!r})
from steps._explain_fixtures import loans
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import auditkit
    small = {{"lime": {{"n_instances": 2, "repeats": 2, "num_samples": 100}}}}
    auditkit.audit(data=loans(200), target="approved", sensitive=["sex", "region"], progress=False,
                   step_options=small)
    auditkit.audit(data=loans(200).assign(decision=1), target="approved", sensitive=["sex"],
                   predictions="decision", progress=False)
print(json.dumps([f"{{w.category.__name__}}: {{w.message}} ({{w.filename}}:{{w.lineno}})" for w in caught]))
"""


def test_an_audit_emits_no_warnings_in_a_fresh_jupyter_kernel():
    """shap's import warns (matplotlib deprecations; tqdm.auto without ipywidgets in a kernel): not the user's doing."""
    script = textwrap.dedent(NO_WARNINGS).format(tests=str(Path(__file__).parent))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # small models: one thread, which does not crawl on a busy machine
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
