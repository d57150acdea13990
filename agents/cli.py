"""The ``wirefeed`` command line: read, worker, process, replay, tail, index, search, feeds, broker,
opensearch, demo, run.

Commands that talk to Kafka import ``agents`` lazily, so ``process`` starts fast
and never needs a broker.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from pipeline.config import ConfigError, Settings, get_settings, misspelt_variables

if TYPE_CHECKING:
    from agents.broker import LocalServer

ONLY_HELP = "wirefeed.only_help"


class _WirefeedGroup(TyperGroup):
    """Notes, before the settings check runs, whether the command line only asks for help.

    Click clears the words after the command before it calls the group's callback, so the
    check could not tell ``wirefeed process --help`` from ``wirefeed process``: help would fail
    on a bad setting, which is when it is needed most.
    """

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        words = rest[: rest.index("--")] if "--" in rest else rest
        ctx.meta[ONLY_HELP] = any(word in ctx.help_option_names for word in words) or (
            isinstance(command, TyperGroup) and not words  # a group given no command shows its help
        )
        return name, command, rest


app = typer.Typer(
    cls=_WirefeedGroup,
    help="wirefeed: wire feeds in, clean deduplicated topic-tagged articles out, on Kafka.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
broker_app = typer.Typer(help="The local single-node Kafka broker for dev and CI.", no_args_is_help=True)
app.add_typer(broker_app, name="broker")
feeds_app = typer.Typer(help="Build a feeds file: what sites advertise.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
opensearch_app = typer.Typer(help="A local single-node OpenSearch for dev and CI.", no_args_is_help=True)
app.add_typer(opensearch_app, name="opensearch")
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    for line in message.splitlines() or [""]:  # escaped: a value may look like Rich markup
        err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    return typer.Exit(2)


@app.callback()
def _check_settings(ctx: typer.Context) -> None:
    """Refuse a bad WIREFEED_* setting before any command starts: one line per setting, exit 2.

    Help needs no settings, so it is shown whatever the environment holds.
    """
    if ctx.meta.get(ONLY_HELP) or ctx.resilient_parsing:
        return
    try:
        get_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    for warning in misspelt_variables():
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def _bootstrap(settings: Settings) -> str:
    """The broker to use: WIREFEED_KAFKA_BOOTSTRAP, else the local dev broker (must be running)."""
    from agents.broker import default_broker, port_open

    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    broker = default_broker()
    if not port_open(broker.port):
        raise _fail(
            f"no Kafka broker at {broker.bootstrap}: start one with `wirefeed broker start` "
            "or point WIREFEED_KAFKA_BOOTSTRAP at yours"
        )
    return broker.bootstrap


def _say_status(running: bool, address: str, pid: Callable[[], int | None]) -> None:
    """A local server's status line; exit 1 when it is stopped, so scripts can test it."""
    if not running:
        err.print("stopped")
        raise typer.Exit(1)
    err.print(f"running at {address} (pid {pid()})")


@contextmanager
def _gives_up_in_one_line(process: str, bootstrap: str) -> Iterator[None]:
    """A process that cannot reach Kafka ends with one fatal log line (no traceback), exit 1."""
    from kafka.errors import KafkaError

    try:
        yield
    except KafkaError as exc:
        logging.getLogger(f"wirefeed.{process}").critical(
            f"giving up: cannot reach Kafka at {bootstrap} ({type(exc).__name__}); "
            "check WIREFEED_KAFKA_BOOTSTRAP and that the broker runs",
            extra={"bootstrap": bootstrap, "error": str(exc)},
        )
        raise typer.Exit(1) from None


def _counted(lines: IO[bytes], progress: Any, task: Any) -> Iterator[bytes]:
    """The input's lines, advancing the progress bar by each line's bytes as it is read."""
    for n, line in enumerate(lines, 1):
        progress.update(task, advance=len(line), lines=n)
        yield line


@app.command()
def process(
    input: Path | None = typer.Option(None, "--input", "-i", help="RawPage JSONL (default: stdin)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Article JSONL (default: stdout)."),
    dlq: Path | None = typer.Option(None, "--dlq", help="Write dead letters here as JSONL (with their line number)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
    serial: bool = typer.Option(
        False, "--serial", help="Every stage in this process (default: extract in a second process)."
    ),
    max_errors: int | None = typer.Option(
        None, "--max-errors", min=0, help="Exit 1 when more than N lines were dead-lettered."
    ),
    max_error_ratio: float | None = typer.Option(
        None, "--max-error-ratio", min=0.0, max=1.0,
        help="Exit 1 when more than this fraction of lines were dead-lettered. Without either limit, "
        "a run exits 1 only when every line was.",
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."
    ),
) -> None:
    """Offline twin of the stream: RawPage JSONL -> Article JSONL, same code path."""
    settings = get_settings()
    with ExitStack() as stack:
        try:
            source: IO[bytes] = stack.enter_context(open(input, "rb")) if input else sys.stdin.buffer
            out: IO[str] = (
                stack.enter_context(open(output, "w", encoding="utf-8")) if output else sys.stdout
            )
            dlq_out = stack.enter_context(open(dlq, "w", encoding="utf-8")) if dlq else None
        except OSError as exc:
            raise _fail(str(exc)) from None
        if not source.peek(1):  # type: ignore[attr-defined]  # empty input: no models to load, done at once
            if not quiet:
                err.print("[bold]process[/]: 0 lines -> 0 articles (0 duplicates), 0 dead letters, 0 dropped")
            return
        from pipeline.tagging.language import preload

        preload()  # decompress the language model on another core while the rest is imported
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        from pipeline.process import process_lines
        from pipeline.stages import Pipeline

        show = (err.is_terminal if progress is None else progress) and not quiet
        bar = stack.enter_context(Progress(
            TextColumn("[bold]process[/]"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[lines]} lines"),
            TimeRemainingColumn(), console=err, disable=not show, transient=False,
        ))
        size = os.fstat(source.fileno()).st_size if input and input.is_file() else None
        lines = _counted(source, bar, bar.add_task("process", total=size or None, lines=0))
        parallel = not serial and (os.cpu_count() or 1) >= 2
        stats = process_lines(lines, Pipeline(settings), out, dlq_out, parallel=parallel)
    if not quiet:
        err.print(
            f"[bold]process[/]: {stats.lines} lines -> {stats.articles} articles "
            f"({stats.duplicates} duplicates), {stats.dead_letters} dead letters, {stats.dropped} dropped"
        )
    failure = stats.too_many_errors(max_errors, max_error_ratio)
    if failure:
        err.print(f"[bold red]error:[/] {escape(failure)}" + (f" (see {escape(str(dlq))})" if dlq else ""))
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run the Faust worker: extract -> dedupe -> tag -> wire.articles (failures -> wire.dlq)."""
    from agents.worker import run_worker
    from pipeline.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_repeat_s)
    bootstrap = _bootstrap(settings)
    with _gives_up_in_one_line("worker", bootstrap):
        run_worker(settings, bootstrap)


@app.command()
def read(
    feeds: Path = typer.Option(None, "--feeds", "-f", help="Feeds file (YAML); default WIREFEED_FEEDS_FILE."),
    once: bool = typer.Option(False, "--once", help="Poll every feed once, then exit."),
) -> None:
    """Poll feeds, fetch new items' pages, produce RawPages to wire.raw."""
    from agents.reader import run_reader
    from pipeline.ingest.feeds import FeedError, load_feeds_file
    from pipeline.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_repeat_s)
    try:
        feed_list = load_feeds_file(feeds or settings.feeds_file)
    except FeedError as exc:
        raise _fail(str(exc)) from None
    bootstrap = _bootstrap(settings)
    with _gives_up_in_one_line("reader", bootstrap):
        run_reader(settings, bootstrap, feed_list, once=once)


@app.command()
def replay(
    paths: list[Path] = typer.Argument(..., help=".html/.htm/.txt files, RawPage .jsonl files, or folders."),
    url_prefix: str = typer.Option("https://replay.invalid/", help="URL base for plain files."),
    source: str = typer.Option("replay", help="Source name for plain files."),
) -> None:
    """Push local files or RawPage JSONL onto wire.raw."""
    from agents.replay import replay_paths

    settings = get_settings()
    try:
        result = replay_paths(settings, _bootstrap(settings), paths, url_prefix=url_prefix, source=source)
    except FileNotFoundError as exc:
        raise _fail(f"no such file: {exc.filename}") from None
    for failure in result.failed[:20]:
        err.print(f"[red]not sent[/]: {escape(failure)}", highlight=False)
    if len(result.failed) > 20:
        err.print(f"… and {len(result.failed) - 20} more not sent")
    err.print(f"[bold]replay[/]: {result.sent} records sent to {settings.topic_raw}, {len(result.failed)} not sent")
    if result.failed:  # a record that did not reach the broker is a failed replay
        raise typer.Exit(1)


@app.command()
def tail(
    from_beginning: bool = typer.Option(False, "--from-beginning", help="Start at the oldest record."),
    max_records: int = typer.Option(0, "--max", help="Stop after this many (0 = no limit)."),
    timeout: float = typer.Option(0, "--timeout", help="Stop after this many idle seconds (0 = never)."),
    json_lines: bool = typer.Option(False, "--json", help="Print the records as JSON lines."),
    topic: str = typer.Option(None, help="Topic to read (default wire.articles)."),
) -> None:
    """Print articles as they arrive on wire.articles."""
    from agents.tail import tail_topic

    settings = get_settings()
    tail_topic(settings, _bootstrap(settings), topic or settings.topic_articles,
               from_beginning=from_beginning, max_records=max_records, idle_timeout=timeout,
               json_lines=json_lines)


@app.command()
def demo(
    output: Path = typer.Option(Path("demo-output.jsonl"), help="Where the articles are written."),
    timeout: float = typer.Option(240.0, help="Give up after this many seconds."),
) -> None:
    """The main job on the bundled sample, end to end through a real broker."""
    from agents.demo import run_demo

    raise typer.Exit(run_demo(get_settings(), output, timeout))


@app.command()
def run(
    feeds: Path = typer.Option(None, "--feeds", "-f", help="Feeds file (YAML)."),
) -> None:
    """Run continuously: the broker (unless WIREFEED_KAFKA_BOOTSTRAP is set), a worker and the reader."""
    from agents.demo import run_continuously
    from pipeline.ingest.feeds import FeedError
    from pipeline.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_repeat_s)
    try:
        raise typer.Exit(run_continuously(settings, feeds or settings.feeds_file))
    except FeedError as exc:
        raise _fail(str(exc)) from None


@broker_app.command("start")
def broker_start() -> None:
    """Start the local broker (fetching its jars on first use)."""
    from agents.broker import BrokerError, default_broker

    try:
        err.print(f"Kafka running at [bold]{default_broker().start()}[/]")
    except BrokerError as exc:
        raise _fail(str(exc)) from None


def _stop_and_status_commands(group: typer.Typer, what: str, local: Callable[[], LocalServer]) -> None:
    """``stop`` and ``status`` of a local dev server (the broker, OpenSearch): the same for each."""

    @group.command("stop", help=f"Stop the local {what}.")
    def stop() -> None:
        err.print("stopped" if local().stop() else "not running")

    @group.command("status", help=f"Say whether the local {what} runs (exit 1 when it does not).")
    def status() -> None:
        server = local()
        _say_status(server.running(), server.address, server.pid)


def _dev_broker() -> LocalServer:
    from agents.broker import default_broker

    return default_broker()


_stop_and_status_commands(broker_app, "broker", _dev_broker)


@feeds_app.command("discover")
def feeds_discover(
    url: str = typer.Argument(..., help="A site's home or section page, e.g. https://wire.example/"),
    as_yaml: bool = typer.Option(False, "--yaml", help="Print a feeds-file fragment instead of a table."),
) -> None:
    """List the feeds (<link rel=alternate>) and sitemaps (robots.txt) a site advertises."""
    from pipeline.ingest.client import build_client
    from pipeline.ingest.discover import discover
    from pipeline.ingest.fetch import redact
    from pipeline.ingest.robots import RobotsCache

    settings = get_settings()
    client = build_client(settings)
    robots = client.robots if isinstance(client.robots, RobotsCache) else RobotsCache(client, settings.user_agent)
    try:
        result = discover(client, robots, url)
    finally:
        client.close()
    for problem in result.problems:
        err.print(f"[yellow]warning:[/] {problem}")
    if as_yaml:
        print("feeds:")
        for found in result.found:
            name = found.title or redact(found.url)
            print(f"  - url: {found.url}\n    name: {json.dumps(name)}  # {found.kind}, from {found.via}")
    else:
        for found in result.found:
            print(f"{found.kind:10} {found.url}  ({found.via}{': ' + found.title if found.title else ''})")
    if not result.found:
        err.print(f"nothing advertised at {redact(url)}")
@app.command()
def index(
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Build a new index version from wire.articles, then swap the alias to it."
    ),
) -> None:
    """The search-index sink: wire.articles -> OpenSearch (WIREFEED_OPENSEARCH_URL) or the embedded index."""
    from pipeline.index.factory import open_backend
    from pipeline.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    bootstrap = _bootstrap(settings)
    if rebuild:
        from agents.index import rebuild_index

        err.print(rebuild_index(settings, bootstrap))
        return
    from agents.index import run_index

    stats = run_index(settings, bootstrap, open_backend(settings))
    err.print(f"[bold]index[/]: {stats.records} records, {stats.written} written, {stats.stale} stale, "
              f"{stats.dead_letters} dead letters")


@app.command()
def search(
    query: str = typer.Argument(..., help="Words to look for (any may match; ranked by BM25)."),
    lang: str = typer.Option(None, "--lang", help="Only articles in this language (ISO 639-1)."),
    since: str = typer.Option(None, "--since", help="Published (else fetched) at or after, ISO 8601."),
    until: str = typer.Option(None, "--until", help="Published (else fetched) at or before, ISO 8601."),
    topic: str = typer.Option(None, "--topic", help="IPTC code (medtop:11000000) or label."),
    duplicates: bool = typer.Option(False, "--duplicates", help="Show duplicates too (hidden by default)."),
    limit: int = typer.Option(10, "--limit", "-n", help="Stories to show."),
    json_lines: bool = typer.Option(False, "--json", help="One JSON object per story."),
) -> None:
    """Search the index (OpenSearch when WIREFEED_OPENSEARCH_URL is set, else the embedded one)."""
    import dataclasses
    import json

    from pipeline.index.factory import open_backend
    from pipeline.index.search import SearchQuery, parse_when, render
    from pipeline.index.search import search as run_search

    settings = get_settings()
    try:
        q = SearchQuery(query, lang=lang, since=parse_when(since), until=parse_when(until), topic=topic,
                        include_duplicates=duplicates, limit=limit)
    except ValueError as exc:
        raise _fail(f"bad date: {exc}") from None
    backend = open_backend(settings)
    try:
        groups = run_search(backend, q)
    finally:
        backend.close()
    if json_lines:
        for group in groups:
            print(json.dumps(dataclasses.asdict(group), ensure_ascii=False))
        return
    if not groups:
        err.print("no hits")
        raise typer.Exit(1)
    Console().print(render(groups))


@opensearch_app.command("start")
def opensearch_start() -> None:
    """Start the local OpenSearch (fetching it on first use); prints its URL."""
    from agents.opensearch import OpenSearchError, default_node

    try:
        url = default_node().start()
    except OpenSearchError as exc:
        raise _fail(str(exc)) from None
    err.print(f"OpenSearch running at [bold]{url}[/]  (export WIREFEED_OPENSEARCH_URL={url})")


def _dev_opensearch() -> LocalServer:
    from agents.opensearch import default_node

    return default_node()


_stop_and_status_commands(opensearch_app, "OpenSearch", _dev_opensearch)


def main() -> None:
    from pipeline.config import TopicMismatchError

    try:
        app()
    except TopicMismatchError as exc:  # a deployment mistake, said plainly (no traceback)
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except ConfigError as exc:  # settings read past the up-front check (e.g. `--help` taken as a value)
        _fail(str(exc))
        sys.exit(2)


if __name__ == "__main__":
    main()
