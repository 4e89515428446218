"""Masking of secrets in notification URLs (apprise URLs carry tokens and passwords).

A masked URL keeps what an operator needs to recognise a target (the channel, i.e. the scheme, and
a real host name) and replaces everything else with `****`. The marker lets the registry import
refuse a masked URL instead of silently overwriting the real one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
