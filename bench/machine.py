"""What the benchmarks ran on: recorded beside every figure."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import resource
import statistics
import time
from typing import Any

import orjson
import psutil

# The probe's work: about 17 ms of CPU a round on the EPYC VM at its fast hours.
PROBE_ITERATIONS = 10_000
PROBE_ROUNDS = 5


def describe() -> dict[str, Any]:
    """Cores, RAM, CPU model, Python and the date."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": model,
        "python": platform.python_version(),
        "load_1m": round(os.getloadavg()[0], 2),
        "speed_probe_ms": speed_probe(),
    }


def speed_probe(rounds: int = PROBE_ROUNDS) -> float:
    """CPU ms that a fixed piece of Python work takes now: the median of `rounds` rounds.

    The machines are shared VMs whose speed moves by 2x within the hour: on one of them the
    same server took 0.22 of a core for 200 writes/s at one hour and 0.54 at another. A figure
    is read beside the speed it ran at; a lower probe is a faster machine. The work is a
    request's kind (dicts, calls, JSON, a hash), run in this process, whose other threads are
    idle while it runs; CPU time, so that time the machine gave to others is not counted, only
    how fast it ran ours.
    """
    times = []
    for _ in range(rounds):
        started = time.process_time()
        _probe_work(PROBE_ITERATIONS)
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 2)


def _probe_work(iterations: int) -> int:
    total = 0
    for n in range(iterations):
        item = {
            "id": f"guest-{n}",
            "name": "Ames",
            "party_size": n % 12 + 1,
            "status": ("waiting", "notified", "seated")[n % 3],
            "notes": "window seat " * (n % 4),
            "version": n,
        }
        decoded = orjson.loads(orjson.dumps(item))
        words = sorted([*decoded["notes"].split(), decoded["name"], decoded["status"]])
        total += len(hashlib.sha256(" ".join(words).encode()).digest()) + decoded["party_size"]
    return total


def raise_open_files_limit(wanted: int = 65536) -> int:
    """Raise this process's open-files limit as far as allowed (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
