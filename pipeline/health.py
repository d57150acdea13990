"""Is the Kafka broker reachable? A background TCP probe behind ``/readyz``.

A process that cannot reach any bootstrap broker does no useful work, so it must
not report ready. The probe connects to each ``host:port`` of the bootstrap list
every few seconds (no Kafka protocol: this lives in the pure core and needs no
client), remembers the answer, and logs the change once each way: a warning when
the broker goes away, an info line with the outage's length when it is back.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

log = logging.getLogger("wirefeed.health")


def parse_bootstrap(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port]`` (``[v6]:port`` allowed) into pairs."""
    addresses = []
    for part in bootstrap.split(","):
        host, _, port = part.strip().rpartition(":")
        addresses.append((host.strip("[]") or "127.0.0.1", int(port)))
    return addresses


def can_connect(address: tuple[str, int], timeout_s: float) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout_s):
            return True
    except OSError:
        return False


class BrokerProbe:
    """``reachable`` is True while any bootstrap address accepts a TCP connection."""

    def __init__(self, bootstrap: str, interval_s: float = 2.0, timeout_s: float = 1.0) -> None:
        self.addresses = parse_bootstrap(bootstrap)
        self.bootstrap = bootstrap
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.reachable = self.check()
        self._down_since: float | None = None if self.reachable else time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        return any(can_connect(address, self.timeout_s) for address in self.addresses)

    def update(self) -> bool:
        """Probe once; log a change of state; return the new state."""
        now_reachable = self.check()
        if now_reachable != self.reachable:
            if now_reachable:
                down_s = time.monotonic() - (self._down_since or time.monotonic())
                log.info("kafka broker reachable again", extra={"bootstrap": self.bootstrap,
                                                                "down_s": round(down_s, 1)})
                self._down_since = None
            else:
                self._down_since = time.monotonic()
                log.warning("kafka broker unreachable: not ready until it is back",
                            extra={"bootstrap": self.bootstrap})
        self.reachable = now_reachable
        return now_reachable

    def start(self) -> BrokerProbe:
        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                self.update()

        self._thread = threading.Thread(target=loop, name="wirefeed-broker-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
