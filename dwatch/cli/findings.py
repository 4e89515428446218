"""`dwatch findings` (what is wrong, filtered) and `dwatch audit AGENCY YEAR` (everything we know)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from dwatch.cli import app
from dwatch.cli.common import console, fail
from dwatch.cli.db import open_store
from dwatch.config import Settings
from dwatch.labels import COMPLIANCE_STATUS_ZH, FINDING_STATUS_ZH
from dwatch.links import dossier_url
from dwatch.reports.compliance import ComplianceStatus
from dwatch.store.audit import AuditRecord, audit
from dwatch.store.findings import FindingQuery, query_findings
from dwatch.store.tables import FindingStatus
from dwatch.temporal.history import ui_link


@app.command("findings")
def findings_command(
    agency: Annotated[str | None, typer.Option("--agency", help="agency id")] = None,
    year: Annotated[int | None, typer.Option("--year", help="report year")] = None,
    status: Annotated[
        FindingStatus | None, typer.Option("--status", help="open, acknowledged, waived, resolved")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List findings, filtered by agency, report year and status."""
    query = FindingQuery(agency_id=agency, report_year=year, status=status)
    store = open_store()
    try:
        with store.session() as session:
            rows = query_findings(session, query)
    finally:
        store.close()
    if as_json:
        payload = [
            {c: getattr(r, c) for c in ("id", "agency_id", "report_year", "fingerprint", "rule_id", "severity")}
            | {"category": r.category, "status": r.status, "message_zh": r.message_zh}
            | {"first_seen_at": r.first_seen_at.isoformat(), "last_seen_at": r.last_seen_at.isoformat()}
            for r in rows
        ]
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
        return
    table = RichTable(title=f"问题（{len(rows)}）", title_justify="left")
    for column in ("编号", "机关", "年度", "规则", "类别", "状态"):
        table.add_column(column, no_wrap=True)
    table.add_column("说明", overflow="fold", ratio=1)
    table.add_column("最近发现", no_wrap=True)
    for r in rows:
        cells = (
            str(r.id),
            r.agency_id,
            str(r.report_year),
            r.rule_id,
            r.category,
            FINDING_STATUS_ZH[r.status],
            r.message_zh,
            f"{r.last_seen_at:%Y-%m-%d}",
        )
        table.add_row(*(escape(c) for c in cells))
    console.print(table)


@app.command("audit")
def audit_command(
    agency: Annotated[str, typer.Argument(help="agency id", show_default=False)],
    year: Annotated[int, typer.Argument(help="report year", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Everything known about an agency's report for a year, whatever its status: documents, checks,
    findings, status changes, notifications and workflow runs."""
    store = open_store()
    try:
        with store.session() as session:
            record = audit(session, agency, year)
    finally:
        store.close()
    if record is None:
        raise fail(f"机关“{agency}”不存在", code=1)
    settings = Settings.from_env()
    links = _temporal_links(settings, record)
    dossier = dossier_url(settings, agency, year)
    if as_json:
        payload = record.model_dump(mode="json") | {"temporal_links": links, "dossier_url": dossier}
        console.out(json.dumps(payload, ensure_ascii=False, indent=2), highlight=False)
        return
    print_audit(record)
    console.out(f"\n监督看板 {dossier}", highlight=False)
    console.out(f"\n工作流（{len(record.workflow_runs)}）", highlight=False)
    for r in record.workflow_runs:
        finished = f"{r.finished_at:%Y-%m-%d %H:%M}Z" if r.finished_at else "进行中"
        console.out(
            f"  {r.kind} {r.workflow_id} 运行 {r.run_id}　{r.status}　{r.started_at:%Y-%m-%d %H:%M}Z → {finished}",
            highlight=False,
        )
        console.out(f"     Temporal 界面 {links[str(r.id)]}", highlight=False)


def _temporal_links(settings: Settings, record: AuditRecord) -> dict[str, str]:
    """The Temporal UI page of each workflow run named in the record, by the run's row id."""
    return {str(r.id): ui_link(settings.temporal, r.workflow_id, r.run_id) for r in record.workflow_runs}


def _runs(record: AuditRecord) -> dict[int, str]:
    return {r.id: f"{r.workflow_id}/{r.run_id}" for r in record.workflow_runs}


def print_audit(record: AuditRecord) -> None:
    out = console.out
    runs = _runs(record)
    agency = record.agency
    out(f"{agency.name}（{agency.id}）{record.report_year} 年度报告", highlight=False)
    out(f"监督机构：{record.supervisor_name}（{agency.supervisor}）　区划：{agency.region}", highlight=False)
    out(f"\n文档（{len(record.documents)}）", highlight=False)
    for d in record.documents:
        published = f"{d.published_on}（{d.published_source}：{d.published_raw}）" if d.published_on else "未识别"
        out(f"  v{d.version} {d.url}", highlight=False)
        out(f"     最终地址 {d.final_url}　HTTP {d.http_status}　{d.media_type}　{d.size} 字节", highlight=False)
        out(
            f"     sha256 {d.sha256}　抓取 {d.fetched_at:%Y-%m-%d %H:%M}Z　最近 {d.last_fetched_at:%Y-%m-%d %H:%M}Z",
            highlight=False,
        )
        out(f"     发布日期 {published}　工作流 {runs.get(d.workflow_run_id or 0, '—')}", highlight=False)
    out(f"\n解析结果（{len(record.reports)}）", highlight=False)
    for r in record.reports:
        out(
            f"  #{r.id} 文档#{r.document_id} {r.title or '（无标题）'} 格式 {r.format} 诊断 {r.diagnostics} 条",
            highlight=False,
        )
    out(f"\n检查（{len(record.check_runs)}）", highlight=False)
    for c in record.check_runs:
        rules = "、".join(c.rules) or "—"
        out(
            f"  #{c.id} {c.checked_at:%Y-%m-%d %H:%M}Z 规则库 {c.catalogue_version} 规则 {rules} 发现 {c.finding_count} 项",
            highlight=False,
        )
    out(f"\n问题（{len(record.findings)}）", highlight=False)
    for f in record.findings:
        out(f"  [{FINDING_STATUS_ZH[f.status]}] {f.rule_id} {f.category} {f.severity}：{f.message_zh}", highlight=False)
        out(
            f"     指纹 {f.fingerprint}　首次 {f.first_seen_at:%Y-%m-%d}　最近 {f.last_seen_at:%Y-%m-%d}　共 {f.times_seen} 次",
            highlight=False,
        )
        for e in f.history:
            reason = f"：{e.reason}" if e.reason else ""
            out(
                f"     {e.at:%Y-%m-%d %H:%M}Z {e.from_status or '—'} → {e.to_status}（{e.actor}）{reason}",
                highlight=False,
            )
    out(f"\n状态变化（{len(record.status_history)}）", highlight=False)
    for s in record.status_history:
        change = f"{_status_zh(s.from_status)} → " if s.from_status else ""
        detail = f"：{s.detail}" if s.detail else ""
        out(
            f"  {s.at:%Y-%m-%d %H:%M}Z {change}{_status_zh(s.to_status)}{detail}"
            f"　工作流 {runs.get(s.workflow_run_id or 0, '—')}",
            highlight=False,
        )
    out(f"\n通知（{len(record.notifications)}）", highlight=False)
    for n in record.notifications:
        out(f"  {n.recipient} 经 {n.channel}（{n.target_masked}）：{n.subject}", highlight=False)
        out(
            f"     状态 {n.status}　尝试 {n.attempts} 次　问题 {'、'.join(n.fingerprints) or '—'}"
            f"　创建 {n.created_at:%Y-%m-%d %H:%M}Z",
            highlight=False,
        )
        for a in n.attempt_log:
            out(
                f"     {a.attempted_at:%Y-%m-%d %H:%M}Z {'成功' if a.ok else '失败'}{'：' + a.error if a.error else ''}",
                highlight=False,
            )


def _status_zh(status: str) -> str:
    return COMPLIANCE_STATUS_ZH[ComplianceStatus(status)]
