"""The story model: decaying centroids, IDF learnt from the stream, merges, bounded state."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.dedupe import Deduper, stories
from pipeline.dedupe.features import Description
from pipeline.dedupe.stories import Stories, decode_hashes, term_hash
from pipeline.ids import content_hash
from schemas import Article
from tests.unit.test_dedupe import JsonTable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
UNRELATED = sorted((FIXTURES / "unrelated").glob("*.txt"))
T0 = datetime(2024, 6, 18, 6, 0, tzinfo=UTC)
DAY = 86_400


def about(terms: dict[str, int], names: set[str] | None = None) -> Description:
    return Description(Counter(terms), names or set())


def background(model: Stories, count: int = 30, at: int = 1_000) -> None:
    """Unrelated articles, so that the stream has learnt what is common and what is rare."""
    for i in range(count):
        model.assign(f"bg{i}", about({f"filler{i}": 2, f"other{i}": 1, "market": 1}), at + i, 0)


def text_article(path: Path, at: datetime, suffix: str = "") -> Article:
    title, body = path.read_text(encoding="utf-8").strip().split("\n", 1)
    url = f"https://outlet.example/{path.stem}{suffix}"
    return Article(
        id=(path.stem + suffix)[-16:].rjust(16, "0"), url=url, canonical_url=url, title=title.strip(), body=body,
        fetched_at=at, content_hash=content_hash(body),
    )  # fmt: skip


def test_an_article_about_the_same_event_joins_the_story_and_an_unrelated_one_does_not() -> None:
    model = Stories({})
    background(model)
    first = model.assign("a1", about({"putin": 3, "kim": 3, "summit": 2, "pyongyang": 2}, {"putin", "kim"}), 2_000, 0)
    same = model.assign("a2", about({"putin": 2, "kim": 2, "summit": 1, "treaty": 2}, {"putin", "kim"}), 2_100, 0)
    other = model.assign("o1", about({"hurricane": 3, "florida": 2, "landfall": 2}, {"florida"}), 2_200, 0)
    assert (first[0], same[0], other[0]) == ("a1", "a1", "o1")
    assert same[1] == 2


def test_a_story_quiet_for_longer_than_max_idle_is_not_joined() -> None:
    model = Stories({})
    background(model)
    event = {"putin": 3, "kim": 3, "summit": 2, "pyongyang": 2}
    model.assign("a1", about(event, {"putin", "kim"}), 2_000, 0)
    late = model.assign("a2", about(event, {"putin", "kim"}), 2_000 + stories.MAX_IDLE + 1, 0)
    assert late[0] == "a2"


def test_the_centroid_follows_recent_articles_and_forgets_old_ones() -> None:
    model = Stories({})
    background(model)
    model.assign("a1", about({"commission": 3, "opposed": 3, "vote": 2}), 2_000, 0)
    model.assign("a2", about({"commission": 3, "vote": 2, "debate": 2}), 2_000 + DAY // 2, 0)
    model.assign("a3", about({"commission": 3, "vote": 2, "debate": 1}), 2_000 + DAY, 0)
    assert model.assign("a4", about({"commission": 3, "vote": 2, "passed": 3}), 2_000 + 3 * DAY // 2, 0)[0] == "a1"
    centroid = model.store["s:a1"]["c"]
    # a day and a half later the first article weighs 0.35 of what it did
    assert centroid["passed"] > 2 * centroid["opposed"]


def test_a_story_quiet_for_more_than_half_a_day_must_be_matched_more_closely() -> None:
    model = Stories({})
    background(model)
    model.assign("a1", about({"commission": 3, "opposed": 3, "vote": 2}), 2_000, 0)
    later = about({"commission": 2, "vote": 1, "passed": 3, "budget": 2, "mayor": 2})
    soon = Stories(copy.deepcopy(model.store)).assign("a2", later, 2_000 + DAY // 4, 0)
    late = Stories(copy.deepcopy(model.store)).assign("a2", later, 2_000 + 2 * DAY, 0)
    assert (soon[0], late[0]) == ("a1", "a2")


def test_document_frequencies_are_learnt_from_the_stream_and_taken_back_when_articles_leave() -> None:
    model = Stories({})
    _, _, first = model.assign("a1", about({"waitrose": 2, "fire": 1}), 1_000, 0)
    _, _, second = model.assign("a2", about({"fire": 1, "brigade": 1}), 1_100, 0)
    fire = f"w:{term_hash('fire'):08x}"
    assert model.store[fire][0] == 2 and model.store["docs"] == 2
    assert term_hash("waitrose") in decode_hashes(first)
    model.forget(first)
    model.forget(second)
    assert model.store["docs"] == 0
    assert not [key for key in model.store if key.startswith("w:")]


def test_parallel_stories_of_one_event_merge_into_the_older_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # a lower bar than the default, so that three hand-made articles show the check
    monkeypatch.setattr(stories, "MERGE_SIMILARITY", 0.3)
    model = Stories({})
    background(model)
    model.assign("a1", about({"putin": 3, "kim": 3, "summit": 2, "pyongyang": 2}, {"putin", "kim"}), 2_000, 0)
    parallel = model.assign("b1", about({"summit": 2, "treaty": 3, "pact": 2, "signed": 1}), 2_100, 0)
    assert parallel[0] == "b1"  # too little in common with a1 on its own
    bridge = about({"putin": 3, "kim": 2, "summit": 3, "treaty": 3, "pact": 2, "pyongyang": 1}, {"putin", "kim"})
    assert model.assign("c1", bridge, 2_200, 0)[0] == "a1"
    assert model.store["s:b1"]["m"] == "a1"
    # later articles of the younger story, and copies of its articles, get the older id
    assert model.touch("b1", 2_300)[0] == "a1"
    follow = model.assign("b2", about({"treaty": 3, "pact": 2, "signed": 2, "summit": 1}), 2_400, 0)
    assert follow[0] == "a1"


def test_state_is_bounded_by_the_window_and_consistent_after_evictions() -> None:
    deduper = Deduper({}, settings=Settings(dedupe_window_days=1))
    paths = SEEDS + UNRELATED
    for day in range(6):  # the same texts again every day, under new urls: stories, not copies of the old
        for i, path in enumerate(paths):
            article = text_article(path, T0 + timedelta(days=day, minutes=20 * i), suffix=f"-{day}")
            body = f"{article.body}\nDay {day} of the coverage, update {i}."
            deduper.check(article.model_copy(update={"body": body, "content_hash": content_hash(body + str(day))}))
    store = deduper.store
    retained = [v for k, v in store.items() if k.startswith("v:")]
    assert len(retained) <= 2 * len(paths) + 4
    # the frequencies count exactly the retained articles that carry their terms
    counted = Counter(h for record in retained if "w" in record for h in decode_hashes(record["w"]))
    frequencies = {int(k[2:], 16): v[0] for k, v in store.items() if k.startswith("w:")}
    assert frequencies == dict(counted)
    assert store["docs"] == sum(1 for record in retained if "w" in record)
    live = {k for k in store if k.startswith("s:")}
    assert len(live) <= len(retained)


def test_a_json_store_and_a_restarted_worker_give_the_same_stories() -> None:
    stream = [text_article(p, T0 + timedelta(minutes=15 * i)) for i, p in enumerate(SEEDS + UNRELATED)]
    in_dict, in_table = Deduper({}, settings=Settings()), Deduper(JsonTable(), settings=Settings())
    first_half = len(stream) // 2
    expected = [in_dict.check(a) for a in stream]
    got = [in_table.check(a) for a in stream[:first_half]]
    restarted = Deduper(in_table.store, settings=Settings())  # a worker restored from the changelog
    got += [restarted.check(a) for a in stream[first_half:]]
    assert got == expected
    assert len({v.story_id for v in got[: len(SEEDS)]}) == 1


def test_state_written_by_the_previous_story_model_is_read_and_then_forgotten() -> None:
    # a dedupe table from before the upgrade: old story profiles and their "f:" postings
    store = {
        "s:old": {"t": 1_000, "n": 2, "f": {"e:putin": 3.1, "t:summit": 1.2}, "z": 3.3},
        "f:e:putin": [1, "old"],
        "stories": 1,
    }
    model = Stories(store)
    assert model.touch("old", 1_500) == ("old", 3)  # a copy of an old article joins its story
    assert model.assign("new", about({"putin": 3, "summit": 2}), 1_600, 0)[0] == "new"
    assert model.expire("old", 2_000)
    assert "s:old" not in store and "f:e:putin" not in store
