"""The offline twin: RawPage JSONL in, Article JSONL out, dead letters to a file.

``process_lines`` runs every stage in this process. ``process_lines_parallel`` gives the
same records, in the same order, but parses and extracts in a forked child while this
process dedupes and tags the previous batch: the two halves of ``Pipeline.run`` on two
cores, as the stream's worker does with its stage process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import IO

from pipeline.config import Settings
from pipeline.stages import Pipeline, to_dead_letter
from schemas import Article, DeadLetter

# Lines handed to the extracting child at once, and batches in flight (keeps both cores busy).
BATCH_LINES = 8
BATCHES_AHEAD = 2


@dataclass
class ProcessStats:
    lines: int = 0
    articles: int = 0
    duplicates: int = 0
    dropped: int = 0
    dead_letters: int = 0

    def too_many_errors(self, max_errors: int | None = None, max_ratio: float | None = None) -> str | None:
        """Why the run failed (more dead letters than allowed), or None.

        With no limit given, a run fails only when every line was dead-lettered: nothing usable
        came out of it (a binary file, the wrong file), which must not look like success.
        """
        if max_errors is not None and self.dead_letters > max_errors:
            return f"{self.dead_letters} dead letters, more than --max-errors {max_errors}"
        ratio = self.dead_letters / self.lines if self.lines else 0.0
        if max_ratio is not None and ratio > max_ratio:
            return f"{ratio:.1%} of lines dead-lettered, more than --max-error-ratio {max_ratio:g}"
        if max_errors is None and max_ratio is None and self.lines and self.dead_letters == self.lines:
            return f"every line ({self.lines}) was dead-lettered: nothing usable in the input"
        return None


class _Writer:
    """Writes results as JSON lines and counts them."""

    def __init__(self, out: IO[str], dlq: IO[str] | None, limit: int) -> None:
        self.out, self.dlq, self.limit = out, dlq, limit
        self.stats = ProcessStats()

    def write(self, result: Article | DeadLetter | None, line: str | bytes) -> None:
        self.stats.lines += 1
        if isinstance(result, Article):
            try:
                record = result.model_dump_json()
            except Exception as exc:  # e.g. text pydantic cannot encode: dead letter, not a crash
                result = to_dead_letter(exc, "publish", line, self.limit)
            else:
                self.stats.articles += 1
                self.stats.duplicates += result.duplicate_of is not None
                self.out.write(record + "\n")
                return
        if isinstance(result, DeadLetter):
            self.stats.dead_letters += 1
            if self.dlq is not None:  # with its input line number, so the bad line can be found
                self.dlq.write(result.model_copy(update={"line": self.stats.lines}).model_dump_json() + "\n")
        else:
            self.stats.dropped += 1


def _stripped(lines: Iterable[bytes | str]) -> Iterator[bytes | str]:
    for line in lines:
        yield line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n")


def process_lines(
    lines: Iterable[bytes | str],
    pipeline: Pipeline,
    out: IO[str],
    dlq: IO[str] | None = None,
) -> ProcessStats:
    """Run every line through the pipeline; write each result as one JSON line."""
    writer = _Writer(out, dlq, pipeline.settings.dlq_original_chars)
    for line in _stripped(lines):
        writer.write(pipeline.run(line), line)
    return writer.stats


_child: Pipeline | None = None


def _start_child(settings: Settings) -> None:
    global _child
    _child = Pipeline(settings)


def _front_batch(lines: list[bytes | str]) -> list[Article | DeadLetter]:
    assert _child is not None
    return [_child.run_front(line) for line in lines]


def process_lines_parallel(
    lines: Iterable[bytes | str],
    settings: Settings,
    out: IO[str],
    dlq: IO[str] | None = None,
) -> ProcessStats:
    """As :func:`process_lines`, with parse + extract in a child process (same output, same order)."""
    pipeline = Pipeline(settings)
    writer = _Writer(out, dlq, settings.dlq_original_chars)
    # fork: the child starts at once with everything imported; it only runs pure stage code
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_child, initargs=(settings,)) as pool:
        pending: deque[tuple[list[bytes | str], Future]] = deque()
        source = _stripped(lines)

        def finish_oldest() -> None:
            batch, future = pending.popleft()
            for line, front in zip(batch, future.result(), strict=True):
                writer.write(pipeline.run_back(front, line) if isinstance(front, Article) else front, line)

        while batch := list(islice(source, BATCH_LINES)):
            pending.append((batch, pool.submit(_front_batch, batch)))
            if len(pending) > BATCHES_AHEAD:
                finish_oldest()
        while pending:
            finish_oldest()
    return writer.stats
