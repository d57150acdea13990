"""A single-node OpenSearch 2.19 for dev machines and CI, started with ``java``.

The distribution (the integ-test zip: core only, no security plugin) and the
``analysis-common`` module (language analyzers) come from Maven Central through Maven
(``deploy/opensearch/pom.xml``) into the cache, once, and are unpacked into a directory every
user can read. OpenSearch refuses to run as root, so as root it runs as ``nobody`` with its
own data, logs and config in a state directory owned by that user. It binds 127.0.0.1 only.
Whoever starts a node stops it (``LocalOpenSearch.stop``). Nothing here is used when
``WIREFEED_OPENSEARCH_URL`` is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from agents.broker import REPO_ROOT, LocalServer, cache_root, free_port, maven_fetch, port_open

OPENSEARCH_VERSION = "2.19.3"
POM = REPO_ROOT / "deploy" / "opensearch" / "pom.xml"
RUN_AS = "nobody"
_MODULE_DESCRIPTOR = f"""description=Adds "built in" analyzers to OpenSearch.
version={OPENSEARCH_VERSION}
name=analysis-common
classname=org.opensearch.analysis.common.CommonAnalysisPlugin
java.version=11
opensearch.version={OPENSEARCH_VERSION}
custom.foldername=
extended.plugins=
has.native.controller=false
"""


class OpenSearchError(RuntimeError):
    """The local OpenSearch could not be set up, started or reached."""


def cache_dir() -> Path:
    return cache_root() / f"opensearch-{OPENSEARCH_VERSION}"


def ensure_distribution(quiet: bool = True) -> Path:
    """Fetch the zip and the analysis module into the cache with Maven (no-op when there)."""
    return maven_fetch(
        POM, cache_dir() / "dist", OPENSEARCH_VERSION, what="OpenSearch",
        expect=(f"opensearch-{OPENSEARCH_VERSION}.zip", "no opensearch zip"), error=OpenSearchError, quiet=quiet,
    )


def opensearch_home() -> Path:
    """Where the distribution is unpacked: WIREFEED_OPENSEARCH_HOME, else one folder per version in the temp dir."""
    from pipeline.config import load_settings

    return load_settings().opensearch_home or Path(tempfile.gettempdir()) / f"wirefeed-opensearch-{OPENSEARCH_VERSION}"


def install_home() -> Path:
    """The unpacked distribution plus analysis-common, readable by every user (the node runs as nobody)."""
    home = opensearch_home()
    if (home / ".complete").exists():
        return home
    dist = ensure_distribution()
    staging = Path(tempfile.mkdtemp(prefix=home.name + ".", dir=home.parent))
    with zipfile.ZipFile(dist / f"opensearch-{OPENSEARCH_VERSION}.zip") as archive:
        for info in archive.infolist():
            target = archive.extract(info, staging)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    unpacked = staging / f"opensearch-{OPENSEARCH_VERSION}"
    module = unpacked / "modules" / "analysis-common"
    module.mkdir(parents=True, exist_ok=True)
    shutil.copy(dist / f"analysis-common-{OPENSEARCH_VERSION}.jar", module)
    (module / "plugin-descriptor.properties").write_text(_MODULE_DESCRIPTOR)
    for root, dirs, files in os.walk(staging):
        for name in dirs + files:
            path = os.path.join(root, name)
            os.chmod(path, os.stat(path).st_mode | 0o444 | (0o111 if os.path.isdir(path) else 0))
    os.chmod(staging, 0o755)
    (unpacked / ".complete").write_text(OPENSEARCH_VERSION)
    try:
        os.rename(unpacked, home)
    except OSError:  # another process installed it meanwhile
        if not (home / ".complete").exists():
            raise
    shutil.rmtree(staging, ignore_errors=True)
    return home


def _jvm_options(state: Path, heap: str) -> str:
    # our own file: the distribution's writes gc logs relative to the working directory
    return "\n".join([
        f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.io.tmpdir=${OPENSEARCH_TMPDIR}",
        f"-XX:ErrorFile={state}/logs/hs_err_pid%p.log", "-Xlog:disable", "18-:-Djava.security.manager=allow",
        "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
        "org.opensearch.secure_sm.SecuredForkJoinWorkerThreadFactory", "",
    ])


@dataclass
class LocalOpenSearch(LocalServer):
    """One node whose data, logs and config live in ``state_dir`` (every parent traversable by nobody)."""

    NAME: ClassVar[str] = "OpenSearch"
    SCHEME: ClassVar[str] = "http://"
    PID_NAME: ClassVar[str] = "node.json"  # {"pid", "port"}: the port is kept after a stop
    LOG_NAME: ClassVar[str] = "opensearch.out"
    ERROR: ClassVar[type[RuntimeError]] = OpenSearchError
    STOP_TIMEOUT_S: ClassVar[float] = 60.0

    port: int = 0  # 0: a free port, chosen at start and remembered in the state dir
    heap: str = "512m"

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        if not self.port:
            with contextlib.suppress(OSError, ValueError, KeyError):
                self.port = int(json.loads(self.pid_file.read_text())["port"])

    url = LocalServer.address

    def _recorded_pid(self) -> int:
        return int(json.loads(self.pid_file.read_text())["pid"])

    def running(self) -> bool:
        return self.pid() is not None and bool(self.port) and self._healthy()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=2) as resp:
                return json.loads(resp.read())["status"] in ("green", "yellow")
        except Exception:
            return False

    def start(self, timeout_s: float = 180.0) -> str:
        """Start the node (installing it on first use); return its URL once the cluster answers."""
        if self.pid() is not None and self._healthy():
            return self.url
        home = install_home()
        if not self.port:
            self.port = free_port()
        if port_open(self.port):
            raise OpenSearchError(f"port {self.port} is taken by another process; choose another port")
        user = pwd.getpwnam(RUN_AS) if os.geteuid() == 0 else None
        state = self.state_dir
        for sub in ("data", "logs", "tmp", "config"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        for name in ("log4j2.properties",):
            shutil.copy(home / "config" / name, state / "config" / name)
        (state / "config" / "jvm.options").write_text(_jvm_options(state, self.heap))
        (state / "config" / "opensearch.yml").write_text("\n".join([
            f"cluster.name: wirefeed-{hashlib.sha1(str(state).encode()).hexdigest()[:8]}",
            "node.name: wirefeed-dev",
            "network.host: 127.0.0.1",
            f"http.port: {self.port}",
            f"transport.port: {free_port()}",
            "discovery.type: single-node",
            f"path.data: {state / 'data'}",
            f"path.logs: {state / 'logs'}",
            # a dev box's disk is often fuller than OpenSearch's defaults allow; never go read-only
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.auto_create_index: false",
            "",
        ]))
        if user is not None:
            for root, dirs, files in os.walk(state):
                for name in [*dirs, *files, "."]:
                    os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OPENSEARCH_", "JAVA_TOOL"))},
            "OPENSEARCH_PATH_CONF": str(state / "config"),
            "OPENSEARCH_TMPDIR": str(state / "tmp"),
            "JAVA_HOME": _java_home(),
        }
        proc = self._launch(
            [str(home / "bin" / "opensearch")], cwd=str(state), env=env,
            **({"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}),
        )
        self.pid_file.write_text(json.dumps({"pid": proc.pid, "port": self.port}))
        self._wait_up(proc, self._healthy, timeout_s, poll_s=0.5)
        return self.url


def _java_home() -> str:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        raise OpenSearchError("Java 17+ is needed to run OpenSearch (apt-get install openjdk-17-jre-headless)")
    return str(Path(os.path.realpath(java)).parent.parent)


def default_node() -> LocalOpenSearch:
    """The dev node of this checkout (state in the temp dir, keyed by the checkout; port remembered there)."""
    key = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:10]
    state = Path(tempfile.gettempdir()) / f"wirefeed-opensearch-node-{key}"
    from pipeline.config import load_settings

    return LocalOpenSearch(state, port=load_settings().opensearch_port)
