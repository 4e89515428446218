"""deploy/compose: the file is valid Compose, every long-running service is health-checked and
started in order, data lives in named volumes, secrets are files, images are pinned. Each check also
runs once on a broken copy, to show it can fail."""

from __future__ import annotations

import copy
import shutil
import subprocess
from typing import Any

import pytest
from deploy_support import (
    COMPOSE_DIR,
    COMPOSE_FILE,
    compose_image_problems,
    compose_lifecycle_problems,
    compose_schema,
    compose_secret_problems,
    compose_validator,
    compose_volume_problems,
    load_compose,
    read_env_file,
    schema_problems,
)


def _docker_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def test_compose_file_is_valid(compose: dict[str, Any]) -> None:
    if _docker_compose():
        # The real thing when a Compose client is installed (no daemon needed for `config`).
        result = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
            cwd=COMPOSE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    compose_validator().check_schema(compose_schema())
    assert schema_problems(compose) == []


def test_schema_check_catches_errors(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["dwatch-web"]["healthcheck"]["intervall"] = "5s"
    broken["services"]["postgres"]["depends_on"] = "temporal"
    problems = schema_problems(broken)
    assert any("intervall" in p for p in problems)
    assert any(p.startswith("services/postgres/depends_on") for p in problems)


def test_every_service_is_health_checked_and_started_in_order(compose: dict[str, Any]) -> None:
    assert compose_lifecycle_problems(compose) == []
    # The whole service is there: database, Temporal and its UI, the dwatch workers and the web.
    assert {"postgres", "temporal", "temporal-ui", "dwatch-worker", "dwatch-review", "dwatch-web"} <= set(
        compose["services"]
    )


@pytest.mark.parametrize(
    "breakage",
    ["no healthcheck", "list depends_on", "no condition", "started, not healthy", "restarting one-shot"],
)
def test_lifecycle_check_catches_breakage(compose: dict[str, Any], breakage: str) -> None:
    broken = copy.deepcopy(compose)
    services = broken["services"]
    if breakage == "no healthcheck":
        del services["temporal"]["healthcheck"]
    elif breakage == "list depends_on":
        services["dwatch-web"]["depends_on"] = ["dwatch-migrate"]
    elif breakage == "no condition":
        services["temporal-ui"]["depends_on"] = {"temporal": {}}
    elif breakage == "started, not healthy":
        services["temporal-ui"]["depends_on"] = {"temporal": {"condition": "service_started"}}
    else:
        services["dwatch-migrate"]["restart"] = "unless-stopped"
    assert compose_lifecycle_problems(broken)


def test_database_and_blob_store_are_named_volumes(compose: dict[str, Any]) -> None:
    assert compose_volume_problems(compose) == []


@pytest.mark.parametrize("service", ["postgres", "dwatch-worker"])
def test_volume_check_catches_bind_mounts(compose: dict[str, Any], service: str) -> None:
    broken = copy.deepcopy(compose)
    volumes = broken["services"][service]["volumes"]
    volumes[:] = [
        v.replace("postgres-data:", "./pgdata:").replace("dwatch-blobs:", "./blobs:") if isinstance(v, str) else v
        for v in volumes
    ]
    assert compose_volume_problems(broken)


def test_no_secret_values_in_the_file(compose: dict[str, Any]) -> None:
    assert compose_secret_problems(compose) == []
    # The secrets files are made by init-secrets.sh and never committed.
    script = (COMPOSE_DIR / "init-secrets.sh").read_text(encoding="utf-8")
    for name, secret in compose["secrets"].items():
        assert secret["file"].startswith("./secrets/"), name
        assert secret["file"].removeprefix("./secrets/") in script, f"init-secrets.sh does not make {name}"
    assert (COMPOSE_DIR / "secrets" / ".gitignore").read_text(encoding="utf-8").splitlines()[1] == "*"


@pytest.mark.parametrize("breakage", ["inline password", "url with credentials", "secret not granted"])
def test_secret_check_catches_inline_secrets(compose: dict[str, Any], breakage: str) -> None:
    broken = copy.deepcopy(compose)
    web = broken["services"]["dwatch-web"]
    if breakage == "inline password":
        web["environment"]["DWATCH_WEB__ADMIN_PASSWORD"] = "s3cret-s3cret"
    elif breakage == "url with credentials":
        web["environment"]["DWATCH_DATABASE_URL"] = "postgresql+psycopg://dwatch:pw@postgres/dwatch"
    else:
        web["secrets"].remove("web_session_secret")
    assert compose_secret_problems(broken)


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    assert compose_image_problems(compose) == []
    # …with the defaults in the file and with the versions of .env.example alike.
    assert compose_image_problems(compose, read_env_file(COMPOSE_DIR / ".env.example")) == []


@pytest.mark.parametrize("image", ["temporalio/server:latest", "temporalio/server", "postgres:${POSTGRES_VERSION}"])
def test_image_check_catches_unpinned_images(compose: dict[str, Any], image: str) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["temporal"]["image"] = image
    assert compose_image_problems(broken)
