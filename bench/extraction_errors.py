"""Where extraction loses F1: missed gold text and kept junk, by line, from a bench dump.

Reads the JSON that ``bench/extraction.py --dump FILE`` writes and, per set, attributes each
lost 4-gram shingle (the metric's unit) to the line it starts in: a missed gold line, or an
output line that is not in the gold. Each missed line is classed by who else returns it
(readability-lxml, trafilatura default, nobody), by the rule that cut it when wirefeed had it,
and by its shape (headline-like, short, sentence); with ``--html`` also by the HTML element
that holds it (its tag and class). Losses are per-page normalised like the metric, so the
figures add up to the set's recall (precision) loss.

    .venv/bin/python bench/extraction.py --dump extraction-dump.json
    .venv/bin/python bench/extraction_errors.py extraction-dump.json --sets dragnet --worst 10 --html
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from bench.extraction import DATA, EXTRACT_DEV, page_f1

_TOKEN = re.compile(r"\w+")
N = 4


def _line_shingles(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(line index, shingle) for every 4-gram of the whole text, by the line its first token is on."""
    tokens: list[tuple[int, str]] = []
    for i, line in enumerate(text.split("\n")):
        tokens += [(i, t) for t in _TOKEN.findall(line)]
    if len(tokens) < N:
        return [(tokens[0][0], tuple(t for _, t in tokens))] if tokens else []
    return [(tokens[j][0], tuple(t for _, t in tokens[j : j + N])) for j in range(len(tokens) - N + 1)]


def lost_by_line(text: str, other: str) -> tuple[list[str], Counter[int], Counter[int]]:
    """``text``'s lines, shingles per line and shingles per line not matched in ``other`` (greedy)."""
    available = Counter(s for _, s in _line_shingles(other))
    total: Counter[int] = Counter()
    lost: Counter[int] = Counter()
    for line, sh in _line_shingles(text):
        total[line] += 1
        if available[sh] > 0:
            available[sh] -= 1
        else:
            lost[line] += 1
    return text.split("\n"), total, lost


def _covered(line: str, other: str) -> bool:
    """Most of ``line``'s words appear, in order, as a run in ``other`` (cheap containment test)."""
    tokens = _TOKEN.findall(line.casefold())
    if not tokens:
        return True
    hay = " ".join(_TOKEN.findall(other.casefold()))
    k = max(1, (len(tokens) + 1) // 2)
    return any(" ".join(tokens[i : i + k]) in hay for i in range(0, len(tokens) - k + 1, max(1, k // 2)))


def shape(line: str) -> str:
    n = len(line.split())
    end = line.rstrip()[-1:] in ".!?\"'\u201d\u2019)"
    if n <= 12:
        return "short sentence" if end else "short, no full stop (headline, label, date)"
    return "prose" if end else "long, no full stop (caption, list item)"


class HtmlLocator:
    """Finds the innermost element of a page whose text holds a line, to name where text lives."""

    def __init__(self, html: str) -> None:
        from lxml.html import fromstring

        self.root = fromstring(html.encode("utf-8"))
        self.texts = [(el, " ".join(_TOKEN.findall(el.text_content().casefold())))
                      for el in self.root.iter() if isinstance(el.tag, str) and el.tag not in ("script", "style")]

    def where(self, line: str) -> str:
        key = " ".join(_TOKEN.findall(line.casefold()))[:80]
        best = None
        for el, text in self.texts:
            if key and key in text and (best is None or len(text) < len(best[1])):
                best = (el, text)
        if best is None:
            return "?"
        el = best[0]
        path = []
        for node in [el, *el.iterancestors()][:3]:
            cls = (node.get("class") or node.get("id") or "").split()
            path.append(node.tag + (f".{cls[0][:20]}" if cls else ""))
        return "<" + " < ".join(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--sets", default="page-signal,dragnet,cleanportal,readability")
    parser.add_argument("--worst", type=int, default=0, help="also list the N worst pages' lost lines")
    parser.add_argument("--html", action="store_true", help="name the element holding each missed line")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    d = json.loads(args.dump.read_text(encoding="utf-8"))
    for s in args.sets.split(","):
        truths, ours = d["truths"][s], d["preds"]["wirefeed"][s]
        read, traf = d["preds"].get("readability", {}).get(s, {}), d["preds"].get("trafilatura", {}).get(s, {})
        missed: Counter[str] = Counter()
        junk: Counter[str] = Counter()
        where: Counter[str] = Counter()
        examples: dict[str, list[str]] = defaultdict(list)
        for key, truth in truths.items():
            cut = {text: rule for text, rule in d["blocks"][s][key] if rule}
            lines, total, lost = lost_by_line(truth, ours[key])
            n = sum(total.values()) or 1
            locator = None
            if args.html and s in EXTRACT_DEV:
                with gzip.open(args.data / "extract-dev" / EXTRACT_DEV[s] / "html" / f"{key}.html.gz") as fh:
                    locator = HtmlLocator(fh.read().decode("utf-8", "replace"))
            for i, c in lost.items():
                line = lines[i]
                rule = next((r for text, r in cut.items() if _covered(line, text) and _covered(text, line)), None)
                if rule:
                    who = f"cut by {rule}"
                elif _covered(line, read.get(key, "")):
                    who = "readability has it"
                elif _covered(line, traf.get(key, "")):
                    who = "trafilatura default has it"
                else:
                    who = "nobody has it"
                cat = f"{who:<28}{shape(line)}"
                missed[cat] += c / n
                examples[cat].append(line[:90])
                if locator is not None:
                    where[locator.where(line)] += c / n
            out_lines, total, lost = lost_by_line(ours[key], truth)
            n = sum(total.values()) or 1
            for i, c in lost.items():
                who = "readability keeps it too" if _covered(out_lines[i], read.get(key, "")) else "ours only"
                cat = f"{who:<28}{shape(out_lines[i])}"
                junk[cat] += c / n
                examples[cat].append(out_lines[i][:90])
        pages = len(truths)
        print(f"\n== {s} ({pages} pages): recall lost, by cause and shape")
        for cat, v in missed.most_common(12):
            print(f"  {v / pages:.4f}  {cat}   e.g. {examples[cat][0]!r}")
        print(f"== {s}: precision lost (junk kept), by who keeps it and shape")
        for cat, v in junk.most_common(8):
            print(f"  {v / pages:.4f}  {cat}   e.g. {examples[cat][0]!r}")
        if where:
            print(f"== {s}: where the missed text is in the HTML (innermost element < parents)")
            for w, v in where.most_common(15):
                print(f"  {v / pages:.4f}  {w}")
        if args.worst:
            rank = sorted(truths, key=lambda k: page_f1(truths[k], ours[k]))[: args.worst]
            for key in rank:
                print(f"\n  -- {s}/{key}: F1 {page_f1(truths[key], ours[key]):.2f} "
                      f"(readability {page_f1(truths[key], read.get(key, '')):.2f})")
                lines, total, lost = lost_by_line(truths[key], ours[key])
                for i in sorted(lost):
                    if lost[i] >= 2 or lost[i] == total[i]:
                        print(f"     MISSED {lines[i][:110]}")
                lines, total, lost = lost_by_line(ours[key], truths[key])
                for i in sorted(lost):
                    if lost[i] >= 2 or lost[i] == total[i]:
                        print(f"     JUNK   {lines[i][:110]}")


if __name__ == "__main__":
    main()
