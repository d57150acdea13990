"""Ports for a dev broker started in tests: the broker's and its controller's (port + 1) are free."""

from __future__ import annotations

import socket

from agents.broker import free_port_pair


def test_free_port_pair_gives_a_port_whose_successor_is_free_too() -> None:
    port = free_port_pair()
    with socket.socket() as broker, socket.socket() as controller:
        broker.bind(("127.0.0.1", port))
        controller.bind(("127.0.0.1", port + 1))  # raises if the controller's port were taken
