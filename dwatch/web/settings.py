"""Settings of the web dashboard (`DWATCH_WEB__*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_read: bool = Field(
        default=True, description="read-only pages and GET endpoints open to anyone; false: any signed-in user"
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="signs sessions, API tokens and CSRF cookies; default: a random key kept in data_dir/web-secret",
    )
    session_hours: int = Field(default=12, ge=1, description="lifetime of a browser session")
    token_hours: int = Field(default=24, ge=1, description="lifetime of an API bearer token")
    secure_cookies: bool = Field(
        default=False, description="served over HTTPS: cookies marked Secure and named with the __Host- prefix"
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, description="failed sign-ins of one account before it is locked for a while"
    )
    login_failures_per_address: int = Field(
        default=20, ge=1, description="failed sign-ins from one client address before it is locked for a while"
    )
    login_lock_seconds: int = Field(
        default=60, ge=1, description="the first lock; it doubles with each further failure, up to an hour"
    )
    login_wait_seconds: float = Field(
        default=5, gt=0, description="how long a sign-in waits for a password-hashing slot before 503"
    )
    admin_password: SecretStr | None = Field(
        default=None, description="bootstrap: create user `admin` (all roles) with this password when no user exists"
    )
    ops_backend: Literal["temporal", "local"] = Field(
        default="temporal", description="re-crawl/re-check through Temporal, or in this process (no Temporal)"
    )
