"""Helpers shared by CLI commands: reading a document argument, printing errors the same way."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from dwatch.reports.model import AnnualReport
from dwatch.reports.parsers import ParseError, parse_document
from dwatch.reports.parsers.ocr import local_images

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    # Messages quote files, URLs and install hints ('…[demo]'): never markup, one line even in a pipe.
    err_console.print(f"[bold red]错误[/]：{escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_report(path: Path) -> AnnualReport:
    """Parse a document file, turning unreadable input into a clean CLI error (exit status 2)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"无法读取文件 {path}：{exc.strerror}") from exc
    try:
        # <img> tables of a local HTML file: images beside it (relative paths) or data: URIs, read by OCR.
        return parse_document(data, path.name, images=local_images(path))
    except ParseError as exc:
        raise fail(f"无法解析 {path.name}（{exc.code}）：{exc.message}") from exc
