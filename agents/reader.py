"""``wirefeed read``: the pure reader (pipeline.reader) wired to a kafka-python producer."""

from __future__ import annotations

import signal
import threading

from agents.kafka import ensure_topics, make_producer
from agents.lag import LagExporter
from pipeline.config import Settings
from pipeline.feeds import FeedConfig
from pipeline.fetch import AddressPolicy, PoliteClient
from pipeline.health import BrokerProbe
from pipeline.metrics import READER_REGISTRY, serve_http
from pipeline.reader import Reader, ReaderState
from schemas import RawPage


def build_reader(settings: Settings, bootstrap: str, feeds: list[FeedConfig]) -> Reader:
    ensure_topics(settings, bootstrap)
    producer = make_producer(settings, bootstrap)

    def publish(page: RawPage, key: str) -> None:
        # .get() blocks until the broker acked (acks=all): only then is the page marked seen
        producer.send(settings.topic_raw, key=key.encode(), value=page.model_dump_json().encode()).get(30)

    client = PoliteClient(
        policy=AddressPolicy(settings.allow_private_hosts),
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.max_redirects,
        per_host_concurrency=settings.per_host_concurrency,
        per_host_delay_s=settings.per_host_delay_s,
    )
    def close_producer() -> None:
        producer.flush(30)
        producer.close(30)

    return Reader(settings, feeds, client, publish, ReaderState.load(settings.reader_state), close_producer)


def run_reader(settings: Settings, bootstrap: str, feeds: list[FeedConfig], once: bool = False) -> None:
    reader = build_reader(settings, bootstrap, feeds)
    stop = threading.Event()
    probe = BrokerProbe(bootstrap).start()
    if settings.reader_metrics_port:  # ready while it runs and can publish
        serve_http(settings.metrics_host, settings.reader_metrics_port, lambda: not stop.is_set() and probe.reachable,
                   registry=READER_REGISTRY)
        if not once:  # the workers' lag, from the broker: visible even when every worker is down
            LagExporter(settings, bootstrap).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if once:
            reader.poll_once()
        else:
            reader.run(stop)
    finally:
        reader.close()
