"""The container files agree with each other and with the code, checked statically.

No Docker daemon is needed: these tests read docker-compose.yml, deploy/Dockerfile, the
Prometheus config and the Grafana provisioning, and check that every path, port,
service name and metric name they mention exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.promql_names import defined_metric_names, selectors, unknown_metric_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "wirefeed.json"
# Written with the reader's work (issue 2), not by the container files.
FEEDS_FILE = ROOT / "feeds.yaml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def env(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: str(value) for key, value in raw.items()}


def bind_mounts() -> list[tuple[str, str, str]]:
    """(service, host path, container path) of every bind mount (named volumes excluded)."""
    mounts = []
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                mounts.append((name, source, target))
    return mounts


def container_path_of(service: str, host_path: Path) -> PurePosixPath | None:
    """Where a repository path appears inside a service's container, via its bind mounts."""
    for name, source, target in bind_mounts():
        source_path = (ROOT / source).resolve()
        if name == service and (host_path == source_path or source_path in host_path.parents):
            return PurePosixPath(target) / host_path.relative_to(source_path)
    return None


def metrics_port(service: dict[str, Any]) -> int:
    return int(env(service)["WIREFEED_METRICS_PORT"])


# -- docker-compose.yml ---------------------------------------------------------------------------
def test_compose_has_every_service_of_the_stack() -> None:
    assert {"kafka", "reader", "worker", "prometheus", "grafana"} <= set(services())


def test_kafka_is_the_official_image_in_kraft_mode() -> None:
    kafka = services()["kafka"]
    settings = env(kafka)
    assert kafka["image"].split(":")[0] == "apache/kafka"
    assert set(settings["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = settings["KAFKA_NODE_ID"]
    voters = settings["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert any(voter.startswith(f"{node_id}@kafka:") for voter in voters)
    assert settings["KAFKA_CONTROLLER_LISTENER_NAMES"] in settings["KAFKA_LISTENERS"]
    assert "ZOOKEEPER" not in " ".join(settings).upper()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", settings["CLUSTER_ID"]), "CLUSTER_ID is a base64 UUID"


def test_wirefeed_processes_bootstrap_from_an_advertised_kafka_listener() -> None:
    advertised = env(services()["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    addresses = {urlsplit(listener).netloc for listener in advertised.split(",")}
    for name in ("reader", "worker"):
        assert env(services()[name])["WIREFEED_KAFKA_BOOTSTRAP"] in addresses, name
        assert "kafka" in services()[name]["depends_on"]


def test_reader_and_worker_run_the_wirefeed_commands_from_the_image() -> None:
    reader, worker = services()["reader"], services()["worker"]
    assert reader["command"][0] == "read"
    feeds = reader["command"][reader["command"].index("--feeds") + 1]
    assert container_path_of("reader", FEEDS_FILE) == PurePosixPath(feeds)
    assert worker["command"] == ["worker"]
    assert reader["build"]["dockerfile"] == worker["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_worker_can_be_scaled() -> None:
    worker = services()["worker"]
    assert "container_name" not in worker, "replicas cannot share a container name"
    assert not worker.get("ports"), "replicas cannot share a fixed host port"
    assert worker.get("deploy", {}).get("replicas", 1) >= 1


def test_reader_and_worker_serve_metrics_on_different_ports_reachable_from_prometheus() -> None:
    reader, worker = services()["reader"], services()["worker"]
    assert metrics_port(reader) != metrics_port(worker)
    for service in (reader, worker):
        assert env(service)["WIREFEED_METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("mount", bind_mounts(), ids=lambda mount: f"{mount[0]}:{mount[1]}")
def test_every_bind_mount_exists_in_the_repository(mount: tuple[str, str, str]) -> None:
    _, source, _ = mount
    path = (ROOT / source).resolve()
    assert path.exists(), f"{source} is mounted but missing"
    assert ROOT in path.parents, f"{source} lies outside the repository"


def test_every_build_context_and_dockerfile_exists() -> None:
    for name, service in services().items():
        build = service.get("build")
        if build is None:
            continue
        context = ROOT / build["context"]
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name


def test_host_ports_bind_loopback_only() -> None:
    for name, service in services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


# -- deploy/Dockerfile ----------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def instruction(name: str) -> list[str]:
    return [args for op, args in dockerfile_instructions() if op == name]


def test_dockerfile_builds_from_python_311_slim() -> None:
    assert instruction("FROM") == ["python:3.11-slim"]


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = instruction("USER")
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for args in instruction("COPY"):
        *sources, _destination = [arg for arg in args.split() if not arg.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: missing"


def test_dockerfile_installs_the_project_and_runs_its_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert any("pip install ." in args for args in instruction("RUN"))
    assert json.loads(instruction("ENTRYPOINT")[-1]) == ["wirefeed"]
    assert "wirefeed" in scripts


def test_dockerfile_exposes_the_metrics_ports_and_checks_health() -> None:
    exposed = {int(port) for args in instruction("EXPOSE") for port in args.split()}
    assert {metrics_port(services()["reader"]), metrics_port(services()["worker"])} <= exposed
    [healthcheck] = instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck and "WIREFEED_METRICS_PORT" in healthcheck


# -- Prometheus -----------------------------------------------------------------------------------
def scrape_jobs() -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]}


def targets(job: dict[str, Any]) -> list[tuple[str, int]]:
    found = []
    for static in job.get("static_configs", []):
        for target in static["targets"]:
            host, port = target.rsplit(":", 1)
            found.append((host, int(port)))
    for dns in job.get("dns_sd_configs", []):
        found.extend((name, int(dns["port"])) for name in dns["names"])
    return found


@pytest.mark.parametrize(
    ("job_name", "service"), [("wirefeed-reader", "reader"), ("wirefeed-worker", "worker")]
)
def test_prometheus_scrapes_each_process_at_its_compose_service_and_metrics_port(
    job_name: str, service: str
) -> None:
    job = scrape_jobs()[job_name]
    assert targets(job) == [(service, metrics_port(services()[service]))]


def test_prometheus_discovers_every_worker_replica_through_dns() -> None:
    assert scrape_jobs()["wirefeed-worker"].get("dns_sd_configs"), "a static target would see one replica"


def test_prometheus_container_reads_this_config_and_its_rule_files() -> None:
    prometheus = services()["prometheus"]
    inside = container_path_of("prometheus", PROMETHEUS.resolve())
    assert f"--config.file={inside}" in prometheus["command"]
    for rule_file in yaml.safe_load(PROMETHEUS.read_text())["rule_files"]:
        assert (PROMETHEUS.parent / rule_file).is_file(), rule_file


@pytest.mark.skipif(  # only outside CI: there a missing promtool fails
    shutil.which("promtool") is None and not os.environ.get("CI"),
    reason="promtool not on PATH: install Debian's `prometheus` package (deploy/install-system-deps.sh)",
)
def test_promtool_accepts_the_prometheus_config() -> None:
    result = subprocess.run(
        ["promtool", "check", "config", PROMETHEUS.name],
        capture_output=True, text=True, timeout=60, cwd=PROMETHEUS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- Grafana --------------------------------------------------------------------------------------
def provisioned_datasource() -> dict[str, Any]:
    [source] = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    return source


def test_grafana_datasource_points_at_the_prometheus_service() -> None:
    url = urlsplit(provisioned_datasource()["url"])
    assert url.hostname in services() and services()[url.hostname]["image"].startswith("prom/prometheus")
    assert url.port == 9090


def test_grafana_loads_dashboards_from_where_compose_mounts_them() -> None:
    [provider] = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "wirefeed.yml").read_text())[
        "providers"
    ]
    mounted_at = container_path_of("grafana", DASHBOARD.parent.resolve())
    assert PurePosixPath(provider["options"]["path"]) == mounted_at
    assert container_path_of("grafana", (GRAFANA / "provisioning").resolve()) == PurePosixPath(
        "/etc/grafana/provisioning"
    )


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def exprs() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def test_dashboard_is_a_grafana_dashboard_with_unique_panel_ids() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 30
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_panel_queries_the_datasource_variable_not_a_fixed_uid() -> None:
    """Imported into another Grafana, the dashboard asks which Prometheus to use instead of breaking."""
    [variable] = [v for v in dashboard()["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus" and provisioned_datasource()["type"] == "prometheus"
    selected = "${" + variable["name"] + "}"
    for panel in panels():
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": selected}
        assert all(target["datasource"] == panel["datasource"] for target in panel["targets"])
    assert f'"uid": "{provisioned_datasource()["uid"]}"' not in json.dumps(dashboard())


def test_every_wirefeed_query_is_narrowed_by_the_job_variable() -> None:
    assert any(v["name"] == "job" for v in dashboard()["templating"]["list"])
    for expr in exprs():
        for selector in selectors(expr):
            assert not selector.startswith("wirefeed_") or 'job=~".*"' in selector, (expr, selector)


@pytest.mark.parametrize("expr", exprs())
def test_every_dashboard_query_uses_only_metrics_defined_in_pipeline_metrics(expr: str) -> None:
    assert unknown_metric_names(expr) == set()


def test_every_template_variable_queries_a_defined_metric() -> None:
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "datasource":
            continue
        metric = re.fullmatch(r"label_values\((\w+)(?:\{[^}]*\})?,\s*\w+\)", variable["query"]["query"])
        assert metric and metric.group(1) in defined_metric_names(), variable["name"]


def test_dashboard_shows_every_wirefeed_metric() -> None:
    text = " ".join(exprs())
    bases = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in defined_metric_names()}
    missing = {base for base in bases if base not in text}
    assert missing == set()
