"""The Faust app: three agents wiring the pipeline's stages to topics.

    wire.raw --extract--> wire.extracted --dedupe--> wire.deduped --tag--> wire.articles
                     \\__________________ any failure __________________/--> wire.dlq

The agents only move records; every decision is made by ``pipeline.stages.Pipeline``,
the same object ``wirefeed process`` runs. CPU-heavy stages run in a worker
thread so the event loop keeps heartbeating while a page is being cleaned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust

from agents.kafka import MAX_MESSAGE_BYTES, topic_specs
from agents.tables import TableStore
from pipeline import metrics
from pipeline.config import Settings
from pipeline.dedupe import Deduper
from pipeline.stages import Pipeline, to_dead_letter
from schemas import Article, DeadLetter

log = logging.getLogger("wirefeed.worker")
T = TypeVar("T")


def _faust_credentials(settings: Settings) -> Any:
    if settings.kafka_sasl_mechanism:
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            mechanism=settings.kafka_sasl_mechanism,
        )
    if settings.kafka_ssl_cafile:
        import ssl

        return faust.SSLCredentials(ssl.create_default_context(cafile=settings.kafka_ssl_cafile))
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
        broker_commit_interval=1.0,
        stream_wait_empty=False,
        table_cleanup_interval=60.0,
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
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirefeed-stage")
    limit = settings.dlq_original_chars

    async def off_loop(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    async def dead(exc: BaseException, stage: str, original: bytes) -> None:
        letter: DeadLetter = to_dead_letter(exc, stage, original, limit)
        log.warning("dead letter", extra={"stage": letter.stage, "reason": letter.reason, "url": letter.url})
        await dlq.send(key=(letter.url or "").encode(), value=letter.model_dump_json().encode())

    @app.agent(raw)
    async def extract(stream: faust.StreamT) -> None:
        async for value in stream:
            try:
                page = pipeline.parse(value)
                article = await off_loop(pipeline.extract, page)
                record = article.model_dump_json().encode()
            except Exception as exc:  # a bad page goes to the DLQ; the stream goes on
                await dead(exc, "extract", value)
                continue
            # one partition: the dedupe stage sees every article (key kept for debugging)
            await extracted.send(key=article.id.encode(), value=record)

    @app.agent(extracted)
    async def dedupe(stream: faust.StreamT) -> None:
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
        async for value in stream:
            try:
                article = await off_loop(pipeline.tag, Article.model_validate_json(value))
                record = article.model_dump_json().encode()
            except Exception as exc:
                await dead(exc, "tag", value)
                continue
            if not pipeline.publishable(article):
                continue
            await articles.send(key=article.id.encode(), value=record)
            metrics.ARTICLES_PUBLISHED.inc()
            if article.fetched_at is not None:
                lag = (datetime.now(UTC) - article.fetched_at).total_seconds()
                metrics.END_TO_END_SECONDS.observe(max(lag, 0.0))

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
