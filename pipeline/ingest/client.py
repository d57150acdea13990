"""The reader's HTTP client built from settings (used by ``wirefeed read`` and ``wirefeed feeds discover``)."""

from __future__ import annotations

from pipeline.config import Settings
from pipeline.ingest.fetch import AddressPolicy, PoliteClient
from pipeline.ingest.robots import RobotsCache


def build_client(settings: Settings) -> PoliteClient:
    """A PoliteClient with the settings' policy and caps; robots.txt enforced unless ``robots_enabled`` is off."""
    client = PoliteClient(
        policy=AddressPolicy(settings.allow_private_hosts),
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.max_redirects,
        per_host_concurrency=settings.per_host_concurrency,
        per_host_delay_s=settings.per_host_delay_s,
        deadline_s=settings.fetch_deadline_s,
    )
    if settings.robots_enabled:
        RobotsCache(client, settings.user_agent, ttl_s=settings.robots_ttl_s,
                    max_crawl_delay_s=settings.max_crawl_delay_s).attach()
    return client
