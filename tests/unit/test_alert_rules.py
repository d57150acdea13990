"""The alert rules are valid, unit-tested with promtool, complete and about real metrics."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.promql_names import unknown_metric_names

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
OPERATIONS = REPO / "docs" / "operations.md"
SCRAPES = REPO / "tests" / "fixtures" / "scrapes"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERTS_TEST = PROMETHEUS_DIR / "alerts_test.yml"
PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")
ALERTMANAGER = PROMETHEUS_DIR / "alertmanager.yml"
# Skipped only outside CI (a bare `pytest` without `make setup`); in CI a missing promtool fails.
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool not on PATH: install Debian's `prometheus` package (deploy/install-system-deps.sh)",
)


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=PROMETHEUS_DIR)


@needs_promtool
def test_promtool_accepts_the_rule_file() -> None:
    result = promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_alert_unit_test_passes() -> None:
    result = promtool("test", "rules", ALERTS_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_operating_alerts_exist() -> None:
    names = {rule["alert"] for rule in rules()}
    assert {
        "WirefeedNoArticlesPublished",
        "WirefeedDeadLetterRatioHigh",
        "WirefeedDeadLetterBurst",
        "WirefeedConsumerLagGrowing",
        "WirefeedFeedFailing",
        "WirefeedFetchErrorsHigh",
        "WirefeedWorkerDown",
        "WirefeedWorkerAbsent",
        "WirefeedReaderDown",
        "WirefeedConsumerLagUnknown",
    } <= names


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_alert_has_severity_summary_description_and_a_for_clause(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"].strip()
    assert len(rule["annotations"]["description"].strip()) > 40
    assert rule.get("for"), "an alert without `for:` pages on a single bad scrape"


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_alert_queries_only_metrics_that_exist(rule: dict[str, Any]) -> None:
    assert unknown_metric_names(rule["expr"]) == set()


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_alert_is_unit_tested_both_firing_and_quiet(rule: dict[str, Any]) -> None:
    cases = [
        case
        for test in yaml.safe_load(ALERTS_TEST.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["alertname"] == rule["alert"]
    ]
    assert any(case["exp_alerts"] for case in cases), f"no test where {rule['alert']} fires"
    assert any(not case["exp_alerts"] for case in cases), f"no test where {rule['alert']} stays quiet"


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_alert_has_a_runbook_section_in_the_operations_guide(rule: dict[str, Any]) -> None:
    runbook = rule["annotations"]["runbook"]
    path, _, anchor = runbook.partition("#")
    assert path == "docs/operations.md" and anchor == rule["alert"].lower()
    text = OPERATIONS.read_text(encoding="utf-8")
    headings = {github_anchor(h): h for h in re.findall(r"^#{2,4} (.+)$", text, re.M)}
    assert anchor in headings, f"no section for {rule['alert']} in docs/operations.md"
    section = text.split("### " + headings[anchor] + "\n", 1)[1].split("\n### ", 1)[0]
    for part in ("Means", "Check", "Do"):  # what it means, what to look at, what to do
        assert f"**{part}**" in section, (rule["alert"], part)


def captured_series() -> dict[str, set[tuple[str, frozenset]]]:
    """job -> {(name, labels)} of the real scrapes in tests/fixtures/scrapes (``<x>.prom``: job wirefeed-<x>)."""
    series: dict[str, set[tuple[str, frozenset]]] = {}
    for path in sorted(SCRAPES.glob("*.prom")):
        job = f"wirefeed-{path.stem}"
        found = set()
        for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
            for sample in family.samples:
                found.add((sample.name, frozenset(sample.labels.items())))
        found.add(("up", frozenset()))
        series[job] = found
    return series


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    name, _, rest = text.partition("{")
    labels = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return name.strip(), labels


def test_every_input_series_of_the_rule_tests_is_one_a_real_process_exports() -> None:
    """The rule tests feed series as a real scrape has them (not invented ones), plus job and instance."""
    captured = captured_series()
    for test in yaml.safe_load(ALERTS_TEST.read_text())["tests"]:
        for item in test["input_series"]:
            name, labels = parse_series(item["series"])
            job = labels.pop("job", None)
            assert job in captured and labels.pop("instance", None), item["series"]
            assert (name, frozenset(labels.items())) in captured[job], f"not in a real {job} scrape: {item['series']}"


needs_amtool = pytest.mark.skipif(
    AMTOOL is None and not os.environ.get("CI"),
    reason="amtool not on PATH: install Debian's `prometheus-alertmanager` (deploy/install-system-deps.sh)",
)


@needs_amtool
def test_alertmanager_accepts_its_config() -> None:
    assert AMTOOL is not None
    result = subprocess.run([AMTOOL, "check-config", str(ALERTMANAGER)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_amtool
@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_every_alert_is_routed_to_the_webhook_receiver(rule: dict[str, Any]) -> None:
    assert AMTOOL is not None
    labels = [f"alertname={rule['alert']}", *(f"{k}={v}" for k, v in rule["labels"].items())]
    result = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "wirefeed-webhook", result.stdout + result.stderr


def test_prometheus_sends_alerts_to_the_compose_alertmanager() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    [target] = [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    host, _, port = target.partition(":")
    assert host in compose and compose[host]["image"].startswith("prom/alertmanager") and port == "9093"
    mounts = compose[host]["volumes"]
    assert "./deploy/prometheus/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" in mounts
