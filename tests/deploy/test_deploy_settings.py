"""The deployment files speak to the real service: every `DWATCH_*` variable they (and the operations
docs) name is a field of `dwatch.config.Settings`, each process's environment loads as settings,
every command they run is a real `dwatch` command line, and the image runs `dwatch` as a non-root
user."""

from __future__ import annotations

import re

import pytest
from deploy_support import (
    COMPOSE_DIR,
    DEPLOY,
    DOCKERFILE,
    DWATCH_IMAGE,
    ROOT,
    cli_problem,
    compose_commands,
    container_env,
    environment,
    example_env,
    image_problem,
    interpolate,
    k8s_commands,
    k8s_documents,
    k8s_files,
    load_compose,
    load_settings,
    setting_path,
    unknown_variables,
    variables_in,
)

from dwatch.cli.orchestration import WorkerRole
from dwatch.temporal.worker import ROLES

# Files that set dwatch's settings: compose, its env examples, the image, the manifests.
SETTING_FILES = sorted(
    [
        COMPOSE_DIR / "compose.yaml",
        COMPOSE_DIR / ".env.example",
        COMPOSE_DIR / "dwatch.env.example",
        DOCKERFILE,
        *k8s_files(),
        *(DEPLOY / "k8s" / "temporal").glob("*.yaml"),
    ]
)


def test_setting_path_follows_the_settings_model() -> None:
    assert setting_path("DWATCH_DATABASE_URL") == ("database_url",)
    assert setting_path("DWATCH_DATABASE_URL_FILE") == ("database_url",)
    assert setting_path("DWATCH_WEB__SESSION_SECRET_FILE") == ("web", "session_secret")
    assert setting_path("DWATCH_CRAWL__PER_HOST_INTERVAL") == ("crawl", "per_host_interval")
    assert setting_path("DWATCH_TEMPORAL__DEV_DB_FILE") == ("temporal", "dev_db_file")
    # Not settings: unknown names, a whole group, a field of the wrong group, a missing `__`.
    for name in (
        "DWATCH_WEB__NO_SUCH",
        "DWATCH_CRAWL",
        "DWATCH_WEB__PER_HOST_INTERVAL",
        "DWATCH_WEB_PORT",
        "DWATCH_WEB__PORT__X",
        "DWATCH_NO_SUCH_FILE",
        "DWATCH_web__port",
        "OTHER_WEB__PORT",
    ):
        assert setting_path(name) is None, name


@pytest.mark.parametrize("path", SETTING_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_dwatch_variable_names_a_setting(path) -> None:
    assert unknown_variables(path.read_text(encoding="utf-8")) == []


def _read_by_the_code() -> set[str]:
    """`DWATCH_*` variables the code reads itself, not settings (e.g. `dwatch users add`'s password)."""
    found = set()
    for package in ("dwatch", "activities", "workflows", "crawlers"):
        for source in (ROOT / package).rglob("*.py"):
            found |= set(re.findall(r"[\"'](DWATCH_[A-Z0-9_]+)[\"']", source.read_text(encoding="utf-8")))
    return {name for name in found if setting_path(name) is None}


DOCS = [ROOT / "docs" / "operations.md", *sorted(DEPLOY.rglob("README.md"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_docs_name_real_variables(path) -> None:
    assert set(unknown_variables(path.read_text(encoding="utf-8"))) <= _read_by_the_code()


def test_the_files_do_configure_dwatch() -> None:
    # Not vacuous: the variables the deployment depends on are found (and so were checked).
    found = set().union(*(variables_in(p.read_text(encoding="utf-8")) for p in SETTING_FILES))
    assert {
        "DWATCH_DATABASE_URL_FILE",
        "DWATCH_BLOB_DIR",
        "DWATCH_TEMPORAL__ADDRESS",
        "DWATCH_TEMPORAL__NAMESPACE",
        "DWATCH_WEB__SESSION_SECRET_FILE",
        "DWATCH_ALERTS__CONFIG_FILES",
        "DWATCH_OBSERVABILITY__METRICS_ADDRESS",
        "DWATCH_TEMPORAL__REVIEW_PROCESSES",
    } <= found
    assert unknown_variables("DWATCH_WEB__SESION_SECRET_FILE=/run/secrets/x") == ["DWATCH_WEB__SESION_SECRET_FILE"]


def _dwatch_environments() -> list[tuple[str, dict[str, str]]]:
    """The environment each dwatch process of the deployment files starts with (compose: the site
    file dwatch.env.example under the service's own, interpolated with the defaults)."""
    found = []
    site = example_env(COMPOSE_DIR / "dwatch.env.example")
    for name, service in load_compose()["services"].items():
        if DWATCH_IMAGE in str(service.get("image", "")):
            own = {k: interpolate(v) for k, v in environment(service).items()}
            found.append((f"compose {name}", {**site, **own}))
    documents = k8s_documents()
    configmaps = {d["metadata"]["name"]: d["data"] for _, d in documents if d["kind"] == "ConfigMap"}
    for where, document in documents:
        if document["kind"] in {"Deployment", "Job"}:
            for container in document["spec"]["template"]["spec"]["containers"]:
                found.append((f"k8s {where}", container_env(container, configmaps)))
    return found


ENVIRONMENTS = _dwatch_environments()


@pytest.mark.parametrize(("where", "env"), ENVIRONMENTS, ids=[w for w, _ in ENVIRONMENTS])
def test_settings_load_from_the_deployment_environment(where: str, env: dict[str, str], tmp_path) -> None:
    # Values too, not only names: JSON lists, host:port, literals, numbers all as the service reads them.
    settings = load_settings(env, tmp_path)
    assert settings.database_url.startswith("postgresql+psycopg://"), where
    assert str(settings.blob_dir) == "/var/lib/dwatch/blobs"
    if "DWATCH_ALERTS__CONFIG_FILES" in env:
        assert [p.name for p in settings.alerts.config_files] == ["apprise.yml"]


def test_settings_check_catches_bad_values(tmp_path) -> None:
    env = dict(ENVIRONMENTS[0][1])
    env["DWATCH_OBSERVABILITY__METRICS_ADDRESS"] = "9464"
    with pytest.raises(ValueError, match="metrics_address"):
        load_settings(env, tmp_path)


COMMANDS = [("compose " + s, a) for s, a in compose_commands(load_compose())] + [
    ("k8s " + w, a) for w, a in k8s_commands(k8s_documents())
]


def test_commands_are_found() -> None:
    assert {tuple(a[:1]) for _, a in COMMANDS} >= {("db",), ("worker",), ("web",)}
    roles = {a[i + 1] for _, a in COMMANDS for i, x in enumerate(a) if x == "--role"}
    assert roles == {"workflows", "crawl", "review"}


def test_worker_command_offers_every_role() -> None:
    # `dwatch worker --role` offers the choices of WorkerRole; the worker knows ROLES.
    assert [r.value for r in WorkerRole] == list(ROLES)


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_every_command_is_a_real_dwatch_command(where: str, args: list[str]) -> None:
    assert cli_problem(args) is None, where


@pytest.mark.parametrize(
    "args", [["wroker"], ["db", "downgrade"], ["db"], ["web", "--prot", "80"], ["worker", "--role", "crawler"]]
)
def test_command_check_catches_wrong_commands(args: list[str]) -> None:
    assert cli_problem(args) is not None


def test_image_runs_dwatch_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))
    bases = [interpolate(b, args) for b in re.findall(r"^FROM (\S+)", text, re.M)]
    assert bases and all(image_problem(b) is None for b in bases), bases
    assert all(b.startswith("python:3.11") and "slim" in b for b in bases)
    users = re.findall(r"^USER (\S+)$", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r'^ENTRYPOINT \["dwatch"\]$', text, flags=re.MULTILINE)
    assert "pip install ." in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".git", ".venv", "var"} <= set(ignored)
    # pyproject.toml and the readme it names go into the build context.
    assert not {"pyproject.toml", "README.md", "*.md"} & set(ignored)
