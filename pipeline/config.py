"""Settings from ``WIREFEED_*`` environment variables (one prefix, typed, defaulted)."""

from __future__ import annotations

import difflib
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "WIREFEED_"


class ConfigError(ValueError):
    """A setting has a value wirefeed cannot use; ``str()`` is one line per bad setting."""


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
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
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
    metrics_port: int = Field(
        default=9308, ge=0, le=65535, description="Worker's /metrics, /healthz, /readyz; 0 = off."
    )
    reader_metrics_port: int = Field(
        default=9309, ge=0, le=65535, description="Reader's /metrics, /healthz, /readyz; 0 = off."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_repeat_s: float = Field(
        default=30.0, ge=0, description="At most one log line per repeated condition this often; 0 = all."
    )
    drop_duplicates: bool = False
    dedupe_window_days: float = Field(default=7.0, gt=0)

    # limits
    max_content_bytes: int = Field(default=5_000_000, ge=1, description="Larger pages are dead-lettered.")
    dlq_original_chars: int = Field(default=2000, ge=0)
    record_cpu_seconds: float = Field(
        default=20.0, ge=0, description="CPU time one record may take in the stage process (too_slow); 0 = no limit."
    )
    record_memory_mb: int = Field(
        default=1024, ge=0, description="Memory the stage process may take beyond its stages (too_large); 0 = none."
    )

    # reader
    feeds_file: Path = Path("feeds.yaml")
    reader_state: Path | None = Field(default=None, description="Default: DATA_DIR/reader-state.json.")
    poll_interval_s: float = Field(default=300.0, ge=0)
    fetch_timeout_s: float = Field(default=15.0, gt=0)
    fetch_max_bytes: int = Field(default=5_000_000, ge=1)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_delay_s: float = Field(default=1.0, ge=0)
    max_redirects: int = Field(default=5, ge=0)
    allow_private_hosts: str = Field(
        default="",
        description="Comma-separated hosts/CIDRs the reader may fetch although private or loopback.",
    )
    user_agent: str = "wirefeed/0.1 (+https://example.invalid/wirefeed)"
    fetch_deadline_s: float = Field(default=60.0, gt=0, description="Whole-response deadline of one fetch.")
    reader_feed_workers: int = Field(default=4, ge=1, description="Feeds polled at once; a slow one holds only itself.")
    reader_page_workers: int = Field(default=4, ge=1, description="Pages of one feed fetched at once.")
    max_item_updates: int = Field(
        default=3, ge=0, description="Times an item is re-fetched when its feed version (updated date, hash) changes."
    )
    robots_enabled: bool = Field(default=True, description="Honour robots.txt (turn off only for internal feeds).")
    robots_ttl_s: float = Field(default=3600.0, gt=0, description="How long a host's robots.txt is cached.")
    max_crawl_delay_s: float = Field(default=60.0, ge=0, description="Crawl-delay above this is capped.")
    sitemap_window_hours: float = Field(default=48.0, gt=0, description="Sitemap entries older than this are skipped.")
    sitemap_max_children: int = Field(default=50, ge=1, description="Sitemaps read from one index per poll.")

    # search index sink (wirefeed index / wirefeed search)
    opensearch_url: str | None = Field(
        default=None, description="OpenSearch base URL; when unset the embedded SQLite index is used."
    )
    opensearch_username: str | None = None
    opensearch_password: str | None = None
    opensearch_ca_certs: str | None = None
    opensearch_alias: str = Field(default="wire-articles", description="Alias the sink writes and search reads.")
    opensearch_timeout_s: float = 30.0
    index_path: Path | None = Field(default=None, description="Embedded index file; default DATA_DIR/index.sqlite.")
    index_group: str | None = Field(default=None, description="Sink's consumer group; default APP_ID-index.")
    index_batch_docs: int = Field(default=500, ge=1)
    index_batch_bytes: int = Field(default=5_000_000, ge=1)
    index_batch_wait_s: float = Field(default=0.1, gt=0, description="Longest a document waits for its bulk.")
    index_retry_cap_s: float = Field(default=10.0, gt=0, description="Longest pause between retries.")
    index_metrics_port: int = Field(default=9310, description="Index sink's /metrics, /healthz, /readyz; 0 = off.")

    # the local dev broker (`wirefeed broker start`, `make demo`) and where its jars are cached
    broker_port: int = Field(
        default=9092, ge=1, le=65534, description="Local dev broker's port; its controller uses the next one."
    )
    cache_dir: Path | None = Field(
        default=None, description="Cache of the broker's jars; default $XDG_CACHE_HOME/wirefeed (~/.cache/wirefeed)."
    )
    # the local dev OpenSearch (`wirefeed opensearch start`, the tests' session node)
    opensearch_home: Path | None = Field(
        default=None, description="Where its distribution is unpacked; default <tmp>/wirefeed-opensearch-<version>."
    )
    opensearch_port: int = Field(
        default=0, ge=0, le=65535, description="Port of `wirefeed opensearch start`; 0 = a free one, remembered."
    )

    @property
    def cache_root(self) -> Path:
        """Where fetched servers' files are cached: WIREFEED_CACHE_DIR, else ``$XDG_CACHE_HOME/wirefeed``.

        A cache, not state, so it is no field default under ``data_dir``; XDG_CACHE_HOME is read here
        with every other variable.
        """
        return self.cache_dir or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirefeed"

    @field_validator("log_level", "kafka_security_protocol", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """``info`` and ``sasl_ssl`` mean what their upper-case spellings mean."""
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _derived_and_consistent(self) -> Settings:
        """Stateful paths default under ``data_dir`` (one volume holds all state); Kafka settings agree."""
        if self.reader_state is None:
            self.reader_state = self.data_dir / "reader-state.json"
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"WIREFEED_MIN_INSYNC_REPLICAS ({self.min_insync_replicas}) > WIREFEED_REPLICATION_FACTOR "
                f"({self.replication_factor}): no write could ever be acknowledged"
            )
        if (self.kafka_ssl_certfile or self.kafka_ssl_keyfile) and not self.kafka_security_protocol.upper().endswith(
            "SSL"
        ):
            raise ValueError("a client certificate is set but WIREFEED_KAFKA_SECURITY_PROTOCOL is not SSL/SASL_SSL")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("mTLS needs both WIREFEED_KAFKA_SSL_CERTFILE and WIREFEED_KAFKA_SSL_KEYFILE")
        return self


# What a pydantic error type means for a person setting an environment variable.
_ALLOWED = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "greater_than_equal": "a number >= {ge}", "greater_than": "a number > {gt}",
    "less_than_equal": "a number <= {le}", "less_than": "a number < {lt}",
    "literal_error": "one of {expected}",
}


def _plain(value: object) -> str:
    """A bound or choice list as a person writes it: ``0`` not ``0.0``, no quotes."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("'", "")


def _describe(error: dict) -> str:
    """One pydantic error as ``WIREFEED_NAME='value' is not allowed: must be ...``."""
    if not error["loc"]:  # a rule across settings (a model validator): its message names them
        return str(error["msg"]).removeprefix("Value error, ")
    name = PREFIX + "_".join(str(part) for part in error["loc"]).upper()
    ctx = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
    template = _ALLOWED.get(error["type"])
    allowed = f"must be {template.format(**ctx)}" if template else error["msg"]
    value = os.environ.get(name, error.get("input"))
    return f"{name}={value!r} is not allowed: {allowed}"


def load_settings(**overrides: object) -> Settings:
    """``Settings()``, with a bad setting reported as a :class:`ConfigError` (one line per setting)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(error) for error in exc.errors())) from None


def misspelt_variables(environ: dict[str, str] | None = None) -> list[str]:
    """Warnings for ``WIREFEED_*`` variables that are no setting but look like one (a typo is ignored otherwise)."""
    environ = os.environ if environ is None else environ
    known = [PREFIX + name.upper() for name in Settings.model_fields]
    warnings = []
    for name in sorted(environ):
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
            if close:
                warnings.append(f"{name} is not a setting and is ignored: did you mean {close[0]}?")
    return warnings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once); raises :class:`ConfigError` on a bad setting."""
    return load_settings()
