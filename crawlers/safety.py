"""Where the crawler may go: allowed hosts and public addresses only (spec §5.2 warns of mirrors).

`address_refusal` is the one address classifier: `ipaddress`'s `is_global` plus explicit refusals of
ranges that are global on paper but reach private hosts through a translator or tunnel (6to4, NAT64,
Teredo, IPv4-mapped and -compatible addresses) or that Python still calls global (multicast).
The transport (`dwatch.crawlers.transport`) applies it to the address it actually connects to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Each embeds or reaches another address that the packet really goes to.
_TUNNELLED: tuple[tuple[IPNetwork, str], ...] = (
    (ipaddress.ip_network("::ffff:0:0/96"), "IPv4-mapped"),
    (ipaddress.ip_network("::/96"), "IPv4-compatible"),
    (ipaddress.ip_network("2002::/16"), "6to4"),
    (ipaddress.ip_network("192.88.99.0/24"), "6to4 relay anycast"),
    (ipaddress.ip_network("2001::/32"), "Teredo"),
    (ipaddress.ip_network("64:ff9b::/96"), "NAT64"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "local-use NAT64"),
    (ipaddress.ip_network("100.64.0.0/10"), "shared address space (carrier-grade NAT, cloud metadata)"),
)


def address_refusal(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why the crawler must not connect to `address`, or None when it may.

    `allowed` lists non-public networks the operator opened on purpose (the demo's site farm, tests)."""
    if any(address.version == network.version and address in network for network in allowed):
        return None
    for network, name in _TUNNELLED:
        if address.version == network.version and address in network:
            return f"{address} is in {network} ({name})"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if not address.is_global:
        return f"{address} is not a public address (loopback, private, link-local or reserved)"
    return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_allowed(url: str, allowed_hosts: list[str]) -> bool:
    """Whether `url` is on an allowed host: "example.gov.cn" (on the scheme's default port only),
    "example.gov.cn:8080" or "[::1]:8080" (that port only), or "*.example.gov.cn" (the domain and its
    subdomains; a port the same way)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    try:
        port = parts.port or default
    except ValueError:  # not a port number
        return False
    for pattern in allowed_hosts:
        pattern_host, pattern_port = _host_and_port(pattern.lower())
        if port != (pattern_port or default):
            continue
        if pattern_host.startswith("*."):
            if host == pattern_host[2:] or host.endswith(pattern_host[1:]):
                return True
        elif host == pattern_host:
            return True
    return False


def _host_and_port(pattern: str) -> tuple[str, int | None]:
    """The host (IPv6 without brackets) and the port, if given, of `name`, `name:port`, `[IPv6]:port`."""
    if pattern.startswith("["):
        host, _, rest = pattern[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = pattern.partition(":")
    return host.rstrip("."), int(port) if port.isdigit() else None
