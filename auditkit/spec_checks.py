"""Checks of an audit spec that need more than the spec: its steps' settings, and the audited data.

Run when the spec is built (:func:`check_sensitive_settings`) and again once the data is loaded,
before any step runs (:func:`check_against_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditkit.exceptions import InputError
from auditkit.io.labels import find_group
from auditkit.params import show
from auditkit.registry import is_step

if TYPE_CHECKING:
    import pandas as pd

    from auditkit.spec import AuditSpec
    from auditkit.steps import Step


@dataclass(frozen=True)
class StepList:
    """The form of ``AuditSpec.steps``: a non-empty list of step names and step instances, no step named twice.

    Examples
    --------
    >>> StepList().accepts(["fairness", "performance"]), StepList().accepts(["fairness", "fairness"])
    (True, False)
    """

    description: str = "a non-empty list of step names or steps (Step instances), each named once"

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, list | tuple) or not value:
            return False
        if not all((isinstance(v, str) and v != "") or is_step(v) for v in value):
            return False
        names = [v if isinstance(v, str) else v.name for v in value]
        return len(set(names)) == len(names)


def check_sensitive_settings(spec: AuditSpec, steps: dict[str, Step], sensitive: list[str]) -> None:
    """Settings that name sensitive columns (``reference_groups``, step options) name only ``sensitive``.

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> spec = AuditSpec(data="german", reference_groups={"race": "white"})
    >>> check_sensitive_settings(spec, {}, ["sex", "age_group"])
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: reference_groups names race, which is not a sensitive feature of this audit
    (sex, age_group)
    """
    unknown = [name for name in spec.reference_groups if name not in sensitive]
    if unknown:
        raise InputError(
            f"reference_groups names {', '.join(unknown)}, which is not a sensitive "
            f"feature of this audit ({', '.join(sensitive)})"
        )
    for step in steps.values():
        step.check_sensitive(sensitive)


def check_against_data(spec: AuditSpec, sensitive: pd.DataFrame) -> None:
    """Before any step runs: settings that name sensitive columns or groups match the audited rows.

    ``sensitive`` holds the audited rows' group labels, one column per sensitive feature.

    Raises
    ------
    InputError
        A setting names a column that is not a sensitive feature, or a reference group
        that does not occur in the audited rows (matched by :func:`auditkit.io.labels.find_group`:
        the same text or the same number, so ``1.0`` names the group shown as ``1``).

    Examples
    --------
    >>> import pandas as pd
    >>> from auditkit import AuditSpec
    >>> spec = AuditSpec(data="german", reference_groups={"sex": "female"})
    >>> check_against_data(spec, pd.DataFrame({"sex": ["female", "male"]}))
    >>> check_against_data(AuditSpec(data="german", reference_groups={"sex": "other"}), pd.DataFrame({"sex": ["male"]}))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: reference_groups: sex='other' does not occur in the audited rows; sex has: male
    """
    features = [str(c) for c in sensitive.columns]
    check_sensitive_settings(spec, spec.configured_steps(), features)
    for feature, value in spec.reference_groups.items():
        present = sensitive[feature].astype(str).unique().tolist()
        if find_group(value, present) is None:
            raise InputError(
                f"reference_groups: {feature}={show(value)} does not occur in the audited rows; "
                f"{feature} has: {', '.join(sorted(present))}"
            )


def check_model_settings(spec: Any) -> None:
    """Settings about the model (its file, name and inputs) fit the kind of audit.

    Examples
    --------
    >>> from auditkit import AuditSpec
    >>> AuditSpec(data="compas", predictions="compas_high_risk", model_name="m")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: model_name= applies to a model; an audit of predictions= has no model
    """
    for name in ("trust_model", "trust_types"):
        if getattr(spec, name) and spec.model is not None and not isinstance(spec.model, str):
            raise InputError(f"{name}= applies to a model file; this model was given in memory")
    if spec.predictions is not None:
        for name in ("model_name", "features", "model_source", "model_licence", "model_version",
                     "model_openness"):
            if getattr(spec, name):
                raise InputError(f"{name}= applies to a model; an audit of predictions= has no model")
        if spec.exclude:
            raise InputError("exclude= applies to a model; an audit of predictions= has no model")
    if spec.split == "all" and spec.model is None and spec.predictions is None:
        raise InputError("split='all' would audit the reference model on its training rows; pass model= "
                         "or predictions=, or leave split= out to audit the rows held out from its training")
    if spec.features is not None and spec.exclude:
        raise InputError("pass either features= or exclude=, not both")
    if spec.exclude and spec.model is not None:
        raise InputError("exclude= applies to the reference model (an audit without model=); a given model "
                         "takes the columns it was fitted on: pass features=[COLUMN, ...] to name them")
