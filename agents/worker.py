"""``wirefeed worker``: topics, metrics/health endpoints, then the Faust worker until SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import defaultdict
from typing import Any

import faust

from agents.app import WorkerHealth, create_app
from agents.kafka import ensure_topics
from agents.processes import claim_worker_dir
from pipeline.config import Settings
from pipeline.health import BrokerProbe
from pipeline.logs import logging_config
from pipeline.metrics import WORKER_REGISTRY, serve_http

log = logging.getLogger("wirefeed.worker")
# How long a failed worker may take to stop gracefully before it exits hard.
FAILED_STOP_S = 60.0


def run_worker(settings: Settings, bootstrap: str) -> None:
    # Faust's worker changes into its workdir; keep every path absolute so that does not matter
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    # one state dir per live worker (RocksDB locks its files): a second worker on this machine just works
    state_dir, _claim = claim_worker_dir(settings.data_dir)
    settings = settings.model_copy(update={"data_dir": state_dir})
    ensure_topics(settings, bootstrap)
    health = WorkerHealth()
    app = create_app(settings, bootstrap, health)
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
