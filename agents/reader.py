"""``wirefeed read``: the pure reader (pipeline.ingest.reader) wired to a kafka-python producer."""

from __future__ import annotations

import signal
import threading

from agents.kafka import ensure_topics, make_producer
from agents.lag import LagExporter
from pipeline.config import Settings
from pipeline.health import BrokerProbe
from pipeline.ingest.client import build_client
from pipeline.ingest.feeds import FeedConfig
from pipeline.ingest.reader import Reader, ReaderState
from pipeline.metrics import READER_REGISTRY, serve_http
from schemas import RawPage


def build_reader(settings: Settings, bootstrap: str, feeds: list[FeedConfig]) -> Reader:
    ensure_topics(settings, bootstrap)
    producer = make_producer(settings, bootstrap)

    def publish(page: RawPage, key: str) -> None:
        # .get() blocks until the broker acked (acks=all): only then is the page marked seen
        producer.send(settings.topic_raw, key=key.encode(), value=page.model_dump_json().encode()).get(30)

    client = build_client(settings)
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
