"""``wirefeed worker``: topics, metrics/health endpoints, then the Faust worker until SIGTERM."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

import faust

from agents.app import WorkerHealth, create_app
from agents.kafka import ensure_topics
from pipeline.config import Settings
from pipeline.health import BrokerProbe
from pipeline.logs import logging_config
from pipeline.metrics import WORKER_REGISTRY, serve_http

log = logging.getLogger("wirefeed.worker")
# How long a failed worker may take to stop gracefully before it exits hard.
FAILED_STOP_S = 60.0


def claim_state_dir(data_dir: Path, slots: int = 256) -> tuple[Path, IO[bytes]]:
    """A state directory no other worker on this machine uses: ``<data_dir>/workers/<n>``, the first
    one whose lock file no running worker holds (the lock goes with the process, however it ends).

    RocksDB allows one process per database, so two workers sharing the data dir crashed; with
    slots, ``wirefeed worker`` can be started N times on one machine, and a restarted worker
    takes the lowest free slot and reuses its tables' local state.
    """
    root = data_dir / "workers"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(slots):
        slot = root / str(n)
        slot.mkdir(exist_ok=True)
        lock = open(slot / "lock", "ab")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return slot, lock
    raise RuntimeError(f"all {slots} worker state slots under {root} are in use")


def run_worker(settings: Settings, bootstrap: str) -> None:
    # Faust's worker changes into its workdir; keep every path absolute so that does not matter
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    ensure_topics(settings, bootstrap)
    state_dir, _lock = claim_state_dir(settings.data_dir)
    health = WorkerHealth()
    app = create_app(settings, bootstrap, health, state_dir=state_dir / "faust")
    ours = {settings.topic_raw, settings.topic_extracted, settings.topic_deduped}

    @app.task
    async def _mark_started() -> None:  # tasks run once the app (consumer, tables) has started
        health.started = True
        log.info("worker consuming", extra={"group": settings.app_id, "bootstrap": bootstrap})

    @app.on_partitions_assigned.connect
    async def _log_assignment(sender: Any, assigned: set, **_: Any) -> None:
        by_topic: dict[str, list[int]] = defaultdict(list)
        for tp in assigned:
            if tp.topic in ours:  # Faust's changelog and assignor topics are its own business
                by_topic[tp.topic].append(tp.partition)
        log.info("partitions assigned", extra={"partitions": {t: sorted(p) for t, p in sorted(by_topic.items())}})

    probe = BrokerProbe(bootstrap).start()

    def ready() -> bool:  # consuming: started, not rebalancing, the stage process up, and the broker answers
        return health.ready(app) and probe.reachable

    log.info("worker starting", extra={"group": settings.app_id, "bootstrap": bootstrap,
                                        "metrics_port": settings.metrics_port, "partitions": settings.partitions,
                                        "state_dir": str(state_dir)})
    if settings.metrics_port:
        serve_http(settings.metrics_host, settings.metrics_port, ready, lambda: health.alive,
                   registry=WORKER_REGISTRY)
    worker = faust.Worker(
        app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False, workdir=str(state_dir),
        logging_config=logging_config(settings.log_level, settings.log_repeat_s),
    )
    worker.spinner = None  # Faust's terminal spinner writes cursor codes into the JSON log stream

    def stop_failed(reason: str) -> None:
        # stop as on SIGTERM (acked offsets are committed, unacked input is left for the next worker),
        # and make sure the process ends even if the graceful stop hangs
        worker.loop.call_soon_threadsafe(worker._schedule_shutdown, signal.SIGTERM)  # noqa: SLF001
        threading.Timer(FAILED_STOP_S, lambda: os._exit(1)).start()

    health.on_failure = stop_failed
    try:
        worker.execute_from_commandline()
    except SystemExit:
        if health.failure is not None:
            log.critical("worker stopped after a failure", extra={"error": health.failure})
            raise SystemExit(1) from None
        raise
