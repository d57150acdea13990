"""A broker outage is visible and quiet: /readyz says not ready, logs stay a few dozen lines, all recovers.

The test starts its own broker (the session's shared broker cannot be stopped), a worker and a
reader against it, stops the broker for 60 s, counts what each process logged meanwhile, starts
the broker again on the same port and data, and waits for both processes to be ready again.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from agents.broker import LocalBroker, free_port
from tests.helpers import Routes, start_cli, stop, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

OUTAGE_S = 60
MAX_LINES_PER_PROCESS = 40  # "a few dozen"; before the rate limit a worker logged ~2,000 lines in 30 s


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as resp:
            return resp.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 200
    except OSError:
        return False


def log_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def test_a_60s_outage_makes_processes_unready_and_logs_a_few_dozen_lines(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.start()
    run = uuid.uuid4().hex[:8]
    worker_port, reader_port = free_port(), free_port()
    env = {
        "WIREFEED_KAFKA_BOOTSTRAP": broker.bootstrap,
        "WIREFEED_APP_ID": f"wirefeed-outage-{run}",
        "WIREFEED_DATA_DIR": str(tmp_path / "data"),
        "WIREFEED_READER_STATE": str(tmp_path / "data" / "reader-state.json"),
        "WIREFEED_LOG_LEVEL": "INFO",
        "WIREFEED_METRICS_PORT": str(worker_port),
        "WIREFEED_READER_METRICS_PORT": str(reader_port),
        "WIREFEED_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "WIREFEED_POLL_INTERVAL_S": "20",
    }
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    worker = reader = None
    try:
        with Routes({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, feed)}) as site:
            feeds = tmp_path / "feeds.yaml"
            feeds.write_text(f"feeds:\n  - url: {site.url('/feed.xml')}\n    name: outage\n", encoding="utf-8")
            worker_log, reader_log = tmp_path / "worker.log", tmp_path / "reader.log"
            # the worker at WARNING: the level at which Faust's terminal spinner used to write cursor codes
            # into the log; the reader at INFO, what production runs with (success lines count too)
            worker = start_cli(["worker"], {**env, "WIREFEED_LOG_LEVEL": "WARNING"}, worker_log)
            reader = start_cli(["read", "--feeds", str(feeds)], env, reader_log)
            assert wait_for(lambda: ready(worker_port) and ready(reader_port), timeout_s=120), (
                worker_log.read_text(errors="replace")[-3000:])

            before = {"worker": log_lines(worker_log), "reader": log_lines(reader_log)}
            broker.stop()
            down_at = time.monotonic()
            assert wait_for(lambda: not ready(worker_port) and not ready(reader_port), timeout_s=20)
            unready_after_s = time.monotonic() - down_at
            seen_ready = []
            while time.monotonic() - down_at < OUTAGE_S:  # not ready at any moment of the outage
                seen_ready.append(ready(worker_port) or ready(reader_port))
                time.sleep(1.0)
            during = {"worker": log_lines(worker_log) - before["worker"],
                      "reader": log_lines(reader_log) - before["reader"]}
            broker.start()
            back_at = time.monotonic()
            assert wait_for(lambda: ready(worker_port) and ready(reader_port), timeout_s=120), (
                worker_log.read_text(errors="replace")[-3000:])
            ready_again_s = time.monotonic() - back_at
            print(f"\nunready after {unready_after_s:.1f}s; lines during {OUTAGE_S}s outage: {during}; "
                  f"ready again {ready_again_s:.1f}s after the broker")
            assert not any(seen_ready[1:]), seen_ready
            assert worker.poll() is None and reader.poll() is None
            for name, lines in during.items():
                assert lines <= MAX_LINES_PER_PROCESS, (name, lines, (tmp_path / f"{name}.log").read_text()[-4000:])
            for line in worker_log.read_text(errors="replace").splitlines():  # JSON only: no spinner codes
                assert json.loads(line)["level"], line
    finally:
        for proc in (reader, worker):
            if proc is not None:
                stop(proc)
        broker.stop()


def test_a_worker_that_cannot_reach_kafka_gives_up_in_one_line(tmp_path: Path) -> None:
    """No broker at the bootstrap address: a dozen lines in the minute it retries, no traceback, exit 1."""
    dead = f"127.0.0.1:{free_port()}"
    log = tmp_path / "worker.log"
    worker = start_cli(["worker"], {"WIREFEED_KAFKA_BOOTSTRAP": dead, "WIREFEED_METRICS_PORT": "0",
                                    "WIREFEED_DATA_DIR": str(tmp_path / "data")}, log)
    try:
        assert worker.wait(180) == 1
    finally:
        stop(worker)
    lines = log.read_text(errors="replace").splitlines()
    assert "Traceback" not in log.read_text(errors="replace")
    assert len(lines) <= 20, len(lines)  # was ~500 lines and a traceback
    last = json.loads(lines[-1])
    assert last["level"] == "critical" and last["event"].startswith(f"giving up: cannot reach Kafka at {dead}")
