"""The embedded default's demo: the site farm's agencies registered under two demo supervisors
(a 政务公开办 and the provincial office it escalates to) whose alerts go to the local inbox."""

from __future__ import annotations

from typing import Any

import yaml

from dwatch.demo.sitefarm import Farm
from dwatch.store.database import Store
from dwatch.store.registry.files import read_registry
from dwatch.store.registry.service import import_registry

DEMO_SUPERVISOR = "demo-gwb"
DEMO_PARENT = "demo-sheng"


def demo_registry(farm: Farm, notify_urls: list[str]) -> dict[str, Any]:
    notify = [{"url": url} for url in notify_urls]
    registry = farm.registry(DEMO_SUPERVISOR, notify)
    registry["supervisors"][0]["parent"] = DEMO_PARENT
    registry["supervisors"].append({"id": DEMO_PARENT, "name": "示范省政务公开办", "notify": notify})
    return registry


def import_demo(store: Store, farm: Farm, notify_urls: list[str]) -> list[str]:
    """Register (or refresh: the farm's port changes each start) the farm's agencies; their ids."""
    data = yaml.safe_dump(demo_registry(farm, notify_urls), allow_unicode=True).encode("utf-8")
    with store.session() as session:
        import_registry(session, read_registry(data, "yaml"))
    return [a.agency_id for a in farm.agencies]
