"""The stage runner: the CPU-heavy stages in a child process, for ``process`` and the worker alike.

One child process holds its own :class:`~pipeline.stages.Pipeline` and runs batches of
records through a *step*: ``front`` (parse + extract, from a RawPage line) or ``tag``
(from an Article). The caller's process keeps the cores' other work: ``process``
dedupes and tags the previous batch, the worker moves records and heartbeats.

What comes back is data, one :class:`Outcome` per record, in order: the article (as an
object and, when asked, as the JSON the stream sends) or the RecordError its dead letter
is made of, and what the stages measured (recorded as metrics by the caller, which
serves them). Nothing a record does can take the caller down:

- every exception becomes a RecordError in the child (:func:`pipeline.errors.as_record_error`);
- each record has a CPU-time budget (``record_cpu_seconds``; ``too_slow``) and the child an
  address-space budget above what its stages need (``record_memory_mb``; ``too_large``);
- a child that dies (OOM killer, SIGKILL) or hangs in C code past the wall-clock
  watchdog is replaced, and its batch re-run one record at a time: a record that takes
  the child down twice becomes a ``stage_crashed`` dead letter, one that hangs it a
  ``too_slow`` one; the other records come through as if nothing happened.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import Settings
from pipeline.errors import RecordError, TooSlow, as_record_error
from pipeline.stages import Observed, Pipeline
from schemas import Article
from schemas.names import DeadLetterReason, Stage

log = logging.getLogger("wirefeed.runner")

STEPS = ("front", "tag")
# The stage a step's failure is charged to when the child cannot say (it died or hung).
_BLAME = {"front": Stage.EXTRACT, "tag": Stage.TAG}
_BUILDS = {"front": (Stage.EXTRACT,), "tag": (Stage.TAG,)}
# The watchdog allows this many times a record's CPU budget in wall-clock time (a loaded
# machine shares its cores), plus a margin, before it kills a child that does not answer.
_WALL_FACTOR = 4.0
_WALL_MARGIN_S = 30.0


@dataclass
class Outcome:
    """One record's result: an article or the error its dead letter is made of."""

    article: Article | None = None  # the article, unless the caller asked for JSON (``encode``)
    value: bytes | None = None  # the article as JSON, when the caller asked for it
    error: RecordError | None = None
    observed: Observed = field(default_factory=Observed)
    # what a caller that gets JSON needs to know without decoding it
    article_id: str | None = None
    fetched_at: float | None = None
    publishable: bool = True


# -- in the child ------------------------------------------------------------------

_pipeline: Pipeline | None = None  # the child's own pipeline, made by _start_child
_cpu_seconds = 0.0


def _exit_with_parent(parent: int) -> None:
    """A stage process must not outlive its parent (SIGKILL skips every shutdown hook)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _on_cpu_timer(_signum: int, _frame: object) -> None:
    raise TooSlow(f"{_cpu_seconds:g} s")


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _start_child(settings: Settings, steps: Sequence[str], parent: int) -> None:
    global _pipeline, _cpu_seconds
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    # build what the steps use now (and nothing else), so the memory budget is on top of it
    _pipeline = Pipeline(settings, build=[stage for step in steps for stage in _BUILDS[step]])
    if "tag" in steps:
        from pipeline.tagging.language import _identifier

        _identifier()  # the language model is loaded on a thread: wait for it before measuring
    _cpu_seconds = settings.record_cpu_seconds
    signal.signal(signal.SIGPROF, _on_cpu_timer)
    if settings.record_memory_mb:
        limit = _address_space() + settings.record_memory_mb * 1024 * 1024
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _apply(pipeline: Pipeline, step: str, value: Any) -> Article:
    if step == "front":
        return pipeline.extract(pipeline.parse(value))
    article = value if isinstance(value, Article) else pipeline.decode(Stage.TAG, value)
    return pipeline.tag(article)


def run_batch(step: str, values: Sequence[Any], encode: bool) -> list[Outcome]:
    """In the child: ``step`` on each value; failures are returned, never raised."""
    assert _pipeline is not None, "stage process not started"
    outcomes = []
    for value in values:
        outcome = Outcome()
        try:
            if _cpu_seconds:
                signal.setitimer(signal.ITIMER_PROF, _cpu_seconds)
            try:
                article = _apply(_pipeline, step, value)
                # serialising is part of the record's work: text pydantic cannot encode is its dead letter
                outcome.value = article.model_dump_json().encode() if encode else None
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            # JSON is what a stream sends: the object would cost the caller's event loop its unpickling
            outcome.article = None if encode else article
            outcome.article_id = article.id
            outcome.fetched_at = article.fetched_at.timestamp() if article.fetched_at else None
            outcome.publishable = _pipeline.publishable(article)
        except BaseException as exc:  # noqa: BLE001 - TooSlow is a BaseException on purpose
            parsing = step == "front" and Stage.PARSE not in _pipeline.observed.seconds
            outcome.error = as_record_error(exc, Stage.PARSE if parsing else _BLAME[step])
        outcome.observed = _pipeline.observe()
        outcomes.append(outcome)
    return outcomes


# -- in the caller -------------------------------------------------------------------


class StageRunner:
    """A one-process pool running :func:`run_batch` for its caller, replaced when it breaks.

    ``run`` blocks; ``submit`` runs it on the runner's own thread and returns a Future
    (batches run in the order submitted), which is what an event loop awaits.
    """

    def __init__(self, settings: Settings, steps: Sequence[str] = STEPS, start_method: str = "spawn") -> None:
        # spawn for a worker (it has threads by the time it submits); fork where the caller has none yet
        self.settings, self.steps, self.start_method = settings, tuple(steps), start_method
        self.restarts = 0
        self.healthy = True
        self._closed = False
        self._pool = self._new_pool()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="stage-runner")

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context(self.start_method), initializer=_start_child,
            initargs=(self.settings, self.steps, os.getpid()),
        )

    def _watchdog_s(self, records: int) -> float:
        return records * self.settings.record_cpu_seconds * _WALL_FACTOR + _WALL_MARGIN_S

    def child_pids(self) -> list[int]:
        """The child's process id (once started), for tests that break it."""
        return list(getattr(self._pool, "_processes", None) or {})

    def _kill_child(self) -> None:
        for pid in self.child_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _restart(self) -> None:
        """Kill the child (if it still runs) and start another."""
        if self._closed:
            raise RuntimeError("the stage runner is closed")
        self.healthy = False
        self._kill_child()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.restarts += 1
        self._pool = self._new_pool()
        self.healthy = True
        log.warning("stage process replaced", extra={"restarts": self.restarts})

    def _call(self, step: str, values: Sequence[Any], encode: bool) -> list[Outcome]:
        future = self._pool.submit(run_batch, step, list(values), encode)
        return future.result(timeout=self._watchdog_s(len(values)))

    def run(self, step: str, values: Sequence[Any], encode: bool = False) -> list[Outcome]:
        """One Outcome per value, in order; a broken or hung child is replaced, never passed on."""
        try:
            return self._call(step, values, encode)
        except (BrokenProcessPool, FutureTimeout) as exc:
            log.warning("stage process failed a batch; re-running it record by record",
                        extra={"stage": step, "error": type(exc).__name__})
            self._restart()
        return [self._run_alone(step, value, encode) for value in values]

    def _run_alone(self, step: str, value: Any, encode: bool) -> Outcome:
        for attempt in (1, 2):
            try:
                return self._call(step, [value], encode)[0]
            except FutureTimeout:
                self._restart()
                return Outcome(error=RecordError(_BLAME[step], DeadLetterReason.TOO_SLOW,
                                                 "the stage process stopped answering"))
            except BrokenProcessPool:
                self._restart()
                if attempt == 2:
                    return Outcome(error=RecordError(_BLAME[step], DeadLetterReason.STAGE_CRASHED,
                                                     "the stage process died on this record twice"))
        raise AssertionError("unreachable")

    def submit(self, step: str, values: Sequence[Any], encode: bool = False) -> Future[list[Outcome]]:
        return self._thread.submit(self.run, step, values, encode)

    def close(self) -> None:
        self._closed = True
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._kill_child()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> StageRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
