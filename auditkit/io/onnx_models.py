"""ONNX models run with onnxruntime, with the scikit-learn methods an audit calls.

Read for models exported with ``skl2onnx``: a classifier has a label output and a probability
output (a tensor with one column per class, or ZipMap's list of ``{class: probability}``),
and declares its classes in the graph (``classlabels_strings`` or ``classlabels_int64s`` of its
ZipMap or classifier node); a regressor has one numeric output. The inputs are either one
tensor with a column per feature, or one ``[N, 1]`` tensor per column, named like the column.
The session runs on one thread, so the same rows always give the same numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.metaestimators import available_if

from auditkit.exceptions import ModelLoadError

_ELEMENT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
                  "tensor(int32)": np.int32, "tensor(string)": str, "tensor(bool)": bool}
_CLASS_ATTRIBUTES = ("classlabels_strings", "classlabels_int64s", "classlabels_ints")


class OnnxModel:
    """An ONNX model file, run with onnxruntime.

    Parameters
    ----------
    model_bytes : bytes
        The ``.onnx`` file's content (kept so the model can be pickled and sent to another process).

    Examples
    --------
    >>> import tempfile
    >>> from skl2onnx import to_onnx
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"income": [10.0, 20, 30, 40], "debt": [5.0, 1, 4, 2]})
    >>> fitted = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> model = OnnxModel(to_onnx(fitted, X.to_numpy(np.float32)).SerializeToString())
    >>> model.classes_.tolist(), model.n_features_in_, model.predict(X).tolist()
    (['no', 'yes'], 2, ['no', 'no', 'yes', 'yes'])
    >>> bool(np.allclose(model.predict_proba(X), fitted.predict_proba(X), atol=1e-6))
    True
    """

    def __init__(self, model_bytes: bytes) -> None:
        self.model_bytes = model_bytes
        self._start()

    def _start(self) -> None:
        import onnx
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(self.model_bytes, options, providers=["CPUExecutionProvider"])
        self._inputs = self._session.get_inputs()
        graph = onnx.load_from_string(self.model_bytes).graph
        self._classes = _declared_classes(graph)
        outputs = self._session.get_outputs()
        self._label = next((o.name for o in outputs if o.type in ("tensor(int64)", "tensor(string)")), None)
        self._proba = next((o.name for o in outputs if o.name != self._label
                            and (o.type.startswith("seq(map(") or o.type == "tensor(float)")), None)
        if self._classes is None:
            self._value = next((o.name for o in outputs if o.type in ("tensor(float)", "tensor(double)")), None)
        if len(self._inputs) == 1:
            width = self._inputs[0].shape[-1] if len(self._inputs[0].shape) == 2 else None
            self.n_features_in_ = width if isinstance(width, int) else None
        else:
            self.feature_names_in_ = np.asarray([i.name for i in self._inputs], dtype=object)
            self.n_features_in_ = len(self._inputs)

    def __getstate__(self) -> dict[str, Any]:
        return {"model_bytes": self.model_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.model_bytes = state["model_bytes"]
        self._start()

    @property
    def classes_(self) -> np.ndarray:
        """The classes the model declares (a regressor has none: ``AttributeError``)."""
        if self._classes is None:
            raise AttributeError("an ONNX regressor has no classes_")
        return np.asarray(self._classes)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The label output of a classifier, or the value of a regressor."""
        if self._classes is None:
            return np.asarray(self._run(X, self._value)).ravel()
        return np.asarray(self._run(X, self._label)).ravel()

    def _has_probabilities(self) -> bool:
        return self._classes is not None and self._proba is not None

    @available_if(_has_probabilities)
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """One column per class, in the order of :attr:`classes_`."""
        output = self._run(X, self._proba)
        if isinstance(output, list):  # ZipMap: one {class: probability} per row
            return np.array([[row[c] for c in self._classes] for row in output], dtype=np.float32).reshape(
                len(output), len(self._classes))
        return np.asarray(output)

    def _run(self, X: pd.DataFrame, output: str) -> Any:
        return self._session.run([output], self._feed(X))[0]

    def _feed(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        if len(self._inputs) == 1:
            kind = self._inputs[0]
            return {kind.name: _typed(np.asarray(X), kind.type)}
        return {i.name: _typed(X[[i.name]].to_numpy(), i.type) for i in self._inputs}

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """What the model is (shown in ``audit.json``): its inputs and outputs."""
        return {"inputs": [i.name for i in self._inputs], "outputs": [o.name for o in self._session.get_outputs()]}

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        if self._classes is not None:
            return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                        classifier_tags=ClassifierTags())
        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags())

    def __repr__(self) -> str:
        return f"OnnxModel(inputs={[i.name for i in self._inputs]})"


def _typed(values: np.ndarray, onnx_type: str) -> np.ndarray:
    kind = _ELEMENT_TYPES.get(onnx_type)
    if kind is None:
        raise TypeError(f"the model takes an input of type {onnx_type}, which auditkit cannot feed")
    return values.astype(str) if kind is str else values.astype(kind)


def _declared_classes(graph: Any) -> list[Any] | None:
    """The classes named in the graph: by its ZipMap node, else by its one classifier node (None: a regressor)."""
    declared = []
    for node in sorted(graph.node, key=lambda n: n.op_type != "ZipMap"):
        for attribute in node.attribute:
            if attribute.name in _CLASS_ATTRIBUTES:
                values = list(attribute.ints) or [s.decode() for s in attribute.strings]
                declared.append([int(v) if isinstance(v, int) else v for v in values])
        if declared and node.op_type == "ZipMap":
            return declared[0]
    if not declared:
        return None
    if any(classes != declared[0] for classes in declared):
        raise ModelLoadError(f"the ONNX model declares several class lists ({declared}); expected one classifier")
    return declared[0]


def load_onnx(path: Path) -> OnnxModel:
    """An ONNX model file (``.onnx``), run with onnxruntime.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "model.onnx"
    >>> _ = path.write_bytes(b"not a model")
    >>> load_onnx(path)
    Traceback (most recent call last):
    ...
    auditkit.exceptions.ModelLoadError: model.onnx: not a readable ONNX model file (...)
    """
    try:
        import onnx  # noqa: F401 - the graph is read for the classes it declares
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ModelLoadError(f"{path.name} is an ONNX model file; reading it needs onnxruntime and onnx: "
                             "pip install 'auditkit[onnx]'") from None
    try:
        return OnnxModel(path.read_bytes())
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own errors for a bad file
        detail = " ".join(str(exc).split())[:300]
        raise ModelLoadError(f"{path.name}: not a readable ONNX model file ({detail})") from None
