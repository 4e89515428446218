"""The demo: sample agency sites (`sitefarm`, `synthetic`), the demo supervisors and their inbox.

None of it is part of the production install: its third-party dependencies come with the extra
`disclosure-watch[demo]`, and only the commands that run the demo (`dwatch demo`, `dwatch up --demo`)
import it, after `require_demo()` has said in one line what is missing.
"""

from __future__ import annotations

from importlib.util import find_spec

# What the site farm, the report generator and the inbox import beyond the production install.
DEMO_MODULES = ("reportlab", "aiosmtpd", "hypothesis")
DEMO_INSTALL = "pip install 'disclosure-watch[demo]'"


class DemoUnavailableError(RuntimeError):
    """The demo's dependencies are not installed."""


def missing_demo_modules() -> list[str]:
    return [name for name in DEMO_MODULES if find_spec(name) is None]


def require_demo() -> None:
    missing = missing_demo_modules()
    if missing:
        raise DemoUnavailableError(f"示范组件未安装（缺少 {'、'.join(missing)}），请先安装：{DEMO_INSTALL}")
