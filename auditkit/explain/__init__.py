"""Explainers (SHAP, LIME), their agreement, the codec, feature mapping and group attributions."""
