"""The web dashboard and JSON API (`dwatch web`). `create_app` is in `dwatch.web.app`.

This package's `__init__` stays import-free: `dwatch.config` imports `dwatch.web.settings`, and the
settings must load without FastAPI.
"""
