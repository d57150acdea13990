"""A single-node Apache Kafka (KRaft) for dev machines and CI, started with ``java``.

The broker's jars come from Maven Central through Maven (``deploy/kafka/pom.xml``)
into a cache directory, once. Storage is formatted on first start. Everything
binds to 127.0.0.1. Whoever starts a broker stops it (``LocalBroker.stop``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

REPO_ROOT = Path(__file__).resolve().parent.parent
POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J = REPO_ROOT / "deploy" / "kafka" / "log4j.properties"
KAFKA_VERSION = "3.9.1"


class BrokerError(RuntimeError):
    """The local broker could not be set up, started or reached."""


def cache_root() -> Path:
    """Where fetched servers live: WIREFEED_CACHE_DIR, else ``$XDG_CACHE_HOME/wirefeed``."""
    from pipeline.config import load_settings  # WIREFEED_CACHE_DIR, documented with every other setting

    return load_settings().cache_root


def cache_dir() -> Path:
    return cache_root() / f"kafka-{KAFKA_VERSION}"


def maven_fetch(
    pom: Path, dest: Path, version: str, *, what: str, expect: tuple[str, str], error: type[RuntimeError],
    quiet: bool = True, extra: tuple[str, ...] = (), tools: dict[str, str] | None = None,
) -> Path:
    """Copy ``pom``'s dependencies (``what``, in messages) from Maven Central into ``dest``, once.

    A marker file in ``dest`` says they are all there (a no-op then). ``expect``: a glob that must
    match in ``dest`` afterwards, and what to call it when it does not; ``tools``: commands needed
    besides ``mvn``, each with what to say when it is missing; ``error``: what is raised.
    """
    marker = dest / ".complete"
    if marker.exists():
        return dest
    needed = {"mvn": f"Maven (mvn) is needed to fetch {what}; install it (apt-get install maven)", **(tools or {})}
    for tool, missing in needed.items():
        if shutil.which(tool) is None:
            raise error(missing)
    dest.mkdir(parents=True, exist_ok=True)
    cmd = ["mvn", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={dest}", *extra]
    if quiet:
        cmd.insert(1, "-q")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise error(f"mvn could not fetch {what}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    pattern, expected = expect
    if not any(dest.glob(pattern)):
        raise error(f"mvn ran but {expected} is in {dest}")
    marker.write_text(version)
    return dest


def ensure_jars(quiet: bool = True) -> Path:
    """Fetch the broker's jars into the cache with Maven (no-op when already there)."""
    return maven_fetch(
        POM, cache_dir() / "libs", KAFKA_VERSION, what="the Kafka jars", expect=("kafka_2.13-*.jar", "no kafka jar"),
        error=BrokerError, quiet=quiet, extra=("-DincludeScope=runtime",),
        tools={"java": "Java 17+ is needed to run Kafka; install it (apt-get install openjdk-17-jre-headless)"},
    )


def terminate_pid(pid: int, timeout_s: float) -> None:
    """SIGTERM a server we started, SIGKILL it if it is still there after ``timeout_s``."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(pid)
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair(attempts: int = 50) -> int:
    """A free port whose successor is free too: the dev broker's controller listens on port + 1.

    A random free port's neighbour is often an ephemeral port in use by some connection on a
    busy machine, so ``free_port()`` alone made ``broker start`` fail to bind now and then.
    """
    for _ in range(attempts):
        port = free_port()
        if port >= 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise BrokerError(f"no free pair of adjacent ports on 127.0.0.1 after {attempts} tries")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class LocalServer:
    """A server of our own (the dev broker, the dev OpenSearch), a java process on 127.0.0.1.

    Its files live in ``state_dir``: the pid recorded at start, and its output (``log_file``).
    Subclasses say how to launch it and how to tell that it is up; starting it, waiting for it,
    reporting why it did not come up and stopping it are the same for every server.
    """

    state_dir: Path
    port: int = 0

    NAME: ClassVar[str]  # the server, in messages
    SCHEME: ClassVar[str] = ""  # of its address
    PID_NAME: ClassVar[str]  # where its pid is recorded at start, in ``state_dir``
    LOG_NAME: ClassVar[str]  # its output, in ``state_dir``
    ERROR: ClassVar[type[RuntimeError]]  # what it raises when it cannot be started
    STOP_TIMEOUT_S: ClassVar[float]  # SIGTERM, then SIGKILL after this long

    @property
    def address(self) -> str:
        """Where clients reach it (said by ``wirefeed broker|opensearch status``)."""
        return f"{self.SCHEME}127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / self.PID_NAME

    @property
    def log_file(self) -> Path:
        return self.state_dir / self.LOG_NAME

    def _recorded_pid(self) -> int:
        """The pid recorded at start; OSError, ValueError or KeyError when there is none."""
        return int(self.pid_file.read_text())

    def _forget_pid(self) -> None:
        """Once stopped: drop what records the pid (nothing by default)."""

    def pid(self) -> int | None:
        """The recorded pid while that process lives, else None."""
        try:
            pid = self._recorded_pid()
            os.kill(pid, 0)
        except (OSError, ValueError, KeyError):
            return None
        return pid

    def _launch(self, cmd: list[str], **popen: Any) -> subprocess.Popen:
        """Start ``cmd`` in a session of its own (a Ctrl-C of ours is not its), output to ``log_file``."""
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, **popen,
        )
        log.close()
        return proc

    def _wait_up(self, proc: subprocess.Popen | None, up: Callable[[], bool], timeout_s: float, poll_s: float) -> None:
        """Wait until ``up()``; raise with the log's tail when ``proc`` exits first, stop it when time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise self.ERROR(f"{self.NAME} exited with {proc.returncode}; see {self.log_file}:\n{self._tail()}")
            if up():
                return
            time.sleep(poll_s)
        self.stop()
        raise self.ERROR(f"{self.NAME} did not come up within {timeout_s:.0f}s; see {self.log_file}")

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop the server (SIGTERM, then SIGKILL); return whether one was running."""
        pid = self.pid()
        if pid is None:
            return False
        terminate_pid(pid, self.STOP_TIMEOUT_S if timeout_s is None else timeout_s)
        self._forget_pid()
        return True

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class LocalBroker(LocalServer):
    """One KRaft node (broker + controller) whose files live in ``state_dir``."""

    NAME: ClassVar[str] = "Kafka"
    PID_NAME: ClassVar[str] = "broker.pid"
    LOG_NAME: ClassVar[str] = "broker.log"
    ERROR: ClassVar[type[RuntimeError]] = BrokerError
    STOP_TIMEOUT_S: ClassVar[float] = 30.0

    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    node_id: int = 1
    # KRaft voters "id@host:port,...": None = this node alone (the single-node dev broker)
    quorum: str | None = None
    # copies of Kafka's internal topics (consumer offsets, transactions) and the topic defaults
    replication: int = 1
    # True once this object launched the java process: only then may its owner stop it
    launched: bool = field(default=False, init=False, compare=False)

    bootstrap = LocalServer.address  # what Kafka clients call it

    def _forget_pid(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def _properties(self) -> str:
        data = self.state_dir / "data"
        min_isr = max(1, self.replication - 1)  # with 3 copies: 2 in sync, one node may fail
        return "\n".join([
            "process.roles=broker,controller",
            f"node.id={self.node_id}",
            f"controller.quorum.voters={self.quorum or f'{self.node_id}@127.0.0.1:{self.controller_port}'}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=1",
            f"default.replication.factor={self.replication}",
            f"min.insync.replicas={min_isr}",
            f"offsets.topic.replication.factor={self.replication}",
            "offsets.topic.num.partitions=4",
            f"transaction.state.log.replication.factor={self.replication}",
            f"transaction.state.log.min.isr={min_isr}",
            "unclean.leader.election.enable=false",
            # single node: no reason to wait for more members before the first rebalance
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "message.max.bytes=16777216",
            "replica.fetch.max.bytes=16777216",
            "log.cleaner.dedupe.buffer.size=33554432",
            # a killed node is noticed (and its partitions get new leaders) in seconds, not 18 s
            "broker.session.timeout.ms=6000",
            "broker.heartbeat.interval.ms=1000",
            "",
        ])

    def running(self) -> bool:
        return self.pid() is not None and port_open(self.port)

    def start(self, timeout_s: float = 90.0, cluster_id: str | None = None, wait: bool = True) -> str:
        """Start the broker (format storage on first start); return its bootstrap address.

        A broker already running from this state dir is used as it is, and ``launched`` stays
        False: whoever started it stops it, not us.
        """
        if self.running():
            return self.bootstrap
        if port_open(self.port):
            raise BrokerError(f"port {self.port} is taken by another process; choose another port")
        libs = ensure_jars()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        props = self.state_dir / "server.properties"
        props.write_text(self._properties())
        classpath = f"{libs}/*"
        java = shutil.which("java") or "java"
        if not (self.state_dir / "data" / "meta.properties").exists():
            cluster_id = cluster_id or _cluster_id()
            fmt = subprocess.run(
                [java, "-cp", classpath, f"-Dlog4j.configuration=file:{LOG4J}",
                 "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
                capture_output=True, text=True,
            )
            if fmt.returncode != 0:
                raise BrokerError(f"formatting Kafka storage failed: {fmt.stderr[-2000:] or fmt.stdout[-2000:]}")
        proc = self._launch([java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC",
                             f"-Dlog4j.configuration=file:{LOG4J}", "-cp", classpath, "kafka.Kafka", str(props)])
        self.pid_file.write_text(str(proc.pid))
        self.launched = True
        self._proc = proc
        if wait:
            self.wait_ready(timeout_s)
        return self.bootstrap

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Wait until the node answers metadata requests (stop it and raise when it does not)."""
        self._wait_up(getattr(self, "_proc", None), lambda: port_open(self.port) and _metadata_ok(self.bootstrap),
                      timeout_s, poll_s=0.3)

    def kill(self) -> None:
        """SIGKILL the broker (fault tests)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
            time.sleep(0.2)


class LocalCluster:
    """Three (or ``size``) KRaft nodes on 127.0.0.1, each broker and controller, from the same jars.

    For fault tests of a replicated deployment: every node can be SIGKILLed and restarted on
    its own, the partition leaders and the active controller can be looked up.
    """

    def __init__(self, state_dir: Path, size: int = 3, heap: str = "384m") -> None:
        ports = [(free_port(), free_port()) for _ in range(size)]
        quorum = ",".join(f"{i + 1}@127.0.0.1:{cport}" for i, (_, cport) in enumerate(ports))
        self.cluster_id = _cluster_id()
        self.nodes = {
            i + 1: LocalBroker(state_dir / f"node-{i + 1}", port=port, controller_port=cport, heap=heap,
                               node_id=i + 1, quorum=quorum, replication=size)
            for i, (port, cport) in enumerate(ports)
        }

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes.values())

    def start(self, timeout_s: float = 180.0) -> str:
        """Start every node at once (a quorum needs a majority to elect a controller), wait for all."""
        for node in self.nodes.values():
            node.start(cluster_id=self.cluster_id, wait=False)
        for node in self.nodes.values():
            node.wait_ready(timeout_s)
        self.wait_brokers(len(self.nodes), timeout_s)
        return self.bootstrap

    def restart(self, node_id: int, timeout_s: float = 120.0) -> None:
        self.nodes[node_id].start(timeout_s, cluster_id=self.cluster_id)

    def kill(self, node_id: int) -> None:
        self.nodes[node_id].kill()

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def alive(self) -> list[int]:
        return [i for i, node in self.nodes.items() if node.pid() is not None]

    def _admin(self):  # noqa: ANN202
        from kafka import KafkaAdminClient

        live = ",".join(self.nodes[i].bootstrap for i in self.alive())
        return KafkaAdminClient(bootstrap_servers=live.split(","), request_timeout_ms=10000)

    def wait_brokers(self, count: int, timeout_s: float = 120.0) -> None:
        """Wait until ``count`` brokers are registered (a restarted node rejoined)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                admin = self._admin()
                try:
                    if len(admin.describe_cluster()["brokers"]) >= count:
                        return
                finally:
                    admin.close()
            time.sleep(0.5)
        raise BrokerError(f"fewer than {count} brokers registered within {timeout_s:.0f}s")

    def leaders(self, topic: str) -> dict[int, int]:
        """partition -> node id of its leader."""
        admin = self._admin()
        try:
            [described] = admin.describe_topics([topic])
            return {p["partition"]: p["leader"] for p in described["partitions"]}
        finally:
            admin.close()

    def fully_replicated(self, topics: list[str]) -> bool:
        """Every partition of ``topics`` has all its replicas in sync (a restarted node caught up)."""
        admin = self._admin()
        try:
            return all(set(p["isr"]) == set(p["replicas"])
                       for t in admin.describe_topics(topics) for p in t["partitions"])
        finally:
            admin.close()

    def controller(self) -> int:
        """The active controller: the Raft leader of the metadata quorum, as the live voters record it
        (``quorum-state``; in KRaft, clients' metadata names a random broker as "controller")."""
        import json
        from collections import Counter

        votes: Counter = Counter()
        for i in self.alive():
            with contextlib.suppress(OSError, ValueError):
                state = json.loads((self.nodes[i].state_dir / "data" / "__cluster_metadata-0" / "quorum-state")
                                   .read_text())
                if state.get("leaderId", -1) in self.nodes:
                    votes[(state.get("leaderEpoch", 0), state["leaderId"])] += 1
        if not votes:
            raise BrokerError("no live node knows a controller")
        return max(votes)[1]  # the newest epoch's leader


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child (started by another process)
        os.waitpid(pid, os.WNOHANG)


def _cluster_id() -> str:
    import base64

    while True:  # an id starting with "-" would be read as an option by the storage tool
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _metadata_ok(bootstrap: str) -> bool:
    from kafka import KafkaAdminClient

    try:
        admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=3000)
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


def default_broker() -> LocalBroker:
    """The dev broker of this checkout: state under ``.wirefeed/broker``, port 9092."""
    from pipeline.config import load_settings  # WIREFEED_BROKER_PORT and WIREFEED_DATA_DIR, validated

    settings = load_settings()
    port = settings.broker_port
    return LocalBroker(
        state_dir=settings.data_dir / "broker",
        port=port,
        controller_port=port + 1,
    )


if __name__ == "__main__":  # pragma: no cover - convenience: python -m agents.broker start|stop|status
    broker = default_broker()
    action = sys.argv[1] if len(sys.argv) > 1 else "status"
    if action == "start":
        print(broker.start())
    elif action == "stop":
        print("stopped" if broker.stop() else "not running")
    else:
        print("running" if broker.running() else "stopped")
