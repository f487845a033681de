"""Mitigation: fairlearn's post-processing and reductions, compared on held-out rows with the fairness metrics."""
