"""``wirefeed index`` through the real broker, into the real OpenSearch node and into the embedded index.

Feed -> broker -> worker -> wire.articles -> sink makes exactly the sample's articles searchable;
on wire.articles, a changed re-fetch replaces a document, a tombstone deletes it, an older
version replayed after a newer one does not overwrite it, and a document the index rejects goes
to wire.dlq (stage ``index``) while the rest of the batch is indexed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from agents.broker import free_port
from agents.demo import SampleServer
from agents.kafka import ensure_topics, make_producer
from agents.reader import build_reader
from pipeline.config import Settings
from pipeline.ids import article_id, canonical_url
from pipeline.index.backend import SearchQuery
from pipeline.index.documents import MAX_KEYWORD_BYTES
from pipeline.index.embedded import EmbeddedIndex
from pipeline.index.opensearch import OpenSearchIndex
from pipeline.index.search import search
from pipeline.ingest.feeds import FeedConfig
from tests.conftest import settings_from
from tests.helpers import metric_value, read_topic, scrape, start_cli, stop, wait_for
from tests.unit.test_index import T0, article

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture(params=["embedded", "opensearch"])
def sink_env(
    request: pytest.FixtureRequest, isolated_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> Iterator[dict]:
    """The test's WIREFEED_* plus the backend's settings (topics made), a reader of that backend, the Settings."""
    env = {**isolated_env, "WIREFEED_INDEX_METRICS_PORT": str(free_port()),
           "WIREFEED_INDEX_BATCH_WAIT_S": "0.2"}
    if request.param == "embedded":
        env["WIREFEED_INDEX_PATH"] = str(tmp_path / "index.sqlite")
        index = EmbeddedIndex(tmp_path / "index.sqlite")
        index.ensure()
    else:
        url = request.getfixturevalue("opensearch_url")
        alias = request.getfixturevalue("opensearch_alias")
        env |= {"WIREFEED_OPENSEARCH_URL": url, "WIREFEED_OPENSEARCH_ALIAS": alias}
        index = OpenSearchIndex(OpenSearch(hosts=[url], timeout=60), alias)
    settings = settings_from(env)
    ensure_topics(settings, kafka_bootstrap)
    yield {"env": env, "index": index, "backend": request.param, "settings": settings}
    if request.param == "opensearch":
        index.client.indices.delete(index=f"{index.alias}-v*", ignore_unavailable=True)
        index.client.indices.delete_index_template(name=index.alias, ignore=[404])
    index.close()


def ids_in(index) -> set[str]:  # noqa: ANN001
    if isinstance(index, OpenSearchIndex):
        if not index.client.indices.exists_alias(name=index.alias):
            return set()
        index.refresh()
    return set(index.ids())


def send_articles(producer, settings: Settings, records: Iterable[tuple[str, object]]) -> None:  # noqa: ANN001
    """Each (key, value) on wire.articles: an Article as its JSON, bytes as they are, None as a tombstone."""
    for key, value in records:
        data = value.model_dump_json().encode() if hasattr(value, "model_dump_json") else value
        producer.send(settings.topic_articles, key=key.encode(), value=data)
    producer.flush(60)


def test_feed_to_broker_to_worker_to_index_makes_exactly_the_sample_searchable(
    sink_env: dict, kafka_bootstrap: str, tmp_path: Path
) -> None:
    env, index, settings = sink_env["env"], sink_env["index"], sink_env["settings"]
    worker = start_cli(["worker"], {**env, "WIREFEED_METRICS_PORT": str(free_port())}, tmp_path / "worker.log")
    sink = start_cli(["index"], env, tmp_path / "index.log")
    try:
        with SampleServer() as server:
            reader_settings = settings.model_copy(update={"allow_private_hosts": "127.0.0.1", "per_host_delay_s": 0})
            reader = build_reader(reader_settings, kafka_bootstrap, [FeedConfig(server.feed_url, "sample wire")])
            try:
                reader.poll_once()
            finally:
                reader.close()
            wanted = {article_id(canonical_url(url)) for url in server.page_urls()}
        assert wait_for(lambda: ids_in(index) == wanted, timeout_s=240), (
            ids_in(index), (tmp_path / "index.log").read_text()[-2000:])
        groups = search(index, SearchQuery("partnership agreement Pyongyang", include_duplicates=True))
        assert groups and {h.id for g in groups for h in [g.top, *g.others]} <= wanted
        text = scrape(int(env["WIREFEED_INDEX_METRICS_PORT"]))
        assert metric_value(text, "wirefeed_index_docs_total", op="index", outcome="written") >= len(wanted)
        assert wait_for(lambda: metric_value(scrape(int(env["WIREFEED_INDEX_METRICS_PORT"])),
                                             "wirefeed_index_lag") == 0, timeout_s=60)
        capture = os.environ.get("WIREFEED_CAPTURE_DIR")
        if capture and sink_env["backend"] == "opensearch":  # the real scrape alerts_test.yml's series come from
            Path(capture, "index.prom").write_text(scrape(int(env["WIREFEED_INDEX_METRICS_PORT"])), encoding="utf-8")
    finally:
        assert stop(sink) == 0, (tmp_path / "index.log").read_text()[-2000:]
        stop(worker)


def test_replace_delete_stale_and_rejected_documents_on_wire_articles(
    sink_env: dict, kafka_bootstrap: str, tmp_path: Path
) -> None:
    env, index, settings = sink_env["env"], sink_env["index"], sink_env["settings"]
    producer = make_producer(settings, kafka_bootstrap)

    def publish(*records: tuple[str, object]) -> None:
        send_articles(producer, settings, records)

    later = T0 + timedelta(hours=1)
    rejected = article("rejected", source="x" * (MAX_KEYWORD_BYTES + 1))
    sink = start_cli(["index"], env, tmp_path / "index.log")
    try:
        publish(("changed", article("changed", body="the first version of the text")),
                ("deleted", article("deleted")),
                ("replayed", article("replayed", fetched=later, body="the newer text")),
                ("rejected", rejected),
                ("garbage", b"{not an article"),
                ("kept", article("kept")))
        assert wait_for(lambda: ids_in(index) == {"changed", "deleted", "replayed", "kept"}, timeout_s=120), (
            ids_in(index), (tmp_path / "index.log").read_text()[-2000:])
        publish(("changed", article("changed", fetched=later, body="the second version replaces it")),
                ("deleted", None),
                ("replayed", article("replayed", body="an older copy replayed late")),
                ("marker", article("marker")))
        assert wait_for(lambda: "marker" in ids_in(index), timeout_s=120)
        assert ids_in(index) == {"changed", "replayed", "kept", "marker"}  # the tombstone deleted "deleted"
        assert index.get("changed")["body_en"] == "the second version replaces it"
        assert index.get("replayed")["body_en"] == "the newer text"  # not overwritten by the older copy
        letters = [json.loads(v) for v in read_topic(settings, kafka_bootstrap, settings.topic_dlq, until=2)]
        assert sorted((d["stage"], d["reason"]) for d in letters) == [
            ("index", "immense_term" if sink_env["backend"] == "embedded" else "illegal_argument_exception"),
            ("index", "not_json"),
        ]
        rejected_letter = next(d for d in letters if d["reason"] != "not_json")
        assert rejected_letter["url"] == rejected.url and rejected_letter["error"]
        text = scrape(int(env["WIREFEED_INDEX_METRICS_PORT"]))
        assert metric_value(text, "wirefeed_index_docs_total", outcome="stale") >= 1
        assert metric_value(text, "wirefeed_index_failed_total", action="dead_lettered") == 1
        assert metric_value(text, "wirefeed_index_bulk_seconds_count") >= 2
    finally:
        producer.close(10)
        assert stop(sink) == 0, (tmp_path / "index.log").read_text()[-2000:]


def test_the_sink_resumes_from_its_committed_offsets(sink_env: dict, kafka_bootstrap: str, tmp_path: Path) -> None:
    """A second run starts after what the first committed: nothing is indexed twice (written counts)."""
    env, index, settings = sink_env["env"], sink_env["index"], sink_env["settings"]
    producer = make_producer(settings, kafka_bootstrap)
    try:
        send_articles(producer, settings, [(f"r{i}", article(f"r{i}")) for i in range(20)])
        first = start_cli(["index"], env, tmp_path / "index1.log")
        assert wait_for(lambda: len(ids_in(index)) == 20, timeout_s=120)
        assert stop(first) == 0
        send_articles(producer, settings, [("r20", article("r20"))])
        second = start_cli(["index"], env, tmp_path / "index2.log")
        try:
            assert wait_for(lambda: len(ids_in(index)) == 21, timeout_s=120)
            port = int(env["WIREFEED_INDEX_METRICS_PORT"])
            assert wait_for(lambda: metric_value(scrape(port), "wirefeed_index_docs_total") == 1, timeout_s=30)
        finally:
            assert stop(second) == 0
    finally:
        producer.close(10)


def test_rebuild_replays_wire_articles_into_a_new_index_version(
    sink_env: dict, kafka_bootstrap: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    env, index = sink_env["env"], sink_env["index"]
    index.ensure()  # the index as it was before: empty (OpenSearch: <alias>-v1)
    producer = make_producer(sink_env["settings"], kafka_bootstrap)
    try:
        send_articles(producer, sink_env["settings"], [*((f"b{i}", article(f"b{i}")) for i in range(5)), ("b4", None)])
    finally:
        producer.close(10)
    done = subprocess.run([sys.executable, "-m", "agents.cli", "index", "--rebuild"], env={**os.environ, **env},
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    if sink_env["backend"] == "opensearch":
        assert index.current_indices() == [f"{index.alias}-v2"]
        assert f"{index.alias}-v1 kept" in done.stderr
    else:
        index.close()
        sink_env["index"] = index = EmbeddedIndex(Path(env["WIREFEED_INDEX_PATH"]))
    assert ids_in(index) == {"b0", "b1", "b2", "b3"}


def test_a_sink_started_before_its_index_is_reachable_waits_and_stops_cleanly(
    isolated_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    import time

    nothing_there = f"http://127.0.0.1:{free_port()}"
    env = {**isolated_env, "WIREFEED_OPENSEARCH_URL": nothing_there, "WIREFEED_INDEX_METRICS_PORT": "0",
           "WIREFEED_INDEX_RETRY_CAP_S": "0.5", "WIREFEED_LOG_LEVEL": "WARNING"}
    settings = settings_from(env)
    ensure_topics(settings, kafka_bootstrap)
    sink = start_cli(["index"], env, tmp_path / "index.log")
    try:
        assert wait_for(lambda: "not reachable yet" in (tmp_path / "index.log").read_text(), timeout_s=60)
        time.sleep(2)
        assert sink.poll() is None, (tmp_path / "index.log").read_text()[-2000:]  # still waiting, not crashed
    finally:
        assert stop(sink) == 0, (tmp_path / "index.log").read_text()[-2000:]
