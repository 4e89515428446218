"""One registry row, validated: a supervisor or an agency. Messages are for supervisors (zh-CN)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dwatch.crawlers.models import SiteSelectors
from dwatch.crawlers.politeness import host_key
from dwatch.crawlers.safety import host_allowed
from dwatch.redact import is_masked, mask_url
from dwatch.reports.compliance import AgencyKind
from dwatch.store.registry.messages import RegistryIssue

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://\S+$", re.IGNORECASE)
_NAME = re.compile(r"^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$")
_PORTED = re.compile(r"^(?P<host>\[[0-9a-f:.]+\]|[^:\[\]]+)(:(?P<port>\d{1,5}))?$")
# Second-level domains under which every name is someone else's: a wildcard must name a domain below them.
_SHARED_SUFFIXES = frozenset({"gov.cn", "com.cn", "net.cn", "org.cn", "edu.cn", "ac.cn", "mil.cn"})
_DEADLINE = re.compile(r"^(\d{2})-(\d{2})$")


def _as_text(value: Any) -> Any:
    # YAML reads 431200 or 2023 as numbers; ids and codes are text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
Identifier = Annotated[str, BeforeValidator(_as_text), Field(pattern=ID_PATTERN)]
Tag = Annotated[str, Field(pattern=r"^[\w.-]+$")]


def _is_deadline(value: str) -> bool:
    match = _DEADLINE.match(value)
    try:
        # A common year: 02-29 would not exist in most years the deadline applies to.
        return match is not None and bool(date(2001, int(match.group(1)), int(match.group(2))))
    except ValueError:
        return False


def valid_host(entry: str, *, wildcard: bool = False) -> str:
    """A host as the registry names it, normalised: `name`, `name:port`, `[IPv6]:port`, or with
    `wildcard`, `*.domain`. Raises a PydanticCustomError (zh-CN) naming what is wrong."""
    host = entry.strip().lower().rstrip(".")
    match = _PORTED.match(host)
    name, port = (match["host"], match["port"]) if match else (host, None)
    if port is not None and not 1 <= int(port) <= 65535:
        raise PydanticCustomError("host_port", "“{host}”的端口 {port} 超出 1–65535", {"host": entry, "port": port})
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            match = None
    elif not _NAME.match(name) or (name.startswith("*.") and not wildcard):
        match = None
    if match is None:
        raise PydanticCustomError(
            "host", "“{host}”不是有效的主机名（应为 域名、域名:端口、[IPv6地址]:端口 或 *.域名）", {"host": entry}
        )
    return host


def _own_domain(pattern: str, own_host: str) -> bool:
    """Whether a wildcard covers only the agency's own domain: the site's host or a parent of it, below
    a shared suffix (`*.gov.cn` would let the crawler roam every government site)."""
    domain = pattern[2:].partition(":")[0]
    if "." not in domain or domain in _SHARED_SUFFIXES:
        return False
    return own_host == domain or own_host.endswith(f".{domain}")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@cache
def _apprise_schemes() -> frozenset[str]:
    # Loaded on first use: importing apprise's plugins takes a noticeable fraction of a second.
    from apprise.manager_plugins import NotificationManager

    return frozenset(NotificationManager().schemas())


class NotifyTarget(_Row):
    """An apprise URL (a secret: never printed unmasked) and the tags that select it."""

    url: str
    tags: list[Tag] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, url: str) -> str:
        if is_masked(url):
            raise PydanticCustomError("masked_url", "通知地址是掩码后的形式（含 ****），请使用含完整地址的导出文件")
        match = _SCHEME.match(url)
        if not match:
            raise PydanticCustomError("notify_url", "通知地址“{url}”不是 scheme://… 形式", {"url": mask_url(url)})
        if match.group(1).lower() not in _apprise_schemes():
            raise PydanticCustomError(
                "notify_scheme", "通知地址的类型“{scheme}”不是 apprise 支持的通知方式", {"scheme": match.group(1)}
            )
        return url

    def masked(self) -> NotifyTarget:
        return type(self).model_construct(url=mask_url(self.url), tags=self.tags)


class SupervisorRow(_Row):
    id: Identifier
    name: Text
    parent: Identifier | None = Field(default=None, description="the supervisor to escalate to")
    notify: list[NotifyTarget] = Field(default_factory=list)

    def masked(self) -> SupervisorRow:
        return self.model_copy(update={"notify": [t.masked() for t in self.notify]})


class AgencyRow(_Row):
    id: Identifier
    name: Text
    kind: AgencyKind
    region: Annotated[str, BeforeValidator(_as_text), Field(pattern=r"^\d{6}(\d{3}|\d{6})?$")]
    supervisor: Identifier
    base_url: HttpUrl
    listing_urls: list[HttpUrl] = Field(min_length=1, description="the 年报 column page(s)")
    allowed_hosts: list[str] = Field(default_factory=list, description="default: the hosts of the URLs above")
    selectors: SiteSelectors | None = Field(default=None, description="CSS overrides for an unusual site")
    insecure_tls: bool = Field(default=False, description="accept an invalid TLS certificate (reported as ACCESS-01)")
    deadline: str | None = Field(default=None, description="local deadline MM-DD of the following year")
    active: bool = True

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        return [valid_host(h, wildcard=True) for h in hosts]

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str | None) -> str | None:
        if value is not None and not _is_deadline(value):
            raise PydanticCustomError("deadline", "截止日期“{value}”应为 MM-DD，如 03-31", {"value": value})
        return value

    @model_validator(mode="after")
    def _listing_hosts_allowed(self) -> AgencyRow:
        if not self.allowed_hosts:
            # Derived hosts carry the URLs' ports: a host without a port allows only the default ones.
            urls = [str(self.base_url), *(str(u) for u in self.listing_urls)]
            self.allowed_hosts = list(dict.fromkeys(host_key(u) for u in urls))
            return self
        own = urlsplit(str(self.base_url)).hostname or ""
        too_wide = [h for h in self.allowed_hosts if h.startswith("*.") and not _own_domain(h, own)]
        if too_wide:
            raise PydanticCustomError(
                "wildcard_too_wide",
                "allowed_hosts 中的通配符“{hosts}”超出本机关的域名 {own}：通配符只能用于本机关网站所在的域名"
                "（如 *.example.gov.cn），不能是 *.gov.cn 这类公共后缀",
                {"hosts": "、".join(too_wide), "own": own},
            )
        outside = [str(u) for u in self.listing_urls if not self.allows(str(u))]
        if outside:
            raise PydanticCustomError(
                "host_not_allowed",
                "栏目网址不在 allowed_hosts 之内：{urls}（未写端口的主机只允许默认端口 80/443）",
                {"urls": "、".join(outside)},
            )
        return self

    def allows(self, url: str) -> bool:
        """Whether the crawler may fetch `url` for this agency (`*.example.gov.cn` covers subdomains)."""
        return host_allowed(url, self.allowed_hosts)


class HostRow(_Row):
    """A host's own crawl politeness, where it differs from the defaults (`DWATCH_CRAWL__PER_HOST_*`):
    a portal that asks for slower crawling, or one that allows more. The host is named as in the
    agencies' URLs, with the port when they give one."""

    host: str
    interval: float = Field(gt=0, le=3600, description="seconds between two request starts at the host")
    concurrency: int = Field(ge=1, le=32, description="requests in flight at the host at once")

    @field_validator("host")
    @classmethod
    def _host(cls, host: str) -> str:
        return valid_host(host)


class RegistryFile(BaseModel):
    """A whole registry, as exported and imported. `unreadable` lists stored rows that no longer pass
    validation (export and list skip them and say so); it is never written to a file."""

    supervisors: list[SupervisorRow] = Field(default_factory=list)
    agencies: list[AgencyRow] = Field(default_factory=list)
    hosts: list[HostRow] = Field(default_factory=list)
    unreadable: list[RegistryIssue] = Field(default_factory=list, exclude=True)

    def masked(self) -> RegistryFile:
        return self.model_copy(update={"supervisors": [s.masked() for s in self.supervisors]})
