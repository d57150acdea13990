"""Which metric names PromQL text refers to, and which ones pipeline/metrics.py defines.

Dashboards and alert rules are checked against the metric definitions so that a
renamed metric breaks a test instead of silently emptying a panel or muting an alert.
"""

from __future__ import annotations

import re

from prometheus_client.metrics import MetricWrapperBase

from pipeline import metrics

# Series every Prometheus target has, not defined by wirefeed.
BUILTIN_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
     "inf", "nan"}
)
_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}


def defined_metric_names() -> set[str]:
    """Every series name the metric objects in pipeline/metrics.py export."""
    names: set[str] = set()
    for obj in vars(metrics).values():
        if not isinstance(obj, MetricWrapperBase):
            continue
        for family in obj.describe():
            names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def referenced_metric_names(expr: str) -> set[str]:
    """Metric names used in a PromQL expression (Grafana's $variables allowed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals (label values, regexes)
    text = re.sub(r"\$\{?\w+(?::\w+)?\}?", "1m", text)  # Grafana variables such as $__rate_interval
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery selectors
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        name, is_call = match.group(1), match.group(2)
        if is_call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


def unknown_metric_names(expr: str) -> set[str]:
    """Names an expression uses that neither wirefeed nor Prometheus itself defines."""
    return referenced_metric_names(expr) - defined_metric_names() - BUILTIN_SERIES


# Grafana's template variables, as an imported dashboard would resolve them with "All" selected.
GRAFANA_VARIABLES = {"$feed": ".*", "$stage": ".*", "$job": ".*", "${feed}": ".*", "${stage}": ".*", "${job}": ".*"}


def selectors(expr: str) -> list[str]:
    """The series selectors of a PromQL expression (``name{matchers}``), Grafana variables resolved to All."""
    names = referenced_metric_names(expr)
    found = []
    for match in re.finditer(r"(?<![\w:.\"])([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?", expr):
        name, matchers = match.group(1), match.group(2) or ""
        if name not in names:
            continue
        for variable, value in GRAFANA_VARIABLES.items():
            matchers = matchers.replace(variable, value)
        found.append(name + matchers)
    return found
