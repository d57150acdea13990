"""Dedupe state survives the stream's failures, on the real broker.

1. A worker is SIGKILLed after it has published N originals; a new worker with an empty
   local state directory (so its table must come back from the changelog topic) gets
   copies of those originals: they are flagged as duplicates of the originals.
2. Two workers on a 4-partition wire.raw: originals and their copies are keyed to
   different raw partitions (so possibly different extract workers); the copies are
   still flagged, because every article funnels through the one-partition wire.extracted
   and its single dedupe agent.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka.partitioner.default import murmur2

from agents.broker import free_port
from agents.replay import replay_paths
from pipeline.ids import article_id, canonical_url
from tests.conftest import settings_from
from tests.helpers import read_topic, start_cli, stop

pytestmark = [pytest.mark.broker, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
T0 = datetime(2024, 6, 18, 8, 0, tzinfo=UTC)


def bodies() -> list[str]:
    files = [FIXTURES / "wire_original.txt", FIXTURES / "other_article.txt"]
    files += sorted((FIXTURES / "unrelated").glob("*.txt"))
    texts = [f.read_text(encoding="utf-8").strip() for f in files]
    # drop the headline line of the unrelated fixtures: the body is what is republished
    return [t.split("\n", 1)[1] if t.split("\n", 1)[0].count(" ") < 12 else t for t in texts]


def edited_copy(body: str) -> str:
    """An outlet's version: dateline, every 33rd word changed, an editor's note."""
    words = body.split(" ")
    words = ["reportedly" if i % 33 == 16 else w for i, w in enumerate(words)]
    return "CITY (Wire) \u2014 " + " ".join(words) + "\nEditor's note: this story was republished with permission."


def page(url: str, title: str, body: str, at: datetime) -> dict:
    return {"url": url, "title": title, "content": body, "content_type": "text/plain",
            "fetched_at": at.isoformat(), "source": "test"}  # fmt: skip


def write_jsonl(path: Path, pages: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    return path


def raw_partition(url: str, partitions: int) -> int:
    """The partition the producer's default partitioner picks for this page's key."""
    key = canonical_url(url).encode()
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def articles_by_id(settings, bootstrap: str, ids: set[str], timeout_s: float = 180) -> dict[str, dict]:  # noqa: ANN001
    """The last record of each article on wire.articles, once all of ``ids`` are there.

    After a crash the stream is at-least-once: an article may be published twice.
    """
    deadline = time.monotonic() + timeout_s
    found: dict[str, dict] = {}
    while time.monotonic() < deadline and not ids <= found.keys():
        values = read_topic(settings, bootstrap, settings.topic_articles, until=None, timeout_s=30, idle_s=3)
        found = {a["id"]: a for a in (json.loads(v) for v in values)}
    return found


def ids_of(pages: list[dict]) -> set[str]:
    return {article_id(canonical_url(p["url"])) for p in pages}


def test_copies_sent_after_a_sigkill_and_restart_are_flagged(
    tmp_path: Path, isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    originals = [
        page(f"https://first.example/news/{i}", f"Story {i}", body, T0 + timedelta(minutes=i))
        for i, body in enumerate(bodies())
    ]
    copies = [
        page(f"https://second.example/wire/{i}", f"Story {i} (copy)", edited_copy(p["content"]),
             T0 + timedelta(hours=2, minutes=i))
        for i, p in enumerate(originals)
    ]  # fmt: skip
    env = {**isolated_env, "WIREFEED_METRICS_PORT": str(free_port())}
    settings = settings_from(env)
    log = tmp_path / "worker.log"
    first = start_cli(["worker"], env, log)
    try:
        replay_paths(settings, kafka_bootstrap, [write_jsonl(tmp_path / "a.jsonl", originals)], "", "test")
        seen = articles_by_id(settings, kafka_bootstrap, ids_of(originals))
        assert seen.keys() == ids_of(originals), log.read_text()[-3000:]
        assert all(a["duplicate_of"] is None for a in seen.values())
        time.sleep(3)  # past the commit interval: what a crash after N articles looks like
    finally:
        stop(first, sig=signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL

    # a fresh local state directory: the dedupe table must be restored from its changelog
    restarted_env = {**env, "WIREFEED_DATA_DIR": str(tmp_path / "data-after-kill")}
    second = start_cli(["worker"], restarted_env, log)
    try:
        replay_paths(settings, kafka_bootstrap, [write_jsonl(tmp_path / "b.jsonl", copies)], "", "test")
        everything = articles_by_id(settings, kafka_bootstrap, ids_of(originals + copies))
    finally:
        code = stop(second)
    assert code == 0
    for original, copy in zip(originals, copies, strict=True):
        copy_id = article_id(canonical_url(copy["url"]))
        assert copy_id in everything, log.read_text()[-3000:]
        assert everything[copy_id]["duplicate_of"] == article_id(canonical_url(original["url"]))
        assert everything[copy_id]["story_id"] == everything[copy_id]["duplicate_of"]


def test_two_workers_on_four_partitions_flag_copies_that_landed_on_other_partitions(
    tmp_path: Path, isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    env = {**isolated_env, "WIREFEED_PARTITIONS": "4"}
    originals = [
        page(f"https://first.example/news/{i}", f"Story {i}", body, T0 + timedelta(minutes=i))
        for i, body in enumerate(bodies())
    ]
    copies = []
    for i, original in enumerate(originals):
        # pick a copy URL whose key lands on another raw partition than the original's
        suffix = next(
            s for s in range(100)
            if raw_partition(f"https://second.example/wire/{i}-{s}", 4) != raw_partition(original["url"], 4)
        )  # fmt: skip
        copies.append(page(f"https://second.example/wire/{i}-{suffix}", f"Story {i} (copy)",
                           edited_copy(original["content"]), T0 + timedelta(hours=2, minutes=i)))  # fmt: skip
    settings = settings_from(env)
    workers = [
        start_cli(["worker"], {**env, "WIREFEED_METRICS_PORT": str(free_port()),
                               "WIREFEED_DATA_DIR": str(tmp_path / f"data-{n}")}, tmp_path / f"worker-{n}.log")
        for n in range(2)
    ]  # fmt: skip
    try:
        replay_paths(settings, kafka_bootstrap, [write_jsonl(tmp_path / "a.jsonl", originals)], "", "test")
        seen = articles_by_id(settings, kafka_bootstrap, ids_of(originals))
        assert seen.keys() == ids_of(originals), (tmp_path / "worker-0.log").read_text()[-3000:]
        replay_paths(settings, kafka_bootstrap, [write_jsonl(tmp_path / "b.jsonl", copies)], "", "test")
        everything = articles_by_id(settings, kafka_bootstrap, ids_of(originals + copies))
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    for original, copy in zip(originals, copies, strict=True):
        copy_id = article_id(canonical_url(copy["url"]))
        assert everything[copy_id]["duplicate_of"] == article_id(canonical_url(original["url"]))
    assert all(everything[article_id(canonical_url(o["url"]))]["duplicate_of"] is None for o in originals)
