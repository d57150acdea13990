"""``wirefeed demo`` and ``wirefeed run``: the whole product on this machine.

The demo serves the bundled sample (``sample/``: the seed stories as HTML pages
and an RSS feed) from 127.0.0.1, starts a broker (unless WIREFEED_KAFKA_BOOTSTRAP
is set) and a worker process, reads the feed once, waits until every sample item
came out of ``wire.articles``, writes them to a JSONL file, prints a summary and
stops everything it started.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from email.utils import format_datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from xml.sax.saxutils import escape

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.broker import REPO_ROOT, LocalBroker, free_port
from agents.kafka import make_consumer
from agents.processes import start_cli, stop_process
from agents.reader import build_reader
from pipeline.config import Settings
from pipeline.ids import article_id, canonical_url
from pipeline.ingest.feeds import FeedConfig, load_feeds_file
from schemas import Article

SAMPLE_DIR = REPO_ROOT / "sample"
console = Console(stderr=True)


def render_rss(manifest: list[dict], base_url: str) -> bytes:
    """The sample feed: one RSS item per sample page, links pointing at ``base_url``."""
    items = []
    for entry in manifest:
        when = datetime.fromisoformat(entry["published_at"].replace("Z", "+00:00"))
        items.append(
            "<item>"
            f"<title>{escape(entry['title'])}</title>"
            f"<link>{escape(base_url + 'pages/' + entry['file'])}</link>"
            f"<guid>{escape(base_url + 'pages/' + entry['file'])}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<source url=\"{escape(base_url)}\">{escape(entry.get('source') or 'sample wire')}</source>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>wirefeed sample wire</title>"
        f"<link>{escape(base_url)}</link><description>Bundled sample for wirefeed demo</description>"
        + "".join(items)
        + "</channel></rss>\n"
    ).encode("utf-8")


class LocalHTTPServer:
    """An HTTP server on 127.0.0.1 (``port`` 0: a free one), served from a daemon thread while a
    ``with`` block runs: the demo's sample site, and the fake sites of the tests."""

    def __init__(self, handler: Callable[..., BaseHTTPRequestHandler], port: int = 0) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SampleServer(LocalHTTPServer):
    """Serves ``sample/pages`` and ``/feed.xml`` on 127.0.0.1 from a thread."""

    def __init__(self, sample_dir: Path = SAMPLE_DIR) -> None:
        self.manifest = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}/"
        feed = render_rss(self.manifest, self.base_url)

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] == "/feed.xml":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(feed)))
                    self.end_headers()
                    self.wfile.write(feed)
                    return
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        super().__init__(partial(Handler, directory=str(sample_dir)), port)

    @property
    def feed_url(self) -> str:
        return self.base_url + "feed.xml"

    def page_urls(self) -> list[str]:
        return [self.base_url + "pages/" + entry["file"] for entry in self.manifest]


def collect_articles(
    settings: Settings, bootstrap: str, wanted: set[str], timeout_s: float, progress: Progress, task: int,
    alive: callable,
) -> dict[str, Article]:
    """Read wire.articles until every wanted id arrived (or time runs out)."""
    consumer = make_consumer(
        settings, bootstrap, settings.topic_articles,
        auto_offset_reset="earliest", enable_auto_commit=False, group_id=None, consumer_timeout_ms=500,
    )
    found: dict[str, Article] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not wanted <= found.keys():
            if not alive():
                break
            for message in consumer:
                article = Article.model_validate_json(message.value)
                if article.id in wanted and article.id not in found:
                    found[article.id] = article
                    progress.update(task, completed=len(found))
                if wanted <= found.keys():
                    break
    finally:
        consumer.close()
    return found


def summary_table(articles: list[Article]) -> Table:
    table = Table(title="wirefeed demo: articles on wire.articles", title_justify="left")
    table.add_column("title", max_width=48, no_wrap=True)
    table.add_column("source", max_width=16, no_wrap=True)
    table.add_column("words", justify="right", min_width=5)
    table.add_column("cut", justify="right", header_style="bold")
    table.add_column("duplicate / story", no_wrap=True)
    table.add_column("topics (top level)", no_wrap=True)
    for a in articles:
        dup = f"dup of {a.duplicate_of[:8]}" if a.duplicate_of else "original"
        top = [t for t in a.topics if t.code.endswith("000000")][:3]
        topics = ", ".join(f"{t.label.split(',')[0]} {t.score:.2f}" for t in top) or "-"
        table.add_row(
            a.title or "?", a.source or "-", str(len(a.body.split())), str(len(a.removed)),
            f"{dup} / {(a.story_id or '-')[:8]}", topics,
        )
    table.caption = "cut = boilerplate blocks the cleaner removed (rules in each record's removed[])"
    return table


def _isolated_settings(settings: Settings, data_dir: Path, bootstrap_external: bool) -> dict[str, str]:
    """Environment for this run's worker: its own state dir, metrics port and (external broker) names."""
    env = {
        "WIREFEED_DATA_DIR": str(data_dir),
        "WIREFEED_METRICS_PORT": str(free_port()),
        "WIREFEED_LOG_LEVEL": "WARNING",
    }
    if bootstrap_external:  # never mix demo records into a real broker's topics
        run = uuid.uuid4().hex[:8]
        for name in ("raw", "extracted", "deduped", "articles", "dlq"):
            env[f"WIREFEED_TOPIC_{name.upper()}"] = f"demo.{run}.{getattr(settings, 'topic_' + name)}"
        env["WIREFEED_APP_ID"] = f"wirefeed-demo-{run}"
    return env


def run_demo(settings: Settings, output: Path, timeout_s: float) -> int:
    """Run the demo; return the exit code."""
    data_dir = (Path(settings.data_dir) / "demo").resolve()
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh run every time: the demo reads its sample again
    data_dir.mkdir(parents=True)
    started = time.monotonic()
    with ExitStack() as stack:
        if settings.kafka_bootstrap:
            bootstrap = settings.kafka_bootstrap
            console.print(f"using the broker at [bold]{bootstrap}[/] (WIREFEED_KAFKA_BOOTSTRAP)")
        else:
            port = free_port()
            broker = LocalBroker(data_dir / "broker", port=port, controller_port=free_port())
            with console.status("starting Kafka (KRaft, 127.0.0.1) …"):
                bootstrap = broker.start()
            stack.callback(broker.stop)
            console.print(f"Kafka up at [bold]{bootstrap}[/]")
        env = _isolated_settings(settings, data_dir, bool(settings.kafka_bootstrap))
        run_settings = settings.model_copy(update={
            "kafka_bootstrap": bootstrap, "data_dir": data_dir,
            "reader_state": data_dir / "reader-state.json",
            "allow_private_hosts": "127.0.0.1", "per_host_delay_s": 0.0,
            **{k.removeprefix("WIREFEED_").lower(): v for k, v in env.items()
               if k.startswith(("WIREFEED_TOPIC_", "WIREFEED_APP_ID"))},
        })
        server = stack.enter_context(SampleServer())
        console.print(f"sample feed served at [bold]{server.feed_url}[/] ({len(server.manifest)} items)")
        worker = start_cli(["worker"], {**env, "WIREFEED_KAFKA_BOOTSTRAP": bootstrap}, data_dir / "worker.log")
        stack.callback(stop_process, worker)
        reader = build_reader(run_settings, bootstrap, [FeedConfig(server.feed_url, "sample wire")])
        try:
            results = reader.poll_once()
        finally:
            reader.close()
        produced = sum(r.produced for r in results)
        console.print(f"reader: {produced} pages produced to {run_settings.topic_raw}")
        wanted = {article_id(canonical_url(url)) for url in server.page_urls()}
        with Progress(
            TextColumn("waiting for articles"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console,
        ) as progress:
            task = progress.add_task("articles", total=len(wanted))
            found = collect_articles(
                run_settings, bootstrap, wanted, timeout_s, progress, task, lambda: worker.poll() is None
            )
        order = [article_id(canonical_url(url)) for url in server.page_urls()]
        articles = [found[i] for i in order if i in found]
        output.write_text("".join(a.model_dump_json() + "\n" for a in articles), encoding="utf-8")
        Console(stderr=True, width=max(console.width, 150)).print(summary_table(articles))
        missing = len(wanted) - len(articles)
        if missing:
            console.print(f"[bold red]{missing} of {len(wanted)} articles did not arrive[/]; "
                          f"worker log: {data_dir / 'worker.log'}")
            return 1
        if not index_and_search(run_settings, bootstrap, wanted, timeout_s):
            return 1
        console.print(
            f"[bold green]done[/]: {len(articles)} articles in {output} "
            f"({time.monotonic() - started:.0f}s, everything started was stopped)"
        )
    return 0


DEMO_QUERY = "partnership agreement Pyongyang"


def index_and_search(settings: Settings, bootstrap: str, wanted: set[str], timeout_s: float) -> bool:
    """Run the index sink until it caught up with wire.articles, then search the embedded index."""
    from agents.index import IndexSink
    from pipeline.index.embedded import EmbeddedIndex
    from pipeline.index.factory import embedded_path
    from pipeline.index.search import SearchQuery, render, search

    path = embedded_path(settings)
    with console.status("indexing wire.articles into the embedded index …"):
        sink = IndexSink(settings, bootstrap, EmbeddedIndex(path))
        stats = sink.run(until_caught_up=True, timeout_s=timeout_s)
    index = EmbeddedIndex(path)
    try:
        indexed = wanted & set(index.ids())
        console.print(f"index: {stats.written} documents written to [bold]{path}[/] "
                      f"({len(indexed)} of {len(wanted)} sample articles searchable)")
        groups = search(index, SearchQuery(DEMO_QUERY, include_duplicates=True))
    finally:
        index.close()
    console.print(f"[bold]wirefeed search[/] \"{DEMO_QUERY}\" --duplicates:")
    console.print(render(groups))
    if len(indexed) != len(wanted) or not groups:
        console.print("[bold red]the index does not hold every sample article[/]")
        return False
    return True


def run_continuously(settings: Settings, feeds_file: Path, poll_s: float = 1.0) -> int:
    """Broker (unless external or already running) + a worker and a reader process, until Ctrl-C/SIGTERM.

    Returns 0 after a requested stop, 1 when a child process died on its own (the other is
    then stopped too: a half pipeline must not look healthy). A broker this command did not
    start is left running.
    """
    load_feeds_file(feeds_file)  # a bad feeds file fails here, before anything starts
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    data_dir, feeds_file = Path(settings.data_dir).resolve(), feeds_file.resolve()  # children run elsewhere
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with ExitStack() as stack:
            if settings.kafka_bootstrap:
                bootstrap = settings.kafka_bootstrap
            else:
                from agents.broker import default_broker

                broker = default_broker()
                bootstrap = broker.start()
                if broker.launched:
                    stack.callback(broker.stop)
                else:
                    console.print(f"using the broker already running at {bootstrap} (left running at exit)")
            env = {"WIREFEED_KAFKA_BOOTSTRAP": bootstrap, "WIREFEED_DATA_DIR": str(data_dir)}
            children = {
                "worker": start_cli(["worker"], env, data_dir / "worker.log"),
                "reader": start_cli(["read", "--feeds", str(feeds_file)], env, data_dir / "reader.log"),
            }
            for proc in children.values():
                stack.callback(stop_process, proc)
            console.print(f"broker {bootstrap}; worker pid {children['worker'].pid}, reader pid "
                          f"{children['reader'].pid} (logs in {data_dir}); reading {feeds_file} — Ctrl-C to stop")
            while not stop.wait(poll_s):
                for name, proc in children.items():
                    if proc.poll() is not None:
                        console.print(f"[bold red]{name} (pid {proc.pid}) exited with {proc.returncode}[/]; "
                                      f"stopping the rest. Log: {data_dir / (name + '.log')}")
                        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
