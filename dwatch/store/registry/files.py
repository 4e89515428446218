"""Registry files: YAML or CSV in, rows with their line numbers out (and back for export).

YAML has the lists `supervisors:`, `agencies:` and, optionally, `hosts:`, whose items have the
fields of `SupervisorRow`, `AgencyRow` and `HostRow`. CSV (UTF-8, with or without BOM) has one row
per supervisor, agency or host:

    type           supervisor | agency | host                                 required
    id, name       for both                                                   required
    parent         supervisor: the supervisor to escalate to                  optional column
    notify         supervisor: apprise targets, separated by spaces or         optional column
                   newlines, each `url` or `tag1,tag2=url` (apprise's own
                   text-config form)
    kind           agency: department | government                           required
    region         agency: 6-, 9- or 12-digit region code                      required
    supervisor     agency: the supervisor's id                                 required
    base_url       agency: the site's home page                                required
    listing_urls   agency: the 年报 column page(s), separated by spaces        required
    allowed_hosts  agency: hosts the crawler may fetch, separated by spaces;    optional column
                   `*.example.gov.cn` covers subdomains of the agency's own
                   domain; `host:port` (`[IPv6]:port`) for a port other than
                   80/443; empty = the URLs' hosts (with their ports)
    selectors      agency: a JSON object with link_css / next_page_css /       optional column
                   link_url_pattern, e.g. {"link_css": "ul.list a"}
    deadline       agency: local deadline MM-DD (of the following year)        optional column
    active         agency: true | false (empty = true)                         optional column
    insecure_tls   agency: true to accept an invalid certificate (empty =      optional column
                   false); every fetch then reports ACCESS-01
    host           host: a host as the URLs name it (`name` or `name:port`)    optional column
    interval       host: seconds between two request starts at the host        optional column
    concurrency    host: requests in flight at the host at once               optional column

A cell of a column that does not apply to the row's type must stay empty.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from dwatch.store.registry.messages import RegistryIssue
from dwatch.store.registry.models import AgencyRow, HostRow, RegistryFile, SupervisorRow

RowKind = Literal["supervisor", "agency", "host"]
Format = Literal["yaml", "csv"]

CSV_COLUMNS = (
    "type",
    "id",
    "name",
    "parent",
    "notify",
    "kind",
    "region",
    "supervisor",
    "base_url",
    "listing_urls",
    "allowed_hosts",
    "selectors",
    "deadline",
    "active",
    "insecure_tls",
    "host",
    "interval",
    "concurrency",
)
_AGENCY_COLUMNS = CSV_COLUMNS[5:15]
CSV_REQUIRED = ("type", "id", "name", "kind", "region", "supervisor", "base_url", "listing_urls")
_CSV_FIELDS: dict[RowKind, tuple[str, ...]] = {
    "supervisor": ("id", "name", "parent", "notify"),
    "agency": ("id", "name", *_AGENCY_COLUMNS),
    "host": ("host", "interval", "concurrency"),
}
_CSV_KINDS: dict[str, RowKind] = {"supervisor": "supervisor", "agency": "agency", "host": "host"}
_YAML_SECTIONS: dict[str, RowKind] = {"supervisors": "supervisor", "agencies": "agency", "hosts": "host"}
_TAGGED_URL = re.compile(r"^([\w.,-]+)=([a-zA-Z][a-zA-Z0-9+.-]*://.*)$")


class RawRow(BaseModel):
    kind: RowKind
    line: int
    data: dict[str, Any]


class ParsedFile(BaseModel):
    rows: list[RawRow]
    issues: list[RegistryIssue]


def format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"不支持的文件类型“{path.suffix}”：请使用 .yaml、.yml 或 .csv")


def read_registry(data: bytes, fmt: Format) -> ParsedFile:
    text, issues = _decode(data)
    if text is None:
        return ParsedFile(rows=[], issues=issues)
    return _read_yaml(text) if fmt == "yaml" else _read_csv(text)


def _decode(data: bytes) -> tuple[str | None, list[RegistryIssue]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    issues = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            issues.append(RegistryIssue(line=number, message=f"不是 UTF-8 编码{_encoding_hint(line)}"))
    return None, issues


def _encoding_hint(line: bytes) -> str:
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return "（看起来是 GBK/GB18030 编码，请将文件另存为 UTF-8）"


def _read_yaml(text: str) -> ParsedFile:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return ParsedFile(rows=[], issues=[RegistryIssue(line=line, message=f"YAML 格式错误：{exc.problem}")])
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        return ParsedFile(
            rows=[],
            issues=[RegistryIssue(line=1, message="文件应包含 supervisors: 和 agencies: 两个列表（可另有 hosts:）")],
        )
    rows: list[RawRow] = []
    issues: list[RegistryIssue] = []
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        kind = _YAML_SECTIONS.get(key_node.value)
        if kind is None:
            issues.append(
                RegistryIssue(line=line, message=f"未知的部分“{key_node.value}”（应为 supervisors、agencies 或 hosts）")
            )
            continue
        items = data[key_node.value]
        if items is None:
            continue
        if not isinstance(value_node, yaml.SequenceNode):
            issues.append(RegistryIssue(line=line, message=f"“{key_node.value}”应为列表"))
            continue
        for item_node, item in zip(value_node.value, items, strict=True):
            item_line = item_node.start_mark.line + 1
            if isinstance(item, dict):
                rows.append(RawRow(kind=kind, line=item_line, data={str(k): v for k, v in item.items()}))
            else:
                issues.append(RegistryIssue(line=item_line, message="每一项应为“字段: 值”的映射"))
    return ParsedFile(rows=rows, issues=issues)


def _read_csv(text: str) -> ParsedFile:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    issues = _check_header(header)
    if issues:
        return ParsedFile(rows=[], issues=issues)
    rows: list[RawRow] = []
    while True:
        line = reader.line_num + 1  # a quoted cell may span lines: report where the record starts
        cells = next(reader, None)
        if cells is None:
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            issues.append(RegistryIssue(line=line, message=f"有 {len(cells)} 列，而表头有 {len(header)} 列"))
            continue
        row, row_issues = _csv_row(dict(zip(header, (c.strip() for c in cells), strict=True)), line)
        issues.extend(row_issues)
        if row is not None:
            rows.append(row)
    return ParsedFile(rows=rows, issues=issues)


def _check_header(header: list[str]) -> list[RegistryIssue]:
    if not header:
        return [RegistryIssue(line=1, message="文件为空，缺少表头")]
    problems = []
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        problems.append(f"缺少列：{'、'.join(missing)}")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        problems.append(f"未知的列：{'、'.join(unknown)}（可用的列：{'、'.join(CSV_COLUMNS)}）")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        problems.append(f"重复的列：{'、'.join(repeated)}")
    return [RegistryIssue(line=1, message=p) for p in problems]


def _csv_row(cells: dict[str, str], line: int) -> tuple[RawRow | None, list[RegistryIssue]]:
    kind = _CSV_KINDS.get(cells["type"])
    if kind is None:
        message = f"type 应为 supervisor、agency 或 host，而不是“{cells['type']}”"
        return None, [RegistryIssue(line=line, message=message)]
    fields = _CSV_FIELDS[kind]
    misplaced = [c for c, v in cells.items() if v and c != "type" and c not in fields]
    if kind == "host" and not cells.get("host"):
        return None, [RegistryIssue(line=line, message="host 行缺少列 host 的值")]
    if misplaced:
        return None, [RegistryIssue(line=line, message=f"{kind} 行不应填写列：{'、'.join(misplaced)}")]
    data: dict[str, Any] = {}
    for column in fields:
        value = cells.get(column, "")
        if not value:
            continue
        if column in ("listing_urls", "allowed_hosts"):
            data[column] = value.split()
        elif column == "notify":
            data[column] = [_notify_entry(entry) for entry in value.split()]
        elif column == "selectors":
            try:
                data[column] = json.loads(value)
            except json.JSONDecodeError:
                return None, [RegistryIssue(line=line, message="selectors：不是有效的 JSON 对象")]
        else:
            data[column] = value
    return RawRow(kind=kind, line=line, data=data), []


def _notify_entry(entry: str) -> dict[str, Any]:
    match = _TAGGED_URL.match(entry)
    if match is None:
        return {"url": entry}
    return {"url": match.group(2), "tags": match.group(1).split(",")}


def write_registry(registry: RegistryFile, fmt: Format) -> str:
    if fmt == "yaml":
        document = registry.model_dump(mode="json", exclude_none=True)
        if not document["hosts"]:
            del document["hosts"]  # most registries have none: keep their files as they were
        return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for supervisor in registry.supervisors:
        writer.writerow(_csv_cells("supervisor", supervisor))
    for agency in registry.agencies:
        writer.writerow(_csv_cells("agency", agency))
    for host in registry.hosts:
        writer.writerow(_csv_cells("host", host))
    return out.getvalue()


def _csv_cells(kind: RowKind, row: SupervisorRow | AgencyRow | HostRow) -> list[str]:
    values = row.model_dump(mode="json", exclude_none=True)
    values["type"] = kind
    if "notify" in values:
        values["notify"] = " ".join(
            f"{','.join(t['tags'])}={t['url']}" if t["tags"] else t["url"] for t in values["notify"]
        )
    for column in ("listing_urls", "allowed_hosts"):
        if column in values:
            values[column] = " ".join(values[column])
    if "selectors" in values:
        values["selectors"] = json.dumps(values["selectors"], ensure_ascii=False)
    for flag in ("active", "insecure_tls"):
        if flag in values:
            values[flag] = "true" if values[flag] else "false"
    return [str(values.get(column, "")) for column in CSV_COLUMNS]
