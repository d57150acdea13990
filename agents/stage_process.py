"""The CPU-heavy stages (parse + extract, tag) in a child process of the worker.

The worker's event loop then only moves records, commits offsets, heartbeats and
runs the cheap dedupe stage, while a second core cleans and tags pages: one
worker uses two cores, and a slow page can never stall the consumer group. The
child holds its own ``Pipeline`` (so the extractor's site templates live there,
one memory per worker, as in ``wirefeed process``). Batches cross the process
boundary as bytes; stage metrics are recorded in the worker from what the child
measured, so ``/metrics`` shows them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from pipeline import metrics
from pipeline.config import Settings
from pipeline.errors import RecordError
from pipeline.stages import Pipeline
from pipeline.tagging import NO_EVIDENCE, UNKNOWN_LANGUAGE, UNSUPPORTED_LANGUAGE, untagged_reason
from schemas import Article

_pipeline: Pipeline | None = None  # the child's own pipeline, made by _start


@dataclass
class StageResult:
    """One record's outcome: the article (id + JSON) or the error; what metrics need."""

    article_id: str | None = None
    value: bytes | None = None
    error: RecordError | None = None
    seconds: float = 0.0
    removed_rules: list[str] = field(default_factory=list)
    publishable: bool = True
    fetched_at: float | None = None
    untagged: str | None = None  # tag stage: why the article got no topics (counted by the worker)


def _exit_with_parent(parent: int) -> None:
    """A stage process must not outlive its worker (SIGKILL skips every shutdown hook)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _start(settings: Settings, parent: int) -> None:
    global _pipeline
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    _pipeline = Pipeline(settings)


def _extract(pipeline: Pipeline, value: bytes) -> Article:
    return pipeline.extract(pipeline.parse(value))


def _tag(pipeline: Pipeline, value: bytes) -> Article:
    return pipeline.tag(Article.model_validate_json(value))


STAGES = {"extract": _extract, "tag": _tag}
UNTAGGED_REASONS = (UNSUPPORTED_LANGUAGE, UNKNOWN_LANGUAGE, NO_EVIDENCE)


def run_stage(stage: str, values: list[bytes]) -> list[StageResult]:
    """In the child: apply a stage to each record; failures are returned, never raised."""
    assert _pipeline is not None, "stage process not started"
    fn = STAGES[stage]
    results = []
    for value in values:
        start = time.perf_counter()
        try:
            article = fn(_pipeline, value)
            results.append(StageResult(
                article_id=article.id,
                value=article.model_dump_json().encode(),
                seconds=time.perf_counter() - start,
                removed_rules=[r.rule for r in article.removed] if stage == "extract" else [],
                publishable=_pipeline.publishable(article),
                fetched_at=article.fetched_at.timestamp() if article.fetched_at else None,
                untagged=untagged_reason(bool(article.topics), article.lang) if stage == "tag" else None,
            ))
        except RecordError as exc:
            results.append(StageResult(error=exc, seconds=time.perf_counter() - start))
        except Exception as exc:  # anything else is this stage's internal error, as a picklable RecordError
            error = RecordError(stage, "internal_error", f"{type(exc).__name__}: {exc}")
            results.append(StageResult(error=error, seconds=time.perf_counter() - start))
    return results


class StageProcess:
    """A one-process pool running :func:`run_stage` batches for the worker's agents."""

    def __init__(self, settings: Settings) -> None:
        # spawn, not fork: the worker has threads (aiokafka, metrics server) by the time it submits
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
            initargs=(settings, os.getpid()),
        )
        for reason in UNTAGGED_REASONS:  # every known reason exported from the start, at 0 (rate() works)
            metrics.UNTAGGED_TOPICS.labels(reason)

    async def run(self, stage: str, values: list[bytes]) -> list[StageResult]:
        results = await asyncio.get_running_loop().run_in_executor(self._pool, run_stage, stage, values)
        for result in results:
            if result.error is None:
                metrics.STAGE_PROCESSED.labels(stage).inc()
                metrics.STAGE_SECONDS.labels(stage).observe(result.seconds)
                for rule in result.removed_rules:
                    metrics.REMOVED_BLOCKS.labels(rule).inc()
                if result.untagged:
                    metrics.UNTAGGED_TOPICS.labels(result.untagged).inc()
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
