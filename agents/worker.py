"""``wirefeed worker``: topics, metrics/health endpoints, then the Faust worker until SIGTERM."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from pathlib import Path
from typing import IO

import faust

from agents.app import WorkerHealth, create_app
from agents.kafka import ensure_topics
from pipeline.config import Settings
from pipeline.logs import logging_config
from pipeline.metrics import serve_http

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

    @app.task
    async def _mark_started() -> None:  # tasks run once the app (consumer, tables) has started
        health.started = True

    if settings.metrics_port:
        serve_http(settings.metrics_host, settings.metrics_port, lambda: health.ready(app), lambda: health.alive)
    worker = faust.Worker(
        app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False, workdir=str(state_dir),
        logging_config=logging_config(settings.log_level),
    )

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
