"""`python -m bench [--quick] [scenario ...]`: one JSON line per scenario, then a summary."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Any

import orjson

from bench.machine import describe, raise_open_files_limit
from bench.report import summary

SCENARIOS = {
    "fanout": "bench.scenarios.fanout",
    "write_to_device": "bench.scenarios.write_latency",
    "idle_memory": "bench.scenarios.idle_memory",
    "reconnect_storm": "bench.scenarios.reconnect",
    "scaleout": "bench.scenarios.scaleout",
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios (all by default) and print their figures."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], default=[])
    parser.add_argument("--quick", action="store_true", help="small loads: a smoke run in ~2 min")
    args = parser.parse_args(argv)
    raise_open_files_limit()
    machine = describe()
    results: list[dict[str, Any]] = []
    for name in args.scenarios or list(SCENARIOS):
        started = time.monotonic()
        try:
            figures = importlib.import_module(SCENARIOS[name]).run(args.quick)
        except Exception as exc:  # a failed scenario is reported, the others still run
            figures = {"scenario": name, "error": repr(exc)}
        figures.update(
            quick=args.quick, seconds=round(time.monotonic() - started, 1), machine=machine
        )
        results.append(figures)
        print(orjson.dumps(figures).decode(), flush=True)
    print(summary(results), file=sys.stderr, flush=True)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
