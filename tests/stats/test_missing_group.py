"""Missing sensitive values are a group of their own, never merged with a value written in the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditkit import AuditSpec, build_context
from auditkit.data_bias.proxies import encode_column
from auditkit.stats.missing_group import MISSING_GROUP, missing_label, sensitive_frame
from auditkit.steps import DataBiasStep, FairnessStep


def _with_labels(frame: pd.DataFrame, labels: list) -> pd.DataFrame:
    """``frame`` whose ``region`` is ``labels`` repeated over the rows."""
    return frame.assign(region=(labels * len(frame))[: len(frame)])


@pytest.mark.parametrize(("written", "nan_label"), [
    ("missing", MISSING_GROUP),          # the reported case: a category "missing" beside NaN
    ("(missing)", "(missing 2)"),        # the label itself occurs in the data
    ("nan", MISSING_GROUP),              # what str(NaN) would have given
    ("None", MISSING_GROUP),
])
def test_a_written_category_and_missing_values_are_two_groups(frame, written, nan_label):
    # per 5 rows: north, south, <written>, NaN, NaN -> 80 written, 160 missing
    data = _with_labels(frame, ["north", "south", written, np.nan, None])
    ctx = build_context(AuditSpec(data=data, target="approved", sensitive=["region"], predictions="decision"))
    counts = ctx.sensitive["region"].value_counts().to_dict()
    assert counts == {nan_label: 160, written: 80, "north": 80, "south": 80}
    assert ctx.sensitive.attrs["missing_groups"] == {"region": nan_label}


def test_counts_in_the_fairness_step_and_its_note(frame):
    data = _with_labels(frame, ["north", "missing", np.nan, "north"])
    result = FairnessStep(n_boot=0).run(build_context(AuditSpec(
        data=data, target="approved", sensitive=["region", "sex"], predictions="decision")))
    rows = {r["group"]["region"]: r for r in result.payload["by_group"] if list(r["group"]) == ["region"]}
    assert {k: r["n"] for k, r in rows.items()} == {"missing": 100, MISSING_GROUP: 100, "north": 200}
    assert rows[MISSING_GROUP]["missing_group"] and not rows["missing"]["missing_group"]
    both = [r for r in result.payload["by_group"] if list(r["group"]) == ["region", "sex"]]
    assert {r["group"]["region"] for r in both if r["missing_group"]} == {MISSING_GROUP}
    note = next(f for f in result.findings if f.id == "fairness.missing_group.region")
    assert f"labelled '{MISSING_GROUP}'" in note.message and note.evidence["n"] == 100
    assert not any(f.id == "fairness.missing_group.sex" for f in result.findings)


def test_the_missing_group_is_never_the_default_reference_but_a_written_missing_can_be(frame):
    # the written category "missing" is the largest group: it is a real group and may be the reference
    data = _with_labels(frame, ["missing", "missing", "missing", np.nan, np.nan, "north"])
    ctx = build_context(AuditSpec(data=data, target="approved", sensitive=["region"], predictions="decision"))
    result = FairnessStep(n_boot=0).run(ctx)
    reference = next(r for r in result.payload["by_group"] if r["reference"])
    assert reference["group"] == {"region": "missing"}
    # with no written "missing", the NaN group is the largest but never the default reference
    data = _with_labels(frame, ["north", np.nan, np.nan, np.nan, "south"])
    result = FairnessStep(n_boot=0).run(build_context(AuditSpec(
        data=data, target="approved", sensitive=["region"], predictions="decision")))
    assert next(r for r in result.payload["by_group"] if r["reference"])["group"] == {"region": "north"}


def test_the_collision_label_is_respected_when_choosing_the_reference(frame):
    data = _with_labels(frame, ["(missing)", np.nan, np.nan, np.nan, "north"])
    result = FairnessStep(n_boot=0).run(build_context(AuditSpec(
        data=data, target="approved", sensitive=["region"], predictions="decision")))
    rows = {r["group"]["region"]: r for r in result.payload["by_group"]}
    assert rows["(missing 2)"]["n"] == 240 and rows["(missing 2)"]["missing_group"]
    assert not rows["(missing)"]["missing_group"]
    assert next(r for r in rows.values() if r["reference"])["group"] == {"region": "(missing)"}


def test_data_bias_reports_only_the_real_missing_values(frame):
    data = _with_labels(frame, ["north", "missing", np.nan, "north"])
    step = DataBiasStep(n_boot=0, reference_distribution={"region": {"north": 0.5, "missing": 0.5}})
    result = step.run(build_context(AuditSpec(data=data, target="approved", sensitive=["region"],
                                              predictions="decision")))
    rows = {r["group"]["region"]: r for r in result.payload["bias"]["representation"]}
    assert rows["missing"]["n"] == 100 and not rows["missing"]["missing_group"]
    assert rows["missing"]["reference_share"] == pytest.approx(0.5)
    assert rows[MISSING_GROUP]["n"] == 100 and rows[MISSING_GROUP]["reference_share"] is None
    finding = next(f for f in result.findings if f.id == "data_bias.missing_sensitive.region")
    assert finding.evidence["n"] == 100 and f"'{MISSING_GROUP}'" in finding.message


def test_a_column_without_missing_values_has_no_missing_group():
    out = sensitive_frame(pd.DataFrame({"g": ["(missing)", "a", "missing"]}), ["g"])
    assert out["g"].tolist() == ["(missing)", "a", "missing"]
    assert out.attrs["missing_groups"] == {}


def test_numbers_and_categories_as_text():
    data = pd.DataFrame({"age": [30.0, 40.0, np.nan], "band": pd.Categorical(["x", None, "y"])})
    out = sensitive_frame(data, ["age", "band"])
    assert out["age"].tolist() == ["30", "40", MISSING_GROUP]
    assert out["band"].tolist() == ["x", MISSING_GROUP, "y"]


def test_missing_label_skips_every_taken_label():
    assert missing_label(["a"]) == MISSING_GROUP
    assert missing_label([MISSING_GROUP, "(missing 2)"]) == "(missing 3)"


@pytest.mark.parametrize("written", ["(missing)", "(other)"])
def test_proxy_levels_keep_written_labels_apart_from_missing_and_pooled_values(written):
    # 30 frequent categories (the written label among them) are kept; 5 rare ones are pooled
    frequent = [written] * 5 + [f"c{i}" for i in range(29) for _ in range(4)]
    values = pd.Series(frequent + [None] * 5 + [f"rare{i}" for i in range(5)])
    codes = encode_column(values).codes
    written_code, missing_code, pooled_code = codes[0], codes[len(frequent)], codes[-1]
    assert len({written_code, missing_code, pooled_code}) == 3
    assert (codes[-5:] == pooled_code).all() and (codes[len(frequent):-5] == missing_code).all()
    assert len(set(codes.tolist())) == 32
