"""Both index backends answer the sink's requests the same way: the real OpenSearch node and the embedded file.

The same specification runs on each (``backend`` is parametrised); what only one of them can do
is tested on that one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from pipeline.index.backend import ItemStatus, SearchQuery
from pipeline.index.documents import MAX_KEYWORD_BYTES, action_from_record
from pipeline.index.embedded import EmbeddedIndex
from pipeline.index.mapping import index_name, index_template, mappings
from pipeline.index.opensearch import OpenSearchIndex
from pipeline.index.search import search
from tests.unit.test_index import T0, article, record, tombstone


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "embedded":
        index = EmbeddedIndex(tmp_path / "index.sqlite")
    else:
        url = request.getfixturevalue("opensearch_url")
        alias = request.getfixturevalue("opensearch_alias")
        index = OpenSearchIndex(OpenSearch(hosts=[url], timeout=60), alias)
    index.ensure()
    yield index
    if request.param == "opensearch":
        index.client.indices.delete(index=f"{index.alias}-v*")
        index.client.indices.delete_index_template(name=index.alias)
    index.close()


def write(backend, *actions) -> list[ItemStatus]:  # noqa: ANN001
    results = backend.bulk(list(actions))
    backend.refresh()
    return [r.status for r in results]


def test_indexed_articles_are_searchable_by_id(backend) -> None:  # noqa: ANN001
    assert write(backend, record(article("a")), record(article("b", title="Weather", body="Rain."))) == [
        ItemStatus.OK, ItemStatus.OK]
    assert backend.count() == 2
    assert backend.get("a")["title"] == "Partnership agreement signed in Pyongyang"
    groups = search(backend, SearchQuery("partnership agreement Pyongyang"))
    assert groups[0].top.id == "a" and "<em>" in groups[0].top.snippet


def test_a_changed_refetch_replaces_the_document(backend) -> None:  # noqa: ANN001
    write(backend, record(article(body="the first text")))
    write(backend, record(article(fetched=T0 + timedelta(hours=1), body="the second text")))
    assert backend.count() == 1 and backend.get("a1")["body_en"] == "the second text"


def test_an_older_version_replayed_after_a_newer_one_is_stale(backend) -> None:  # noqa: ANN001
    write(backend, record(article(fetched=T0 + timedelta(hours=1), body="newer")))
    assert write(backend, record(article(body="older"))) == [ItemStatus.STALE]
    assert backend.get("a1")["body_en"] == "newer"
    # the same version again (a plain replay) is harmless and acknowledged
    assert write(backend, record(article(fetched=T0 + timedelta(hours=1), body="newer"))) == [ItemStatus.OK]


def test_a_tombstone_deletes_and_an_unknown_id_tombstone_is_acknowledged(backend) -> None:  # noqa: ANN001
    write(backend, record(article()))
    assert write(backend, tombstone("a1", T0 + timedelta(minutes=1))) == [ItemStatus.OK]
    assert backend.get("a1") is None and backend.count() == 0
    assert write(backend, tombstone("never-indexed", T0)) == [ItemStatus.OK]
    # a copy fetched before the delete does not come back (OpenSearch: within index.gc_deletes)
    assert write(backend, record(article())) == [ItemStatus.STALE]
    assert backend.get("a1") is None


def test_a_document_the_index_rejects_is_reported_and_the_rest_written(backend) -> None:  # noqa: ANN001
    bad = article("bad", source="x" * (MAX_KEYWORD_BYTES + 1))
    statuses = write(backend, record(article("ok1")), record(bad), record(article("ok2")))
    assert statuses == [ItemStatus.OK, ItemStatus.REJECTED, ItemStatus.OK]
    assert backend.count() == 2


def test_author_and_site_name_are_stored_and_a_version_1_record_still_indexes(backend) -> None:  # noqa: ANN001
    v1 = article("v1").model_dump(mode="json", exclude={"author", "site_name"}) | {"schema_version": 1}
    assert write(backend, record(article("v2", author="Jane Roe", site_name="Wire Daily")),
                 action_from_record(b"v1", json.dumps(v1).encode(), 0)) == [ItemStatus.OK, ItemStatus.OK]
    assert (backend.get("v2")["author"], backend.get("v2")["site_name"]) == ("Jane Roe", "Wire Daily")
    assert backend.get("v1")["author"] is None


def test_filters_and_duplicates(backend) -> None:  # noqa: ANN001
    write(backend,
          record(article("orig", story_id="s1")),
          record(article("dup", story_id="s1", duplicate_of="orig")),
          record(article("old", story_id="s2", published_at=T0 - timedelta(days=5))),
          record(article("de", lang="de", title="Partnerschaftsabkommen", body="Abkommen in Pjöngjang.")),
          record(article("env", title="Partnership for rain", body="Rain partnership.",
                         topics=[{"code": "medtop:06000000", "label": "environment", "score": 0.9}])))
    groups = search(backend, SearchQuery("partnership agreement"))
    ids = {h.id for g in groups for h in [g.top, *g.others]}
    assert "dup" not in ids and {"orig", "old", "env"} <= ids
    assert "dup" in {h.id for g in search(backend, SearchQuery("partnership agreement", include_duplicates=True))
                     for h in [g.top, *g.others]}
    assert [g.top.id for g in search(backend, SearchQuery("abkommen", lang="de"))] == ["de"]
    recent = search(backend, SearchQuery("partnership", since=T0 - timedelta(days=1)))
    assert "old" not in {h.id for g in recent for h in [g.top, *g.others]}
    assert [g.top.id for g in search(backend, SearchQuery("partnership", topic="Environment"))] == ["env"]
    assert [g.top.id for g in search(backend, SearchQuery("partnership", topic="medtop:06000000"))] == ["env"]


@pytest.mark.opensearch
def test_opensearch_analyses_each_language_with_its_own_analyzer(opensearch_url: str, opensearch_alias: str) -> None:
    index = OpenSearchIndex(OpenSearch(hosts=[opensearch_url]), opensearch_alias)
    index.ensure()
    try:
        index.bulk([record(article("de", lang="de", title="Die Häuser", body="Die Häuser wurden gebaut.")),
                    record(article("en", lang="en", title="Houses", body="The houses were built."))])
        index.refresh()
        # German stemming: "Haus" finds "Häuser"; English stemming: "house" finds "houses"
        assert [g.top.id for g in search(index, SearchQuery("Haus"))] == ["de"]
        assert [g.top.id for g in search(index, SearchQuery("house"))] == ["en"]
        mapping = index.client.indices.get_mapping(index=opensearch_alias)
        props = next(iter(mapping.values()))["mappings"]["properties"]
        assert props["body_de"]["analyzer"] == "german" and props["story_id"]["type"] == "keyword"
        assert props["published_at"]["type"] == "date"
    finally:
        index.client.indices.delete(index=f"{opensearch_alias}-v*")
        index.close()


@pytest.mark.opensearch
def test_opensearch_rebuild_swaps_the_alias_to_a_new_index(opensearch_url: str, opensearch_alias: str) -> None:
    index = OpenSearchIndex(OpenSearch(hosts=[opensearch_url]), opensearch_alias)
    index.ensure()
    try:
        assert index.current_indices() == [f"{opensearch_alias}-v1"]
        new = index.create_next_index()
        assert new == f"{opensearch_alias}-v2"
        target = OpenSearchIndex(index.client, opensearch_alias, target=new)
        target.bulk([record(article("a"))])
        assert index.swap_alias(new) == [f"{opensearch_alias}-v1"]
        assert index.current_indices() == [new]
        index.refresh()
        assert index.get("a") is not None
        index.bulk([record(article("b"))])  # writes through the alias now land in the new index
        target.refresh()
        assert target.get("b") is not None
    finally:
        index.client.indices.delete(index=f"{opensearch_alias}-v*")
        index.close()


@pytest.mark.opensearch
def test_opensearch_index_made_by_the_version_1_template_takes_version_2_documents_after_ensure(
    opensearch_url: str, opensearch_alias: str,
) -> None:
    client = OpenSearch(hosts=[opensearch_url], timeout=60)
    old = mappings()
    for added in ("author", "site_name"):  # the strict mapping of template version 1
        del old["properties"][added]
    body = {"mappings": old, "aliases": {opensearch_alias: {"is_write_index": True}},
            "settings": index_template(opensearch_alias)["template"]["settings"]}
    client.indices.create(index=index_name(opensearch_alias, 1), body=body)
    index = OpenSearchIndex(client, opensearch_alias)
    try:
        index.ensure()  # a sink of this version starting against the old index
        assert write(index, record(article("a", author="Jane Roe", site_name="Wire Daily"))) == [ItemStatus.OK]
        assert index.get("a")["author"] == "Jane Roe"
    finally:
        client.indices.delete(index=f"{opensearch_alias}-v*")
        client.indices.delete_index_template(name=opensearch_alias, ignore=404)
        client.close()
