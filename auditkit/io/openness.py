"""An openness checklist of a model, after the components of the Model Openness Framework (MOF).

The MOF (White et al. 2024, "The Model Openness Framework: Promoting Completeness and Openness for
Reproducibility, Transparency, and Usability in Artificial Intelligence", arXiv:2403.13784; Linux
Foundation AI & Data, whose Model Openness Tool lists the same components) names 17 components a model's
producer may release, each under a licence: six of code, six of data and five of documentation
(:data:`COMPONENTS`, in the MOF's order). The checklist records, for the components the user states,
whether each is released, where (a URL) and under which licence. Components not stated are unknown.
It records what the user states; it does not fetch the URLs, judge whether a licence is open, or
assign an MOF class (which needs open licences for every component of the class).

A checklist is given as a mapping of component to its state: a URL (released there), ``true``
(released) or ``false`` (not released), or ``{url, licence, released}``; ``<component>_licence: TEXT``
gives a component's licence (and says it is released). ``weights`` is another name for
``model_parameters`` and ``datasheet`` for ``data_card``.
"""

from __future__ import annotations

import difflib
from typing import Any

from auditkit.exceptions import InputError
from auditkit.params import show

COMPONENTS: dict[str, tuple[str, str]] = {
    "model_architecture": ("Model architecture", "code"),
    "data_preprocessing_code": ("Data preprocessing code", "code"),
    "training_code": ("Training code", "code"),
    "inference_code": ("Inference code", "code"),
    "evaluation_code": ("Evaluation code", "code"),
    "supporting_libraries": ("Supporting libraries and tools", "code"),
    "model_parameters": ("Model parameters (final)", "data"),
    "intermediate_parameters": ("Model parameters (intermediate)", "data"),
    "datasets": ("Datasets", "data"),
    "evaluation_data": ("Evaluation data", "data"),
    "model_metadata": ("Model metadata", "data"),
    "sample_outputs": ("Sample model outputs", "data"),
    "model_card": ("Model card", "documentation"),
    "data_card": ("Data card", "documentation"),
    "technical_report": ("Technical report", "documentation"),
    "research_paper": ("Research paper", "documentation"),
    "evaluation_results": ("Evaluation results", "documentation"),
}
"""The MOF's components: key -> (the MOF's name, its kind), in the MOF's order."""

ALIASES = {"weights": "model_parameters", "datasheet": "data_card"}
LICENCE_SUFFIX = "_licence"
ENTRY_KEYS = ("url", "licence", "released")
VALUE_FORMS = "a URL, true or false, or {url, licence, released}"
SYMBOLS = {True: "✓", False: "✗", None: "unknown"}


def checked_openness(given: Any, where: str = "model_openness") -> dict[str, dict[str, Any]]:
    """The checklist ``given`` checked and in one form: ``{component: {released, url, licence}}``, MOF order.

    Parameters
    ----------
    given : dict or None
        Component -> its state (see the module's notes); None is an empty checklist.
    where : str
        What the checklist belongs to, at the start of an error (``plan model 'logreg': openness``).

    Raises
    ------
    InputError
        One line naming ``where`` and the component: an unknown component, a value of another form,
        a component both not released and given a URL or licence.

    Examples
    --------
    >>> checked = checked_openness({"model_card": "https://example.org/card", "weights_licence": "MIT",
    ...                             "datasets": False})
    >>> list(checked)
    ['model_parameters', 'datasets', 'model_card']
    >>> checked["model_parameters"], checked["datasets"]["released"]
    ({'released': True, 'url': None, 'licence': 'MIT'}, False)
    >>> checked_openness({"modelcard": True})
    Traceback (most recent call last):
    ...
    auditkit.exceptions.InputError: model_openness: unknown component 'modelcard' (did you mean 'model_card'?); \
expected a Model Openness Framework component: model_architecture, ..., evaluation_results (or <component>_licence)
    """
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise InputError(f"{where} must be a mapping of component to {VALUE_FORMS}, e.g. {{model_card: URL, "
                         f"weights_licence: MIT}}; got {show(given)} ({type(given).__name__})")
    entries: dict[str, dict[str, Any]] = {}
    licences: dict[str, Any] = {}
    for key, value in given.items():
        if isinstance(key, str) and key.endswith(LICENCE_SUFFIX) and _component(key[:-len(LICENCE_SUFFIX)]):
            licences[_component(key[:-len(LICENCE_SUFFIX)])] = (key, value)
            continue
        component = _component(key)
        if component is None:
            raise InputError(f"{where}: unknown component {show(key)}{_close_match(key)}; expected a Model Openness "
                             f"Framework component: {_known()} (or <component>{LICENCE_SUFFIX})")
        entry = _entry(f"{where}.{key}", value)
        if entry is not None:
            entries[component] = entry
    for component, (key, licence) in licences.items():
        _require_text(f"{where}.{key}", licence)
        entry = entries.setdefault(component, {"released": True, "url": None, "licence": None})
        if not entry["released"]:
            raise InputError(f"{where}: {key} gives a licence of {component}, which it says is not released "
                             f"(false); drop one")
        entry["licence"] = licence
    return {component: entries[component] for component in COMPONENTS if component in entries}


def _component(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    key = ALIASES.get(key, key)
    return key if key in COMPONENTS else None


def _close_match(key: Any) -> str:
    names = [*COMPONENTS, *ALIASES]
    close = difflib.get_close_matches(str(key).removesuffix(LICENCE_SUFFIX), names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _known() -> str:
    names = list(COMPONENTS)
    return f"{names[0]}, ..., {names[-1]}" if len(names) > 2 else ", ".join(names)


def _entry(where: str, value: Any) -> dict[str, Any] | None:
    """One component's state as ``{released, url, licence}``; None when it is not stated (null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"released": value, "url": None, "licence": None}
    if isinstance(value, str) and value.strip():
        return {"released": True, "url": value, "licence": None}
    if not isinstance(value, dict) or not value:
        raise InputError(f"{where} must be {VALUE_FORMS}; got {show(value)} ({type(value).__name__})")
    unknown = [key for key in value if key not in ENTRY_KEYS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), ENTRY_KEYS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"{where}: unknown setting {show(unknown[0])}{hint}; expected some of: "
                         f"{', '.join(ENTRY_KEYS)}")
    released = value.get("released", True)
    if not isinstance(released, bool):
        raise InputError(f"{where}.released must be true or false; got {show(released)} ({type(released).__name__})")
    for key in ("url", "licence"):
        if value.get(key) is not None:
            _require_text(f"{where}.{key}", value[key])
    if not released and (value.get("url") or value.get("licence")):
        raise InputError(f"{where} is not released (released: false) but has a url or licence; drop one")
    return {"released": released, "url": value.get("url"), "licence": value.get("licence")}


def _require_text(where: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where} must be non-empty text; got {show(value)} ({type(value).__name__})")


def openness_count(checklist: dict[str, dict[str, Any]] | None) -> str:
    """``"3 of 17"``: the components stated released, of the MOF's components.

    Examples
    --------
    >>> openness_count(checked_openness({"model_card": True, "training_code": True, "datasets": False}))
    '2 of 17'
    >>> openness_count(None)
    '0 of 17'
    """
    released = sum(bool(entry.get("released")) for entry in (checklist or {}).values())
    return f"{released} of {len(COMPONENTS)}"


def openness_rows(checklist: dict[str, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Every MOF component in order: its key, name, kind, state (True, False, None: unknown), url, licence.

    Examples
    --------
    >>> rows = openness_rows(checked_openness({"weights": {"url": "https://example.org/w", "licence": "MIT"}}))
    >>> len(rows), [r["released"] for r in rows][5:8]
    (17, [None, True, None])
    >>> rows[6]["name"], rows[6]["symbol"], rows[6]["licence"]
    ('Model parameters (final)', '✓', 'MIT')
    """
    rows = []
    for key, (name, kind) in COMPONENTS.items():
        entry = (checklist or {}).get(key) or {}
        released = entry.get("released")
        rows.append({"component": key, "name": name, "kind": kind, "released": released,
                     "symbol": SYMBOLS[released], "url": entry.get("url"), "licence": entry.get("licence")})
    return rows
