"""Inputs and bookkeeping for the fault tests: many cheap, distinct wire pages, and a ledger that
says for every input where it ended up (wire.articles, wire.dlq, or nowhere)."""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from agents.kafka import ensure_topics
from pipeline.config import Settings
from pipeline.ids import article_id, canonical_url
from tests.conftest import settings_from
from tests.helpers import Routes

_WHO = ["The city council", "Port officials", "A union spokesman", "The finance ministry", "Regional police",
        "Hospital managers", "The central bank", "Farmers' groups", "The electoral commission", "Rail operators",
        "A court in the capital", "Energy regulators", "School inspectors", "Fishermen on the coast",
        "The football association", "Museum curators", "Airline executives", "Water engineers"]
_DID = ["announced on {day} that", "said in a statement on {day} that", "told reporters on {day} that",
        "confirmed late on {day} that", "warned on {day} that", "denied on {day} reports that"]
_WHAT = ["{n} new inspectors would be hired before the end of the year",
         "a budget of {n} million would be spent on repairs to the old {thing}",
         "talks over the {thing} had stalled after {n} hours without agreement",
         "the {thing} in {place} would reopen next month after {n} weeks of works",
         "more than {n} residents had signed a petition against the {thing}",
         "prices for the {thing} had risen by {n} percent since the spring",
         "a review of the {thing} found {n} cases that had not been reported",
         "the {thing} near {place} had been closed while {n} experts examined it"]
_THING = ["bridge", "harbour wall", "grain silo", "power station", "water plant", "stadium", "library",
          "ferry terminal", "tram line", "hospital wing", "border crossing", "steel mill", "dam", "airport"]
_PLACE = ["Northport", "Easton", "Lakeside", "Hillford", "Marsh End", "Old Quay", "Riverside", "Westmoor",
          "Kingsbridge", "Saltby", "Greenhaven", "Stonecross", "Ashdown", "Brightwater"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_WHO)} {rng.choice(_DID).format(day=rng.choice(_DAYS))} "
            + rng.choice(_WHAT).format(n=rng.randint(2, 9999), thing=rng.choice(_THING), place=rng.choice(_PLACE))
            + ".")


def page(i: int, run: str, base: str = "https://wire.example.org") -> dict:
    """RawPage ``i`` of a run: text/plain, a title and 3-4 sentences of running text, distinct per ``i``."""
    rng = random.Random(f"{run}:{i}")
    sentences = [_sentence(rng) for _ in range(rng.randint(3, 4))]
    sentences[0] = f"Story {i} of run {run}: " + sentences[0]  # no two bodies are equal
    title = f"{rng.choice(_THING).capitalize()} news from {rng.choice(_PLACE)} ({i})"
    fetched = datetime(2024, 6, 18, tzinfo=UTC) + timedelta(seconds=i)
    return {
        "url": f"{base}/{run}/story-{i}.txt",
        "content": "\n\n".join(sentences),
        "content_type": "text/plain",
        "fetched_at": fetched.isoformat(),
        "title": title,
        "source": "faults wire",
    }


def slow_page(i: int, run: str, paragraphs: int = 1000) -> dict:
    """Page ``i`` with ``paragraphs`` more paragraphs of distinct prose: about half a CPU second of stage work."""
    record = page(i, run)
    rng = random.Random(f"slow:{run}:{i}")
    more = (" ".join(_sentence(rng) for _ in range(3)) for _ in range(paragraphs))
    record["content"] += "\n\n" + "\n\n".join(more)
    return record


def stage_process_pids(worker_pid: int) -> list[int]:
    """The worker's stage process (its child started by multiprocessing's spawn), by /proc."""
    from pathlib import Path

    pids = []
    for task in Path(f"/proc/{worker_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(child))
    return pids


def bad_lines(run: str) -> dict[str, bytes]:
    """Inputs that can only become dead letters, by a marker found in the letter's ``original``."""
    return {
        f"badjson-{run}": f'{{"url": "https://wire.example.org/{run}/badjson-{run}", "content": '.encode(),
        f"noturl-{run}": json.dumps({"url": f"ftp://x/noturl-{run}", "content": "x", "title": f"noturl-{run}"}
                                    ).encode(),
        f"nocontent-{run}": json.dumps({"url": f"https://wire.example.org/{run}/nocontent-{run}"}).encode(),
        f"empty-{run}": json.dumps({"url": f"https://wire.example.org/{run}/empty-{run}", "content": "  ",
                                    "content_type": "text/plain"}).encode(),
        f"notobject-{run}": json.dumps([f"notobject-{run}"]).encode(),
    }


def input_id(url: str) -> str:
    return article_id(canonical_url(url))


@dataclass
class Ledger:
    """Where every input went: article ids on wire.articles (with every copy), dead letters by id/marker."""

    expected_ids: set[str]
    expected_markers: set[str]
    copies: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))
    dead_ids: Counter = field(default_factory=Counter)
    dead_markers: Counter = field(default_factory=Counter)

    def add_articles(self, values: Iterable[bytes]) -> None:
        for value in values:
            self.copies[json.loads(value)["id"]].append(value)

    def add_dead_letters(self, values: Iterable[bytes]) -> None:
        for value in values:
            letter = json.loads(value)
            if letter.get("url"):
                self.dead_ids[input_id(letter["url"])] += 1
            for marker in self.expected_markers:
                if marker in (letter.get("original") or ""):
                    self.dead_markers[marker] += 1

    @property
    def missing_ids(self) -> set[str]:
        return self.expected_ids - set(self.copies) - set(self.dead_ids)

    @property
    def missing_markers(self) -> set[str]:
        return self.expected_markers - set(self.dead_markers)

    @property
    def missing(self) -> int:
        return len(self.missing_ids) + len(self.missing_markers)

    @property
    def redelivered(self) -> dict[str, list[bytes]]:
        """Article ids published more than once."""
        return {k: v for k, v in self.copies.items() if len(v) > 1}

    @property
    def differing(self) -> dict[str, list[bytes]]:
        """Re-delivered ids whose copies are not byte-identical records."""
        return {k: v for k, v in self.redelivered.items() if len(set(v)) > 1}

    def differing_except(self, ignore: tuple[str, ...] = ()) -> dict[str, list[bytes]]:
        """Like ``differing``, comparing the records without the ``ignore`` fields."""
        if not ignore:
            return self.differing

        def strip(value: bytes) -> str:
            return json.dumps({k: v for k, v in json.loads(value).items() if k not in ignore}, sort_keys=True)

        return {k: v for k, v in self.redelivered.items() if len({strip(x) for x in v}) > 1}

    def summary(self) -> dict[str, int]:
        return {
            "inputs": len(self.expected_ids) + len(self.expected_markers),
            "articles_distinct": len(self.copies),
            "articles_records": sum(len(v) for v in self.copies.values()),
            "dead_letter_inputs": len(set(self.dead_ids) & self.expected_ids) + len(self.dead_markers),
            "missing": self.missing,
            "redelivered_ids": len(self.redelivered),
            "redelivered_extra_records": sum(len(v) - 1 for v in self.redelivered.values()),
            "non_identical": len(self.differing),
        }


class Follower:
    """Reads wire.articles and wire.dlq from the beginning, incrementally, into a Ledger."""

    def __init__(self, settings, bootstrap: str, ledger: Ledger) -> None:  # noqa: ANN001
        from agents.kafka import make_consumer

        self.ledger = ledger
        self.topics = {settings.topic_articles: ledger.add_articles, settings.topic_dlq: ledger.add_dead_letters}
        self.consumer = make_consumer(
            settings, bootstrap, None, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        )
        # Assign every partition explicitly, once the topics are in the metadata. A group-less
        # subscription that first saw "topic not found" (just created, on a fresh broker) was not
        # assigned again before the next metadata refresh, 5 minutes later: the ledger stayed empty.
        from kafka import TopicPartition

        deadline = time.monotonic() + 60
        partitions: list[TopicPartition] = []
        for topic in self.topics:
            while not (found := self.consumer.partitions_for_topic(topic)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{topic} is not in the broker's metadata")
                time.sleep(0.2)
                self.consumer.topics()  # asks the broker again
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning(*partitions)

    def poll(self, timeout_ms: int = 1000) -> int:
        got = 0
        for tp, messages in self.consumer.poll(timeout_ms=timeout_ms, max_records=5000).items():
            self.topics[tp.topic](m.value for m in messages)
            got += len(messages)
        return got

    def follow_until(self, done, timeout_s: float) -> bool:  # noqa: ANN001
        """Poll until ``done(ledger)`` or the timeout; return whether it came true."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll()
            if done(self.ledger):
                return True
        return False

    def follow_while_progressing(self, done, stall_s: float = 120.0, timeout_s: float = 900.0) -> bool:  # noqa: ANN001
        """Poll until ``done(ledger)``; give up when nothing new arrived for ``stall_s`` (a stall), or
        after ``timeout_s`` in all. A loaded machine is slow, not stalled: a bound on the whole run
        would fail it for being slow; this fails it only for stopping."""
        import time

        start = last = time.monotonic()
        while time.monotonic() - start < timeout_s and time.monotonic() - last < stall_s:
            if self.poll():  # any article or dead letter is progress
                last = time.monotonic()
            if done(self.ledger):
                return True
        return False

    def drain(self, idle_s: float = 3.0, timeout_s: float = 30.0) -> None:
        """Keep reading until nothing new arrived for ``idle_s`` (late re-deliveries)."""
        import time

        deadline, last = time.monotonic() + timeout_s, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < idle_s:
            if self.poll(500):
                last = time.monotonic()

    def close(self) -> None:
        self.consumer.close()


def feed_site(run: str, items: int, page_delay_s: float) -> Routes:
    """An RSS feed of ``items`` text pages on 127.0.0.1; each page takes ``page_delay_s`` to serve."""
    routes: dict = {}
    site = Routes(routes)
    entries = []
    for i in range(items):
        p = page(i, run, base=f"http://127.0.0.1:{site.port}")
        path = p["url"].split(str(site.port), 1)[1]
        body = (p["title"] + "\n\n" + p["content"]).encode()

        def serve(_request: object, body: bytes = body) -> tuple[int, dict, bytes]:
            time.sleep(page_delay_s)
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, body

        routes[path] = serve
        entries.append(f"<item><title>{p['title']}</title><link>{p['url']}</link><guid>{p['url']}</guid>"
                       "<pubDate>Tue, 18 Jun 2024 10:00:00 GMT</pubDate></item>")
    feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>faults</title>'
            f"<link>http://127.0.0.1:{site.port}/</link><description>d</description>{''.join(entries)}"
            "</channel></rss>").encode()
    routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed)
    return site


class StreamSetup(NamedTuple):
    """A fault test's stream: the environment its processes get, their settings (topics created),
    and a short tag of this run that keeps its page ids apart from other runs on the same broker.
    A tuple, so a test takes what it needs: ``env, settings, run = stream_setup(...)``."""

    env: dict[str, str]
    settings: Settings
    run: str


def stream_setup(isolated_env: dict[str, str], bootstrap: str, **extra_env: str) -> StreamSetup:
    """The usual set-up: metrics on a free port unless ``extra_env`` says otherwise, topics created."""
    env = {**isolated_env, "WIREFEED_METRICS_PORT": "0", **extra_env}
    settings = settings_from(env)
    ensure_topics(settings, bootstrap)
    return StreamSetup(env, settings, env["WIREFEED_APP_ID"][-8:])
