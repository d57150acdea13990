"""The dev servers (Kafka, OpenSearch) share one way to be fetched, launched, awaited and stopped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.broker import BrokerError, LocalBroker, LocalServer, free_port, maven_fetch
from agents.opensearch import LocalOpenSearch


class FetchError(RuntimeError):
    pass


def test_a_fetch_marked_complete_runs_no_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".complete").write_text("1")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("Maven ran for a complete fetch"))
    assert maven_fetch(Path("pom.xml"), tmp_path, "1", what="x", expect=("*", "x"), error=FetchError) == tmp_path


def test_a_missing_tool_is_named_before_maven_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda tool: None if tool == "java" else f"/usr/bin/{tool}")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("Maven ran without java"))
    with pytest.raises(FetchError, match="^Java is needed$"):
        maven_fetch(Path("pom.xml"), tmp_path, "1", what="the jars", expect=("*.jar", "no jar"), error=FetchError,
                    tools={"java": "Java is needed"})


def run(server: LocalServer, code: str) -> subprocess.Popen:
    """A python one-liner standing in for the server's java process, launched and recorded as it would be."""
    server.state_dir.mkdir(parents=True, exist_ok=True)
    proc = server._launch([sys.executable, "-c", code])
    server.pid_file.write_text(str(proc.pid))
    return proc


def test_a_server_that_exits_before_it_is_up_is_reported_with_its_log(tmp_path: Path) -> None:
    server = LocalBroker(tmp_path, port=free_port())
    proc = run(server, "print('port already bound'); raise SystemExit(3)")
    with pytest.raises(BrokerError, match=r"Kafka exited with 3; see .*broker.log:\nport already bound"):
        server._wait_up(proc, lambda: False, timeout_s=60, poll_s=0.05)


def test_a_running_server_is_stopped_and_its_pid_is_known_until_then(tmp_path: Path) -> None:
    server = LocalBroker(tmp_path, port=free_port())
    assert server.pid() is None and not server.stop()
    proc = run(server, "import time; time.sleep(60)")
    assert server.pid() == proc.pid
    assert server.stop()
    assert server.pid() is None and not server.pid_file.exists()


def test_each_server_says_where_it_is_reached(tmp_path: Path) -> None:
    broker, node = LocalBroker(tmp_path, port=19092), LocalOpenSearch(tmp_path / "os", port=19200)
    assert (broker.bootstrap, broker.address) == ("127.0.0.1:19092", "127.0.0.1:19092")
    assert (node.url, node.address) == ("http://127.0.0.1:19200", "http://127.0.0.1:19200")
    assert (broker.pid_file.name, broker.log_file.name) == ("broker.pid", "broker.log")
    assert (node.pid_file.name, node.log_file.name) == ("node.json", "opensearch.out")
