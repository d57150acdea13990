"""Configuration is explicit: ``Settings`` (pipeline/config.py) is the one reader of the environment.

The core (pipeline/, schemas/) gets its settings passed in and never builds them itself; the
Kafka layer (agents/) reads a ``WIREFEED_*`` value only through ``Settings``. Handing the
whole environment on to a child process is allowed: that reads no variable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pipeline" / "config.py"
SETTINGS_BUILDERS = {"Settings", "load_settings", "get_settings"}


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if p != CONFIG)


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def _environment_reads(path: Path) -> list[str]:
    """Places that read one variable by name: ``os.environ.get(x)``, ``os.environ[x]``, ``os.getenv(x)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target in {"os.environ.get", "os.getenv", "environ.get", "getenv"}:
                found.append(_where(path, node))
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in {"os.environ", "environ"}:
            found.append(_where(path, node))
    return found


def _settings_built(path: Path) -> list[str]:
    """Places that build settings (each reads the environment) instead of being handed them."""
    return [
        _where(path, node)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SETTINGS_BUILDERS
    ]


def test_the_core_reads_no_environment_variable() -> None:
    assert [hit for path in _sources("pipeline", "schemas") for hit in _environment_reads(path)] == []


def test_the_core_is_handed_its_settings_and_never_builds_them() -> None:
    assert [hit for path in _sources("pipeline", "schemas") for hit in _settings_built(path)] == []


def test_the_kafka_layer_reads_wirefeed_variables_only_through_settings() -> None:
    reads = [hit for path in _sources("agents") for hit in _environment_reads(path)]
    # JAVA_HOME is Java's own convention for finding a JVM, not a wirefeed setting
    java = [hit for hit in reads if "JAVA_HOME" in _line(hit)]
    assert [hit for hit in reads if hit not in java] == []


def _line(where: str) -> str:
    path, line = where.rsplit(":", 1)
    return (ROOT / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]


def test_the_deduper_must_be_given_its_settings() -> None:
    from pipeline.dedupe.deduper import Deduper

    with pytest.raises(TypeError):
        Deduper({})  # type: ignore[call-arg]
    assert Deduper({}, settings=Settings(dedupe_window_days=2)).window == 2 * 86_400


def test_the_local_servers_places_and_ports_are_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from agents.broker import cache_root
    from agents.opensearch import default_node, opensearch_home

    monkeypatch.setenv("WIREFEED_OPENSEARCH_HOME", str(tmp_path / "os-home"))
    monkeypatch.setenv("WIREFEED_OPENSEARCH_PORT", "19200")
    monkeypatch.delenv("WIREFEED_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert opensearch_home() == tmp_path / "os-home"
    assert default_node().port == 19200
    assert cache_root() == tmp_path / "xdg" / "wirefeed"
