"""deploy/k8s: the manifests parse, name themselves, are all in the kustomization; pods have probes,
resources and pinned images; secrets are referenced, never inlined. Each check also runs once on a
broken copy, to show it can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from deploy_support import (
    K8S_DIR,
    KUSTOMIZATION,
    k8s_documents,
    k8s_files,
    k8s_secret_problems,
    k8s_shape_problems,
    k8s_workload_problems,
)

Documents = list[tuple[str, dict[str, Any]]]
README = (K8S_DIR / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documents() -> Documents:
    return k8s_documents()


def _find(documents: Documents, kind: str, name: str) -> dict[str, Any]:
    return next(d for _, d in documents if d["kind"] == kind and d["metadata"]["name"] == name)


def test_manifests_parse_and_name_themselves(documents: Documents) -> None:
    assert k8s_shape_problems(documents) == []
    kinds = {(d["kind"], d["metadata"]["name"]) for _, d in documents}
    assert {("Deployment", "dwatch-worker"), ("Deployment", "dwatch-review"), ("Deployment", "dwatch-web")} <= kinds
    assert ("Job", "dwatch-db-upgrade") in kinds


def test_shape_check_catches_missing_names(documents: Documents) -> None:
    broken = copy.deepcopy(documents)
    del broken[0][1]["metadata"]["name"]
    del broken[1][1]["apiVersion"]
    assert len(k8s_shape_problems(broken)) == 2


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == [p.name for p in k8s_files()]
    assert kustomization["namespace"] == "dwatch"


def test_pods_have_probes_resources_and_pinned_images(documents: Documents) -> None:
    assert k8s_workload_problems(documents) == []


@pytest.mark.parametrize("breakage", ["no readiness probe", "no liveness probe", "no limits", "latest", "no tag"])
def test_workload_check_catches_breakage(documents: Documents, breakage: str) -> None:
    broken = copy.deepcopy(documents)
    container = _find(broken, "Deployment", "dwatch-review")["spec"]["template"]["spec"]["containers"][0]
    if breakage == "no readiness probe":
        del container["readinessProbe"]
    elif breakage == "no liveness probe":
        del container["livenessProbe"]
    elif breakage == "no limits":
        del container["resources"]["limits"]
    elif breakage == "latest":
        container["image"] = "registry.example.org/disclosure-watch:latest"
    else:
        container["image"] = "registry.example.org/disclosure-watch"
    assert k8s_workload_problems(broken)


def test_secrets_are_referenced_not_inlined(documents: Documents) -> None:
    assert k8s_secret_problems(documents, README) == []
    assert not any(d["kind"] == "Secret" for _, d in documents)


@pytest.mark.parametrize(
    "breakage", ["Secret with data", "inline env", "configmap credentials", "file not mounted", "undocumented"]
)
def test_secret_check_catches_breakage(documents: Documents, breakage: str) -> None:
    broken = copy.deepcopy(documents)
    web = _find(broken, "Deployment", "dwatch-web")["spec"]["template"]["spec"]
    if breakage == "Secret with data":
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "stringData": {"k": "v"}}
        broken.append(("secret.yaml", secret))
    elif breakage == "inline env":
        web["containers"][0]["env"].append({"name": "DWATCH_WEB__SESSION_SECRET", "value": "abcdefabcdef"})
    elif breakage == "configmap credentials":
        config = _find(broken, "ConfigMap", "dwatch-config")["data"]
        config["DWATCH_DATABASE_URL"] = "postgresql+psycopg://dwatch:pw@db/dwatch"
    elif breakage == "file not mounted":
        secrets = next(v for v in web["volumes"] if v["name"] == "dwatch-secrets")
        secrets["secret"]["items"] = [i for i in secrets["secret"]["items"] if i["key"] != "session-secret"]
    else:
        secrets = next(v for v in web["volumes"] if v["name"] == "dwatch-secrets")
        secrets["secret"]["secretName"] = "dwatch-undocumented"
    assert k8s_secret_problems(broken, README)


def test_temporal_helm_values_set_retention_and_mtls() -> None:
    values = yaml.safe_load((K8S_DIR / "temporal" / "values.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((K8S_DIR / "configmap.yaml").read_text(encoding="utf-8"))["data"]
    namespaces = values["server"]["config"]["namespaces"]
    assert namespaces["create"] is True
    assert [n["name"] for n in namespaces["namespace"]] == [config["DWATCH_TEMPORAL__NAMESPACE"]]
    assert namespaces["namespace"][0]["retention"]
    frontend = values["server"]["tls"]["frontend"]
    assert frontend["enabled"] is True and frontend["requireClientAuth"] is True
    assert all(config[f"DWATCH_TEMPORAL__TLS_{part}"] for part in ("CERT", "KEY", "CA"))
    for store in values["server"]["config"]["persistence"]["datastores"].values():
        assert "password" not in store["sql"] and store["sql"]["existingSecret"]
