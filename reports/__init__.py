"""The pure domain: the national template, the report model, parsers and checks (no network, no Temporal)."""
