"""Stories: articles about one event share a story id; unrelated articles never do.

The seeds are five outlets' articles on one event (Putin's June 2024 visit to North
Korea); the unrelated fixtures are other news, one of them also about Russia and Ukraine.
"""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.dedupe import Deduper, features
from pipeline.dedupe.features import dates, describe, names, quantities
from pipeline.ids import content_hash
from pipeline.process import process_lines
from pipeline.stages import Pipeline
from pipeline.tagging.entities import person_titles
from schemas import Article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
UNRELATED = sorted((FIXTURES / "unrelated").glob("*.txt")) + [FIXTURES / "wire_original.txt"]
T0 = datetime(2024, 6, 18, 6, 0, tzinfo=UTC)


def article(path: Path, at: datetime) -> Article:
    """A text file as an article: first line the title, the rest the body."""
    title, body = path.read_text(encoding="utf-8").strip().split("\n", 1)
    url = f"https://outlet.example/{path.parent.name}/{path.stem}"
    return Article(
        id=path.stem[-16:].rjust(16, "0"), url=url, canonical_url=url, title=title.strip(), body=body,
        fetched_at=at, content_hash=content_hash(body),
    )  # fmt: skip


def run(paths: list[Path], deduper: Deduper | None = None, step: timedelta = timedelta(minutes=30)) -> dict:
    deduper = deduper or Deduper({}, settings=Settings())
    return {p: deduper.check(article(p, T0 + i * step)) for i, p in enumerate(paths)}


@pytest.mark.parametrize("order", range(4))
def test_the_seeds_are_one_story_and_the_unrelated_articles_are_not_in_it(order: int) -> None:
    paths = SEEDS + UNRELATED
    if order:
        random.Random(order).shuffle(paths)
    verdicts = run(paths)
    seed_stories = {verdicts[p].story_id for p in SEEDS}
    assert len(seed_stories) == 1
    assert all(verdicts[p].duplicate_of is None for p in SEEDS)
    # the story is named after the first seed seen
    first_seed = next(p for p in paths if p in SEEDS)
    assert seed_stories == {article(first_seed, T0).id}
    assert not seed_stories & {verdicts[p].story_id for p in UNRELATED}


def test_unrelated_articles_each_start_their_own_story() -> None:
    verdicts = run(UNRELATED)
    assert [v.story_id for v in verdicts.values()] == [article(p, T0).id for p in UNRELATED]


def test_a_story_id_once_given_does_not_change() -> None:
    deduper = Deduper({}, settings=Settings())
    first = run(SEEDS[:2], deduper)
    run(SEEDS[2:] + UNRELATED, deduper)
    again = {p: deduper.check(article(p, T0)) for p in SEEDS[:2]}
    assert again == first


def test_an_article_about_the_event_after_the_window_starts_a_new_story() -> None:
    deduper = Deduper({}, settings=Settings(dedupe_window_days=1))
    run(SEEDS[:3], deduper)
    late = deduper.check(article(SEEDS[3], T0 + timedelta(days=3)))
    assert late.story_id == article(SEEDS[3], T0).id


def page_line(path: Path, at: datetime) -> str:
    title, body = path.read_text(encoding="utf-8").strip().split("\n", 1)
    return json.dumps({
        "url": f"https://outlet.example/{path.parent.name}/{path.stem}", "title": title.strip(),
        "content": body, "content_type": "text/plain", "fetched_at": at.isoformat(), "source": "test",
    })  # fmt: skip


def test_the_seeds_through_wirefeed_process_are_one_story_and_no_duplicates() -> None:
    paths = [UNRELATED[0], *SEEDS[:2], UNRELATED[1], *SEEDS[2:], *UNRELATED[2:]]
    lines = [page_line(p, T0 + timedelta(minutes=20 * i)) for i, p in enumerate(paths)]
    out = io.StringIO()
    process_lines(lines, Pipeline(Settings()), out)
    articles = {a["url"].rsplit("/", 1)[1]: a for a in map(json.loads, out.getvalue().splitlines())}
    seeds = [articles[p.stem] for p in SEEDS]
    assert all(a["duplicate_of"] is None for a in seeds)
    assert len({a["story_id"] for a in seeds}) == 1
    others = {articles[p.stem]["story_id"] for p in UNRELATED}
    assert seeds[0]["story_id"] not in others
    assert len(others) == len(UNRELATED)


# -- what the article says --------------------------------------------------------------------
def test_names_are_words_capitalised_where_case_means_something() -> None:
    found = names(
        "Russian President Vladimir Putin met Kim Jong-un in Pyongyang. Later, Putin's aide spoke.\n"
        "Officials said the FBI was not involved."
    )
    assert {"vladimir", "putin", "kim", "jong", "pyongyang", "fbi"} <= found
    # sentence starts say nothing about case: "Later" and "Officials" are not names
    assert not {"later", "official", "president"} & found


def test_a_title_the_entity_tagger_knows_is_not_a_name_but_an_office_it_qualifies_is() -> None:
    # one list of titles for both stages: the tagger's ("Pope", "Coach", "Ambassador")
    assert {"pope", "coach", "ambassador", "president"} <= person_titles()
    found = names("The visit of Pope Benedict was planned by Ambassador Smith with Coach Carter in the city.")
    assert {"benedict", "smith", "carter"} <= found
    assert not {"pope", "ambassador", "coach"} & found
    # "Justice" and "State" qualify a title ("Justice Minister") and an office ("Justice Department"):
    # in the office's name they tell a story apart
    found = names("He said the Justice Department and the State Department would review the case.")
    assert {"justice", "state", "department"} <= found


def test_a_capital_inside_a_word_does_not_start_a_name_of_its_own() -> None:
    # "McDonald" is one name, not "Donald"; an "iPhone" is not a "Phone"; "Jong-Un" gives "Jong"
    found = names("Shares of McDonald rose after the iPhone event, said Kim Jong-Un in Seoul.")
    assert {"mcdonald", "kim", "jong", "seoul"} <= found
    assert not {"donald", "phone", "un"} & found


def test_a_sentence_initial_word_is_a_name_when_the_article_also_capitalises_it_inside_a_sentence() -> None:
    found = names("Chohan was pronounced dead. Police said Raj Chohan, 59, had just parked.")
    assert "chohan" in found
    assert "police" not in found


def test_title_case_headlines_are_not_read_as_names() -> None:
    headline = "Biden Administration Set To Scale Back Booster Plan Amid Lagging Data"
    assert names(headline) == set()
    about = describe(headline, "The White House said on Friday that Biden would scale back the booster plan.")
    assert {"biden", "white", "house"} <= about.names
    assert not {"scale", "booster", "lagging", "administration"} & about.names
    assert about.terms["booster"] == 3  # the title counts twice: it says what happened


def test_dates_are_calendar_days_and_years_whatever_the_style() -> None:
    assert dates("Talks on June 18, a visit on 19 June, signed 20.06.2024.") == {"6-18", "6-19", "6-20", "2024"}
    assert dates("He may 5 times ask; Janet 12 said; in 12024 units") == set()


def test_terms_drop_function_words_and_fold_plurals() -> None:
    about = describe(None, "The fires at two Waitrose stores: firefighters said the fire spread.")
    assert about.terms["fire"] == 2
    assert "the" not in about.terms and "said" not in about.terms
    assert "waitrose" in about.names


@pytest.mark.parametrize("body", ["", "   ", "12 34", "A", "\u0000\u0001", "Ünïcödé ÄÖÜ ß"])
def test_descriptions_of_empty_or_odd_text_are_empty_or_small(body: str) -> None:
    assert len(describe(None, body).terms) <= 2


# -- the event signature: what the lede states that pins one occurrence down -----------------
def test_the_event_signature_is_the_sums_ages_and_magnitudes_the_lede_states_in_order() -> None:
    text = (
        "Anthony LaSalle, 36, of Bloomington hit a 66-year-old woman; a man aged 24 was charged. "
        "AMD bought ATI for US$5.4-billion, not $334 million; €1,200,000 and £3bn and $5m. "
        "A magnitude 4. 6 quake followed a 4.2-magnitude one."
    )
    assert quantities(text) == ["age:36", "age:66", "age:24", "$:5.4e+09", "$:3.3e+08", "€:1.2e+06"]
    assert quantities("£3bn and $5m; a magnitude of 4. 6 and a 4.2-magnitude quake") == [
        "£:3e+09", "$:5e+06", "mag:4.6", "mag:4.2",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "",
        "No figures at all in this sentence.",
        "A $2.99 app and a $15 ticket",  # prices of things: not a sum that tells events apart
        "$ and $, and $.5 and 5$",  # malformed sums
        "an order of magnitude, a magnitude of the problem",
        "five-year-olds and 2020 years old traditions",
        "Ein Mann von 66 Jahren; 5,4 Milliarden Euro; un homme de 66 ans",  # other languages: nothing
    ],
)
def test_text_without_such_quantities_has_an_empty_signature(text: str) -> None:
    assert quantities(text) == []


def test_the_signature_comes_from_the_title_and_the_lede_only_and_is_bounded() -> None:
    late = "x " * features.LEDE_CHARS + "The driver, 45, was held."
    assert describe(None, late).quantities == []
    assert describe("Driver kills 59-year-old woman", late).quantities == ["age:59"]
    many = " ".join(f"a {age}-year-old" for age in range(20, 40))
    assert describe(None, many).quantities == [f"age:{age}" for age in range(20, 20 + features.MAX_QUANTITIES)]


def test_odd_figures_give_a_small_signature_and_never_fail() -> None:
    odd = "$" + "9" * 400 + " trillion, " + "aged 999 " * 50 + "Smith, 12, of " * 50
    assert len(quantities(odd)) <= features.MAX_QUANTITIES
    assert quantities("a 4.2.3-magnitude; magnitude 12; $1,2,3") == []
