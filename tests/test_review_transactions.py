"""A review parses and checks outside any write transaction: a parse may run for minutes (its budget),
and on SQLite a write transaction held meanwhile would stop every other writer of the store (the
sweep's crawls, alerts and run records) for as long."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS
from dwatch.reports.model import AnnualReport
from store.factories import AGENCY, fetched, registered_store

from dwatch import review as review_module
from dwatch.crawling import load_agencies
from dwatch.review import review_document
from dwatch.store.database import Store
from dwatch.store.documents import record_fetch
from dwatch.store.tables import Agency

YEAR = 2023


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = registered_store(tmp_path)
    yield store
    store.close()


def test_another_writer_writes_while_a_document_is_parsed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.session() as session:
        data = (CORPUS / "huaihua-jiaojing-2023.txt").read_bytes()
        document = record_fetch(session, store.blobs, fetched(url="https://www.huaihua.gov.cn/hhjj/r.txt"), data)
        agency = load_agencies(session, [AGENCY])[0]
    parse = review_module.parse_within_budget
    wrote = threading.Event()

    def write_elsewhere() -> None:
        with store.session() as session:
            session.get_one(Agency, AGENCY).name = "并发写入"
        wrote.set()

    def parse_while_another_writes(*args: Any, **kwargs: Any) -> AnnualReport:
        writer = threading.Thread(target=write_elsewhere, daemon=True)
        writer.start()
        # Held in a transaction, the write would wait for the review (SQLite: for its whole parse).
        assert wrote.wait(10), "a write waited for the parse"
        return parse(*args, **kwargs)

    monkeypatch.setattr(review_module, "parse_within_budget", parse_while_another_writes)
    reviewed = review_document(store, agency, YEAR, document.id)
    assert reviewed.report_id is not None and reviewed.check_run_id is not None
    with store.reading() as session:
        assert session.get_one(Agency, AGENCY).name == "并发写入"
