"""Model files by format: which format a file is (by its suffix), and how each is loaded safely.

============  ==========================  ===================================================
format        suffixes                    loaded with
============  ==========================  ===================================================
skops         ``.skops``                  ``skops.io.load``: only trusted types (:mod:`auditkit.io.skops_files`)
xgboost       ``.json``, ``.ubj``         ``xgboost.Booster`` (:mod:`auditkit.io.native_boosters`)
lightgbm      ``.txt``                    ``lightgbm.Booster`` (its text format)
onnx          ``.onnx``                   ``onnxruntime`` (:mod:`auditkit.io.onnx_models`)
pickle        ``.pkl``, ``.pickle``,      ``joblib.load``, only with ``trust_model=True``:
              ``.joblib``                 unpickling runs whatever code the file names
============  ==========================  ===================================================

XGBoost, LightGBM and ONNX files hold data, not code: reading them runs no code from the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditkit.exceptions import ModelLoadError

FORMATS: dict[str, tuple[str, ...]] = {
    "skops": (".skops",),
    "xgboost": (".json", ".ubj"),
    "lightgbm": (".txt",),
    "onnx": (".onnx",),
    "pickle": (".pkl", ".pickle", ".joblib"),
}
"""Each format and the file suffixes it is recognised by."""

_BY_SUFFIX = {suffix: name for name, suffixes in FORMATS.items() for suffix in suffixes}


def model_format(path: str | Path) -> str:
    """The format of a model file, from its suffix (see :data:`FORMATS`).

    Raises
    ------
    ModelLoadError
        The suffix is none of the known ones.

    Examples
    --------
    >>> model_format("models/forest.skops"), model_format("booster.UBJ"), model_format("net.onnx")
    ('skops', 'xgboost', 'onnx')
    >>> model_format("model.h5")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model.h5: not a model format auditkit reads (by its suffix '.h5'); \
expected skops (.skops), xgboost (.json, .ubj), lightgbm (.txt), onnx (.onnx) or pickle (.pkl, .pickle, .joblib, \
with trust_model=True)
    """
    path = Path(path)
    found = _BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        known = [f"{name} ({', '.join(suffixes)})" for name, suffixes in FORMATS.items()]
        known[-1] = known[-1][:-1] + ", with trust_model=True)"
        raise ModelLoadError(f"{path.name}: not a model format auditkit reads (by its suffix {path.suffix!r}); "
                             f"expected {', '.join(known[:-1])} or {known[-1]}")
    return found


def load_model_file(path: str | Path, *, trust: bool = False, trust_types: Sequence[str] = ()) -> Any:
    """Load a model file of any format in :data:`FORMATS`.

    Parameters
    ----------
    path : str or Path
    trust : bool, default False
        skops: trust every type in the file. Pickle/joblib: load it at all (never without).
    trust_types : sequence of str
        skops only: types trusted by name.

    Raises
    ------
    ModelLoadError
        A missing file, an unknown format, an untrusted type, a pickle without ``trust``, a
        library that is not installed, or a file the library cannot read.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "model.pkl"
    >>> _ = path.write_bytes(b"")
    >>> load_model_file(path)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model.pkl: pickle/joblib models are not loaded without trust_model=True: \
unpickling runs whatever code the file holds; convert it to skops where it was made (skops.io.dump(model, \
'model.skops')), or pass trust_model=True if you trust where it comes from
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    kind = model_format(path)
    if trust_types and kind != "skops":
        raise ModelLoadError(f"{path.name} is not a skops file ({kind}); trust_types= applies to skops files only")
    if kind == "skops":
        from auditkit.io.skops_files import load_skops

        return load_skops(path, trust=trust, trust_types=trust_types)
    if kind == "pickle":
        return _load_pickle(path, trust)
    from auditkit.io import native_boosters, onnx_models

    loaders = {"xgboost": native_boosters.load_xgboost, "lightgbm": native_boosters.load_lightgbm,
               "onnx": onnx_models.load_onnx}
    return loaders[kind](path)


def _load_pickle(path: Path, trust: bool) -> Any:
    if not trust:
        raise ModelLoadError(
            f"{path.name}: pickle/joblib models are not loaded without trust_model=True: unpickling runs whatever "
            f"code the file holds; convert it to skops where it was made (skops.io.dump(model, "
            f"'{path.stem}.skops')), or pass trust_model=True if you trust where it comes from"
        )
    import joblib

    try:
        return joblib.load(path)  # reads plain pickles too
    except Exception as exc:  # noqa: BLE001 - whatever the file raises while it is unpickled
        detail = " ".join(str(exc).split())[:300]
        raise ModelLoadError(f"{path.name}: could not unpickle the model ({type(exc).__name__}: {detail})") from None
