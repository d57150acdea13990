"""Reader fault tests on a real broker: a long broker outage in the middle of a poll loses no page.

The feed answers with an ETag. Were the ETag stored before the pages were
acknowledged, every poll after an outage longer than the producer's timeouts
would get 304 and the pages that could not be sent would never be tried again
(34 of 300 were lost that way). The outage lasts WIREFEED_TEST_OUTAGE_S seconds
(150 by default, longer than every producer timeout).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agents.broker import LocalBroker, free_port
from agents.kafka import ensure_topics, make_consumer
from tests.conftest import settings_from
from tests.helpers import start_cli, stop, wait_for
from tests.integration.faultkit import feed_site

pytestmark = [pytest.mark.broker, pytest.mark.slow]

OUTAGE_S = float(os.environ.get("WIREFEED_TEST_OUTAGE_S", "150"))


def raw_keys(settings, bootstrap: str) -> list[bytes]:  # noqa: ANN001
    """Every key on wire.raw from the beginning (one per page sent; a page sent twice appears twice)."""
    consumer = make_consumer(settings, bootstrap, settings.topic_raw, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=None, consumer_timeout_ms=2000)
    try:
        return [m.key for m in consumer]
    finally:
        consumer.close()


def raw_size(settings, bootstrap: str) -> int:  # noqa: ANN001
    """Records on wire.raw now (end offsets): does not wait for the topic to go quiet."""
    from kafka import TopicPartition

    consumer = make_consumer(settings, bootstrap, settings.topic_raw, group_id=None, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(settings.topic_raw) or set()
        return sum(consumer.end_offsets([TopicPartition(settings.topic_raw, p) for p in partitions]).values())
    finally:
        consumer.close()


def test_a_long_broker_outage_during_a_poll_loses_no_page(tmp_path: Path, isolated_env: dict[str, str]) -> None:
    items = 300
    broker = LocalBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.start()
    env = {**isolated_env, "WIREFEED_KAFKA_BOOTSTRAP": broker.bootstrap, "WIREFEED_READER_METRICS_PORT": "0",
           "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1", "WIREFEED_PER_HOST_DELAY_S": "0",
           "WIREFEED_POLL_INTERVAL_S": "2"}
    settings = settings_from(env)
    log = tmp_path / "reader.log"
    reader = None
    # pages slow enough (2 at a time, 0.3 s each: ~45 s for the poll) that the broker dies mid-poll
    with feed_site(env["WIREFEED_APP_ID"][-8:], items, page_delay_s=0.3) as site:
        feed = site.routes["/feed.xml"]

        def conditional(request):  # noqa: ANN001, ANN202
            if request.headers.get("If-None-Match") == '"v1"':
                return 304, {}, b""
            return feed[0], {**feed[1], "ETag": '"v1"'}, feed[2]

        site.routes["/feed.xml"] = conditional
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: outage\n", encoding="utf-8")
        try:
            ensure_topics(settings, broker.bootstrap)
            reader = start_cli(["read", "--feeds", str(feeds)], env, log)
            assert wait_for(lambda: raw_size(settings, broker.bootstrap) >= items // 3, timeout_s=120), (
                log.read_text(errors="replace")[-3000:])
            broker.kill()
            down = time.monotonic()
            fetched_at_kill = sum("/story-" in path for path, _ in site.hits)
            assert fetched_at_kill < items, "the poll finished before the broker could be killed mid-poll"
            time.sleep(OUTAGE_S)  # the outage itself: nothing to wait on but time
            broker.start()
            outage_s = time.monotonic() - down
            complete = wait_for(lambda: raw_size(settings, broker.bootstrap) >= items
                                and len(set(raw_keys(settings, broker.bootstrap))) >= items, timeout_s=300,
                                interval_s=2)
            keys = raw_keys(settings, broker.bootstrap)
            feed_requests = sum(path == "/feed.xml" for path, _ in site.hits)
        finally:
            if reader is not None:
                stop(reader)
            broker.stop()
    lost = items - len(set(keys))
    print(f"\n[reader broker outage] items={items} fetched_at_kill={fetched_at_kill} outage_s={outage_s:.0f} "
          f"lost={lost} "
          f"sent_twice={len(keys) - len(set(keys))} feed_requests={feed_requests} complete={complete}")
    assert lost == 0, log.read_text(errors="replace")[-3000:]
