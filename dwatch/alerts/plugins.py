"""apprise plugins for WeCom group bots, DingTalk and Feishu that read the service's answer.

apprise's own plugins for these services check only the HTTP status, but the services answer
HTTP 200 with a non-zero `errcode` (Feishu: `code` / `StatusCode`) when they reject a message (bad
key, keyword or signature check failed, rate limit). These subclasses keep apprise's URL forms
(`wecombot://KEY`, `dingtalk://[SECRET@]TOKEN`, `feishu://TOKEN`), parsing and privacy masking, and
replace `send` so that a rejection is a failure with the service's own message. `api_base` points
them at another host (a stand-in on loopback in tests).
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar
from urllib.parse import unquote

import requests
from apprise.common import NotifyFormat
from apprise.manager_plugins import NotificationManager
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wecombot import NotifyWeComBot

_ERROR_KEYS = ("errcode", "code", "StatusCode")
_MESSAGE_KEYS = ("errmsg", "msg", "StatusMessage")


class _AnswerChecked:
    """Posts JSON and fails on a non-2xx status or a non-zero error code in the answer."""

    default_api_base: ClassVar[str]
    # Set per instance by the delivery layer; None: the real service.
    api_base: str | None = None
    # A limit in UTF-8 bytes the service enforces on the text (None: apprise's character limit).
    body_max_bytes: ClassVar[int | None] = None

    # Provided by NotifyBase.
    logger: Any
    app_id: str
    verify_certificate: bool
    request_timeout: tuple[float, float]
    redirects: bool
    throttle: Any
    # apprise types it None (URLBase) and sets a str or a lazy translation (Feishu) in each plugin.
    service_name: Any

    def endpoint(self, path: str) -> str:
        return (self.api_base or self.default_api_base).rstrip("/") + path

    def post_checked(self, path: str, payload: dict[str, Any], params: dict[str, str] | None = None) -> bool:
        self.throttle()
        try:
            response = requests.post(
                self.endpoint(path),
                json=payload,
                params=params,
                headers={"User-Agent": self.app_id},
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=self.redirects,
            )
        except requests.RequestException as exc:
            # The exception text quotes the URL with its key: name the kind of failure only.
            self.logger.warning(f"{self.service_name}：连接失败（{type(exc).__name__}）")
            return False
        if not response.ok:
            self.logger.warning(f"{self.service_name}：HTTP {response.status_code}")
            return False
        try:
            answer = response.json()
        except ValueError:
            self.logger.warning(f"{self.service_name}：应答不是 JSON（HTTP {response.status_code}）")
            return False
        code = next((answer[k] for k in _ERROR_KEYS if isinstance(answer, dict) and k in answer), 0)
        if code not in (0, "0"):
            message = next((answer[k] for k in _MESSAGE_KEYS if k in answer), "")
            self.logger.warning(f"{self.service_name}：拒绝了消息，errcode={code} errmsg={str(message)[:200]}")
            return False
        return True


class WeComBot(_AnswerChecked, NotifyWeComBot):
    default_api_base = "https://qyapi.weixin.qq.com"
    # WeCom documents 2048 bytes of UTF-8 for a text message; longer messages are split by the caller.
    body_max_bytes = 2048

    def send(self, body: str, title: str = "", *_args: Any, **_kwargs: Any) -> bool:
        text = f"{title}\n{body}" if title else body
        return self.post_checked(
            "/cgi-bin/webhook/send", {"msgtype": "text", "text": {"content": text}}, {"key": self.key}
        )


class DingTalk(_AnswerChecked, NotifyDingTalk):
    default_api_base = "https://oapi.dingtalk.com"
    # apprise takes one format or a tuple (NotifyBase._formats); its plugins' tuple is inferred as the only type.
    notify_format = NotifyFormat.MARKDOWN  # type: ignore[assignment]

    def send(self, body: str, title: str = "", *_args: Any, **_kwargs: Any) -> bool:
        heading = " ".join(title.split()) or self.app_desc
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": heading, "text": f"### {heading}\n\n{body}"},
            "at": {"atMobiles": self.targets, "isAtAll": False},
        }
        params = {"access_token": self.token}
        if self.secret:
            timestamp, signature = self.get_signature()
            # apprise returns the signature URL-quoted; requests quotes parameters itself.
            params |= {"timestamp": timestamp, "sign": unquote(signature)}
        return self.post_checked("/robot/send", payload, params)


class Feishu(_AnswerChecked, NotifyFeishu):
    default_api_base = "https://open.feishu.cn"
    # apprise takes one format or a tuple (NotifyBase._formats); its plugins' tuple is inferred as the only type.
    notify_format = NotifyFormat.MARKDOWN  # type: ignore[assignment]
    # The title goes into the card header instead of being merged into the body.
    title_maxlen = 250

    def send(self, body: str, title: str = "", *_args: Any, **_kwargs: Any) -> bool:
        card = {
            "header": {"title": {"tag": "plain_text", "content": title or self.app_desc}},
            "elements": [{"tag": "markdown", "content": body}],
        }
        return self.post_checked(f"/open-apis/bot/v2/hook/{self.token}", {"msg_type": "interactive", "card": card})


PLUGINS: tuple[type[_AnswerChecked], ...] = (WeComBot, DingTalk, Feishu)


@cache
def register_plugins() -> None:
    """Replace apprise's plugins for these schemes with ours (once per process)."""
    manager = NotificationManager()
    for plugin in PLUGINS:
        manager.add(plugin, force=True)
