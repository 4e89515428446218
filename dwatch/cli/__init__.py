"""The `dwatch` command line. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="dwatch",
    help="Disclosure Watch: supervision of 政府信息公开工作年度报告.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Disclosure Watch: supervision of 政府信息公开工作年度报告."""


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
