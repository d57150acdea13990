"""The index sink against its ceilings, on the same documents, in one run.

    python bench/index.py [--docs 20000] [--rate 50] [--seconds 30] [--rounds 2] [--refresh 1s]
                          [--probe-ms 50] [--latency-only]

Starts a local Kafka broker and a local OpenSearch 2.19 node (or uses WIREFEED_KAFKA_BOOTSTRAP /
WIREFEED_OPENSEARCH_URL), puts N articles (real seed texts, distinct ids) on a fresh
wire.articles, then measures:
  0. a warm-up bulk on a throwaway index (the node's JIT and caches), then alternating rounds of:
  1. the sink (``agents.index.IndexSink``, the code ``wirefeed index`` runs) from wire.articles
     into OpenSearch: documents/s from its first record read to caught up (every offset committed);
  2. the raw ceiling: opensearch-py ``helpers.streaming_bulk`` of the same documents, already
     built in memory, into a fresh index of the same template, same chunk size, same node;
  3. the sink into the embedded SQLite index;
  4. latency at a steady rate (default 50 articles/s), on OpenSearch and on the embedded index:
     the sink runs as a process of its own (as ``wirefeed index`` does) and articles are
     published once it has joined its group (its start-up is printed apart); publish (the
     broker's ack) to searchable (the end of the first search that finds the id; searches
     run 50 ms apart), p50/p99 beside the settings used (refresh interval read back from the
     index, batch window, Kafka fetch wait), split into publish->read, read->bulk, bulk and
     ack->searchable, plus where the slowest 1 % spent their time.
Targets: sink >= 0.8x the raw ceiling; p99 < 2 s at 50 articles/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opensearchpy import OpenSearch, helpers  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from agents.broker import LocalBroker, free_port  # noqa: E402
from agents.index import FETCH_MAX_WAIT_MS, IndexSink  # noqa: E402
from agents.kafka import ensure_topics, make_producer  # noqa: E402
from agents.opensearch import LocalOpenSearch  # noqa: E402
from bench.data import SEEDS  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.index.documents import build_document  # noqa: E402
from pipeline.index.embedded import EmbeddedIndex  # noqa: E402
from pipeline.index.mapping import first_index_body, index_name, index_template  # noqa: E402
from pipeline.index.opensearch import OpenSearchIndex  # noqa: E402
from schemas import Article  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True, width=200)
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


class _TimedBackend:
    """Wraps a backend: when each document's bulk request was sent and acknowledged (wall clock)."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - any IndexBackend
        self.inner = inner
        self.name = inner.name
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}

    def __getattr__(self, attr: str):  # noqa: ANN204 - ensure, close, ... go to the real backend
        return getattr(self.inner, attr)

    def bulk(self, actions):  # noqa: ANN001, ANN201
        started = time.time()
        results = self.inner.bulk(actions)
        done = time.time()
        for action in actions:
            self.sent.setdefault(action.doc_id, started)
            self.acked[action.doc_id] = done
        return results


class _TimedSink(IndexSink):
    """The real sink, noting when each record was read from wire.articles."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.read_at: dict[str, float] = {}

    def _add(self, tp, record) -> None:  # noqa: ANN001
        self.read_at.setdefault((record.key or b"").decode(), time.time())
        super()._add(tp, record)


def _sink_process(settings: Settings, bootstrap: str, kind: str, group: str, out: str,
                  ready, stop) -> None:  # noqa: ANN001 - multiprocessing events
    """The sink as ``wirefeed index`` runs it, a process of its own; its stage times go to ``out``."""
    inner = OpenSearchIndex.from_settings(settings) if kind == "opensearch" else EmbeddedIndex(settings.index_path)
    backend = _TimedBackend(inner)
    sink = _TimedSink(settings, bootstrap, backend, group=group)

    def watch() -> None:
        while not sink.consumer.assignment() and not stop.is_set():  # joined the group: ready to time
            time.sleep(0.05)
        ready.set()
        stop.wait()
        sink.stop()

    threading.Thread(target=watch, daemon=True).start()
    sink.run()
    Path(out).write_text(json.dumps({"read": sink.read_at, "sent": backend.sent, "acked": backend.acked}))


@dataclass
class Latency:
    """publish -> searchable per article, and where it went (seconds, wall clock)."""

    total: list[float]
    stages: dict[str, list[float]]  # publish->read, read->bulk, bulk, ack->searchable
    probe: list[float]  # how long each round of the searching loop took: the detection's resolution
    seen: int
    wanted: int
    start_s: float  # the sink's start to joined group (left out: no article is published before it)
    tail: dict[str, float] = field(default_factory=dict)  # mean of each stage over the slowest 1 %
    refresh: str = "none (a commit is searchable)"  # the index's refresh interval, read back from it
    refreshes: tuple[int, float] | None = None  # the node's refreshes of the index in the phase, mean seconds


def latency_phase(settings: Settings, bootstrap: str, kind: str, articles: list[Article], rate: float,
                  find, probe_s: float) -> Latency:  # noqa: ANN001 - find(ids) -> the ids among them that are searchable now
    """publish -> searchable for each article at ``rate``, the sink running as a process of its own.

    Publishing starts once the sink has joined its group (its start-up is a one-off, reported
    apart). "Published" is the broker's ack of the record; "searchable" is the end of the first
    search that finds it (the searching loop runs back to back, 5 ms apart: its round time,
    printed, is the resolution and only ever adds to the figure).
    """
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    out = Path(tempfile.mkstemp(prefix="wirefeed-bench-lat-", suffix=".json")[1])
    group = f"lat-{kind}-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    child = ctx.Process(target=_sink_process, args=(settings, bootstrap, kind, group, str(out), ready, stop))
    child.start()
    if not ready.wait(180):
        stop.set()
        child.join(60)
        raise RuntimeError("the latency sink did not join its group")
    start_s = time.monotonic() - started
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    probe: list[float] = []
    publisher = threading.Thread(target=publish, args=(settings, bootstrap, articles, rate, sent_at))
    publisher.start()
    deadline = time.monotonic() + len(articles) / rate + 120
    wanted = {a.id for a in articles}
    while len(seen_at) < len(wanted) and time.monotonic() < deadline:
        pending = [i for i in list(sent_at) if i not in seen_at]
        if pending:
            began = time.time()
            found = find(pending)
            now = time.time()
            probe.append(now - began)
            for doc_id in found:
                seen_at.setdefault(doc_id, now)
        time.sleep(probe_s)
    publisher.join()
    stop.set()
    child.join(120)
    empty = {"read": {}, "sent": {}, "acked": {}}  # the sink died before writing its times
    timed = json.loads(out.read_text()) if out.exists() and out.stat().st_size else empty
    out.unlink(missing_ok=True)
    read, bulk_sent, acked = timed["read"], timed["sent"], timed["acked"]
    stages: dict[str, list[float]] = {"publish->read": [], "read->bulk": [], "bulk": [], "ack->searchable": []}
    rows = []  # (total, its four stages), for the slowest 1 %
    for i in seen_at:
        if i in read and i in bulk_sent and i in acked:
            parts = (read[i] - sent_at[i], bulk_sent[i] - read[i], acked[i] - bulk_sent[i], seen_at[i] - acked[i])
            for name, part in zip(stages, parts, strict=True):
                stages[name].append(part)
            rows.append((seen_at[i] - sent_at[i], parts))
    rows.sort(reverse=True)
    slowest = rows[: max(1, len(rows) // 100)] if rows else []
    tail = {name: sum(r[1][k] for r in slowest) / len(slowest) for k, name in enumerate(stages)} if slowest else {}
    return Latency(sorted(seen_at[i] - sent_at[i] for i in seen_at), {k: sorted(v) for k, v in stages.items()},
                   sorted(probe), len(seen_at), len(wanted), start_s, tail)


def opensearch_finder(client: OpenSearch, alias: str):  # noqa: ANN201
    def find(ids: list[str]) -> list[str]:
        found = client.search(index=alias, body={"size": len(ids), "_source": False, "query": {"ids": {"values": ids}}})
        return [hit["_id"] for hit in found["hits"]["hits"]]
    return find


def embedded_finder(path: Path):  # noqa: ANN201
    def find(ids: list[str]) -> list[str]:
        # a docs row and its docs_fts row are written in the same transaction: one visible, both are
        db = None
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            marks = ",".join("?" * len(ids))
            return [r[0] for r in db.execute(f"SELECT id FROM docs WHERE deleted = 0 AND id IN ({marks})", ids)]
        except sqlite3.OperationalError:  # the sink has not created the file or its tables yet
            return []
        finally:
            if db is not None:
                db.close()
    return find


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run_latency(settings: Settings, bootstrap: str, client: OpenSearch, tmp: Path, run: str,
                args: argparse.Namespace) -> dict[str, Latency]:
    """The latency phases: into a fresh OpenSearch index, then into a fresh embedded file."""
    out: dict[str, Latency] = {}
    count = int(args.rate * args.seconds)
    for kind in ("opensearch", "embedded"):
        # a topic and an index of their own: the sink starts with nothing behind it
        s = settings.model_copy(update={"topic_articles": f"bench.{run}.lat-{kind}",
                                        "opensearch_alias": f"bench-lat-{run}",
                                        "index_path": tmp / "latency.sqlite"})
        ensure_topics(s, bootstrap)
        if kind == "opensearch":
            OpenSearchIndex.from_settings(s).ensure()  # so its refresh interval can be read back
            if args.refresh:
                client.indices.put_settings(index=s.opensearch_alias,
                                            body={"index": {"refresh_interval": args.refresh}})
            find = opensearch_finder(client, s.opensearch_alias)
        else:
            find = embedded_finder(tmp / "latency.sqlite")
        before = refresh_stats(client, s.opensearch_alias) if kind == "opensearch" else None
        with console.status(f"publish -> searchable, {kind}, {args.rate:g} articles/s for {args.seconds:g} s"):
            out[kind] = latency_phase(s, bootstrap, kind, make_articles(count, f"{run}{kind[:3]}"), args.rate, find,
                                     args.probe_ms / 1000)
        if kind == "opensearch":
            live = client.indices.get_settings(index=s.opensearch_alias, name="index.refresh_interval")
            out[kind].refresh = next(iter(live.values()))["settings"]["index"]["refresh_interval"]
            after = refresh_stats(client, s.opensearch_alias)
            refreshes = after["total"] - before["total"]
            out[kind].refreshes = (refreshes, (after["total_time_in_millis"] - before["total_time_in_millis"])
                                   / max(refreshes, 1) / 1000)
    return out


def refresh_stats(client: OpenSearch, alias: str) -> dict[str, int]:
    return client.indices.stats(index=alias, metric="refresh")["_all"]["primaries"]["refresh"]


def print_latency(lat: dict[str, Latency], settings: Settings, args: argparse.Namespace) -> None:
    table = Table(title=(f"publish -> searchable at {args.rate:g} articles/s for {args.seconds:g} s "
                         f"(sink in its own process; batch wait {settings.index_batch_wait_s} s, "
                         f"fetch wait {FETCH_MAX_WAIT_MS} ms; target p99 < 2 s)"),
                  title_justify="left")
    table.add_column("index")
    table.add_column("refresh")
    table.add_column("p50 s", justify="right")
    table.add_column("p99 s", justify="right")
    table.add_column("max s", justify="right")
    for stage in ("publish->read", "read->bulk", "bulk", "ack->searchable", "probe"):
        table.add_column(f"{stage} p50/p99", justify="right")
    table.add_column("seen", justify="right")
    for kind, la in lat.items():
        cells = [f"{pct(v, 0.5):.2f}/{pct(v, 0.99):.2f}" for v in la.stages.values()]
        cells.append(f"{pct(la.probe, 0.5):.2f}/{pct(la.probe, 0.99):.2f}")
        table.add_row(kind, la.refresh, f"{pct(la.total, 0.5):.2f}", f"{pct(la.total, 0.99):.2f}",
                      f"{la.total[-1] if la.total else float('nan'):.2f}", *cells, f"{la.seen}/{la.wanted}")
    console.print(table)
    for kind, la in lat.items():
        console.print(f"{kind}, slowest 1 % on average: "
                      + ", ".join(f"{name} {sec:.2f} s" for name, sec in la.tail.items()))
        if la.refreshes:
            console.print(f"{kind}: the node refreshed the index {la.refreshes[0]} times in the phase, "
                          f"{la.refreshes[1]:.2f} s each on average (the floor of ack->searchable is one "
                          f"refresh interval plus refresh time)")
    console.print("sink start-up (join its group, before any article is published): "
                  + ", ".join(f"{k} {la.start_s:.1f} s" for k, la in lat.items())
                  + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=50.0, help="articles/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    parser.add_argument("--rounds", type=int, default=2, help="alternating raw/sink rounds (best of each)")
    parser.add_argument("--refresh", default=None,
                        help="refresh_interval of the latency phase's index (default: the template's)")
    parser.add_argument("--probe-ms", type=float, default=50.0,
                        help="pause between the latency phase's searches for the pending ids")
    parser.add_argument("--latency-only", action="store_true", help="only the publish -> searchable phases")
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
        client = OpenSearch(hosts=[url], timeout=120)
        if args.latency_only:
            print_latency(run_latency(settings, bootstrap, client, tmp, run, args), settings, args)
            return
        articles = make_articles(args.docs, run)
        with console.status(f"publishing {len(articles)} articles"):
            publish(settings, bootstrap, articles)
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
        lat = run_latency(settings, bootstrap, client, tmp, run, args)

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
        print_latency(lat, settings, args)
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
