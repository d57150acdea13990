"""The OpenSearch index template and alias, as data (``deploy/opensearch/`` holds them as JSON).

``python -m pipeline.index.mapping`` rewrites ``deploy/opensearch/index-template.json``; a unit
test fails when that file is stale. Field names stay within what Elasticsearch shares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.index.documents import LANGUAGE_ANALYZERS, STANDARD

ALIAS = "wire-articles"
TEMPLATE_VERSION = 2  # 2: author, site_name (Article version 2)
REFRESH_INTERVAL = "1s"
DEPLOY_DIR = Path(__file__).resolve().parent.parent.parent / "deploy" / "opensearch"

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}


def index_name(alias: str, version: int) -> str:
    """The concrete index behind ``alias``: ``wire-articles-v1``, ``wire-articles-v2``, ..."""
    return f"{alias}-v{version}"


def mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": _KEYWORD,
        "url": {"type": "keyword", "ignore_above": 4096},
        "canonical_url": {"type": "keyword", "ignore_above": 4096},
        # no ignore_above on these: a value longer than Lucene's term limit is a bad record (dead letter)
        "source": _KEYWORD,
        "lang": _KEYWORD,
        "story_id": _KEYWORD,
        "duplicate_of": _KEYWORD,
        "is_duplicate": {"type": "boolean"},
        "content_hash": _KEYWORD,
        "topics": _KEYWORD,
        "topic_labels": {"type": "keyword", "normalizer": "lowercase"},
        "entities": {"properties": {"name": _KEYWORD, "type": _KEYWORD}},
        "entity_names": _KEYWORD,
        "published_at": _DATE,
        "fetched_at": _DATE,
        "date": _DATE,
        "version": {"type": "long"},
        # page metadata (Article version 2): filterable as given; a page's overlong value is kept, not indexed
        "author": {"type": "keyword", "ignore_above": 512},
        "site_name": {"type": "keyword", "ignore_above": 512},
        # shown in results; searched through the per-language fields below
        "title": {"type": "text", "index": False},
    }
    for suffix, analyzer in [*LANGUAGE_ANALYZERS.items(), (STANDARD, "standard")]:
        properties[f"title_{suffix}"] = {"type": "text", "analyzer": analyzer}
        properties[f"body_{suffix}"] = {"type": "text", "analyzer": analyzer}
    # strict: a field the sink does not know is a mapping error, never a silent new field
    return {"dynamic": "strict", "properties": properties}


def index_template(alias: str = ALIAS) -> dict[str, Any]:
    """The composable index template every ``<alias>-vN`` index is created from."""
    return {
        "index_patterns": [f"{alias}-v*"],
        "version": TEMPLATE_VERSION,
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "auto_expand_replicas": "0-1",  # one replica where there is a second node, none on one
                "refresh_interval": REFRESH_INTERVAL,
                "analysis": {"normalizer": {"lowercase": {"type": "custom", "filter": ["lowercase"]}}},
            },
            "mappings": mappings(),
        },
        "_meta": {"description": "wirefeed articles (wire.articles); one document per article id"},
    }


def first_index_body(alias: str = ALIAS) -> dict[str, Any]:
    """Body of ``PUT <alias>-v1``: the alias, with this index as its write index."""
    return {"aliases": {alias: {"is_write_index": True}}}


def write_deploy_files(directory: Path = DEPLOY_DIR) -> list[Path]:
    files = {
        directory / "index-template.json": index_template(),
        directory / "alias.json": {"actions": [{"add": {"index": index_name(ALIAS, 1), "alias": ALIAS,
                                                        "is_write_index": True}}]},
    }
    for path, body in files.items():
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return list(files)


if __name__ == "__main__":  # pragma: no cover
    for written in write_deploy_files():
        print(written)
