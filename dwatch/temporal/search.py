"""The project's search attributes: registered with the dev server at start, or through the operator
service of a self-hosted cluster (Temporal Cloud registers them in its own console)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from dwatch.workflows.models import SEARCH_ATTRIBUTES


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags registering them (e.g. `--search-attribute AgencyId=Keyword`)."""
    flags = []
    for key in SEARCH_ATTRIBUTES:
        kind = {SearchAttributeIndexedValueType.KEYWORD: "Keyword", SearchAttributeIndexedValueType.INT: "Int"}
        flags += ["--search-attribute", f"{key.name}={kind[key.indexed_value_type]}"]
    return flags


async def register(client: Client, namespace: str) -> list[str]:
    """Add the attributes the namespace lacks; the names added."""
    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        existing = set(listed.custom_attributes)
    except RPCError as err:
        # The time-skipping test server can add search attributes but not list them.
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in SEARCH_ATTRIBUTES
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
