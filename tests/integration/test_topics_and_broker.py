"""Topics are created by the app with explicit partitions and configs; the dev broker's controls."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from agents.broker import free_port
from agents.kafka import ensure_topics, topic_specs
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
                          settings.topic_articles: 3, settings.topic_dlq: 1}
    assert configs[settings.topic_articles]["cleanup.policy"] == "compact"
    for name in (settings.topic_raw, settings.topic_extracted, settings.topic_deduped, settings.topic_dlq):
        assert configs[name]["cleanup.policy"] == "delete"
        assert configs[name]["retention.ms"] == str(24 * 3600 * 1000)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env={**os.environ, **env},
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
