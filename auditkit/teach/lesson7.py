"""Lesson 7 (placeholder while it is written)."""
