"""Short calls from an agency's workflow (begin and end a run, look the agency up, waive a finding:
reads and writes of the store; and telling its sweeps it is done) run as local activities: in the workflow's own worker, with no task round
trip through the Temporal server, which thousands of agencies otherwise spend much of their time on.
The sweep keeps regular activities (`local=False`): its few store calls cost nothing, and a local
activity among thousands of incoming signals replayed differently from its live run at 5,000
agencies ("Missing associated machine for LocalActivity").

Histories recorded before this change scheduled them as regular activities; `workflow.patched`
keeps those replaying (and running) as they were.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dwatch.workflows.models import ActivityType, Arg, Result

LOCAL_STORE_PATCH = "local-store-activities"

_STORE: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=1),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}


class StoreCalls:
    """Made first thing in a workflow run (its `@workflow.init`): `patched` must be asked where it was
    asked when the history was recorded, and replay resolves a local activity earlier than the live
    run did, which would move a later `patched` call into an earlier workflow task."""

    def __init__(self, heartbeat: timedelta, *, local: bool = True) -> None:
        self._local = local and workflow.patched(LOCAL_STORE_PATCH)
        self._heartbeat = heartbeat

    async def __call__(self, activity: ActivityType[Arg, Result], arg: Arg) -> Result:
        if self._local:
            return await activity.execute_local(arg, **_STORE)
        return await activity.execute(arg, heartbeat_timeout=self._heartbeat, **_STORE)
