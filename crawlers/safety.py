"""Where the crawler may go: allowed hosts and public addresses only (spec §5.2 warns of mirrors)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from dwatch.crawlers.errors import FetchError
from dwatch.reports.retrieval import FetchFailure


def host_allowed(url: str, allowed_hosts: list[str]) -> bool:
    """Whether `url` is on an allowed host: "example.gov.cn", "example.gov.cn:8080" (that port only)
    or "*.example.gov.cn" (the domain and its subdomains)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    for pattern in (p.lower().rstrip(".") for p in allowed_hosts):
        pattern_host, _, pattern_port = pattern.partition(":")
        if pattern_port and str(parts.port or "") != pattern_port:
            continue
        if pattern_host.startswith("*."):
            if host == pattern_host[2:] or host.endswith(pattern_host[1:]):
                return True
        elif host == pattern_host:
            return True
    return False


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


async def check_address(url: str, allow_private: bool) -> None:
    """Refuse hosts resolving to loopback, private or link-local addresses (SSRF), unless allowed."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(FetchFailure.CONNECTION, url, f"DNS lookup failed: {exc}") from exc
    # An IPv4 or IPv6 socket address starts with the host's address (typeshed also allows other families' ints).
    refused = [address for info in infos if not _is_public(address := str(info[4][0]))]
    if refused:
        raise FetchError(FetchFailure.ADDRESS_REFUSED, url, f"{host} resolves to a non-public address {refused[0]}")
