"""Fault tests for the index sink: SIGKILL it mid-bulk and restart it; stop OpenSearch for 30 s under load.

The promise: afterwards every article on wire.articles is in the index exactly once (one
document per id, at its newest version) and nothing transient went to wire.dlq. Each test
prints its figures (``-s`` shows them; docs/reliability.md quotes them) and bounds every wait.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from agents.broker import free_port
from agents.kafka import ensure_topics, make_producer
from pipeline.config import Settings
from pipeline.index.embedded import EmbeddedIndex
from pipeline.index.opensearch import OpenSearchIndex
from tests.conftest import settings_from
from tests.helpers import metric_value, read_topic, scrape, start_cli, stop, wait_for
from tests.unit.test_index import T0, article

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.index_faults]

DEADLINE_S = 300


def articles(n: int, run: str) -> list[tuple[str, bytes]]:
    """``n`` articles; every tenth is published a second time later with a newer version and a new body."""
    out = []
    for i in range(n):
        out.append((f"{run}-{i}", article(f"{run}-{i}", body=f"Story {i} first version: talks on the harbour wall.")
                    .model_dump_json().encode()))
        if i % 10 == 9:
            j = i - 5
            newer = article(f"{run}-{j}", fetched=T0 + timedelta(hours=1), body=f"Story {j} second version.")
            out.append((f"{run}-{j}", newer.model_dump_json().encode()))
    return out


def expected_bodies(records: list[tuple[str, bytes]]) -> dict[str, str]:
    """The body each id must end with: its newest version's (the last one published here)."""
    return {key: json.loads(value)["body"] for key, value in records}


def publish(settings: Settings, bootstrap: str, records: list[tuple[str, bytes]], rate: float = 0.0) -> None:
    producer = make_producer(settings, bootstrap)
    try:
        started = time.monotonic()
        for n, (key, value) in enumerate(records):
            producer.send(settings.topic_articles, key=key.encode(), value=value)
            if rate:
                ahead = n / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush(120)
    finally:
        producer.close(30)


@pytest.fixture
def opensearch_env(isolated_env: dict[str, str], opensearch_url: str, opensearch_alias: str) -> Iterator[dict]:
    env = {**isolated_env, "WIREFEED_OPENSEARCH_URL": opensearch_url, "WIREFEED_OPENSEARCH_ALIAS": opensearch_alias,
           "WIREFEED_INDEX_METRICS_PORT": str(free_port()), "WIREFEED_INDEX_RETRY_CAP_S": "2"}
    index = OpenSearchIndex(OpenSearch(hosts=[opensearch_url], timeout=60), opensearch_alias)
    yield {"env": env, "index": index}
    try:
        index.client.indices.delete(index=f"{opensearch_alias}-v*", ignore_unavailable=True)
        index.client.indices.delete_index_template(name=opensearch_alias, ignore=[404])
    finally:
        index.close()


def index_state(index) -> dict[str, str]:  # noqa: ANN001
    """id -> body of every document in the index."""
    if isinstance(index, EmbeddedIndex):
        return {i: index.get(i)["body_en"] for i in index.ids()}
    index.refresh()
    out: dict[str, str] = {}
    body = {"size": 1000, "_source": ["body_en"], "query": {"match_all": {}}, "sort": ["_doc"]}
    response = index.client.search(index=index.target, body=body, scroll="1m")
    while response["hits"]["hits"]:
        for hit in response["hits"]["hits"]:
            assert hit["_id"] not in out, f"{hit['_id']} is in the index twice"
            out[hit["_id"]] = hit["_source"]["body_en"]
        response = index.client.scroll(scroll_id=response["_scroll_id"], scroll="1m")
    return out


def count(index) -> int:  # noqa: ANN001
    try:
        if isinstance(index, OpenSearchIndex):
            index.refresh()
        return index.count()
    except Exception:
        return 0


def report(name: str, **figures: object) -> None:
    print(f"\n[{name}] " + " ".join(f"{k}={v}" for k, v in figures.items()))


@pytest.mark.parametrize("backend", ["embedded", "opensearch"])
def test_sigkill_the_sink_mid_bulk_and_restart(
    backend: str, request: pytest.FixtureRequest, isolated_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    if backend == "opensearch":
        ctx = request.getfixturevalue("opensearch_env")
        env, index = ctx["env"], ctx["index"]
    else:
        env = {**isolated_env, "WIREFEED_INDEX_PATH": str(tmp_path / "index.sqlite"),
               "WIREFEED_INDEX_METRICS_PORT": str(free_port())}
        index = EmbeddedIndex(tmp_path / "index.sqlite")
        index.ensure()
    env["WIREFEED_INDEX_BATCH_DOCS"] = "200"  # many bulks, so the kill lands inside the stream
    settings = settings_from(env)
    ensure_topics(settings, kafka_bootstrap)
    records = articles(6000, "k")
    want = expected_bodies(records)
    publish(settings, kafka_bootstrap, records)
    first = start_cli(["index"], env, tmp_path / "index1.log")
    try:
        assert wait_for(lambda: count(index) >= 1500, timeout_s=DEADLINE_S, interval_s=0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        at_kill = count(index)
    finally:
        stop(first)
    started = time.monotonic()
    second = start_cli(["index"], env, tmp_path / "index2.log")
    try:
        assert wait_for(lambda: count(index) == len(want), timeout_s=DEADLINE_S), count(index)
        port = int(env["WIREFEED_INDEX_METRICS_PORT"])
        assert wait_for(lambda: metric_value(scrape(port), "wirefeed_index_lag") == 0, timeout_s=60)
        recovered_s = time.monotonic() - started
        text = scrape(port)
    finally:
        assert stop(second) == 0
    state = index_state(index)
    assert state == want  # every id once, each at its newest version
    assert read_topic(settings, kafka_bootstrap, settings.topic_dlq, timeout_s=5, idle_s=1) == []
    second_run = int(metric_value(text, "wirefeed_index_docs_total"))
    # what the first run had committed is not read again; what it wrote past its last commit is (idempotently)
    report(f"sink SIGKILL, {backend}", records=len(records), documents=len(want),
           first_run_committed_records=len(records) - second_run, searchable_at_kill=at_kill,
           second_run_records=second_run, restart_to_caught_up_s=f"{recovered_s:.1f}", dlq=0)
    index.close()


def test_opensearch_stopped_for_30s_under_load(
    opensearch_env: dict, opensearch_node, kafka_bootstrap: str, tmp_path: Path  # noqa: ANN001
) -> None:
    if opensearch_node is None:
        pytest.skip("WIREFEED_OPENSEARCH_URL points at an OpenSearch this test cannot stop")
    env, index = opensearch_env["env"], opensearch_env["index"]
    settings = settings_from(env)
    ensure_topics(settings, kafka_bootstrap)
    records = articles(5000, "o")  # 5500 records at 100/s: 55 s of load
    want = expected_bodies(records)
    sink = start_cli(["index"], env, tmp_path / "index.log")
    load = threading.Thread(target=publish, args=(settings, kafka_bootstrap, records, 100.0))
    port = int(env["WIREFEED_INDEX_METRICS_PORT"])
    try:
        load.start()
        assert wait_for(lambda: count(index) >= 500, timeout_s=DEADLINE_S)
        opensearch_node.stop()
        down_at = time.monotonic()
        time.sleep(30)  # the fault itself: OpenSearch is down for 30 s while records keep arriving
        retried = metric_value(scrape(port), "wirefeed_index_failed_total", action="retried")
        start_began = time.monotonic()
        opensearch_node.start()
        up_at = time.monotonic()
        load.join(DEADLINE_S)
        assert wait_for(lambda: count(index) == len(want), timeout_s=DEADLINE_S), count(index)
        assert wait_for(lambda: metric_value(scrape(port), "wirefeed_index_lag") == 0, timeout_s=60)
        caught_up_s = time.monotonic() - up_at
        text = scrape(port)
    finally:
        load.join(DEADLINE_S)
        assert stop(sink) == 0, (tmp_path / "index.log").read_text()[-2000:]
    assert index_state(index) == want
    assert read_topic(settings, kafka_bootstrap, settings.topic_dlq, timeout_s=5, idle_s=1) == []
    assert retried > 0  # the sink did see the outage, and waited it out
    report("OpenSearch down 30 s under 100 records/s", records=len(records), documents=len(want),
           down_s=f"{up_at - down_at:.0f}", of_which_node_start_s=f"{up_at - start_began:.0f}",
           failed_item_attempts_during_outage=int(retried),
           dead_lettered=int(metric_value(text, "wirefeed_index_failed_total", action="dead_lettered")),
           caught_up_after_restart_s=f"{caught_up_s:.1f}", dlq=0)
