"""Dedupe + story stage bench: pairwise precision/recall of duplicate groups, speed, state size.

    PYTHONPATH=$PWD python bench/dedupe.py                       # quality stream + 50k speed stream
    PYTHONPATH=$PWD python bench/dedupe.py --half b --speed 0    # quality on the other half only

Two streams from real bodies (default ../shared/data/aeb-dev ground truth, see bench/syndicate.py):
a quality stream built from the real bodies (``--half a|b`` keeps one half by id hash, so
rules tuned on one half can be checked on the other), and a speed stream of ``--speed``
articles (50,000 by default) with remixed originals. Each line prints our Deduper
beside a reference on the same stream: datasketch MinHashLSH (128 permutations,
Jaccard >= 0.5, the symmetric textbook approach).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import AEB_TRUTH, DATA  # noqa: E402
from bench.syndicate import Item, pairs, syndicate  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.dedupe import Deduper  # noqa: E402
from pipeline.text import shingle_tokens  # noqa: E402

DEFAULT_DATA = DATA / AEB_TRUTH


def load_bodies(path: Path, half: str) -> list[str]:
    truth = json.loads(path.read_text(encoding="utf-8"))
    bodies = []
    for page_id, record in sorted(truth.items()):
        bucket = "a" if hashlib.sha1(page_id.encode()).digest()[0] % 2 == 0 else "b"
        if half in ("all", bucket):
            bodies.append(record["articleBody"])
    return bodies


def score(items: list[Item], predicted: dict[str, str]) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of the predicted duplicate groups against the truth."""
    truth = set(pairs({it.article.id: it.group for it in items}))
    found = set(pairs(predicted))
    hit = len(truth & found)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall, len(truth), len(found)


def run_ours(items: list[Item]) -> tuple[dict[str, str], dict[str, str], float, Deduper]:
    deduper = Deduper({}, settings=Settings())
    start = time.process_time()
    verdicts = [deduper.check(it.article) for it in items]
    seconds = time.process_time() - start
    groups = {it.article.id: v.duplicate_of or it.article.id for it, v in zip(items, verdicts, strict=True)}
    stories = {it.article.id: v.story_id or it.article.id for it, v in zip(items, verdicts, strict=True)}
    return groups, stories, seconds, deduper


def run_reference(items: list[Item]) -> tuple[dict[str, str], float]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    groups: dict[str, str] = {}
    start = time.process_time()
    for it in items:
        words = shingle_tokens(it.article.body)
        shingles = {" ".join(words[i : i + 4]).encode() for i in range(max(len(words) - 3, 1))}
        minhash = MinHash(num_perm=128)
        minhash.update_batch(list(shingles))
        match = sorted(lsh.query(minhash))
        groups[it.article.id] = groups[match[0]] if match else it.article.id
        if not match:
            lsh.insert(it.article.id, minhash)
    return groups, time.process_time() - start


def state_bytes(deduper: Deduper) -> tuple[int, int]:
    """(JSON bytes of every key and value in the store, retained articles)."""
    total = sum(len(json.dumps(k)) + len(json.dumps(v)) for k, v in deduper.store.items())
    retained = sum(1 for k in deduper.store if k.startswith("v:"))
    return total, retained


def report(name: str, items: list[Item], reference: bool) -> None:
    groups, stories, seconds, deduper = run_ours(items)
    precision, recall, truth_pairs, found_pairs = score(items, groups)
    total, retained = state_bytes(deduper)
    copies = sum(1 for it in items if it.kind not in ("original", "decoy"))
    decoys = sum(1 for it in items if it.kind == "decoy")
    print(f"\n== {name}: {len(items)} articles ({copies} copies, {decoys} quoting decoys)")
    print(
        f"  ours      P {precision:.4f}  R {recall:.4f}  ({found_pairs} pairs found / {truth_pairs} true)"
        f"  {len(items) / seconds:8.0f} articles/s  {total / max(retained, 1):6.0f} B/retained article"
        f" ({retained} retained, {total / 1e6:.1f} MB)"
    )
    # one digest of every verdict (original or copy of, and story), to compare two revisions' runs
    digest = hashlib.sha256(json.dumps([groups, stories], sort_keys=True).encode()).hexdigest()[:16]
    print(f"  verdicts  digest {digest} (sha256 of every article's duplicate_of and story_id)")
    sizes: dict[str, int] = {}
    for story in stories.values():
        sizes[story] = sizes.get(story, 0) + 1
    spread = sorted(sizes.values(), reverse=True)
    groups_in_stories = {}
    for it in items:
        groups_in_stories.setdefault(it.group, set()).add(stories[it.article.id])
    split = sum(1 for s in groups_in_stories.values() if len(s) > 1)
    print(
        f"  stories   {len(sizes)} stories, largest {spread[:5]},"
        f" duplicate groups split across stories: {split}"
    )
    if reference:
        ref_groups, ref_seconds = run_reference(items)
        rp, rr, _, ref_found = score(items, ref_groups)
        print(
            f"  reference P {rp:.4f}  R {rr:.4f}  ({ref_found} pairs found)  {len(items) / ref_seconds:8.0f}"
            f" articles/s  (datasketch MinHashLSH, 128 perm, J>=0.5)   speed ratio ours/ref "
            f"{(len(items) / seconds) / (len(items) / ref_seconds):.1f}x"
        )
    misses: dict[str, int] = {}
    truth_root = {}
    for it in items:
        truth_root.setdefault(it.group, it.article.id)
    for it in items:
        wrong = (groups[it.article.id] == it.article.id) != (truth_root[it.group] == it.article.id) or (
            groups[it.article.id] != it.article.id and items_group(items, groups[it.article.id]) != it.group
        )
        if wrong:
            misses[it.kind] = misses.get(it.kind, 0) + 1
    if misses:
        print("  wrong verdicts by kind:", dict(sorted(misses.items(), key=lambda kv: -kv[1])))


_GROUP_OF: dict[str, int] = {}


def items_group(items: list[Item], article_id: str) -> int:
    if not _GROUP_OF:
        _GROUP_OF.update({it.article.id: it.group for it in items})
    return _GROUP_OF[article_id]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="ground-truth.json with articleBody")
    parser.add_argument("--half", choices=("a", "b", "all"), default="all")
    parser.add_argument("--quality", type=int, default=400, help="articles in the quality stream (0: skip)")
    parser.add_argument("--speed", type=int, default=50_000, help="articles in the speed stream (0: skip)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bodies = load_bodies(args.data, args.half)
    print(f"{len(bodies)} real bodies from {args.data} (half {args.half}), seed {args.seed}")
    if args.quality:
        items = syndicate(bodies, args.quality, seed=args.seed, span_days=3.0)
        report("quality stream (real originals)", items, reference=True)
        _GROUP_OF.clear()
    if args.speed:
        items = syndicate(bodies, args.speed, seed=args.seed + 1, span_days=20.0)
        report(
            "speed stream (50k-scale, remixed originals, 7-day window over 20 days)", items, reference=False
        )


if __name__ == "__main__":
    main()
