"""Kafka settings pass through to every client: TLS/SASL/mTLS, compression, idempotence, replication;
existing topics that contradict them are reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import faust
import pytest
from kafka import KafkaProducer
from pydantic import ValidationError

from agents.app import _faust_credentials
from agents.kafka import (
    TopicSpec,
    changelog_topic,
    check_topics,
    client_config,
    compare_topic,
    faust_settings,
    producer_config,
    topic_specs,
)
from pipeline.config import Settings, TopicMismatchError


def test_plaintext_by_default() -> None:
    settings = Settings()
    assert client_config(settings, "a:9092,b:9092") == {
        "bootstrap_servers": ["a:9092", "b:9092"], "security_protocol": "PLAINTEXT"
    }
    assert _faust_credentials(settings) is None


def test_sasl_over_tls_reaches_kafka_python_and_faust() -> None:
    settings = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
                        kafka_sasl_username="wire", kafka_sasl_password="s3cret")
    config = client_config(settings, "k:9093")
    assert config["security_protocol"] == "SASL_SSL"
    assert (config["sasl_mechanism"], config["sasl_plain_username"], config["sasl_plain_password"]) == (
        "SCRAM-SHA-512", "wire", "s3cret")
    credentials = _faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.username == "wire" and credentials.ssl_context is not None


def test_tls_alone_gives_faust_an_ssl_context() -> None:
    assert isinstance(_faust_credentials(Settings(kafka_security_protocol="SSL")), faust.SSLCredentials)


# -- mTLS, compression, idempotence (issue 15) -----------------------------------------------------


def self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=wirefeed",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


def test_a_client_certificate_reaches_kafka_python_and_faust(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_certfile=cert, kafka_ssl_keyfile=key,
                        kafka_ssl_cafile=cert)
    config = client_config(settings, "k:9093")
    assert (config["ssl_certfile"], config["ssl_keyfile"], config["ssl_cafile"]) == (cert, key, cert)
    assert producer_config(settings, "k:9093")["ssl_certfile"] == cert  # every client is built on client_config
    credentials = _faust_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)
    # the context holds the client certificate: a broken key file would raise instead
    Path(key).write_text("not a key")
    with pytest.raises(Exception):  # noqa: B017 - ssl.SSLError / OSError depending on the library
        _faust_credentials(settings)


def test_a_certificate_without_tls_or_without_its_key_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not SSL"):
        Settings(kafka_ssl_certfile="c.pem", kafka_ssl_keyfile="k.pem")
    with pytest.raises(ValidationError, match="both"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_certfile="c.pem")


def test_producers_are_idempotent_ordered_acks_all_and_compressed() -> None:
    config = producer_config(Settings(), "k:9092")
    assert config["acks"] == "all" and config["enable_idempotence"] is True
    assert config["max_in_flight_requests_per_connection"] == 1  # kafka-python's condition for idempotence
    assert config["compression_type"] == "zstd"
    assert producer_config(Settings(kafka_compression="none"), "k:9092")["compression_type"] is None
    KafkaProducer(**config, api_version=(3, 9)).close(0)  # kafka-python accepts the combination


def test_the_compression_codecs_are_installed_for_both_client_libraries() -> None:
    from aiokafka import codec as aiokafka_codec
    from kafka import codec as kafka_codec

    assert kafka_codec.has_zstd() and aiokafka_codec.has_zstd()
    assert kafka_codec.zstd_decode(kafka_codec.zstd_encode(b"page" * 100)) == b"page" * 100


# -- replication settings and the topic check ---------------------------------------------------------
def test_replication_defaults_to_one_locally_and_is_set_on_every_topic_and_faust() -> None:
    assert (Settings().replication_factor, Settings().min_insync_replicas) == (1, 1)
    settings = Settings(replication_factor=3, min_insync_replicas=2)
    specs = topic_specs(settings)
    assert {spec.replication for spec in specs} == {3}
    assert {spec.config["min.insync.replicas"] for spec in specs} == {"2"}
    assert faust_settings(settings)["topic_replication_factor"] == 3


def test_min_insync_replicas_above_the_replication_factor_is_refused() -> None:
    with pytest.raises(ValidationError, match="no write could ever be acknowledged"):
        Settings(replication_factor=2, min_insync_replicas=3)


def test_the_dedupe_changelog_is_one_of_our_topics_named_as_faust_names_it() -> None:
    from agents.app import create_app

    settings = Settings(app_id="wf-check", replication_factor=3, min_insync_replicas=2)
    app = create_app(settings, "127.0.0.1:1")
    [table] = app.tables.values()
    assert table.changelog_topic.get_topic_name() == changelog_topic(settings)
    assert changelog_topic(settings) in {spec.name for spec in topic_specs(settings)}
    assert app.conf.topic_replication_factor == 3
    assert app.conf.producer_compression_type == "zstd"


SPEC = TopicSpec("wire.raw", 4, {"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "100"}, 3)
GOOD = {"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "100"}


@pytest.mark.parametrize(
    ("partitions", "replication", "config", "fatal", "said"),
    [
        (2, 3, GOOD, True, "2 partitions, settings say 4"),
        (4, 1, GOOD, True, "replication factor 1, settings say 3"),
        (4, 3, {**GOOD, "min.insync.replicas": "1"}, True, "min.insync.replicas=1"),
        (4, 3, {**GOOD, "cleanup.policy": "compact"}, True, "cleanup.policy=compact"),
        (4, 5, {**GOOD, "min.insync.replicas": "2"}, False, "more than the 3 asked"),
        (4, 3, {**GOOD, "min.insync.replicas": "3"}, False, "min.insync.replicas=3"),
        (4, 3, {**GOOD, "min.insync.replicas": "4"}, True, "min.insync.replicas=4"),  # > replicas: no write
        (4, 3, {**GOOD, "retention.ms": "5"}, False, "retention.ms=5"),
    ],
)
def test_each_difference_of_an_existing_topic_is_reported_fatal_or_not(
    partitions: int, replication: int, config: dict[str, str], fatal: bool, said: str
) -> None:
    [problem] = compare_topic(SPEC, partitions, replication, config)
    assert problem.fatal is fatal and said in str(problem) and problem.topic == "wire.raw"


def test_a_matching_topic_has_no_problem() -> None:
    assert compare_topic(SPEC, 4, 3, GOOD) == []


def described(settings: Settings, **override: tuple[int, int, dict[str, str]]) -> dict:
    out = {spec.name: (spec.partitions, spec.replication, dict(spec.config)) for spec in topic_specs(settings)}
    out.update(override)
    return out


def test_check_topics_fails_on_a_fatal_difference_naming_topic_and_fix(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings()
    assert check_topics(settings, described(settings)) == []
    bad = described(settings, **{settings.topic_extracted: (3, 1, topic_specs(settings)[1].config)})
    with pytest.raises(TopicMismatchError, match=r"wire\.extracted: 3 partitions, settings say 1") as info:
        check_topics(settings, bad)
    assert "WIREFEED_TOPIC_CHECK=warn" in str(info.value)
    # warn mode: the same difference is logged, and the start goes on
    [problem] = check_topics(Settings(topic_check="warn"), bad)
    assert problem.fatal and "3 partitions" in caplog.text


def test_consumers_look_for_a_just_created_topic_again_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    # kafka-python's default (5 min) left `tail` and the tests reading nothing when the topic was not
    # yet in the first metadata the consumer got (seen as a CI failure of the end-to-end test)
    import agents.kafka as kafka_module

    made: list[dict] = []
    monkeypatch.setattr(kafka_module, "KafkaConsumer", lambda *topics, **config: made.append(config))
    kafka_module.make_consumer(Settings(), "k:9092", "wire.articles")
    kafka_module.make_consumer(Settings(), "k:9092", "wire.articles", metadata_max_age_ms=1000)
    assert made[0]["metadata_max_age_ms"] <= 10_000
    assert made[1]["metadata_max_age_ms"] == 1000
