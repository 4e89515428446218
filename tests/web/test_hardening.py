"""Regression tests of the attack on the web layer (issue 18, attack items 7, 8 and 10) and the 401
messages per cause (issue 20): sign-in throttling, sessions that end, CSRF bound to the session,
the Origin check, `__Host-` cookies, 64-bit ids."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from dwatch.demo.sitefarm import Farm
from dwatch.demo.sitefarm.plan import Scenario
from fastapi.testclient import TestClient
from web_support import PASSWORD, agency_with, bearer, web_settings

from dwatch.store.database import Store
from dwatch.store.types import utcnow
from dwatch.store.users import open_session, save_user
from dwatch.web.app import create_app
from dwatch.web.backends import LocalOps
from dwatch.web.security import MAX_CONCURRENT_HASHES, TokenKind, hash_password, hashing_slot

WRONG = "not the password"


@pytest.fixture
def make_client(data_dir: Path, store: Store) -> Iterator[Callable[..., TestClient]]:
    """A client of an app with these web settings (and a base URL, for HTTPS)."""
    with ExitStack() as stack:

        def make(base_url: str = "http://testserver", **web: object) -> TestClient:
            settings = web_settings(data_dir, **web)
            app = create_app(settings, store, LocalOps(settings, store))
            return stack.enter_context(TestClient(app, base_url=base_url))

        yield make


def _token(client: TestClient, user: str, password: str = PASSWORD, **headers: str):
    return client.post("/api/v1/auth/token", json={"username": user, "password": password}, headers=headers)


def _form_login(client: TestClient, user: str, password: str = PASSWORD):
    client.get("/login")
    csrf = client.cookies.get("dwatch_csrf") or client.cookies.get("__Host-dwatch_csrf")
    data = {"username": user, "password": password, "csrf_token": csrf, "next": "/matrix"}
    return client.post("/login", data=data, follow_redirects=False)


def _finding_id(client: TestClient, farm: Farm) -> int:
    agency = agency_with(farm, Scenario.DEFECTIVE)
    return client.get("/api/v1/findings", params={"agency": agency, "rule": "T3-03"}).json()[0]["id"]


# ---- attack 7: password guessing ----------------------------------------------------------------


def test_attack_7_password_guessing_on_the_token_endpoint_is_throttled(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dwatch.web.auth")
    for _ in range(5):
        response = _token(client, "sup", WRONG)
        assert response.status_code == 401 and response.json()["detail"] == "用户名或密码错误"
    throttled = _token(client, "sup", WRONG)
    assert throttled.status_code == 429
    assert 55 <= int(throttled.headers["retry-after"]) <= 60  # the first lock: 60 s
    assert "登录失败次数过多" in throttled.json()["detail"]
    # Locked means locked: the right password waits too (the guesser cannot tell it was right).
    assert _token(client, "sup").status_code == 429
    # Another account from the same address is not locked by this one's failures.
    assert _token(client, "aud").status_code == 200
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("login_failed") == 5 and "login_lock" in events and "login_refused_locked" in events
    lock = next(r for r in caplog.records if getattr(r, "event", None) == "login_lock")
    assert (lock.user, lock.client, lock.failures) == ("sup", "testclient", 5)
    assert WRONG not in caplog.text and PASSWORD not in caplog.text  # names, never passwords


def test_attack_7_password_guessing_on_the_form_is_throttled(client: TestClient) -> None:
    for _ in range(5):
        response = _form_login(client, "sup", WRONG)
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    throttled = _form_login(client, "sup", WRONG)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "登录失败次数过多，已暂时锁定" in throttled.text
    assert "dwatch_session" not in throttled.headers.get("set-cookie", "")


def test_attack_7_lock_backs_off_exponentially_and_success_clears_it(make_client) -> None:
    client = make_client(login_lock_seconds=1)
    for _ in range(5):
        assert _token(client, "sup", WRONG).status_code == 401
    assert _token(client, "sup", WRONG).headers["retry-after"] == "1"
    time.sleep(1.1)
    assert _token(client, "sup", WRONG).status_code == 401  # the lock ran out: one more try …
    assert _token(client, "sup", WRONG).headers["retry-after"] == "2"  # … and the next lock is twice as long
    time.sleep(2.1)
    assert _token(client, "sup").status_code == 200
    assert _token(client, "sup", WRONG).status_code == 401  # the right password cleared the account's count


def test_attack_7_one_address_guessing_many_names_is_throttled(make_client) -> None:
    client = make_client(login_failures_per_address=3)
    for name in ("sup", "ops", "nobody"):
        assert _token(client, name, WRONG).status_code == 401
    response = _token(client, "aud")  # a fourth name, right password: the address is locked
    assert response.status_code == 429 and "retry-after" in response.headers


def test_attack_7_concurrent_password_hashing_is_bounded(make_client) -> None:
    client = make_client(login_wait_seconds=0.2)
    release, held = threading.Event(), threading.Barrier(MAX_CONCURRENT_HASHES + 1)

    def hold_a_slot() -> None:
        with hashing_slot():
            held.wait()
            release.wait()

    holders = [threading.Thread(target=hold_a_slot) for _ in range(MAX_CONCURRENT_HASHES)]
    for holder in holders:
        holder.start()
    held.wait()
    try:
        busy = _token(client, "sup")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json()["detail"] == "登录请求过多，服务器繁忙，请稍后重试"
    finally:
        release.set()
        for holder in holders:
            holder.join()
    assert _token(client, "sup").status_code == 200  # a slot is free again
    assert _token(client, "sup", WRONG).status_code == 401  # and "busy" was not counted as a failure


# ---- attack 8: sessions that end ----------------------------------------------------------------


def test_attack_8_logout_voids_the_old_session_cookie(make_client) -> None:
    client = make_client(public_read=False)
    assert _form_login(client, "sup").status_code == 303
    old_cookie = client.cookies["dwatch_session"]
    assert client.get("/api/v1/auth/me").json()["name"] == "sup"
    logout = client.post("/logout", data={"csrf_token": client.cookies["dwatch_csrf"]}, follow_redirects=False)
    assert logout.status_code == 303
    # The cookie a thief copied before the sign-out is worth nothing after it.
    client.cookies.set("dwatch_session", old_cookie)
    replay = client.get("/api/v1/auth/me")
    assert replay.status_code == 401 and "登录会话已失效" in replay.json()["detail"]
    page = client.get("/matrix", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_attack_8_password_change_ends_sessions_and_tokens(client: TestClient, store: Store) -> None:
    assert _form_login(client, "sup").status_code == 303
    token = bearer(client, "sup")
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200
    with store.session() as session:
        save_user(session, "sup", hash_password("a new password 2026"), ["supervisor"])
    refused = client.get("/api/v1/auth/me", headers=token)
    assert refused.status_code == 401 and refused.json()["detail"].startswith("访问令牌已失效")
    assert client.get("/api/v1/auth/me").status_code == 401  # the browser session too
    assert _token(client, "sup", "a new password 2026").status_code == 200


def test_attack_8_an_api_token_can_be_revoked(client: TestClient) -> None:
    token = bearer(client, "ops")
    assert client.delete("/api/v1/auth/token", headers=token).status_code == 204
    refused = client.get("/api/v1/auth/me", headers=token)
    assert refused.status_code == 401 and "已失效" in refused.json()["detail"]
    assert client.delete("/api/v1/auth/token").status_code == 401


# ---- attack 10: CSRF, Origin, cookies, ids ------------------------------------------------------


def _triage_with(client: TestClient, finding_id: int, session: str, csrf: str) -> int:
    """Post the triage form from a browser holding exactly these two cookies; the status code."""
    with TestClient(client.app, cookies={"dwatch_session": session, "dwatch_csrf": csrf}) as browser:
        data = {"decision": "acknowledged", "csrf_token": csrf}
        return browser.post(f"/findings/{finding_id}/triage", data=data, follow_redirects=False).status_code


def test_attack_10_csrf_token_is_rotated_at_login_and_bound_to_the_session(client: TestClient, farm: Farm) -> None:
    finding_id = _finding_id(client, farm)
    client.get("/login")
    planted = client.cookies["dwatch_csrf"]  # what an attacker could have fixed before sign-in
    assert _form_login(client, "sup").status_code == 303
    session, rotated = client.cookies["dwatch_session"], client.cookies["dwatch_csrf"]
    assert rotated != planted
    assert _triage_with(client, finding_id, session, planted) == 403
    # The token of another session (another user's browser) does not pass with this session either.
    with TestClient(client.app) as other:
        assert _form_login(other, "chief").status_code == 303
        foreign = other.cookies["dwatch_csrf"]
    assert _triage_with(client, finding_id, session, foreign) == 403
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == "open"
    assert _triage_with(client, finding_id, session, rotated) == 303
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == "acknowledged"


def test_attack_10_unsafe_requests_from_another_origin_are_refused(client: TestClient, farm: Farm) -> None:
    finding_id = _finding_id(client, farm)
    assert _form_login(client, "sup").status_code == 303
    data = {"decision": "acknowledged", "csrf_token": client.cookies["dwatch_csrf"]}
    url = f"/findings/{finding_id}/triage"
    for header in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Referer": "http://evil.example/x"}):
        refused = client.post(url, data=data, headers=header, follow_redirects=False)
        assert refused.status_code == 403 and "Origin/Referer" in refused.text, header
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == "open"
    # A sign-in posted from another site is refused too (login CSRF); programs send no Origin.
    assert _token(client, "ops", Origin="http://evil.example").status_code == 403
    assert _token(client, "ops").status_code == 200
    same = client.post(url, data=data, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert same.status_code == 303
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == "acknowledged"


def test_attack_10_host_prefixed_secure_cookies_over_https(make_client) -> None:
    client = make_client(base_url="https://testserver", secure_cookies=True)
    client.get("/login")
    csrf = client.cookies["__Host-dwatch_csrf"]
    response = client.post(
        "/login", data={"username": "sup", "password": PASSWORD, "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"__Host-dwatch_session", "__Host-dwatch_csrf"}
    for cookie in cookies:
        attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert {"secure", "path=/", "httponly"} <= attributes and not any(a.startswith("domain") for a in attributes)
    assert client.get("/api/v1/auth/me").json()["name"] == "sup"


@pytest.mark.parametrize("huge", ["99999999999999999999", "9223372036854775808", "0", "-1"])
def test_attack_10_ids_beyond_64_bits_are_refused_not_500(client: TestClient, huge: str) -> None:
    assert client.get(f"/api/v1/findings/{huge}").status_code == 422
    sup = bearer(client, "sup")
    changed = client.post(f"/api/v1/findings/{huge}/status", json={"status": "acknowledged"}, headers=sup)
    assert changed.status_code == 422
    assert client.get(f"/documents/{huge}/archive").status_code == 400
    assert _form_login(client, "sup").status_code == 303
    csrf = client.cookies["dwatch_csrf"]
    form = client.post(f"/findings/{huge}/triage", data={"decision": "acknowledged", "csrf_token": csrf})
    assert form.status_code == 400


def test_attack_10_the_largest_64_bit_id_is_simply_absent(client: TestClient) -> None:
    largest = 2**63 - 1
    assert client.get(f"/api/v1/findings/{largest}").status_code == 404
    assert client.get(f"/documents/{largest}/archive").status_code == 404


# ---- issue 20: a 401 says why -------------------------------------------------------------------


def test_401_messages_say_why(client: TestClient, store: Store) -> None:
    url = "/api/v1/ops/sweeps"
    wrong = _token(client, "sup", WRONG)
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "用户名或密码错误")
    missing = client.post(url, json={"year": 2025})
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = client.post(url, json={"year": 2025}, headers={"Authorization": "Bearer forged.token"})
    assert forged.json()["detail"] == "访问令牌无效（格式错误或签名不符），请重新获取令牌"
    assert forged.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # A genuine token whose lifetime is over: issued two days ago for a day.
    signer, issued = client.app.state.web.signer, utcnow() - timedelta(days=2)
    with store.session() as session:
        open_session(session, "old-session", "ops", TokenKind.API.value, issued, issued + timedelta(days=1))
    expired = signer.sign(TokenKind.API, "ops", timedelta(days=1), issued, "old-session")
    answer = client.post(url, json={"year": 2025}, headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and answer.json()["detail"].startswith("访问令牌已于 ")
    assert "过期，请重新获取令牌" in answer.json()["detail"]
    unknown_session = signer.sign(TokenKind.API, "ops", timedelta(days=1), session_id="never-opened")
    revoked = client.post(url, json={"year": 2025}, headers={"Authorization": f"Bearer {unknown_session}"})
    assert revoked.json()["detail"].startswith("访问令牌已失效")
    # A browser session is not a token for the API's changes: said so, not "no token".
    assert _form_login(client, "ops").status_code == 303
    cookie_only = client.post(url, json={"year": 2025})
    assert cookie_only.status_code == 401 and "浏览器会话不能用于修改数据" in cookie_only.json()["detail"]
