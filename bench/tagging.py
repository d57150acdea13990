"""Tagging dev loop: every acceptance figure of the tagger in one run.

* English labelled set: tests/fixtures/tagging/handwritten.txt (written for the project) and
  tests/fixtures/tagging/aeb_labels.tsv (hand labels for the English aeb-dev bodies in ../shared):
  per-topic precision/recall, 5-class accuracy.
* AG News development half (<--data, default ../shared/data>/topics-dev/ag_news.jsonl): top-1 through ``Tagger.tag``
  (language detection included; an article without topics counts as wrong), and the reliability
  table of the scores (is a topic scored s right about s of the time?).
* German, French, Spanish, Russian samples (tests/fixtures/tagging/lang/*.jsonl, labelled before the
  tagger ran on them): top-1 on tagged articles; unsupported languages: wrong topics (must be 0).
* Entities: precision/recall on labelled English and German samples (tests/fixtures/tagging/entities.*).
* Speed: articles per CPU-second of ``Tagger.tag``.

    PYTHONPATH=$PWD python bench/tagging.py          # figures
    PYTHONPATH=$PWD python bench/tagging.py --fit    # refit the 4-parameter score calibration first

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
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Run as a script, this folder is sys.path[0] and bench/pipeline.py would shadow the
# `pipeline` package: put the repository root first instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import AEB_TRUTH, DATA, add_data_argument  # noqa: E402
from pipeline.tagging import Tagger  # noqa: E402
from pipeline.tagging.topics import TopicClassifier, default_calibration, topic_evidence  # noqa: E402
from pipeline.tagging.vocabulary import media_topics, top_level_codes  # noqa: E402
from pipeline.text import match_normalise, word_tokens  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/tagging"
AEB = DATA / AEB_TRUTH
AG_NEWS = DATA / "topics-dev" / "ag_news.jsonl"
LANGS = ("de", "fr", "es", "ru")
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
    lang: str = "en"


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
    tokens = [t.lower() for t in word_tokens(match_normalise(f"{title or ''}\n{body}"))]
    counts: dict[str, int] = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    scores = {}
    for code in top_level_codes():
        words = [w for w in re.findall(r"[a-z]+", media_topics()[code].label) if w not in {"and", "of"}]
        scores[code] = sum(counts.get(w, 0) + counts.get(w + "s", 0) for w in words)
    return scores


def load_ag(path: Path = AG_NEWS) -> list[Labelled]:
    """The AG News development half; ``topics`` are the IPTC codes its section accepts."""
    if not path.exists():
        return []
    items = []
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        items.append(Labelled(row["url"], row["title"], row["content"], row["gold"][0], set(row["gold"])))
    return items


def load_lang(name: str) -> list[Labelled]:
    """A labelled sample in another language (``name``: de, fr, es, ru or unsupported)."""
    items = []
    for line in (FIXTURES / "lang" / f"{name}.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        codes = [_code(c) for c in row["topics"]]
        items.append(Labelled(row["id"], row["title"], row["body"], codes[0], set(codes), row["lang"]))
    return items


def top_level(tags) -> dict[str, float]:
    tops = set(top_level_codes())
    return {t.code: t.score for t in tags.topics if t.code in tops}


def calibration_rows(items: list[Labelled], tagger: Tagger) -> tuple[np.ndarray, np.ndarray]:
    """Features (ln(1+E), ln(E/E_best), margin of the best, 1) and 'topic is right' per top-level topic."""
    rows, ys = [], []
    tops = set(top_level_codes())
    for item in items:
        classifier = tagger.topics_for(item.lang)
        if classifier is None:
            continue
        raw = topic_evidence(item.title, item.body, classifier.lexicon)
        evidence = sorted(((e, c) for c, e in raw.items() if c in tops), reverse=True)
        if not evidence:
            continue
        best = evidence[0][0]
        margin = 1.0 - (evidence[1][0] / best if len(evidence) > 1 else 0.0)
        for e, code in evidence:
            rows.append([math.log1p(e), math.log(e / best), margin if e == best else 0.0, 1.0])
            ys.append(1.0 if code in item.topics else 0.0)
    return np.array(rows), np.array(ys)


def fit_logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression by gradient descent with a little L2; 4 parameters, converges fast."""
    sample = np.ones(len(y)) if weights is None else weights
    w = np.zeros(x.shape[1])
    for _ in range(20000):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.2 * (x.T @ (sample * (p - y)) / sample.sum() + 1e-3 * np.r_[w[:-1], 0.0])
    return w


def fit_calibration(sets: list[tuple[list[Labelled], float]], tagger: Tagger) -> dict[str, float]:
    """One calibration for all languages; each labelled set has a total weight, whatever its size."""
    parts = [(calibration_rows(items, tagger), weight) for items, weight in sets if items]
    x = np.vstack([part[0] for part, _ in parts])
    y = np.concatenate([part[1] for part, _ in parts])
    weights = np.concatenate([np.full(len(part[1]), weight / len(part[1])) for part, weight in parts])
    w = fit_logistic(x, y, weights * len(y))
    names = ("evidence", "relative", "margin", "bias")
    return {name: round(float(value), 4) for name, value in zip(names, w, strict=True)}


def reliability(scored: list[tuple[float, bool]]) -> None:
    """Print, per score band, how many emitted top-level topics there are and how many are right."""
    bands = [(0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.2, 0.5)]
    print(f"  {'score band':<12}{'topics':>8}{'right':>8}{'share right':>13}{'mean score':>12}")
    for low, high in bands:
        inside = [(s, ok) for s, ok in scored if low <= s < high]
        if inside:
            right = sum(ok for _, ok in inside)
            mean = sum(s for s, _ in inside) / len(inside)
            print(f"  {f'{low:.1f}-{min(high, 1.0):.1f}':<12}{len(inside):>8}{right:>8}"
                  f"{right / len(inside):>13.3f}{mean:>12.3f}")
    for low, high in [(0.8, 1.01), (0.5, 0.8)]:
        inside = [ok for s, ok in scored if low <= s < high]
        if inside:
            print(f"  scored {low:.1f}-{min(high, 1.0):.1f}: {sum(inside)}/{len(inside)} right = "
                  f"{sum(inside) / len(inside):.3f}")


def ag_news(tagger: Tagger, items: list[Labelled], errors: bool) -> None:
    right = untagged = 0
    scored: list[tuple[float, bool]] = []
    for item in items:
        scores = top_level(tagger.tag(item.title, item.body))
        if not scores:
            untagged += 1
            continue
        best = min(scores, key=lambda c: (-scores[c], c))
        right += best in item.topics
        scored.extend((s, code in item.topics) for code, s in scores.items())
        if errors and best not in item.topics:
            print("  ag miss:", item.id, sorted(item.topics), "->", best, "|", item.title)
    print(f"\nAG News dev half: {len(items)} articles, top-1 {right}/{len(items)} = {right / len(items):.3f} "
          f"(target 0.85); articles without topics (counted wrong): {untagged}")
    print("reliability of emitted top-level topics (right = one of the codes the AG section accepts):")
    reliability(scored)
    # out-of-sample check of the calibration: fit on one half of the rows, score the other half
    x, y = calibration_rows(items, tagger)
    halves = np.arange(len(y)) % 2
    held: list[tuple[float, bool]] = []
    for half in (0, 1):
        w = fit_logistic(x[halves != half], y[halves != half])
        p = 1 / (1 + np.exp(-x[halves == half] @ w))
        held.extend((float(s), bool(ok)) for s, ok in zip(p, y[halves == half], strict=True) if s >= 0.2)
    print("  cross-fitted (calibration fitted on the other half of AG only, all top-level topics >= 0.2):")
    reliability(held)


def _name_key(name: str) -> str:
    """Names compare without case, accents, punctuation or hyphens ("Kim Jong-un" = "kim jong un")."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", plain))


def entity_scores(tagger: Tagger, lang: str, errors: bool) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of (name, type) on a labelled entity sample.

    A label lists alternative names ("European Union|EU") and may accept two types
    ("place|organisation"); each label is matched at most once.
    """
    tp = fp = fn = 0
    for line in (FIXTURES / f"entities.{lang}.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        labels = [({_name_key(n) for n in names.split("|")}, set(types.split("|"))) for names, types in row["entities"]]
        matched = [False] * len(labels)
        extra = []
        for entity in tagger.tag(row["title"], row["body"]).entities:
            key = _name_key(entity.name)
            hit = next((i for i, (names, types) in enumerate(labels)
                        if not matched[i] and key in names and entity.type in types), None)
            if hit is None:
                extra.append((entity.name, entity.type))
            else:
                matched[hit] = True
        missed = [sorted(labels[i][0])[0] for i, ok in enumerate(matched) if not ok]
        tp, fp, fn = tp + sum(matched), fp + len(extra), fn + len(missed)
        if errors and (extra or missed):
            print(f"  {row['id']}: extra {extra} missed {missed}")
    return tp, fp, fn


def entities(tagger: Tagger, errors: bool) -> None:
    print("\nentities (tests/fixtures/tagging/entities.*.jsonl; a name and its type must both match):")
    for lang in ("en", "de"):
        tp, fp, fn = entity_scores(tagger, lang, errors)
        print(f"  {lang}: labelled {tp + fn}, found {tp + fp}, precision {tp / max(tp + fp, 1):.3f} (target 0.9)  "
              f"recall {tp / max(tp + fn, 1):.3f} (target 0.85)")


def languages(tagger: Tagger, errors: bool) -> None:
    print("\nother languages (tests/fixtures/tagging/lang; top-1 right = one of the labelled topics; 'held out':"
          " holdout.jsonl, written after the lexicons were frozen):")
    holdout = load_lang("holdout")
    samples = [(name, load_lang(name)) for name in LANGS]
    samples += [(f"{lang} held out", [i for i in holdout if i.lang == lang]) for lang in LANGS]
    samples += [("all held out", holdout), ("unsupported", load_lang("unsupported"))]
    held_scored: list[tuple[float, bool]] = []
    for name, items in samples:
        tagged = right = wrong = 0
        for item in items:
            tags = tagger.tag(item.title, item.body)
            scores = top_level(tags)
            if not scores:
                continue
            tagged += 1
            best = min(scores, key=lambda c: (-scores[c], c))
            right += best in item.topics
            wrong += sum(code not in item.topics for code in scores)
            if name == "all held out":
                held_scored.extend((score, code in item.topics) for code, score in scores.items())
            if errors and best not in item.topics:
                print("  miss:", item.id, sorted(item.topics), "->", best, "|", item.title)
        share = f"{right / tagged:.3f}" if tagged else "n/a"
        print(f"  {name:<16} articles {len(items):>4}  tagged {tagged:>4}  top-1 on tagged {share:>6}  "
              f"emitted topics not in the labels {wrong}")
    print("  reliability of emitted top-level topics on the held-out de/fr/es/ru articles:")
    reliability(held_scored)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true", help="refit data/calibration.json first")
    parser.add_argument("--errors", action="store_true", help="list 5-class mistakes")
    add_data_argument(parser, "aeb-dev/ground-truth.json and topics-dev/ag_news.jsonl")
    args = parser.parse_args()
    aeb = args.data / AEB_TRUTH

    items = load_handwritten() + load_aeb(truth=aeb)
    tagger = Tagger()
    ag = load_ag(args.data / "topics-dev" / "ag_news.jsonl")
    if args.fit:
        # AG (real wire snippets, labelled by others) weighs as much as our own sets together: on
        # those we wrote the lexicons, so they flatter the tagger
        sets = [(items, 1.0), (ag, 5.0), *((load_lang(lang), 1.0) for lang in LANGS)]
        params = fit_calibration(sets, tagger)
        params["note"] = ("fitted by bench/tagging.py --fit: English hand-labelled set, AG News dev half and "
                          "the de/fr/es/ru samples; AG weighs as much as the five others together")
        CALIBRATION.write_text(json.dumps(params, indent=1) + "\n")
        print("calibration:", params)
        default_calibration.cache_clear()
        tagger = Tagger()
    classifier = TopicClassifier(calibration=None)
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

    if ag:
        ag_news(tagger, ag, args.errors)
    languages(tagger, args.errors)
    entities(tagger, args.errors)

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
    if aeb.exists():
        bodies = [page["articleBody"] for page in json.loads(aeb.read_text("utf-8")).values()]
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
