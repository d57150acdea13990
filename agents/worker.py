"""``wirefeed worker``: topics, metrics/health endpoints, then the Faust worker until SIGTERM."""

from __future__ import annotations

import faust

from agents.app import create_app
from agents.kafka import ensure_topics
from agents.processes import claim_worker_dir
from pipeline.config import Settings
from pipeline.logs import logging_config
from pipeline.metrics import serve_http


def run_worker(settings: Settings, bootstrap: str) -> None:
    # Faust's worker changes into its workdir; keep every path absolute so that does not matter
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    # one state dir per live worker (RocksDB locks its files): a second worker on this machine just works
    state_dir, _claim = claim_worker_dir(settings.data_dir)
    settings = settings.model_copy(update={"data_dir": state_dir})
    ensure_topics(settings, bootstrap)
    app = create_app(settings, bootstrap)
    state = {"started": False}

    @app.task
    async def _mark_started() -> None:  # tasks run once the app (consumer, tables) has started
        state["started"] = True

    def ready() -> bool:
        return state["started"] and not app.rebalancing

    if settings.metrics_port:
        serve_http(settings.metrics_host, settings.metrics_port, ready)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    worker = faust.Worker(
        app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False, workdir=str(settings.data_dir),
        logging_config=logging_config(settings.log_level),
    )
    worker.execute_from_commandline()
