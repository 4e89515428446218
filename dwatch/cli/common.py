"""Helpers shared by CLI commands: reading a document argument, and printing errors, findings and
untrusted text the same way everywhere (sanitised by `dwatch.untrusted`, URLs never wrapped)."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.cells import cell_len
from rich.console import Console

from dwatch.labels import SEVERITY_ZH
from dwatch.reports.checks.findings import Severity
from dwatch.reports.model import AnnualReport, Location
from dwatch.reports.parsers import ParseError
from dwatch.reports.parsers.budget import parse_within_budget
from dwatch.reports.parsers.ocr import local_images
from dwatch.untrusted import for_terminal, plain

console = Console()
err_console = Console(stderr=True)


# Line-break opportunities: a run of Latin letters, digits and ASCII punctuation (a word, a URL, an
# option) stays whole; any other character (CJK) may end a line; spaces are where they were.
_TOKEN = re.compile(r"[!-~]+|\s+|.")
_NO_LINE_START = frozenset("，。、；：！？）》」』”’")  # closing punctuation stays with what it closes
_NO_LINE_END = frozenset("（《「『“‘")  # and opening punctuation with what it opens


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells: CJK breaks anywhere, a Latin word or URL never (one
    longer than the line stands alone on its line, whole). Rich wraps only at spaces, so a CJK
    sentence after a Latin word drops to the next line whole or is cut mid-character run."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            line += " " if line else ""
            continue
        if cell_len(line) + cell_len(token) <= width or not line.strip():
            line += token
            continue
        carried = ""
        if token in _NO_LINE_START:
            # The closing marks take the character before them to the next line; after a Latin word
            # (never split) they overhang instead.
            cut = len(line) - 1
            while cut > 0 and line[cut] in _NO_LINE_START:
                cut -= 1
            if cut == 0 or line[cut].isascii():
                line += token
                continue
            carried = line[cut:]
        elif line[-1] in _NO_LINE_END:
            carried = line[-1]
        lines.append(line.removesuffix(carried).rstrip())
        line = carried + token
    lines.append(line.rstrip())
    return lines


def say(text: str) -> None:
    """A line holding untrusted text (names, titles, URLs, reasons), printed as is: no markup, never
    wrapped (URLs stay whole), escape and control characters removed."""
    console.out(plain(text), highlight=False)


def print_error(message: str) -> None:
    # Messages quote files, URLs, crawled text and install hints ('…[demo]'): never markup, one line
    # even in a pipe.
    err_console.print(f"[bold red]错误[/]：{for_terminal(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    print_error(message)
    return typer.Exit(code)


SEVERITY_STYLE: dict[str, str] = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_EVIDENCE_CHARS = 100


def where(location: Location) -> str:
    """A finding's place: `table3 › R24 › 总计，第3页`; "" when it has none."""
    place = " › ".join(p for p in (location.section, location.table, location.row, location.column) if p)
    position = f"第{location.page}页" if location.page else f"第{location.line}行" if location.line else ""
    return "，".join(p for p in (place, position) if p)


def print_finding(
    severity: str, rule_id: str, message: str, location: Location, evidence: str, details: str = ""
) -> None:
    """One finding as a block: severity, rule id and message on one line (never wrapped, so it stays one
    line in a pipe and the terminal folds it), then the details, where and the evidence excerpt."""
    label = SEVERITY_ZH.get(severity, severity)
    text = for_terminal(message.removeprefix(f"{rule_id} "))  # messages carry their rule id first
    style = SEVERITY_STYLE.get(severity, "default")  # StrEnum keys: the stored string finds its style
    console.print(f"[{style}]{label} {for_terminal(rule_id)}[/] {text}", soft_wrap=True, highlight=False)
    place = where(location)
    lines = [details, f"位置：{place}" if place else ""]
    if evidence:
        excerpt = " ".join(evidence.split())
        cut = excerpt[:_EVIDENCE_CHARS] + ("…" if len(excerpt) > _EVIDENCE_CHARS else "")
        lines.append(f"原文：{cut}")
    for line in filter(None, lines):
        console.print(f"    {for_terminal(line)}", soft_wrap=True, style="dim", highlight=False)


def load_report(path: Path) -> AnnualReport:
    """Parse a document file, turning unreadable input into a clean CLI error (exit status 2)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"无法读取文件 {path}：{exc.strerror}") from exc
    try:
        # <img> tables of a local HTML file: images beside it (relative paths) or data: URIs, read by OCR.
        # Under the same time and memory budget as the review: a hostile file ends with PARSE-LIMIT.
        return parse_within_budget(data, path.name, images=local_images(path))
    except ParseError as exc:
        raise fail(f"无法解析 {path.name}（{exc.code}）：{exc.message}") from exc
