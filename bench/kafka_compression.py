"""Which compression for wire.raw's page payloads: bytes and CPU of each Kafka codec on real pages.

The records are RawPage JSON built from the dev HTML pages (../shared/data/aeb-dev and
extract-dev, gzipped HTML), compressed the way the producer does it: one record per batch
(a reader publishes page by page and waits for the ack) and batches of 16 (a replay or
the worker's intermediate topics). Encoding and decoding use the kafka-python codec
functions, i.e. the same libraries the clients load. CPU is process time, the median of
5 passes over all records, reported next to "none" (a plain copy) in the same run.

    .venv/bin/python bench/kafka_compression.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kafka import codec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.data import ROOT, add_data_argument  # noqa: E402

CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "none": (bytes, bytes),
    "gzip": (codec.gzip_encode, codec.gzip_decode),
    "lz4": (codec.lz4_encode, codec.lz4_decode),
    "zstd": (codec.zstd_encode, codec.zstd_decode),
}


def records(data: Path) -> list[bytes]:
    pages = sorted(data.glob("*/html/*.html.gz"))
    out = []
    for path in pages:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        out.append(json.dumps({"url": f"https://example.org/{path.stem}", "content": html,
                               "content_type": "text/html", "source": "bench"}).encode())
    if not out:  # no shared data: the bundled sample pages
        for path in sorted((ROOT / "sample" / "pages").glob("*.html")):
            out.append(json.dumps({"url": path.name, "content": path.read_text()}).encode())
    return out


def measure(batches: list[bytes], encode: Callable, decode: Callable) -> tuple[int, float, float]:
    size = sum(len(encode(b)) for b in batches)
    enc, dec = [], []
    for _ in range(5):
        start = time.process_time()
        packed = [encode(b) for b in batches]
        enc.append(time.process_time() - start)
        start = time.process_time()
        for p in packed:
            decode(p)
        dec.append(time.process_time() - start)
    return size, statistics.median(enc), statistics.median(dec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(parser, "*/html/*.html.gz (aeb-dev, extract-dev); without them, the sample pages")
    recs = records(parser.parse_args().data)
    raw_bytes = sum(map(len, recs))
    print(f"{len(recs)} RawPage records, {raw_bytes / 1e6:.1f} MB of JSON")
    for per_batch in (1, 16):
        batches = [b"".join(recs[i:i + per_batch]) for i in range(0, len(recs), per_batch)]
        print(f"\n{per_batch} record(s) per batch")
        print(f"{'codec':6} {'MB':>7} {'ratio':>6} {'enc CPU s':>10} {'dec CPU s':>10} {'enc MB/s':>9}")
        for name, (encode, decode) in CODECS.items():
            size, enc, dec = measure(batches, encode, decode)
            print(f"{name:6} {size / 1e6:7.2f} {raw_bytes / size:6.2f} {enc:10.3f} {dec:10.3f} "
                  f"{raw_bytes / 1e6 / max(enc, 1e-9):9.0f}")


if __name__ == "__main__":
    main()
