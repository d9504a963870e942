"""`python -m bench [--quick] [scenario ...]`: one JSON line per scenario, then a summary.

`python -m bench fanout --variant NAME=SRC ... [--rounds N]` compares hoststand servers served
from several `src` trees in the fan-out scenario, alternated with its baselines.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Any

import orjson

from bench import variants
from bench.machine import describe, raise_open_files_limit, speed_probe
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
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=SRC",
        help="fanout only: a hoststand served from SRC (repeatable), instead of the defaults",
    )
    parser.add_argument("--rounds", type=int, default=0, help="fanout only: rounds of windows")
    args = parser.parse_args(argv)
    if (args.variant or args.rounds) and args.scenarios != ["fanout"]:
        parser.error("--variant and --rounds apply to the fanout scenario alone: name it alone")
    raise_open_files_limit()
    results: list[dict[str, Any]] = []
    for name in args.scenarios or list(SCENARIOS):
        machine = describe()  # each scenario's own date and load, not the run's first
        started = time.monotonic()
        try:
            scenario = importlib.import_module(SCENARIOS[name])
            if args.variant or args.rounds:
                served = variants.parse(args.variant) if args.variant else None
                figures = scenario.run(args.quick, served, args.rounds)
            else:
                figures = scenario.run(args.quick)
        except Exception as exc:  # a failed scenario is reported, the others still run
            figures = {"scenario": name, "error": repr(exc)}
        seconds = round(time.monotonic() - started, 1)
        machine["speed_probe_ms_after"] = speed_probe()  # the machine's speed may have moved
        figures.update(quick=args.quick, seconds=seconds, machine=machine)
        results.append(figures)
        print(orjson.dumps(figures).decode(), flush=True)
    print(summary(results), file=sys.stderr, flush=True)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
