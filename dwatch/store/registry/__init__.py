"""The registry of supervisors and the agencies they supervise: data supervisors edit, not code.

`models` validates one row, `files` reads and writes YAML/CSV with line numbers, `service` checks a
whole file against the database and applies it in one transaction (or not at all).
"""
