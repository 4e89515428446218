"""Deterministic Temporal workflows: the deadline sweep and the per-agency report."""
