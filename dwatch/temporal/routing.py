"""Which task queue each kind of work goes to, as the workflows are told when they start."""

from __future__ import annotations

from datetime import timedelta

from dwatch.temporal.settings import TemporalSettings
from dwatch.workflows.models import TaskQueues


def task_queues(settings: TemporalSettings) -> TaskQueues:
    return TaskQueues(crawl=settings.crawl_task_queue, review=settings.review_task_queue)


def heartbeat(settings: TemporalSettings) -> timedelta:
    return timedelta(seconds=settings.heartbeat_timeout)
