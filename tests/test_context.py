import numpy as np
import pandas as pd
import pytest

from auditkit import AuditSpec, InputError, build_context
from auditkit.context import MISSING_GROUP


def test_nan_sensitive_values_become_an_explicit_group(frame):
    frame = frame.copy()
    frame.loc[[0, 5, 9], "region"] = np.nan
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["region"], predictions="decision"))
    assert (ctx.sensitive["region"] == MISSING_GROUP).sum() == 3
    assert len(ctx.sensitive) == len(frame)


def test_predictions_map_to_positive_label():
    frame = pd.DataFrame({"y": ["yes", "no", "yes", "no"], "pred": ["no", "no", "yes", "yes"], "g": list("abab")})
    ctx = build_context(AuditSpec(data=frame, target="y", positive_label="yes", sensitive=["g"], predictions="pred"))
    assert ctx.y_true.tolist() == [1, 0, 1, 0]
    assert ctx.y_pred.tolist() == [0, 0, 1, 1]
    assert ctx.labels == ("no", "yes")


def test_positive_label_given_as_text_matches_numbers(frame):
    ctx = build_context(AuditSpec(data=frame, target="approved", positive_label="1", sensitive=["sex"],
                                  predictions="decision"))
    assert ctx.positive_label == 1
    assert ctx.y_true.sum() == frame["approved"].sum()


def test_target_without_obvious_positive_needs_label():
    frame = pd.DataFrame({"y": ["a", "b"] * 5, "g": ["x", "z"] * 5, "p": [0, 1] * 5})
    with pytest.raises(InputError, match="cannot tell which value of target 'y' is the positive outcome"):
        build_context(AuditSpec(data=frame, target="y", sensitive=["g"], predictions="p"))


def test_reference_model_audits_held_out_rows(frame):
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], seed=3, test_size=0.25))
    assert ctx.mode == "reference"
    assert len(ctx.frame) == 100 and len(ctx.X_train) == 300
    assert set(ctx.frame.index).isdisjoint(ctx.X_train.index)
    assert "approved" not in ctx.X.columns
    assert ctx.y_score is not None and ((ctx.y_score >= 0) & (ctx.y_score <= 1)).all()


def test_rng_is_stable_per_salt(frame):
    ctx = build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="decision", seed=9))
    assert ctx.rng("lime").random() == ctx.rng("lime").random()
    assert ctx.rng("lime").random() != ctx.rng("shap").random()


def test_predictions_with_labels_unlike_the_target_are_refused():
    frame = pd.DataFrame({"y": ["good", "bad"] * 5, "pred": ["Good", "Bad"] * 5, "g": list("ab") * 5})
    with pytest.raises(InputError) as err:
        build_context(AuditSpec(data=frame, target="y", positive_label="good", sensitive=["g"], predictions="pred"))
    assert str(err.value) == (
        "predictions column 'pred' has values 'Bad', 'Good', but target 'y' has labels 'bad', 'good' "
        "('Bad', 'Good' are not among them); predictions must use the target's own labels"
    )


def test_score_column_given_as_predictions_gets_a_hint(frame):
    with pytest.raises(InputError, match="looks like scores, not decisions; pass it as scores=COLUMN"):
        build_context(AuditSpec(data=frame, target="approved", sensitive=["sex"], predictions="score"))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("income", "sensitive column 'income' has 385 distinct values (at most 50 groups are compared); bin it"),
        ("empty", "sensitive column 'empty' has 0 observed group(s) (400 missing values)"),
        ("approved", "column 'approved' is given both as a sensitive feature and as the target"),
    ],
)
def test_unusable_sensitive_columns_are_named(frame, column, message):
    frame = frame.assign(empty=np.nan)
    with pytest.raises(InputError) as err:
        build_context(AuditSpec(data=frame, target="approved", sensitive=[column], predictions="decision"))
    assert str(err.value).startswith(message)
