"""The base stage's candidates on the pages where trafilatura's fast candidate is doubtful.

On each set, for the pages whose fast candidate ``pipeline.clean.base`` finds doubtful (those
on which the base stage asks for a second opinion), the raw text of each candidate is scored
against the gold with bench/extraction.py's metric, before any cleaning:

* ``fast``: trafilatura with wirefeed's settings (``fast=True``, no comments, tables kept);
* ``full``: the same with ``fast=False`` (trafilatura's own fallbacks: its readability port and
  jusText, the "full mode" the issue asks about);
* ``readability``: readability-lxml's article, as the base stage reads it;
* ``union``: the fast candidate with readability's running text it lacks inside their shared
  article (``base.union``), the paragraph-level ensemble of the two.

CPU per page is each extractor's process time over those pages, in this one process (the
union's own cost is its row minus the two it joins). Run under ``nice``; it reads no cache.

    nice -n 10 .venv/bin/python -m bench.base_candidates --sets page-signal,dragnet
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from bench.extraction import DATA, score
from bench.extraction import load_set as load_page_set
from pipeline.clean import base
from pipeline.clean.blocks import Block
from pipeline.clean.html import (
    _CAPTION_XPATH,
    _LONG_LINKS,
    _MIN_LINK_CHARS,
    _LinkIndex,
    _texts,
    _to_blocks,
    _trafilatura_lines,
    readability_lines,
)
from pipeline.clean.trafilatura_fast import TRAFILATURA_OPTIONS, article_body, parse_html

SETS = ("page-signal", "dragnet", "cleanportal", "aeb")


def fast_blocks(content: str, url: str | None) -> tuple[list[Block], Callable[[list[tuple[str, str]]], list[Block]]]:
    """trafilatura's fast candidate as the base stage sees it, and the maker of blocks for this page."""
    tree = parse_html(content)
    if tree is None:
        return [], lambda lines: []
    captions = _texts(_CAPTION_XPATH(tree), 3)
    links = _LinkIndex(_texts(_LONG_LINKS(tree), _MIN_LINK_CHARS, 300))
    body = article_body(tree, url)
    lines = _trafilatura_lines(body) if body is not None else []
    return _to_blocks(lines, captions, links), lambda other: _to_blocks(other, captions, links)


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
            joined = base.union(first, second)
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
