"""Loading skops files: skops' own trusted types, a short documented allow-list, and types the user trusts by name.

skops refuses to build any type it does not trust by default; :func:`skops.io.get_untrusted_types`
lists them. auditkit adds to skops' defaults only the types in :data:`SAFE_TYPES`: types
skops' own maintainers treat as safe for scikit-learn estimators but that a file can still show
as untrusted. Everything else is refused, naming each type, until the user trusts it by name
(``trust_types=[...]``, ``--trust-type``) or trusts the whole file (``trust_model=True``).

Not on the list, on purpose: ``sklearn.tree._tree.Tree`` (decision trees, random forests,
extra trees, gradient boosting) and ``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor``
(histogram gradient boosting). skops >= 0.16 stopped trusting them by default: their node
arrays hold raw child and feature indices that scikit-learn follows without bounds checks, so
a crafted file loads fine and then crashes the process (or reads memory it should not) at
``predict``. Validating those arrays at load time is still open in scikit-learn
(scikit-learn#34558), where reviewers found it hard to make complete. A forest or boosted
model made by someone you trust is loaded with ``trust_types=["sklearn.tree._tree.Tree"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditkit.exceptions import ModelLoadError

SAFE_TYPES: dict[str, str] = {
    "numpy.dtype": (
        "a numpy dtype object (e.g. the dtype= of OrdinalEncoder or KBinsDiscretizer). skops trusts every "
        "public numpy dtype by default (skops 0.7, 'All public numpy ufuncs and dtypes are trusted by "
        "default'), but its node for dtype objects has an empty trusted list (a TODO in skops.io._numpy), "
        "so they are still reported. skops rebuilds the dtype from an empty .npy array read with "
        "numpy.load(allow_pickle=False): no code runs and nothing but a dtype can come out."
    ),
}
"""Types loaded without a flag although skops reports them, each with the reason it is safe."""

KNOWN_RISKS: dict[str, str] = {
    "sklearn.tree._tree.Tree": "trees of decision trees, forests and gradient boosting",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": "trees of histogram gradient boosting",
}
"""Types skops deliberately does not trust (a crafted file can crash the process at predict), and what holds them."""


def untrusted_types(path: Path) -> list[str]:
    """Types in the skops file at ``path`` that skops does not trust by default, minus :data:`SAFE_TYPES`.

    Raises
    ------
    ModelLoadError
        The file is not a readable skops file.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from sklearn.preprocessing import OrdinalEncoder
    >>> path = Path(tempfile.mkdtemp()) / "encoder.skops"
    >>> sio.dump(OrdinalEncoder(dtype=np.dtype("int64")).fit([["a"], ["b"]]), path)
    >>> sio.get_untrusted_types(file=path), untrusted_types(path)
    (['numpy.dtype'], [])
    """
    import skops.io as sio

    try:
        reported = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        detail = " ".join(str(exc).split())
        raise ModelLoadError(f"{path.name}: not a readable skops model file ({detail})") from None
    return [name for name in reported if name not in SAFE_TYPES]


def load_skops(path: Path, *, trust: bool = False, trust_types: Sequence[str] = ()) -> Any:
    """Load a skops file trusting skops' defaults, :data:`SAFE_TYPES` and ``trust_types`` (all types with ``trust``).

    Parameters
    ----------
    path : Path
    trust : bool, default False
        Trust every type in the file.
    trust_types : sequence of str
        Types trusted by name, e.g. ``["sklearn.tree._tree.Tree"]``.

    Raises
    ------
    ModelLoadError
        The file holds types that are not trusted: each is named, with the setting that trusts it.

    Examples
    --------
    >>> import tempfile
    >>> import skops.io as sio
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> path = Path(tempfile.mkdtemp()) / "tree.skops"
    >>> sio.dump(DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1]), path)
    >>> load_skops(path)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: tree.skops holds a type that is not trusted by default: \
sklearn.tree._tree.Tree (trees of decision trees, forests and gradient boosting; skops: a crafted file can crash \
the process at predict); if you trust where the file comes from, pass trust_types=['sklearn.tree._tree.Tree'] \
(trust_model=True trusts every type in it)
    >>> type(load_skops(path, trust_types=["sklearn.tree._tree.Tree"])).__name__
    'DecisionTreeClassifier'
    """
    import skops.io as sio

    found = untrusted_types(path)
    refused = [] if trust else [name for name in found if name not in set(trust_types)]
    if refused:
        raise ModelLoadError(_refusal(path, refused))
    try:
        return sio.load(path, trusted=sorted(set(found) | set(SAFE_TYPES)))
    except Exception as exc:  # noqa: BLE001
        detail = " ".join(str(exc).split())
        raise ModelLoadError(f"{path.name}: could not load the model ({detail})") from None


def _refusal(path: Path, refused: list[str]) -> str:
    """One line: which types, why some are risky, and the setting that trusts exactly them."""
    named = ", ".join(
        f"{name} ({KNOWN_RISKS[name]}; skops: a crafted file can crash the process at predict)"
        if name in KNOWN_RISKS else name
        for name in refused
    )
    kind = "a type that is" if len(refused) == 1 else "types that are"
    return (f"{path.name} holds {kind} not trusted by default: {named}; if you trust where the file comes from, "
            f"pass trust_types={refused!r} (trust_model=True trusts every type in it)")
