"""Passwords, signed tokens and roles: no FastAPI here, so the CLI can use it too.

Passwords are hashed with scrypt (standard library; memory-hard), at most `MAX_CONCURRENT_HASHES` at a
time in a process, so a burst of sign-ins cannot take the memory. Sessions (cookie) and API bearer
tokens are the same signed, expiring token, HMAC-SHA256 over its JSON payload, carrying the id of a
session row (`dwatch.store.users`): signing out, a password change or disabling the user deletes the
row and voids the token at once. CSRF tokens are bound to the session cookie they were issued with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from dwatch.store.files import private_dir
from dwatch.store.types import utcnow

# scrypt cost: n=2**14, r=8 takes ~50 ms and 16 MiB per attempt, the usual interactive-login setting.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
# Hashes computed at once in this process (16 MiB each); the others wait for a slot. They run on
# threads of their own: the allocator keeps a freed 16 MiB in the arena of the thread that used it,
# so scrypt on any of the web server's many threads would leave 16 MiB behind on each.
MAX_CONCURRENT_HASHES = 2
_hash_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
_hashers = ThreadPoolExecutor(MAX_CONCURRENT_HASHES, thread_name_prefix="scrypt")


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


class HashingBusyError(Exception):
    """No hashing slot came free in time: too many sign-ins at once."""


@contextmanager
def hashing_slot(wait: float | None = None) -> Iterator[None]:
    """Hold one of the process's hashing slots; HashingBusyError after `wait` seconds (None: no limit)."""
    if not _hash_slots.acquire(timeout=wait):
        raise HashingBusyError
    try:
        yield
    finally:
        _hash_slots.release()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, wait: float | None) -> bytes:
    with hashing_slot(wait):
        job = _hashers.submit(hashlib.scrypt, password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM)
        return job.result()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, None)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str, wait: float | None = None) -> bool:
    """Whether `password` matches the stored hash; HashingBusyError if no slot came free within `wait`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p), wait)
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
    sid: str | None = None  # the session row of a session or API token


class TokenProblem(StrEnum):
    """Why a token presented is refused (each has its own message for people)."""

    INVALID = "invalid"  # malformed, forged, or a token of another kind
    EXPIRED = "expired"
    REVOKED = "revoked"  # signed out, password changed, user disabled


class TokenRejectedError(Exception):
    def __init__(self, problem: TokenProblem, payload: TokenPayload | None = None) -> None:
        super().__init__(problem.value)
        self.problem, self.payload = problem, payload


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, body: str) -> str:
        # Cookie values arrive as any text; UTF-8 takes them all (a forged one simply fails to match).
        return _b64(hmac.new(self._secret, body.encode("utf-8", "surrogatepass"), hashlib.sha256).digest())

    def sign(
        self,
        kind: TokenKind,
        subject: str,
        lifetime: timedelta,
        now: datetime | None = None,
        session_id: str | None = None,
    ) -> str:
        now = now or utcnow()
        payload = TokenPayload(
            kind=kind, sub=subject, iat=now.timestamp(), exp=(now + lifetime).timestamp(), sid=session_id
        )
        body = _b64(payload.model_dump_json(exclude_none=True).encode("utf-8"))
        return f"{body}.{self._mac(body)}"

    def read(self, token: str, kind: TokenKind, now: datetime | None = None) -> TokenPayload:
        """The payload of a genuine, unexpired token of `kind`; TokenRejectedError (INVALID or EXPIRED) else."""
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise TokenRejectedError(TokenProblem.INVALID)
        try:
            payload = TokenPayload.model_validate(json.loads(_unb64(body)))
        except (ValueError, ValidationError):
            raise TokenRejectedError(TokenProblem.INVALID) from None
        if payload.kind is not kind:
            raise TokenRejectedError(TokenProblem.INVALID)
        if payload.exp < (now or utcnow()).timestamp():
            raise TokenRejectedError(TokenProblem.EXPIRED, payload)
        return payload

    def verify(self, token: str, kind: TokenKind, now: datetime | None = None) -> TokenPayload | None:
        """The payload of a genuine, unexpired token of `kind`; None for anything else."""
        try:
            return self.read(token, kind, now)
        except TokenRejectedError:
            return None

    def _csrf_mac(self, nonce: str, session_token: str | None) -> str:
        return self._mac(f"csrf:{nonce}:{session_token or ''}")

    def csrf_matches(self, cookie: str | None, submitted: str | None, session_token: str | None) -> bool:
        """Double-submit check: the form's token equals the browser's CSRF cookie, which we signed for
        the session cookie it came with (another session's token, or one from before sign-in, fails)."""
        if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
            return False
        nonce, _, mac = cookie.partition(".")
        return bool(mac) and hmac.compare_digest(mac, self._csrf_mac(nonce, session_token))

    def new_csrf(self, session_token: str | None) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._csrf_mac(nonce, session_token)}"


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else one kept in the data directory (created once, readable by us only)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / "web-secret"
    private_dir(path.parent)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass  # created before (or just now by another process): use it
    return path.read_text(encoding="ascii").strip().encode("ascii")
