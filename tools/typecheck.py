"""mypy on the project, every module under the name it is installed as.

    .venv/bin/python tools/typecheck.py PACKAGE... [-- MYPY_OPTION...]
    .venv/bin/python tools/typecheck.py dwatch.reports dwatch.crawlers

The folders install under the `dwatch` namespace through setuptools' package-dir mapping
(`reports/` is `dwatch.reports`, `sitefarm/` is `dwatch.demo.sitefarm`, ...). mypy looks modules up on
disk by their dotted names, so it cannot see that mapping (the editable install resolves it with an
import hook, which static tools do not run): `mypy -p dwatch.reports` finds nothing, and `mypy reports/`
would check `reports.model`, a name that does not exist at run time. This script gives mypy every
module of every package in [tool.setuptools] `packages`, each file once and under its installed name,
so imports between the packages resolve to their real types. The configuration is pyproject.toml's
[tool.mypy]; options after `--` go to mypy as on its command line.

Errors are reported for the PACKAGEs named (each with its subpackages; `dwatch` is all of them); the
other modules are analysed for the types they export, and the count of their errors is printed
without the errors. The exit status is mypy's: 0 clean, 1 errors, 2 a blocking error.
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource
from mypy.util import count_stats

ROOT = Path(__file__).resolve().parents[1]


def project_modules(pyproject: dict[str, Any]) -> dict[str, str]:
    """Every module of the distribution: its installed dotted name -> its file, relative to ROOT."""
    setuptools = pyproject["tool"]["setuptools"]
    package_dir: dict[str, str] = setuptools["package-dir"]
    modules: dict[str, str] = {}
    for package in setuptools["packages"]:
        # The folder of a package is that of its nearest mapped ancestor, plus the rest of its name.
        prefix = max((p for p in package_dir if package == p or package.startswith(p + ".")), key=len)
        rest = package[len(prefix) :].lstrip(".")
        folder = Path(package_dir[prefix], *rest.split(".")) if rest else Path(package_dir[prefix])
        for path in sorted(folder.glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            modules[name] = path.as_posix()
    return modules


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def selected(module: str, packages: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def main(argv: list[str]) -> int:
    split = argv.index("--") if "--" in argv else len(argv)
    packages, mypy_args = argv[:split], argv[split + 1 :]
    if not packages:
        print(__doc__, file=sys.stderr)
        return 2
    os.chdir(ROOT)  # the files are named relative to the root, in sources and in messages
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    modules = project_modules(pyproject)
    unknown = [p for p in packages if not any(selected(m, [p]) for m in modules)]
    if unknown:
        print(f"not a package of this project: {', '.join(unknown)}", file=sys.stderr)
        return 2

    t0 = time.time()
    # mypy reads the configuration and its own options here; the file list only satisfies its parser,
    # the sources are made below with the installed names.
    _, options = process_options(["--config-file", str(ROOT / "pyproject.toml"), *mypy_args, *modules.values()])
    sources = [BuildSource(path, module) for module, path in modules.items()]
    reported = {path for module, path in modules.items() if selected(module, packages)}
    other_paths = set(modules.values()) - reported

    messages: list[str] = []
    hidden: list[str] = []

    def is_hidden(line: str) -> bool:
        # An error at a line of another package's file; messages about a whole file (a module found
        # under two names, a blocking error) are always shown.
        path, _, rest = line.partition(":")
        return path in other_paths and rest[:1].isdigit()

    def flush_errors(filename: str | None, new_messages: list[str], serious: bool) -> None:
        # A file's messages come with its name; a blocking error flushes every pending message at once.
        if filename is not None:
            shown, held = (new_messages, []) if filename not in other_paths else ([], new_messages)
        else:
            shown = [line for line in new_messages if not is_hidden(line)]
            held = [line for line in new_messages if is_hidden(line)]
        hidden.extend(held)
        messages.extend(shown)
        for line in shown:
            print(line, file=sys.stderr if serious else sys.stdout, flush=True)

    blocked = False
    try:
        build.build(sources, options, flush_errors=flush_errors, stdout=sys.stdout, stderr=sys.stderr)
    except CompileError:
        blocked = True  # its messages went through flush_errors

    errors, _, error_files = count_stats(messages)
    other_errors, _, other_files = count_stats(hidden)
    checked = f"{len(reported)} source files in {', '.join(packages)}; {time.time() - t0:.1f} s"
    if errors or blocked:
        print(f"Found {plural(errors, 'error')} in {plural(error_files, 'file')} (checked {checked})")
    else:
        print(f"Success: no issues found (checked {checked})")
    if other_errors:
        print(f"Not reported: {plural(other_errors, 'error')} in {plural(other_files, 'file')} of the other packages")
    if blocked:
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
