"""Story clustering bench: B-cubed and pairwise P/R/F1 on labelled news, beside a baseline.

    PYTHONPATH=$PWD python bench/stories.py                  # the three stories-dev streams + 50k speed
    PYTHONPATH=$PWD python bench/stories.py --speed 0        # quality only
    PYTHONPATH=$PWD python bench/stories.py --data DIR --streams allsides
    PYTHONPATH=$PWD python bench/stories.py --speed 0 --orders 6   # + ecbplus in 6 shuffled orders
    PYTHONPATH=$PWD python bench/stories.py --speed 0 --errors     # + which gold stories are merged / split

Each stream (``<name>.jsonl`` RawPage lines in publication order, ``<name>.gold.json``
url -> gold story; default ../shared/data/stories-dev) goes through the real stages as
``wirefeed process`` runs them: parse -> extract -> dedupe (which assigns the story; the
tag stage after it does not touch ``story_id``, so it is left out). An article missing
from the output (a dead letter) counts as a story of its own.

Beside ours, in the same run and on the same extracted articles: the online TF-IDF
centroid baseline of the stories-dev README (title twice + first 3,000 characters, IDF
from the articles seen so far, join the most similar centroid live in the last 7 days
if cosine >= 0.25, else start a story).

Speed and state: the dedupe+story stage (``Deduper.check``, CPU time) over the 50,000
article synthetic stream of bench/dedupe.py (bench/syndicate.py over aeb-dev bodies),
and JSON bytes of its whole store per retained article; beside it, as a reference
measured in the same run, the same stage with stories switched off. Then, in an untimed
pass, the store writes and deletes per article: each is a changelog record of the
Faust table in the stream.

Columns: ``dups`` articles flagged as copies, ``wrong`` those whose original is in
another gold story (a distinct article flagged as a duplicate).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import AEB_TRUTH, DATA  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.dedupe import Deduper  # noqa: E402
from pipeline.dedupe.features import Description  # noqa: E402
from pipeline.dedupe.stories import Stories  # noqa: E402
from pipeline.stages import Pipeline  # noqa: E402
from schemas import Article  # noqa: E402
from tests.helpers import CountingStore  # noqa: E402

STREAMS = ("allsides", "ecbplus", "ecbplus_2weeks")


DEFAULT_DATA = DATA / "stories-dev"
DEFAULT_BODIES = DATA / AEB_TRUTH


# -- metrics ------------------------------------------------------------------------------
def bcubed(gold: dict[str, str], predicted: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 over the gold items (a missing item is its own cluster)."""
    pred = {item: predicted.get(item, f"missing:{item}") for item in gold}
    by_gold: dict[str, list[str]] = {}
    by_pred: dict[str, list[str]] = {}
    for item in gold:
        by_gold.setdefault(gold[item], []).append(item)
        by_pred.setdefault(pred[item], []).append(item)
    precision = recall = 0.0
    for item in gold:
        cluster, truth = by_pred[pred[item]], by_gold[gold[item]]
        common = sum(1 for other in cluster if gold[other] == gold[item])
        precision += common / len(cluster)
        recall += common / len(truth)
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, _f1(precision, recall)


def pairwise(gold: dict[str, str], predicted: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall, F1 over the item pairs put in one cluster."""
    pred = {item: predicted.get(item, f"missing:{item}") for item in gold}
    both = Counter((gold[i], pred[i]) for i in gold)
    in_gold = Counter(gold.values())
    in_pred = Counter(pred.values())

    def pairs(counts: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    hit, gold_pairs, pred_pairs = pairs(both.values()), pairs(in_gold.values()), pairs(in_pred.values())
    precision = hit / pred_pairs if pred_pairs else 1.0
    recall = hit / gold_pairs if gold_pairs else 1.0
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def errors(gold: dict[str, str], predicted: dict[str, str]) -> tuple[list[dict[str, int]], dict[str, list[int]]]:
    """Where the clustering goes wrong: (merges, splits).

    merges: each predicted story holding articles of 2+ gold stories, as {gold story: articles
    in it}, largest first; splits: each gold story spread over 2+ predicted stories -> the
    sizes of its parts, largest first (an article missing from the output is a part of its own).
    """
    pred = {item: predicted.get(item, f"missing:{item}") for item in gold}
    by_pred: dict[str, Counter[str]] = {}
    by_gold: dict[str, Counter[str]] = {}
    for item, story in pred.items():
        by_pred.setdefault(story, Counter())[gold[item]] += 1
        by_gold.setdefault(gold[item], Counter())[story] += 1
    merges = [dict(c.most_common()) for c in by_pred.values() if len(c) > 1]
    merges.sort(key=lambda c: (-sum(c.values()), sorted(c)))
    splits = {story: sorted(c.values(), reverse=True) for story, c in sorted(by_gold.items()) if len(c) > 1}
    return merges, splits


def print_errors(name: str, gold: dict[str, str], predicted: dict[str, str]) -> None:
    merges, splits = errors(gold, predicted)
    print(f"  {name}: {len(merges)} stories merge gold stories, {len(splits)} gold stories are split")
    for merge in merges:
        print("    merged " + " + ".join(f"{story} ({count})" for story, count in merge.items()))
    singles = sum(1 for parts in splits.values() if parts[-1] == 1)
    print(f"    split ({singles} leave a single article apart): "
          + (", ".join(f"{story} {'+'.join(map(str, parts))}" for story, parts in splits.items()) or "-"))


# -- the baseline -------------------------------------------------------------------------
_BASE_WORD = re.compile(r"[^\W_]+")


class CentroidBaseline:
    """Online TF-IDF centroid clustering: one cosine threshold, a window of live centroids."""

    def __init__(self, threshold: float = 0.25, window_days: float = 7.0) -> None:
        self.threshold, self.window = threshold, window_days * 86_400
        self.df: Counter[str] = Counter()
        self.docs = 0
        self.centroids: dict[str, tuple[dict[str, float], int, float]] = {}  # id -> (sum, size, last)

    def assign(self, article_id: str, title: str | None, body: str, at: float) -> str:
        text = f"{title}\n{title}\n{body[:3000]}" if title else body[:3000]
        counts = Counter(_BASE_WORD.findall(text.lower()))
        self.docs += 1
        self.df.update(counts.keys())
        # textbook IDF over the articles seen so far (this one included), every word kept
        vector = {w: c * math.log(self.docs / self.df[w]) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vector = {w: v / norm for w, v in vector.items()}
        best, best_story = self.threshold, None
        for story, (total, _size, last) in self.centroids.items():
            if at - last > self.window:
                continue
            dot = sum(v * total.get(w, 0.0) for w, v in vector.items())
            length = math.sqrt(sum(v * v for v in total.values())) or 1.0
            if dot / length >= best:
                best, best_story = dot / length, story
        if best_story is None:
            self.centroids[article_id] = (vector, 1, at)
            return article_id
        total, size, _ = self.centroids[best_story]
        for w, v in vector.items():
            total[w] = total.get(w, 0.0) + v
        self.centroids[best_story] = (total, size + 1, at)
        return best_story


# -- running a stream ---------------------------------------------------------------------
def extracted(path: Path, settings: Settings) -> list[tuple[str, Article | None]]:
    """(url, article or None for a dead letter) per line, through parse and extract."""
    pipeline = Pipeline(settings)
    out: list[tuple[str, Article | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        url = json.loads(line)["url"]
        front = pipeline.run_front(line)
        out.append((url, front if isinstance(front, Article) else None))
    return out


def ours(
    articles: list[tuple[str, Article | None]], settings: Settings
) -> tuple[dict[str, str], dict[str, str], float]:
    """(url -> story, url -> url of the original for duplicates, CPU seconds) from a fresh dedupe stage."""
    pipeline = Pipeline(settings, deduper=Deduper({}, settings=settings))
    stories: dict[str, str] = {}
    copies: dict[str, str] = {}
    url_of: dict[str, str] = {}
    start = time.process_time()
    for url, article in articles:
        if article is None:
            continue
        url_of[article.id] = url
        done = pipeline.dedupe(article)
        stories[url] = done.story_id or done.id
        if done.duplicate_of is not None:
            copies[url] = url_of.get(done.duplicate_of, done.duplicate_of)
    return stories, copies, time.process_time() - start


def baseline(articles: list[tuple[str, Article | None]]) -> dict[str, str]:
    model = CentroidBaseline()
    stories: dict[str, str] = {}
    for url, article in articles:
        if article is None:
            continue
        moment = article.fetched_at or article.published_at
        stories[url] = model.assign(article.id, article.title, article.body, moment.timestamp() if moment else 0.0)
    return stories


def quality(data: Path, streams: list[str], settings: Settings, show_errors: bool = False) -> None:
    print(f"stories-dev streams from {data}")
    print(
        f"{'stream':<16}{'model':<10}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'pair P':>8}{'pair R':>8}"
        f"{'pair F1':>8}{'stories':>9}{'dups':>6}{'wrong':>6}"
    )
    for name in streams:
        gold = json.loads((data / f"{name}.gold.json").read_text(encoding="utf-8"))
        articles = extracted(data / f"{name}.jsonl", settings)
        mine, copies, _ = ours(articles, settings)
        # a duplicate whose original is in another gold story is a distinct article flagged as a copy
        wrong = sum(1 for url, original in copies.items() if gold.get(url) != gold.get(original))
        reference = baseline(articles)
        for label, predicted, dups in (("wirefeed", mine, (len(copies), wrong)), ("baseline", reference, None)):
            b3, pw = bcubed(gold, predicted), pairwise(gold, predicted)
            count = len({predicted.get(u, u) for u in gold})
            print(
                f"{name:<16}{label:<10}{b3[0]:7.3f}{b3[1]:7.3f}{b3[2]:7.3f}{pw[0]:8.3f}{pw[1]:8.3f}{pw[2]:8.3f}"
                f"{count:9d}" + ("" if dups is None else f"{dups[0]:6d}{dups[1]:6d}")
            )
        missing = sum(1 for _, a in articles if a is None)
        if missing:
            print(f"{'':<16}({missing} dead letters counted as stories of their own)")
        if show_errors:
            print_errors(name, gold, mine)


class _NoStories(Stories):
    """Stories switched off: the dedupe stage's own cost, as a reference in the same run."""

    @staticmethod
    def describe(title: str | None, body: str) -> Description:
        return Description()

    def assign(self, article_id: str, about: Description, at: int, since: int) -> tuple[str, int, str]:
        return article_id, 1, ""


def _timed_run(items: list, stories_on: bool) -> tuple[float, Deduper]:
    deduper = Deduper({}, settings=Settings())
    if not stories_on:
        deduper.stories = _NoStories(deduper.store)
    start = time.process_time()
    for it in items:
        deduper.check(it.article)
    return time.process_time() - start, deduper


def shuffled(data: Path, name: str, orders: int, settings: Settings) -> None:
    """B-cubed F1 of ours and the baseline over ``orders`` random arrival orders of one stream.

    The times stay where they were (the n-th arrival keeps the n-th timestamp), so only
    the order changes: how much a figure owes to one order rather than to the model.
    """
    gold = json.loads((data / f"{name}.gold.json").read_text(encoding="utf-8"))
    articles = [(url, a) for url, a in extracted(data / f"{name}.jsonl", settings) if a is not None]
    times = [a.fetched_at or a.published_at for _, a in articles]
    mine, reference = [], []
    for seed in range(orders):
        order = articles[:]
        random.Random(seed).shuffle(order)
        order = [(u, a.model_copy(update={"fetched_at": t})) for (u, a), t in zip(order, times, strict=True)]
        mine.append(bcubed(gold, ours(order, settings)[0])[2])
        reference.append(bcubed(gold, baseline(order))[2])
    print(
        f"{name} in {orders} shuffled orders, B3 F1: wirefeed mean {statistics.mean(mine):.3f}"
        f" (min {min(mine):.3f}, max {max(mine):.3f}), baseline mean {statistics.mean(reference):.3f}"
        f" (min {min(reference):.3f}, max {max(reference):.3f})"
    )


def table_writes(items: list) -> float:
    """Store writes and deletes per article over the stream (untimed pass; the table's changelog volume)."""
    store = CountingStore()
    deduper = Deduper(store, settings=Settings())
    for it in items:
        deduper.check(it.article)
    return store.writes / len(items)


def speed(bodies: Path, count: int, seed: int) -> None:
    from bench.dedupe import load_bodies, state_bytes
    from bench.syndicate import syndicate

    items = syndicate(load_bodies(bodies, "all"), count, seed=seed + 1, span_days=20.0)
    originals = sum(1 for it in items if it.kind in ("original", "decoy"))
    seconds, deduper = _timed_run(items, stories_on=True)
    total, retained = state_bytes(deduper)
    reference, plain = _timed_run(items, stories_on=False)
    plain_total, plain_retained = state_bytes(plain)
    print(
        f"\nspeed: {len(items)} articles ({originals} originals and quoting decoys, the rest copies;"
        f" bench/syndicate.py, 20 days, 7-day window), CPU time of Deduper.check on one core\n"
        f"  dedupe+stories        {len(items) / seconds:8.0f} articles/s ({seconds:.1f} s)"
        f"  {total / max(retained, 1):6.0f} B state/retained article ({retained} retained, {total / 1e6:.1f} MB)\n"
        f"  dedupe, stories off   {len(items) / reference:8.0f} articles/s ({reference:.1f} s)"
        f"  {plain_total / max(plain_retained, 1):6.0f} B state/retained article   (reference, same run)\n"
        f"  table writes (changelog records before batching): {table_writes(items):.1f} per article"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory of <stream>.jsonl/.gold.json")
    parser.add_argument("--streams", nargs="*", default=list(STREAMS))
    parser.add_argument("--bodies", type=Path, default=DEFAULT_BODIES, help="aeb-dev ground-truth.json (speed)")
    parser.add_argument("--speed", type=int, default=50_000, help="articles in the speed stream (0: skip)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders", type=int, default=0, help="also run ecbplus in this many shuffled orders")
    parser.add_argument("--errors", action="store_true", help="list the gold stories ours merges and splits")
    args = parser.parse_args()
    settings = Settings()
    if args.streams:
        quality(args.data, args.streams, settings, show_errors=args.errors)
    if args.orders:
        shuffled(args.data, "ecbplus", args.orders, settings)
    if args.speed:
        speed(args.bodies, args.speed, args.seed)


if __name__ == "__main__":
    main()
