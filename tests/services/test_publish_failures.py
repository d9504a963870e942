"""A broker outage is reported in the log, not once per write."""

from __future__ import annotations

import logging

import pytest

from hoststand.services.transaction import _FailureLog


def test_publish_failures_are_logged_once_then_summarised(caplog: pytest.LogCaptureFixture) -> None:
    failures = _FailureLog(interval=3600)
    with caplog.at_level(logging.WARNING, logger="hoststand.services.transaction"):
        for _ in range(50):
            failures.report(ConnectionError("redis is down"))
    assert len(caplog.records) == 1
    assert "redis is down" in caplog.records[0].getMessage()
    assert failures.silenced == 49
    failures.last -= 3600  # the interval has passed
    with caplog.at_level(logging.WARNING, logger="hoststand.services.transaction"):
        failures.report(ConnectionError("still down"))
    assert "49 more" in caplog.records[-1].getMessage()
    assert failures.silenced == 0
