"""The broker probe behind /readyz: reachable while a bootstrap address accepts connections, changes logged once."""

from __future__ import annotations

import logging
import socket

import pytest

from pipeline.health import BrokerProbe, parse_bootstrap


def test_bootstrap_lists_are_parsed() -> None:
    assert parse_bootstrap("kafka-1:9092, kafka-2:9093,[::1]:9094") == [
        ("kafka-1", 9092), ("kafka-2", 9093), ("::1", 9094)
    ]


def test_the_probe_follows_the_broker_and_logs_each_change_once(caplog: pytest.LogCaptureFixture) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    probe = BrokerProbe(f"127.0.0.1:1,127.0.0.1:{port}", timeout_s=0.5)  # one of two answers: reachable
    assert probe.reachable
    listener.close()
    with caplog.at_level(logging.INFO, logger="wirefeed.health"):
        assert not probe.update() and not probe.update() and not probe.reachable
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        try:
            assert probe.update() and probe.update()
        finally:
            listener.close()
    events = [r.getMessage() for r in caplog.records]
    assert events == ["kafka broker unreachable: not ready until it is back", "kafka broker reachable again"]
    assert caplog.records[1].down_s >= 0
