from __future__ import annotations

import pytest
from dwatch.crawlers.models import SiteSelectors
from factories import FIXTURES

from dwatch.store.database import Store
from dwatch.store.registry.files import Format, read_registry, write_registry
from dwatch.store.registry.models import AgencyRow, RegistryFile
from dwatch.store.registry.service import RegistryRejectedError, export_registry, import_registry


def _import(store: Store, data: bytes, fmt: Format = "yaml"):
    with store.session() as session:
        return import_registry(session, read_registry(data, fmt))


def _snapshot(store: Store) -> RegistryFile:
    with store.session() as session:
        return export_registry(session)


def _rejected(store: Store, data: bytes, fmt: Format) -> list[str]:
    with pytest.raises(RegistryRejectedError) as caught:
        _import(store, data, fmt)
    return [str(issue) for issue in caught.value.issues]


def test_import_the_example_registry(registered: Store) -> None:
    registry = _snapshot(registered)
    assert [s.id for s in registry.supervisors] == ["hh-gwb", "hn-gwb"]
    assert [a.id for a in registry.agencies] == ["gz-jkq-jiaojing", "hh-gov", "hh-jiaojing"]
    city = registry.supervisors[0]
    assert city.parent == "hn-gwb"
    assert [(t.url, t.tags) for t in city.notify] == [
        ("json://hooks.huaihua.gov.cn/dwatch?token=abc123", ["webhook"]),
        ("mailto://hh:another-secret@mail.huaihua.gov.cn", []),
    ]
    police = registry.agencies[2]
    assert police.region == "431200"  # a YAML number, kept as a code
    assert police.selectors == SiteSelectors(link_css="ul.list li a", link_url_pattern=r"/nb/\d+\.shtml$")
    assert not police.insecure_tls
    assert police.deadline == "01-31"
    government = registry.agencies[1]
    assert government.kind == "government"
    assert government.allowed_hosts == ["www.huaihua.gov.cn"]  # derived from the URLs
    assert not registry.agencies[0].active
    assert registry.agencies[0].allows("https://sub.gzjkq.gov.cn/x.html")
    assert not registry.agencies[0].allows("https://gzjkq.gov.cn.evil.com/x.html")


def test_reimport_updates_instead_of_duplicating(registered: Store) -> None:
    text = (FIXTURES / "registry.yaml").read_text(encoding="utf-8")
    changed = text.replace("name: 怀化市人民政府\n", "name: 怀化市人民政府（本级）\n")
    summary = _import(registered, changed.encode())
    assert summary.agencies == {"updated": 1, "unchanged": 2}
    assert summary.supervisors == {"unchanged": 2}
    registry = _snapshot(registered)
    assert len(registry.agencies) == 3
    assert next(a for a in registry.agencies if a.id == "hh-gov").name == "怀化市人民政府（本级）"


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_export_import_round_trip(registered: Store, fmt: Format) -> None:
    before = _snapshot(registered)
    exported = write_registry(before, fmt).encode()
    summary = _import(registered, exported, fmt)
    assert summary.supervisors == {"unchanged": 2}
    assert summary.agencies == {"unchanged": 3}
    assert _snapshot(registered) == before
    # And the export parses back to the very same rows.
    parsed = read_registry(exported, fmt)
    assert parsed.issues == []
    assert len(parsed.rows) == 5


def test_masked_export_cannot_be_imported(registered: Store) -> None:
    masked = write_registry(_snapshot(registered).masked(), "yaml")
    assert "s3cret" not in masked and "abc123" not in masked and "another-secret" not in masked
    issues = _rejected(registered, masked.encode(), "yaml")
    assert len(issues) == 3
    assert all("掩码" in issue for issue in issues)


MISSING_COLUMNS = "type,id,name,kind,base_url\nagency,a1,某局,department,https://a.gov.cn/\n"
DUPLICATE_IDS = """\
supervisors:
  - id: s1
    name: 甲
  - id: s1
    name: 乙
agencies:
  - {id: a1, name: 局一, kind: department, region: "431200", supervisor: s1, base_url: "https://a.gov.cn/", listing_urls: ["https://a.gov.cn/nb/"]}
  - {id: a1, name: 局二, kind: department, region: "431200", supervisor: s1, base_url: "https://a.gov.cn/", listing_urls: ["https://a.gov.cn/nb/"]}
"""
UNKNOWN_SUPERVISOR = """\
supervisors:
  - id: s1
    name: 甲
    parent: sup-x
agencies:
  - id: a1
    name: 局一
    kind: department
    region: "431200"
    supervisor: nobody
    base_url: https://a.gov.cn/
    listing_urls: [https://a.gov.cn/nb/]
"""
INVALID_URL = (
    "type,id,name,parent,notify,kind,region,supervisor,base_url,listing_urls\n"
    "supervisor,s1,甲,,nosuchscheme://x/y,,,,,\n"
    "agency,a1,局一,,,department,431200,s1,a.gov.cn,https://a.gov.cn/nb/\n"
    "agency,a2,局二,,,department,431200,s1,https://b.gov.cn/,ftp://b.gov.cn/nb/\n"
)
GBK_CSV = "type,id,name\nsupervisor,s1,怀化市政务公开办\nsupervisor,s2,plain ascii\nsupervisor,s3,湖南省\n".encode(
    "gbk"
)


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        pytest.param(
            MISSING_COLUMNS.encode(), "csv", ["第1行：缺少列：region、supervisor、listing_urls"], id="missing-columns"
        ),
        pytest.param(
            DUPLICATE_IDS.encode(),
            "yaml",
            ["第4行：监督机构编号“s1”重复（首次出现在第2行）", "第8行：机关编号“a1”重复（首次出现在第7行）"],
            id="duplicate-ids",
        ),
        pytest.param(
            UNKNOWN_SUPERVISOR.encode(),
            "yaml",
            ["第2行：上级监督机构“sup-x”不存在", "第6行：监督机构“nobody”不存在"],
            id="unknown-supervisor",
        ),
        pytest.param(
            INVALID_URL.encode(),
            "csv",
            [
                "第2行：notify 第1项 url：通知地址的类型“nosuchscheme”不是 apprise 支持的通知方式",
                "第3行：base_url：“a.gov.cn”不是有效的 http(s) 网址",
                "第4行：listing_urls 第1项：“ftp://b.gov.cn/nb/”不是有效的 http(s) 网址",
            ],
            id="invalid-url",
        ),
        pytest.param(
            GBK_CSV,
            "csv",
            [
                "第2行：不是 UTF-8 编码（看起来是 GBK/GB18030 编码，请将文件另存为 UTF-8）",
                "第4行：不是 UTF-8 编码（看起来是 GBK/GB18030 编码，请将文件另存为 UTF-8）",
            ],
            id="gbk-csv",
        ),
    ],
)
def test_bad_files_are_rejected_whole(registered: Store, data: bytes, fmt: Format, expected: list[str]) -> None:
    before = _snapshot(registered)
    assert _rejected(registered, data, fmt) == expected
    assert _snapshot(registered) == before


def test_one_bad_row_rejects_the_good_rows_too(registered: Store) -> None:
    text = (FIXTURES / "registry.yaml").read_text(encoding="utf-8")
    bad = text.replace("name: 怀化市人民政府\n", "name: 改过的名字\n").replace("kind: government", "kind: city")
    issues = _rejected(registered, bad.encode(), "yaml")
    assert issues == ["第29行：kind：应为 'department' 或 'government'"]
    assert next(a for a in _snapshot(registered).agencies if a.id == "hh-gov").name == "怀化市人民政府"


def test_every_problem_of_a_row_is_listed(store: Store) -> None:
    csv_text = (
        "type,id,name,kind,region,supervisor,base_url,listing_urls,allowed_hosts,deadline,active\n"
        "supervisor,s1,甲,,,,,,,,\n"
        "agency,bad id,,department,43,s1,https://a.gov.cn/,https://a.gov.cn/nb/,other.gov.cn,02-30,maybe\n"
    )
    issues = _rejected(store, csv_text.encode(), "csv")
    assert issues == [
        "第3行：id：“bad id”格式不正确：编号只能包含字母、数字和 . _ -，且以字母或数字开头",
        "第3行：缺少字段“name”",
        "第3行：region：“43”格式不正确：应为 6、9 或 12 位数字的行政区划代码",
        "第3行：deadline：截止日期“02-30”应为 MM-DD，如 03-31",
        "第3行：active：应为 true 或 false",
    ]
    assert _snapshot(store) == RegistryFile()


def test_listing_urls_must_be_within_allowed_hosts() -> None:
    with pytest.raises(ValueError, match="不在 allowed_hosts 之内"):
        AgencyRow(
            id="a1",
            name="局",
            kind="department",
            region="431200",
            supervisor="s1",
            base_url="https://a.gov.cn/",
            listing_urls=["https://elsewhere.com/nb/"],
            allowed_hosts=["a.gov.cn"],
        )


def test_parent_cycle_is_rejected(registered: Store) -> None:
    cycle = "supervisors:\n  - id: hn-gwb\n    name: 省\n    parent: hh-gwb\n"
    assert _rejected(registered, cycle.encode(), "yaml") == ["第2行：上级监督机构形成循环：hn-gwb → hh-gwb → hn-gwb"]


def test_dry_run_changes_nothing(store: Store) -> None:
    with store.session() as session:
        summary = import_registry(
            session, read_registry((FIXTURES / "registry.yaml").read_bytes(), "yaml"), dry_run=True
        )
    assert summary.agencies == {"created": 3}
    assert _snapshot(store) == RegistryFile()
