"""bench/extraction.py times every system fresh; its peer cache only saves re-running outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.extraction import PageSet, peer_outputs

ARTICLE = "<html><body><article>" + "".join(
    f"<p>Paragraph {i} of the story says the council met on Tuesday and voted to reopen the library.</p>"
    for i in range(6)
) + "</article></body></html>"


def pages(*keys: str) -> PageSet:
    return PageSet("tiny", {k: {"url": f"https://x.invalid/{k}", "content": ARTICLE, "content_type": "text/html"}
                            for k in keys})


@pytest.mark.slow
def test_a_plain_run_times_the_peer_on_every_page_and_a_cached_run_reports_no_cpu(tmp_path: Path) -> None:
    texts, seconds = peer_outputs("trafilatura", pages("a", "b"), tmp_path, reuse=False)
    assert set(texts) == {"a", "b"} and "reopen the library" in texts["a"]
    assert seconds is not None and seconds > 0
    stored = json.loads(next(tmp_path.iterdir()).read_text())
    assert stored["pages"] == 2 and stored["cpu"] == pytest.approx(2 * seconds)  # the fields older benches read

    again, cached_seconds = peer_outputs("trafilatura", pages("a", "b"), tmp_path, reuse=True)
    assert again == texts and cached_seconds is None  # nothing was run, so nothing was timed

    more, part_seconds = peer_outputs("trafilatura", pages("a", "b", "c"), tmp_path, reuse=True)
    assert set(more) == {"a", "b", "c"} and part_seconds is None  # only "c" ran: not the set's CPU
    assert json.loads(next(tmp_path.iterdir()).read_text())["pages"] == 3
