"""AuditSpec: what to audit, as plain data, loadable from YAML.

The same object comes from the CLI, a notebook, papermill parameters or a batch plan.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from auditkit.exceptions import InputError
from auditkit.io.yaml_files import read_yaml_mapping
from auditkit.params import (
    AnyOf,
    Boolean,
    DataFrameForm,
    Interval,
    ListOf,
    MappingOf,
    Options,
    PathForm,
    Scalar,
    Text,
    check_all,
    show,
)

if TYPE_CHECKING:
    import pandas as pd

    from auditkit.steps import Step

TASKS = ("binary", "multiclass", "regression")
MAX_SEED = 2**32 - 1  # numpy's RandomState (train/test split, sampling) takes seeds below 2**32
DEFAULT_STEPS = ("data_overview", "data_bias", "performance", "fairness", "shap", "lime", "agreement")


@dataclass
class AuditSpec:
    """Everything needed to run one audit.

    Every setting is checked when the spec is built, against the forms declared in
    :attr:`constraints` (and each step's options against the step's): only real types pass
    (``trust_model: "false"`` is refused, not read as true), and settings that name sensitive
    columns must name columns in ``sensitive``. A problem is an :class:`InputError` of the form
    ``<setting> must be <expected>; got <value> (<type>)``.

    Parameters
    ----------
    data : str, Path or DataFrame
        A CSV/Parquet path, or the name of a bundled dataset (``adult``, ``compas``, ``german``).
    target : str, optional
        Target column. Defaults to the bundled dataset's target.
    positive_label : optional
        Value of ``target`` that counts as the positive outcome. Defaults to the bundled
        dataset's; for other data, required unless the target is 0/1 or boolean.
    sensitive : list of str
        Sensitive feature columns, each once (a single name is a one-element list). Defaults
        to the bundled dataset's.
    model : str, optional
        Path of a scikit-learn model saved with skops.
    trust_model : bool, default False
        Allow loading types in the model file that skops does not trust by default (only
        ``True`` or ``False``).
    predictions : str, optional
        Column holding existing decisions to audit (no model needed).
    scores : str, optional
        Column holding scores/probabilities of the positive class.
    seed : int, default 0
        Seed for every random choice (split, sampling, bootstrap, explainers); 0 to 2**32 - 1.
    test_size : float, default 0.3
        Held-out fraction when a reference model is trained (above 0, below 1).
    sample : int, optional
        Audit a seeded random sample of this many rows (at least 10; quick runs).
    task : {"binary", "multiclass", "regression"}, default "binary"
    min_group_size : int, default 30
        Groups smaller than this are flagged and left out of headline disparities.
    reference_groups : dict, optional
        ``{sensitive column: value}`` used as reference group; default the largest group.
        The value must occur in the audited rows (checked before any step runs).
    steps : list of str, optional
        Steps to run, by name, each once (a single name is a one-element list); default the
        standard audit.
    step_options : dict, optional
        ``{step name: {option: value}}`` passed to each step's constructor.
    policy : str or dict, optional
        Policy thresholds (YAML path or mapping) turned into pass/fail checks; read and
        checked when the spec is built.
    encoding : str, optional
        Text encoding of a CSV/TSV ``data`` file (e.g. ``"latin-1"``); default: UTF-8, or what
        the file's byte-order mark says.

    Examples
    --------
    >>> AuditSpec(data="german", steps="fairness").steps
    ['fairness']
    >>> AuditSpec(data="german", trust_model="false")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: trust_model must be true or false; got 'false' (str)
    """

    data: Any
    target: str | None = None
    positive_label: Any = None
    sensitive: list[str] = field(default_factory=list)
    model: str | None = None
    trust_model: bool = False
    predictions: str | None = None
    scores: str | None = None
    seed: int = 0
    test_size: float = 0.3
    sample: int | None = None
    task: str = "binary"
    min_group_size: int = 30
    reference_groups: dict[str, Any] = field(default_factory=dict)
    steps: list[str] | None = None
    step_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: Any = None
    encoding: str | None = None

    constraints: ClassVar[dict[str, list]] = {
        "data": [PathForm("a file path, a bundled dataset name"), DataFrameForm()],
        "target": [None, Text()],
        "positive_label": [None, Scalar()],
        "sensitive": [ListOf(Text(), "a list of column names, each named once", unique=True)],
        "model": [None, PathForm("a path to a .skops file")],
        "trust_model": [Boolean()],
        "predictions": [None, Text()],
        "scores": [None, Text()],
        "seed": [Interval(int, 0, MAX_SEED)],
        "test_size": [Interval(float, 0, 1, closed="neither")],
        "sample": [None, Interval(int, 10)],
        "task": [Options(TASKS)],
        "min_group_size": [Interval(int, 1)],
        "reference_groups": [MappingOf(Text(), Scalar(), "a mapping of sensitive column to one value, "
                                                         "e.g. {sex: Male}")],
        "steps": [None, ListOf(Text(), "a non-empty list of step names, each named once", unique=True,
                                  min_items=1)],
        "step_options": [MappingOf(Text(), AnyOf((None, MappingOf(Text(), None)), "options"),
                                   "a mapping of step name to its options, e.g. {fairness: {n_boot: 500}}")],
        "policy": [None, PathForm("a policy file path"), MappingOf(None, None, "a mapping of policy entries")],
        "encoding": [None, Text()],
    }

    def __post_init__(self) -> None:
        self._normalise()
        check_all(self, self.constraints)
        self.step_options = {step: dict(options or {}) for step, options in self.step_options.items()}
        self._check_combinations()

    def _normalise(self) -> None:
        """A single name is a one-element list; an empty mapping may be written as nothing; paths are text."""
        for name in ("model", "policy"):
            if isinstance(getattr(self, name), os.PathLike):
                setattr(self, name, os.fspath(getattr(self, name)))
        for name in ("sensitive", "steps"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, [value])
            elif isinstance(value, tuple):
                setattr(self, name, list(value))
        if self.sensitive is None:
            self.sensitive = []
        for name in ("reference_groups", "step_options"):
            if getattr(self, name) is None:
                setattr(self, name, {})

    def _check_combinations(self) -> None:
        if self.model is not None and self.predictions is not None:
            raise InputError("give either a model or a predictions column, not both")
        if self.scores is not None and self.predictions is None and self.model is None:
            raise InputError("--scores needs --predictions (scores of existing decisions)")
        if self.scores is not None and self.task != "binary":
            raise InputError(f"--scores applies to binary audits only; this audit's task is {self.task}")
        unknown = [name for name in self.steps or [] if name not in _known_steps()]
        if unknown:
            raise InputError(
                f"unknown step(s): {', '.join(unknown)}; "
                f"available: {', '.join(_known_steps())}"
            )
        steps = _build_steps(self.step_options)
        if self.sensitive:
            check_sensitive_settings(self, steps, self.sensitive)
        self._check_policy()

    def _check_policy(self) -> None:
        from auditkit.fairness.policy import check_groupings, load_policy

        rules = load_policy(self.policy, self.task)
        if self.sensitive:
            check_groupings(rules, self.sensitive)

    @property
    def step_names(self) -> list[str]:
        return list(self.steps) if self.steps is not None else list(DEFAULT_STEPS)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view (a DataFrame ``data`` is shown as ``"<DataFrame>"``)."""
        out = dataclasses.asdict(self) if not _is_frame(self.data) else {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self)
        }
        if _is_frame(self.data):
            out["data"] = "<DataFrame>"
        elif isinstance(self.data, Path):
            out["data"] = str(self.data)
        return out

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> AuditSpec:
        """Load a spec from YAML; keyword ``overrides`` that are not None win."""
        mapping = _resolve_relative_paths(read_yaml_mapping(path), Path(path).resolve().parent)
        return cls.from_dict(mapping, **overrides)

    @classmethod
    def from_dict(cls, mapping: dict[str, Any], **overrides: Any) -> AuditSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(map(str, set(mapping) - names))
        if unknown:
            raise InputError(
                f"unknown audit setting(s): {', '.join(unknown)}; "
                f"expected some of: {', '.join(sorted(names))}"
            )
        merged = dict(mapping)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        if "data" not in merged:
            raise InputError("the audit spec needs 'data' (a file path or a bundled dataset name)")
        return cls(**merged)


PATH_SETTINGS = ("data", "model", "policy")


def _resolve_relative_paths(mapping: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative file paths in a config file are relative to that file (when such a file exists)."""
    out = dict(mapping)
    for key in PATH_SETTINGS:
        value = out.get(key)
        if isinstance(value, str) and not Path(value).is_absolute() and (base / value).is_file():
            out[key] = str(base / value)
    return out


def _is_frame(value: Any) -> bool:
    return type(value).__name__ == "DataFrame"


def _build_steps(step_options: dict[str, dict[str, Any]]) -> dict[str, Step]:
    """Each step named in ``step_options``, built with its options (which validates them)."""
    from auditkit.steps import STEPS

    built = {}
    for step, options in step_options.items():
        if step not in STEPS:
            raise InputError(f"step_options names unknown step '{step}'; available: {', '.join(sorted(STEPS))}")
        settings = [f.name for f in dataclasses.fields(STEPS[step])]
        unknown = [option for option in options if option not in settings]
        if unknown:
            raise InputError(
                f"unknown option(s) for step '{step}': {', '.join(map(str, unknown))}; "
                f"its settings are: {', '.join(sorted(settings)) or 'none'}"
            )
        built[step] = STEPS[step](**options)
    return built


def check_sensitive_settings(spec: AuditSpec, steps: dict[str, Step], sensitive: list[str]) -> None:
    """Settings that name sensitive columns (``reference_groups``, step options) name only ``sensitive``.

    Examples
    --------
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
        that does not occur in the audited rows.

    Examples
    --------
    >>> import pandas as pd
    >>> spec = AuditSpec(data="german", reference_groups={"sex": "female"})
    >>> check_against_data(spec, pd.DataFrame({"sex": ["female", "male"]}))
    >>> check_against_data(AuditSpec(data="german", reference_groups={"sex": "other"}), pd.DataFrame({"sex": ["male"]}))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: reference_groups: sex='other' does not occur in the audited rows; sex has: male
    """
    features = [str(c) for c in sensitive.columns]
    check_sensitive_settings(spec, _build_steps(spec.step_options), features)
    for feature, value in spec.reference_groups.items():
        present = sensitive[feature].astype(str).unique().tolist()
        if str(value) not in present:
            raise InputError(
                f"reference_groups: {feature}={show(value)} does not occur in the audited rows; "
                f"{feature} has: {', '.join(sorted(present))}"
            )


def _known_steps() -> list[str]:
    from auditkit.steps import STEPS

    return sorted(STEPS)
