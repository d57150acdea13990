"""Topics are created by the app with explicit partitions and configs; the dev broker's controls."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from agents.broker import free_port, free_port_pair
from agents.kafka import changelog_topic, describe_topics, ensure_topics, topic_specs
from pipeline.config import TopicMismatchError
from tests.conftest import REPO_ROOT, settings_from

pytestmark = pytest.mark.broker


def describe(bootstrap: str, topics: list[str]) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap])
    try:
        partitions = {t["topic"]: len(t["partitions"]) for t in admin.describe_topics(topics)}
        configs = {}
        for response in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]):
            for _code, _msg, _type, name, entries in response.resources:
                configs[name] = {entry[0]: entry[1] for entry in entries}
        return partitions, configs
    finally:
        admin.close()


def test_topics_are_created_with_their_partitions_and_configs(isolated_env: dict[str, str],
                                                              kafka_bootstrap: str) -> None:
    settings = settings_from({**isolated_env, "WIREFEED_PARTITIONS": "3", "WIREFEED_RETENTION_HOURS": "24"})
    created = ensure_topics(settings, kafka_bootstrap)
    names = [spec.name for spec in topic_specs(settings)]
    assert sorted(created) == sorted(names)
    assert ensure_topics(settings, kafka_bootstrap) == []  # idempotent
    partitions, configs = describe(kafka_bootstrap, names)
    assert partitions == {settings.topic_raw: 3, settings.topic_extracted: 1, settings.topic_deduped: 3,
                          settings.topic_articles: 3, settings.topic_dlq: 1, changelog_topic(settings): 1}
    assert configs[settings.topic_articles]["cleanup.policy"] == "compact"
    for name in (settings.topic_raw, settings.topic_extracted, settings.topic_deduped, settings.topic_dlq):
        assert configs[name]["cleanup.policy"] == "delete"
        assert configs[name]["retention.ms"] == str(24 * 3600 * 1000)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agents.cli", *args], env={**os.environ, **env},
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_broker_status_says_stopped_when_none_runs(tmp_path) -> None:  # noqa: ANN001
    env = {"WIREFEED_BROKER_PORT": str(free_port()), "WIREFEED_DATA_DIR": str(tmp_path)}
    result = cli("broker", "status", env=env)
    assert result.returncode == 1 and "stopped" in result.stderr


def test_commands_needing_kafka_explain_how_to_get_one(tmp_path) -> None:  # noqa: ANN001
    env = {"WIREFEED_BROKER_PORT": str(free_port()), "WIREFEED_DATA_DIR": str(tmp_path)}
    result = cli("tail", "--max", "1", env={**env, "WIREFEED_KAFKA_BOOTSTRAP": ""})
    message = " ".join(result.stderr.split())
    assert result.returncode == 2
    assert "wirefeed broker start" in message and "WIREFEED_KAFKA_BOOTSTRAP" in message


def test_with_a_bootstrap_set_nothing_is_started(tmp_path, kafka_bootstrap: str) -> None:  # noqa: ANN001
    env = {"WIREFEED_KAFKA_BOOTSTRAP": kafka_bootstrap, "WIREFEED_DATA_DIR": str(tmp_path)}
    result = cli("tail", "--max", "1", "--timeout", "1", "--topic", "wire.nothing-here", env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "broker").exists()


# -- replication settings and the check of existing topics (issue 15) --------------------------------
def test_topics_get_the_replication_and_min_insync_settings(isolated_env: dict[str, str],
                                                            kafka_bootstrap: str) -> None:
    settings = settings_from(isolated_env)
    ensure_topics(settings, kafka_bootstrap)
    names = [spec.name for spec in topic_specs(settings)]
    assert changelog_topic(settings) in names  # Faust's dedupe changelog is created (and checked) by us too
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    try:  # described once the new topics' metadata settled
        described = describe_topics(admin, names)
    finally:
        admin.close()
    assert {described[name][2]["min.insync.replicas"] for name in names} == {"1"}
    assert {described[name][1] for name in names} == {1}  # replicas
    assert described[changelog_topic(settings)][2]["cleanup.policy"] == "compact"


def test_more_replicas_than_brokers_is_an_error_not_a_silent_success(isolated_env: dict[str, str],
                                                                     kafka_bootstrap: str) -> None:
    settings = settings_from({**isolated_env, "WIREFEED_REPLICATION_FACTOR": "3",
                              "WIREFEED_MIN_INSYNC_REPLICAS": "2"})
    with pytest.raises(TopicMismatchError, match="fewer brokers"):
        ensure_topics(settings, kafka_bootstrap)
    assert settings.topic_raw not in KafkaAdminClient(bootstrap_servers=[kafka_bootstrap]).list_topics()


def test_an_existing_topic_with_other_partitions_stops_the_start_or_warns(
    isolated_env: dict[str, str], kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_from(isolated_env)
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    try:  # made by hand before wirefeed ran: 3 partitions where dedupe needs 1
        admin.create_topics([NewTopic(settings.topic_extracted, 3, 1)])
    finally:
        admin.close()
    with pytest.raises(TopicMismatchError, match=rf"{settings.topic_extracted}: 3 partitions, settings say 1"):
        ensure_topics(settings, kafka_bootstrap)
    warn = settings.model_copy(update={"topic_check": "warn"})
    ensure_topics(warn, kafka_bootstrap)
    assert "3 partitions, settings say 1" in caplog.text


def test_the_cli_says_which_topic_is_wrong_and_exits_2(isolated_env: dict[str, str], kafka_bootstrap: str) -> None:
    settings = settings_from(isolated_env)
    ensure_topics(settings, kafka_bootstrap)
    env = {**isolated_env, "WIREFEED_PARTITIONS": "2"}  # the topics have 4
    result = cli("replay", str(REPO_ROOT / "sample" / "pages"), env=env)
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert f"{settings.topic_raw}: 4 partitions, settings say 2" in message
    assert "Traceback" not in result.stderr


def test_processes_starting_together_do_not_take_each_others_new_topics_for_wrong_ones(
    isolated_env: dict[str, str], kafka_bootstrap: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = settings_from(isolated_env)
    with ThreadPoolExecutor(4) as pool:  # a worker, a reader, a replay... all creating the same topics
        results = list(pool.map(lambda _: ensure_topics(settings, kafka_bootstrap), range(4)))
    assert sorted(name for created in results for name in created) == sorted(s.name for s in topic_specs(settings))


# -- replay checks every delivery (issue 15: "1 records sent", exit 0, and nothing on the topic) ------
def topic_values(bootstrap: str, topic: str) -> list[bytes]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=[bootstrap], auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, group_id=None)
    try:
        return [message.value for message in consumer]
    finally:
        consumer.close()


def test_replay_reports_a_record_it_could_not_send_and_exits_non_zero(isolated_env: dict[str, str],
                                                                       kafka_bootstrap: str, tmp_path) -> None:  # noqa: ANN001
    import json

    from agents.kafka import MAX_MESSAGE_BYTES

    good = json.dumps({"url": "https://wire.example.org/good", "content": "fine"})
    huge = json.dumps({"url": "https://wire.example.org/huge", "content": "x" * (MAX_MESSAGE_BYTES + 10)})
    lines = tmp_path / "pages.jsonl"
    lines.write_text(f"{good}\n{huge}\n{good.replace('good', 'also-good')}\n")
    result = cli("replay", str(lines), env=isolated_env)
    message = " ".join(result.stderr.split())
    assert result.returncode == 1, result.stderr
    assert "2 records sent" in message and "1 not sent" in message
    assert "record 2 (https://wire.example.org/huge" in message and "MessageSizeTooLarge" in message
    settings = settings_from(isolated_env)
    assert [json.loads(v)["url"] for v in topic_values(kafka_bootstrap, settings.topic_raw)] == [
        "https://wire.example.org/good", "https://wire.example.org/also-good"]


def test_replay_of_good_records_exits_zero_and_counts_acknowledged_records(isolated_env: dict[str, str]) -> None:
    result = cli("replay", str(REPO_ROOT / "sample" / "pages"), env=isolated_env)
    assert result.returncode == 0, result.stderr
    assert "5 records sent" in " ".join(result.stderr.split()) and "0 not sent" in result.stderr


# -- `wirefeed run`: a dead child fails the run; a broker it did not start is left alone ---------------
def wait_for(predicate, timeout_s: float, what: str) -> None:  # noqa: ANN001
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(") ")[-1][0] != "Z"


def test_run_fails_when_a_child_dies_and_never_stops_a_broker_it_did_not_start(tmp_path) -> None:  # noqa: ANN001
    import re
    import signal

    env = {**{k: v for k, v in os.environ.items() if k != "WIREFEED_KAFKA_BOOTSTRAP"},
           "WIREFEED_BROKER_PORT": str(free_port_pair()), "WIREFEED_DATA_DIR": str(tmp_path),
           "WIREFEED_METRICS_PORT": str(free_port()), "WIREFEED_READER_METRICS_PORT": str(free_port()),
           "WIREFEED_LOG_LEVEL": "WARNING"}
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: http://127.0.0.1:{free_port()}/feed.xml\n")
    started = subprocess.run([sys.executable, "-m", "agents.cli", "broker", "start"], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    out = tmp_path / "run.out"
    try:
        def run() -> subprocess.Popen:
            handle = open(out, "w")  # noqa: SIM115 - handed to the child
            return subprocess.Popen([sys.executable, "-m", "agents.cli", "run", "--feeds", str(feeds)], env=env,
                                    cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT)

        def pids() -> dict[str, int]:
            found = re.search(r"worker pid (\d+), reader pid (\d+)", " ".join(out.read_text().split()))
            return {"worker": int(found.group(1)), "reader": int(found.group(2))} if found else {}

        # 1. SIGKILL the worker: run notices, stops the reader and exits non-zero
        proc = run()
        wait_for(lambda: pids(), 120, "run to start its children")
        children = pids()
        os.kill(children["worker"], signal.SIGKILL)
        assert proc.wait(120) == 1, out.read_text()
        assert "worker" in out.read_text() and "exited" in out.read_text()
        wait_for(lambda: not pid_alive(children["reader"]), 60, "the reader to be stopped")
        assert cli("broker", "status", env=env).returncode == 0, "run stopped a broker it did not start"
        # 2. a requested stop: exit 0, children stopped, the broker still left running
        proc = run()
        wait_for(lambda: pids() and pids() != children, 120, "run to start its children again")
        children = pids()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(120) == 0, out.read_text()
        assert not any(pid_alive(pid) for pid in children.values())
        assert cli("broker", "status", env=env).returncode == 0, "run stopped a broker it did not start"
    finally:
        cli("broker", "stop", env=env)
