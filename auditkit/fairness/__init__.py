"""Fairness analysis per task, score metrics, custom metrics, findings and policy checks."""
