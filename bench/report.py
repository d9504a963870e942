"""The human summary: each figure beside its target."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "fanout": "CPU/msg <= node ws, <= 1.2x uvicorn-sansio",
    "write_to_device": "p99 < 25 ms at 200/s; >= 1,000 writes/s with p99 < 50 ms",
    "idle_memory": "<= 16 KB per device",
    "reconnect_storm": "all caught up < 10 s, 0 lost",
    "scaleout": "write-to-device across 3 instances (PostgreSQL + Redis)",
}


def _line(result: dict[str, Any]) -> str:
    name = result["scenario"]
    if "error" in result:
        return f"{name:<16} FAILED: {result['error']}"
    if name == "fanout":
        runs = result["runs"]
        parts = [
            f"{k} {v['cpu_us_per_msg']} us/msg ({v['delivered_per_s']}/s)" for k, v in runs.items()
        ]
        found = result.get("cpu_ratio") or {
            f"{k}_vs_node_ws": v for k, v in result.get("cpu_ratio_to_node_ws", {}).items()
        }
        ratios = ", ".join(f"{k} {v}x" for k, v in found.items())
        return f"{name:<16} " + "; ".join(parts) + f"\n{'':<16} ratios: {ratios}"
    if name in {"write_to_device", "scaleout"}:
        at = result["at_200"]
        return (
            f"{name:<16} at 200/s p50 {at['p50_ms']} p95 {at['p95_ms']} p99 {at['p99_ms']} ms; "
            f"sustained {result['sustained_writes_per_s']} writes/s with p99 < 50 ms "
            f"(median of {result['windows_per_step']} windows; in every window "
            f"{result['sustained_every_window_writes_per_s']})"
        )
    if name == "idle_memory":
        return (
            f"{name:<16} hoststand {result['hoststand']['kb_per_device']} KB/device, "
            f"uvicorn-sansio {result['uvicorn_sansio']['kb_per_device']} KB/device "
            f"({result['devices']} devices); compressed: hoststand "
            f"{result['hoststand_compressed']['kb_per_device']}, uvicorn-sansio "
            f"{result['uvicorn_sansio_compressed']['kb_per_device']} KB/device"
        )
    if name == "reconnect_storm":
        return (
            f"{name:<16} {result['devices']} devices caught up in {result['all_caught_up_s']} s "
            f"(p50 {result['p50_caught_up_s']} s); lost {result['events_lost']}, "
            f"resyncs {result['resyncs']}, handshake retries {result['handshake_retries']}; "
            f"server CPU {result['server_cpu_s']} s (writes alone: "
            f"{result['server_cpu_util_writes_only']} of a core)"
        )
    return f"{name:<16} {result}"


def summary(results: list[dict[str, Any]]) -> str:
    """A few lines a person reads: figure, then target."""
    lines = [
        "",
        "hoststand benchmarks" + (" (quick)" if results and results[0].get("quick") else ""),
    ]
    for result in results:
        lines.append(_line(result))
        lines.append(f"{'':<16} target: {TARGETS.get(result['scenario'], '-')}")
        machine = result.get("machine", {})
        if "speed_probe_ms" in machine:
            lines.append(
                f"{'':<16} machine: speed probe {machine['speed_probe_ms']} ms before, "
                f"{machine.get('speed_probe_ms_after', '-')} after (lower is faster)"
            )
    return "\n".join(lines)
