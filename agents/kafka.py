"""Kafka clients (kafka-python) and the topic layout, created explicitly by the app.

Every topic wirefeed writes, including the dedupe table's Faust changelog, is created
here with its partitions, replication factor and configs, and checked at every start:
a topic that exists with other settings is reported (``check_topics``), never silently
used as it is.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import InvalidReplicationFactorError, NoBrokersAvailable, TopicAlreadyExistsError

from pipeline.config import Settings, TopicMismatchError

log = logging.getLogger("wirefeed.kafka")

# Pages are capped well below this (WIREFEED_MAX_CONTENT_BYTES); records carry JSON overhead.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]
    replication: int = 1


def changelog_topic(settings: Settings) -> str:
    """The dedupe table's changelog, named as Faust names it (``{app id}-{table name}-changelog``)."""
    return f"{settings.app_id}-{settings.app_id}-dedupe-changelog"


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic wirefeed uses, with explicit partitions and configs.

    ``wire.extracted`` has one partition on purpose: the dedupe stage needs to
    see every article in order, and one partition holds its whole rate (see the
    README's scale section). The parallel stages (extract, tag) scale over
    ``settings.partitions``.
    """
    retention = str(settings.retention_hours * 3600 * 1000)
    # acks=all waits for min.insync.replicas copies: with 3 replicas and 2 in sync, one broker may fail
    big = {"max.message.bytes": str(MAX_MESSAGE_BYTES), "min.insync.replicas": str(settings.min_insync_replicas)}
    timed = {"cleanup.policy": "delete", "retention.ms": retention, **big}
    rf = settings.replication_factor
    return [
        TopicSpec(settings.topic_raw, settings.partitions, timed, rf),
        TopicSpec(settings.topic_extracted, 1, timed, rf),
        TopicSpec(settings.topic_deduped, settings.partitions, timed, rf),
        TopicSpec(
            settings.topic_articles,
            settings.partitions,
            {"cleanup.policy": "compact", "min.compaction.lag.ms": retention, **big},
            rf,
        ),
        TopicSpec(settings.topic_dlq, 1, timed, rf),
        # the dedupe table (one partition, like its source wire.extracted); compacted: the latest value per key
        TopicSpec(changelog_topic(settings), 1, {"cleanup.policy": "compact", **big}, rf),
    ]


# How each kind of disagreement between an existing topic and the settings is treated.
# FAIL: the pipeline would be wrong or less durable than configured (dedupe order needs one
# partition of wire.extracted, Faust needs the changelog co-partitioned with its source, fewer
# replicas or a lower min.insync.replicas break the promise of acks=all, delete instead of compact
# loses the dedupe table or article upserts). WARN: tuning that changes no guarantee (retention,
# size limits, more replicas than asked).
_FAIL_CONFIGS = {"cleanup.policy"}
_AT_LEAST_CONFIGS = {"min.insync.replicas"}


@dataclass(frozen=True)
class TopicProblem:
    topic: str
    what: str
    fatal: bool

    def __str__(self) -> str:
        return f"{self.topic}: {self.what}"


def compare_topic(spec: TopicSpec, partitions: int, replication: int, config: dict[str, str]) -> list[TopicProblem]:
    """What differs between an existing topic (as described by the broker) and its spec."""
    problems = []
    if partitions != spec.partitions:
        problems.append(TopicProblem(spec.name, f"{partitions} partitions, settings say {spec.partitions}", True))
    if replication < spec.replication:
        problems.append(TopicProblem(
            spec.name, f"replication factor {replication}, settings say {spec.replication}", True))
    elif replication > spec.replication:
        problems.append(TopicProblem(
            spec.name, f"replication factor {replication}, more than the {spec.replication} asked", False))
    for key, wanted in spec.config.items():
        have = config.get(key)
        if have == wanted:
            continue
        if key in _AT_LEAST_CONFIGS:
            fatal = have is None or int(have) < int(wanted) or int(have) > replication
        else:
            fatal = key in _FAIL_CONFIGS
        problems.append(TopicProblem(spec.name, f"{key}={have}, settings say {wanted}", fatal))
    return problems


def describe_topics(
    admin: KafkaAdminClient, names: list[str], settle_s: float = 30.0
) -> dict[str, tuple[int, int, dict[str, str]]]:
    """(partitions, smallest replica count, configs) of each named topic as the broker has it.

    A topic another process has just created can be described with no partitions or no
    configs for a moment (metadata not yet propagated): asks again, up to ``settle_s``,
    so a concurrent start is never mistaken for a wrong topic.
    """
    deadline = time.monotonic() + settle_s
    while True:
        shape: dict[str, tuple[int, int]] = {}
        for topic in admin.describe_topics(names):
            parts = topic["partitions"]
            if topic.get("error_code", 0) == 0 and parts and all(p["replicas"] for p in parts):
                shape[topic["topic"]] = (len(parts), min(len(p["replicas"]) for p in parts))
        configs: dict[str, dict[str, str]] = {}
        for response in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names]):
            for code, _msg, _type, name, entries in response.resources:
                if code == 0 and entries:
                    configs[name] = {entry[0]: entry[1] for entry in entries}
        if all(n in shape and n in configs for n in names) or time.monotonic() > deadline:
            return {n: (*shape[n], configs[n]) for n in names if n in shape and n in configs}
        time.sleep(0.5)


def check_topics(settings: Settings, described: dict[str, tuple[int, int, dict[str, str]]]) -> list[TopicProblem]:
    """Compare existing topics with the settings; raise TopicMismatchError on a fatal difference.

    Warnings are logged. ``WIREFEED_TOPIC_CHECK=warn`` turns every difference into a warning
    (for an operator who changed a topic on purpose and knows the consequence).
    """
    problems = []
    for spec in topic_specs(settings):
        if spec.name in described:
            problems.extend(compare_topic(spec, *described[spec.name]))
    fatal = [p for p in problems if p.fatal]
    for problem in problems:
        if not problem.fatal or settings.topic_check == "warn":
            log.warning("topic differs from settings: %s", problem)
    if fatal and settings.topic_check == "fail":
        raise TopicMismatchError(
            "existing topics contradict the settings (fix the topics, or the settings, or set "
            "WIREFEED_TOPIC_CHECK=warn to run anyway):\n  " + "\n  ".join(map(str, fatal))
        )
    return problems


def client_config(settings: Settings, bootstrap: str) -> dict[str, Any]:
    """Connection settings for kafka-python clients, TLS/SASL/mTLS passed through from config."""
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
    if settings.kafka_ssl_certfile:  # mTLS: the broker authenticates this client by its certificate
        config["ssl_certfile"] = settings.kafka_ssl_certfile
        config["ssl_keyfile"] = settings.kafka_ssl_keyfile
        if settings.kafka_ssl_password:
            config["ssl_password"] = settings.kafka_ssl_password
    return config


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for Faust's (aiokafka) clients: the same CA and client certificate as above."""
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile, settings.kafka_ssl_password)
    return context


def compression(settings: Settings) -> str | None:
    return None if settings.kafka_compression == "none" else settings.kafka_compression


def faust_settings(settings: Settings) -> dict[str, Any]:
    """Faust app settings from ours: replicas of the topics Faust declares, producer compression."""
    return {
        "topic_replication_factor": settings.replication_factor,
        "producer_compression_type": compression(settings),
    }


def ensure_topics(settings: Settings, bootstrap: str, timeout_s: float = 60.0) -> list[str]:
    """Create missing topics, check the existing ones; return the names created.

    Waits for the broker up to ``timeout_s``. Raises TopicMismatchError when an existing
    topic contradicts the settings (``check_topics``) or the cluster has too few brokers
    for the replication factor.
    """
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
        specs = topic_specs(settings)
        for spec in specs:
            if spec.name in existing:
                continue
            try:  # kafka-python raises the broker's per-topic error (through the controller request)
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=spec.config)]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:  # another process created it meanwhile: checked below
                pass
            except InvalidReplicationFactorError:
                raise TopicMismatchError(
                    f"cannot create {spec.name} with {spec.replication} replicas: the cluster has fewer brokers "
                    f"(WIREFEED_REPLICATION_FACTOR={settings.replication_factor})"
                ) from None
        check_topics(settings, describe_topics(admin, [spec.name for spec in specs if spec.name not in created]))
    finally:
        admin.close()
    return created


def producer_config(settings: Settings, bootstrap: str) -> dict[str, Any]:
    """A durable producer: acks=all, idempotent (a retry never writes a record twice), one request in
    flight (kafka-python's condition for idempotence; retries keep the order), compressed pages
    (zstd: 5.7x smaller than plain JSON, bench/kafka_compression.py)."""
    return {
        "client_id": "wirefeed-producer",
        "acks": "all",
        "enable_idempotence": True,
        "retries": 10,
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": 5,
        "compression_type": compression(settings),
        "max_request_size": MAX_MESSAGE_BYTES,
        **client_config(settings, bootstrap),
    }


def make_producer(settings: Settings, bootstrap: str) -> KafkaProducer:
    return KafkaProducer(**producer_config(settings, bootstrap))


# how often a consumer asks the brokers for topics and partitions again (make_consumer says why)
CONSUMER_METADATA_MAX_AGE_MS = 5_000


def make_consumer(settings: Settings, bootstrap: str, topic: str | None, **kwargs: Any) -> KafkaConsumer:
    """A consumer subscribed to ``topic``, or to nothing yet (``None``: the caller assigns partitions)."""
    topics = () if topic is None else (topic,)
    # A topic created moments ago (the worker creates them at start) can be missing from the first
    # metadata the consumer gets; kafka-python then asks again only after metadata_max_age_ms, 5 min
    # by default, and `wirefeed tail` or the demo would show nothing for that long.
    kwargs.setdefault("metadata_max_age_ms", CONSUMER_METADATA_MAX_AGE_MS)
    return KafkaConsumer(*topics, **client_config(settings, bootstrap), **kwargs)
