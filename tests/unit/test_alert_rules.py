"""The alert rules are valid, unit-tested with promtool, complete and about real metrics."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.promql_names import unknown_metric_names

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERTS_TEST = PROMETHEUS_DIR / "alerts_test.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
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
