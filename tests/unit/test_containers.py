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
def kafka_nodes() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services().items() if name.startswith("kafka")}


def test_compose_has_every_service_of_the_stack() -> None:
    assert {"reader", "worker", "prometheus", "grafana"} <= set(services())
    assert len(kafka_nodes()) == 3, "three brokers: replication 3 with min ISR 2 survives the loss of one"


def test_kafka_is_the_official_image_in_kraft_mode_with_a_three_node_quorum() -> None:
    ids, cluster_ids = set(), set()
    for name, kafka in kafka_nodes().items():
        settings = env(kafka)
        assert kafka["image"].split(":")[0] == "apache/kafka"
        assert set(settings["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        node_id = settings["KAFKA_NODE_ID"]
        voters = settings["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert f"{node_id}@{kafka['hostname']}:9093" in voters, name
        assert len(voters) == 3
        assert settings["KAFKA_CONTROLLER_LISTENER_NAMES"] in settings["KAFKA_LISTENERS"]
        assert "ZOOKEEPER" not in " ".join(settings).upper()
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", settings["CLUSTER_ID"]), "CLUSTER_ID is a base64 UUID"
        ids.add(node_id)
        cluster_ids.add(settings["CLUSTER_ID"])
        assert settings["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert int(settings["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 3
        assert int(settings["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
        [volume] = [v for v in kafka["volumes"] if v.endswith(":" + settings["KAFKA_LOG_DIRS"])]
        assert volume.split(":")[0] in compose()["volumes"], "each broker keeps its log on a volume"
    assert len(ids) == 3 and len(cluster_ids) == 1


def test_wirefeed_topics_are_replicated_three_times_with_two_in_sync() -> None:
    for name in ("reader", "worker"):
        settings = env(services()[name])
        replicas, in_sync = int(settings["WIREFEED_REPLICATION_FACTOR"]), int(settings["WIREFEED_MIN_INSYNC_REPLICAS"])
        assert (replicas, in_sync) == (3, 2), name
        assert replicas <= len(kafka_nodes()) and in_sync < replicas  # one broker may be down, writes go on


def test_wirefeed_processes_bootstrap_from_every_advertised_kafka_listener() -> None:
    addresses = set()
    for kafka in kafka_nodes().values():
        advertised = env(kafka)["KAFKA_ADVERTISED_LISTENERS"]
        addresses |= {urlsplit(listener).netloc for listener in advertised.split(",")}
    for name in ("reader", "worker"):
        bootstrap = env(services()[name])["WIREFEED_KAFKA_BOOTSTRAP"].split(",")
        assert len(bootstrap) == 3 and set(bootstrap) <= addresses, name
        assert set(kafka_nodes()) <= set(services()[name]["depends_on"])


def test_every_stateful_path_of_the_wirefeed_services_lies_on_a_volume() -> None:
    """The reader crash-looped: its seen-state defaulted to a path relative to the working dir."""
    from pipeline.config import Settings

    for name in ("reader", "worker"):
        service = services()[name]
        settings_env = env(service)
        volumes = {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}
        data_dir = settings_env["WIREFEED_DATA_DIR"]
        assert volumes.get(data_dir) in compose()["volumes"], f"{name}: {data_dir} is not a named volume"
        settings = Settings(**{k.removeprefix("WIREFEED_").lower(): v for k, v in settings_env.items()
                               if k.startswith("WIREFEED_")})
        for field, value in settings:
            if isinstance(value, Path) and field != "feeds_file":
                assert PurePosixPath(data_dir) in PurePosixPath(value).parents or str(value) == data_dir, (
                    f"{name}: {field} = {value} is not under {data_dir}")


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


def test_host_ports_bind_loopback_only_and_do_not_collide() -> None:
    published = [str(port).rsplit(":", 1)[0] for service in services().values() for port in service.get("ports", [])]
    assert len(published) == len(set(published))
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
    assert any(re.search(r"pip install( --[\w-]+)* \.( |$)", args) for args in instruction("RUN"))
    assert json.loads(instruction("ENTRYPOINT")[-1]) == ["wirefeed"]
    assert "wirefeed" in scripts


def test_dockerfile_exposes_the_metrics_ports_and_checks_health() -> None:
    exposed = {int(port) for args in instruction("EXPOSE") for port in args.split()}
    assert {metrics_port(services()["reader"]), metrics_port(services()["worker"])} <= exposed
    [healthcheck] = instruction("HEALTHCHECK")
    assert "/healthz" in healthcheck and "WIREFEED_METRICS_PORT" in healthcheck


LOCK = ROOT / "requirements.lock"


def locked() -> dict[str, str]:
    """name -> version of every package pinned in the lock file."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", LOCK.read_text(), flags=re.M)
    return {canonical(name): version for name, version in pins}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group: str | None = None) -> dict[str, str]:
    """name -> version range of pyproject's runtime dependencies (or an optional group)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] if group is None else project["optional-dependencies"][group]
    out = {}
    for requirement in requirements:
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(.*)", requirement).groups()
        out[canonical(name)] = spec
    return out


def test_the_image_installs_the_lock_file_with_hashes_before_copying_any_source() -> None:
    steps = dockerfile_instructions()
    install = next(i for i, (op, args) in enumerate(steps) if op == "RUN" and "requirements.lock" in args)
    assert "--require-hashes" in steps[install][1] and "--no-deps" in steps[install][1]
    copies_before = [args for op, args in steps[:install] if op == "COPY"]
    assert copies_before == ["requirements.lock ./"], "only the lock before the dependency layer: it stays cached"
    project = next(i for i, (op, args) in enumerate(steps) if op == "RUN" and "pip install" in args and i > install)
    assert "--no-deps" in steps[project][1], "the project install must not resolve dependencies again"


def test_the_lock_pins_every_runtime_dependency_within_its_declared_range_with_hashes() -> None:
    from packaging.specifiers import SpecifierSet

    pins = locked()
    for name, spec in declared().items():
        assert name in pins, f"{name} is declared but not locked: run `make lock`"
        assert SpecifierSet(spec).contains(pins[name], prereleases=True), f"{name}=={pins[name]} not in {spec}"
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 1)[1].strip())
    pinned = [e for e in entries if "==" in e.split("\n")[0]]
    assert pinned and all("--hash=sha256:" in e for e in pinned)


def lock_entries() -> dict[str, str]:
    """name -> its whole entry (pin, hashes, ``# via`` lines) in the lock file."""
    text = LOCK.read_text()
    starts = list(re.finditer(r"^([A-Za-z0-9_.-]+)==", text, flags=re.M))
    return {canonical(m.group(1)): text[m.start():(starts[i + 1].start() if i + 1 < len(starts) else len(text))]
            for i, m in enumerate(starts)}


def test_the_image_has_no_test_lint_or_bench_tools() -> None:
    """The lock is built from the runtime dependencies only: a dev package is there only when a
    runtime package needs it (the lock's ``# via``)."""
    entries = lock_entries()
    dev_only = set(declared("dev")) - set(declared())
    assert {"pytest", "ruff", "hypothesis"} <= dev_only
    for name in dev_only & set(entries):
        via = re.findall(r"#\s+(?:via\s+)?([A-Za-z0-9_.-]+)\s*$", entries[name], flags=re.M)
        assert via and set(map(canonical, via)) <= set(entries), f"{name} is in the image only for the tools"


def third_party_imports(folder: str) -> set[str]:
    import ast
    import sys

    modules = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    own = {"pipeline", "agents", "schemas", "tests", "bench", "sample"}
    return {m for m in modules if m not in sys.stdlib_module_names and m not in own}


@pytest.mark.parametrize(("folder", "groups"), [
    ("pipeline", [None]), ("agents", [None]), ("schemas", [None]),
    ("tests", [None, "dev"]), ("bench", [None, "dev", "bench"]),
])
def test_every_imported_package_is_declared_in_pyproject(folder: str, groups: list[str | None]) -> None:
    """A package that arrives only as someone else's dependency can vanish on any upgrade."""
    from importlib.metadata import packages_distributions

    allowed = {name for group in groups for name in declared(group)}
    distributions = packages_distributions()
    undeclared = {}
    # other extractors bench/extraction.py compares against only when they are installed (never needed)
    optional = {"rs_trafilatura", "readability"} if folder == "bench" else set()
    for module in third_party_imports(folder) - optional:
        names = {canonical(d) for d in distributions.get(module, [module])}
        if not names & allowed:
            undeclared[module] = sorted(names)
    assert undeclared == {}, f"imported in {folder}/ but not declared in pyproject.toml"


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
