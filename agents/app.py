"""The Faust app: three agents wiring the pipeline's stages to topics.

    wire.raw --extract--> wire.extracted --dedupe--> wire.deduped --tag--> wire.articles
                     \\__________________ any failure __________________/--> wire.dlq

The agents only move records; every decision is made by ``pipeline.stages.Pipeline``,
the same object ``wirefeed process`` runs. The CPU-heavy stages (extract, tag) run
in a child process (``agents.stage_process``) so the event loop keeps heartbeating
while pages are cleaned, and one worker uses two cores.
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

import faust

from agents.kafka import MAX_MESSAGE_BYTES, faust_settings, topic_specs
from agents.kafka import ssl_context as ssl_context_for
from agents.stage_process import StageProcess
from agents.tables import TableStore
from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.stages import Pipeline, to_dead_letter
from schemas import Article, DeadLetter

log = logging.getLogger("wirefeed.worker")
# Records handed to the stage process at once, and how long to wait to fill a batch.
BATCH_SIZE = 32
BATCH_WINDOW_S = 0.05


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


def create_app(settings: Settings, bootstrap: str) -> faust.App:
    """Build the app with its topics, tables, agents and the lag timer."""
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
    pipeline = Pipeline(settings, deduper=Deduper(store=TableStore(dedupe_table), settings=settings))
    stages = StageProcess(settings)
    atexit.register(stages.close)
    limit = settings.dlq_original_chars

    async def dead(exc: BaseException, stage: str, original: bytes) -> None:
        letter: DeadLetter = to_dead_letter(exc, stage, original, limit)
        log.warning("dead letter", extra={"stage": letter.stage, "reason": letter.reason, "url": letter.url})
        await dlq.send(key=(letter.url or "").encode(), value=letter.model_dump_json().encode())

    @app.agent(raw)
    async def extract(stream: faust.StreamT) -> None:
        async for values in stream.take(BATCH_SIZE, within=BATCH_WINDOW_S):
            for value, result in zip(values, await stages.run("extract", values), strict=True):
                if result.error is not None:  # a bad page goes to the DLQ; the stream goes on
                    await dead(result.error, "extract", value)
                    continue
                # one partition: the dedupe stage sees every article (key kept for debugging)
                await extracted.send(key=result.article_id.encode(), value=result.value)

    @app.agent(extracted)
    async def dedupe(stream: faust.StreamT) -> None:
        # here, in order, in the agent's own task: cheap, and Faust tables are written from the agent
        async for value in stream:
            try:
                article = pipeline.dedupe(Article.model_validate_json(value))
                record = article.model_dump_json().encode()
            except Exception as exc:
                await dead(exc, "dedupe", value)
                continue
            await deduped.send(key=article.id.encode(), value=record)

    @app.agent(deduped)
    async def tag(stream: faust.StreamT) -> None:
        async for values in stream.take(BATCH_SIZE, within=BATCH_WINDOW_S):
            for value, result in zip(values, await stages.run("tag", values), strict=True):
                if result.error is not None:
                    await dead(result.error, "tag", value)
                    continue
                if not result.publishable:
                    continue
                await articles.send(key=result.article_id.encode(), value=result.value)
                metrics.ARTICLES_PUBLISHED.inc()
                if result.fetched_at is not None:  # live records only: a replay of old pages is no latency
                    metrics.observe_end_to_end(result.fetched_at)

    @app.timer(interval=5.0)
    async def report_lag() -> None:
        consumer = app.consumer
        try:
            assignment = consumer.assignment()
        except Exception:
            return
        for tp in assignment:
            high = consumer.highwater(tp)
            committed = consumer._committed_offset.get(tp)  # noqa: SLF001 - Faust exposes no public getter
            if high is None:
                continue
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(high - (committed or 0), 0))

    return app
