"""Validation errors as messages a supervisor can act on (zh-CN), each tied to a file line."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_PATTERN_HINTS = {
    "id": "编号只能包含字母、数字和 . _ -，且以字母或数字开头",
    "parent": "编号只能包含字母、数字和 . _ -，且以字母或数字开头",
    "supervisor": "编号只能包含字母、数字和 . _ -，且以字母或数字开头",
    "region": "应为 6、9 或 12 位数字的行政区划代码",
    "tags": "标签只能包含字母、数字、汉字和 . _ -",
}
_BOUNDS = {
    "greater_than": ("gt", "应大于 {}"),
    "greater_than_equal": ("ge", "应不小于 {}"),
    "less_than": ("lt", "应小于 {}"),
    "less_than_equal": ("le", "应不大于 {}"),
}
_URL_ERRORS = {"url_parsing", "url_scheme", "url_syntax_violation", "url_too_long", "url_type"}


class RegistryIssue(BaseModel):
    line: int | None = None
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}" if self.line else self.message


def issues_from(error: ValidationError, line: int) -> list[RegistryIssue]:
    return [RegistryIssue(line=line, message=describe(detail)) for detail in error.errors()]


def describe(error: ErrorDetails) -> str:
    loc = _location(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"缺少字段“{loc}”"
    if kind == "extra_forbidden":
        return f"未知字段“{loc}”"
    if kind in _URL_ERRORS:
        message = f"“{error['input']}”不是有效的 http(s) 网址"
    elif kind == "literal_error":
        message = f"应为 {str(ctx.get('expected', '')).replace(' or ', ' 或 ')}"
    elif kind == "string_pattern_mismatch":
        field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "")
        message = f"“{error['input']}”格式不正确：{_PATTERN_HINTS.get(field, '格式不符合要求')}"
    elif kind == "string_too_short":
        message = "不能为空"
    elif kind == "too_short":
        message = "至少需要一项"
    elif kind in ("bool_parsing", "bool_type"):
        message = "应为 true 或 false"
    elif kind in _BOUNDS:
        bound, text = _BOUNDS[kind]
        message = text.format(f"{ctx.get(bound):g}")
    elif kind in ("float_parsing", "int_parsing", "int_from_float"):
        message = f"“{error['input']}”不是有效的数值"
    elif kind.endswith("_type"):
        message = "类型不正确"
    else:
        message = error["msg"].removeprefix("Value error, ")  # custom errors already speak zh-CN
    return f"{loc}：{message}" if loc else message


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [f"第{part + 1}项" if isinstance(part, int) else part for part in loc]
    return " ".join(parts)
