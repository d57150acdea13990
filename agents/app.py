"""The Faust app: three agents wiring the pipeline's stages to topics.

    wire.raw --extract--> wire.extracted --dedupe--> wire.deduped --tag--> wire.articles
                     \\__________________ any failure __________________/--> wire.dlq

The agents only move records; every decision is made by ``pipeline.stages.Pipeline``,
the same object ``wirefeed process`` runs. The CPU-heavy stages (extract, tag) run
in the stage runner's child process (``pipeline.runner``, as in ``process``) so the
event loop keeps heartbeating while pages are cleaned, and one worker uses two cores.

An input record is acknowledged to Faust (and so its offset may be committed) only
after its output, article or dead letter, was acknowledged by the broker
(:func:`deliver`); batches come from ``noack_take``, because ``take`` acks a whole
batch whenever the agent leaves it, exception and shutdown included. Any record,
null, empty, not UTF-8, huge, not the JSON expected, becomes one dead letter. An
agent that cannot go on stops the worker rather than skip input (:func:`fatal_on_error`).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT

from agents.kafka import MAX_MESSAGE_BYTES, faust_settings, topic_specs
from agents.kafka import ssl_context as ssl_context_for
from agents.offsets import install as install_contiguous_commits
from agents.tables import TableStore
from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.errors import RecordError
from pipeline.runner import Outcome, StageRunner
from pipeline.stages import Pipeline, count_dead_letter, to_dead_letter
from schemas.names import UNTAGGED_REASONS, DeadLetterReason, Stage

log = logging.getLogger("wirefeed.worker")
# Records handed to the stage process at once, and how long to wait to fill a batch.
BATCH_SIZE = 32
BATCH_WINDOW_S = 0.05
# Table writes waiting to be produced before Faust stops delivering records to the agents (its default: 100).
CHANGELOG_BUFFER = 20_000


def _faust_credentials(settings: Settings) -> Any:
    """TLS/SASL from the same WIREFEED_KAFKA_* settings the kafka-python clients use."""
    protocol = settings.kafka_security_protocol.upper()
    ssl_context = None
    if protocol.endswith("SSL"):
        ssl_context = ssl_context_for(settings)  # CA and mTLS client certificate, as kafka-python's
    if settings.kafka_sasl_mechanism:
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


@dataclass
class Output:
    """A record an agent sends for one input: to its next topic, or a dead letter to the DLQ."""

    topic: faust.TopicT
    key: bytes
    value: bytes
    dead: bool = False


async def _send(output: Output) -> Awaitable[Any] | BaseException:
    """Start sending; the broker's acknowledgement is awaited later (a refusal may come at once)."""
    try:
        return await output.topic.send(key=output.key, value=output.value)
    except Exception as exc:  # e.g. larger than the producer's max request size
        if output.dead:
            raise
        return exc


async def await_sent(sent: Awaitable[Any] | BaseException) -> None:
    if isinstance(sent, BaseException):
        raise sent
    await sent


class InFlight:
    """Batches whose outputs are on their way to the broker, settled (acked) in the background.

    At most ``limit`` batches are in flight; a batch that fails to settle fails the worker.
    """

    def __init__(self, health: WorkerHealth, name: str, limit: int = 4) -> None:
        self.health, self.name, self.limit = health, name, limit
        self._tasks: deque[asyncio.Future[None]] = deque()

    def _done(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.critical("delivery failed; stopping the worker", extra={"stage": self.name, "error": repr(exc)})
            self.health.fail(f"agent {self.name}: {type(exc).__name__}: {exc}")

    async def add(self, settle: Awaitable[None]) -> None:
        task = asyncio.ensure_future(settle)
        task.add_done_callback(self._done)
        self._tasks.append(task)
        while self._tasks and (self._tasks[0].done() or len(self._tasks) > self.limit):
            await self._tasks.popleft()  # raises what the batch raised


@dataclass
class WorkerHealth:
    """What /healthz and /readyz report: started, the stage process, and any agent that failed."""

    started: bool = False
    failure: str | None = None
    runner: StageRunner | None = None
    on_failure: Callable[[str], None] | None = None

    def fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
            if self.on_failure is not None:
                self.on_failure(reason)

    @property
    def alive(self) -> bool:
        return self.failure is None

    def ready(self, app: faust.App) -> bool:
        runner_ok = self.runner is None or self.runner.healthy
        return self.started and self.alive and runner_ok and not app.rebalancing


def fatal_on_error(health: WorkerHealth, name: str) -> Callable:
    """An agent that fails stops the worker (it cannot go on without skipping input): the
    unacked input is processed again by the next worker, and health says why meanwhile."""

    def wrap(body: Callable[[faust.StreamT], Awaitable[None]]) -> Callable[[faust.StreamT], Awaitable[None]]:
        @functools.wraps(body)
        async def agent(stream: faust.StreamT) -> None:
            try:
                await body(stream)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                log.critical("agent failed; stopping the worker", extra={"stage": name, "error": repr(exc)})
                health.fail(f"agent {name}: {type(exc).__name__}: {exc}")
                raise

        return agent

    return wrap


def create_app(settings: Settings, bootstrap: str, health: WorkerHealth | None = None) -> faust.App:
    """Build the app with its topics, tables and agents; tables live under ``settings.data_dir``."""
    health = health or WorkerHealth()
    app = faust.App(
        settings.app_id,
        broker=",".join(f"kafka://{hp}" for hp in bootstrap.split(",")),
        broker_credentials=_faust_credentials(settings),
        store="rocksdb://",
        datadir=str(settings.data_dir / "faust"),
        web_enabled=False,
        topic_partitions=settings.partitions,
        # our topics already exist (agents.kafka.ensure_topics); Faust declares its changelogs
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        broker_commit_every=500,
        # the event loop is never busy (stages run in a child process), so heartbeats are reliable and
        # a killed worker's partitions can move to the others after 15 s instead of Faust's default 60 s
        broker_session_timeout=15.0,
        broker_heartbeat_interval=3.0,
        broker_commit_interval=1.0,
        stream_wait_empty=False,
        table_cleanup_interval=60.0,
        **faust_settings(settings),  # replication of Faust's topics, producer compression (agents/kafka.py)
    )
    # commit an input offset only once every record before it was acked: Faust's own bookkeeping
    # committed past unprocessed records after a rebalance (agents/offsets.py)
    install_contiguous_commits(app)
    specs = {spec.name: spec for spec in topic_specs(settings)}

    def topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=specs[name].partitions,
        )

    raw, extracted = topic(settings.topic_raw), topic(settings.topic_extracted)
    deduped, articles, dlq = topic(settings.topic_deduped), topic(settings.topic_articles), topic(settings.topic_dlq)

    dedupe_table = app.Table(
        f"{settings.app_id}-dedupe", default=None, partitions=specs[settings.topic_extracted].partitions,
        schema=faust.Schema(key_type=str, key_serializer="json", value_serializer="json"),
    )
    # the parent only dedupes: its pipeline never builds the extractor or the tagger
    store = TableStore(dedupe_table)

    @app.on_partitions_revoked.connect
    async def _forget_on_revoke(sender: Any, revoked: set, **_: Any) -> None:
        store.forget()  # the table's partitions may move: its cached reads are no longer ours to trust

    @app.on_partitions_assigned.connect
    async def _forget_on_assign(sender: Any, assigned: set, **_: Any) -> None:
        store.forget()
    pipeline = Pipeline(settings, deduper=Deduper(store=store, settings=settings), build=(Stage.DEDUPE,))
    runner = StageRunner(settings, steps=("front", "tag"), start_method="spawn")
    atexit.register(runner.close)
    health.runner = runner
    limit = settings.dlq_original_chars
    for reason in UNTAGGED_REASONS:  # every reason exported from the start, at 0, so rate() works
        metrics.UNTAGGED_TOPICS.labels(reason)

    def letter_for(exc: BaseException, stage: str, event: EventT) -> Output:
        """The dead letter of ``event``, saying where its input is (topic, partition, offset)."""
        letter = to_dead_letter(exc, stage, event.value, limit)
        message = event.message
        letter = letter.model_copy(update={"topic": message.topic, "partition": message.partition,
                                           "offset": message.offset})
        count_dead_letter(letter)
        log.warning("dead letter", extra={"stage": letter.stage, "reason": letter.reason, "url": letter.url})
        return Output(dlq, (letter.url or "").encode(), letter.model_dump_json().encode(), dead=True)

    async def deliver(
        stream: faust.StreamT, events: list[EventT], outputs: list[Output | None], in_flight: InFlight
    ) -> None:
        """Send each event's output; ack each event once the broker has acknowledged its output.

        An event is acked (and so its offset may be committed) only once its output, article or
        dead letter, is on the broker; an output the broker refuses is replaced by its dead letter.
        Anything else (the DLQ itself refused, the agent cancelled) leaves the event unacked: it is
        processed again after a restart, never skipped. The acknowledgements are awaited in the
        background (``in_flight``), so the next batch is being cleaned meanwhile.
        """
        sends = [None if output is None else await _send(output) for output in outputs]

        async def settle() -> None:
            for event, output, sent in zip(events, outputs, sends, strict=True):
                if output is not None:
                    try:
                        await await_sent(sent)
                    except Exception as exc:
                        if output.dead:
                            raise
                        failed = RecordError(Stage.PUBLISH, DeadLetterReason.PUBLISH_FAILED,
                                             f"{type(exc).__name__}: {exc}")
                        retry = letter_for(failed, Stage.PUBLISH, event)
                        await await_sent(await _send(retry))
                await stream.ack(event)

        await in_flight.add(settle())

    @app.task
    async def _changelog_buffer() -> None:
        # Faust holds back every incoming record, on every topic, while more than 100 table writes
        # wait to be produced: with a batch's changelog records (hundreds at once) that throttled the
        # whole worker to a few records a second. The dedupe agent drains its own writes instead.
        app.producer.buffer.max_messages = CHANGELOG_BUFFER

    async def in_child(step: str, stage: Stage, events: list[EventT],
                       output_of: Callable[[Outcome], Output | None],
                       ) -> tuple[list[Outcome], list[Output | None]]:
        """Run ``step`` on the events' values in the stage process: the outcomes, and each event's
        output: a dead letter for a bad record (the stream goes on), else ``output_of`` its outcome."""
        outcomes = await asyncio.wrap_future(runner.submit(step, [e.value for e in events], encode=True))
        outputs: list[Output | None] = []
        for event, outcome in zip(events, outcomes, strict=True):
            outcome.observed.record()  # the child's metrics, recorded where they are served
            outputs.append(letter_for(outcome.error, stage, event) if outcome.error is not None
                           else output_of(outcome))
        return outcomes, outputs

    def publish(outcome: Outcome) -> Output | None:
        """A tagged article goes to ``wire.articles`` unless the tagger says it is not publishable."""
        return Output(articles, outcome.article_id.encode(), outcome.value) if outcome.publishable else None

    async def batches_in_child(
        stream: faust.StreamT, stage: Stage, step: str, output_of: Callable[[Outcome], Output | None]
    ) -> AsyncIterator[list[Outcome]]:
        """The stream's batches through ``step`` in the stage process, delivered; yields each batch's outcomes."""
        in_flight = InFlight(health, stage)
        async for events in stream.noack_take(BATCH_SIZE, within=BATCH_WINDOW_S):
            outcomes, outputs = await in_child(step, stage, events, output_of)
            await deliver(stream, events, outputs, in_flight)
            yield outcomes

    @app.agent(raw)
    @fatal_on_error(health, Stage.EXTRACT)
    async def extract(stream: faust.StreamT) -> None:
        # one partition: the dedupe stage sees every article (key kept for debugging)
        async for _ in batches_in_child(stream, Stage.EXTRACT, "front",
                                        lambda outcome: Output(extracted, outcome.article_id.encode(), outcome.value)):
            pass

    @app.agent(extracted)
    @fatal_on_error(health, Stage.DEDUPE)
    async def dedupe(stream: faust.StreamT) -> None:
        in_flight = InFlight(health, Stage.DEDUPE)
        # here, in order, in the agent's own task: cheap, and Faust tables are written from the agent
        async for events in stream.noack_take(BATCH_SIZE, within=BATCH_WINDOW_S):
            outputs: list[Output | None] = []
            for n, event in enumerate(events):
                try:
                    article = pipeline.dedupe(pipeline.decode(Stage.DEDUPE, event.value))
                    outputs.append(Output(deduped, article.id.encode(), article.model_dump_json().encode()))
                except Exception as exc:
                    outputs.append(letter_for(exc, Stage.DEDUPE, event))
                pipeline.observe().record()
                await asyncio.sleep(0)  # let the changelog and the other agents' sends go meanwhile
                last = n + 1 == len(events)
                if last or events[n + 1].message.partition != event.message.partition:
                    # the batch's table writes, each key once; Faust sends a table's changelog to the
                    # partition of the event being processed, which it only knows inside the stream
                    _current_event.set(weakref.ref(event))
                    try:
                        store.flush()
                    finally:
                        _current_event.set(None)
            # the batch's changelog records go to the producer before its outputs: this agent waits for
            # them, rather than Faust's conductor holding every topic's records back (see CHANGELOG_BUFFER)
            await app.producer.buffer.flush()
            await deliver(stream, events, outputs, in_flight)

    @app.agent(deduped)
    @fatal_on_error(health, Stage.TAG)
    async def tag(stream: faust.StreamT) -> None:
        async for outcomes in batches_in_child(stream, Stage.TAG, "tag", publish):
            for fetched_at in (o.fetched_at for o in outcomes if o.error is None and o.publishable):
                metrics.ARTICLES_PUBLISHED.inc()
                if fetched_at is not None:  # live records only: a replay of old pages is no latency
                    metrics.observe_end_to_end(fetched_at)

    return app
