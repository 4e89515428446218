"""The dependency graph points one way: no module imports a higher layer than its own.

Every import counts, wherever it is written (inside functions, `with workflow.unsafe.imports_passed_through()`
blocks and `if TYPE_CHECKING:` blocks included): a layer that needs a name of a higher one for its
annotations needs that model moved down, not hidden from this test.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

# Lowest first. A module belongs to the layer of the longest prefix of its name listed here.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("domain", ("dwatch.reports",)),
    ("crawlers", ("dwatch.crawlers",)),
    ("workflows", ("dwatch.workflows",)),
    (
        "services",
        (
            "dwatch",  # the package itself and the service modules at its top: config, crawling, review, …
            "dwatch.alerts",
            "dwatch.observability",
            "dwatch.store",
            # Settings models of the shell's packages: `dwatch.config` assembles them.
            "dwatch.temporal.settings",
            "dwatch.web.settings",
        ),
    ),
    ("activities", ("dwatch.activities",)),
    ("shell", ("dwatch.cli", "dwatch.demo", "dwatch.ops", "dwatch.temporal", "dwatch.web")),
)
RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
NAMES = [name for name, _ in LAYERS]

# Workflow code runs in Temporal's sandbox and is replayed: besides itself it may use only these.
WORKFLOW_IMPORTS = ("temporalio", "pydantic", "dwatch.reports", "dwatch.workflows")


def _package_dirs() -> dict[str, Path]:
    """Installed package name → source folder, from pyproject's package-dir (the one source of the mapping)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: ROOT / folder for name, folder in project["tool"]["setuptools"]["package-dir"].items()}


def _modules() -> dict[str, Path]:
    """Every module of the project by its import name."""
    found: dict[str, Path] = {}
    for package, folder in _package_dirs().items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            found[".".join((package, *parts)).removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(module: str, source: str, *, package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every import statement in the module's source, resolved to module names."""
    anchor = module if package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = anchor.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                # `from dwatch import ops` imports the module dwatch.ops, not the package.
                submodule = f"{base}.{alias.name}"
                yield node.lineno, submodule if submodule in MODULES else base


def _module_imports(module: str) -> Iterator[tuple[int, str]]:
    path = MODULES[module]
    return _imports(module, path.read_text(encoding="utf-8"), package=path.name == "__init__.py")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        rank = RANK.get(".".join(parts[:end]))
        if rank is not None:
            return rank
    return None  # third-party or stdlib


def test_every_layer_has_modules() -> None:
    # Guards the walk itself: a folder mapping gone wrong would empty a layer and make the tests below vacuous.
    assert {_layer(m) for m in MODULES} == set(range(len(LAYERS)))


def test_no_module_imports_a_higher_layer() -> None:
    upward = []
    for module, path in sorted(MODULES.items()):
        own = _layer(module)
        assert own is not None
        for line, imported in _module_imports(module):
            theirs = _layer(imported)
            if theirs is not None and theirs > own:
                where = f"{path.relative_to(ROOT)}:{line}"
                upward.append(f"{module} ({NAMES[own]}) imports {imported} ({NAMES[theirs]}) at {where}")
    assert upward == [], "\n".join(upward)


def _allowed_in_workflows(imported: str) -> bool:
    top = imported.partition(".")[0]
    return top in sys.stdlib_module_names or any(
        imported == allowed or imported.startswith(f"{allowed}.") for allowed in WORKFLOW_IMPORTS
    )


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == NAMES.index("workflows")))
def test_workflows_import_only_temporalio_pydantic_stdlib_and_the_domain(module: str) -> None:
    outside = [
        f"{imported} (line {line})" for line, imported in _module_imports(module) if not _allowed_in_workflows(imported)
    ]
    assert outside == [], f"{module} imports {', '.join(outside)}"


def test_imports_are_found_wherever_they_are_written() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from temporalio import workflow\n"
        "with workflow.unsafe.imports_passed_through():\n"
        "    from dwatch.workflows.models import RunRef\n"
        "if TYPE_CHECKING:\n"
        "    from dwatch.review import Review\n"
        "def f() -> None:\n"
        "    from dwatch import ops\n"
        "    from . import store_calls\n"
    )
    found = {imported for _, imported in _imports("dwatch.workflows.probe", source)}
    assert found == {
        "__future__",
        "typing",
        "temporalio",
        "dwatch.workflows.models",
        "dwatch.review",
        "dwatch.ops",
        "dwatch.workflows.store_calls",
    }
