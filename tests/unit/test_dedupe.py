"""Dedupe: exact and near-duplicate copies of wire stories are flagged against the first-seen copy.

The original is a made-up wire story (tests/fixtures/dedupe/wire_original.txt); each
copy below is one transformation outlets apply when they republish it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings
from pipeline.dedupe import Deduper, DedupeVerdict, is_copy
from pipeline.ids import content_hash
from schemas import Article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
ORIGINAL = (FIXTURES / "wire_original.txt").read_text(encoding="utf-8").strip()
OTHER = (FIXTURES / "other_article.txt").read_text(encoding="utf-8").strip()
T0 = datetime(2024, 6, 18, 8, 0, tzinfo=UTC)


def article(article_id: str, body: str, at: datetime = T0, title: str | None = None) -> Article:
    url = f"https://outlet.example/{article_id}"
    return Article(
        id=article_id, url=url, canonical_url=url, title=title, body=body, fetched_at=at,
        content_hash=content_hash(body),
    )  # fmt: skip


def paras(text: str) -> list[str]:
    return text.split("\n")


# -- the transformations outlets apply -------------------------------------------------
def trimmed_to_two_thirds(text: str) -> str:
    words = text.split(" ")
    return " ".join(words[: len(words) * 2 // 3])


def rewrapped(text: str) -> str:
    """Curly quotes, em dashes, doubled spaces, lines broken mid-paragraph."""
    text = text.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(", ", " \u2014 ", 3)
    text = text.replace(". ", ".  ")
    return "\n".join(line for p in paras(text) for line in (p[: len(p) // 2], p[len(p) // 2 :]))


def edited(text: str) -> str:
    """About 3% of words changed: every 33rd word replaced."""
    words = text.split(" ")
    return " ".join("altered" if i % 33 == 16 else w for i, w in enumerate(words))


def merged_paragraphs(text: str) -> str:
    parts = paras(text)
    return "\n".join(" ".join(parts[i : i + 2]) for i in range(0, len(parts), 2))


def dateline_added(text: str) -> str:
    return "PORT ELMSWORTH, June 18 (Coastal Wire) \u2014 " + text


def editors_note_added(text: str) -> str:
    return text + "\nEditor's note: This story has been updated with comment from the vessel's operator."


def local_paragraph_added(text: str) -> str:
    return (
        text + "\nIn Halden, the island's council said deliveries of fuel and groceries would be delayed "
        "by at least a day and asked residents not to stock up unnecessarily."
    )


def trimmed_and_edited(text: str) -> str:
    return edited(trimmed_to_two_thirds(text))


COPIES: dict[str, Callable[[str], str]] = {
    "trimmed to two thirds": trimmed_to_two_thirds,
    "re-wrapped quotes, dashes, whitespace": rewrapped,
    "edited ~3% of words": edited,
    "paragraphs merged": merged_paragraphs,
    "dateline added": dateline_added,
    "editor's note added": editors_note_added,
    "local paragraph added": local_paragraph_added,
    "trimmed and edited": trimmed_and_edited,
}


@pytest.fixture
def deduper() -> Deduper:
    return Deduper({}, settings=Settings())


def test_the_first_copy_is_an_original_with_its_own_story(deduper: Deduper) -> None:
    verdict = deduper.check(article("a0", ORIGINAL))
    assert verdict == DedupeVerdict(duplicate_of=None, kind=None, story_id="a0")


def test_the_same_text_at_another_url_is_an_exact_duplicate(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    verdict = deduper.check(article("b1", ORIGINAL.upper(), T0 + timedelta(hours=1)))
    assert (verdict.duplicate_of, verdict.kind, verdict.story_id) == ("a0", "exact", "a0")


@pytest.mark.parametrize("name", COPIES)
def test_a_republished_copy_is_a_duplicate_of_the_first_seen(deduper: Deduper, name: str) -> None:
    copy = COPIES[name](ORIGINAL)
    assert copy != ORIGINAL
    deduper.check(article("a0", ORIGINAL))
    verdict = deduper.check(article("copy", copy, T0 + timedelta(hours=2)))
    assert verdict.duplicate_of == "a0", name
    assert verdict.kind in ("exact", "near")
    assert verdict.story_id == "a0"


@pytest.mark.parametrize("name", ["trimmed to two thirds", "editor's note added"])
def test_a_copy_seen_before_its_original_makes_the_original_the_duplicate(
    deduper: Deduper, name: str
) -> None:
    deduper.check(article("copy", COPIES[name](ORIGINAL)))
    assert deduper.check(article("a0", ORIGINAL, T0 + timedelta(hours=1))).duplicate_of == "copy"


def test_a_copy_of_a_copy_points_at_the_first_seen_original(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    first = edited(ORIGINAL)
    deduper.check(article("c1", first, T0 + timedelta(hours=1)))
    verdict = deduper.check(article("c2", editors_note_added(edited(first)), T0 + timedelta(hours=2)))
    assert verdict.duplicate_of == "a0"


def test_an_article_quoting_two_paragraphs_is_not_a_duplicate(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    quoted = paras(ORIGINAL)[2:4]
    own = paras(OTHER)
    quoting = "\n".join([*own[:3], *(f"\u201c{q}\u201d" for q in quoted), *own[3:]])
    verdict = deduper.check(article("q", quoting, T0 + timedelta(hours=3)))
    assert verdict.duplicate_of is None
    assert verdict.kind is None


def test_an_unrelated_article_is_neither_a_duplicate_nor_in_the_story(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    verdict = deduper.check(article("o", OTHER, T0 + timedelta(hours=1)))
    assert verdict == DedupeVerdict(None, None, "o")


def test_checking_an_article_again_returns_the_first_verdict(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    first = deduper.check(article("c1", edited(ORIGINAL), T0 + timedelta(hours=1)))
    assert deduper.check(article("a0", ORIGINAL)) == DedupeVerdict(None, None, "a0")
    # re-delivered, even with a later timestamp and another body, the verdict stands
    assert deduper.check(article("c1", OTHER, T0 + timedelta(days=30))) == first
    assert first.duplicate_of == "a0"


def test_the_same_stream_gives_the_same_verdicts_in_a_fresh_deduper() -> None:
    stream = [
        article(f"x{i}", COPIES[name](ORIGINAL), T0 + timedelta(minutes=i)) for i, name in enumerate(COPIES)
    ]
    stream.insert(3, article("o", OTHER, T0))
    first, second = Deduper({}, settings=Settings()), Deduper({}, settings=Settings())
    verdicts = [first.check(a) for a in stream]
    assert [second.check(a) for a in stream] == verdicts
    assert first.store == second.store


# -- time and the window ----------------------------------------------------------------
def test_a_copy_after_the_window_is_not_flagged_and_old_state_is_forgotten() -> None:
    deduper = Deduper({}, settings=Settings(dedupe_window_days=7))
    deduper.check(article("a0", ORIGINAL))
    for hour in range(1, 10):  # later arrivals push the clock and evict the original's state
        deduper.check(article(f"o{hour}", f"{OTHER} day {hour}", T0 + timedelta(days=8, hours=hour)))
    assert "v:a0" not in deduper.store
    verdict = deduper.check(article("late", edited(ORIGINAL), T0 + timedelta(days=8, hours=11)))
    assert verdict.duplicate_of is None


def test_state_stays_bounded_by_the_window_over_a_long_stream() -> None:
    deduper = Deduper({}, settings=Settings(dedupe_window_days=1))
    words = ORIGINAL.split(" ")
    for i in range(240):  # ten days, one article an hour, each different
        body = (
            " ".join(words[i % 7 :] + [f"item{i}"] * 3 + words[: i % 7]) + f" batch {i} of the series {i * 7}"
        )
        deduper.check(article(f"n{i}", body.replace("Meridian", f"Meridian{i}"), T0 + timedelta(hours=i)))
    retained = sum(1 for key in deduper.store if key.startswith("v:"))
    assert retained <= 24 + 4  # one day of arrivals, plus the amortised eviction's slack
    assert sum(1 for key in deduper.store if key.startswith("q:") and key[2:].isdigit()) == retained


def test_a_bogus_publication_date_cannot_wipe_the_state() -> None:
    deduper = Deduper({}, settings=Settings(dedupe_window_days=7))
    deduper.check(article("a0", ORIGINAL))
    future = article("future", OTHER).model_copy(
        update={"fetched_at": None, "published_at": datetime(2099, 1, 1, tzinfo=UTC)}
    )
    deduper.check(future)
    verdict = deduper.check(article("c", edited(ORIGINAL), T0 + timedelta(hours=1)))
    assert verdict.duplicate_of == "a0"


def test_an_article_without_any_time_is_still_checked(deduper: Deduper) -> None:
    deduper.check(article("a0", ORIGINAL))
    undated = article("c", trimmed_to_two_thirds(ORIGINAL)).model_copy(update={"fetched_at": None})
    assert deduper.check(undated).duplicate_of == "a0"


# -- bad and thin input -------------------------------------------------------------------
@pytest.mark.parametrize("body", ["", " ", "\n\n", "Breaking.", "Photo: Reuters", "12 34 56"])
def test_empty_or_tiny_bodies_are_never_duplicates_of_each_other(deduper: Deduper, body: str) -> None:
    first = deduper.check(article("e1", body))
    second = deduper.check(article("e2", body, T0 + timedelta(minutes=1)))
    assert first.duplicate_of is None and second.duplicate_of is None
    assert first.story_id == "e1"


def test_text_in_scripts_without_spaces_is_compared_by_character() -> None:
    deduper = Deduper({}, settings=Settings())
    text = "東京で新しい図書館が開館した。市は夜間の開館時間を延長し、学生や住民の利用を促す方針だ。" * 3
    deduper.check(article("j0", text))
    assert (
        deduper.check(article("j1", text[: len(text) * 2 // 3], T0 + timedelta(hours=1))).duplicate_of == "j0"
    )


# -- the store is a Faust table in the stream: JSON values only ---------------------------
class JsonTable(MutableMapping[str, Any]):
    """Like agents.tables.TableStore over a Faust table with a JSON value serializer."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._data[key])

    def __setitem__(self, key: str, value: Any) -> None:
        assert isinstance(key, str)
        self._data[key] = json.dumps(value)  # raises on bytes, numpy scalars, sets...

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_a_json_round_tripping_store_gives_the_same_verdicts_as_a_dict() -> None:
    stream = [article("a0", ORIGINAL), article("o", OTHER, T0 + timedelta(minutes=1))]
    stream += [
        article(f"x{i}", f(ORIGINAL), T0 + timedelta(minutes=2 + i)) for i, f in enumerate(COPIES.values())
    ]
    stream += [article("late", edited(ORIGINAL), T0 + timedelta(days=9))]
    in_dict = Deduper({}, settings=Settings())
    in_table = Deduper(JsonTable(), settings=Settings())
    assert [in_table.check(a) for a in stream] == [in_dict.check(a) for a in stream]
    # and a worker restarted on the same table (its changelog restored) still knows the original
    restarted = Deduper(in_table.store, settings=Settings())
    assert (
        restarted.check(article("again", edited(ORIGINAL), T0 + timedelta(days=9, hours=1))).duplicate_of
        == "late"
    )


# -- the decision rule on its own ----------------------------------------------------------
@pytest.mark.parametrize(
    ("share_new", "share_old", "copy"),
    [
        (1.0, 1.0, True),  # the same text
        (1.0, 0.67, True),  # trimmed to two thirds
        (0.88, 0.59, True),  # trimmed and edited
        (0.8, 1.0, True),  # extended by a paragraph
        (0.2, 0.5, False),  # quotes two of four paragraphs inside a longer piece
        (0.56, 0.56, False),  # short piece, half of it quoted from half of the other
        (0.67, 0.31, False),
    ],
)
def test_is_copy_needs_both_texts_to_cover_much_of_each_other(
    share_new: float, share_old: float, copy: bool
) -> None:
    assert is_copy(share_new, share_old) is copy


def test_a_short_article_ageing_out_of_the_window_is_forgotten_without_error() -> None:
    # bodies under MIN_WORDS are never indexed by content hash, so forgetting them must not
    # delete an "h:" key (KeyError on every short article's eviction, dead-lettering the newcomer)
    deduper = Deduper({}, settings=Settings(dedupe_window_days=1))
    deduper.check(article("short", "Breaking news, more soon."))
    late = deduper.check(article("later", ORIGINAL, T0 + timedelta(days=2)))
    assert late == DedupeVerdict(None, None, "later")
    assert "v:short" not in deduper.store



# -- a table written by the code before an upgrade ------------------------------------------
BEFORE = json.loads((FIXTURES / "store_written_before_speed.json").read_text(encoding="utf-8"))


def test_a_table_written_before_the_shingling_speed_steps_is_read_alike_after_them() -> None:
    # A worker restarted on a new version keeps its table: the samples and anchor keys in it
    # were hashed by the old code (fixture: written by it, the story model's keys left out,
    # they are not the sketch's), and copies of those originals must still be found, in any
    # script, and the originals' anchors removed when they leave the window.
    texts: dict[str, str] = BEFORE["texts"]
    deduper = Deduper(dict(BEFORE["store"]), settings=Settings())
    later = T0 + timedelta(hours=1)
    copies = {
        "en": edited(trimmed_to_two_thirds(texts["en"])),
        "ja": texts["ja"][: len(texts["ja"]) * 2 // 3],
        "el": " ".join(texts["el"].split(" ")[4:]),
    }
    for name, body in copies.items():
        verdict = deduper.check(article(f"copy-{name}", body, later))
        assert (verdict.duplicate_of, verdict.kind) == (name, "near"), name
    exact = deduper.check(article("exact-en", texts["en"], later))
    assert (exact.duplicate_of, exact.kind) == ("en", "exact")
    # one word and no text were never indexed: nothing is a copy of them
    for name in ("one", "empty"):
        assert deduper.check(article(f"again-{name}", texts[name], later)).duplicate_of is None
    # past the window, arrivals evict the old originals and every anchor key that named them
    old = set(texts)
    for i in range(6):
        deduper.check(article(f"new{i}", f"{OTHER} {i}", T0 + timedelta(days=30, minutes=i)))
    assert not any(f"v:{name}" in deduper.store for name in old)
    postings = [ids for key, ids in deduper.store.items() if key.startswith("a:")]
    assert postings and not any(old & set(ids) for ids in postings)
