"""The production install as the image makes it: the wheel, installed without extras into a fresh
virtual environment (no dev or demo packages), runs every command production needs.

The test environment has every extra installed, which hides a missing runtime dependency; this
test is the one place that sees the package as an office installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import CORPUS
from deploy_support import DOCKERFILE
from temporal_support import UntilCtrlC, env_for

from dwatch.demo import DEMO_MODULES
from dwatch.temporal.devserver import DevServer

ROOT = Path(__file__).resolve().parents[2]
# What the image runs (deploy/Dockerfile) and what this test runs: the project, no extras.
INSTALL_LINE = "RUN pip install ."


class Installed:
    def __init__(self, prefix: Path, wheel: Path) -> None:
        self.python = prefix / "bin" / "python"
        self.dwatch = prefix / "bin" / "dwatch"
        self.wheel = wheel

    def run(
        self, *args: str, env: dict[str, str], timeout: float = 120, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.dwatch), *args],
            env=_clean_environ() | {"COLUMNS": "200"} | env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or env.get("DWATCH_DATA_DIR"),
        )


def _clean_environ() -> dict[str, str]:
    # Nothing of the test environment leaks in: no DWATCH_* settings, no PYTHONPATH to the source tree.
    return {k: v for k, v in os.environ.items() if not k.startswith(("DWATCH_", "PYTHON", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    # A copy of the tree: building in place would leave build/ and egg-info behind in the checkout.
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "var", "build", "*.egg-info", "__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(work / "dist"), str(source)], check=True, timeout=300)
    wheel = next((work / "dist").glob("disclosure_watch-*.whl"))
    prefix = work / "venv"
    venv.create(prefix, with_pip=True)
    subprocess.run(
        [str(prefix / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "install", str(wheel)],
        check=True,
        timeout=600,
        env=_clean_environ(),
    )
    yield Installed(prefix, wheel)


def test_the_image_installs_the_project_without_extras() -> None:
    assert INSTALL_LINE in DOCKERFILE.read_text(encoding="utf-8").splitlines()


def test_no_demo_dev_or_generic_top_level_package_is_installed(installed: Installed, tmp_path: Path) -> None:
    probe = "import importlib.util as u; print(' '.join(m for m in __import__('sys').argv[1:] if u.find_spec(m)))"
    generic = ["reports", "workflows", "activities", "crawlers", "sitefarm", "synthetic"]
    found = subprocess.run(
        [str(installed.python), "-c", probe, *DEMO_MODULES, "pytest", "playwright", *generic, "dwatch.reports"],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_environ(),
        cwd=tmp_path,  # `python -c` puts the current directory on sys.path: never the checkout
    )
    assert found.stdout.split() == ["dwatch.reports"]


# The source folders and the package each installs as (pyproject.toml's package-dir).
_FOLDERS = {
    "dwatch": "dwatch",
    "reports": "dwatch/reports",
    "crawlers": "dwatch/crawlers",
    "workflows": "dwatch/workflows",
    "activities": "dwatch/activities",
    "sitefarm": "dwatch/demo/sitefarm",
    "synthetic": "dwatch/demo/synthetic",
}


def test_everything_installs_under_the_dwatch_namespace(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert {name.split("/")[0] for name in names} == {"dwatch", f"{installed.wheel.name.split('-')[0]}-0.1.0.dist-info"}
    for folder, package in _FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            assert (
                f"{package}/{init.parent.relative_to(ROOT / folder).as_posix()}/__init__.py".replace("/./", "/")
                in names
            )
    for data in (ROOT / "dwatch").rglob("*"):
        if data.suffix in {".html", ".css", ".j2", ".yaml", ".mako"}:  # templates, styles, the example registry
            assert f"dwatch/{data.relative_to(ROOT / 'dwatch').as_posix()}" in names
    assert "dwatch/reports/checks/catalogue.yaml" in names


# Runs in the installed interpreter: every command path, and its --help through typer's runner (one
# process for all of them: each `dwatch` start imports the whole service).
_HELP_EVERY_COMMAND = """
import json, sys
import typer
from typer.testing import CliRunner
from dwatch.cli import _register, app
_register()
paths = []
def walk(command, path):
    paths.append(path)
    for name, sub in getattr(command, "commands", {}).items():
        walk(sub, [*path, name])
walk(typer.main.get_command(app), [])
runner = CliRunner()
answers = {" ".join(path): runner.invoke(app, [*path, "--help"]) for path in paths}
print(json.dumps({path: [r.exit_code, r.output[:2000]] for path, r in answers.items()}))
"""


def test_every_command_answers_help(installed: Installed, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed.python), "-c", _HELP_EVERY_COMMAND],
        capture_output=True,
        text=True,
        env=_clean_environ() | {"DWATCH_DATA_DIR": str(tmp_path), "COLUMNS": "200"},
        timeout=120,
        cwd=tmp_path,  # `python -c` puts the current directory on sys.path: never the checkout
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    for needed in (
        "worker",
        "web",
        "db upgrade",
        "sweep",
        "schedules apply",
        "registry import",
        "audit",
        "notify test",
    ):
        assert needed in answers
    assert len(answers) > 30
    for path, (code, output) in answers.items():
        assert code == 0 and output.startswith("用法：dwatch"), (path, output)
    # And once as the console script an operator types.
    assert installed.run("worker", "--help", env={"DWATCH_DATA_DIR": str(tmp_path)}).returncode == 0


def test_store_parse_check_and_registry(installed: Installed, tmp_path: Path) -> None:
    env = {"DWATCH_DATA_DIR": str(tmp_path)}
    upgraded = installed.run("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "dwatch.sqlite3").exists()

    parsed = installed.run("parse", str(CORPUS / "huaian-gov-2024.pdf"), "--json", env=env)
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"
    checked = installed.run("check", str(CORPUS / "hongze-gov-2024.pdf"), "--format", "json", env=env)
    assert checked.returncode == 1, checked.stderr  # the corpus expects errors in this one (FMT-OLD, T3-01)
    assert "FMT-OLD" in checked.stdout

    example = installed.run("registry", "example", env=env)
    assert example.returncode == 0
    (tmp_path / "registry.yaml").write_text(example.stdout, encoding="utf-8")
    imported = installed.run("registry", "import", str(tmp_path / "registry.yaml"), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "机关 新增 3" in imported.stdout and "主机 新增 1" in imported.stdout


def test_parse_in_a_checkout_uses_the_installed_package(installed: Installed, tmp_path: Path) -> None:
    """Run in a checkout's root, whose `dwatch/` folder is not the installed package (it lacks
    `dwatch.reports`): the parse processes must not import it (the parse forkserver is a `python -c`
    process, which would put the working directory first on its path)."""
    env = {"DWATCH_DATA_DIR": str(tmp_path)}
    parsed = installed.run("parse", str(CORPUS / "huaian-gov-2024.pdf"), "--json", env=env, cwd=ROOT)
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    assert json.loads(parsed.stdout)["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"


def test_demo_commands_say_what_to_install(installed: Installed, tmp_path: Path) -> None:
    for args in (["demo"], ["up", "--demo"]):
        done = installed.run(*args, env={"DWATCH_DATA_DIR": str(tmp_path)})
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "pip install 'disclosure-watch[demo]'" in done.stderr


def test_up_on_an_empty_registry_says_how_to_start(installed: Installed, tmp_path: Path) -> None:
    done = installed.run("up", env={"DWATCH_DATA_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert "dwatch registry example" in done.stdout and "dwatch up --demo" in done.stdout


def test_worker_serves_a_dev_server(installed: Installed, dev_server: DevServer, tmp_path: Path) -> None:
    env = env_for(tmp_path, dev_server.address)
    assert installed.run("db", "upgrade", env=env).returncode == 0
    with UntilCtrlC([str(installed.dwatch), "worker"], _clean_environ() | env) as worker:
        assert "工作进程已启动" in worker.wait_for("工作进程已启动")
        time.sleep(3)
        assert worker.running()
        output = worker.stop()
    assert worker.process.returncode == 0, output
    assert "工作进程已停止" in output
