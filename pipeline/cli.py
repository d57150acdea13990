"""The ``wirefeed`` command line: read, worker, process, replay, tail, broker, demo."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import typer
from rich.console import Console

from pipeline.config import Settings, get_settings

app = typer.Typer(
    help="wirefeed: wire feeds in, clean deduplicated topic-tagged articles out, on Kafka.",
    no_args_is_help=True,
    add_completion=False,
)
broker_app = typer.Typer(help="The local single-node Kafka broker for dev and CI.", no_args_is_help=True)
app.add_typer(broker_app, name="broker")
err = Console(stderr=True)


@app.command()
def process(
    input: Path | None = typer.Option(None, "--input", "-i", help="RawPage JSONL (default: stdin)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Article JSONL (default: stdout)."),
    dlq: Path | None = typer.Option(None, "--dlq", help="Write dead letters here as JSONL."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
) -> None:
    """Offline twin of the stream: RawPage JSONL -> Article JSONL, same code path."""
    from pipeline.process import process_lines
    from pipeline.stages import Pipeline

    settings = get_settings()
    pipeline = Pipeline(settings)
    with ExitStack() as stack:
        source: IO[bytes] = stack.enter_context(open(input, "rb")) if input else sys.stdin.buffer
        out: IO[str] = (
            stack.enter_context(open(output, "w", encoding="utf-8")) if output else sys.stdout
        )
        dlq_out = stack.enter_context(open(dlq, "w", encoding="utf-8")) if dlq else None
        stats = process_lines(source, pipeline, out, dlq_out)
    if not quiet:
        err.print(
            f"[bold]process[/]: {stats.lines} lines -> {stats.articles} articles "
            f"({stats.duplicates} duplicates), {stats.dead_letters} dead letters, {stats.dropped} dropped"
        )


def _settings() -> Settings:
    return get_settings()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
