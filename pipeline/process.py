"""The offline twin: RawPage JSONL in, Article JSONL out, dead letters to a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from pipeline.stages import Pipeline, to_dead_letter
from schemas import Article, DeadLetter


@dataclass
class ProcessStats:
    lines: int = 0
    articles: int = 0
    duplicates: int = 0
    dropped: int = 0
    dead_letters: int = 0


def process_lines(
    lines: Iterable[bytes | str],
    pipeline: Pipeline,
    out: IO[str],
    dlq: IO[str] | None = None,
) -> ProcessStats:
    """Run every line through the pipeline; write each result as one JSON line."""
    stats = ProcessStats()
    for line in lines:
        line = line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n")
        stats.lines += 1
        result = pipeline.run(line)
        if isinstance(result, Article):
            try:
                record = result.model_dump_json()
            except Exception as exc:  # e.g. text pydantic cannot encode: dead letter, not a crash
                result = to_dead_letter(exc, "publish", line, pipeline.settings.dlq_original_chars)
            else:
                stats.articles += 1
                stats.duplicates += result.duplicate_of is not None
                out.write(record + "\n")
                continue
        if isinstance(result, DeadLetter):
            stats.dead_letters += 1
            if dlq is not None:
                dlq.write(result.model_dump_json() + "\n")
        else:
            stats.dropped += 1
    return stats
