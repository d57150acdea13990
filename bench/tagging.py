"""Tagging dev loop: per-topic precision/recall, 5-class accuracy and articles/s on our own labelled set.

Labelled set: tests/fixtures/tagging/handwritten.txt (written for the project) and
tests/fixtures/tagging/aeb_labels.tsv (hand labels for the English aeb-dev bodies in ../shared).

    PYTHONPATH=$PWD python bench/tagging.py          # figures
    PYTHONPATH=$PWD python bench/tagging.py --fit    # refit the 3-parameter score calibration first

Reference in the same run: a "label words" baseline that scores each topic by occurrences of the words
of its IPTC label only (what a vocabulary without curated lexicons gives).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Run as a script, this folder is sys.path[0] and bench/pipeline.py would shadow the
# `pipeline` package: put the repository root first instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.tagging import Tagger  # noqa: E402
from pipeline.tagging.text import normalise, word_tokens  # noqa: E402
from pipeline.tagging.topics import TopicClassifier, topic_evidence  # noqa: E402
from pipeline.tagging.vocabulary import media_topics, top_level_codes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/tagging"
AEB = ROOT.parent / "shared/data/aeb-dev/ground-truth.json"
CALIBRATION = ROOT / "pipeline/tagging/data/calibration.json"
FIVE = {
    "business": "medtop:04000000",
    "entertainment": "medtop:01000000",
    "politics": "medtop:11000000",
    "sport": "medtop:15000000",
    "technology": "medtop:13000000",
}


@dataclass
class Labelled:
    id: str
    title: str | None
    body: str
    primary: str
    topics: set[str]


def _code(two: str) -> str:
    return f"medtop:{int(two):02d}000000"


def load_handwritten(path: Path = FIXTURES / "handwritten.txt") -> list[Labelled]:
    items = []
    for block in re.split(r"\n\s*\n", path.read_text("utf-8").strip()):
        head, title, *body = block.strip().splitlines()
        ident, primary, others = (part.strip() for part in head.lstrip("#").split("|"))
        codes = {_code(primary)} | {_code(c) for c in others.split(",") if c.strip()}
        items.append(Labelled(ident, title, "\n".join(body), _code(primary), codes))
    return items


def load_holdout() -> list[Labelled]:
    """Articles written after the lexicon was frozen: an honest estimate for unseen text."""
    return load_handwritten(FIXTURES / "holdout.txt")


def load_aeb(path: Path = FIXTURES / "aeb_labels.tsv", truth: Path = AEB) -> list[Labelled]:
    if not truth.exists():
        return []
    bodies = json.loads(truth.read_text("utf-8"))
    items = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        prefix, primary, others, *_ = line.split("\t") + ["", ""]
        page = next(k for k in bodies if k.startswith(prefix))
        codes = {_code(primary)} | {_code(c) for c in others.split(",") if c.strip()}
        items.append(Labelled(f"aeb:{prefix}", None, bodies[page]["articleBody"], _code(primary), codes))
    return items


def label_word_scores(title: str | None, body: str) -> dict[str, float]:
    """Baseline: count the words of each top-level topic's IPTC label."""
    tokens = [t.lower() for t in word_tokens(normalise(f"{title or ''}\n{body}"))]
    counts: dict[str, int] = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    scores = {}
    for code in top_level_codes():
        words = [w for w in re.findall(r"[a-z]+", media_topics()[code].label) if w not in {"and", "of"}]
        scores[code] = sum(counts.get(w, 0) + counts.get(w + "s", 0) for w in words)
    return scores


def fit_calibration(items: list[Labelled], classifier: TopicClassifier) -> dict[str, float]:
    """Logistic regression of 'topic is labelled' on (ln(1+E), ln(E/E_best)) over top-level topics."""
    rows, ys = [], []
    tops = set(top_level_codes())
    for item in items:
        raw = topic_evidence(item.title, item.body, classifier.lexicon)
        evidence = {c: e for c, e in raw.items() if c in tops}
        if not evidence:
            continue
        best = max(evidence.values())
        for code, e in evidence.items():
            rows.append([math.log1p(e), math.log(e / best), 1.0])
            ys.append(1.0 if code in item.topics else 0.0)
    x, y = np.array(rows), np.array(ys)
    w = np.zeros(3)
    for _ in range(20000):  # plain gradient descent with a little L2; 3 parameters, converges fast
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.1 * (x.T @ (p - y) / len(y) + 1e-3 * np.r_[w[:2], 0.0])
    names = ("evidence", "relative", "bias")
    return {name: round(float(value), 4) for name, value in zip(names, w, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true", help="refit data/calibration.json first")
    parser.add_argument("--errors", action="store_true", help="list 5-class mistakes")
    args = parser.parse_args()

    items = load_handwritten() + load_aeb()
    if args.fit:
        params = fit_calibration(items, TopicClassifier())
        params["note"] = "fitted by bench/tagging.py --fit on the project's own labelled set"
        CALIBRATION.write_text(json.dumps(params, indent=1) + "\n")
        print("calibration:", params)
    classifier = TopicClassifier(calibration=None)
    tagger = Tagger()
    tops = top_level_codes()
    topics = media_topics()
    print(f"labelled articles: {len(items)} (handwritten {sum(not i.id.startswith('aeb:') for i in items)})")

    # per-topic precision / recall at score >= 0.5, and top-1 accuracy over 17 topics
    tp = dict.fromkeys(tops, 0)
    fp = dict.fromkeys(tops, 0)
    fn = dict.fromkeys(tops, 0)
    top1 = base_top1 = 0
    five_total = five_ok = five_base_ok = 0
    errors = []
    for item in items:
        scores = classifier.scores(item.title, item.body)
        predicted = {c for c in tops if scores.get(c, 0.0) >= 0.5}
        for code in tops:
            tp[code] += code in predicted and code in item.topics
            fp[code] += code in predicted and code not in item.topics
            fn[code] += code not in predicted and code in item.topics
        best = min(tops, key=lambda c: (-scores.get(c, 0.0), c))
        base = label_word_scores(item.title, item.body)
        top1 += best == item.primary
        base_top1 += min(tops, key=lambda c: (-base[c], c)) == item.primary
        if item.primary in FIVE.values():
            five_total += 1
            pick = min(FIVE.values(), key=lambda c: (-scores.get(c, 0.0), c))
            five_ok += pick == item.primary
            five_base_ok += min(FIVE.values(), key=lambda c: (-base[c], c)) == item.primary
            if pick != item.primary:
                errors.append((item.id, topics[item.primary].label, topics[pick].label, item.body[:90]))

    print(f"\n{'topic':<48}{'gold':>5}{'P@0.5':>8}{'R@0.5':>8}")
    micro = [0, 0, 0]
    for code in tops:
        p = tp[code] / (tp[code] + fp[code]) if tp[code] + fp[code] else float("nan")
        r = tp[code] / (tp[code] + fn[code]) if tp[code] + fn[code] else float("nan")
        micro = [micro[0] + tp[code], micro[1] + fp[code], micro[2] + fn[code]]
        print(f"{code + ' ' + topics[code].label:<48}{tp[code] + fn[code]:>5}{p:>8.2f}{r:>8.2f}")
    print(f"{'micro average':<48}{'':>5}{micro[0] / (micro[0] + micro[1]):>8.2f}"
          f"{micro[0] / (micro[0] + micro[2]):>8.2f}")
    print(f"\n5-class (business/entertainment/politics/sport/technology) articles: {five_total}")
    print(f"  accuracy, highest of the five topics: lexicon {five_ok / five_total:.3f}"
          f"   label-words baseline {five_base_ok / five_total:.3f}")
    print(f"top-1 over 17 top-level topics: lexicon {top1 / len(items):.3f}"
          f"   label-words baseline {base_top1 / len(items):.3f}")
    if args.errors:
        for error in errors:
            print("  miss:", *error)

    holdout = load_holdout()
    hold_ok = sum(
        min(FIVE.values(), key=lambda c: (-classifier.scores(i.title, i.body).get(c, 0.0), c)) == i.primary
        for i in holdout
    )
    print(f"holdout (written after the lexicon, not used for calibration): 5-class accuracy "
          f"{hold_ok}/{len(holdout)} = {hold_ok / len(holdout):.3f}")
    if args.errors:
        for i in holdout:
            pick = min(FIVE.values(), key=lambda c: (-classifier.scores(i.title, i.body).get(c, 0.0), c))
            if pick != i.primary:
                print("  holdout miss:", i.id, topics[i.primary].label, "->", topics[pick].label)

    # speed: the whole Tagger.tag call (topics, entities, language) on one core
    tagger.tag(items[0].title, items[0].body)
    # CPU time of this process = throughput on one core, robust to other jobs sharing the machine
    count, start, wall = 0, time.process_time(), time.perf_counter()
    while time.process_time() - start < 3.0:
        for item in items:
            tagger.tag(item.title, item.body)
        count += len(items)
    cpu, elapsed = time.process_time() - start, time.perf_counter() - wall
    chars = sum(len(i.body) for i in items) / len(items)
    print(f"\nspeed: {count / cpu:.0f} articles/s per CPU-second (wall clock {count / elapsed:.0f}/s; "
          f"mean body {chars:.0f} chars) vs target 300/s: x{count / cpu / 300:.1f}")

    # long realistic articles: every aeb-dev ground-truth body (not only the labelled ones)
    if AEB.exists():
        bodies = [page["articleBody"] for page in json.loads(AEB.read_text("utf-8")).values()]
        count, start = 0, time.process_time()
        while time.process_time() - start < 2.0:
            for body in bodies:
                tagger.tag(None, body)
            count += len(bodies)
        ms = (time.process_time() - start) / count * 1000
        chars = sum(map(len, bodies)) / len(bodies)
        print(f"speed on the {len(bodies)} aeb-dev bodies (mean {chars:.0f} chars): {ms:.2f} ms/article per CPU "
              f"({1000 / ms:.0f} articles/s) vs target 2 ms: x{2 / ms:.1f}")

if __name__ == "__main__":
    main()
