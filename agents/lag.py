"""The worker group's consumer lag, read from the broker by another process (the reader).

A worker measuring its own lag goes silent exactly when lag matters most: when every
worker is down. This exporter asks the broker for the group's committed offsets and
each partition's end offset, for the topics the workers consume (wire.raw,
wire.extracted, wire.deduped): never Faust's changelog or assignor topics.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from agents.kafka import client_config
from pipeline import metrics
from pipeline.config import Settings

log = logging.getLogger("wirefeed.lag")


def consumed_topics(settings: Settings) -> list[str]:
    """The topics the worker group reads (its agents' inputs)."""
    return [settings.topic_raw, settings.topic_extracted, settings.topic_deduped]


class LagExporter:
    """Every ``interval_s``: lag = end offset - committed offset (from the start offset when none)."""

    def __init__(self, settings: Settings, bootstrap: str, interval_s: float = 10.0) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.interval_s = interval_s
        self.topics = consumed_topics(settings)
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None
        self._stop = threading.Event()

    def _clients(self) -> tuple[KafkaAdminClient, KafkaConsumer]:
        if self._admin is None or self._consumer is None:
            config = client_config(self.settings, self.bootstrap)
            self._admin = KafkaAdminClient(client_id="wirefeed-lag", request_timeout_ms=10_000, **config)
            self._consumer = KafkaConsumer(client_id="wirefeed-lag", group_id=None, enable_auto_commit=False,
                                           request_timeout_ms=11_000, **config)
        return self._admin, self._consumer

    def measure(self) -> dict[tuple[str, int], int]:
        """Lag per (topic, partition) of the worker group, as the broker has it now."""
        admin, consumer = self._clients()
        partitions = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        committed = admin.list_consumer_group_offsets(self.settings.app_id, partitions=partitions)
        end = consumer.end_offsets(partitions)
        start = consumer.beginning_offsets(partitions)
        lag = {}
        for tp in partitions:
            offset = committed.get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else start[tp]
            lag[(tp.topic, tp.partition)] = max(end[tp] - position, 0)
        return lag

    def update(self) -> bool:
        """Measure and export; on a broker error keep the last values (their timestamp ages) and say so."""
        try:
            lag = self.measure()
        except Exception as exc:  # the broker may be down: the next round tries again with new clients
            log.warning("consumer lag not readable from the broker", extra={"error": f"{type(exc).__name__}: {exc}"})
            self.close()
            return False
        for (topic, partition), value in lag.items():
            metrics.CONSUMER_LAG.labels(topic, str(partition)).set(value)
        metrics.CONSUMER_LAG_UPDATED.set(time.time())
        return True

    def start(self) -> LagExporter:
        def loop() -> None:
            while True:
                self.update()
                if self._stop.wait(self.interval_s):
                    return

        threading.Thread(target=loop, name="wirefeed-lag", daemon=True).start()
        return self

    def close(self) -> None:
        for client in (self._consumer, self._admin):
            if client is not None:
                with contextlib.suppress(Exception):  # a client of a dead broker may raise on close
                    client.close()
        self._admin = self._consumer = None

    def stop(self) -> None:
        self._stop.set()
