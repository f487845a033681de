"""Synthetic binary-classification data with planted, known bias."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from auditkit.datasets._loaders import Dataset
from auditkit.exceptions import InputError
from auditkit.text import show

PRIVILEGED = "A"
UNPRIVILEGED = "B"
#: Distance between the class-conditional means of each informative feature.
INFORMATIVE_SEPARATION = 1.5


def make_biased(
    n_samples: int = 5000,
    *,
    base_rate_gap: float = 0.2,
    label_bias: float = 0.0,
    proxy_strength: float = 0.8,
    n_informative: int = 3,
    n_irrelevant: int = 2,
    group_proportion: float = 0.5,
    seed: int = 0,
) -> Dataset:
    """Generate tabular data with planted, known group bias.

    The generating process, step by step:

    1. ``round(n_samples * group_proportion)`` rows are put in the
       unprivileged group ``'B'``, the rest in the privileged group ``'A'``,
       in random order (column ``group``).
    2. A true label is drawn per row with probability
       ``0.5 + base_rate_gap / 2`` in group A and ``0.5 - base_rate_gap / 2``
       in group B.
    3. Label bias: each truly positive member of group B is recorded as
       negative with probability ``label_bias``; the recorded label is the
       target column ``label`` (0/1). Group A labels are never changed.
    4. Informative features ``x0, x1, ...`` are
       ``1.5 * (true_label - 0.5) + N(0, 1)``: they depend on the *true*
       label, so a model trained on biased labels under-predicts group B.
    5. ``proxy`` is ``proxy_strength * z + sqrt(1 - proxy_strength**2) * e``
       with ``z`` the standardised indicator of group B and ``e ~ N(0, 1)``,
       then standardised; its correlation with membership of B is about
       ``proxy_strength``.
    6. Irrelevant features ``noise0, noise1, ...`` are independent N(0, 1).

    Each step draws from its own random stream derived from ``seed``, so the
    output is fully determined by the arguments and, for example, changing
    ``n_irrelevant`` leaves the other columns unchanged.

    Parameters
    ----------
    n_samples : int, default=5000
        Number of rows, at least 2.
    base_rate_gap : float, default=0.2
        True positive rate of group A minus that of group B, in [0, 1].
    label_bias : float, default=0.0
        Probability, in [0, 1], that a truly positive member of group B is
        recorded as negative.
    proxy_strength : float, default=0.8
        Target correlation, in [0, 1], between ``proxy`` and membership of B.
    n_informative : int, default=3
        Number of features related to the true label, at least 0.
    n_irrelevant : int, default=2
        Number of pure-noise features, at least 0.
    group_proportion : float, default=0.5
        Share of rows in the unprivileged group B, in (0, 1); both groups
        must end up with at least one row.
    seed : int, default=0
        Non-negative seed of the random generator.

    Returns
    -------
    Dataset
        ``name`` is ``'synthetic_biased'``; ``frame`` holds ``group``,
        ``proxy``, ``x*``, ``noise*`` and ``label``; ``feature_names`` are all
        columns except ``label`` (the sensitive ``group`` included, as for the
        bundled datasets); the target is ``label`` with positive label 1;
        ``sensitive_features`` is ``['group']``; ``datasheet`` is ``None`` and
        ``source_files`` empty.
        ``truth`` holds each row's planted truth, on the index of ``frame``:
        ``true_label`` (the label drawn in step 2, before label bias) and
        ``label_flipped`` (True where step 3 recorded a true 1 as 0). It is
        not part of ``frame``, so an audit of the dataset (or of its frame)
        never sees it and no model is trained on it; join it to compare
        (``ds.frame.join(ds.truth)``).
        ``ground_truth`` records the arguments (``params``), the privileged
        and disadvantaged groups, group sizes, the realised base rates per
        group before (``base_rate_true``) and after (``base_rate_observed``)
        label bias with their gaps, the number of flipped labels and the
        realised label bias (``label_bias_realised``: flipped labels over
        truly positive members of B), the realised ``proxy_correlation`` and
        the names of the proxy, informative and irrelevant features.

    Raises
    ------
    auditkit.exceptions.InputError
        If an argument is out of range or of the wrong type.

    Notes
    -----
    "Fairness through unawareness" (leaving the sensitive column out of the
    model's inputs) can be tried on this data with the audit's reference
    model: ``auditkit.audit(data=ds, exclude=["group"])`` trains it without
    ``group``, and the ``proxy`` column still carries group membership;
    ``exclude=["group", "proxy"]`` removes both.

    Examples
    --------
    >>> from auditkit.datasets import make_biased
    >>> ds = make_biased(1000, label_bias=0.3, seed=1)
    >>> ds.ground_truth["disadvantaged_group"]
    'B'
    >>> rows = ds.frame.join(ds.truth)
    >>> flipped = rows[rows["label_flipped"]]
    >>> set(flipped["group"]), set(flipped["true_label"]), set(flipped["label"])
    ({'B'}, {1}, {0})
    >>> len(flipped) == ds.ground_truth["n_labels_flipped"]
    True
    """
    params = _validated_params(
        n_samples=n_samples,
        base_rate_gap=base_rate_gap,
        label_bias=label_bias,
        proxy_strength=proxy_strength,
        n_informative=n_informative,
        n_irrelevant=n_irrelevant,
        group_proportion=group_proportion,
        seed=seed,
    )
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    is_b = _draw_groups(streams[0], n_samples, group_proportion)
    y_true = _draw_true_labels(streams[1], is_b, base_rate_gap)
    y_obs = _apply_label_bias(streams[2], y_true, is_b, label_bias)
    frame = pd.DataFrame({"group": np.where(is_b, UNPRIVILEGED, PRIVILEGED)})
    frame["proxy"] = _draw_proxy(streams[3], is_b, proxy_strength)
    frame = frame.join(_draw_informative(streams[4], y_true, n_informative))
    frame = frame.join(_draw_noise(streams[5], n_samples, n_irrelevant))
    frame["label"] = y_obs
    truth = _ground_truth(params, frame, is_b, y_true)
    rows = pd.DataFrame({"true_label": y_true, "label_flipped": y_true != y_obs}, index=frame.index)
    return _as_dataset(frame, truth, rows)


def _validated_params(**params: Any) -> dict[str, Any]:
    _check_int("n_samples", params["n_samples"], minimum=2)
    _check_int("n_informative", params["n_informative"], minimum=0)
    _check_int("n_irrelevant", params["n_irrelevant"], minimum=0)
    _check_int("seed", params["seed"], minimum=0)
    for name in ("base_rate_gap", "label_bias", "proxy_strength"):
        _check_fraction(name, params[name], "[0, 1]", lambda v: 0.0 <= v <= 1.0)
    _check_fraction("group_proportion", params["group_proportion"], "(0, 1)", lambda v: 0.0 < v < 1.0)
    n_b = round(params["n_samples"] * params["group_proportion"])
    if not 1 <= n_b <= params["n_samples"] - 1:
        raise InputError(
            "n_samples * group_proportion must leave at least one row in each group; "
            f"got n_samples={params['n_samples']}, group_proportion={params['group_proportion']} "
            f"({n_b} rows in group B)."
        )
    ints = {"n_samples", "n_informative", "n_irrelevant", "seed"}
    return {k: (int(v) if k in ints else float(v)) for k, v in params.items()}


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer >= {minimum}; got {show(value)}.")
    if value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value}.")


def _check_fraction(name: str, value: object, interval: str, inside: Any) -> None:
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not is_number or math.isnan(float(value)) or not inside(float(value)):
        raise InputError(f"{name} must be a number in {interval}; got {show(value)}.")


def _draw_groups(rng: np.random.Generator, n: int, proportion: float) -> np.ndarray:
    is_b = np.zeros(n, dtype=bool)
    is_b[: round(n * proportion)] = True
    return rng.permutation(is_b)


def _draw_true_labels(rng: np.random.Generator, is_b: np.ndarray, gap: float) -> np.ndarray:
    rate = np.where(is_b, 0.5 - gap / 2, 0.5 + gap / 2)
    return (rng.random(is_b.size) < rate).astype("int64")


def _apply_label_bias(
    rng: np.random.Generator, y_true: np.ndarray, is_b: np.ndarray, bias: float
) -> np.ndarray:
    flip = is_b & (y_true == 1) & (rng.random(y_true.size) < bias)
    return np.where(flip, 0, y_true).astype("int64")


def _draw_proxy(rng: np.random.Generator, is_b: np.ndarray, strength: float) -> np.ndarray:
    raw = strength * _standardise(is_b.astype(float))
    raw = raw + math.sqrt(1.0 - strength**2) * rng.standard_normal(is_b.size)
    return _standardise(raw)


def _draw_informative(rng: np.random.Generator, y_true: np.ndarray, k: int) -> pd.DataFrame:
    shift = INFORMATIVE_SEPARATION * (y_true[:, None] - 0.5)
    values = shift + rng.standard_normal((y_true.size, k))
    return pd.DataFrame(values, columns=[f"x{j}" for j in range(k)])


def _draw_noise(rng: np.random.Generator, n: int, k: int) -> pd.DataFrame:
    values = rng.standard_normal((n, k))
    return pd.DataFrame(values, columns=[f"noise{j}" for j in range(k)])


def _standardise(values: np.ndarray) -> np.ndarray:
    std = values.std()
    return (values - values.mean()) / std if std > 0 else values - values.mean()


def _ground_truth(
    params: dict[str, Any], frame: pd.DataFrame, is_b: np.ndarray, y_true: np.ndarray
) -> dict[str, Any]:
    y_obs = frame["label"].to_numpy()
    true_rates = _rates_by_group(y_true, is_b)
    obs_rates = _rates_by_group(y_obs, is_b)
    columns = list(frame.columns)
    return {
        "params": params,
        "privileged_group": PRIVILEGED,
        "disadvantaged_group": UNPRIVILEGED,
        "group_sizes": {PRIVILEGED: int((~is_b).sum()), UNPRIVILEGED: int(is_b.sum())},
        "base_rate_true": true_rates,
        "base_rate_observed": obs_rates,
        "base_rate_gap_true": true_rates[PRIVILEGED] - true_rates[UNPRIVILEGED],
        "base_rate_gap_observed": obs_rates[PRIVILEGED] - obs_rates[UNPRIVILEGED],
        "n_labels_flipped": int((y_true != y_obs).sum()),
        "label_bias_realised": _share_flipped(y_true, y_obs, is_b),
        "proxy_correlation": float(np.corrcoef(frame["proxy"], is_b.astype(float))[0, 1]),
        "proxy_feature": "proxy",
        "informative_features": [c for c in columns if c.startswith("x")],
        "irrelevant_features": [c for c in columns if c.startswith("noise")],
    }


def _share_flipped(y_true: np.ndarray, y_obs: np.ndarray, is_b: np.ndarray) -> float:
    """Flipped labels over truly positive members of B (NaN when B has none)."""
    positive_b = is_b & (y_true == 1)
    return float((y_obs[positive_b] == 0).mean()) if positive_b.any() else float("nan")


def _rates_by_group(y: np.ndarray, is_b: np.ndarray) -> dict[str, float]:
    return {PRIVILEGED: float(y[~is_b].mean()), UNPRIVILEGED: float(y[is_b].mean())}


def _as_dataset(frame: pd.DataFrame, truth: dict[str, Any], rows: pd.DataFrame) -> Dataset:
    features = [c for c in frame.columns if c != "label"]
    p = truth["params"]
    description = (
        f"Synthetic data with planted bias against group B: n={p['n_samples']}, "
        f"base_rate_gap={p['base_rate_gap']}, label_bias={p['label_bias']}, "
        f"proxy_strength={p['proxy_strength']}, seed={p['seed']}."
    )
    return Dataset(
        name="synthetic_biased",
        frame=frame,
        data=frame[features].copy(),
        target=frame["label"].copy(),
        target_name="label",
        positive_label=1,
        sensitive_features=["group"],
        feature_names=features,
        datasheet=None,
        description=description,
        source_files={},
        ground_truth=truth,
        truth=rows,
    )
