"""The terminal is the CLI's user interface: zh-CN help and errors everywhere, and untrusted text
(crawled reports, registry names) that can neither break the output (Rich markup) nor drive the
terminal (ESC/OSC sequences)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from corpus import CORPUS
from dwatch.reports.checks import CATALOGUE, CheckContext, run_checks
from dwatch.reports.parsers import parse_document
from rich.cells import cell_len
from sqlalchemy import update
from typer._click import Command
from typer.testing import CliRunner, Result

from dwatch.cli import _register, app
from dwatch.cli.common import wrap
from dwatch.store import migrate
from dwatch.store.blobs import LocalBlobStore
from dwatch.store.database import Store, make_engine
from dwatch.store.findings import CheckRunInput, record_check_run
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry
from dwatch.store.tables import Agency

_register()
runner = CliRunner()
HUAIHUA = CORPUS / "huaihua-jiaojing-2023.txt"
REGISTRY = Path(__file__).parent / "store" / "fixtures" / "registry.yaml"
# Sequences a hostile page or registry row could carry: a title change (OSC 0), a hyperlink (OSC 8),
# a colour (CSI), a bare ESC and an 8-bit CSI.
HOSTILE = "\x1b]0;pwned\x07\x1b]8;;http://evil.example/\x1b\\链接\x1b]8;;\x1b\\\x1b[31m红\x1b[0m\x1bc\x9b2J"
MARKUP = "[/][bold red]醒目[/bold red][link=http://evil.example/]"
# A sentence in English: three words in a row (option names, env vars, file names, URLs and
# `dwatch …` examples are not words here).
ENGLISH = re.compile(r"(?<![\w./-])[A-Za-z][a-z]+(?: [A-Za-z][a-z]+){2,}(?![\w./-])")
PYTHON_TYPES = re.compile(r"<(?:bool|str|int|float|path|list\[.*?\])>|\{file\}|list\[|\bNoneType\b")


def _commands(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "dwatch")
def test_every_help_is_chinese_without_python_types(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith(f"用法：dwatch{''.join(' ' + p for p in path)}")
    assert "显示本帮助并退出" in text
    assert not PYTHON_TYPES.search(text), text
    prose = re.sub(r"dwatch(?: [a-z][a-z-]*)+", "", text)  # command examples
    assert not ENGLISH.search(prose), ENGLISH.search(prose)
    assert all(len(line) <= 80 for line in text.splitlines() if " " not in line.strip())  # nothing overflows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["findings", "--status", "bogus"], "--status 的值“bogus”无效：可选值为 open、acknowledged、waived、resolved"),
        (["findings", "--year", "x"], "--year 的值“x”无效：应为整数"),
        (["findings", "--bogus"], "没有选项 --bogus"),
        (["audit"], "缺少参数 AGENCY"),
        (["waive", "a", "b"], "缺少选项 --reason"),
        (["nonsense"], "没有命令“nonsense”"),
        (["findings", "--year"], "选项 --year 需要一个值"),
        (["parse", "a", "b"], "多余的参数：b"),
    ],
)
def test_usage_errors_are_one_chinese_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 2
    assert f"错误：{message}" in result.stderr
    assert not re.search(r"Invalid value|Missing (argument|option)|No such|Usage:|Try '", result.stderr)


def _report_with(tmp_path: Path, title_extra: str, body_extra: str) -> Path:
    """The 怀化 corpus report with untrusted text in its title and narrative."""
    text = HUAIHUA.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    target = tmp_path / "report.txt"
    target.write_text(f"{first}{title_extra}\n{rest.replace('全年未收到', body_extra + '全年未收到', 1)}", "utf-8")
    return target


@pytest.mark.parametrize("command", ["parse", "check"])
def test_rich_markup_title_does_not_crash(command: str, tmp_path: Path) -> None:
    report = _report_with(tmp_path, MARKUP, "")
    result = runner.invoke(app, [command, str(report)], env={"COLUMNS": "200"})
    assert result.exit_code in (0, 1), result.output  # 1: check found errors
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert MARKUP in result.output  # shown literally, not interpreted


@pytest.fixture
def hostile_store(tmp_path: Path) -> dict[str, str]:
    """A store whose registry names and findings' evidence hold escape sequences."""
    url = f"sqlite:///{tmp_path / 'dwatch.sqlite3'}"
    migrate.upgrade(url)
    store = Store(make_engine(url), LocalBlobStore(tmp_path / "blobs"))
    report = parse_document(_report_with(tmp_path, HOSTILE, HOSTILE).read_bytes(), "report.txt")
    findings = run_checks(report, None, CheckContext())
    assert any("\x1b" in f.evidence for f in findings)  # crawled text reaches a finding as is
    try:
        with store.session() as session:
            import_registry(session, read_registry(REGISTRY.read_bytes(), "yaml"))
            # A name stored before the registry refused such rows: reading it must still be safe.
            session.execute(update(Agency).where(Agency.id == "hh-jiaojing").values(name=f"交警{HOSTILE}支队"))
            run = CheckRunInput(agency_id="hh-jiaojing", report_year=2023, catalogue_version=CATALOGUE.version)
            record_check_run(session, run, findings)
    finally:
        store.close()
    return {"DWATCH_DATABASE_URL": url, "DWATCH_BLOB_DIR": str(tmp_path / "blobs"), "COLUMNS": "80"}


def _clean(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x9b" not in stream and "\x07" not in stream


def test_escape_sequences_stripped(hostile_store: dict[str, str], tmp_path: Path) -> None:
    listed = runner.invoke(app, ["registry", "list"], env=hostile_store)
    _clean(listed)
    assert re.search(r"交警链接红\S*支队", listed.stdout)  # the text stays, the sequences go
    _clean(runner.invoke(app, ["registry", "export"], env=hostile_store))
    audit = runner.invoke(app, ["audit", "hh-jiaojing", "2023"], env=hostile_store)
    _clean(audit)
    assert re.search(r"交警链接红\S*支队", audit.stdout)
    findings = runner.invoke(app, ["findings", "--severity", "info"], env=hostile_store)
    _clean(findings)
    assert "红全年未收到" in findings.stdout  # the quoted narrative shown, cleaned

    report = _report_with(tmp_path, HOSTILE, HOSTILE)
    _clean(runner.invoke(app, ["parse", str(report)], env={"COLUMNS": "80"}))
    checked = runner.invoke(app, ["check", str(report)], env={"COLUMNS": "80"})
    _clean(checked)
    assert "红全年未收到" in checked.stdout


def test_help_text_wraps_by_display_width_and_never_splits_a_url() -> None:
    url = "https://www.example.gov.cn/xxgk/zfxxgknb/index.html"
    text = f"经 Temporal 在示范机关网站上运行（详见 {url}），抓取、解析、检查、存储、通知。"
    for width in range(12, 70):
        lines = wrap(text, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost or added
        assert any(url in line for line in lines)  # the URL whole on one line
        assert not any(line[0] in "，。、）" for line in lines[1:])  # no line starts with closing punctuation
        # Chinese lines fit; a line holding a Latin word or URL may be longer (never split, it overhangs).
        assert all(cell_len(line) <= width for line in lines if not re.search(r"[!-~]", line))
