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


# -- sibling events: same kind, same places, another occurrence --------------------------------
FIRE_NAMES = {"waitrose", "banstead", "surrey", "wellington", "somerset"}


def fire_in(town: str, county: str, **extra: int) -> Description:
    """An article on a fire at a Waitrose supermarket in ``town``: the words both fires share, and its own."""
    terms = {"waitrose": 3, "fire": 3, "supermarket": 2, town: 3, county: 2, **extra}
    return about(terms, FIRE_NAMES & terms.keys())


def test_a_sibling_events_first_article_is_held_apart_and_the_next_one_takes_it_into_a_story_of_its_own() -> None:
    model = Stories(JsonTable())  # JSON values only, as in the Faust table
    background(model)
    assert model.assign("a1", fire_in("banstead", "surrey", blaze=2, destroyed=2), 2_000, 0)[0] == "a1"
    # the second fire's first article shares most words with the first fire's story: it joins it
    # (its id is published at once and never changes), but is held apart as a possible sibling
    assert model.assign("b1", fire_in("wellington", "somerset", arson=2, charged=2), 2_100, 0)[0] == "a1"
    assert model.store["s:a1"]["x"]["i"] == "b1"
    assert model.assign("a2", fire_in("banstead", "surrey", roof=2, crews=2), 2_200, 0)[0] == "a1"
    # the second fire's next article is far more alike the held one than the rest of the story:
    # the two start a story named after the held article
    assert model.assign("b2", fire_in("wellington", "somerset", arson=2, court=2), 2_300, 0)[:2] == ("b1", 1)
    assert model.assign("b3", fire_in("wellington", "somerset", court=2, denies=2), 2_400, 0)[0] == "b1"
    assert model.assign("a3", fire_in("banstead", "surrey", police=2, destroyed=1), 2_500, 0)[0] == "a1"
    # the held article's words left the first story's centroid
    first, second = model.store["s:a1"], model.store["s:b1"]
    assert "x" not in first and "wellington" not in first["c"] and "arson" not in first["c"]
    assert {"wellington", "waitrose"} <= set(second["e"]) and second["p"] == "a1"


def test_a_story_forked_out_of_another_is_never_merged_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "MERGE_SIMILARITY", 0.1)  # any two stories an article resembles would merge
    model = Stories({})
    background(model)
    model.assign("a1", fire_in("banstead", "surrey", blaze=2, destroyed=2), 2_000, 0)
    model.assign("b1", fire_in("wellington", "somerset", arson=2, charged=2), 2_100, 0)
    assert model.assign("b2", fire_in("wellington", "somerset", arson=2, court=2), 2_200, 0)[0] == "b1"
    both = about({"waitrose": 3, "fire": 3, "supermarket": 3, "banstead": 1, "wellington": 1}, {"waitrose"})
    model.assign("c1", both, 2_300, 0)
    assert "m" not in model.store["s:a1"] and "m" not in model.store["s:b1"]


def test_a_member_that_joined_weakly_is_held_only_until_the_next_members_side_with_the_story() -> None:
    model = Stories({})
    background(model)
    model.assign("a1", fire_in("banstead", "surrey", blaze=2, destroyed=2), 2_000, 0)
    # a weak match from the same fire (another outlet, other details): held apart
    weak = about({"banstead": 2, "waitrose": 1, "crimestoppers": 3, "cctv": 3, "appeal": 3}, {"banstead", "waitrose"})
    assert model.assign("a2", weak, 2_100, 0)[0] == "a1"
    assert model.store["s:a1"]["x"]["i"] == "a2"
    for i in range(stories.HOLD_JOINS):
        assert model.assign(f"a{i + 3}", fire_in("banstead", "surrey", blaze=2, roof=1), 2_200 + i, 0)[0] == "a1"
    assert "x" not in model.store["s:a1"]  # taken for a member: no story was forked out
    assert not [key for key in model.store if key.startswith("s:a") and key != "s:a1"]


# -- the event signature: stated quantities that contradict the story's ------------------------
CRASH = {"pedestrian": 2, "crosswalk": 2, "driver": 1}  # with 3 words of its own: a weak match (~0.3)


def crash(quantities: list[str], **extra: int) -> Description:
    """An article on a hit-and-run: the words two such crashes share, its own, and what its lede states."""
    return Description(Counter({**CRASH, **extra}), set(), quantities)


def test_an_article_whose_stated_age_contradicts_the_story_starts_its_own_story() -> None:
    model = Stories(JsonTable())
    background(model)
    assert model.assign("a1", crash(["age:59", "age:23"], queens=2, camry=2), 2_000, 0)[0] == "a1"
    # the same kind of crash, a victim of another age: another occurrence
    assert model.assign("b1", crash(["age:66"], bloomington=3, taser=3, sams=3), 2_100, 0)[0] == "b1"
    # the control: the same words stating the story's age join it
    assert model.assign("a2", crash(["age:59"], richmond=3, hill=3, avenue=3), 2_200, 0)[0] == "a1"


def test_an_article_that_states_more_or_nothing_is_not_held_against_the_story() -> None:
    model = Stories({})
    background(model)
    model.assign("a1", crash(["age:59"], queens=2, camry=2), 2_000, 0)
    # another person's age beside the victim's, or no quantity at all: one event
    assert model.assign("a2", crash(["age:36", "age:59"], bail=3, court=3, hearing=3), 2_100, 0)[0] == "a1"
    assert model.assign("a3", crash([], funeral=3, family=3, mourners=3), 2_200, 0)[0] == "a1"
    # a quantity of a kind the story never stated contradicts nothing
    assert model.assign("a4", crash(["$:5e+04"], reward=3, appeal=3, witness=3), 2_300, 0)[0] == "a1"


def test_sums_of_money_agree_when_rounded_differently_and_contradict_when_far_apart() -> None:
    deal = {"acquire": 2, "chipmaker": 2, "deal": 1}
    model = Stories({})
    background(model)
    model.assign("a1", Description(Counter({**deal, "seamicro": 2, "microserver": 2}), set(), ["$:3.3e+08"]), 2_000, 0)
    # "$300 million" beside "$334 million": one sum, rounded differently
    near = Description(Counter({**deal, "shares": 3, "analysts": 3, "premium": 3}), set(), ["$:3e+08"])
    far = Description(Counter({**deal, "graphics": 3, "ati": 3, "canadian": 3}), set(), ["$:5.4e+09"])
    assert model.assign("a2", near, 2_100, 0)[0] == "a1"
    assert model.assign("b1", far, 2_200, 0)[0] == "b1"


def test_a_close_match_joins_whatever_it_states() -> None:
    model = Stories({})
    background(model)
    model.assign("a1", crash(["age:59"], queens=2, camry=2), 2_000, 0)
    # the same words (a correction of the victim's age): the text says it is the same crash
    assert model.assign("a2", crash(["age:58"], queens=2, camry=2), 2_100, 0)[0] == "a1"


def test_a_story_keeps_only_its_latest_quantities() -> None:
    model = Stories(JsonTable())
    background(model)
    for i in range(20):
        model.assign(f"a{i}", crash([f"age:{20 + i}", "age:59"], queens=2), 2_000 + i, 0)
    kept = model.store["s:a0"]["q"]
    assert len(kept) == stories.STORY_QUANTITIES and "age:59" in kept and "age:39" in kept
