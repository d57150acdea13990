"""The index sink against its ceilings, on the same documents, in one run.

    python bench/index.py [--docs 20000] [--rate 50] [--seconds 30]

Starts a local Kafka broker and a local OpenSearch 2.19 node (or uses WIREFEED_KAFKA_BOOTSTRAP /
WIREFEED_OPENSEARCH_URL), puts N articles (real seed texts, distinct ids) on a fresh
wire.articles, then measures:
  0. a warm-up bulk on a throwaway index (the node's JIT and caches), then alternating rounds of:
  1. the sink (``agents.index.IndexSink``, the code ``wirefeed index`` runs) from wire.articles
     into OpenSearch: documents/s from its first record read to caught up (every offset committed);
  2. the raw ceiling: opensearch-py ``helpers.streaming_bulk`` of the same documents, already
     built in memory, into a fresh index of the same template, same chunk size, same node;
  3. the sink into the embedded SQLite index;
  4. latency at a steady rate (default 50 articles/s): publish on wire.articles (the producer's
     send time) to searchable (first seen by a search polling every 20 ms), p50/p99, with the
     index's refresh interval stated.
Targets: sink >= 0.8x the raw ceiling; p99 < 2 s at 50 articles/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opensearchpy import OpenSearch, helpers  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from agents.broker import LocalBroker, free_port  # noqa: E402
from agents.index import IndexSink  # noqa: E402
from agents.kafka import ensure_topics, make_producer  # noqa: E402
from agents.opensearch import LocalOpenSearch  # noqa: E402
from bench.data import SEEDS  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.index.documents import build_document  # noqa: E402
from pipeline.index.embedded import EmbeddedIndex  # noqa: E402
from pipeline.index.mapping import REFRESH_INTERVAL, first_index_body, index_name, index_template  # noqa: E402
from pipeline.index.opensearch import OpenSearchIndex  # noqa: E402
from schemas import Article  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True)
T0 = datetime(2024, 6, 18, tzinfo=UTC)


def make_articles(n: int, run: str) -> list[Article]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] or ["A plain wire story. " * 200]
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        lines = [line for line in text.splitlines() if line.strip()]
        out.append(Article(
            id=f"{run}-{i}", url=f"https://bench.example/{run}/{i}", canonical_url=f"https://bench.example/{run}/{i}",
            source=f"bench wire {i % 7}", title=f"{lines[0][:120]} ({i})", body="\n".join(lines[1:]) + f"\nStory {i}.",
            lang="en", published_at=T0 + timedelta(seconds=i), fetched_at=T0 + timedelta(seconds=i),
            content_hash=f"{run}{i:08d}", story_id=f"{run}-s{i // 3}",
            topics=[{"code": "medtop:11000000", "label": "politics", "score": 0.9}],
            entities=[{"name": "Vladimir Putin", "type": "person"}],
        ))
    return out


def publish(settings: Settings, bootstrap: str, articles: list[Article], rate: float = 0.0,
            sent_at: dict[str, float] | None = None) -> None:
    producer = make_producer(settings, bootstrap)
    try:
        started = time.monotonic()
        for n, a in enumerate(articles):
            if rate:
                ahead = n / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            producer.send(settings.topic_articles, key=a.id.encode(), value=a.model_dump_json().encode())
            if sent_at is not None:
                producer.flush()  # the record is on the broker: "published"
                sent_at[a.id] = time.time()
        producer.flush(120)
    finally:
        producer.close(30)


def sink_run(settings: Settings, bootstrap: str, backend, group: str) -> float:  # noqa: ANN001
    """Seconds for a fresh sink group to index everything on the topic: first record read to all committed.

    The consumer group's join (a one-off second or two, before any record) is left out, as the
    raw run leaves out building its client.
    """
    sink = IndexSink(settings, bootstrap, backend, group=group)
    stats = sink.run(until_caught_up=True, timeout_s=900)
    return time.monotonic() - stats.first_record_at


def raw_ceiling(client: OpenSearch, alias: str, articles: list[Article], chunk: int) -> float:
    """Seconds for helpers.streaming_bulk to index the same documents (built beforehand) into a fresh index."""
    client.indices.put_index_template(name=alias, body=index_template(alias))
    client.indices.create(index=index_name(alias, 1), body=first_index_body(alias))
    docs = [build_document(a) for a in articles]
    actions = ({"_index": alias, "_id": d["id"], "_source": d} for d in docs)
    started = time.perf_counter()
    for ok, item in helpers.streaming_bulk(client, actions, chunk_size=chunk, max_chunk_bytes=5_000_000,
                                           raise_on_error=True):
        assert ok, item
    return time.perf_counter() - started


def latency_phase(settings: Settings, bootstrap: str, index: OpenSearchIndex, articles: list[Article],
                  rate: float) -> list[float]:
    """publish -> searchable for each article, with the sink running and a search polling every 20 ms."""
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    group = f"lat-{uuid.uuid4().hex[:6]}"
    sink = IndexSink(settings, bootstrap, OpenSearchIndex(index.client, index.alias), group=group)
    runner = threading.Thread(target=sink.run, daemon=True)
    runner.start()
    publisher = threading.Thread(target=publish, args=(settings, bootstrap, articles, rate, sent_at))
    publisher.start()
    deadline = time.monotonic() + len(articles) / rate + 120
    wanted = {a.id for a in articles}
    while len(seen_at) < len(wanted) and time.monotonic() < deadline:
        pending = [i for i in list(sent_at) if i not in seen_at]
        if pending:
            found = index.client.search(index=index.alias, body={
                "size": len(pending), "_source": False, "query": {"ids": {"values": pending}}})
            now = time.time()
            for hit in found["hits"]["hits"]:
                seen_at.setdefault(hit["_id"], now)
        time.sleep(0.02)
    publisher.join()
    sink.stop()
    runner.join(60)
    return sorted(seen_at[i] - sent_at[i] for i in seen_at)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=50.0, help="articles/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    parser.add_argument("--rounds", type=int, default=2, help="alternating raw/sink rounds (best of each)")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    tmp = Path(tempfile.mkdtemp(prefix="wirefeed-bench-index-"))
    tmp.chmod(0o755)  # the OpenSearch node runs as nobody and keeps its state in here
    started: list = []
    try:
        bootstrap = os.environ.get("WIREFEED_KAFKA_BOOTSTRAP")
        if not bootstrap:
            broker = LocalBroker(tmp / "kafka", port=free_port(), controller_port=free_port())
            with console.status("starting Kafka"):
                bootstrap = broker.start()
            started.append(broker)
        url = os.environ.get("WIREFEED_OPENSEARCH_URL")
        if not url:
            node = LocalOpenSearch(tmp / "opensearch")
            with console.status("starting OpenSearch"):
                url = node.start()
            started.append(node)
        settings = Settings(kafka_bootstrap=bootstrap, topic_articles=f"bench.{run}.articles",
                            topic_dlq=f"bench.{run}.dlq", app_id=f"bench-{run}", opensearch_url=url,
                            opensearch_alias=f"bench-{run}", data_dir=tmp)
        ensure_topics(settings, bootstrap)
        articles = make_articles(args.docs, run)
        with console.status(f"publishing {len(articles)} articles"):
            publish(settings, bootstrap, articles)
        client = OpenSearch(hosts=[url], timeout=120)
        chunk = settings.index_batch_docs

        with console.status("warming the node up (JIT, caches) on a throwaway index"):
            raw_ceiling(client, f"bench-warm-{run}", articles[: min(len(articles), 2000)], chunk)
        raw_runs: list[float] = []
        sink_runs: list[float] = []
        for rnd in range(args.rounds):  # alternate, so load on the shared machine hits both alike
            with console.status(f"round {rnd + 1}: raw ceiling, helpers.streaming_bulk"):
                raw_runs.append(raw_ceiling(client, f"bench-raw{rnd}-{run}", articles, chunk))
            with console.status(f"round {rnd + 1}: sink -> OpenSearch"):
                s = settings.model_copy(update={"opensearch_alias": f"bench-sink{rnd}-{run}"})
                sink_runs.append(sink_run(s, bootstrap, OpenSearchIndex.from_settings(s), f"bench-{run}-os{rnd}"))
        with console.status("sink -> embedded"):
            emb_s = sink_run(settings, bootstrap, EmbeddedIndex(tmp / "index.sqlite"), f"bench-{run}-emb")
        raw_s, sink_s = min(raw_runs), min(sink_runs)
        last = settings.model_copy(update={"opensearch_alias": f"bench-sink{args.rounds - 1}-{run}"})
        index = OpenSearchIndex.from_settings(last)
        index.refresh()
        indexed = index.count()
        lat_articles = make_articles(int(args.rate * args.seconds), f"{run}lat")
        # a topic of its own: the latency sink starts with nothing behind it
        lat_settings = settings.model_copy(update={"topic_articles": f"bench.{run}.latency"})
        ensure_topics(lat_settings, bootstrap)
        with console.status(f"latency at {args.rate:g} articles/s for {args.seconds:g} s"):
            latencies = latency_phase(lat_settings, bootstrap, index, lat_articles, args.rate)

        n = len(articles)
        table = Table(title=f"bench/index.py: {n} articles, chunk {chunk}, one OpenSearch node (heap 512m)",
                      title_justify="left")
        table.add_column("path")
        table.add_column("docs/s", justify="right")
        table.add_column("seconds", justify="right")
        table.add_column("rounds (s)", justify="right")
        table.add_row("raw helpers.streaming_bulk (in memory)", f"{n / raw_s:,.0f}", f"{raw_s:.1f}",
                      " ".join(f"{r:.1f}" for r in raw_runs))
        table.add_row("sink wire.articles -> OpenSearch", f"{n / sink_s:,.0f}", f"{sink_s:.1f}",
                      " ".join(f"{r:.1f}" for r in sink_runs))
        table.add_row("sink wire.articles -> embedded SQLite", f"{n / emb_s:,.0f}", f"{emb_s:.1f}")
        console.print(table)
        ratio = raw_s / sink_s
        console.print(f"sink / raw ceiling = {ratio:.2f} (best of {args.rounds} alternating rounds each; "
                      f"target >= 0.8); documents in the last sink index: {indexed}; "
                      f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        console.print(
            f"publish -> searchable at {args.rate:g} articles/s, refresh_interval {REFRESH_INTERVAL}, "
            f"batch wait {settings.index_batch_wait_s} s: p50 {pct(latencies, 0.5):.2f} s, "
            f"p99 {pct(latencies, 0.99):.2f} s, max {latencies[-1] if latencies else float('nan'):.2f} s "
            f"({len(latencies)}/{len(lat_articles)} seen; target p99 < 2 s)"
        )
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
