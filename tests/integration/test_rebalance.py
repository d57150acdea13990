"""A worker SIGKILLed just after a second one joined, on one broker: nothing lost (issue 15).

The cheap form of the three-broker rebalance kill (``test_cluster.py``): with a producer writing
and worker 1 processing, worker 2 joins; once it is ready (its partitions assigned and recovered,
so both workers hold records of the new assignment in their batches), worker 1 is SIGKILLed and
worker 2 takes every partition in a second rebalance, with records of the first still in flight.
Before ``agents/offsets.py``, Faust's commit bookkeeping committed past records its rebalance
path had dropped: 2 and 37 of 1,005 inputs lost in two of five runs of this scenario.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import run_env
from tests.helpers import wait_for
from tests.integration.test_cluster import DEADLINE_S, Scenario

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.faults]


class OneBroker:
    """The session broker, where Scenario expects a cluster (nothing to wait for at the end)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.nodes = [1]

    def wait_brokers(self, count: int) -> None:
        pass

    def fully_replicated(self, topics: list[str]) -> bool:
        return True


def test_worker_sigkilled_just_after_a_second_worker_joined_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    scenario = Scenario(tmp_path, run_env(kafka_bootstrap, tmp_path / "data", kind="rebalance"),
                        OneBroker(kafka_bootstrap))

    def fault() -> None:
        first = scenario.workers[0]
        scenario.worker()  # the group rebalances: both workers get partitions
        assert wait_for(scenario.ready, timeout_s=DEADLINE_S), scenario.tails()
        time.sleep(1)  # both are processing records of the new assignment
        scenario.killed()
        first.send_signal(signal.SIGKILL)
        first.wait(10)

    figures = scenario.run("worker killed just after a second joined (one broker)", fault)
    assert figures["missing"] == 0
