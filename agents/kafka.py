"""Kafka clients (kafka-python) and the topic layout, created explicitly by the app."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import NoBrokersAvailable, TopicAlreadyExistsError

from pipeline.config import Settings

# Pages are capped well below this (WIREFEED_MAX_CONTENT_BYTES); records carry JSON overhead.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic wirefeed uses, with explicit partitions and configs.

    ``wire.extracted`` has one partition on purpose: the dedupe stage needs to
    see every article in order, and one partition holds its whole rate (see the
    README's scale section). The parallel stages (extract, tag) scale over
    ``settings.partitions``.
    """
    retention = str(settings.retention_hours * 3600 * 1000)
    big = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    timed = {"cleanup.policy": "delete", "retention.ms": retention, **big}
    return [
        TopicSpec(settings.topic_raw, settings.partitions, timed),
        TopicSpec(settings.topic_extracted, 1, timed),
        TopicSpec(settings.topic_deduped, settings.partitions, timed),
        TopicSpec(
            settings.topic_articles,
            settings.partitions,
            {"cleanup.policy": "compact", "min.compaction.lag.ms": retention, **big},
        ),
        TopicSpec(settings.topic_dlq, 1, timed),
    ]


def client_config(settings: Settings, bootstrap: str) -> dict[str, Any]:
    """Connection settings for kafka-python clients, TLS/SASL passed through from config."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = settings.kafka_sasl_password
    if settings.kafka_ssl_cafile:
        config["ssl_cafile"] = settings.kafka_ssl_cafile
    return config


def ensure_topics(settings: Settings, bootstrap: str, timeout_s: float = 60.0) -> list[str]:
    """Create missing topics; return the names created. Waits for the broker up to timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(client_id="wirefeed-admin", **client_config(settings, bootstrap))
            break
        except NoBrokersAvailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    created: list[str] = []
    try:
        existing = set(admin.list_topics())
        for spec in topic_specs(settings):
            if spec.name in existing:
                continue
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.config)]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
    return created


def make_producer(settings: Settings, bootstrap: str) -> KafkaProducer:
    """A durable producer: acks=all, retries, bounded in-flight so retries keep order."""
    return KafkaProducer(
        client_id="wirefeed-producer",
        acks="all",
        retries=10,
        max_in_flight_requests_per_connection=1,
        linger_ms=5,
        compression_type=None,
        max_request_size=MAX_MESSAGE_BYTES,
        **client_config(settings, bootstrap),
    )


def make_consumer(settings: Settings, bootstrap: str, topic: str, **kwargs: Any) -> KafkaConsumer:
    return KafkaConsumer(topic, **client_config(settings, bootstrap), **kwargs)
