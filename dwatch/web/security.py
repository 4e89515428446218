"""Passwords, signed tokens and roles: no FastAPI here, so the CLI can use it too.

Passwords are hashed with scrypt (standard library; memory-hard). Sessions (cookie) and API bearer
tokens are the same signed, expiring token, HMAC-SHA256 over its JSON payload; the user is looked up
on every request, so disabling a user or changing a password voids its tokens at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from dwatch.store.types import utcnow

# scrypt cost: n=2**14, r=8 takes ~50 ms and 16 MiB per attempt, the usual interactive-login setting.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


class Role(StrEnum):
    SUPERVISOR = "supervisor"  # triage: acknowledge, waive, reopen findings
    OPS = "ops"  # re-crawl, re-check, start sweeps
    AUDITOR = "auditor"  # reads everything, changes nothing


ROLE_ZH = {Role.SUPERVISOR: "监督人员", Role.OPS: "运维人员", Role.AUDITOR: "审计人员"}


def roles_of(stored: list[str]) -> list[Role]:
    """The known roles among stored ones (a role dropped from the code grants nothing)."""
    known = {r.value for r in Role}
    return [Role(r) for r in stored if r in known]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), maxmem=_SCRYPT_MAXMEM
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# Spent on unknown user names too, so response time does not tell which names exist.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class TokenKind(StrEnum):
    SESSION = "session"
    API = "api"
    FLASH = "flash"


class TokenPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TokenKind
    sub: str
    iat: float
    exp: float


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    def sign(self, kind: TokenKind, subject: str, lifetime: timedelta, now: datetime | None = None) -> str:
        now = now or utcnow()
        payload = TokenPayload(kind=kind, sub=subject, iat=now.timestamp(), exp=(now + lifetime).timestamp())
        body = _b64(payload.model_dump_json().encode("utf-8"))
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, kind: TokenKind, now: datetime | None = None) -> TokenPayload | None:
        """The payload of a genuine, unexpired token of `kind`; None for anything else."""
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = TokenPayload.model_validate(json.loads(_unb64(body)))
        except (ValueError, ValidationError):
            return None
        if payload.kind is not kind or payload.exp < (now or utcnow()).timestamp():
            return None
        return payload

    def csrf_matches(self, cookie: str | None, submitted: str | None) -> bool:
        """Double-submit check: the form's token equals the browser's CSRF cookie, which we signed."""
        if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
            return False
        nonce, _, mac = cookie.partition(".")
        return bool(mac) and hmac.compare_digest(mac, self._mac(nonce))

    def new_csrf(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else one kept in the data directory (created once, readable by us only)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / "web-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="ascii") as handle:
            path.chmod(0o600)
            handle.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass  # created before (or just now by another process): use it
    return path.read_text(encoding="ascii").strip().encode("ascii")
