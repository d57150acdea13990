"""The search-index hop: documents, the sink's semantics, two backends and search, with no Kafka.

``agents.index`` moves records from ``wire.articles`` through :mod:`pipeline.index.sink`
into a backend: :class:`~pipeline.index.embedded.EmbeddedIndex` (SQLite FTS5, the default)
or :class:`~pipeline.index.opensearch.OpenSearchIndex` (when ``WIREFEED_OPENSEARCH_URL`` is set).
"""

from pipeline.index.backend import IndexBackend, ItemResult, ItemStatus, TransientIndexError
from pipeline.index.documents import IndexAction, action_from_record, build_document

__all__ = [
    "IndexAction",
    "IndexBackend",
    "ItemResult",
    "ItemStatus",
    "TransientIndexError",
    "action_from_record",
    "build_document",
]
