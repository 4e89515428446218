"""Delivery through apprise: one notification per message and target, recorded before it is sent.

A notification row is committed (idempotency key unique) before apprise is called: a key already
sent is reported as a duplicate and never sent again; a pending or failed one (a crash, a receiver
that was down) is sent on the next call. Each target is delivered in its own worker with its own
retries, exponential backoff and timeouts, so a slow or dead receiver delays nobody else. Every
attempt is logged with the masked target and the service's error, scrubbed of the URL's secrets.
"""

from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from apprise import Apprise, AppriseAsset
from apprise.plugins.base import NotifyBase
from pydantic import BaseModel

from dwatch.alerts.messages import Format, Rendered, render, split_text
from dwatch.alerts.plugins import register_plugins
from dwatch.alerts.routing import AlertKind, AlertScope, targets_for
from dwatch.alerts.settings import AlertSettings
from dwatch.observability.metrics import record_deliveries
from dwatch.redact import MASK, mask_url, redact_text
from dwatch.store.database import Store
from dwatch.store.notifications import NotificationRequest, create_notification, mark_in_flight, record_attempt
from dwatch.store.registry.models import NotifyTarget, SupervisorRow
from dwatch.store.tables import NotificationStatus

log = logging.getLogger(__name__)

_ASSET = AppriseAsset(app_id="Disclosure Watch", app_desc="Disclosure Watch 年报监督")
_KEY_MAX = 200


class Delivery(BaseModel):
    """How one message reached (or did not reach) one target of a supervisor."""

    supervisor: str
    channel: str
    target: str  # masked
    status: Literal["sent", "failed", "duplicate"]
    attempts: int = 0
    error: str | None = None
    notification_id: int | None = None
    key: str


@dataclass(frozen=True)
class Outgoing:
    """One message to one supervisor, rendered per channel format when its targets are known."""

    supervisor: SupervisorRow
    kind: AlertKind
    scope: AlertScope
    key: str
    context: Any
    finding_ids: list[int] = field(default_factory=list)
    agency_years: list[tuple[str, int]] = field(default_factory=list)  # what it is about, for the audit trail
    every_target: bool = False  # test messages go to every channel, whatever its tags

    def targets(self) -> list[NotifyTarget]:
        return list(self.supervisor.notify) if self.every_target else targets_for(self.supervisor, self.scope)


@dataclass
class Channel:
    plugin: NotifyBase
    format: Format
    max_bytes: int | None

    def parts(self, message: Rendered) -> list[tuple[str, str]]:
        """(title, body) of each request: a channel with a byte limit gets the title inline and parts."""
        if self.max_bytes is None:
            return [(message.subject, message.body)]
        return [("", part) for part in split_text(f"{message.subject}\n{message.body}", self.max_bytes)]


class ChannelError(Exception):
    pass


def open_channel(url: str, settings: AlertSettings) -> Channel:
    register_plugins()
    plugin = Apprise.instantiate(url, asset=_ASSET)
    if plugin is None:
        raise ChannelError("apprise 无法识别该通知地址，请检查地址格式")
    scheme = urlsplit(url).scheme.lower()
    timeout = settings.timeouts.get(scheme, settings.timeout)
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    if settings.request_interval is not None:
        plugin.request_rate_per_sec = settings.request_interval
    if scheme in settings.api_bases and hasattr(plugin, "api_base"):
        plugin.api_base = settings.api_bases[scheme]
    return Channel(plugin=plugin, format=Format(plugin.resolve_format(None)), max_bytes=_max_bytes(plugin))


def _max_bytes(plugin: NotifyBase) -> int | None:
    return getattr(plugin, "body_max_bytes", None)


def target_key(key: str, url: str) -> str:
    """The notification's idempotency key: the message's key and a digest of the target URL."""
    full = f"{key}:{hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]}"
    if len(full) <= _KEY_MAX:
        return full
    return f"{full[: _KEY_MAX - 41]}:{hashlib.sha256(full.encode('utf-8')).hexdigest()[:40]}"


@dataclass
class _Job:
    supervisor: str
    url: str
    key: str
    notification_id: int
    channel: Channel | None
    message: Rendered
    problem: str | None = None  # a target apprise refused: fails without retries


# Left on a notification from just before it is handed to apprise until its outcome is recorded. A
# retry that finds it (the sender died in between) does not resend: one alert at most, the unknown
# outcome visible in the delivery log.
IN_FLIGHT = "投递过程中断，对方是否收到未知，不再自动重发"


def dispatch(store: Store, settings: AlertSettings, outgoing: list[Outgoing]) -> list[Delivery]:
    """Record and deliver each message to each of its supervisor's routed targets."""
    done: list[Delivery] = []
    jobs: list[_Job] = []
    for message in outgoing:
        rendered: dict[Format, Rendered] = {}
        for target in message.targets():
            try:
                channel: Channel | None = open_channel(target.url, settings)
                problem = None
            except ChannelError as exc:
                channel, problem = None, str(exc)
            fmt = channel.format if channel else Format.TEXT
            rendered.setdefault(fmt, render(message.kind, fmt, message.context))
            key = target_key(message.key, target.url)
            with store.session() as session:
                row, _created = create_notification(
                    session,
                    NotificationRequest(
                        idempotency_key=key,
                        recipient=message.supervisor.name,
                        target_url=target.url,
                        subject=rendered[fmt].subject,
                        body=rendered[fmt].body,
                        supervisor_id=message.supervisor.id,
                        finding_ids=message.finding_ids,
                        agency_years=message.agency_years,
                    ),
                )
                status, notification_id, attempts = row.status, row.id, row.attempts
                interrupted = row.last_error == IN_FLIGHT
            if status == NotificationStatus.SENT.value:
                done.append(_delivery(message.supervisor.id, target.url, key, "duplicate", attempts, notification_id))
                continue
            if interrupted:  # a process died while sending it: it may have arrived, so never again
                done.append(
                    _delivery(message.supervisor.id, target.url, key, "failed", attempts, notification_id, IN_FLIGHT)
                )
                continue
            jobs.append(_Job(message.supervisor.id, target.url, key, notification_id, channel, rendered[fmt], problem))
    if jobs:
        with ThreadPoolExecutor(max_workers=min(settings.max_parallel, len(jobs))) as pool:
            done.extend(pool.map(lambda job: _deliver(store, settings, job), jobs))
    record_deliveries(done)
    return done


def _deliver(store: Store, settings: AlertSettings, job: _Job) -> Delivery:
    if job.channel is None:
        _record(store, job, job.problem)
        return _delivery(job.supervisor, job.url, job.key, "failed", 1, job.notification_id, job.problem)
    parts = job.channel.parts(job.message)
    sent = 0
    error: str | None = None
    for attempt in range(1, settings.retry_attempts + 1):
        if attempt > 1:
            time.sleep(min(settings.retry_backoff * 2 ** (attempt - 2), settings.retry_backoff_max))
        with store.session() as session:
            mark_in_flight(session, job.notification_id, IN_FLIGHT)
        sent, error = _send_parts(job.channel, parts, sent, job.url)
        _record(store, job, error)
        if error is None:
            return _delivery(job.supervisor, job.url, job.key, "sent", attempt, job.notification_id)
        log.warning("delivery to %s failed (attempt %d): %s", mask_url(job.url), attempt, error)
    return _delivery(job.supervisor, job.url, job.key, "failed", settings.retry_attempts, job.notification_id, error)


def _send_parts(channel: Channel, parts: list[tuple[str, str]], sent: int, url: str) -> tuple[int, str | None]:
    """Send the parts not sent yet; how many are sent now, and the error that stopped it."""
    apprise = Apprise(asset=_ASSET)
    apprise.add(channel.plugin)
    for title, body in parts[sent:]:
        result = apprise.notify(body, title=title, body_format=channel.format.value)
        if not result:
            messages = [entry.message for entry in result.logs()]
            return sent, scrub("；".join(messages) or f"发送失败（{result.status.name}）", url)
        sent += 1
    return sent, None


def _record(store: Store, job: _Job, error: str | None) -> None:
    with store.session() as session:
        record_attempt(session, job.notification_id, ok=error is None, error=error)


def scrub(text: str, url: str) -> str:
    """`text` without any secret-looking part of `url` (key, token, password, query values)."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return redact_text(text)


def _secrets(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
        candidates = [parts.username, parts.password, parts.hostname, *parts.path.split("/")]
    except ValueError:
        return set()
    candidates += [value for _, value in parse_qsl(parts.query)]
    # Host names stay readable (the masked URL shows them too); a "host" that is a token does not.
    shown = urlsplit(mask_url(url)).hostname or ""
    return {unquote(c) for c in candidates if c and len(c) >= 4 and c != shown}


def _delivery(
    supervisor: str,
    url: str,
    key: str,
    status: Literal["sent", "failed", "duplicate"],
    attempts: int,
    notification_id: int,
    error: str | None = None,
) -> Delivery:
    return Delivery(
        supervisor=supervisor,
        channel=urlsplit(url).scheme or "unknown",
        target=mask_url(url),
        status=status,
        attempts=attempts,
        error=error,
        notification_id=notification_id,
        key=key,
    )
