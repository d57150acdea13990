"""The five seeds, as text dumps and as their outlets' HTML pages, come out as their article bodies.

tests/fixtures/wire/seed_labels.json labels every seed line as title, body, subheading or
boilerplate: it is the specification of what the cleaner must make of the seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract import Extractor
from pipeline.text import fold_line
from schemas import RawPage
from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[2]
LABELS = json.loads((ROOT / "tests/fixtures/wire/seed_labels.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((ROOT / "sample/manifest.json").read_text(encoding="utf-8"))


def _lines(seed: str, *labels: str) -> list[str]:
    return [line["text"] for line in LABELS[seed]["lines"] if line["label"] in labels]


def _check(seed: str, paragraphs: list[str]) -> None:
    body = {fold_line(p) for p in paragraphs}
    survivors = [x for x in _lines(seed, "boilerplate", "title") if fold_line(x) in body]
    assert survivors == [], f"boilerplate left in {seed}"
    missing = [x for x in _lines(seed, "body", "subheading") if fold_line(x) not in body]
    assert missing == [], f"body lines lost in {seed}"


@pytest.mark.parametrize("seed", sorted(LABELS))
def test_a_seed_text_dump_keeps_its_body_and_sub_headings_and_loses_all_boilerplate(seed: str) -> None:
    page = RawPage(
        url=f"https://wire.example/{seed}",
        content=(SEEDS / f"{seed}.txt").read_text(encoding="utf-8"),
        content_type="text/plain",
    )
    result = Extractor().extract(page)
    _check(seed, result.paragraphs)
    title = _lines(seed, "title")
    assert result.title == (title[0] if title else None)
    assert all(r.rule for r in result.removed)


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["seed"] for e in MANIFEST])
def test_a_seed_served_as_an_outlet_html_page_comes_out_as_the_seed_body(entry: dict) -> None:
    page = RawPage(
        url=f"https://sample.example/{entry['file']}",
        content=(ROOT / "sample/pages" / entry["file"]).read_text(encoding="utf-8"),
        source=entry["source"],
    )
    result = Extractor().extract(page)
    _check(entry["seed"], result.paragraphs)
    assert result.title == entry["title"]
    assert (
        result.published_at is not None and result.published_at.isoformat()[:10] == entry["published_at"][:10]
    )
    assert result.lang == "en"
