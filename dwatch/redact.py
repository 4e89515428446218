"""Masking of secrets in notification URLs (apprise URLs carry tokens and passwords).

A masked URL keeps what an operator needs to recognise a target (the channel, i.e. the scheme, and
a real host name) and replaces everything else with `****`. The marker lets the registry import
refuse a masked URL instead of silently overwriting the real one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

MASK = "****"
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")  # ASCII only
_TRAILING = ".,;:!?)]}，。；：！？）"
_HOST_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9-]+(\.[a-z0-9-]+)+$")


def mask_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return MASK
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    netloc = parts.netloc
    if "@" in netloc or not _HOST_NAME.match(host):
        # Credentials, or a "host" that is really a token (tgram://bottoken/…): hide it.
        shown = f"{MASK}@{host}" if "@" in netloc and _HOST_NAME.match(host) else MASK
    else:
        shown = host
    rest = f"/{MASK}" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{scheme}{shown}{rest}"


def is_masked(url: str) -> bool:
    return MASK in url


def redact_text(text: str) -> str:
    """Mask every URL inside free text (delivery errors may quote the target)."""
    return _URL_IN_TEXT.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    # Punctuation right after a URL belongs to the sentence, not to the URL.
    url = match.group(0).rstrip(_TRAILING)
    return mask_url(url) + match.group(0)[len(url) :]


# A web address carries a secret when it has credentials, a secret-named query parameter or a
# token-like path segment (webhook URLs); any other scheme is a notification target (apprise).
_SECRET_PARAM = re.compile(r"token|key|secret|sign|pass|auth|credential|session", re.IGNORECASE)
_TOKEN_SEGMENT = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{20,}$")


def carries_secret(url: str) -> bool:
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return True
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return True
    return any(_SECRET_PARAM.search(name) for name, _ in query) or any(
        _TOKEN_SEGMENT.match(segment) for segment in parts.path.split("/")
    )


def redact_secrets(text: str) -> str:
    """Mask the URLs in free text that carry secrets; plain web addresses stay readable (for logs,
    which name the crawled pages)."""

    def mask(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(_TRAILING)
        return _mask_match(match) if carries_secret(url) else match.group(0)

    return _URL_IN_TEXT.sub(mask, text)
