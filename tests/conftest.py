"""Shared fixtures. The Kafka broker is real and started once per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
# The five seed dumps, copied from ../shared/seeds so that the tests need nothing beside the repo.
SEEDS = REPO_ROOT / "tests" / "fixtures" / "dedupe" / "seeds"
# Data sets beside the repo (../shared): only tests marked ``needs_shared_data`` may read them.
SHARED = REPO_ROOT.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``needs_shared_data`` skips, saying so, where ../shared is not beside the repo."""
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs the shared data sets at {SHARED} (not beside this checkout)")
    for item in items:
        if item.get_closest_marker("needs_shared_data"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Apache Kafka (KRaft) on 127.0.0.1, or WIREFEED_KAFKA_BOOTSTRAP when set."""
    external = os.environ.get("WIREFEED_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    from agents.broker import LocalBroker, free_port

    broker = LocalBroker(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def run_env(bootstrap: str, data_dir: Path, kind: str = "test") -> dict[str, str]:
    """WIREFEED_* variables giving one run on ``bootstrap`` its own topics, consumer group and state."""
    run = uuid.uuid4().hex[:8]
    env = {
        "WIREFEED_KAFKA_BOOTSTRAP": bootstrap,
        "WIREFEED_APP_ID": f"wirefeed-{kind}-{run}",
        "WIREFEED_DATA_DIR": str(data_dir),
        "WIREFEED_READER_STATE": str(data_dir / "reader-state.json"),
        "WIREFEED_LOG_LEVEL": "WARNING",
    }
    for name in ("raw", "extracted", "deduped", "articles", "dlq"):
        env[f"WIREFEED_TOPIC_{name.upper()}"] = f"{kind[0]}{run}.wire.{name}"
    return env


@pytest.fixture
def isolated_env(tmp_path: Path, kafka_bootstrap: str) -> dict[str, str]:
    """WIREFEED_* variables giving one test its own topics, consumer group and state."""
    return run_env(kafka_bootstrap, tmp_path / "data")


def settings_from(env: dict[str, str]) -> Settings:
    """Settings as a process started with ``env`` would read them."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def opensearch_node() -> Iterator[object]:
    """The session's local OpenSearch 2.19 node (``agents.opensearch.LocalOpenSearch``), None when external."""
    if os.environ.get("WIREFEED_OPENSEARCH_URL"):
        yield None
        return
    import shutil
    import tempfile

    from agents.opensearch import LocalOpenSearch

    # not under pytest's tmp dir: the node runs as nobody, who cannot enter root's 0700 directories
    state = Path(tempfile.mkdtemp(prefix="wirefeed-test-opensearch-"))
    node = LocalOpenSearch(state)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def opensearch_url(opensearch_node: object) -> str:
    """A real OpenSearch on 127.0.0.1 (started once per session), or WIREFEED_OPENSEARCH_URL when set."""
    return os.environ.get("WIREFEED_OPENSEARCH_URL") or opensearch_node.url


@pytest.fixture
def opensearch_alias(opensearch_url: str) -> str:
    """A fresh alias (and index pattern) for one test on the shared node."""
    return f"t{uuid.uuid4().hex[:8]}-articles"
