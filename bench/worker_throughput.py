"""One worker's throughput at this tree and, for reference, at another revision, in the same run.

    python bench/worker_throughput.py [--pages 1500] [--base main]

Starts a local broker, writes ``--pages`` generated wire pages (``tests/integration/faultkit.py``)
to fresh topics, starts one ``wirefeed worker`` and times it until every page is on
``wire.articles``; then the same with ``--base`` checked out in a temporary git worktree.
Prints pages/s after the first article (start-up excluded) for both, their ratio, and the
load average (the machine is shared: compare runs made back to back, not across days).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from agents.broker import LocalBroker, free_port  # noqa: E402
from agents.kafka import ensure_topics, make_consumer, make_producer  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from tests.integration.faultkit import page  # noqa: E402


def measure(tree: Path, bootstrap: str, pages: int, work: Path) -> float:
    """Pages/s of one worker from ``tree`` after its first article."""
    run = uuid.uuid4().hex[:8]
    env = {"WIREFEED_KAFKA_BOOTSTRAP": bootstrap, "WIREFEED_APP_ID": f"bench-{run}",
           "WIREFEED_DATA_DIR": str(work / run), "WIREFEED_METRICS_PORT": "0", "WIREFEED_LOG_LEVEL": "WARNING"}
    for topic in ("raw", "extracted", "deduped", "articles", "dlq"):
        env[f"WIREFEED_TOPIC_{topic.upper()}"] = f"bench-{run}.{topic}"
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    ensure_topics(settings, bootstrap)
    producer = make_producer(settings, bootstrap)
    for i in range(pages):
        record = page(i, run)
        producer.send(settings.topic_raw, key=record["url"].encode(), value=json.dumps(record).encode())
    producer.flush(120)
    producer.close()
    consumer = make_consumer(settings, bootstrap, settings.topic_articles, auto_offset_reset="earliest",
                             group_id=None)
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())", "worker"],
        cwd=tree, env={**os.environ, **env, "PYTHONPATH": str(tree)},
        stdout=open(work / f"{run}.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )
    got, first, start = 0, None, time.monotonic()
    try:
        while got < pages and time.monotonic() - start < 900:
            for messages in consumer.poll(timeout_ms=500).values():
                got += len(messages)
                first = first or time.monotonic()
    finally:
        worker.terminate()
        worker.wait(60)
        consumer.close()
    if got < pages or first is None:
        raise SystemExit(f"{tree}: only {got} of {pages} articles in 900 s (log: {work / f'{run}.log'})")
    return got / (time.monotonic() - first)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--base", default="main", help="git revision to measure for reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wirefeed-tput-") as tmp:
        work = Path(tmp)
        base = work / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base],
                       check=True)
        broker = LocalBroker(work / "kafka", port=free_port(), controller_port=free_port())
        broker.start()
        try:
            here = measure(ROOT, broker.bootstrap, args.pages, work)
            load_here = os.getloadavg()[0]
            there = measure(base, broker.bootstrap, args.pages, work)
            load_there = os.getloadavg()[0]
        finally:
            broker.stop()
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"this tree: {here:.1f} pages/s (load {load_here:.1f})")
    print(f"{args.base}: {there:.1f} pages/s (load {load_there:.1f})")
    print(f"ratio: {here / there:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
