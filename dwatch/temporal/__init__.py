"""Temporal plumbing: client connection from settings, workers, the embedded dev server, search
attributes, schedules and history export. Workflows and activities live in `workflows/` and
`activities/`; this package only connects them to a Temporal service."""
