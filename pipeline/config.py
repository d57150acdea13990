"""Settings from ``WIREFEED_*`` environment variables (one prefix, typed, defaulted)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    topic_raw: str = "wire.raw"
    topic_extracted: str = "wire.extracted"
    topic_deduped: str = "wire.deduped"
    topic_articles: str = "wire.articles"
    topic_dlq: str = "wire.dlq"
    partitions: int = Field(default=4, ge=1, description="Partitions of the parallel topics.")
    retention_hours: int = Field(default=168, ge=1)

    # worker
    app_id: str = "wirefeed"
    data_dir: Path = Path(".wirefeed")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9308, description="Worker's /metrics, /healthz, /readyz; 0 = off.")
    reader_metrics_port: int = Field(default=9309, description="Reader's /metrics, /healthz, /readyz; 0 = off.")
    log_level: str = "INFO"
    drop_duplicates: bool = False
    dedupe_window_days: float = 7.0

    # limits
    max_content_bytes: int = Field(default=5_000_000, ge=1, description="Larger pages are dead-lettered.")
    dlq_original_chars: int = 2000
    record_cpu_seconds: float = Field(
        default=20.0, ge=0, description="CPU time one record may take in the stage process (too_slow); 0 = no limit."
    )
    record_memory_mb: int = Field(
        default=1024, ge=0, description="Memory the stage process may take beyond its stages (too_large); 0 = none."
    )

    # reader
    feeds_file: Path = Path("feeds.yaml")
    reader_state: Path = Path(".wirefeed/reader-state.json")
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
