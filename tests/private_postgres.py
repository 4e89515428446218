"""A PostgreSQL server of the test's own (initdb in a temporary directory, a free port), so a test
may stop and restart it without touching the machine's shared server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from dwatch.temporal.devserver import free_port


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} not found under /usr/lib/postgresql")
    return str(found[-1])


class PrivatePostgres:
    def __init__(self) -> None:
        # Its own directory under /tmp: the server's user must reach it (pytest's tmp_path is root's alone).
        self.directory = Path(tempfile.mkdtemp(prefix="dwatch-pg-"))
        self.port = free_port()
        # PostgreSQL refuses to run as root: the server runs as `postgres` then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/dwatch"

    def init(self) -> PrivatePostgres:
        if self._as:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.directory / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE dwatch")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c max_connections=200"
        # A log file, not pg_ctl's output: the server would hold the captured pipe open.
        data, log = str(self.directory / "data"), str(self.directory / "server.log")
        self._run(_bin("pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def restart(self, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=120)
