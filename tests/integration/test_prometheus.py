"""A real Prometheus scrapes a running worker, reader and index sink, loads the alert rules, and answers queries.

The scrape jobs carry the names deploy/prometheus/prometheus.yml gives them (``wirefeed-worker``,
``wirefeed-reader``, ``wirefeed-index``), because alerts.yml and the Grafana dashboard select on them. The flow has
good pages, a page that becomes a dead letter, a duplicate, a dead feed and an article the index
rejects, so every series an
alert or a panel selects exists, with the labels it selects on; this test proves it. The two
scrapes it ends with are the source of the series in alerts_test.yml (``WIREFEED_CAPTURE_DIR``
set: they are written there; see tests/fixtures/scrapes/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from agents.broker import free_port
from agents.kafka import make_producer
from pipeline.index.documents import MAX_KEYWORD_BYTES
from tests.conftest import REPO_ROOT, settings_from
from tests.helpers import scrape, start_cli, stop, wait_for
from tests.integration.faultkit import feed_site, page
from tests.promql_names import selectors
from tests.unit.test_index import article as index_article

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "wirefeed.json"
PAGES = 12


def prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus server is not installed: run `make setup` (apt-get install prometheus)")
    return binary


def write_config(path: Path, worker_port: int, reader_port: int, index_port: int) -> None:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {"job_name": "wirefeed-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]},
            {"job_name": "wirefeed-reader", "static_configs": [{"targets": [f"127.0.0.1:{reader_port}"]}]},
            {"job_name": "wirefeed-index", "static_configs": [{"targets": [f"127.0.0.1:{index_port}"]}]},
        ],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


class PrometheusApi:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: str) -> dict:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.loads(resp.read())
        assert body["status"] == "success", body
        return body["data"]

    def value(self, query: str) -> float | None:
        """The single value of an instant query; None when it returns no series."""
        result = self.get("/api/v1/query", query=query)["result"]
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def count(self, selector: str) -> int:
        return len(self.get("/api/v1/query", query=selector)["result"])

    def ready(self) -> bool:
        with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as resp:
            return resp.status == 200


def every_selector() -> dict[str, str]:
    """selector -> where it is used, for every alert expression and dashboard query."""
    used = {}
    for group in yaml.safe_load(ALERTS.read_text())["groups"]:
        for rule in group["rules"]:
            for selector in selectors(rule["expr"]):
                used.setdefault(selector, f"alert {rule['alert']}")
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for selector in selectors(target["expr"]):
                used.setdefault(selector, f"panel {panel['title']!r}")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            for selector in selectors(variable["query"]["query"].removeprefix("label_values(").split(",")[0]):
                used.setdefault(selector, f"variable ${variable['name']}")
    return used


def test_prometheus_scrapes_worker_and_reader_and_every_selected_series_exists(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    binary = prometheus_binary()
    worker_port, reader_port, index_port, prom_port = free_port(), free_port(), free_port(), free_port()
    env = {
        **isolated_env,
        "WIREFEED_LOG_LEVEL": "INFO",
        "WIREFEED_METRICS_PORT": str(worker_port),
        "WIREFEED_READER_METRICS_PORT": str(reader_port),
        "WIREFEED_INDEX_METRICS_PORT": str(index_port),
        "WIREFEED_INDEX_PATH": str(tmp_path / "index.sqlite"),
        "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "WIREFEED_PER_HOST_DELAY_S": "0",
        "WIREFEED_POLL_INTERVAL_S": "1",
    }
    config = tmp_path / "prometheus.yml"
    write_config(config, worker_port, reader_port, index_port)
    log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115 - handed to the child
    prometheus = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log.close()
    api = PrometheusApi(prom_port)
    worker = reader = sink = None
    run = env["WIREFEED_APP_ID"][-8:]
    worker_log, reader_log, index_log = tmp_path / "worker.log", tmp_path / "reader.log", tmp_path / "index.log"
    try:
        with feed_site(run, PAGES, page_delay_s=0) as site:
            # a second feed: the same story again under another URL (a duplicate) and a blank page
            # (a dead letter); a third feed that is dead (every poll fails)
            story = page(0, run)
            site.routes["/copy/story-0.txt"] = (200, {"Content-Type": "text/plain"},
                                                (story["title"] + "\n\n" + story["content"]).encode())
            site.routes["/blank.txt"] = (200, {"Content-Type": "text/plain"}, b"   \n")
            items = "".join(f"<item><title>{t}</title><link>{site.url(p)}</link></item>"
                            for t, p in (("copy", "/copy/story-0.txt"), ("blank", "/blank.txt")))
            extra = f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()
            site.routes["/extra.xml"] = (200, {"Content-Type": "application/rss+xml"}, extra)
            site.routes["/dead.xml"] = (503, {}, b"down")
            feeds = tmp_path / "feeds.yaml"
            feeds.write_text(
                f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: prom-wire\n"
                f"  - url: {site.url('/extra.xml')}\n    name: prom-extra\n"
                f"  - url: {site.url('/dead.xml')}\n    name: prom-dead\n",
                encoding="utf-8",
            )
            worker = start_cli(["worker"], env, worker_log)
            assert wait_for(lambda: "partitions assigned" in worker_log.read_text(errors="replace"), timeout_s=120)
            reader = start_cli(["read", "--feeds", str(feeds)], env, reader_log)
            sink = start_cli(["index"], env, index_log)
            assert wait_for(api.ready, timeout_s=30), (tmp_path / "prometheus.log").read_text()[-3000:]

            # every page came through, as Prometheus (not our own scrape) sees it
            assert wait_for(lambda: api.value("sum(wirefeed_articles_published_total)") == PAGES + 1, timeout_s=120), (
                worker_log.read_text(errors="replace")[-3000:])
            for job in ("wirefeed-worker", "wirefeed-reader", "wirefeed-index"):
                assert wait_for(lambda job=job: api.value(f'up{{job="{job}"}}') == 1, timeout_s=10), job
            assert wait_for(lambda: api.value('sum(wirefeed_pages_produced_total{job="wirefeed-reader"})') == PAGES + 2,
                            timeout_s=10)
            assert api.value('sum(wirefeed_stage_processed_total{job="wirefeed-worker", stage="extract"})') == PAGES + 1
            assert api.value('sum(wirefeed_stage_processed_total{job="wirefeed-worker", stage="tag"})') == PAGES + 1
            assert api.value('sum(wirefeed_dlq_total{job="wirefeed-worker", stage="parse"})') == 1
            assert api.value('sum(wirefeed_duplicates_total{job="wirefeed-worker"})') == 1
            assert api.value("sum(wirefeed_end_to_end_seconds_count)") == PAGES + 1
            median = api.value('histogram_quantile(0.5, sum by (le) (wirefeed_stage_seconds_bucket{stage="extract"}))')
            assert 0 < median < 10
            # the dead feed fails three times in a row (its back-off from a 1 s interval is 2 s, 4 s)
            assert wait_for(lambda: api.value(
                'wirefeed_feed_consecutive_failures{job="wirefeed-reader", feed="prom-dead"}') >= 3, timeout_s=60)
            assert api.value('wirefeed_feed_consecutive_failures{job="wirefeed-reader", feed="prom-wire"}') == 0
            # the workers' lag, measured by the reader from the broker, is 0 on the worker topics only
            assert wait_for(lambda: api.value(
                f'sum(wirefeed_consumer_lag{{job="wirefeed-reader", topic="{env["WIREFEED_TOPIC_RAW"]}"}})') == 0,
                timeout_s=30)
            topics = {r["metric"]["topic"] for r in api.get("/api/v1/query", query="wirefeed_consumer_lag")["result"]}
            assert topics == {env[f"WIREFEED_TOPIC_{n}"] for n in ("RAW", "EXTRACTED", "DEDUPED")}
            # one process, its own families
            assert api.count('{job="wirefeed-reader", __name__=~"wirefeed_(articles|stage|dlq|end_to_end).*"}') == 0
            assert api.count('{job="wirefeed-worker", __name__=~"wirefeed_(feed|pages|fetch|consumer).*"}') == 0
            assert api.count('wirefeed_build_info{version!=""}') == 3
            # the sink indexed every article, and dead-letters one the index rejects (a source over the
            # keyword limit) while it goes on
            assert wait_for(lambda: api.value('sum(wirefeed_index_docs_total{job="wirefeed-index"})') == PAGES + 1,
                            timeout_s=60), index_log.read_text(errors="replace")[-3000:]
            rejected = index_article("rejected", source="x" * (MAX_KEYWORD_BYTES + 1))
            producer = make_producer(settings_from(env), env["WIREFEED_KAFKA_BOOTSTRAP"])
            producer.send(env["WIREFEED_TOPIC_ARTICLES"], key=rejected.id.encode(),
                          value=rejected.model_dump_json().encode()).get(30)
            producer.close()
            assert wait_for(lambda: api.value(
                'sum(wirefeed_index_failed_total{job="wirefeed-index", action="dead_lettered"})') == 1, timeout_s=60)

            # every series an alert, a panel or a dashboard variable selects exists, with those labels
            missing = {s: where for s, where in every_selector().items() if api.count(s) == 0}
            assert missing == {}

            # success is visible in the logs (INFO), not only failure
            worker_text, reader_text = worker_log.read_text(errors="replace"), reader_log.read_text(errors="replace")
            assert '"event": "worker starting"' in worker_text and '"event": "partitions assigned"' in worker_text
            assert '"event": "poll done"' in reader_text

            # the scrapes behind alerts_test.yml's series
            capture = os.environ.get("WIREFEED_CAPTURE_DIR")
            if capture:
                Path(capture).mkdir(parents=True, exist_ok=True)
                for name, port in (("worker", worker_port), ("reader", reader_port)):  # topics as in production
                    text = scrape(port).replace(f"t{run}.wire.", "wire.")
                    Path(capture, f"{name}.prom").write_text(text, encoding="utf-8")

            # the rule file loaded whole, and every rule evaluates without error against live series
            rules_in_file = {r["alert"] for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]}
            assert wait_for(lambda: all(r.get("lastEvaluation", "").startswith("2") and r["health"] == "ok"
                                        for g in api.get("/api/v1/rules")["groups"] for r in g["rules"]),
                            timeout_s=15), api.get("/api/v1/rules")
            loaded = {r["name"]: r for g in api.get("/api/v1/rules")["groups"] for r in g["rules"]}
            assert set(loaded) == rules_in_file
            assert all(r["type"] == "alerting" for r in loaded.values())
            assert loaded["WirefeedWorkerDown"]["state"] == "inactive"
            # the dead feed's alert is on its way (pending: `for: 5m`), and only for that feed
            assert wait_for(lambda: [a["labels"]["feed"] for a in api.get("/api/v1/alerts")["alerts"]
                                     if a["labels"]["alertname"] == "WirefeedFeedFailing"] == ["prom-dead"],
                            timeout_s=20), api.get("/api/v1/alerts")

            # a stopped worker is seen: its target goes down, WorkerDown becomes pending, the lag stays visible
            assert stop(worker) == 0
            assert wait_for(lambda: api.value('up{job="wirefeed-worker"}') == 0, timeout_s=20)
            assert wait_for(lambda: any(a["labels"]["alertname"] == "WirefeedWorkerDown" and a["state"] == "pending"
                                        for a in api.get("/api/v1/alerts")["alerts"]), timeout_s=20)
            assert api.value('count(count by (topic) (wirefeed_consumer_lag{job="wirefeed-reader"}))') == 3
            # ... and counts what arrives while no worker runs
            producer = make_producer(settings_from(env), env["WIREFEED_KAFKA_BOOTSTRAP"])
            for i in range(5):
                producer.send(env["WIREFEED_TOPIC_RAW"], key=f"k{i}".encode(), value=b"{}").get(30)
            producer.close()
            assert wait_for(lambda: api.value(
                f'sum(wirefeed_consumer_lag{{job="wirefeed-reader", topic="{env["WIREFEED_TOPIC_RAW"]}"}})') == 5,
                timeout_s=60)
    finally:
        if sink is not None:
            stop(sink)
        if reader is not None:
            stop(reader)
        if worker is not None:
            stop(worker)
        stop(prometheus)
