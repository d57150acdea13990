"""``wirefeed index``: the sink from ``wire.articles`` into the search index.

Its own consumer group (``APP_ID-index``), so it scales apart from the workers and an index is
rebuilt by replaying the compacted topic. Per batch: build actions, write them with
:func:`pipeline.index.sink.write_batch` (retried until every item is acknowledged or
rejected for good), send rejected items to ``wire.dlq`` (stage ``index``) and wait for the
broker's ack, and only then commit the batch's offsets. A crash anywhere before the commit
replays the batch; the version guard makes the replay harmless.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata

from agents.kafka import MAX_MESSAGE_BYTES, client_config, ensure_topics, make_producer
from pipeline import metrics
from pipeline.config import Settings
from pipeline.errors import RecordError
from pipeline.index.backend import IndexBackend, TransientIndexError
from pipeline.index.documents import STAGE, action_from_record
from pipeline.index.sink import Backoff, Batch, BatchLimits, BatchOutcome, Stopped, write_batch
from pipeline.stages import RunStats, to_dead_letter
from schemas.names import DeadLetterReason

log = logging.getLogger("wirefeed.index")
LAG_INTERVAL_S = 5.0
# how long the broker may hold a fetch when no record is there; it answers at once when one
# arrives (fetch_min_bytes 1), so this bounds idle round trips, not latency (bench/index.py shows
# publish -> read at ~0)
FETCH_MAX_WAIT_MS = 500


def sink_group(settings: Settings) -> str:
    return settings.index_group or f"{settings.app_id}-index"


@dataclass
class SinkStats(RunStats):
    """Records read, and the documents the index acknowledged: written, or stale (it held a newer version)."""

    records: int = 0
    written: int = 0
    stale: int = 0
    first_record_at: float | None = None  # monotonic time of the first poll that returned records


class IndexSink:
    """One sink: a consumer in ``group``, a DLQ producer and a backend."""

    def __init__(
        self, settings: Settings, bootstrap: str, backend: IndexBackend, *, group: str | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.limits = BatchLimits(settings.index_batch_docs, settings.index_batch_bytes, settings.index_batch_wait_s)
        self.batch = Batch(self.limits)
        self.backoff = Backoff(cap_s=settings.index_retry_cap_s)
        self.stats = SinkStats()
        self.stop_event = threading.Event()
        self.positions: dict[TopicPartition, int] = {}  # next offset to commit, per partition, for this batch
        self.dead: list[tuple[bytes, bytes]] = []  # (key, DeadLetter json) waiting for this batch's commit
        # one bulk in flight on its own thread: (future, actions, offsets to commit, dead letters to send)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirefeed-bulk")
        self._inflight: tuple[Future[BatchOutcome], list, dict[TopicPartition, int], list] | None = None
        ensure_topics(settings, bootstrap)
        self.consumer = KafkaConsumer(
            group_id=group or sink_group(settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=min(self.limits.max_docs, 500),
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            # a long outage is waited out inside one batch; past this the group moves on (replay, no loss)
            max_poll_interval_ms=600_000,
            fetch_max_bytes=MAX_MESSAGE_BYTES * 2,
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
            client_id="wirefeed-index",
            **client_config(settings, bootstrap),
        )
        self.consumer.subscribe([settings.topic_articles], listener=_FlushOnRevoke(self))
        self.producer = make_producer(settings, bootstrap)
        self._last_lag = 0.0

    # the loop ------------------------------------------------------------------------------

    def run(self, until_caught_up: bool = False, timeout_s: float | None = None) -> SinkStats:
        """Consume until stopped (or, with ``until_caught_up``, until nothing is left to index)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            self._ensure_backend()
            while not self.stop_event.is_set():
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("the index sink did not catch up in time")
                now = time.monotonic()
                polled = self.consumer.poll(timeout_ms=int(self.batch.wait_s(now) * 1000) + 1)
                if polled and self.stats.first_record_at is None:
                    self.stats.first_record_at = time.monotonic()
                for tp, records in polled.items():
                    for record in records:
                        self._add(tp, record)
                        if self.batch.full():
                            self.flush()
                if self.batch.due(time.monotonic()) or (self.dead and not self.batch.actions):
                    self.flush()
                self._finish_inflight(block=False)
                self._report_lag()
                if until_caught_up and not self.batch.actions and self._inflight is None and self._caught_up():
                    break
            self.drain()
        except Stopped:
            log.warning("stopped while a batch was being retried: its offsets stay uncommitted (it will replay)")
        finally:
            self.close()
        return self.stats

    def _ensure_backend(self) -> None:
        """Create the index if missing, waiting (with back-off) for an index that is not up yet."""
        backoff = Backoff(cap_s=self.settings.index_retry_cap_s)
        while True:
            try:
                self.backend.ensure()
                return
            except TransientIndexError as exc:
                log.warning("index not reachable yet: %s", exc)
                if self.stop_event.wait(backoff.next()):
                    raise Stopped() from exc

    def _add(self, tp: TopicPartition, record) -> None:  # noqa: ANN001 - kafka-python's ConsumerRecord
        self.stats.records += 1
        self.positions[tp] = record.offset + 1
        try:
            action = action_from_record(record.key, record.value, record.timestamp, tp.partition, record.offset)
        except RecordError as exc:
            self.dead.append(self._letter(exc, record.key, record.value or b""))
            return
        self.batch.add(action, time.monotonic())

    def _letter(self, exc: BaseException, key: bytes | None, value: bytes) -> tuple[bytes, bytes]:
        letter = to_dead_letter(exc, STAGE, value, self.settings.dlq_original_chars)
        return key or b"", letter.model_dump_json().encode()

    def flush(self) -> None:
        """Hand the batch to the bulk thread, after the previous one was finished (so one bulk is in flight).

        While a bulk is in flight the loop reads and builds the next batch: Kafka and JSON work
        overlap the index's. Offsets are still committed strictly in order, each batch only
        after its own bulk was acknowledged.
        """
        self._finish_inflight()
        actions = self.batch.take()
        positions, dead, self.positions, self.dead = self.positions, self.dead, {}, []
        future: Future[BatchOutcome] = self._pool.submit(
            write_batch, self.backend, actions, backoff=self.backoff,
            sleep=self.stop_event.wait, stopping=self.stop_event.is_set,
        ) if actions else _done(BatchOutcome())
        self._inflight = (future, actions, positions, dead)

    def drain(self) -> None:
        """Flush what is buffered and wait until everything handed over is committed."""
        if self.batch.actions or self.positions or self.dead:
            self.flush()
        self._finish_inflight()

    def _finish_inflight(self, block: bool = True) -> None:
        """Wait for the bulk in flight, dead-letter what the index rejected, then commit. Raises Stopped."""
        if self._inflight is None or (not block and not self._inflight[0].done()):
            return
        future, actions, positions, dead = self._inflight
        outcome = future.result()  # Stopped propagates: nothing of this batch is committed
        self._inflight = None
        self.stats.written += outcome.written
        self.stats.stale += outcome.stale
        now_ms = time.time() * 1000
        for action in actions:
            if action.published_ms > 0:
                metrics.INDEX_SEARCHABLE_SECONDS.observe(max(now_ms - action.published_ms, 0) / 1000)
        for action, result in outcome.rejected:
            log.warning("index rejected a document", extra={"id": action.doc_id, "reason": result.reason})
            exc = RecordError(STAGE, result.reason or DeadLetterReason.REJECTED, result.detail or result.reason,
                              url=(action.document or {}).get("url"))
            dead.append(self._letter(exc, action.doc_id.encode(), action.source))
        if dead:
            futures = [self.producer.send(self.settings.topic_dlq, key=k, value=v) for k, v in dead]
            self.producer.flush()
            for sent in futures:
                sent.get(timeout=60)  # raises if the DLQ did not take it: then nothing is committed
            self.stats.dead_letters += len(dead)
        if positions:
            offsets = {tp: OffsetAndMetadata(pos, "", -1) for tp, pos in positions.items()}
            try:
                self.consumer.commit(offsets)
                metrics.INDEX_LAST_COMMIT.set(time.time())
            except CommitFailedError as exc:  # the group rebalanced meanwhile: the new owner replays
                log.warning("commit failed after a rebalance; the batch will be replayed: %s", exc)

    # lag ---------------------------------------------------------------------------------------

    def _lag(self) -> dict[TopicPartition, int]:
        assignment = list(self.consumer.assignment())
        if not assignment:
            return {}
        ends = self.consumer.end_offsets(assignment)
        lag = {}
        for tp in assignment:
            committed = self.consumer.committed(tp) or 0
            lag[tp] = max(ends.get(tp, 0) - committed, 0)
        return lag

    def _report_lag(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_lag < LAG_INTERVAL_S:
            return
        self._last_lag = time.monotonic()
        for tp, behind in self._lag().items():
            metrics.INDEX_LAG.labels(str(tp.partition)).set(behind)

    def _caught_up(self) -> bool:
        assignment = self.consumer.assignment()
        if not assignment:
            return False
        ends = self.consumer.end_offsets(list(assignment))
        return all(self.consumer.position(tp) >= ends.get(tp, 0) for tp in assignment) and not self.positions

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        self.stop_event.set()  # a bulk still retrying gives up (uncommitted: it replays)
        self._pool.shutdown(wait=True)
        try:
            self.consumer.close(autocommit=False)
        finally:
            self.producer.close(timeout=10)
            self.backend.close()


def _done(outcome: BatchOutcome) -> Future[BatchOutcome]:
    future: Future[BatchOutcome] = Future()
    future.set_result(outcome)
    return future


class _FlushOnRevoke(ConsumerRebalanceListener):
    """Before partitions move to another sink, write and commit what this one holds of them."""

    def __init__(self, sink: IndexSink) -> None:
        self.sink = sink

    def on_partitions_revoked(self, revoked) -> None:  # noqa: ANN001
        with contextlib.suppress(Stopped):  # stopping anyway: the uncommitted batch replays
            self.sink.drain()

    def on_partitions_assigned(self, assigned) -> None:  # noqa: ANN001
        pass


def run_index(settings: Settings, bootstrap: str, backend: IndexBackend) -> SinkStats:
    """``wirefeed index``: run until SIGTERM/SIGINT, serving /metrics on WIREFEED_INDEX_METRICS_PORT."""
    sink = IndexSink(settings, bootstrap, backend)
    if settings.index_metrics_port:
        metrics.serve_http(settings.metrics_host, settings.index_metrics_port,
                           ready=lambda: bool(sink.consumer.assignment()), registry=metrics.INDEX_REGISTRY)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sink.stop())
    log.info("index sink started", extra={"backend": backend.name, "group": sink_group(settings)})
    return sink.run()


def rebuild_index(settings: Settings, bootstrap: str, timeout_s: float | None = None) -> str:
    """``wirefeed index --rebuild``: a new index version filled from the compacted ``wire.articles``.

    OpenSearch, no downtime: create ``<alias>-v(N+1)`` from the current template, replay the topic
    into it with a consumer group of its own, swap the alias atomically, replay again for what
    arrived meanwhile (the running sink writes through the alias, so after the swap it writes
    to the new index; the version guard makes the overlap harmless). The old index is kept.

    Embedded: the same replay into a new file that then replaces the index file. Stop the
    running ``wirefeed index`` first: SQLite cannot swap a file under an open writer.
    """
    stamp = time.strftime("%Y%m%d%H%M%S")
    group = f"{sink_group(settings)}-rebuild-{stamp}"
    if settings.opensearch_url:
        from pipeline.index.opensearch import OpenSearchIndex

        current = OpenSearchIndex.from_settings(settings)
        current.ensure()
        new = current.create_next_index()
        IndexSink(settings, bootstrap, OpenSearchIndex.from_settings(settings, target=new), group=group).run(
            until_caught_up=True, timeout_s=timeout_s)
        old = current.swap_alias(new)
        IndexSink(settings, bootstrap, OpenSearchIndex.from_settings(settings, target=new), group=group).run(
            until_caught_up=True, timeout_s=timeout_s)
        current.refresh()
        count = current.count()
        current.close()
        return (f"alias {settings.opensearch_alias} -> {new} ({count} documents); "
                f"previous {', '.join(old) or '-'} kept: delete it when satisfied")
    import os

    from pipeline.index.embedded import EmbeddedIndex
    from pipeline.index.factory import embedded_path

    path = embedded_path(settings)
    staging = path.with_name(path.name + f".rebuild-{stamp}")
    stats = IndexSink(settings, bootstrap, EmbeddedIndex(staging), group=group).run(
        until_caught_up=True, timeout_s=timeout_s)
    for suffix in ("-wal", "-shm"):  # the old file's WAL must not be applied to the new one
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(staging, path)
    return f"{path} rebuilt from {settings.topic_articles}: {stats.written} documents written"
