"""Audit steps by name: the built-in ones, plugins (entry points) and steps registered at run time.

Modelled on papermill's ``engines.py``. A step is found by its ``name``:

* built-in steps are listed here as import paths and imported only when first asked for;
* an installed package adds steps through the entry-point group ``auditkit.steps``
  (``my_step = "my_package.steps:MyStep"`` under ``[project.entry-points."auditkit.steps"]``);
* a step defined in a notebook or script is added with :func:`register_step`.

This module imports nothing from auditkit but the exceptions (a leaf module), so the spec
can look steps up without importing them (and without an import cycle).

Examples
--------
>>> from auditkit.registry import get_step, step_names
>>> get_step("fairness").__name__
'FairnessStep'
>>> "performance" in step_names()
True
>>> get_step("fairnes")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
auditkit.exceptions.InputError: No step named 'fairnes' (did you mean 'fairness'?); available: ...
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, TypeVar

from auditkit.exceptions import InputError

ENTRY_POINT_GROUP = "auditkit.steps"

# Built-in steps in the order of the standard audit.
BUILTIN_STEPS: dict[str, str] = {
    "data_overview": "auditkit.steps.data_overview:DataOverviewStep",
    "data_bias": "auditkit.steps.data_bias:DataBiasStep",
    "performance": "auditkit.steps.performance:PerformanceStep",
    "fairness": "auditkit.steps.fairness:FairnessStep",
    "shap": "auditkit.steps.shap_step:ShapStep",
    "lime": "auditkit.steps.lime_step:LimeStep",
    "agreement": "auditkit.steps.agreement:AgreementStep",
    "mitigation": "auditkit.steps.mitigation:MitigationStep",
}
# Built-in steps an audit runs only when asked for (``steps=[..., "mitigation"]``): they train models.
OPT_IN_STEPS: tuple[str, ...] = ("mitigation",)
# The steps an audit runs when the spec names none.
DEFAULT_STEPS: tuple[str, ...] = tuple(name for name in BUILTIN_STEPS if name not in OPT_IN_STEPS)
# Top-level keys of audit.json written by steps, in this order; a step may write any other
# section (it follows these, in the order the steps ran).
# The pseudo-step the runner adds for policy checks (not a registered step).
POLICY_STEP = "policy"

KNOWN_SECTIONS: tuple[str, ...] = ("data", "performance", "fairness", "explanations", "checks")
# Top-level keys of audit.json that are not sections: no step may write them.
RESERVED_KEYS: tuple[str, ...] = ("schema_version", "provenance", "dataset", "steps", "findings")

S = TypeVar("S", bound=type)


class StepRegistry:
    """Step classes by name; built-in steps and entry points are imported on first use.

    Parameters
    ----------
    builtins : mapping of str to str
        Step name to ``"module:Class"``.
    group : str
        Entry-point group scanned (once, on first look-up) for plugin steps.

    Examples
    --------
    >>> registry = StepRegistry({"performance": "auditkit.steps.performance:PerformanceStep"},
    ...                         group="no_such_group")
    >>> registry.names(), registry.get("performance").__name__
    (['performance'], 'PerformanceStep')
    >>> registry.get("fairness")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: No step named 'fairness'; available: performance
    """

    def __init__(self, builtins: Mapping[str, str], group: str = ENTRY_POINT_GROUP) -> None:
        self._sources: dict[str, Any] = dict(builtins)  # name -> import path, entry point or class
        self._group = group
        self._scanned = False

    def register(self, cls: S, *, replace: bool = False) -> S:
        """Add ``cls`` under ``cls.name`` and return it (so it works as a class decorator).

        Registering a class again under its name (a notebook cell run twice) replaces it;
        any other class needs ``replace=True`` to take a name already in use.
        """
        check_step_class(cls)
        if cls.name in STEP_PRESETS:
            raise InputError(f"a step cannot be named '{cls.name}': that is the name of a steps preset "
                             f"({', '.join(STEP_PRESETS)}); choose another name")
        self._scan_entry_points()
        current = self._sources.get(cls.name)
        if current is not None and not replace and _qualified(current) != _qualified(cls):
            raise InputError(f"a step named '{cls.name}' is already registered ({_qualified(current)}); "
                             f"pass replace=True to replace it with {_qualified(cls)}")
        self._sources[cls.name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Remove the step called ``name`` (built-in steps included) -- for tests."""
        self._scan_entry_points()
        self._sources.pop(name, None)

    def get(self, name: str, *, setting: str | None = None) -> type:
        """The step class called ``name``.

        Raises
        ------
        InputError
            No step has that name; the message lists the available ones (prefixed with
            ``setting:`` when given, e.g. ``"step_options"``).
        """
        self._scan_entry_points()
        if not isinstance(name, str) or name not in self._sources:
            hint = _did_you_mean(name, list(self._sources))
            where = f"{setting}: no" if setting else "No"
            raise InputError(f"{where} step named {name!r}{hint}; available: {', '.join(self.names())}")
        source = self._sources[name]
        if not isinstance(source, type):
            source = self._sources[name] = self._load(name, source)
        return source

    def names(self) -> list[str]:
        """Names of every step: built-in ones in the order of the standard audit, then the others sorted."""
        self._scan_entry_points()
        builtin = [n for n in BUILTIN_STEPS if n in self._sources]
        return builtin + sorted(n for n in self._sources if n not in BUILTIN_STEPS)

    def _scan_entry_points(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for entry in metadata.entry_points(group=self._group):
            if entry.name in self._sources:
                warnings.warn(f"auditkit: the entry point {entry.value!r} names the step '{entry.name}', which "
                              "already exists; it is ignored", stacklevel=2)
                continue
            self._sources[entry.name] = entry

    def _load(self, name: str, source: Any) -> type:
        try:
            cls = _import(source) if isinstance(source, str) else source.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is named, not a bare traceback
            raise InputError(f"the step '{name}' cannot be imported from {_qualified(source)}: "
                             f"{type(exc).__name__}: {exc}") from exc
        check_step_class(cls)
        if cls.name != name:
            raise InputError(f"the step registered as '{name}' ({_qualified(source)}) is named '{cls.name}'")
        return cls


def check_step_class(cls: Any) -> None:
    """Raise :class:`InputError` unless ``cls`` has the shape of an audit step.

    A step class is a dataclass with a ``name`` (an identifier), a ``section`` (the top-level
    key of ``audit.json`` it writes; not one of :data:`RESERVED_KEYS`) and a ``run`` method.

    Examples
    --------
    >>> check_step_class(get_step("fairness"))
    >>> class Counts:
    ...     name = "counts"
    ...     section = "provenance"
    ...     def run(self, ctx):
    ...         return None
    >>> check_step_class(Counts)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: step class Counts needs a section, the audit.json key it writes (not one of \
schema_version, provenance, dataset, steps, findings); got 'provenance'
    """
    if not isinstance(cls, type):
        raise InputError(f"a step must be a class (a Step subclass); got {cls!r}")
    what = f"step class {cls.__qualname__}"
    name, section = getattr(cls, "name", None), getattr(cls, "section", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise InputError(f"{what} needs a name that is an identifier (e.g. name = 'my_step'); got {name!r}")
    if not isinstance(section, str) or not section or section in RESERVED_KEYS:
        raise InputError(f"{what} needs a section, the audit.json key it writes (not one of "
                         f"{', '.join(RESERVED_KEYS)}); got {section!r}")
    if not callable(getattr(cls, "run", None)):
        raise InputError(f"{what} needs a run(ctx) method")
    if not dataclasses.is_dataclass(cls):
        raise InputError(f"{what} must be a dataclass (decorate it with @dataclass): its fields are its settings")


def is_step(value: Any) -> bool:
    """True for an instance of a step class (not for the class itself).

    Examples
    --------
    >>> step_class = get_step("performance")
    >>> is_step(step_class()), is_step(step_class), is_step("performance")
    (True, False, False)
    """
    return (not isinstance(value, type) and isinstance(getattr(value, "name", None), str)
            and isinstance(getattr(value, "section", None), str) and callable(getattr(value, "run", None)))


def _import(path: str) -> type:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _qualified(source: Any) -> str:
    if isinstance(source, type):
        return f"{source.__module__}:{source.__qualname__}"
    # An entry point: importlib.metadata's, or importlib_metadata's once that backport has put its
    # finder on sys.meta_path (skops and others import it), so not tested with isinstance.
    return str(getattr(source, "value", source))


def _did_you_mean(name: Any, names: list[str]) -> str:
    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


REGISTRY = StepRegistry(BUILTIN_STEPS)


def register_step(cls: S | None = None, *, replace: bool = False) -> Any:
    """Make a step class available by its ``name`` (in ``steps=[...]``, ``step_options`` and YAML specs).

    Use it as a decorator (``@register_step`` or ``@register_step(replace=True)``) or call it.
    Check the step first with :func:`auditkit.testing.check_step`.

    Parameters
    ----------
    cls : type
        A :class:`~auditkit.steps.Step` subclass (a dataclass with ``name``, ``section``, ``run``).
    replace : bool, default False
        Let ``cls`` take a name another class already has (a built-in step's included).

    Returns
    -------
    type
        ``cls`` itself.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from auditkit.result import StepResult
    >>> from auditkit.steps import Step
    >>> @register_step
    ... @dataclass
    ... class RowCount(Step):
    ...     name = "row_count"
    ...     section = "row_count"
    ...     def run(self, ctx):
    ...         return StepResult(self.name, self.section, payload={"rows": ctx.n_rows})
    >>> get_step("row_count") is RowCount
    True
    >>> REGISTRY.unregister("row_count")
    """
    if cls is None:
        return lambda c: REGISTRY.register(c, replace=replace)
    return REGISTRY.register(cls, replace=replace)


def get_step(name: str, *, setting: str | None = None) -> type:
    """The step class called ``name`` (an :class:`InputError` listing the available ones otherwise).

    Examples
    --------
    >>> get_step("shap").__name__
    'ShapStep'
    >>> get_step("shapp", setting="step_options")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: step_options: no step named 'shapp' (did you mean 'shap'?); available: ...
    """
    return REGISTRY.get(name, setting=setting)


def step_names() -> list[str]:
    """Names of every available step: the built-in ones first, in the order of the standard audit.

    Examples
    --------
    >>> step_names()[:8]  # then steps from plugins and register_step, sorted
    ['data_overview', 'data_bias', 'performance', 'fairness', 'shap', 'lime', 'agreement', 'mitigation']
    """
    return REGISTRY.names()


@dataclass(frozen=True)
class StepPreset:
    """A named choice of steps with settings, written where a list of steps goes (``steps="quick"``).

    Attributes
    ----------
    steps : tuple of str
        The steps it runs, in order.
    options : mapping
        ``{step name: {setting: value}}`` for those steps; ``step_options`` given with the audit win.
    description : str
        What it leaves out or changes, in a few words (shown in ``auditkit audit --help``).

    Examples
    --------
    >>> STEP_PRESETS["quick"].steps
    ('data_overview', 'data_bias', 'performance', 'fairness', 'shap')
    """

    steps: tuple[str, ...]
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    description: str = ""


STEP_PRESETS: dict[str, StepPreset] = {
    "quick": StepPreset(
        steps=("data_overview", "data_bias", "performance", "fairness", "shap"),
        options={"data_bias": {"n_boot": 200}, "fairness": {"n_boot": 200, "extra_metrics_n_boot": 100},
                 "shap": {"max_rows": 500}},
        description="the standard steps but lime and agreement, 200 bootstrap resamples, SHAP on at most 500 rows",
    ),
}
"""Steps presets by name: ``steps="quick"`` for classes and first looks."""


def expand_presets(steps: Any, step_options: Any) -> tuple[Any, Any]:
    """``steps`` with each preset name replaced by its steps, and ``step_options`` with the preset's settings added.

    A preset expands in place. A step the list also names (or gives as an instance) is left to that
    entry, with its own settings; ``step_options`` win over the preset's settings, option by option.
    Anything that is not a list of steps is returned as it is (the spec's checks name the problem).

    Examples
    --------
    >>> steps, options = expand_presets(["quick"], {"fairness": {"n_boot": 50}})
    >>> steps
    ['data_overview', 'data_bias', 'performance', 'fairness', 'shap']
    >>> options["fairness"], options["data_bias"]
    ({'n_boot': 50, 'extra_metrics_n_boot': 100}, {'n_boot': 200})
    >>> expand_presets(["quick", "lime"], {})[0][-2:]
    ['shap', 'lime']
    """
    if not isinstance(steps, list) or not any(_is_preset(item) for item in steps):
        return steps, step_options
    if step_options is not None and not isinstance(step_options, Mapping):
        return steps, step_options
    named = {item if isinstance(item, str) else getattr(item, "name", None) for item in steps if not _is_preset(item)}
    expanded: list[Any] = []
    options = {name: dict(given or {}) for name, given in (step_options or {}).items()}
    for item in steps:
        if not _is_preset(item):
            expanded.append(item)
            continue
        preset = STEP_PRESETS[item]
        for name in preset.steps:
            if name in named or name in expanded:
                continue
            expanded.append(name)
            if name in preset.options:
                options[name] = {**preset.options[name], **options.get(name, {})}
    return expanded, options


def _is_preset(item: Any) -> bool:
    return isinstance(item, str) and item in STEP_PRESETS


def presets_help() -> str:
    """One line per preset, as ``auditkit audit --help`` shows them.

    Examples
    --------
    >>> presets_help().startswith("quick = the standard steps but lime and agreement")
    True
    """
    return "; ".join(f"{name} = {preset.description}" for name, preset in STEP_PRESETS.items())
