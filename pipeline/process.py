"""The offline twin: RawPage JSONL in, Article JSONL out, dead letters to a file.

``process_lines`` runs every stage in this process, or (``parallel=True``) gives the
same records, in the same order, but parses and extracts in the stage runner's child
(``pipeline.runner``, the same runner the stream's worker uses) while this process dedupes
and tags the previous batch: the two halves of ``Pipeline.run`` on two cores.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import islice
from typing import IO

from pipeline.runner import Outcome, StageRunner
from pipeline.stages import Pipeline, RunStats, count_dead_letter, to_dead_letter
from schemas import Article, DeadLetter
from schemas.names import Stage

# Lines handed to the extracting child at once, and batches in flight (keeps both cores busy).
BATCH_LINES = 8
BATCHES_AHEAD = 2


@dataclass
class ProcessStats(RunStats):
    """Each input line ends as an article (some of them duplicates), a dead letter, or dropped."""

    lines: int = 0
    articles: int = 0
    duplicates: int = 0
    dropped: int = 0

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
                result = to_dead_letter(exc, Stage.PUBLISH, line, self.limit)
            else:
                self.stats.articles += 1
                self.stats.duplicates += result.duplicate_of is not None
                self.out.write(record + "\n")
                return
        if isinstance(result, DeadLetter):
            self.stats.dead_letters += 1
            count_dead_letter(result)
            if self.dlq is not None:  # with its input line number, so the bad line can be found
                self.dlq.write(result.model_copy(update={"line": self.stats.lines}).model_dump_json() + "\n")
        else:
            self.stats.dropped += 1


# what one input line came to (an article, a dead letter, or nothing: dropped), with the line
Result = tuple[Article | DeadLetter | None, bytes | str]


def _stripped(lines: Iterable[bytes | str]) -> Iterator[bytes | str]:
    for line in lines:
        yield line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n")


def process_lines(
    lines: Iterable[bytes | str],
    pipeline: Pipeline,
    out: IO[str],
    dlq: IO[str] | None = None,
    *,
    parallel: bool = False,
) -> ProcessStats:
    """Run every line through the pipeline; write each result as one JSON line.

    With ``parallel``, parse + extract run in the stage runner's child while ``pipeline`` dedupes
    and tags: the same records in the same order, on two cores.
    """
    writer = _Writer(out, dlq, pipeline.settings.dlq_original_chars)
    results = _results_in_two_processes if parallel else _results_in_this_process
    for result, line in results(_stripped(lines), pipeline):
        writer.write(result, line)
    return writer.stats


def _results_in_this_process(lines: Iterator[bytes | str], pipeline: Pipeline) -> Iterator[Result]:
    for line in lines:
        yield pipeline.run(line), line
        pipeline.observe().record()


def _results_in_two_processes(lines: Iterator[bytes | str], pipeline: Pipeline) -> Iterator[Result]:
    limit = pipeline.settings.dlq_original_chars
    # fork: the child starts at once with everything imported; it only runs pure stage code
    with StageRunner(pipeline.settings, steps=("front",), start_method="fork") as runner:
        pending: deque[tuple[list[bytes | str], Future[list[Outcome]]]] = deque()

        def finish_oldest() -> Iterator[Result]:
            batch, future = pending.popleft()
            for line, front in zip(batch, future.result(), strict=True):
                front.observed.record()
                if front.article is None:
                    assert front.error is not None
                    yield to_dead_letter(front.error, Stage.EXTRACT, line, limit), line
                else:
                    yield pipeline.run_back(front.article, line), line

        while batch := list(islice(lines, BATCH_LINES)):
            pending.append((batch, runner.submit("front", batch)))
            if len(pending) > BATCHES_AHEAD:
                yield from finish_oldest()
        while pending:
            yield from finish_oldest()
