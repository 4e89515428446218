"""Serve a farm in the foreground: `python -m dwatch.demo.sitefarm --agencies 1000 --year 2024 [--latency 0.05]
[--hosts 20 --busiest 300]` (with --hosts the agencies share that many hosts, --busiest of them on one).

Prints one line `ready PORT` once every site listens (and, with --prerender, every document is
rendered), then serves until interrupted (SIGTERM or SIGINT); `--stats` then records per host the
most requests in flight at once and when each request started (monotonic seconds). Benchmarks
run the farm this way, in its own process.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from dwatch.demo.sitefarm import Farm, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every response")
    parser.add_argument("--hosts", type=int, help="agencies share this many hosts (default: one host each)")
    parser.add_argument("--busiest", type=int, default=0, help="with --hosts: agencies on the busiest host")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prerender", action="store_true", help="render every report before announcing ready")
    parser.add_argument("--stats", type=Path, help="on exit, write what each host saw (JSON): requests, politeness")
    args = parser.parse_args()
    agencies = plan(args.agencies, args.year, args.seed, hosts=args.hosts, busiest=args.busiest)
    farm = Farm(agencies, args.year, args.seed, args.latency)
    if args.prerender:
        farm.prerender()
    farm.start(args.port)
    print(f"ready {farm.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    farm.stop()
    if args.stats:
        server = farm.server
        stats = {"max_in_flight": server.max_in_flight, "starts": server.starts}
        args.stats.write_text(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
