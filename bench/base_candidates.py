"""The base stage's candidates on the pages where trafilatura's fast candidate is doubtful.

On each set, for the pages whose fast candidate ``pipeline.clean.base`` finds doubtful (those
on which the base stage asks for a second opinion), the raw text of each candidate is scored
against the gold with bench/extraction.py's metric, before any cleaning:

* ``fast``: trafilatura with wirefeed's settings (``fast=True``, no comments, tables kept);
* ``full``: the same with ``fast=False`` (trafilatura's own fallbacks: its readability port and
  jusText, the "full mode" the issue asks about);
* ``readability``: readability-lxml's article, as the base stage reads it;
* ``union``: the fast candidate with readability's running text it lacks inside their shared
  article (``union`` below), the paragraph-level ensemble of the two.

CPU per page is each extractor's process time over those pages, in this one process (the
union's own cost is its row minus the two it joins). Run under ``nice``; it reads no cache.

    nice -n 10 .venv/bin/python -m bench.base_candidates --sets page-signal,dragnet
"""

from __future__ import annotations

import argparse
import time
from bisect import bisect_right
from pathlib import Path

import trafilatura

from bench.extraction import DATA, score
from bench.extraction import load_set as load_page_set
from pipeline.clean import base
from pipeline.clean.blocks import Block
from pipeline.clean.html import BlockMaker, first_candidate, readability_lines
from pipeline.clean.trafilatura_fast import TRAFILATURA_OPTIONS, parse_html
from pipeline.text import words

SETS = ("page-signal", "dragnet", "cleanportal", "aeb")


# The union of the two candidates (a paragraph-level ensemble), measured here and NOT in the pipeline:
# the second's running text that the first lacks, inside the article the two agree on. On the dev
# sets (bench/base_candidates.py, bench/extraction.py) it changes 1 of 1,036 pages where readability
# already runs (with or without ``rejoin``) and is a wash with readability on every page (pooled
# +0.0002, readability set -0.0007, at about 1.3x trafilatura's CPU): what trafilatura misses and
# readability keeps is mostly short lines (captions, dates, "via" credits), not running text. Kept
# for the bench and for a base stage that may ask readability more often. The two must have found
# the same article: this share of the second's words lies in the first.
UNION_MIN_SHARED = 0.5
# Blocks of the second beyond its outermost shared paragraphs that may still be added. 0: with 2,
# author bios and affiliate notices right after the story came in (dragnet 0.9251 -> 0.9249, three
# pages lose > 0.05; page-signal +0.0006).
UNION_EDGE_BLOCKS = 0


def _locate(text: str, hay: str, start: int = 0) -> int:
    """Where most of ``text``'s words stand, in order, as a run in ``hay`` (as ``base._held``), or -1.

    The first such place from ``start`` on, else from the beginning: reading the second candidate
    in page order keeps lines that recur (a repeated lead-in, a refrain) on the right block.
    """
    tokens = words(text.casefold())
    if not tokens:
        return -1
    k = max(1, (len(tokens) + 1) // 2)
    runs = [" ".join(tokens[i : i + k]) for i in range(0, len(tokens) - k + 1, max(1, k // 2))]
    for begin in (start, 0) if start else (0,):
        for run in runs:
            at = hay.find(run, begin)
            if at >= 0:
                return at
    return -1


def union(first: list[Block], second: list[Block]) -> list[Block]:
    """The first candidate with the second's running text that it lacks inside their shared article.

    Extractors with different methods lose different parts of an article: trafilatura skips a
    section under an unusual container, a paragraph beside a figure, a lead in a header box, which
    readability-lxml (scoring the container's paragraphs) keeps, and the other way round. Where the
    two agree on the article (half of the second's words lie in the first), each prose block of
    the second that the first lacks and that lies between the second's first and last shared
    blocks, or just beyond them, is put into the first after the block that holds the shared
    text before it. Only running text is added (``is_prose``: a sentence of some length, not a
    link or a teaser lead): what the second holds beyond the article is left out, and the cleaner
    would judge every added block like any other. Not in the pipeline: see UNION_MIN_SHARED for why.
    """
    if not first or not second:
        return first
    second = base.rejoin(second)
    starts: list[int] = []  # where each of the first's blocks begins in its joined words
    parts: list[str] = []
    at = 0
    for b in first:
        text = " ".join(words(b.text.casefold()))
        starts.append(at)
        parts.append(text)
        at += len(text) + 1
    hay = " ".join(parts)
    where: list[int | None] = []  # for each block of the second, the first's block holding it
    total = shared = last = 0
    for b in second:
        n = len(words(b.text))
        total += n
        pos = _locate(b.text, hay, last)
        if pos < 0:
            where.append(None)
            continue
        shared += n
        where.append(bisect_right(starts, pos) - 1)
        last = pos + 1
    if not total or shared < UNION_MIN_SHARED * total:
        return first
    # the shared article runs from the first to the last paragraph of running text both hold (a shared
    # heading, label or footer line the cleaner will cut says nothing about where the story ends)
    anchors = [i for i, b in enumerate(second) if where[i] is not None and base.is_prose(b)]
    if not anchors:
        return first
    lo, hi = anchors[0], anchors[-1]
    added: dict[int, list[Block]] = {}  # the first's block index each addition follows (-1: before all)
    after = -1
    for i in range(max(0, lo - UNION_EDGE_BLOCKS), min(len(second), hi + UNION_EDGE_BLOCKS + 1)):
        b = second[i]
        if where[i] is not None:
            if i >= lo:
                after = max(after, where[i])
            continue
        if not base.is_prose(b) or b.link_lead:
            continue
        # before the shared part: ahead of its first block in the first; inside or after: after the
        # last block of the first that held shared text so far
        key = (where[lo] - 1) if i < lo else after
        added.setdefault(key, []).append(b)
    if not added:
        return first
    out = list(added.get(-1, []))
    for j, b in enumerate(first):
        out.append(b)
        out += added.get(j, [])
    return out


def fast_blocks(content: str, url: str | None) -> tuple[list[Block], BlockMaker]:
    """trafilatura's fast candidate as the base stage sees it, and the maker of blocks for this page."""
    tree = parse_html(content)
    if tree is None:
        return [], lambda lines: []
    return first_candidate(tree, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    full_options = {**TRAFILATURA_OPTIONS, "fast": False}
    print(f"{'set':<13}{'doubtful':>9}  " + "  ".join(f"{n:>17}" for n in ("fast", "full", "readability", "union")))
    print(f"{'':<13}{'pages':>9}  " + "  ".join(f"{'F1  cpu s/pg':>17}" for _ in range(4)))
    for name in args.sets.split(","):
        pages = load_page_set(name, args.data)
        if pages is None:
            continue
        texts: dict[str, dict[str, str]] = {k: {} for k in ("fast", "full", "readability", "union")}
        cpu = dict.fromkeys(texts, 0.0)
        for key, page in pages.pages.items():
            if page["content_type"] != "text/html":
                continue
            t0 = time.process_time()
            first, make_blocks = fast_blocks(page["content"], page.get("url"))
            t1 = time.process_time()
            if not base.features(first).doubtful:
                continue
            full = trafilatura.extract(page["content"], url=page.get("url"), **full_options) or ""
            t2 = time.process_time()
            second = base.rejoin(make_blocks(readability_lines(page["content"])))
            t3 = time.process_time()
            joined = union(first, second)
            t4 = time.process_time()
            texts["fast"][key] = "\n".join(b.text for b in first)
            texts["full"][key] = full
            texts["readability"][key] = "\n".join(b.text for b in second)
            texts["union"][key] = "\n".join(b.text for b in joined)
            cpu["fast"] += t1 - t0
            cpu["full"] += t2 - t1
            cpu["readability"] += t3 - t2
            cpu["union"] += (t1 - t0) + (t3 - t2) + (t4 - t3)
        n = len(texts["fast"])
        if not n:
            continue
        truths = {k: pages.truths[k] for k in texts["fast"]}
        cells = [f"{score(truths, texts[s])[0]:.3f} {cpu[s] / n:7.4f}" for s in texts]
        print(f"{name:<13}{n:>9}  " + "  ".join(f"{c:>17}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
