"""Stream vs offline twin on the same pages, same run.

    python bench/pipeline.py [--pages 2000] [--workers 1] [--data ../shared/data]

Builds N RawPages from <data>/aeb-dev (HTML) and the seeds (text, tests/fixtures),
each with its own URL, then:
  1. offline: ``wirefeed process`` over them (in-process loop, and the whole CLI run);
  2. stream: a real local Kafka broker and worker process(es); all pages produced at
     once, throughput = pages / (last record out - first record in);
  3. latency: a paced phase at ~half the stream's throughput; end-to-end latency =
     record timestamp on wire.articles - fetched_at, p50/p99.
Prints the figures side by side and the stream/offline ratio (target >= 0.8).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this folder is sys.path[0] and bench/pipeline.py would shadow the
# `pipeline` package: put the repository root first instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kafka import KafkaConsumer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from agents.broker import LocalBroker, free_port  # noqa: E402
from agents.kafka import ensure_topics, make_producer  # noqa: E402
from bench.data import SEEDS, add_data_argument  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.process import process_lines  # noqa: E402
from pipeline.stages import Pipeline  # noqa: E402
from schemas import RawPage  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True)


def base_pages(data: Path) -> list[tuple[str, str, str]]:
    """(name, content, content_type) of every page at hand: aeb-dev's HTML under ``data``, the seeds."""
    pages = []
    for path in sorted((data / "aeb-dev" / "html").glob("*.html.gz")):
        pages.append((path.name[:16], gzip.decompress(path.read_bytes()).decode("utf-8", "replace"), "text/html"))
    for path in sorted(SEEDS.glob("*.txt")):
        pages.append((path.stem, path.read_text(encoding="utf-8"), "text/plain"))
    return pages


def build_lines(n: int, run: str, data: Path) -> list[str]:
    pages = base_pages(data)
    lines = []
    for i in range(n):
        name, content, ctype = pages[i % len(pages)]
        page = RawPage(
            url=f"https://bench-{run}.example/{i}/{name}", content=content, content_type=ctype,
            fetched_at=datetime.now(UTC), source=f"bench-{i % 7}",
        )
        lines.append(page.model_dump_json())
    return lines


def offline(lines: list[str], workdir: Path) -> dict[str, float]:
    settings = Settings()
    start = time.perf_counter()
    process_lines(lines, Pipeline(settings), io.StringIO(), io.StringIO())
    in_process = time.perf_counter() - start
    src = workdir / "pages.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "agents.cli", "process", "--input", str(src), "--output", os.devnull,
         "--dlq", os.devnull, "--quiet"], check=True, cwd=ROOT,
    )
    whole = time.perf_counter() - start
    return {"in_process_pps": len(lines) / in_process, "cli_pps": len(lines) / whole}


def wait_ready(port: int, timeout_s: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise RuntimeError("worker did not become ready")


def consume(settings: Settings, bootstrap: str, expected: int, timeout_s: float) -> list[tuple[float, dict]]:
    """(record timestamp s, article) for everything on wire.articles plus a count of wire.dlq."""
    consumer = KafkaConsumer(
        settings.topic_articles, settings.topic_dlq, bootstrap_servers=[bootstrap],
        auto_offset_reset="earliest", enable_auto_commit=False, group_id=None, consumer_timeout_ms=1000,
        max_partition_fetch_bytes=16 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )
    out: list[tuple[float, dict]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < expected and time.monotonic() < deadline:
            for msg in consumer:
                out.append((msg.timestamp / 1000.0, {"topic": msg.topic, **json.loads(msg.value)}))
                if len(out) >= expected:
                    break
    finally:
        consumer.close()
    return out


def produce(settings: Settings, bootstrap: str, lines: list[str], rate: float | None) -> float:
    producer = make_producer(settings, bootstrap)
    start = time.time()
    for i, line in enumerate(lines):
        if rate:
            delay = start + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        page = json.loads(line)
        page["fetched_at"] = datetime.now(UTC).isoformat()  # latency is measured from here
        producer.send(settings.topic_raw, key=page["url"].encode(), value=json.dumps(page).encode())
    producer.flush(120)
    producer.close(30)
    return start


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def stream(lines: list[str], paced: list[str], workers: int, workdir: Path, rate_hint: float) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]
    broker = LocalBroker(workdir / "kafka", port=free_port(), controller_port=free_port(), heap="1g")
    bootstrap = broker.start()
    procs = []
    try:
        env = {
            "WIREFEED_KAFKA_BOOTSTRAP": bootstrap, "WIREFEED_APP_ID": f"bench-{run}",
            "WIREFEED_LOG_LEVEL": "WARNING", "WIREFEED_PARTITIONS": str(max(4, workers)),
        }
        os.environ.update(env)
        settings = Settings()
        ensure_topics(settings, bootstrap)
        ports = []
        for w in range(workers):
            port = free_port()
            ports.append(port)
            wenv = {**os.environ, **env, "WIREFEED_METRICS_PORT": str(port),
                    "WIREFEED_DATA_DIR": str(workdir / f"worker{w}")}
            log = open(workdir / f"worker{w}.log", "wb")  # noqa: SIM115
            procs.append(subprocess.Popen([sys.executable, "-m", "agents.cli", "worker"], env=wenv,
                                          stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        for port in ports:
            wait_ready(port)
        time.sleep(2.0)  # let the group settle after the last member joined
        console.print(f"stream: producing {len(lines)} pages to {workers} worker(s) …")
        start = produce(settings, bootstrap, lines, rate=None)
        records = consume(settings, bootstrap, len(lines), timeout_s=1800)
        last = max(ts for ts, _ in records)
        throughput = len(records) / (last - start)
        console.print(f"stream: latency phase, {len(paced)} pages at {rate_hint:.0f} pages/s …")
        produce(settings, bootstrap, paced, rate=rate_hint)
        paced_urls = {json.loads(line)["url"] for line in paced}
        # the consumer interleaves partitions differently each time: pick the paced pages by URL
        records2 = [(ts, a) for ts, a in consume(settings, bootstrap, len(lines) + len(paced), timeout_s=600)
                    if a.get("url") in paced_urls]
        lat = [ts - datetime.fromisoformat(a["fetched_at"]).timestamp()
               for ts, a in records2 if a["topic"] == settings.topic_articles and a.get("fetched_at")]
        return {"pps": throughput, "count": len(records), "p50": percentile(lat, 0.5),
                "p99": percentile(lat, 0.99), "lat_n": len(lat)}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--paced", type=int, default=300, help="pages in the latency phase")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (scale-out is the design)")
    add_data_argument(parser, "aeb-dev/html/")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    lines = build_lines(args.pages, run, args.data)
    paced = build_lines(args.paced, run + "p", args.data)
    with tempfile.TemporaryDirectory(prefix="wirefeed-bench-") as tmp:
        workdir = Path(tmp)
        console.print(f"offline: wirefeed process over {len(lines)} pages …")
        off = offline(lines, workdir)
        st = stream(lines, paced, args.workers, workdir, rate_hint=off["in_process_pps"] / 2)
    table = Table(title=f"wirefeed pipeline bench: {args.pages} pages, {args.workers} worker(s), same run")
    for col in ("path", "pages/s", "vs offline (in-process)", "e2e p50", "e2e p99"):
        table.add_column(col)
    table.add_row("offline twin, in-process loop (1 process)", f"{off['in_process_pps']:.1f}", "1.00", "-", "-")
    table.add_row("offline twin, whole CLI run (2 processes)", f"{off['cli_pps']:.1f}",
                  f"{off['cli_pps'] / off['in_process_pps']:.2f}", "-", "-")
    table.add_row(f"stream ({st['count']} records out)", f"{st['pps']:.1f}",
                  f"{st['pps'] / off['in_process_pps']:.2f}",
                  f"{st['p50'] * 1000:.0f} ms", f"{st['p99'] * 1000:.0f} ms")
    Console().print(table)
    ratio = st["pps"] / off["in_process_pps"]
    print(f"RESULT stream/offline throughput ratio = {ratio:.2f} (target >= 0.80; "
          f"{st['pps'] / off['cli_pps']:.2f} against the two-process CLI run); "
          f"e2e latency p50 {st['p50'] * 1000:.0f} ms, p99 {st['p99'] * 1000:.0f} ms over {st['lat_n']} paced pages")


if __name__ == "__main__":
    main()
