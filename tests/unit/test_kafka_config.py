"""Kafka TLS/SASL settings pass through to every client from WIREFEED_KAFKA_* configuration."""

from __future__ import annotations

import faust

from agents.app import _faust_credentials
from agents.kafka import client_config
from pipeline.config import Settings


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
