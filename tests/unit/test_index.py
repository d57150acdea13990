"""The index hop without Kafka: documents, the version guard, tombstones, rejections, retries, search."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.errors import RecordError
from pipeline.index.backend import ItemResult, ItemStatus, SearchQuery, TransientIndexError, group_by_story
from pipeline.index.documents import (
    MAX_KEYWORD_BYTES,
    IndexAction,
    action_from_record,
    article_version,
    build_document,
)
from pipeline.index.embedded import EmbeddedIndex
from pipeline.index.search import search
from pipeline.index.sink import Backoff, Batch, BatchLimits, Stopped, write_batch
from schemas import Article

T0 = datetime(2024, 6, 18, 9, 0, tzinfo=UTC)


def article(i: str = "a1", *, fetched: datetime = T0, title: str = "Partnership agreement signed in Pyongyang",
            body: str = "Russia and North Korea signed a comprehensive strategic partnership agreement.",
            lang: str = "en", **extra) -> Article:  # noqa: ANN003
    return Article(id=i, url=f"https://wire.example/{i}", canonical_url=f"https://wire.example/{i}",
                   source=extra.pop("source", "Wire Daily"), title=title, body=body, lang=lang,
                   published_at=extra.pop("published_at", fetched), fetched_at=fetched,
                   content_hash=f"h-{i}-{fetched.timestamp()}", **extra)


def record(a: Article, ts_ms: int = 0, offset: int = 0) -> IndexAction:
    return action_from_record(a.id.encode(), a.model_dump_json().encode(), ts_ms, 0, offset)


def tombstone(doc_id: str, when: datetime) -> IndexAction:
    return action_from_record(doc_id.encode(), None, int(when.timestamp() * 1000))


@pytest.fixture
def index(tmp_path: Path) -> EmbeddedIndex:
    idx = EmbeddedIndex(tmp_path / "index.sqlite")
    idx.ensure()
    yield idx
    idx.close()


def test_document_carries_language_fields_keywords_and_story_fallback() -> None:
    doc = build_document(article(lang="de", title="Abkommen", body="Ein Abkommen wurde unterzeichnet."))
    assert doc["title_de"] == "Abkommen" and doc["body_de"].startswith("Ein Abkommen")
    assert "body_en" not in doc
    assert doc["story_id"] == "a1"  # no story yet: its own, never a shared null
    assert doc["is_duplicate"] is False
    assert build_document(article(lang="ja"))["body_std"]  # no analyzer of its own: standard
    assert build_document(article(lang=None))["body_std"]


def test_author_and_site_name_reach_the_embedded_index_and_a_version_1_record_still_indexes(
    index: EmbeddedIndex,
) -> None:
    assert index.bulk([record(article("a2", author="Jane Roe", site_name="Wire Daily"))])[0].status == ItemStatus.OK
    v1 = article("a1").model_dump(mode="json", exclude={"author", "site_name"}) | {"schema_version": 1}
    action = action_from_record(b"a1", json.dumps(v1).encode(), 0)
    assert index.bulk([action])[0].status == ItemStatus.OK
    assert (index.get("a2")["author"], index.get("a2")["site_name"]) == ("Jane Roe", "Wire Daily")
    assert (index.get("a1")["author"], index.get("a1")["site_name"]) == (None, None)


def test_version_is_fetch_time_so_a_refetch_is_newer() -> None:
    assert article_version(article(fetched=T0 + timedelta(seconds=1))) > article_version(article(fetched=T0))


def test_null_value_is_a_tombstone_and_bad_values_are_record_errors() -> None:
    action = tombstone("a1", T0)
    assert action.op == "delete" and action.doc_id == "a1" and action.version == int(T0.timestamp() * 1e6)
    with pytest.raises(RecordError) as bad:
        action_from_record(b"k", b"{not json", 0)
    assert bad.value.stage == "index" and bad.value.reason == "not_json"
    with pytest.raises(RecordError) as invalid:
        action_from_record(b"k", b'{"id": "x"}', 0)
    assert invalid.value.reason == "invalid_article"
    with pytest.raises(RecordError):
        action_from_record(None, None, 0)


def test_a_changed_refetch_replaces_the_document(index: EmbeddedIndex) -> None:
    index.bulk([record(article(body="first text"))])
    index.bulk([record(article(fetched=T0 + timedelta(hours=1), body="second text replaces it"))])
    assert index.count() == 1
    assert index.get("a1")["body_en"] == "second text replaces it"
    assert not index.search(SearchQuery("first"))


def test_an_older_version_replayed_after_a_newer_one_does_not_overwrite(index: EmbeddedIndex) -> None:
    newer, older = article(fetched=T0 + timedelta(hours=1), body="newer"), article(body="older")
    assert index.bulk([record(newer)]) == [ItemResult(ItemStatus.OK)]
    assert index.bulk([record(older)])[0].status is ItemStatus.STALE
    assert index.get("a1")["body_en"] == "newer"
    # and within one bulk, in either order
    index.bulk([record(article("b", fetched=T0 + timedelta(hours=1), body="new b")), record(article("b"))])
    assert index.get("b")["body_en"] == "new b"


def test_a_tombstone_deletes_and_an_older_copy_cannot_resurrect(index: EmbeddedIndex) -> None:
    index.bulk([record(article())])
    assert index.bulk([tombstone("a1", T0 + timedelta(minutes=5))])[0].status is ItemStatus.OK
    assert index.get("a1") is None and index.count() == 0
    assert not index.search(SearchQuery("partnership"))
    assert index.bulk([record(article())])[0].status is ItemStatus.STALE  # fetched before the delete
    assert index.get("a1") is None
    index.bulk([record(article(fetched=T0 + timedelta(hours=1)))])  # a later re-fetch comes back
    assert index.get("a1") is not None


def test_a_tombstone_for_an_unknown_id_is_acknowledged(index: EmbeddedIndex) -> None:
    assert index.bulk([tombstone("never-seen", T0)])[0].status is ItemStatus.OK


def test_a_keyword_longer_than_lucene_allows_is_rejected_and_the_rest_written(index: EmbeddedIndex) -> None:
    bad = article("bad", source="x" * (MAX_KEYWORD_BYTES + 1))
    results = index.bulk([record(article("ok1")), record(bad), record(article("ok2"))])
    assert [r.status for r in results] == [ItemStatus.OK, ItemStatus.REJECTED, ItemStatus.OK]
    assert results[1].reason == "immense_term"
    assert sorted(index.ids()) == ["ok1", "ok2"]


def test_search_ranks_groups_by_story_filters_and_hides_duplicates(index: EmbeddedIndex) -> None:
    index.bulk([
        record(article("orig", story_id="s1")),
        record(article("dup", story_id="s1", duplicate_of="orig", source="Other Wire")),
        record(article("same-story", story_id="s1", title="Putin in Pyongyang", body="Visit to Pyongyang.")),
        record(article("de", lang="de", title="Abkommen in Pjöngjang", body="Partnerschaft vereinbart.",
                       published_at=T0 - timedelta(days=3))),
        record(article("other", title="Weather", body="Rain in Paris.",
                       topics=[{"code": "medtop:06000000", "label": "environment", "score": 0.9}])),
    ])
    groups = search(index, SearchQuery("partnership agreement Pyongyang"))
    assert groups[0].top.id == "orig" and "<em>" in groups[0].top.snippet
    assert [h.id for h in groups[0].others] == ["same-story"]  # the duplicate is hidden
    with_dups = search(index, SearchQuery("partnership agreement Pyongyang", include_duplicates=True))
    assert {h.id for h in with_dups[0].others} == {"dup", "same-story"}
    assert [g.top.id for g in search(index, SearchQuery("pjongjang", lang="de"))] == ["de"]  # diacritics folded
    assert not search(index, SearchQuery("partnership", since=T0 + timedelta(days=1)))
    assert [g.top.id for g in search(index, SearchQuery("Abkommen", until=T0 - timedelta(days=1)))] == ["de"]
    assert [g.top.id for g in search(index, SearchQuery("rain", topic="Environment"))] == ["other"]
    assert [g.top.id for g in search(index, SearchQuery("rain", topic="medtop:06000000"))] == ["other"]
    assert not search(index, SearchQuery("rain", topic="politics"))
    assert not search(index, SearchQuery("   "))


def test_group_by_story_keeps_rank_order_and_the_limit() -> None:
    from pipeline.index.backend import SearchHit

    hits = [SearchHit(str(i), 1.0, None, None, None, "", story) for i, story in enumerate("aabcb")]
    groups = group_by_story(hits, limit=2)
    assert [(g.story_id, g.top.id, [o.id for o in g.others]) for g in groups] == [("a", "0", ["1"]), ("b", "2", ["4"])]


# --- the sink's rules ------------------------------------------------------------------------


class FlakyBackend:
    """Answers from a script: each call pops the next answer (an exception or a status per item)."""

    name = "flaky"

    def __init__(self, script: list) -> None:  # noqa: ANN001
        self.script = script
        self.calls: list[list[str]] = []

    def bulk(self, actions):  # noqa: ANN001, ANN201
        self.calls.append([a.doc_id for a in actions])
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return [ItemResult(answer(a)) if callable(answer) else ItemResult(answer) for a in actions]


def test_transient_failures_are_retried_until_acknowledged_never_dropped() -> None:
    actions = [record(article(str(i))) for i in range(3)]
    backend = FlakyBackend([
        TransientIndexError("connection"),
        lambda a: ItemStatus.TRANSIENT if a.doc_id == "1" else ItemStatus.OK,
        ItemStatus.OK,
    ])
    sleeps: list[float] = []
    outcome = write_batch(backend, actions, sleep=sleeps.append)
    assert backend.calls == [["0", "1", "2"], ["0", "1", "2"], ["1"]]  # only the failed item again
    assert outcome.written == 3 and outcome.retries == 2 and not outcome.rejected
    assert len(sleeps) == 2


def test_rejected_items_are_returned_for_the_dlq_and_the_rest_written() -> None:
    backend = FlakyBackend([lambda a: ItemStatus.REJECTED if a.doc_id == "1" else ItemStatus.OK])
    outcome = write_batch(backend, [record(article(str(i))) for i in range(3)], sleep=lambda s: None)
    assert outcome.written == 2 and [a.doc_id for a, _ in outcome.rejected] == ["1"]


def test_stopping_while_retrying_raises_so_nothing_is_committed() -> None:
    backend = FlakyBackend([TransientIndexError("timeout")])
    with pytest.raises(Stopped):
        write_batch(backend, [record(article())], sleep=lambda s: None, stopping=lambda: True)


def test_backoff_grows_to_its_cap_and_resets() -> None:
    backoff = Backoff(base_s=0.1, cap_s=1.0)
    delays = [backoff.next() for _ in range(8)]
    assert delays[0] <= 0.1 and max(delays) <= 1.0 and delays[-1] >= 0.5
    backoff.reset()
    assert backoff.next() <= 0.1


def test_batches_are_bounded_by_count_bytes_and_time() -> None:
    small = record(article())
    by_count = Batch(BatchLimits(max_docs=2, max_bytes=10**9, max_wait_s=60))
    by_count.add(small, 0.0)
    assert not by_count.full()
    by_count.add(small, 0.0)
    assert by_count.full()
    by_bytes = Batch(BatchLimits(max_docs=1000, max_bytes=small.size * 2 - 1, max_wait_s=60))
    by_bytes.add(small, 0.0)
    by_bytes.add(small, 0.0)
    assert by_bytes.full()
    by_time = Batch(BatchLimits(max_docs=1000, max_bytes=10**9, max_wait_s=0.5))
    assert not by_time.due(100.0)  # empty: never due
    by_time.add(small, 100.0)
    assert not by_time.due(100.4) and by_time.due(100.5)
    assert by_time.wait_s(100.2) == pytest.approx(0.3)
    assert len(by_time.take()) == 1 and not by_time.actions and by_time.bytes == 0


def test_default_batch_window_and_refresh_leave_room_under_the_2_s_searchable_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """publish -> searchable is at most the batch window + a bulk + one refresh interval (+ the refresh).

    bench/index.py measured the refresh itself at 0.2-0.4 s and bulks at up to 0.3 s on the loaded
    2-core machine: the fixed waits must leave at least that much of the 2 s p99 target free.
    """
    from pipeline.config import Settings
    from pipeline.index.mapping import REFRESH_INTERVAL

    refresh_s = float(REFRESH_INTERVAL.removesuffix("ms")) / 1000 if REFRESH_INTERVAL.endswith("ms") \
        else float(REFRESH_INTERVAL.removesuffix("s"))
    monkeypatch.delenv("WIREFEED_INDEX_BATCH_WAIT_S", raising=False)
    settings = Settings()
    assert settings.index_batch_wait_s == BatchLimits().max_wait_s  # one default, not two
    assert settings.index_batch_wait_s + refresh_s <= 1.2


# --- the OpenSearch index design (as data) ------------------------------------------------------


def test_deploy_opensearch_files_are_generated_from_the_mapping_module(tmp_path: Path) -> None:
    from pipeline.index.mapping import DEPLOY_DIR, write_deploy_files

    for fresh in write_deploy_files(tmp_path):
        assert (DEPLOY_DIR / fresh.name).read_text() == fresh.read_text(), (
            f"deploy/opensearch/{fresh.name} is stale: run python -m pipeline.index.mapping")


def test_template_maps_every_document_field_with_a_language_analyzer_per_language() -> None:
    from pipeline.index.documents import LANGUAGE_ANALYZERS
    from pipeline.index.mapping import index_template

    template = index_template("wire-articles")
    assert template["index_patterns"] == ["wire-articles-v*"]
    props = template["template"]["mappings"]["properties"]
    for lang in ("en", "de", "fr", "es", "ru"):
        assert props[f"body_{lang}"]["analyzer"] == LANGUAGE_ANALYZERS[lang]
    assert props["body_std"]["analyzer"] == "standard"
    for key in ("id", "story_id", "duplicate_of", "source", "lang", "topics", "entity_names", "author", "site_name"):
        assert props[key]["type"] == "keyword", key
    assert props["published_at"]["type"] == props["fetched_at"]["type"] == "date"
    for lang in ("en", "de", "xx", None):  # strict mapping: every field a document can have is mapped
        assert set(build_document(article(lang=lang))) <= set(props)


def test_search_body_filters_language_time_topic_and_duplicates() -> None:
    from pipeline.index.opensearch import search_body

    body = search_body(SearchQuery("pact", lang="de", since=T0, topic="politics"))
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"lang": "de"}} in filters
    assert {"range": {"date": {"gte": "2024-06-18T09:00:00.000000Z"}}} in filters
    assert {"term": {"is_duplicate": False}} in filters
    assert not any("is_duplicate" in str(f) for f in search_body(SearchQuery("x", include_duplicates=True))
                   ["query"]["bool"]["filter"])


def test_compose_runs_opensearch_and_the_index_sink_scraped_by_prometheus() -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    assert services["opensearch"]["image"].startswith("opensearchproject/opensearch:2.19")
    index = services["index"]
    assert index["command"] == ["index"]
    assert index["environment"]["WIREFEED_OPENSEARCH_URL"] == "http://opensearch:9200"
    assert set(index["depends_on"]) == {"kafka", "opensearch"}
    port = index["environment"]["WIREFEED_INDEX_METRICS_PORT"]
    jobs = yaml.safe_load((root / "deploy/prometheus/prometheus.yml").read_text())["scrape_configs"]
    targets = [t for job in jobs if job["job_name"] == "wirefeed-index" for s in job["static_configs"]
               for t in s["targets"]]
    assert targets == [f"index:{port}"]


def test_wirefeed_search_prints_hits_grouped_by_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from agents.cli import app
    from pipeline import config

    path = tmp_path / "index.sqlite"
    idx = EmbeddedIndex(path)
    idx.ensure()
    idx.bulk([record(article("orig", story_id="s1")),
              record(article("dup", story_id="s1", duplicate_of="orig", source="Copy Wire")),
              record(article("other", title="Rain", body="Rain in Paris."))])
    idx.close()
    monkeypatch.setenv("WIREFEED_INDEX_PATH", str(path))
    monkeypatch.delenv("WIREFEED_OPENSEARCH_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["search", "partnership agreement Pyongyang", "--duplicates"])
        assert shown.exit_code == 0, shown.output
        text = " ".join(shown.output.split())
        assert text.startswith("1. Partnership agreement signed in Pyongyang Wire Daily 2024-06-18")
        assert "+ Partnership agreement signed in Pyongyang — Copy Wire (duplicate of orig)" in text
        assert "Rain" not in text
        as_json = runner.invoke(app, ["search", "partnership", "--json"])
        groups = [json.loads(line) for line in as_json.output.splitlines()]
        assert [g["top"]["id"] for g in groups] == ["orig"] and groups[0]["others"] == []
        assert runner.invoke(app, ["search", "nothing-matches-this"]).exit_code == 1
        assert runner.invoke(app, ["search", "x", "--since", "not a date"]).exit_code == 2
    finally:
        config.get_settings.cache_clear()
