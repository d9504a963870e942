"""The README's five-minute tour, run as written against a real `hoststand serve`.

Blocks marked `<!-- tour -->` run in order in one bash, with the demo's host token pasted in and
the server's port for 8000; a ```text block right after one is its exact output. The block marked
`<!-- tour: background -->` (the feed) runs in the background; `<!-- tour: feed -->` shows what
it prints, times and seqs aside.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commands import clean_env, sqlite_url
from tests.servers import ProcessServer

README = Path(__file__).parent.parent / "README.md"
TOKEN_PLACEHOLDER = "<the host token>"
BLOCK = re.compile(
    r"<!-- tour(?:: (?P<mark>\w+))? -->\n```(?:sh|text)\n(?P<body>.*?)```\n"
    r"(?:\n*```text\n(?P<output>.*?)```\n)?",
    re.DOTALL,
)
STEP = "@@tour-step@@"
FEED_DONE = re.compile(r"table\s+status_changed\s+1\s+-> available")
VARYING = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), "<time>"),
    (re.compile(r"#\d+\s+"), "#<seq> "),
    (re.compile(r"seq \d+"), "seq <seq>"),
]
TIMEOUT = 60.0


@dataclass(frozen=True)
class Step:
    """One block of the tour: code to run (or, for the feed, text shown) and its output."""

    mark: str
    code: str
    output: str | None


def tour_steps() -> list[Step]:
    """The tour's blocks, in order."""
    steps = [
        Step(m["mark"] or "", m["body"], m["output"]) for m in BLOCK.finditer(README.read_text())
    ]
    assert steps, "no tour in the README"
    return steps


def _script(steps: list[Step], feed_log: Path) -> str:
    lines = ["set -euo pipefail"]
    for step in steps:
        if step.mark == "background":
            lines += [
                f"( {step.code.strip()} ) > {feed_log} 2>&1 &",
                # Wait until the feed is live, so that it sees every change of the tour.
                "for _ in $(seq 1 400); do grep -q -- '^-- live' "
                f"{feed_log} && break; sleep 0.05; done",
                f"grep -q -- '^-- live' {feed_log}",
            ]
        elif step.mark == "":
            lines.append(step.code)
        lines.append(f"echo {STEP}")
    return "\n".join(lines)


def _normalised(text: str) -> list[str]:
    for pattern, placeholder in VARYING:
        text = pattern.sub(placeholder, text)
    return [line.rstrip() for line in text.strip().splitlines()]


def _wait_for(path: Path, pattern: re.Pattern[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        if pattern.search(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"the feed never showed {pattern.pattern!r}:\n{text}")
        time.sleep(0.05)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[ProcessServer, str]]:
    """`make run` on a fresh database: `hoststand serve --demo`."""
    env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "hoststand.db"))
    log = tmp_path / "serve.log"
    server = ProcessServer(env=env, log_path=log).start(demo=True)
    token = re.search(r"host token\s+: (hs_\S+)", log.read_text())
    assert token, log.read_text()
    yield server, token.group(1)
    server.stop()


def test_the_readme_tour_works_as_written(
    demo_server: tuple[ProcessServer, str], tmp_path: Path
) -> None:
    server, token = demo_server
    steps = tour_steps()
    assert {s.mark for s in steps} == {"", "background", "feed"}
    script = _script(steps, tmp_path / "feed.log")
    script = script.replace(TOKEN_PLACEHOLDER, token)
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
    script = script.replace(".venv/bin/hoststand", f"{sys.executable} -m hoststand.cli")
    tour = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the feed follower lives on in this group; killed below
    )
    try:
        stdout, stderr = tour.communicate(timeout=TIMEOUT)
        assert tour.returncode == 0, f"{stderr}\n{stdout}"
        feed = _wait_for(tmp_path / "feed.log", FEED_DONE, TIMEOUT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(tour.pid, signal.SIGTERM)

    outputs = stdout.split(f"{STEP}\n")
    for step, actual in zip(steps, outputs, strict=False):
        if step.mark == "" and step.output is not None:
            assert actual.strip("\n") == step.output.strip("\n"), step.code
    (shown,) = [s.code for s in steps if s.mark == "feed"]
    assert _normalised(feed) == _normalised(shown)
