"""The `dwatch` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

from dwatch.cli.framework import Typer

app = Typer(name="dwatch", pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """Disclosure Watch：政府信息公开工作年度报告的监督工具。"""


def _register() -> None:
    # Each command module adds its commands to `app` when imported.
    import dwatch.cli.check
    import dwatch.cli.crawl
    import dwatch.cli.db
    import dwatch.cli.demo
    import dwatch.cli.findings
    import dwatch.cli.notify
    import dwatch.cli.orchestration
    import dwatch.cli.parse
    import dwatch.cli.registry
    import dwatch.cli.schedules
    import dwatch.cli.up
    import dwatch.cli.web  # noqa: F401


def main() -> None:
    _register()
    app()
