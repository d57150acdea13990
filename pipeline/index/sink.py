"""The sink's rules, without Kafka: bounded batches, retry until acknowledged, rejected items out.

``agents.index`` feeds records in and commits offsets when :func:`write_batch` returns; every
item is then either written (or stale: the index holds a newer version) or rejected for good
(the caller dead-letters it before committing). Transient failures are retried with capped
exponential back-off for as long as it takes; they are never dropped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline import metrics
from pipeline.index.backend import IndexBackend, ItemResult, ItemStatus, TransientIndexError
from pipeline.index.documents import IndexAction


@dataclass(frozen=True)
class BatchLimits:
    """A batch is flushed when it holds ``max_docs`` actions or ``max_bytes``, or is ``max_wait_s`` old."""

    max_docs: int = 500
    max_bytes: int = 5_000_000
    max_wait_s: float = 0.1


@dataclass
class Batch:
    limits: BatchLimits
    actions: list[IndexAction] = field(default_factory=list)
    bytes: int = 0
    started: float = 0.0

    def add(self, action: IndexAction, now: float) -> None:
        if not self.actions:
            self.started = now
        self.actions.append(action)
        self.bytes += action.size

    def full(self) -> bool:
        return len(self.actions) >= self.limits.max_docs or self.bytes >= self.limits.max_bytes

    def due(self, now: float) -> bool:
        return bool(self.actions) and (self.full() or now - self.started >= self.limits.max_wait_s)

    def wait_s(self, now: float) -> float:
        """How long until this batch is due (the poll timeout)."""
        if not self.actions:
            return self.limits.max_wait_s
        return max(self.limits.max_wait_s - (now - self.started), 0.0)

    def take(self) -> list[IndexAction]:
        actions, self.actions, self.bytes = self.actions, [], 0
        return actions


@dataclass
class Backoff:
    """Capped exponential back-off with jitter: 0.1 s, 0.2 s, ... up to ``cap_s``, forever."""

    base_s: float = 0.1
    cap_s: float = 10.0
    attempt: int = 0

    def next(self) -> float:
        delay = min(self.cap_s, self.base_s * (2 ** self.attempt))
        self.attempt += 1
        return delay * (0.5 + random.random() / 2)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class BatchOutcome:
    written: int = 0  # indexed or deleted
    stale: int = 0
    retries: int = 0
    rejected: list[tuple[IndexAction, ItemResult]] = field(default_factory=list)


class Stopped(Exception):
    """The sink was asked to stop while a batch was still being retried: do not commit it."""


def write_batch(
    backend: IndexBackend,
    actions: Sequence[IndexAction],
    *,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stopping: Callable[[], bool] = lambda: False,
) -> BatchOutcome:
    """Write ``actions`` until every one is acknowledged or rejected for good.

    Whole-request failures retry the whole batch; per-item transient failures retry only
    those items, in their original order (the version guard makes any re-write harmless).
    """
    backoff = backoff or Backoff()
    outcome = BatchOutcome()
    pending = list(actions)
    while pending:
        started = time.perf_counter()
        try:
            results = backend.bulk(pending)
        except TransientIndexError as exc:
            metrics.INDEX_FAILED.labels(exc.reason, "retried").inc(len(pending))
            outcome.retries += 1
            _pause(backoff, sleep, stopping)
            continue
        metrics.INDEX_BULK_SECONDS.labels(backend.name).observe(time.perf_counter() - started)
        retry: list[IndexAction] = []
        for action, result in zip(pending, results, strict=True):
            if result.status is ItemStatus.OK:
                outcome.written += 1
                metrics.INDEX_DOCS.labels(action.op, "written").inc()
            elif result.status is ItemStatus.STALE:
                outcome.stale += 1
                metrics.INDEX_DOCS.labels(action.op, "stale").inc()
            elif result.status is ItemStatus.TRANSIENT:
                metrics.INDEX_FAILED.labels(result.reason or "transient", "retried").inc()
                retry.append(action)
            else:
                metrics.INDEX_FAILED.labels(result.reason or "rejected", "dead_lettered").inc()
                outcome.rejected.append((action, result))
        if retry:
            outcome.retries += 1
            _pause(backoff, sleep, stopping)
        else:
            backoff.reset()
        pending = retry
    return outcome



def _pause(backoff: Backoff, sleep: Callable[[float], None], stopping: Callable[[], bool]) -> None:
    """Wait before the next attempt, unless the sink is stopping (then the batch stays uncommitted)."""
    if stopping():
        raise Stopped()
    sleep(backoff.next())
