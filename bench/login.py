"""Password guessing against the web process (issue 18, attack item 7): its peak memory under a burst
of concurrent sign-ins (scrypt takes 16 MiB each; the target: bounded, not ~470 MB for 16), and what a
guesser gets from one account by rapid attempts.

    .venv/bin/python bench/login.py [--burst 16] [--rounds 3] [--guesses 100]

The dashboard runs in a child process (uvicorn on 127.0.0.1, an ephemeral port) over a fresh SQLite
store; the attempts are real HTTP requests on loopback. Prints numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dwatch.config import Settings  # noqa: E402
from dwatch.store import migrate  # noqa: E402
from dwatch.store.database import Store  # noqa: E402
from dwatch.store.users import save_user  # noqa: E402
from dwatch.web.security import hash_password  # noqa: E402

PASSWORD = "bench password 2026"


def _serve(port: int) -> None:
    import uvicorn

    from dwatch.web.app import create_app

    settings = Settings.from_env()
    logging.getLogger("dwatch.web.auth").setLevel(logging.ERROR)  # the audit log of every guess is noise here
    uvicorn.run(create_app(settings, Store.open(settings)), host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _memory_kib(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=16, help="concurrent sign-ins per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--guesses", type=int, default=100, help="rapid wrong passwords for one account")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DWATCH_DATA_DIR": tmp,
            "DWATCH_WEB__SESSION_SECRET": "bench",
            # The burst comes from one address; this measures memory, not the per-address lock.
            "DWATCH_WEB__LOGIN_FAILURES_PER_ADDRESS": "100000",
        }
        settings = Settings.from_env(env)
        migrate.upgrade(settings.database_url)
        store = Store.open(settings)
        with store.session() as session:
            save_user(session, "bench", hash_password(PASSWORD), ["auditor"])
        store.close()
        port = _free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(f"web process at rest: {_memory_kib(server.pid, 'VmRSS') / 1024:.0f} MiB")

            def attempt(index: int) -> int:
                body = {"username": f"guess-{index}", "password": f"wrong-{index}"}
                return httpx.post(f"{base}/api/v1/auth/token", json=body, timeout=60).status_code

            for round_ in range(args.rounds):
                started = time.perf_counter()
                with ThreadPoolExecutor(args.burst) as pool:
                    codes = Counter(pool.map(attempt, range(round_ * args.burst, (round_ + 1) * args.burst)))
                print(
                    f"burst {round_ + 1}: {args.burst} concurrent sign-ins in {time.perf_counter() - started:.2f} s, "
                    f"answers {dict(codes)}, peak memory {_memory_kib(server.pid, 'VmHWM') / 1024:.0f} MiB"
                )
            started, codes = time.perf_counter(), Counter()
            for index in range(args.guesses):
                body = {"username": "bench", "password": f"guess-{index}"}
                codes[httpx.post(f"{base}/api/v1/auth/token", json=body, timeout=60).status_code] += 1
            elapsed = time.perf_counter() - started
            print(
                f"{args.guesses} rapid guesses at one account in {elapsed:.1f} s: answers {dict(codes)} "
                f"(passwords actually tried: {codes[401]})"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
