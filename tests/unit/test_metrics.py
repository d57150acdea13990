"""Each process exports only its own metric families, and the signals say what really happened."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from pipeline import metrics
from pipeline.config import Settings
from pipeline.ingest.feeds import FeedConfig
from pipeline.ingest.reader import Reader, ReaderState
from tests.unit.fakeweb import FakeWeb
from tests.unit.test_reader import BASE, SITE, Sink, rss


def families(registry: object) -> set[str]:
    return {family.name for family in registry.collect()}  # type: ignore[attr-defined]


def test_the_reader_exports_no_worker_series_and_the_worker_no_reader_series() -> None:
    reader, worker = families(metrics.READER_REGISTRY), families(metrics.WORKER_REGISTRY)
    assert "wirefeed_articles_published" not in reader and "wirefeed_stage_processed" not in reader
    assert "wirefeed_feed_polls" not in worker and "wirefeed_pages_produced" not in worker
    assert "wirefeed_feed_polls" in reader and "wirefeed_consumer_lag" in reader
    assert "wirefeed_articles_published" in worker and "wirefeed_dlq" in worker
    text = generate_latest(metrics.READER_REGISTRY).decode()
    assert "wirefeed_articles_published_total" not in text


def test_every_defined_metric_belongs_to_a_process() -> None:
    exported = families(metrics.READER_REGISTRY) | families(metrics.WORKER_REGISTRY) | families(metrics.INDEX_REGISTRY)
    defined = {
        family.name for obj in vars(metrics).values() if isinstance(obj, metrics.Gauge | metrics.Counter |
                                                                    metrics.Histogram)
        for family in obj.describe()
    }
    assert defined - exported == set()


@pytest.mark.parametrize("registry", [metrics.READER_REGISTRY, metrics.WORKER_REGISTRY], ids=["reader", "worker"])
def test_build_info_and_process_metrics_are_exported(registry: object) -> None:
    text = generate_latest(registry).decode()  # type: ignore[arg-type]
    assert 'wirefeed_build_info{python="' in text and 'version="' in text
    assert "process_cpu_seconds_total" in text


def test_a_replayed_old_record_does_not_skew_the_end_to_end_histogram() -> None:
    def observed() -> float:
        return metrics.WORKER_REGISTRY.get_sample_value("wirefeed_end_to_end_seconds_count") or 0.0

    def skipped() -> float:
        return metrics.WORKER_REGISTRY.get_sample_value("wirefeed_end_to_end_skipped_total") or 0.0

    now = time.time()
    count, skips = observed(), skipped()
    assert metrics.observe_end_to_end(now - 2.0, now=now)
    assert not metrics.observe_end_to_end(now - 86400 * 200, now=now)  # a page fetched last year, replayed
    assert (observed() - count, skipped() - skips) == (1, 1)


def test_a_dead_feed_is_visible_as_consecutive_failures_and_a_stale_last_success(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def value(name: str) -> float | None:
        return metrics.READER_REGISTRY.get_sample_value(name, {"feed": "metrics-wire"})

    web = FakeWeb({SITE: {"/rss": (200, {}, rss([]))}})
    client = web.client(max_bytes=100_000)
    feed = FeedConfig(f"{BASE}/rss", "metrics-wire")
    reader = Reader(Settings(poll_interval_s=0.0), [feed], client, Sink(), ReaderState.load(tmp_path / "state.json"))
    before = time.time()
    with caplog.at_level(logging.INFO, logger="wirefeed.reader"):
        reader.poll_once()
    assert value("wirefeed_feed_last_success_timestamp_seconds") >= before
    assert value("wirefeed_feed_consecutive_failures") == 0
    [summary] = [r for r in caplog.records if r.getMessage() == "poll done"]
    assert (summary.feeds, summary.items, summary.errors) == (1, 0, 0)
    last_ok = value("wirefeed_feed_last_success_timestamp_seconds")

    web.sites[SITE]["/rss"] = (503, {}, b"down")
    for _ in range(3):
        reader.poll_once(now=time.time() + 10**6)  # due despite the back-off
    assert value("wirefeed_feed_consecutive_failures") == 3
    assert value("wirefeed_feed_last_success_timestamp_seconds") == last_ok
    reader.close()

    # a restarted reader still knows the feed is failing (the state file keeps the count)
    metrics.FEED_CONSECUTIVE_FAILURES.labels("metrics-wire").set(0)
    again = Reader(Settings(), [feed], client, Sink(), ReaderState.load(tmp_path / "state.json"))
    assert value("wirefeed_feed_consecutive_failures") == 3
    again.close()
