"""Alerts to supervisors: routing, messages, delivery through apprise, de-duplication, demo inbox."""
