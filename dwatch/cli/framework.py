"""The command classes every `dwatch` command is built on: help, usage and errors in zh-CN.

Typer renders help and usage errors in English (its vendored click has no translation hooks) and
shows Python types as metavars (`<bool>`, `<list[str]>`). `Typer` here makes every command and group
use `ZhCommand`/`ZhGroup`, which render their own help (plain text wrapped by display width, so CJK
lines fit any terminal and nothing is boxed in a pipe) and turn usage errors into one Chinese line
naming the option and the value.
"""

from __future__ import annotations

import inspect
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from pydantic import ValidationError
from rich.cells import cell_len
from typer._click import Context, HelpFormatter, Parameter
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort
from typer.models import CommandFunctionType

from dwatch.cli.common import err_console, print_error, wrap

# What a value looks like, by its Python type: words a user reads, never the type's name.
_METAVAR: dict[type, str] = {bool: "是/否", int: "整数", float: "数值", str: "文本", Path: "文件"}
_HELP_OPTION = "显示本帮助并退出"
_MAX_WIDTH = 100  # help reads badly wider than this, whatever the terminal
_INDENT = 2
_NAME_COLUMN = 36
_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)")
# pydantic's error types, as what the value should have been.
_EXPECTED = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数值",
    "bool_parsing": "应为是或否（true/false）",
    "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
}


class ChineseUsageError(UsageError):
    """A usage error whose message is already the zh-CN line to show."""


def _metavar(param: TyperArgument | TyperOption) -> str:
    """The value placeholder of an option or argument: its choices, or what kind of value it takes."""
    if param.metavar:
        return param.metavar
    descriptor = param.type_descriptor
    if descriptor.is_choice:
        return "|".join(str(c.value if isinstance(c, Enum) else c) for c in descriptor.choices or ())
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return _METAVAR.get(annotation, "值") if isinstance(annotation, type) else "值"


def _names(param: Parameter) -> str:
    if isinstance(param, TyperArgument):
        return (param.metavar or param.name or "").upper()
    assert isinstance(param, TyperOption)
    names = ", ".join(param.opts) + "".join(f" / {o}" for o in param.secondary_opts)
    if param.is_flag or param.secondary_opts:
        return names
    return f"{names} {_metavar(param)}"


def _default(param: Parameter) -> str | None:
    value = param.default
    if value in (None, (), []) or param.required or getattr(param, "show_default", True) is False:
        return None
    if isinstance(param, TyperOption) and param.secondary_opts:
        return (param.opts if value else param.secondary_opts)[0]  # a switch pair names the side that is on
    if isinstance(param, TyperOption) and param.is_flag:
        return None
    return str(value.value if isinstance(value, Enum) else value)


def _param_help(param: Parameter, help_option: Parameter | None) -> str:
    if param is help_option:
        return _HELP_OPTION
    default = _default(param)
    notes = [
        "可重复" if param.multiple else "",
        f"默认：{default}" if default else "",
        "必填" if param.required else "",
    ]
    shown = "，".join(n for n in notes if n)
    return inspect.cleandoc(getattr(param, "help", None) or "") + (f"（{shown}）" if shown else "")


def usage(command: typer._click.Command, ctx: Context) -> str:
    """`用法：dwatch audit [选项] AGENCY YEAR`."""
    pieces = [ctx.command_path]
    if any(isinstance(p, TyperOption) for p in command.get_params(ctx)):
        pieces.append("[选项]")
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = _names(param) + ("…" if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append("命令 [参数]…")
    return "用法：" + " ".join(pieces)


def _short(text: str | None) -> str:
    """A command's first paragraph, its one-line summary in a group's list."""
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", "")


def render_help(command: typer._click.Command, ctx: Context) -> str:
    """The whole help of a command or group as plain text, wrapped to the terminal's width."""
    width = min(shutil.get_terminal_size().columns, _MAX_WIDTH)
    lines = [usage(command, ctx)]
    for paragraph in inspect.cleandoc(command.help or "").split("\n\n"):
        if paragraph:
            lines += ["", *wrap(paragraph.replace("\n", ""), width)]
    help_option = command.get_help_option(ctx)
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        ("参数", [(_names(p), _param_help(p, help_option)) for p in params if isinstance(p, TyperArgument)]),
        ("选项", [(_names(p), _param_help(p, help_option)) for p in params if not isinstance(p, TyperArgument)]),
    ]
    if isinstance(command, TyperGroup):
        subcommands = [command.get_command(ctx, name) for name in command.list_commands(ctx)]
        sections.append(("命令", [(c.name or "", _short(c.help)) for c in subcommands if c and not c.hidden]))
    for title, rows in sections:
        if rows:
            lines += ["", f"{title}：", *_definitions(rows, width)]
    return "\n".join(lines) + "\n"


def _definitions(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Name and description in two columns; a name too wide for the column gets its description below."""
    column = min(max(cell_len(name) for name, _ in rows), _NAME_COLUMN) + 2 * _INDENT
    lines = []
    for name, text in rows:
        described = wrap(text, width - column) if text else [""]
        if cell_len(name) + 2 * _INDENT > column:
            lines.append(" " * _INDENT + name)
        else:
            first = described.pop(0)
            lines.append(f"{' ' * _INDENT}{name}{' ' * (column - _INDENT - cell_len(name))}{first}".rstrip())
        lines += [" " * column + line for line in described]
    return lines


def _hint(param: Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, TyperOption):
        return param.opts[-1] if param.opts else param.name or ""
    return _names(param)


def _invalid_value(exc: BadParameter) -> str:
    """`--status 的值“bogus”无效：可选值为 open、…`: what was given, and what was expected."""
    hint = _hint(exc.param)
    cause = exc.__cause__
    given = ""
    expected = "无法识别"
    if isinstance(cause, ValidationError) and cause.errors():
        error = cause.errors()[0]
        given = f"“{error.get('input')}”"
        expected = _EXPECTED.get(error["type"], expected)
    if isinstance(exc.param, TyperArgument | TyperOption) and exc.param.type_descriptor.is_choice:
        expected = "可选值为 " + "、".join(_metavar(exc.param).split("|"))
    return f"{hint} 的值{given}无效：{expected}"


def error_message(exc: ClickException) -> str:
    """A usage error in one Chinese line: which option or argument, what was wrong."""
    if isinstance(exc, ChineseUsageError):
        return exc.message
    if isinstance(exc, MissingParameter):
        kind = "选项" if isinstance(exc.param, TyperOption) else "参数"
        return f"缺少{kind} {_hint(exc.param)}"
    if isinstance(exc, BadParameter):
        return _invalid_value(exc)
    if isinstance(exc, NoSuchOption):
        known = f"；可用的选项：{'、'.join(sorted(exc.possibilities))}" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{known}"
    if isinstance(exc, BadOptionUsage):
        need = "需要一个值" if "requires" in exc.message else "不接受值"
        return f"选项 {exc.option_name} {need}"
    extra = _EXTRA_ARGUMENTS.match(exc.message)
    if extra:
        return f"多余的参数：{extra['args']}"
    return f"命令用法有误：{exc.message}"


def _show_usage_error(exc: UsageError) -> None:
    ctx = exc.ctx
    if ctx is not None:
        err_console.out(usage(ctx.command, ctx), highlight=False)
    print_error(error_message(exc))
    if ctx is not None:
        err_console.out(f"查看帮助：{ctx.command_path} --help", highlight=False)


class ZhCommand(TyperCommand):
    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write(render_help(self, ctx))


class ZhGroup(TyperGroup):
    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write(render_help(self, ctx))

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, typer._click.Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None and not args[0].startswith("-"):
            raise ChineseUsageError(f"没有命令“{args[0]}”；可用的命令：{'、'.join(self.list_commands(ctx))}", ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Typer's main, with usage errors and aborts reported in zh-CN."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            err_console.out(exc.format_message(), highlight=False)
            sys.exit(exc.exit_code)
        except UsageError as exc:
            _show_usage_error(exc)
            sys.exit(exc.exit_code)
        except ClickException as exc:
            print_error(error_message(exc))
            sys.exit(exc.exit_code)
        except Abort:
            print_error("已中止")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class Typer(typer.Typer):
    """`typer.Typer` whose groups and commands are `ZhGroup` and `ZhCommand`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=ZhGroup, no_args_is_help=True, add_completion=False, **kwargs)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = ZhCommand, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls, **kwargs)
