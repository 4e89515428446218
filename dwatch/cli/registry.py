"""`dwatch registry import|export|list`: the supervisors and agencies, as data supervisors edit."""

from __future__ import annotations

import os
from collections import Counter
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from dwatch.cli import app
from dwatch.cli.common import console, err_console, fail, say
from dwatch.cli.db import open_store
from dwatch.cli.framework import Typer
from dwatch.store.registry.files import Format, format_of, read_registry, write_registry
from dwatch.store.registry.models import RegistryFile
from dwatch.store.registry.service import RegistryRejectedError, export_registry, import_registry
from dwatch.untrusted import plain


class ExportFormat(StrEnum):
    YAML = "yaml"
    CSV = "csv"


registry_app = Typer(help="监督机构与机关登记册。")
app.add_typer(registry_app, name="registry")


def _format(path: Path) -> Format:
    try:
        return format_of(path)
    except ValueError as exc:
        raise fail(str(exc)) from exc


@registry_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="登记册文件：.yaml 或 .csv（列见文档）", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
) -> None:
    """校验登记册文件并整体导入；有任何错误则整个文件都不导入。"""
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
            err_console.print(plain(str(issue)), style="red", highlight=False, markup=False, soft_wrap=True)
        raise fail(f"{file.name} 有 {len(exc.issues)} 处错误，未导入任何内容", code=1) from exc
    finally:
        store.close()
    verb = "校验通过（未写入）" if dry_run else "已导入"
    counted = [_counts("监督机构", summary.supervisors), _counts("机关", summary.agencies)]
    if summary.hosts:
        counted.append(_counts("主机", summary.hosts))
    console.print(f"{verb}：{'；'.join(counted)}", highlight=False, soft_wrap=True)


def _counts(noun: str, counts: Counter[str]) -> str:
    return f"{noun} 新增 {counts['created']}、更新 {counts['updated']}、未变 {counts['unchanged']}"


@registry_app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="写入此文件（含完整通知地址）")] = None,
    fmt: Annotated[
        ExportFormat | None, typer.Option("--format", help="格式；默认按 --output 的扩展名，否则为 yaml")
    ] = None,
) -> None:
    """导出登记册。通知地址属于机密：输出到终端时已掩码，只有写入 --output 文件时才完整保存。"""
    chosen: Format = fmt.value if fmt else (_format(output) if output else "yaml")
    store = open_store()
    try:
        with store.session() as session:
            registry = export_registry(session)
    finally:
        store.close()
    _say_unreadable(registry)
    if output is None:
        console.out(plain(write_registry(registry.masked(), chosen)), highlight=False, end="")
        err_console.print(
            "通知地址已掩码；如需可再次导入的完整文件，请使用 --output FILE", highlight=False, soft_wrap=True
        )
        return
    _write_private(output, write_registry(registry, chosen))
    say(f"已导出到 {output}（含完整通知地址，请妥善保管）")


def _say_unreadable(registry: RegistryFile) -> None:
    """Stored rows that no longer validate are skipped, not fatal: say which, so they get fixed."""
    for issue in registry.unreadable:
        err_console.print(f"已跳过：{plain(issue.message)}", style="red", highlight=False, markup=False)


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
    """输出一份带注释的示例登记册作为起点：dwatch registry example > registry.yaml"""
    console.out(example_registry(), highlight=False, end="")


@registry_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（通知地址已掩码）")] = False,
) -> None:
    """列出监督机构和机关；通知地址已掩码。"""
    store = open_store()
    try:
        with store.session() as session:
            registry = export_registry(session).masked()
    finally:
        store.close()
    _say_unreadable(registry)
    if as_json:
        console.out(registry.model_dump_json(indent=2), highlight=False)
        return
    _print_registry(registry)


def _print_registry(registry: RegistryFile) -> None:
    """One line per supervisor and agency, each notification address and listing URL whole on a line
    of its own: nothing is cut or folded at 80 columns or in a pipe."""
    say(f"监督机构（{len(registry.supervisors)}）")
    for s in registry.supervisors:
        say(f"  {s.id}　{s.name}　上级 {s.parent or '—'}")
        for t in s.notify:
            say(f"    通知（已掩码）{t.url}" + (f"　标签 {'、'.join(t.tags)}" if t.tags else ""))
    say(f"\n机关（{len(registry.agencies)}）")
    for a in registry.agencies:
        kind = "政府" if a.kind == "government" else "部门"
        say(
            f"  {a.id}　{a.name}　{kind}　{a.region}　监督机构 {a.supervisor}"
            f"　截止 {a.deadline or '—'}　{'启用' if a.active else '停用'}"
        )
        for url in a.listing_urls:
            say(f"    年报栏目 {url}")
