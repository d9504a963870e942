"""`python -m bench.storm_cost`: the reconnect storm's cost per resume, variants compared.

Not a scenario of `make bench`: a micro-measure for working on the resume path. Each round runs
the reconnect storm of `bench.scenarios.reconnect` (devices follow the feed while REST writes
go on at `--rate`, every socket drops at once, every device resumes with its last seq) against
a fresh database, and reports the server's CPU from the drop to the last device caught up
(`caught_up_cpu_s`; `server_cpu_s` also counts the scenario's tail check), per resuming device
without the share the REST writes took just before the storm (`resume_cpu_ms_per_resume`).

The machine is shared and noisy, so variants are compared in one run: `--variant NAME=SRC`
(repeatable) serves the hoststand package found in SRC (a checkout's `src` directory, put first
on PYTHONPATH), and `--rounds` alternates the variants; the medians are printed. `--profile
PREFIX` records the server with py-spy (raw format, one file per variant and round) during the
storm only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson

from bench import procs, variants
from bench.fixtures import fresh_sqlite, make_tenants
from bench.machine import raise_open_files_limit
from bench.scenarios import reconnect
from bench.stats import percentile
from bench.workers import Pool


def measure(args: argparse.Namespace, src: str | None, profile: str | None) -> dict[str, Any]:
    """One storm served from `src`; its figures."""
    url = fresh_sqlite()
    tenants = make_tenants(url, args.devices // args.per_room)
    env = {"HOSTSTAND_DATABASE_URL": url, "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000"}
    env.update(variants.served_from(src))
    with procs.serving(procs.hoststand(env)) as server:
        configs = reconnect.worker_configs(server, tenants, per_room=args.per_room, rate=args.rate)
        pool = Pool("bench.scenarios.reconnect:worker", configs)
        try:
            devices = sum(r["ready"] for r in pool.gather(900))
            time.sleep(1.0)
            before = server.cpu_seconds()
            time.sleep(reconnect.WRITES_ONLY_SECONDS)
            cpu0 = server.cpu_seconds()
            writes_cpu = (cpu0 - before) / reconnect.WRITES_ONLY_SECONDS
            spy = _py_spy(server, profile) if profile else None
            started = time.perf_counter()
            with _sampling(server) as samples:
                replies = pool.ask(("storm",), timeout=600)
            cpu = server.cpu_seconds() - cpu0
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(60)
            pool.tell(("done",))
        finally:
            pool.close()
    times = [t for r in replies for t in r["times"]]
    # Up to the last device caught up, without the tail check (a snapshot per restaurant).
    caught_up_cpu = _cpu_at(samples, started + max(times)) - cpu0
    # The REST writes go on during the storm: their share, as measured just before, is taken
    # out to leave what the resumes cost.
    resume_cpu = caught_up_cpu - writes_cpu * max(times)
    return {
        "all_caught_up_s": round(max(times), 2),
        "p50_caught_up_s": round(percentile(times, 50), 2),
        "lost": sum(r["gaps"] + r["behind"] for r in replies),
        "resyncs": sum(r["resyncs"] for r in replies),
        "retries": sum(r["retries"] for r in replies),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_resume": round(1000 * cpu / devices, 3),
        "caught_up_cpu_s": round(caught_up_cpu, 2),
        "resume_cpu_ms_per_resume": round(1000 * resume_cpu / devices, 3),
        "writes_cpu_util": round(writes_cpu, 2),
    }


@contextlib.contextmanager
def _sampling(server: procs.Server) -> Iterator[list[tuple[float, float]]]:
    """The server's CPU seconds every 50 ms, with the time they were read, for a with-block."""
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            samples.append((time.perf_counter(), server.cpu_seconds()))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def _cpu_at(samples: list[tuple[float, float]], when: float) -> float:
    """The CPU seconds read last before `when`."""
    return max((cpu for at, cpu in samples if at <= when), default=0.0)


def _py_spy(server: procs.Server, out: str) -> subprocess.Popen[bytes]:
    return variants.py_spy(server, out, "-f", "raw", "--rate", "200", "--gil", "--nonblocking")


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Each variant `args.rounds` times, alternating; per-variant rounds and medians."""
    served = variants.parse(args.variant)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in served}
    loads = [round(os.getloadavg()[0], 2)]
    for n in range(args.rounds):
        for name, src in served:
            profile = f"{args.profile}-{name}-{n}.txt" if args.profile else None
            runs[name].append(measure(args, src, profile))
            loads.append(round(os.getloadavg()[0], 2))
            print(name, orjson.dumps(runs[name][-1]).decode(), file=sys.stderr, flush=True)
    return {
        "devices": args.devices,
        "rate": args.rate,
        "rounds": args.rounds,
        "load_1m": loads,
        "runs": runs,
        "medians": variants.medians(runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.storm_cost", description=__doc__)
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--rate", type=float, default=reconnect.WRITES_PER_S)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=SRC")
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy raw output, per round")
    args = parser.parse_args(argv)
    raise_open_files_limit()
    print(orjson.dumps(compare(args)).decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
