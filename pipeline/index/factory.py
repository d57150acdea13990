"""Pick the backend from the settings: OpenSearch when WIREFEED_OPENSEARCH_URL is set, else embedded."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.index.backend import IndexBackend


def embedded_path(settings: Settings) -> Path:
    return Path(settings.index_path or Path(settings.data_dir) / "index.sqlite")


def open_backend(settings: Settings, target: str | None = None) -> IndexBackend:
    """The configured backend. ``target`` (OpenSearch only) writes to that concrete index, not the alias."""
    if settings.opensearch_url:
        from pipeline.index.opensearch import OpenSearchIndex

        return OpenSearchIndex.from_settings(settings, target=target)
    from pipeline.index.embedded import EmbeddedIndex

    return EmbeddedIndex(embedded_path(settings) if target is None else Path(target))
