"""The benchmarks' smoke test: `python -m bench --quick` runs and prints what the docs quote.

It checks the shape of the output, never the speed: figures are recorded in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import POSTGRES_URL, REDIS_URL, service_missing

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """`python -m <args>` from the project's root: its stdout and stderr, once it succeeded.

    In a session of its own: on a timeout the servers and load workers it started are stopped
    with it, not left running behind the failure.
    """
    bench = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        stdout, stderr = bench.communicate(timeout=110)  # under pytest-timeout's 120 s
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        stdout, stderr = bench.communicate()
        raise AssertionError(f"{' '.join(args)} timed out: {stderr[-3000:]}") from None
    assert bench.returncode == 0, stdout + stderr[-3000:]
    return stdout, stderr


def _run_quick(scenario: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    stdout, stderr = _run("bench", "--quick", scenario, env=env)
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    return orjson.loads(lines[0]), stderr


def test_poll_cost_prints_the_cost_of_a_poll_and_of_a_full_sweep() -> None:
    stdout, _ = _run(
        "bench.poll_cost",
        *("--restaurants=300", "--rooms=200", "--changes=5", "--polls=2", "--rounds=1"),
    )
    [line] = stdout.splitlines()
    result = orjson.loads(line)
    assert result["variant"] == "current"
    for figure in ("poll_cpu_ms", "poll_wall_ms", "full_cpu_ms", "full_wall_ms"):
        assert result[figure] > 0
        assert result["ratio_to_first"][figure] == 1.0


def test_ping_cost_prints_the_server_cpu_per_ping_of_each_variant() -> None:
    stdout, _ = _run(
        "bench.ping_cost", *("--restaurants=4", "--per-room=2", "--seconds=0.5", "--rounds=1")
    )
    [line] = stdout.splitlines()
    result = orjson.loads(line)
    assert result["medians"]["current"] > 0
    assert result["cpu_ratio_to_first"] == {"current": 1.0}


def test_write_cost_with_devices_counts_every_write_delivered_to_each_device() -> None:
    stdout, _ = _run(
        "bench.write_cost", *("--writes=40", "--warmup=10", "--restaurants=4", "--devices=2")
    )
    [line] = stdout.splitlines()
    result = orjson.loads(line)
    assert result["devices_per_restaurant"] == 2
    figures = result["medians"]["current"]
    assert figures["deliveries_per_write"] == 2.0
    assert len(result["speed_probe_ms"]) == 2
    assert all(ms > 0 for ms in result["speed_probe_ms"])
    assert figures["server_cpu_ms_per_write"] > 0
    assert figures["samples"] == 40


def test_write_cost_get_measures_reads_of_the_guests() -> None:
    stdout, _ = _run(
        "bench.write_cost", *("--writes=40", "--warmup=10", "--restaurants=4", "--get")
    )
    [line] = stdout.splitlines()
    result = orjson.loads(line)
    assert result["request"] == "GET"  # each answered 200, or the run fails
    figures = result["medians"]["current"]
    assert figures["server_cpu_ms_per_write"] > 0
    assert figures["samples"] == 40


def test_quick_idle_memory_prints_one_json_line_with_its_figures_and_a_summary() -> None:
    result, summary = _run_quick("idle_memory")
    assert result["scenario"] == "idle_memory"
    assert result["quick"] is True
    machine = result["machine"]
    assert {"cores", "ram_gib", "date", "load_1m"} <= set(machine)
    assert machine["speed_probe_ms"] > 0
    assert machine["speed_probe_ms_after"] > 0
    assert (
        f"machine: speed probe {machine['speed_probe_ms']} ms before, "
        f"{machine['speed_probe_ms_after']} after (lower is faster)"
    ) in summary
    for server in (
        "hoststand",
        "uvicorn_sansio",
        "hoststand_compressed",
        "uvicorn_sansio_compressed",
    ):
        figures = result[server]
        assert figures["devices"] == result["devices"] == 1000
        assert isinstance(figures["kb_per_device"], float)
        assert figures["rss_after_mb"] > 0
    assert isinstance(result["ratio"], float)
    assert isinstance(result["ratio_compressed"], float)
    assert "idle_memory" in summary
    assert "KB/device" in summary
    assert "target: <= 16 KB per device" in summary


def test_quick_write_to_device_prints_latencies_per_step_and_the_sustained_rate() -> None:
    result, summary = _run_quick("write_to_device")
    assert (result["scenario"], result["database"], result["restaurants"]) == (
        "write_to_device",
        "sqlite",
        40,
    )
    _assert_write_steps(result, devices=200)
    _assert_write_summary("write_to_device", result, summary)
    assert "target: p99 < 25 ms at 200/s; >= 1,000 writes/s with p99 < 50 ms" in summary


def test_quick_scaleout_prints_write_to_device_over_three_instances() -> None:
    if not (POSTGRES_URL and REDIS_URL):
        service_missing("scale-out needs HOSTSTAND_TEST_POSTGRES_URL and HOSTSTAND_TEST_REDIS_URL")
    assert POSTGRES_URL
    assert REDIS_URL
    services = {
        "HOSTSTAND_BENCH_POSTGRES_URL": POSTGRES_URL,
        "HOSTSTAND_BENCH_REDIS_URL": REDIS_URL,
    }
    result, summary = _run_quick("scaleout", env=services)
    assert (result["scenario"], result["instances"], result["database"], result["broker"]) == (
        "scaleout",
        3,
        "postgresql",
        "redis",
    )
    _assert_write_steps(result, devices=180)
    _assert_write_summary("scaleout", result, summary)
    assert "target: write-to-device across 3 instances (PostgreSQL + Redis)" in summary


def _assert_write_steps(result: dict[str, Any], devices: int) -> None:
    """The write-to-device steps, as write_to_device and scaleout report them."""
    assert result["quick"] is True
    assert result["devices"] == devices
    steps = result["steps"]
    assert [s["writes_per_s"] for s in steps][:1] == [200]
    assert result["at_200"] == steps[0]
    assert result["windows_per_step"] == 2
    for step in steps:
        assert len(step["windows"]) == 2
        for figures in (step, *step["windows"]):
            assert figures["samples"] > 0
            assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
            assert figures["server_cpu_util"] > 0
            assert figures["generator_cpu_util"] > 0
            assert isinstance(figures["errors"], int)
            assert isinstance(figures["missing"], int)
        # The step's figures are its windows' medians (of two: their mean), its failures all.
        windows = step["windows"]
        assert step["p99_ms"] == round((windows[0]["p99_ms"] + windows[1]["p99_ms"]) / 2, 2)
        assert step["max_ms"] == max(w["max_ms"] for w in windows)
        assert step["samples"] == sum(w["samples"] for w in windows)
        assert step["errors"] == sum(w["errors"] for w in windows)
    rates = {0, *(s["writes_per_s"] for s in steps)}
    assert result["sustained_writes_per_s"] in rates
    assert result["sustained_every_window_writes_per_s"] in rates
    assert result["sustained_every_window_writes_per_s"] <= result["sustained_writes_per_s"]


def _assert_write_summary(name: str, result: dict[str, Any], summary: str) -> None:
    at = result["at_200"]
    assert (
        f"{name:<16} at 200/s p50 {at['p50_ms']} p95 {at['p95_ms']} "
        f"p99 {at['p99_ms']} ms; sustained {result['sustained_writes_per_s']} writes/s "
        "with p99 < 50 ms (median of 2 windows; in every window "
        f"{result['sustained_every_window_writes_per_s']})"
    ) in summary


def test_quick_reconnect_storm_prints_the_catch_up_time_and_what_was_lost() -> None:
    result, summary = _run_quick("reconnect_storm")
    assert result["scenario"] == "reconnect_storm"
    assert result["quick"] is True
    assert result["devices"] == 500
    assert 0 < result["p50_caught_up_s"] <= result["all_caught_up_s"]
    for count in ("events_lost", "resyncs", "handshake_retries"):
        assert isinstance(result[count], int)
    assert result["server_cpu_s"] > 0
    assert result["load_generator_cpu_s"] > 0
    assert "500 devices caught up in" in summary
    assert "target: all caught up < 10 s, 0 lost" in summary


def test_quick_fanout_measures_hoststand_plain_compressed_and_its_event_path() -> None:
    result, summary = _run_quick("fanout")
    assert result["scenario"] == "fanout"
    assert result["quick"] is True
    assert (result["devices"], result["restaurants"], result["rounds"]) == (500, 100, 2)
    runs = result["runs"]
    # Node.js `ws` runs where Node.js is installed (bench.procs.node_baseline).
    node = "node_ws" in runs
    assert set(runs) - {"node_ws"} == {
        "hoststand",
        "hoststand_events",
        "uvicorn_sansio",
        "hoststand_compressed",
        "uvicorn_sansio_compressed",
    }
    for figures in runs.values():
        assert figures["devices"] == 500
        assert len(figures["rounds_us_per_msg"]) == 2
        assert figures["cpu_us_per_msg"] >= figures["user_us_per_msg"] > 0
        assert figures["delivered_per_s"] > 0
    assert runs["hoststand_events"]["writes_per_s"] > 0
    ratios = result["cpu_ratio"]
    expected = {
        "hoststand_vs_uvicorn_sansio",
        "compressed_vs_uvicorn_sansio_compressed",
        "hoststand_compressed_vs_plain",
    } | ({"hoststand_vs_node_ws"} if node else set())
    assert set(ratios) == expected
    assert all(isinstance(r, float) for r in ratios.values())
    assert f"hoststand {runs['hoststand']['cpu_us_per_msg']} us/msg" in summary
    assert "target: CPU/msg <= node ws, <= 1.2x uvicorn-sansio" in summary


def test_quick_fanout_with_variants_alternates_them_with_the_baselines() -> None:
    src = str(ROOT / "src")
    result, summary = _run_quick_fanout("--variant", f"one={src}", "--variant", f"two={src}")
    assert result["scenario"] == "fanout"
    assert result["rounds"] == 1
    assert result["variants"] == {"one": src, "two": src}
    # Node.js `ws` runs where Node.js is installed (bench.procs.node_baseline), as by default.
    node = "node_ws" in result["runs"]
    assert set(result["runs"]) - {"node_ws"} == {"one", "two", "uvicorn_sansio"}
    for name in ("one", "two"):
        figures = result["runs"][name]
        assert figures["server"] == f"hoststand-{name}"
        assert figures["devices"] == result["devices"] == 500
        assert len(figures["rounds_us_per_msg"]) == 1
        assert figures["cpu_us_per_msg"] >= figures["user_us_per_msg"] > 0
        if node:
            assert isinstance(result["cpu_ratio_to_node_ws"][name], float)
            assert len(result["rounds_ratio_to_node_ws"][name]) == 1
    assert result["cpu_ratio_to_first"]["one"] == 1.0
    assert ("one_vs_node_ws" in summary) is node


def _run_quick_fanout(*variants: str) -> tuple[dict[str, Any], str]:
    stdout, stderr = _run("bench", "--quick", "fanout", "--rounds", "1", *variants)
    [line] = stdout.splitlines()
    return orjson.loads(line), stderr


def test_variants_are_refused_beside_other_scenarios() -> None:
    bench = subprocess.run(
        [sys.executable, "-m", "bench", "idle_memory", "--variant", "one=src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bench.returncode == 2
    assert "apply to the fanout scenario alone" in bench.stderr
