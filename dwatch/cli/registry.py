"""`dwatch registry import|export|list`: the supervisors and agencies, as data supervisors edit."""

from __future__ import annotations

import os
from collections import Counter
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console, err_console, fail
from dwatch.cli.db import open_store
from dwatch.store.registry.files import Format, format_of, read_registry, write_registry
from dwatch.store.registry.models import RegistryFile
from dwatch.store.registry.service import RegistryRejectedError, export_registry, import_registry


class ExportFormat(StrEnum):
    YAML = "yaml"
    CSV = "csv"


registry_app = typer.Typer(help="The registry of supervisors and agencies.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


def _format(path: Path) -> Format:
    try:
        return format_of(path)
    except ValueError as exc:
        raise fail(str(exc)) from exc


@registry_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="registry file: .yaml or .csv (columns: see docs)", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, change nothing")] = False,
) -> None:
    """Validate a registry file and apply it whole; any error rejects the entire file."""
    fmt = _format(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"无法读取文件 {file}：{exc.strerror}") from exc
    store = open_store()
    try:
        with store.session() as session:
            summary = import_registry(session, read_registry(data, fmt), dry_run=dry_run)
    except RegistryRejectedError as exc:
        for issue in exc.issues:
            err_console.print(str(issue), style="red", highlight=False, markup=False)
        raise fail(f"{file.name} 有 {len(exc.issues)} 处错误，未导入任何内容", code=1) from exc
    finally:
        store.close()
    verb = "校验通过（未写入）" if dry_run else "已导入"
    console.print(
        f"{verb}：{_counts('监督机构', summary.supervisors)}；{_counts('机关', summary.agencies)}", highlight=False
    )


def _counts(noun: str, counts: Counter[str]) -> str:
    return f"{noun} 新增 {counts['created']}、更新 {counts['updated']}、未变 {counts['unchanged']}"


@registry_app.command("export")
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to this file, with full notification URLs")
    ] = None,
    fmt: Annotated[
        ExportFormat | None, typer.Option("--format", help="default: from the --output suffix, else yaml")
    ] = None,
) -> None:
    """Export the registry. Notification URLs are secrets: printed masked, written in full only to --output."""
    chosen: Format = fmt.value if fmt else (_format(output) if output else "yaml")
    store = open_store()
    try:
        with store.session() as session:
            registry = export_registry(session)
    finally:
        store.close()
    if output is None:
        console.out(write_registry(registry.masked(), chosen), highlight=False, end="")
        err_console.print("通知地址已掩码；如需可再次导入的完整文件，请使用 --output FILE", highlight=False)
        return
    _write_private(output, write_registry(registry, chosen))
    console.print(f"已导出到 {output}（含完整通知地址，请妥善保管）", highlight=False)


def _write_private(path: Path, text: str) -> None:
    # Owner-only permissions from the start: the file holds notification secrets.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def example_registry() -> str:
    """The annotated example registry shipped with the package."""
    return files("dwatch.store.registry").joinpath("example.yaml").read_text(encoding="utf-8")


@registry_app.command("example")
def example_command() -> None:
    """Print an annotated example registry to start from: dwatch registry example > registry.yaml"""
    console.out(example_registry(), highlight=False, end="")


@registry_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON (notification URLs masked)")] = False,
) -> None:
    """List supervisors and agencies; notification URLs are shown masked."""
    store = open_store()
    try:
        with store.session() as session:
            registry = export_registry(session).masked()
    finally:
        store.close()
    if as_json:
        console.out(registry.model_dump_json(indent=2), highlight=False)
        return
    _print_registry(registry)


def _print_registry(registry: RegistryFile) -> None:
    supervisors = RichTable(title=f"监督机构（{len(registry.supervisors)}）", title_justify="left")
    for column in ("编号", "名称", "上级", "通知（已掩码）"):
        supervisors.add_column(column)
    for s in registry.supervisors:
        targets = "\n".join(f"{t.url} [{','.join(t.tags)}]" if t.tags else t.url for t in s.notify)
        supervisors.add_row(*(escape(v) for v in (s.id, s.name, s.parent or "—", targets or "—")))
    agencies = RichTable(title=f"机关（{len(registry.agencies)}）", title_justify="left")
    for column in ("编号", "名称", "类型", "区划", "监督机构", "年报栏目", "截止", "启用"):
        agencies.add_column(column)
    for a in registry.agencies:
        kind = "政府" if a.kind == "government" else "部门"
        listing = "\n".join(str(u) for u in a.listing_urls)
        cells = (a.id, a.name, kind, a.region, a.supervisor, listing, a.deadline or "—", "是" if a.active else "否")
        agencies.add_row(*(escape(v) for v in cells))
    console.print(supervisors)
    console.print(agencies)
