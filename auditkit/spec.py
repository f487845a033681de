"""AuditSpec: what to audit, as plain data, loadable from YAML.

The same object comes from the CLI, a notebook, papermill parameters or a batch plan.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .exceptions import InputError

TASKS = ("binary", "multiclass", "regression")
DEFAULT_STEPS = ("data_overview", "data_bias", "performance", "fairness", "shap", "lime", "agreement")


@dataclass
class AuditSpec:
    """Everything needed to run one audit.

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
        Sensitive feature columns. Defaults to the bundled dataset's.
    model : str, optional
        Path of a scikit-learn model saved with skops.
    trust_model : bool, default False
        Allow loading types in the model file that skops does not trust by default.
    predictions : str, optional
        Column holding existing decisions to audit (no model needed).
    scores : str, optional
        Column holding scores/probabilities of the positive class.
    seed : int, default 0
        Seed for every random choice (split, sampling, bootstrap, explainers).
    test_size : float, default 0.3
        Held-out fraction when a reference model is trained.
    sample : int, optional
        Audit a seeded random sample of this many rows (quick runs).
    task : {"binary", "multiclass", "regression"}, default "binary"
    min_group_size : int, default 30
        Groups smaller than this are flagged and left out of headline disparities.
    reference_groups : dict, optional
        ``{sensitive column: value}`` used as reference group; default the largest group.
    steps : list of str, optional
        Steps to run, by name; default the standard audit.
    step_options : dict, optional
        ``{step name: {option: value}}`` passed to each step's constructor.
    policy : str or dict, optional
        Policy thresholds (YAML path or mapping) turned into pass/fail checks.
    encoding : str, optional
        Text encoding of a CSV/TSV ``data`` file (e.g. ``"latin-1"``); default: UTF-8, or what
        the file's byte-order mark says.
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

    def __post_init__(self) -> None:
        if isinstance(self.sensitive, str):
            self.sensitive = [self.sensitive]
        self.sensitive = list(self.sensitive or [])
        self._check_types()

    def _check_types(self) -> None:
        if self.task not in TASKS:
            raise InputError(f"task must be one of {', '.join(TASKS)}; got {self.task!r}")
        if self.model is not None and self.predictions is not None:
            raise InputError("give either a model or a predictions column, not both")
        if self.scores is not None and self.predictions is None and self.model is None:
            raise InputError("--scores needs --predictions (scores of existing decisions)")
        if self.scores is not None and self.task != "binary":
            raise InputError(f"--scores applies to binary audits only; this audit's task is {self.task}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError(f"seed must be a non-negative integer; got {self.seed!r}")
        if not 0.0 < float(self.test_size) < 1.0:
            raise InputError(f"test_size must be between 0 and 1; got {self.test_size!r}")
        if self.sample is not None and int(self.sample) < 10:
            raise InputError(f"sample must be at least 10 rows; got {self.sample!r}")
        if int(self.min_group_size) < 1:
            raise InputError(f"min_group_size must be at least 1; got {self.min_group_size!r}")
        unknown = set(self.steps or []) - set(_known_steps())
        if unknown:
            raise InputError(
                f"unknown step(s): {', '.join(sorted(unknown))}; "
                f"available: {', '.join(_known_steps())}"
            )
        _check_step_options(self.step_options)

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
        unknown = set(mapping) - names
        if unknown:
            raise InputError(
                f"unknown audit setting(s): {', '.join(sorted(unknown))}; "
                f"expected some of: {', '.join(sorted(names))}"
            )
        merged = dict(mapping)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        if "data" not in merged:
            raise InputError("the audit spec needs 'data' (a file path or a bundled dataset name)")
        return cls(**merged)


def read_yaml_mapping(path: str | Path, role: str = "config") -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors are one line naming the file's role."""
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{role} file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{role} file {path} is not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(loaded, dict):
        raise InputError(f"{role} file {path} must hold a mapping of settings")
    return loaded


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


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


def _check_step_options(step_options: dict[str, dict[str, Any]]) -> None:
    """Every step named in ``step_options`` exists and every option is one of its settings."""
    from .steps import STEPS

    for step, options in step_options.items():
        if step not in STEPS:
            raise InputError(f"step_options names unknown step '{step}'; available: {', '.join(sorted(STEPS))}")
        settings = {f.name for f in dataclasses.fields(STEPS[step])}
        unknown = set(options or {}) - settings
        if unknown:
            raise InputError(
                f"unknown option(s) for step '{step}': {', '.join(sorted(unknown))}; "
                f"its settings are: {', '.join(sorted(settings))}"
            )


def _known_steps() -> list[str]:
    from .steps import STEPS

    return sorted(STEPS)
