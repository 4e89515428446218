"""Checks of the deployment files (deploy/), as functions returning the problems they find, so the
tests can run each one on the real files and on broken copies (a check that cannot fail proves
nothing).

Nothing here needs the network, a Docker daemon or a cluster: the files are read as YAML and held
against the compose specification (vendored: compose-spec.json), the settings model and the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import typer.main
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from dwatch.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
K8S_DIR = DEPLOY / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
# github.com/compose-spec/compose-spec, schema/compose-spec.json as of commit
# a08f8d51631b7127ddac3d2c65537db429d0f1d0 (Apache-2.0: compose-spec.LICENSE), vendored so that the
# tests never download anything. Replace the file to follow a newer specification.
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")

FILE_SUFFIX = "_FILE"
SECRETS_DIR = "/run/secrets/"
DWATCH_IMAGE = "disclosure-watch"
_ENV_NAME = re.compile(r"(?<![A-Za-z0-9_])DWATCH_[A-Z0-9_]*[A-Z0-9]")
# A variable whose value is a secret: it must name a file (…_FILE, or a path under /run/secrets).
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|_PWD|SECRET|TOKEN|API_KEY|_KEY|DATABASE_URL)$")
_CREDENTIALS_IN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z0-9_]+)(?::?-([^}]*))?\}")
_SECRET_PATH = re.compile(r"/run/secrets/[A-Za-z0-9._/-]+")


# --- settings -----------------------------------------------------------------------------------


def setting_path(variable: str) -> tuple[str, ...] | None:
    """The settings field a `DWATCH_*` variable sets (`DWATCH_WEB__PORT` -> ("web", "port")), read
    off `Settings.model_fields` the way `dwatch.config` reads the environment; a `…_FILE` variable
    sets the field its stem names. None when it names no field (or a whole group)."""
    if not variable.startswith(ENV_PREFIX):
        return None
    found = _field(Settings, variable[len(ENV_PREFIX) :])
    if found is None and variable.endswith(FILE_SUFFIX):
        found = _field(Settings, variable[len(ENV_PREFIX) : -len(FILE_SUFFIX)])
    return found


def _field(model: type[BaseModel], rest: str) -> tuple[str, ...] | None:
    parts = rest.split("__")
    path: list[str] = []
    for position, part in enumerate(parts):
        name = part.lower()
        field = model.model_fields.get(name)
        if field is None or part != name.upper():
            return None
        path.append(name)
        annotation = field.annotation
        group = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if position == len(parts) - 1:
            return None if group else tuple(path)
        if not group:
            return None
        model = annotation
    return None


def variables_in(text: str) -> set[str]:
    return set(_ENV_NAME.findall(text))


def unknown_variables(text: str) -> list[str]:
    return sorted(v for v in variables_in(text) if setting_path(v) is None)


def example_env(path: Path) -> dict[str, str]:
    """The `DWATCH_*` settings of an env example, commented-out ones included."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith(ENV_PREFIX) and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def load_settings(env: Mapping[str, str], secrets: Path) -> Settings:
    """`Settings.from_env` on a deployment's environment, each `…_FILE` pointed at a stand-in file
    under `secrets` (a database URL for the database, 32 characters for the others)."""
    resolved = {}
    for key, value in env.items():
        if key.startswith(ENV_PREFIX) and key.endswith(FILE_SUFFIX) and value.startswith(SECRETS_DIR):
            stand_in = secrets / value.removeprefix(SECRETS_DIR).replace("/", "_")
            content = "postgresql+psycopg://dwatch:pw@db:5432/dwatch" if "DATABASE_URL" in key else "s" * 32
            stand_in.write_text(content + "\n", encoding="utf-8")
            value = str(stand_in)
        resolved[key] = value
    return Settings.from_env(resolved)


# --- the dwatch command line --------------------------------------------------------------------


@cache
def _cli() -> Any:
    from dwatch.cli import _register, app

    _register()
    return app


def cli_problem(args: list[str]) -> str | None:
    """Why `dwatch ARGS` is not a real command line (unknown command, option or value), or None.

    `dwatch CMD --help` must succeed, then the arguments are parsed as the CLI parses them (values
    checked: a worker role that does not exist fails), without running the command."""
    app = _cli()
    root = typer.main.get_command(app)
    command, path, rest = root, [], list(args)
    while hasattr(command, "get_command") and rest and not rest[0].startswith("-"):
        sub = command.get_command(command.make_context("dwatch", [], resilient_parsing=True), rest[0])
        if sub is None:
            return f"dwatch {' '.join([*path, rest[0]])}: no such command"
        command, path, rest = sub, [*path, rest.pop(0)], rest
    result = CliRunner().invoke(app, [*path, "--help"])
    if result.exit_code != 0:
        return f"dwatch {' '.join(path)} --help exits {result.exit_code}: {result.output.strip()}"
    if "--help" in rest:
        return None
    if hasattr(command, "get_command"):
        return f"dwatch {' '.join(path)} is a group of commands, not a command"
    try:
        command.make_context(f"dwatch {' '.join(path)}", rest)
    except Exception as exc:  # the CLI's usage errors (typer vendors its own click)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return f"dwatch {' '.join(args)}: {message}"
    return None


# --- images -------------------------------------------------------------------------------------


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """`${VAR:-default}` as compose reads it with only the defaults (or `env`) known."""
    return _INTERPOLATION.sub(lambda m: (env or {}).get(m.group(1)) or m.group(2) or "", value)


def image_problem(image: str) -> str | None:
    """An image must name a version: a tag other than `latest`, or a digest."""
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or not tag or "/" in tag:
        return f"{image!r}: no tag"
    if tag == "latest":
        return f"{image!r}: tag latest"
    return None


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# --- compose ------------------------------------------------------------------------------------


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def compose_schema() -> dict[str, Any]:
    return json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))


def compose_validator() -> Any:
    """The validator of the schema's draft. Its `$schema` (draft-07, written without the trailing
    `#`) is not one jsonschema looks up, which would fall back to the newest draft."""
    import jsonschema

    assert "draft-07" in compose_schema()["$schema"]
    return jsonschema.Draft7Validator


def schema_problems(document: Any) -> list[str]:
    validator = compose_validator()(compose_schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def one_shots(compose: Mapping[str, Any]) -> set[str]:
    """Services that run to completion: waited for with service_completed_successfully, or tools
    (a profile of their own, started only by `docker compose run`)."""
    services = compose["services"]
    shots = {name for name, s in services.items() if s.get("profiles")}
    for service in services.values():
        depends = service.get("depends_on") or {}
        if isinstance(depends, Mapping):
            shots |= {
                dep for dep, how in depends.items() if (how or {}).get("condition") == "service_completed_successfully"
            }
    return shots


def compose_lifecycle_problems(compose: Mapping[str, Any]) -> list[str]:
    """Health checks, restart policies and start-up order."""
    problems = []
    services = compose["services"]
    shots = one_shots(compose)
    for name, service in services.items():
        if name in shots:
            if service.get("restart", "no") != "no":
                problems.append(f"{name}: a one-shot service must not restart ({service.get('restart')!r})")
        else:
            test = (service.get("healthcheck") or {}).get("test")
            if not test or (service.get("healthcheck") or {}).get("disable"):
                problems.append(f"{name}: a long-running service without a healthcheck")
            if service.get("restart") not in ("unless-stopped", "always"):
                problems.append(f"{name}: a long-running service must restart (unless-stopped)")
        depends = service.get("depends_on") or {}
        if not isinstance(depends, Mapping):
            problems.append(f"{name}: depends_on must be a mapping with conditions, not {depends!r}")
            continue
        for dependency, how in depends.items():
            condition = (how or {}).get("condition")
            if dependency not in services:
                problems.append(f"{name}: depends on unknown service {dependency}")
            elif condition is None:
                problems.append(f"{name}: depends on {dependency} without a condition")
            elif dependency in shots and condition != "service_completed_successfully":
                problems.append(f"{name}: waits for one-shot {dependency} with {condition}")
            elif dependency not in shots and condition != "service_healthy":
                problems.append(f"{name}: waits for {dependency} with {condition}, not service_healthy")
    return problems


def _mounts(service: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(source, target) of each volume of a service."""
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            yield (source, rest.split(":")[0]) if rest else ("", source)
        else:
            yield str(volume.get("source", "")), str(volume["target"])


def compose_volume_problems(compose: Mapping[str, Any]) -> list[str]:
    """The database's data and the blob store live in named volumes (declared at the top level)."""
    problems = []
    named = set(compose.get("volumes") or {})
    checked = []
    for name, service in compose["services"].items():
        wanted = {}
        if str(service.get("image", "")).startswith("postgres:") and "healthcheck" in service:
            wanted["database"] = environment(service).get("PGDATA", "/var/lib/postgresql/data")
        if blob_dir := environment(service).get("DWATCH_BLOB_DIR"):
            wanted["blob store"] = blob_dir
        mounts = {target: source for source, target in _mounts(service)}
        for what, target in wanted.items():
            checked.append(what)
            source = mounts.get(target)
            if source is None:
                problems.append(f"{name}: no volume on {target} ({what})")
            elif source not in named:
                problems.append(f"{name}: {what} on {source!r}, not a named volume")
    if "database" not in checked or "blob store" not in checked:
        problems.append(f"found no service holding the database and the blob store (checked: {checked})")
    return problems


def compose_secret_problems(compose: Mapping[str, Any]) -> list[str]:
    """No secret value in the file: secret settings are files under /run/secrets, granted to the
    service that names them, and the top-level secrets come from files."""
    problems = []
    declared = compose.get("secrets") or {}
    for name, secret in declared.items():
        if "file" not in (secret or {}):
            problems.append(f"secret {name}: not from a file")
    for name, service in compose["services"].items():
        granted = set()
        for grant in service.get("secrets") or []:
            source = grant if isinstance(grant, str) else grant["source"]
            if source not in declared:
                problems.append(f"{name}: secret {source} is not declared")
            granted.add(SECRETS_DIR + (grant if isinstance(grant, str) else grant.get("target", source)))
        for key, value in environment(service).items():
            problems += _env_secret_problems(f"{name}: {key}", key, value)
            for path in _SECRET_PATH.findall(value):
                if path not in granted:
                    problems.append(f"{name}: {key} names {path}, not a secret of this service")
        for part in service.get("command") or []:
            if isinstance(part, str):
                problems += [f"{name}: credentials in the command" for _ in _CREDENTIALS_IN_URL.findall(part)]
    return problems


def _env_secret_problems(where: str, key: str, value: str) -> list[str]:
    problems = []
    if (key.endswith(FILE_SUFFIX) or _SECRET_NAME.search(key)) and value and not value.startswith(SECRETS_DIR):
        problems.append(f"{where}: a secret given inline; name a file under {SECRETS_DIR} instead")
    if _CREDENTIALS_IN_URL.search(value):
        problems.append(f"{where}: credentials in a URL")
    return problems


def compose_image_problems(compose: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        image = service.get("image")
        if not image:
            problems.append(f"{name}: no image")
        elif problem := image_problem(interpolate(str(image), env)):
            problems.append(f"{name}: {problem}")
    return problems


def compose_commands(compose: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """(service, arguments of `dwatch`) for every service of the dwatch image."""
    found = []
    for name, service in compose["services"].items():
        if DWATCH_IMAGE in str(service.get("image", "")):
            command = service.get("command")
            if isinstance(command, str) or "entrypoint" in service:
                found.append((name, ["<entrypoint or shell-form command: not checkable>"]))
            else:
                found.append((name, [str(a) for a in command or []]))
    return found


# --- Kubernetes ---------------------------------------------------------------------------------


def k8s_files() -> list[Path]:
    """The manifests (Helm values of Temporal's chart in temporal/ and the kustomization aside)."""
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p != KUSTOMIZATION)


def k8s_documents(files: list[Path] | None = None) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in files if files is not None else k8s_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                documents.append((path.name, document))
    return documents


WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def pod_spec(document: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = document["spec"]
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def containers(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = pod_spec(document)
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def k8s_shape_problems(documents: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    problems = []
    for where, document in documents:
        if not isinstance(document, Mapping):
            problems.append(f"{where}: not a mapping")
            continue
        for key in ("apiVersion", "kind"):
            if not document.get(key):
                problems.append(f"{where}: no {key}")
        if not (document.get("metadata") or {}).get("name"):
            problems.append(f"{where}: {document.get('kind')} without metadata.name")
    return problems


def k8s_workload_problems(documents: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Probes on long-running pods, resources everywhere, pinned images."""
    problems = []
    for where, document in documents:
        if document.get("kind") not in WORKLOADS:
            continue
        name = f"{where}: {document['kind']} {document['metadata']['name']}"
        for container in containers(document):
            at = f"{name}, container {container.get('name')}"
            if problem := image_problem(str(container.get("image", ""))):
                problems.append(f"{at}: {problem}")
            resources = container.get("resources") or {}
            for kind, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
                for key in keys:
                    if not (resources.get(kind) or {}).get(key):
                        problems.append(f"{at}: no resources.{kind}.{key}")
            if document["kind"] == "Deployment":
                for probe in ("readinessProbe", "livenessProbe"):
                    if not container.get(probe):
                        problems.append(f"{at}: no {probe}")
    return problems


def _configmaps(documents: list[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, str]]:
    return {
        d["metadata"]["name"]: {str(k): str(v) for k, v in (d.get("data") or {}).items()}
        for _, d in documents
        if d.get("kind") == "ConfigMap"
    }


def container_env(container: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if ref := source.get("configMapRef"):
            env.update(configmaps.get(ref["name"], {}))
    for item in container.get("env") or []:
        env[item["name"]] = str(item["value"]) if "value" in item else "<valueFrom>"
    return env


def k8s_secret_problems(documents: list[tuple[str, Mapping[str, Any]]], documented: str) -> list[str]:
    """Secrets are referenced, never inlined: no Secret objects with data, secret settings are files
    from mounted Secrets (the file in the Secret's items), and every Secret used is documented
    (`documented`: the README telling how to create them)."""
    problems = []
    configmaps = _configmaps(documents)
    for where, document in documents:
        kind = document.get("kind")
        if kind == "Secret" and (document.get("data") or document.get("stringData")):
            problems.append(f"{where}: Secret {document['metadata']['name']} with inline data")
        if kind == "ConfigMap":
            for key, value in (document.get("data") or {}).items():
                problems += _env_secret_problems(f"{where}: ConfigMap {key}", str(key), str(value))
        if kind not in WORKLOADS:
            continue
        spec = pod_spec(document)
        secret_volumes = {v["name"]: v["secret"] for v in spec.get("volumes") or [] if "secret" in v}
        for secret in secret_volumes.values():
            if f"`{secret['secretName']}`" not in documented:
                problems.append(f"{where}: Secret {secret['secretName']} is not documented in the README")
        for container in containers(document):
            at = f"{where}: {document['metadata']['name']}/{container.get('name')}"
            files = set()
            for mount in container.get("volumeMounts") or []:
                secret = secret_volumes.get(mount["name"])
                if secret is None:
                    continue
                base = mount["mountPath"].rstrip("/") + "/"
                items = secret.get("items")
                files |= {base + i["path"] for i in items} if items else {base + "*"}
            for item in container.get("env") or []:
                if "value" in item:
                    problems += _env_secret_problems(f"{at} env {item['name']}", item["name"], str(item["value"]))
            for key, value in container_env(container, configmaps).items():
                if document["kind"] in {"Job", "CronJob"} and not key.endswith(FILE_SUFFIX):
                    continue  # a one-shot reads only the files its settings load (…_FILE)
                for path in _SECRET_PATH.findall(value):
                    directory = path.rsplit("/", 1)[0] + "/*"
                    if path not in files and directory not in files:
                        problems.append(f"{at}: {key} names {path}, which no Secret mount provides")
    return problems


def k8s_commands(documents: list[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, list[str]]]:
    found = []
    for where, document in documents:
        if document.get("kind") not in WORKLOADS:
            continue
        for container in containers(document):
            if DWATCH_IMAGE not in str(container.get("image", "")):
                continue
            command = [str(c) for c in container.get("command") or []]
            args = [str(a) for a in container.get("args") or []]
            if command and command != ["dwatch"]:
                args = ["<command is not dwatch: not checkable>"]
            found.append((f"{where}: {document['metadata']['name']}/{container['name']}", args))
    return found
