"""The OpenSearch backend (opensearch-py, the bulk API), used whenever WIREFEED_OPENSEARCH_URL is set.

Ordering guard: external versioning, ``version_type=external_gte`` with the article's version
(:func:`pipeline.index.documents.article_version`); a write of an older version answers 409,
which the sink counts as acknowledged ("stale"). Deletes carry the tombstone's version the same
way; OpenSearch remembers a deleted document's version for ``index.gc_deletes`` (60 s by
default), the embedded index for ever. Writes go through the alias (``wire-articles``) to its
write index, so a rebuild swaps indexes without the sink noticing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, RequestError, TransportError

from pipeline.config import Settings
from pipeline.index.backend import OK, STALE, ItemResult, ItemStatus, SearchHit, SearchQuery, TransientIndexError
from pipeline.index.documents import IndexAction, iso
from pipeline.index.mapping import first_index_body, index_name, index_template, mappings

SNIPPET_CHARS = 180


class OpenSearchIndex:
    """Documents in ``target`` (default: the alias) on the cluster ``client`` talks to."""

    name = "opensearch"

    def __init__(self, client: OpenSearch, alias: str, target: str | None = None) -> None:
        self.client = client
        self.alias = alias
        self.target = target or alias

    @classmethod
    def from_settings(cls, settings: Settings, target: str | None = None) -> OpenSearchIndex:
        auth = None
        if settings.opensearch_username:
            auth = (settings.opensearch_username, settings.opensearch_password or "")
        client = OpenSearch(
            hosts=[settings.opensearch_url], http_auth=auth, ca_certs=settings.opensearch_ca_certs,
            timeout=settings.opensearch_timeout_s, max_retries=0,  # the sink retries, with back-off
        )
        return cls(client, settings.opensearch_alias, target)

    # set-up ----------------------------------------------------------------------------------

    def ensure(self) -> None:
        """The template, and the first index with the alias when the alias does not exist yet.

        An existing index made from an older template gets the fields added since (a strict
        mapping would refuse the new fields of newer Articles, e.g. ``author`` of version 2).
        Only additions: OpenSearch refuses to change an existing field, and so does this.
        """
        try:
            self.client.indices.put_index_template(name=self.alias, body=index_template(self.alias))
            if self.target == self.alias and not self.client.indices.exists_alias(name=self.alias):
                try:
                    self.client.indices.create(index=index_name(self.alias, 1), body=first_index_body(self.alias))
                except RequestError as exc:
                    if exc.error != "resource_already_exists_exception":
                        raise
            elif self.client.indices.exists(index=self.target):
                self.client.indices.put_mapping(index=self.target, body=mappings())
        except (OSConnectionError, ConnectionTimeout) as exc:
            raise TransientIndexError("connection", str(exc)[:300]) from exc
        except TransportError as exc:
            if isinstance(exc.status_code, int) and (exc.status_code == 429 or exc.status_code >= 500):
                raise TransientIndexError(f"http_{exc.status_code}", str(exc)[:300]) from exc
            raise

    def current_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def create_next_index(self) -> str:
        """A new, empty ``<alias>-vN`` (N one past the highest existing), from the current template."""
        self.client.indices.put_index_template(name=self.alias, body=index_template(self.alias))
        existing = self.client.indices.get(index=f"{self.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
        versions = [int(name.rsplit("-v", 1)[1]) for name in existing if name.rsplit("-v", 1)[1].isdigit()]
        name = index_name(self.alias, max(versions, default=0) + 1)
        self.client.indices.create(index=name)
        return name

    def swap_alias(self, new_index: str) -> list[str]:
        """Point the alias (reads and writes) at ``new_index`` in one atomic step; return the old indexes."""
        old = [name for name in self.current_indices() if name != new_index]
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new_index, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(body={"actions": actions})
        return old

    def close(self) -> None:
        self.client.close()

    # writing -------------------------------------------------------------------------------------

    def bulk(self, actions: Sequence[IndexAction]) -> list[ItemResult]:
        lines: list[bytes] = []
        for action in actions:
            meta = {action.op: {"_index": self.target, "_id": action.doc_id, "version": action.version,
                                "version_type": "external_gte"}}
            lines.append(json.dumps(meta).encode())
            if action.op == "index":
                lines.append(action.body or json.dumps(action.document).encode())
        body = b"\n".join(lines) + b"\n"
        try:
            response = self.client.bulk(body=body)
        except (OSConnectionError, ConnectionTimeout) as exc:
            raise TransientIndexError("timeout" if isinstance(exc, ConnectionTimeout) else "connection",
                                      str(exc)[:300]) from exc
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            if status == 413 and len(actions) > 1:  # request too large: halve it
                half = len(actions) // 2
                return self.bulk(actions[:half]) + self.bulk(actions[half:])
            if status == 413:
                return [ItemResult(ItemStatus.REJECTED, "request_too_large", str(exc)[:300])]
            if status == 429 or status >= 500 or status == 0:
                raise TransientIndexError(f"http_{status}", str(exc)[:300]) from exc
            raise
        return [_item_result(action, item) for action, item in zip(actions, response["items"], strict=True)]

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.target)

    # reading ----------------------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict[str, Any] | None:
        try:
            return self.client.get(index=self.target, id=doc_id)["_source"]
        except NotFoundError:
            return None

    def count(self) -> int:
        return self.client.count(index=self.target)["count"]

    def ids(self) -> list[str]:
        response = self.client.search(index=self.target, body={"size": 10000, "_source": False,
                                                              "query": {"match_all": {}}, "sort": ["id"]})
        return [hit["_id"] for hit in response["hits"]["hits"]]

    def search(self, query: SearchQuery) -> list[SearchHit]:
        if not query.text.strip():
            return []
        response = self.client.search(index=self.target, body=search_body(query))
        hits = []
        for hit in response["hits"]["hits"]:
            src = hit["_source"]
            fragments = [f for field in hit.get("highlight", {}).values() for f in field]
            hits.append(SearchHit(
                id=hit["_id"], score=hit["_score"] or 0.0, title=src.get("title"), source=src.get("source"),
                date=src.get("date"), snippet=fragments[0] if fragments else "",
                story_id=src.get("story_id") or hit["_id"], duplicate_of=src.get("duplicate_of"),
                lang=src.get("lang"), url=src.get("url"),
            ))
        return hits


def _item_result(action: IndexAction, item: dict[str, Any]) -> ItemResult:
    """One bulk item's answer: written, stale (409), transient (429, 5xx) or rejected (other 4xx)."""
    answer = next(iter(item.values()))
    status = answer.get("status", 500)
    if status < 300 or (action.op == "delete" and status == 404):
        return OK
    error = answer.get("error") or {}
    reason = error.get("type", f"http_{status}") if isinstance(error, dict) else f"http_{status}"
    detail = json.dumps(error)[:500] if error else ""
    if status == 409:
        return STALE
    if status == 429 or status >= 500:
        return ItemResult(ItemStatus.TRANSIENT, reason, detail)
    return ItemResult(ItemStatus.REJECTED, reason, detail)


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The query DSL for ``query``: BM25 over every language's title (x2) and body, filters, highlight."""
    filters: list[dict[str, Any]] = []
    if query.lang:
        filters.append({"term": {"lang": query.lang}})
    if query.since or query.until:
        bounds = {k: iso(v) for k, v in (("gte", query.since), ("lte", query.until)) if v}
        filters.append({"range": {"date": bounds}})
    if query.topic:
        filters.append({"bool": {"should": [{"term": {"topics": query.topic}},
                                             {"term": {"topic_labels": query.topic}}]}})
    if not query.include_duplicates:
        filters.append({"term": {"is_duplicate": False}})
    return {
        "size": max(query.limit, 1) * 5,  # room for several hits per story
        "query": {"bool": {
            "must": [{"multi_match": {"query": query.text, "fields": ["title_*^2", "body_*"]}}],
            "filter": filters,
        }},
        "highlight": {
            "fields": {"body_*": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1,
                                  "no_match_size": SNIPPET_CHARS}},
            "require_field_match": False,
        },
        "_source": ["id", "title", "source", "date", "story_id", "duplicate_of", "lang", "url"],
    }
