"""A real Prometheus scrapes a running worker and reader, loads the alert rules, and answers queries.

The scrape jobs carry the names deploy/prometheus/prometheus.yml gives them (``wirefeed-worker``,
``wirefeed-reader``), because alerts.yml and the Grafana dashboard select on them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from agents.broker import free_port
from tests.conftest import REPO_ROOT
from tests.helpers import start_cli, stop, wait_for
from tests.integration.faultkit import feed_site

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
PAGES = 12


def prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus server is not installed: run `make setup` (apt-get install prometheus)")
    return binary


def write_config(path: Path, worker_port: int, reader_port: int) -> None:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {"job_name": "wirefeed-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]},
            {"job_name": "wirefeed-reader", "static_configs": [{"targets": [f"127.0.0.1:{reader_port}"]}]},
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

    def ready(self) -> bool:
        with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as resp:
            return resp.status == 200


def test_prometheus_scrapes_worker_and_reader_and_evaluates_the_alert_rules(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    binary = prometheus_binary()
    worker_port, reader_port, prom_port = free_port(), free_port(), free_port()
    env = {
        **isolated_env,
        "WIREFEED_METRICS_PORT": str(worker_port),
        "WIREFEED_READER_METRICS_PORT": str(reader_port),
        "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "WIREFEED_PER_HOST_DELAY_S": "0",
        "WIREFEED_POLL_INTERVAL_S": "2",
    }
    config = tmp_path / "prometheus.yml"
    write_config(config, worker_port, reader_port)
    log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115 - handed to the child
    prometheus = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log.close()
    api = PrometheusApi(prom_port)
    worker = reader = None
    run = env["WIREFEED_APP_ID"][-8:]
    try:
        with feed_site(run, PAGES, page_delay_s=0) as site:
            feeds = tmp_path / "feeds.yaml"
            feeds.write_text(f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: prom-wire\n", encoding="utf-8")
            worker = start_cli(["worker"], env, tmp_path / "worker.log")
            reader = start_cli(["read", "--feeds", str(feeds)], env, tmp_path / "reader.log")
            assert wait_for(api.ready, timeout_s=30), (tmp_path / "prometheus.log").read_text()[-3000:]

            # every page came through, as Prometheus (not our own scrape) sees it
            assert wait_for(lambda: api.value("sum(wirefeed_articles_published_total)") == PAGES, timeout_s=120), (
                (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            )
            for job in ("wirefeed-worker", "wirefeed-reader"):
                assert wait_for(lambda job=job: api.value(f'up{{job="{job}"}}') == 1, timeout_s=10), job
            assert wait_for(lambda: api.value('sum(wirefeed_pages_produced_total{job="wirefeed-reader"})') == PAGES,
                            timeout_s=10)
            assert api.value('sum(wirefeed_stage_processed_total{job="wirefeed-worker", stage="extract"})') == PAGES
            assert api.value('sum(wirefeed_stage_processed_total{job="wirefeed-worker", stage="tag"})') == PAGES
            assert api.value('sum(wirefeed_pages_produced_total{job="wirefeed-reader", feed="prom-wire"})') == PAGES
            assert api.value('sum(wirefeed_feed_polls_total{feed="prom-wire", outcome="ok"})') >= 1
            assert api.value("sum(wirefeed_end_to_end_seconds_count)") == PAGES
            # (cumulative buckets: the series appeared with every page already counted, so rate() is still 0)
            median = api.value('histogram_quantile(0.5, sum by (le) (wirefeed_stage_seconds_bucket{stage="extract"}))')
            assert 0 < median < 10

            # the rule file loaded whole, and every rule evaluates without error against live series
            rules_in_file = {r["alert"] for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]}
            assert wait_for(lambda: all(r.get("lastEvaluation", "").startswith("2") and r["health"] == "ok"
                                        for g in api.get("/api/v1/rules")["groups"] for r in g["rules"]),
                            timeout_s=15), api.get("/api/v1/rules")
            loaded = {r["name"]: r for g in api.get("/api/v1/rules")["groups"] for r in g["rules"]}
            assert set(loaded) == rules_in_file
            assert all(r["type"] == "alerting" for r in loaded.values())
            assert loaded["WirefeedWorkerDown"]["state"] == "inactive"

            # a stopped worker is seen: its target goes down and the WorkerDown alert becomes pending
            assert stop(worker) == 0
            assert wait_for(lambda: api.value('up{job="wirefeed-worker"}') == 0, timeout_s=20)
            assert wait_for(lambda: any(a["labels"]["alertname"] == "WirefeedWorkerDown" and a["state"] == "pending"
                                        for a in api.get("/api/v1/alerts")["alerts"]), timeout_s=20)
    finally:
        if reader is not None:
            stop(reader)
        if worker is not None:
            stop(worker)
        stop(prometheus)
