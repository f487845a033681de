"""AuditSpec: what to audit, as plain data, loadable from YAML.

The same object comes from the CLI, a notebook, papermill parameters or a batch plan.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from auditkit.exceptions import InputError
from auditkit.io.inputs import DATA_FORMS, MODEL_FORMS, DatasetForm, EstimatorForm, shown_data, shown_model
from auditkit.io.openness import checked_openness
from auditkit.io.yaml_files import read_yaml_mapping, resolve_relative_paths
from auditkit.params import (
    AnyOf,
    Boolean,
    DataFrameForm,
    Interval,
    ListOf,
    MappingOf,
    Options,
    PathForm,
    Prose,
    Scalar,
    Text,
    check_all,
)
from auditkit.registry import DEFAULT_STEPS, check_step_class, expand_presets, get_step, is_step
from auditkit.spec_checks import StepList, check_model_settings, check_sensitive_settings

if TYPE_CHECKING:
    from auditkit.steps import Step

TASKS = ("binary", "multiclass", "regression")
MAX_SEED = 2**32 - 1  # numpy's RandomState (train/test split, sampling) takes seeds below 2**32
COLUMN_LIST = "a list of column names, each named once"


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
    data : DataFrame, str, Path or auditkit.datasets.Dataset
        A DataFrame, a CSV/Parquet path, the name of a bundled dataset (``adult``, ``compas``,
        ``german``), or a :class:`~auditkit.datasets.Dataset` (from ``datasets.load`` or
        ``datasets.make_biased``), whose metadata supplies the defaults of ``target``,
        ``positive_label``, ``sensitive`` and the reference model's features.
    target : str, optional
        Target column. Defaults to the bundled dataset's target.
    positive_label : optional
        Value of ``target`` that counts as the positive outcome. Defaults to the bundled
        dataset's; for other data, required unless the target is 0/1 or boolean.
    sensitive : list of str
        Sensitive feature columns, each once (a single name is a one-element list). Defaults
        to the bundled dataset's.
    model : str, Path or fitted estimator, optional
        A model file (skops, XGBoost ``.json``/``.ubj``, LightGBM ``.txt``, ONNX ``.onnx``; pickle/joblib
        only with ``trust_model``: see :mod:`auditkit.io.model_formats`), or a fitted estimator held in memory:
        anything with ``predict`` (optionally ``predict_proba`` or ``decision_function``), such
        as a scikit-learn estimator or Pipeline, LightGBM or XGBoost. An in-memory model is
        hashed for provenance (``provenance.model_sha256_method`` says how).
    trust_model : bool, default False
        Trust the whole model file: every type in a skops file, and a pickle/joblib file at all
        (unpickling runs arbitrary code). Only ``True`` or ``False``; only with a model file.
    trust_types : list of str
        Types of a skops file trusted by name (e.g. ``["sklearn.tree._tree.Tree"]``) on top of
        skops' defaults and :data:`auditkit.io.skops_files.SAFE_TYPES`.
    predictions : str, optional
        Column holding existing decisions to audit (no model needed).
    scores : str, optional
        Column holding scores/probabilities of the positive class.
    seed : int, default 0
        Seed for every random choice (split, sampling, bootstrap, explainers); 0 to 2**32 - 1.
    test_size : float, default 0.3
        Held-out fraction when auditkit splits data without a documented split to train the reference model.
    split : {"test", "all"}, optional
        ``"test"``: a bundled dataset's documented held-out rows (the default with a model or the reference
        model); ``"all"``: every row (the default for ``predictions`` and other data); :mod:`~auditkit.io.audit_rows`.
    sample : int, optional
        Audit a seeded sample of this many of those rows (at least 10; all of them when there are fewer).
    task : {"binary", "multiclass", "regression"}, default "binary"
    min_group_size : int, default 30
        Groups smaller than this are flagged and left out of headline disparities.
    reference_groups : dict, optional
        ``{sensitive column: value}`` used as reference group; default the largest group.
        The value must occur in the audited rows (checked before any step runs).
    steps : list of str or Step, optional
        Steps to run, in order, each once: registered names (see :func:`auditkit.register_step`)
        and step instances, e.g. ``[FairnessStep(n_boot=200), "performance"]`` (a single name or
        step is a one-element list). Default: the standard audit. Instances are recorded in
        ``audit.json`` as their name (in ``steps``) and settings (in ``step_options``).
        A preset stands for its steps and settings, recorded expanded (``"quick"``: no LIME, fewer
        resamples; see ``auditkit.registry.STEP_PRESETS``).
    step_options : dict, optional
        ``{step name: {option: value}}`` passed to the constructor of each step named by name
        (a step given as an instance carries its own settings).
    policy : str or dict, optional
        Policy thresholds (YAML path or mapping) turned into pass/fail checks; read and
        checked when the spec is built.
    encoding : str, optional
        Text encoding of a CSV/TSV ``data`` file (e.g. ``"latin-1"``); default: UTF-8, or what
        the file's byte-order mark says.
    data_name : str, optional
        The data's name in ``audit.json`` (``dataset.name``) and the report; default the bundled
        dataset's name, the file's name, the Dataset's ``name``, or ``"DataFrame"``.
    model_name : str, optional
        The model's name in ``audit.json`` (``provenance.model.name``) and the report; default the
        model file's stem or the final estimator's class (``"LogisticRegression in a Pipeline"``).
        Not for audits of ``predictions``.
    intended_use, limitations : str, optional
        What the model (or the system whose ``predictions`` are audited) is for, and its known
        limitations, in the authors' words: shown in the report and the model card (else prompts).
    model_source, model_licence, model_version : str, optional
        Where the model comes from (e.g. a URL), its licence and its version: recorded in
        ``provenance.model`` and the model card. Not for audits of ``predictions``.
    model_openness : dict, optional
        Which of the Model Openness Framework's components are released, where and under which licence
        (see :mod:`auditkit.io.openness`): in ``provenance.model.openness`` and the model card.
    shap_rows : int, optional
        Most rows the SHAP step explains (a seeded sample stratified by sensitive group). Default:
        up to 1,000, fewer for a model whose TreeSHAP would take long (see :class:`~auditkit.steps.ShapStep`).
    features : list of str, optional
        The columns the model is given. Without ``model``: the reference model's inputs.
        With ``model``: the columns passed to it, in its order (they must match the columns
        the model was fitted on, when it knows them). Default: the dataset's feature columns
        (every column but the target for other data).
    exclude : list of str, optional
        Columns left out of the reference model's inputs (e.g. the sensitive features, to show
        "fairness through unawareness"); only without ``model`` and ``features``.

    Examples
    --------
    >>> AuditSpec(data="german", steps="fairness").steps
    ['fairness']
    >>> from auditkit.steps import FairnessStep
    >>> spec = AuditSpec(data="german", steps=[FairnessStep(n_boot=200), "performance"])
    >>> spec.step_names, spec.to_dict()["step_options"]["fairness"]["n_boot"]
    (['fairness', 'performance'], 200)
    >>> AuditSpec(data="german", steps="quick").step_options["fairness"]["n_boot"]
    200
    >>> AuditSpec(data="german", exclude=["sex", "personal_status"]).exclude
    ['sex', 'personal_status']
    >>> AuditSpec(data=7)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: data must be a DataFrame, a file path, a bundled dataset name (adult, compas, \
german) or an auditkit.datasets.Dataset; got 7 (int)
    >>> AuditSpec(data="german", trust_model="false")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: trust_model must be true or false; got 'false' (str)
    """

    data: Any
    target: str | None = None
    positive_label: Any = None
    sensitive: list[str] = field(default_factory=list)
    model: Any = None
    trust_model: bool = False
    trust_types: list[str] = field(default_factory=list)
    predictions: str | None = None
    scores: str | None = None
    seed: int = 0
    test_size: float = 0.3
    split: str | None = None
    sample: int | None = None
    task: str = "binary"
    min_group_size: int = 30
    reference_groups: dict[str, Any] = field(default_factory=dict)
    steps: list[str | Step] | None = None
    step_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: Any = None
    encoding: str | None = None
    data_name: str | None = None
    model_name: str | None = None
    intended_use: str | None = None
    limitations: str | None = None
    features: list[str] | None = None
    exclude: list[str] = field(default_factory=list)
    model_source: str | None = None
    model_licence: str | None = None
    model_version: str | None = None
    model_openness: dict[str, Any] = field(default_factory=dict)
    shap_rows: int | None = None

    constraints: ClassVar[dict[str, list]] = {
        "data": [AnyOf((DataFrameForm(), PathForm(), DatasetForm()), DATA_FORMS)],
        "target": [None, Text()],
        "positive_label": [None, Scalar()],
        "sensitive": [ListOf(Text(), "a list of column names, each named once", unique=True)],
        "model": [None, AnyOf((PathForm(), EstimatorForm()), MODEL_FORMS)],
        "trust_model": [Boolean()],
        "trust_types": [ListOf(Text(), "a list of type names, e.g. [sklearn.tree._tree.Tree]", unique=True)],
        "predictions": [None, Text()],
        "scores": [None, Text()],
        "seed": [Interval(int, 0, MAX_SEED)],
        "test_size": [Interval(float, 0, 1, closed="neither")],
        "split": [None, Options(("test", "all"))],
        "sample": [None, Interval(int, 10)],
        "task": [Options(TASKS)],
        "min_group_size": [Interval(int, 1)],
        "reference_groups": [MappingOf(Text(), Scalar(), "a mapping of sensitive column to one value, "
                                                         "e.g. {sex: Male}")],
        "steps": [None, StepList()],
        "step_options": [MappingOf(Text(), AnyOf((None, MappingOf(Text(), None)), "options"),
                                   "a mapping of step name to its options, e.g. {fairness: {n_boot: 500}}")],
        "policy": [None, PathForm("a policy file path"), MappingOf(None, None, "a mapping of policy entries")],
        "encoding": [None, Text()],
        "data_name": [None, Text("a name (non-empty text)")],
        "model_name": [None, Text("a name (non-empty text)")],
        "intended_use": [None, Prose()],
        "limitations": [None, Prose()],
        "features": [None, ListOf(Text(), f"a non-empty {COLUMN_LIST[2:]}", unique=True, min_items=1)],
        "exclude": [ListOf(Text(), COLUMN_LIST, unique=True)],
        **{name: [None, Text("non-empty text")] for name in ("model_source", "model_licence", "model_version")},
        "model_openness": [MappingOf(None, None, "a mapping of openness component to its state")],
        "shap_rows": [None, Interval(int, 1)],
    }

    def __post_init__(self) -> None:
        self._normalise()
        check_all(self, self.constraints)
        self.model_openness = checked_openness(self.model_openness)
        self.step_options = {step: dict(options or {}) for step, options in self.step_options.items()}
        self._check_combinations()

    def _normalise(self) -> None:
        """A single name is a one-element list; an empty mapping may be written as nothing; paths are text."""
        for name in ("model", "policy"):
            if isinstance(getattr(self, name), os.PathLike):
                setattr(self, name, os.fspath(getattr(self, name)))
        for name in ("sensitive", "steps", "features", "exclude", "trust_types"):
            value = getattr(self, name)
            if isinstance(value, str) or is_step(value):
                setattr(self, name, [value])
            elif isinstance(value, tuple):
                setattr(self, name, list(value))
        for name in ("sensitive", "exclude", "trust_types"):
            if getattr(self, name) is None:
                setattr(self, name, [])
        for name in ("reference_groups", "step_options", "model_openness"):
            if getattr(self, name) is None:
                setattr(self, name, {})
        self.steps, self.step_options = expand_presets(self.steps, self.step_options)

    def _check_combinations(self) -> None:
        if self.model is not None and self.predictions is not None:
            raise InputError("pass either model= or predictions=, not both")
        if self.scores is not None and self.predictions is None and self.model is None:
            raise InputError("scores=COLUMN needs predictions=COLUMN (scores of existing decisions)")
        if self.scores is not None and self.task != "binary":
            raise InputError(f"scores= applies to binary audits only; this audit's task is {self.task}")
        check_model_settings(self)
        steps = self.configured_steps()
        if self.sensitive:
            check_sensitive_settings(self, steps, self.sensitive)
        self._check_policy()

    def _check_policy(self) -> None:
        from auditkit.fairness.policy import check_groupings

        rules = self.policy_rules()
        if self.sensitive:
            check_groupings(rules, self.sensitive)

    def policy_rules(self) -> list | None:
        """The policy's rules (None without a policy); they may name the fairness step's ``extra_metrics``."""
        from auditkit.fairness.policy import load_policy

        if self.policy is None:
            return None
        extra = getattr(self.step("fairness"), "extra_metrics", None) or {}
        return load_policy(self.policy, self.task, list(extra))

    @property
    def step_names(self) -> list[str]:
        """Names of the steps the audit runs, in order."""
        if self.steps is None:
            return list(DEFAULT_STEPS)
        return [s if isinstance(s, str) else s.name for s in self.steps]

    def step(self, name: str) -> Step:
        """The step called ``name`` as this spec sets it: the instance in ``steps``, or one built from ``step_options``.

        Any registered step can be asked for, also one the audit does not run (the agreement
        step asks for the shap and lime steps).
        """
        for given in self.steps or []:
            if not isinstance(given, str) and given.name == name:
                return given
        return get_step(name)(**self.step_options.get(name, {}))

    def build_steps(self) -> list[Step]:
        """The steps to run, in order (instances as given, names built with their ``step_options``)."""
        return [self.step(name) for name in self.step_names]

    def configured_steps(self) -> dict[str, Step]:
        """Every step this spec runs or sets options for, by name (building them checks their settings).

        Raises
        ------
        InputError
            A step name that is not registered, an option a step does not have, a setting
            outside its constraints, or options for a step given as an instance.
        """
        given = {s.name: s for s in self.steps or [] if not isinstance(s, str)}
        for step in given.values():
            check_step_class(type(step))
            step.validate_settings()  # again: an instance may have been changed since it was built
            if step.name in self.step_options:
                raise InputError(f"step_options sets options for '{step.name}', which steps gives as a "
                                 f"{type(step).__name__} instance; set them on the instance instead")
        for name in self.step_names:
            if name not in given:
                get_step(name)
        for name, options in self.step_options.items():
            settings = [f.name for f in dataclasses.fields(get_step(name, setting="step_options"))]
            unknown = [option for option in options if option not in settings]
            if unknown:
                raise InputError(
                    f"unknown option(s) for step '{name}': {', '.join(map(str, unknown))}; "
                    f"its settings are: {', '.join(sorted(settings)) or 'none'}"
                )
        return {**given, **{name: self.step(name) for name in self.step_options}}

    def recorded_step_options(self) -> dict[str, dict[str, Any]]:
        """``step_options`` as ``audit.json`` records them: with the settings of every step given as an instance."""
        given = {s.name: s.get_params() for s in self.steps or [] if not isinstance(s, str)}
        return {**{name: dict(options) for name, options in self.step_options.items()}, **given}

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-friendly: in-memory inputs are shown by name.

        A DataFrame or Dataset ``data`` is shown as ``data_name`` (or its default name); an
        in-memory ``model`` as ``model_name``, else its class (``"sklearn.pipeline.Pipeline"``).

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"y": [0, 1], "g": ["a", "b"]})
        >>> AuditSpec(data=frame, data_name="loans 2024").to_dict()["data"]
        'loans 2024'
        """
        in_memory = {"data", "model"}
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)
               if f.name not in in_memory}
        out["data"] = shown_data(self.data, self.data_name)
        out["model"] = shown_model(self.model, self.model_name)
        out["steps"] = None if self.steps is None else self.step_names
        out["step_options"] = self.recorded_step_options()
        return {f.name: out[f.name] for f in dataclasses.fields(self)}

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> AuditSpec:
        """Load a spec from YAML; keyword ``overrides`` that are not None win."""
        mapping = resolve_relative_paths(read_yaml_mapping(path), Path(path).resolve().parent)
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
            raise InputError(f"the audit needs data= ({DATA_FORMS})")
        return cls(**merged)

