#!/usr/bin/env python3
"""The two commands of the quick start, and the type check alone; needs nothing but Python 3.11+.

    python3 tasks.py demo        # set up .venv, then run the main job on the embedded default
    python3 tasks.py test        # set up .venv, then lint, type-check and run the whole test suite
    python3 tasks.py typecheck   # set up .venv, then type-check only

Set-up is idempotent: the virtual environment is rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".dwatch-installed"
PYTEST_NO_TESTS = 5
# The packages whose types are checked (mypy, configured in pyproject.toml [tool.mypy]: strict on the
# domain, the crawlers and the Temporal code, check_untyped_defs on the rest): `dwatch` is every package
# of the project, so a type error anywhere fails the test command.
TYPECHECKED = ("dwatch",)


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


# The accessibility check of the browser tests (axe-core, from the npm registry), pinned and installed
# beside the virtual environment at set-up: the tests read it from there and never fetch anything.
AXE_CORE = "axe-core@4.14.1"
NODE_PREFIX = VENV / "node"


def node_packages() -> None:
    installed = NODE_PREFIX / "node_modules" / "axe-core" / "package.json"
    version = AXE_CORE.rsplit("@", 1)[1]
    if installed.exists() and f'"version": "{version}"' in installed.read_text(encoding="utf-8"):
        return
    if shutil.which("npm") is None:
        print("npm not found: the browser tests' accessibility check will be skipped", file=sys.stderr)
        return
    run("npm", "install", "--no-audit", "--no-fund", "--prefix", NODE_PREFIX, AXE_CORE)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under whatever python3 the machine has
        sys.exit(f"Python 3.11 or newer is required, this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        node_packages()
        return
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[demo,ocr,dev]")
    STAMP.write_text(wanted)
    node_packages()


# Browser tests drive Debian's Chromium (nothing is downloaded by Playwright); Chinese text in their
# screenshots needs a CJK font.
SYSTEM_PACKAGES = {"chromium": Path("/usr/bin/chromium"), "fonts-wqy-zenhei": Path("/usr/share/fonts/truetype/wqy")}


def system_packages() -> None:
    missing = [name for name, path in SYSTEM_PACKAGES.items() if not path.exists()]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing Debian packages: {' '.join(missing)} (install them with apt-get as root)")
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing)


def demo() -> int:
    return run(BIN / "dwatch", "demo", check=False)


def typecheck() -> int:
    return run(BIN / "python", "tools/typecheck.py", *TYPECHECKED, check=False)


def test() -> int:
    system_packages()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "python", "tools/typecheck.py", *TYPECHECKED)
    code = run(BIN / "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[2:], check=False)
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return 1
    return code


def main() -> int:
    commands = {"demo": demo, "test": test, "typecheck": typecheck}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    setup()
    return commands[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
