"""Poison records on every topic an agent reads: each is one dead letter, and the stream goes on.

A real broker and a real worker. On ``wire.raw``, ``wire.extracted`` and ``wire.deduped``
the test writes every kind of record an agent may meet (a tombstone, a null key, an empty
value, bytes that are not UTF-8, a value over the size limit, text that is not JSON, JSON of
the wrong shape), then one good record. The good records must come out of
``wire.articles``, and each poison record must be exactly one dead letter from the stage
that reads that topic (a tombstone once crashed the extract agent, and Faust's batch ack
then committed the 20 good pages batched with it).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from agents.kafka import make_consumer, make_producer
from pipeline.config import Settings
from pipeline.stages import Pipeline
from tests.helpers import start_cli, stop
from tests.integration.faultkit import page, stream_setup

pytestmark = [pytest.mark.broker]

# the stage that reads each topic, and so writes its dead letters
READER_STAGE = {"raw": {"parse", "extract"}, "extracted": {"dedupe"}, "deduped": {"tag"}}


def poison(settings: Settings) -> list[tuple[str, bytes | None, bytes | None]]:
    """(kind, key, value) of every poison record; each gets a marker in its value where it has one."""
    huge = b'{"url": "https://wire.example/huge", "content": "' + b"x" * (settings.max_content_bytes * 2 + 10) + b'"}'
    return [
        ("tombstone", b"tombstone-key", None),
        ("null key", None, b"{}"),
        ("empty", b"empty", b""),
        ("not utf-8", b"\xff\xfe", b"\xff\xfe\xfa not utf-8 \x80"),
        ("huge", b"huge", huge),
        ("not json", b"prose", b"this is prose, not a record"),
        ("json array", b"array", b"[1, 2, 3]"),
        ("wrong shape", b"shape", b'{"id": 42, "body": ["a"], "url": null}'),
        ("deep nesting", b"deep", b"[" * 100_000),
    ]


def read_all(settings: Settings, bootstrap: str, topic: str, until: int, timeout_s: float) -> list[bytes]:
    consumer = make_consumer(settings, bootstrap, topic, auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=None)
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < until and time.monotonic() < deadline:
            for messages in consumer.poll(timeout_ms=500).values():
                values.extend(m.value for m in messages)
        if len(values) >= until:  # anything beyond what was expected is a failure too
            for messages in consumer.poll(timeout_ms=3000).values():
                values.extend(m.value for m in messages)
    finally:
        consumer.close()
    return values


def test_every_kind_of_poison_on_every_topic_is_one_dead_letter_and_good_records_still_arrive(
    tmp_path: Path, isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    env, settings, run = stream_setup(isolated_env, kafka_bootstrap)
    pipeline = Pipeline(settings)
    raw_good = json.dumps(page(0, run)).encode()
    extracted_good = pipeline.run_front(json.dumps(page(1, run))).model_dump_json().encode()
    deduped_good = pipeline.run_front(json.dumps(page(2, run))).model_dump_json().encode()
    topics = {"raw": (settings.topic_raw, raw_good), "extracted": (settings.topic_extracted, extracted_good),
              "deduped": (settings.topic_deduped, deduped_good)}
    records = poison(settings)

    producer = make_producer(settings, kafka_bootstrap)
    try:
        for topic, good in topics.values():
            for _kind, key, value in records:
                producer.send(topic, key=key, value=value).get(60)
            producer.send(topic, key=b"good", value=good).get(60)
    finally:
        producer.close(30)

    log = tmp_path / "worker.log"
    worker = start_cli(["worker"], env, log)
    try:
        articles = read_all(settings, kafka_bootstrap, settings.topic_articles, until=3, timeout_s=180)
        letters = read_all(settings, kafka_bootstrap, settings.topic_dlq, until=3 * len(records), timeout_s=60)
        assert worker.poll() is None, "the worker stopped"
    finally:
        stop(worker)
    tail = log.read_text(errors="replace")[-3000:]
    ids = {json.loads(v)["id"] for v in articles}
    expected = {pipeline.run_front(json.dumps(page(i, run))).id for i in range(3)}
    assert ids == expected and len(articles) == 3, tail
    stages = Counter(json.loads(v)["stage"] for v in letters)
    print(f"\n[poison] records={3 * len(records)} dead_letters={len(letters)} by_stage={dict(stages)} "
          f"articles={len(articles)}")
    assert len(letters) == 3 * len(records), (stages, tail)
    for name, expected_stages in READER_STAGE.items():
        got = sum(n for stage, n in stages.items() if stage in expected_stages)
        assert got == len(records), f"{name}: {got} dead letters from {expected_stages}, want {len(records)}"
    assert all(json.loads(v)["reason"] for v in letters)
    # each dead letter says where its input is, so it can be found and replayed
    where = Counter(json.loads(v)["topic"] for v in letters)
    assert where == {topic: len(records) for topic, _good in topics.values()}, where
    assert all(json.loads(v)["partition"] is not None and json.loads(v)["offset"] is not None for v in letters)
