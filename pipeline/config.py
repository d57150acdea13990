"""Settings from ``WIREFEED_*`` environment variables (one prefix, typed, defaulted)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TopicMismatchError(RuntimeError):
    """Existing Kafka topics contradict the settings (partitions, replicas, configs)."""


class Settings(BaseSettings):
    """Everything configurable. Each field is ``WIREFEED_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="WIREFEED_", extra="ignore")

    # Kafka
    kafka_bootstrap: str | None = Field(
        default=None,
        description="host:port[,host:port]. When unset, dev commands start a local broker.",
    )
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = Field(default=None, description="Client certificate (PEM) for mTLS.")
    kafka_ssl_keyfile: str | None = Field(default=None, description="Its private key (PEM) for mTLS.")
    kafka_ssl_password: str | None = Field(default=None, description="Password of the key file, if any.")
    kafka_compression: Literal["zstd", "lz4", "gzip", "none"] = Field(
        default="zstd", description="Producer compression (bench/kafka_compression.py: zstd 5.7x on pages)."
    )
    replication_factor: int = Field(
        default=1, ge=1, description="Replicas of every wirefeed topic and Faust changelog (3 on a cluster)."
    )
    min_insync_replicas: int = Field(
        default=1, ge=1, description="min.insync.replicas of those topics: acks=all waits for this many (2 of 3)."
    )
    topic_check: Literal["fail", "warn"] = Field(
        default="fail", description="Existing topics that contradict these settings: refuse to start, or warn."
    )
    topic_raw: str = "wire.raw"
    topic_extracted: str = "wire.extracted"
    topic_deduped: str = "wire.deduped"
    topic_articles: str = "wire.articles"
    topic_dlq: str = "wire.dlq"
    partitions: int = Field(default=4, ge=1, description="Partitions of the parallel topics.")
    retention_hours: int = Field(default=168, ge=1)

    # worker
    app_id: str = "wirefeed"
    data_dir: Path = Field(default=Path(".wirefeed"), description="Every stateful path defaults under it.")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9308, description="Worker's /metrics, /healthz, /readyz; 0 = off.")
    reader_metrics_port: int = Field(default=9309, description="Reader's /metrics, /healthz, /readyz; 0 = off.")
    log_level: str = "INFO"
    drop_duplicates: bool = False
    dedupe_window_days: float = 7.0

    # limits
    max_content_bytes: int = Field(default=5_000_000, ge=1, description="Larger pages are dead-lettered.")
    dlq_original_chars: int = 2000

    # reader
    feeds_file: Path = Path("feeds.yaml")
    reader_state: Path | None = Field(default=None, description="Default: DATA_DIR/reader-state.json.")
    poll_interval_s: float = 300.0
    fetch_timeout_s: float = 15.0
    fetch_max_bytes: int = 5_000_000
    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0
    max_redirects: int = 5
    allow_private_hosts: str = Field(
        default="",
        description="Comma-separated hosts/CIDRs the reader may fetch although private or loopback.",
    )
    user_agent: str = "wirefeed/0.1 (+https://example.invalid/wirefeed)"

    @model_validator(mode="after")
    def _derived_and_consistent(self) -> Settings:
        """Stateful paths default under ``data_dir`` (one volume holds all state); Kafka settings agree."""
        if self.reader_state is None:
            self.reader_state = self.data_dir / "reader-state.json"
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) > replication_factor "
                f"({self.replication_factor}): no write could ever be acknowledged"
            )
        if (self.kafka_ssl_certfile or self.kafka_ssl_keyfile) and not self.kafka_security_protocol.upper().endswith(
            "SSL"
        ):
            raise ValueError("a client certificate is set but WIREFEED_KAFKA_SECURITY_PROTOCOL is not SSL/SASL_SSL")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("mTLS needs both WIREFEED_KAFKA_SSL_CERTFILE and WIREFEED_KAFKA_SSL_KEYFILE")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
