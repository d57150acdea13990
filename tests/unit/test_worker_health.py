"""A worker whose agent cannot go on says so on /healthz and stops, instead of skipping input."""

from __future__ import annotations

import asyncio

import pytest

from agents.app import WorkerHealth, fatal_on_error


def test_an_agent_that_fails_marks_the_worker_failed_and_asks_it_to_stop() -> None:
    stops: list[str] = []
    health = WorkerHealth(started=True, on_failure=stops.append)

    @fatal_on_error(health, "extract")
    async def agent(_stream: object) -> None:
        raise ConnectionError("the DLQ refused a dead letter")

    with pytest.raises(ConnectionError):
        asyncio.run(agent(None))
    assert not health.alive and "extract" in health.failure and "DLQ" in health.failure
    assert stops == [health.failure]


def test_an_agent_cancelled_by_a_shutdown_is_not_a_failure() -> None:
    health = WorkerHealth(started=True)

    @fatal_on_error(health, "tag")
    async def agent(_stream: object) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(agent(None))
    assert health.alive and health.failure is None
