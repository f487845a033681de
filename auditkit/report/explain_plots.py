"""Plots of the SHAP half of an audit: global importance, beeswarm and dependence plots.

Only plotting: the numbers come from ``audit.json`` or, for the per-row plots, from the SHAP
artifacts saved beside it (:func:`load_shap_artifacts`). Text in plots is plain
(:data:`auditkit.text.PLAIN_TEXT`: a ``$`` in a column name is a dollar).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditkit.text import PLAIN_TEXT

ARTIFACTS = ("values", "features", "rows")


def importance_frame(section: dict[str, Any]) -> pd.DataFrame:
    """Global importance (mean |SHAP| per feature) as a table, largest first.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> spec = auditkit.AuditSpec(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"])
    >>> doc = auditkit.audit_to_dir(spec, out, report=False, progress=False).to_dict()
    >>> section = doc["explanations"]
    >>> importance_frame(section).columns.tolist(), len(importance_frame(section))
    (['feature', 'mean_abs_shap'], 20)
    """
    return pd.DataFrame(section.get("global_importance", []), columns=["feature", "mean_abs_shap"])


def plot_importance(section: dict[str, Any]):
    """Horizontal bar chart of mean |SHAP| per feature (largest on top).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> spec = auditkit.AuditSpec(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"])
    >>> doc = auditkit.audit_to_dir(spec, out, report=False, progress=False).to_dict()
    >>> section = doc["explanations"]
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_importance(section)
    >>> len(fig.axes[0].patches) == len(section["global_importance"])
    True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    frame = importance_frame(section).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(frame) + 1))
    positions = range(len(frame))
    ax.barh(positions, frame["mean_abs_shap"], color="#1e88e5")
    ax.set_yticks(positions, frame["feature"].astype(str).tolist(), **PLAIN_TEXT)
    ax.set_xlabel(f"mean |SHAP value| ({section['shap']['output_space']})", **PLAIN_TEXT)
    ax.set_title("Global importance")
    fig.tight_layout()
    return fig


def load_shap_artifacts(audit_dir: str | Path) -> dict[str, pd.DataFrame] | None:
    """The per-row SHAP tables written by the audit, or None when they are missing.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> spec = auditkit.AuditSpec(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"])
    >>> doc = auditkit.audit_to_dir(spec, out, report=False, progress=False).to_dict()
    >>> section = doc["explanations"]
    >>> rows = load_shap_artifacts(out)
    >>> sorted(rows), rows["values"].shape
    (['features', 'rows', 'values'], (90, 20))
    """
    folder = Path(audit_dir) / "artifacts"
    paths = {name: folder / f"shap__{name}.parquet" for name in ARTIFACTS}
    if not all(p.is_file() for p in paths.values()):
        return None
    return {name: pd.read_parquet(p) for name, p in paths.items()}


def plot_beeswarm(shap_rows: dict[str, pd.DataFrame], features: list[str], space: str):
    """SHAP value of every row for each feature; colour = the row's value (numeric features).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> spec = auditkit.AuditSpec(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"])
    >>> doc = auditkit.audit_to_dir(spec, out, report=False, progress=False).to_dict()
    >>> section = doc["explanations"]
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_beeswarm(load_shap_artifacts(out), section["shap"]["top_features"][:3], "log-odds")
    >>> len(fig.axes[0].get_yticklabels())
    3
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    values, data = shap_rows["values"], shap_rows["features"]
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, size=len(values))  # display only
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(features) + 1.2))
    for i, feature in enumerate(reversed(features)):
        style = _colour_style(data[feature])
        ax.scatter(values[feature], i + jitter, s=3, alpha=0.5, rasterized=True, **style)
    ax.set_yticks(range(len(features)), list(reversed(features)), **PLAIN_TEXT)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel(f"SHAP value ({space}); colour: low (blue) to high (red) feature value, grey = categorical",
                  **PLAIN_TEXT)
    ax.set_title("SHAP values of every explained row (top features)")
    fig.tight_layout()
    return fig


def _colour_style(column: pd.Series) -> dict[str, Any]:
    """Scatter colours: the value's percentile for numeric features, grey for categorical ones."""
    if pd.api.types.is_numeric_dtype(column):
        return {"c": column.rank(pct=True).fillna(0.5).to_numpy(), "cmap": "coolwarm", "vmin": 0, "vmax": 1}
    return {"color": "#9e9e9e"}


def plot_dependence(shap_rows: dict[str, pd.DataFrame], feature: str, space: str):
    """SHAP value against the feature's value (box per category for categorical features).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import auditkit
    >>> out = Path(tempfile.mkdtemp()) / "audit"
    >>> spec = auditkit.AuditSpec(data="german", sample=300, seed=1, min_group_size=20, steps=["shap"])
    >>> doc = auditkit.audit_to_dir(spec, out, report=False, progress=False).to_dict()
    >>> section = doc["explanations"]
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_dependence(load_shap_artifacts(out), "duration_months", "log-odds")
    >>> fig.axes[0].get_xlabel()
    'duration_months'
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    values, data = shap_rows["values"][feature], shap_rows["features"][feature]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if pd.api.types.is_numeric_dtype(data):
        ax.scatter(data, values, s=3, alpha=0.4, color="#1e88e5", rasterized=True)
        ax.set_xlabel(feature, **PLAIN_TEXT)
    else:
        labels = data.fillna("missing").astype(str)
        order = labels.value_counts().index[:15].tolist()
        ax.boxplot([values[labels == c] for c in order], showfliers=False)
        ax.set_xticks(range(1, len(order) + 1), order, rotation=40, ha="right", fontsize=8, **PLAIN_TEXT)
        ax.set_xlabel(f"{feature} (15 most frequent values)" if labels.nunique() > 15 else feature, **PLAIN_TEXT)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylabel(f"SHAP value ({space})", **PLAIN_TEXT)
    ax.set_title(f"Dependence: {feature}", **PLAIN_TEXT)
    fig.tight_layout()
    return fig
