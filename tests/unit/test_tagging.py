"""Specification of the tagger: IPTC topics with calibrated scores, canonical entities, language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.tagging import Tagger
from pipeline.tagging.entities import EntityExtractor
from pipeline.tagging.topics import TopicClassifier
from pipeline.tagging.vocabulary import media_topics, top_level_codes
from pipeline.text import lower_word_tokens, lower_word_tokens_from_pieces, match_normalise, split_pieces
from tests.conftest import SEEDS

HANDWRITTEN = Path(__file__).resolve().parents[1] / "fixtures/tagging/handwritten.txt"
DESKS = HANDWRITTEN.parent / "desks.txt"  # one short article for each of the common news desks
POLITICS, CONFLICT, ECONOMY = "medtop:11000000", "medtop:16000000", "medtop:04000000"
FIVE = ["medtop:04000000", "medtop:01000000", "medtop:11000000", "medtop:15000000", "medtop:13000000"]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def _best_of_five(tags) -> str:
    scores = {t.code: t.score for t in tags.topics}
    return min(FIVE, key=lambda code: (-scores.get(code, 0.0), code))


def test_vocabulary_has_the_17_real_top_level_topics() -> None:
    topics = media_topics()
    assert len(top_level_codes()) == 17
    assert topics["medtop:01000000"].label == "arts, culture, entertainment and media"
    assert topics["medtop:16000000"].label == "conflict, war and peace"
    assert topics["medtop:17000000"].label == "weather"
    assert all(t.parent in topics for t in topics.values() if t.parent)


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("Bank shares fall after profit warning",
         "Shares in the lender dropped 6% on the London Stock Exchange after it told investors that annual "
         "pre-tax profits would miss analysts' forecasts. The chief executive blamed weak mortgage demand.",
         "medtop:04000000"),
        ("Comedy star wins top TV award",
         "The actress picked up best comedy performance at the television awards ceremony for her sitcom, "
         "beating the stars of two BBC dramas. The film version of the show opens in cinemas next month.",
         "medtop:01000000"),
        ("Tories attack Labour over council tax",
         "The Conservatives accused ministers of breaking promises after council tax bills rose again. "
         "Shadow ministers told MPs that voters would punish the government at the general election.",
         "medtop:11000000"),
        ("Striker double sends United top",
         "A second-half double from the striker gave Manchester United a 2-0 win at Old Trafford and lifted "
         "them to the top of the Premiership table. The manager praised his side's defending.",
         "medtop:15000000"),
        ("New phone lets users surf the net",
         "The handset can browse the internet over a fast 3G connection and play music downloads. The "
         "software also syncs e-mail with a PC, and gamers can play online games on the colour screen.",
         "medtop:13000000"),
    ],
)
def test_each_of_the_five_news_classes_wins_its_own_article(tagger, title, body, expected) -> None:
    assert _best_of_five(tagger.tag(title, body)) == expected


def _labelled_blocks(path: Path) -> list[list[str]]:
    """The articles of a hand-labelled fixture (tests/fixtures/tagging/README.md): each a list of
    lines, the "## id | primary | others" head first, then the title, then the body."""
    return [block.splitlines() for block in path.read_text("utf-8").strip().split("\n\n")]


def _labelled_articles(path: Path) -> list[tuple[str, str, str]]:
    """(primary topic code, title, body) of each article of a hand-labelled fixture."""
    return [(f"medtop:{int(head.split('|')[1]):02d}000000", title, "\n".join(body))
            for head, title, *body in _labelled_blocks(path)]


def _article_ids(path: Path) -> list[str]:
    return [head.split("|")[0].strip("# ") for head, *_ in _labelled_blocks(path)]


def test_handwritten_five_class_articles_are_mostly_right(tagger) -> None:
    total = right = 0
    for primary, title, body in _labelled_articles(HANDWRITTEN):
        if primary in FIVE:
            total += 1
            right += _best_of_five(tagger.tag(title, body)) == primary
    assert total >= 60
    assert right / total >= 0.9


def test_every_subtopic_comes_with_its_top_level_ancestor_scored_at_least_as_high(tagger) -> None:
    tags = tagger.tag(
        "Earthquake and floods hit region",
        "A powerful earthquake flattened villages and floods forced thousands from their homes. "
        "Rescue teams searched the rubble as the death toll rose and aid agencies flew in tents.",
    )
    scores = {t.code: t.score for t in tags.topics}
    assert any(media_topics()[code].parent for code in scores)
    for code, score in scores.items():
        parent = media_topics()[code].parent
        if parent:
            assert parent in scores and scores[parent] >= score
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert list(scores.values()) == sorted(scores.values(), reverse=True)


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seeds_are_politics_and_conflict_with_canonical_entities(tagger, seed) -> None:
    title, body = seed.read_text("utf-8").split("\n", 1)
    tags = tagger.tag(title, body)
    codes = {t.code for t in tags.topics}
    assert {POLITICS, CONFLICT} <= codes
    assert tags.lang == "en"
    entities = {(e.name, e.type): e for e in tags.entities}
    assert ("Vladimir Putin", "person") in entities
    assert ("Kim Jong Un", "person") in entities
    assert entities[("North Korea", "place")].iso == "KP"
    assert all(e.count >= 1 for e in tags.entities)


def test_seeds_with_sanctions_and_payment_passages_are_economy_too(tagger) -> None:
    economy = 0
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text("utf-8")
        if "sanctions" in text or "payment" in text:
            title, body = text.split("\n", 1)
            economy += ECONOMY in {t.code for t in tagger.tag(title, body).topics}
    assert economy >= 3


def test_seed_entities_cover_russia_ukraine_and_the_capitals(tagger) -> None:
    found: dict[str, object] = {}
    for seed in sorted(SEEDS.glob("*.txt")):
        for entity in tagger.tag(None, seed.read_text("utf-8")).entities:
            found[entity.name] = entity
    assert found["Russia"].iso == "RU"
    assert found["Ukraine"].iso == "UA"
    assert found["North Korea"].iso == "KP"
    assert {"Pyongyang", "Moscow"} <= found.keys()


def test_aliases_and_spelling_variants_become_one_canonical_entity(tagger) -> None:
    entities = _entities(
        tagger, None,
        "Kim Jong-un met officials in the DPRK capital. The Democratic People's Republic of Korea said "
        "Kim Jong Un would travel to Moscow. Putin welcomed him; the U.S. and the UN objected.",
    )
    assert entities["Kim Jong Un"].count == 2
    assert entities["North Korea"].count == 2 and entities["North Korea"].iso == "KP"
    assert entities["Vladimir Putin"].count == 1
    assert entities["United States"].iso == "US"
    assert entities["United Nations"].type == "organisation"
    assert entities["Moscow"].type == "place"


def test_unknown_people_are_found_with_titles_stripped_and_surnames_counted(tagger) -> None:
    tags = tagger.tag(
        None,
        "Ambassador Gordon Sondland testified on Wednesday. Sondland said he had followed orders. "
        "Mr Sondland also met Senator Ron Wyden.",
    )
    entities = {e.name: e for e in tags.entities}
    assert entities["Gordon Sondland"].type == "person"
    assert entities["Gordon Sondland"].count == 3
    assert "Ron Wyden" in entities
    assert [e.count for e in tags.entities] == sorted((e.count for e in tags.entities), reverse=True)


def test_lowercase_words_are_not_acronym_entities(tagger) -> None:
    tags = tagger.tag(None, "Tell us who you are: the people who work with us in the world.")
    assert not {"United States", "World Health Organization"} & {e.name for e in tags.entities}


@pytest.mark.parametrize(
    "body", ["", "   \n  ", "1234567890 42 3.14", "!!! ??? ...", "a" * 5000, "Ümläüt ß ø 😀 \x00 \ufeff"]
)
def test_empty_and_odd_input_does_not_crash(tagger, body) -> None:
    tags = tagger.tag(None, body)
    assert all(0.0 <= t.score <= 1.0 for t in tags.topics)
    assert tags.lang is None or len(tags.lang) == 2


def test_non_english_text_gets_its_language_and_does_not_crash(tagger) -> None:
    german = tagger.tag("Regierung beschließt Haushalt", "Der Bundestag hat am Donnerstag den Haushalt für "
                        "das kommende Jahr beschlossen. Die Opposition kritisierte die neuen Schulden.")
    russian = tagger.tag(None, "Президент России провёл переговоры с лидером КНДР в Пхеньяне.")
    assert german.lang == "de"
    assert russian.lang == "ru"


def test_tagging_is_deterministic(tagger) -> None:
    body = "Chelsea beat Arsenal as Blair and Brown campaigned in London for the election."
    assert tagger.tag("Title", body) == tagger.tag("Title", body)
    assert Tagger().tag("Title", body) == tagger.tag("Title", body)


# The fast path in Tagger.tag shares one normalisation and one tokenisation between topics and entities;
# it must give exactly what the two stages give on their own.
NUMBERS_MONEY_AND_POSSESSIVES = [
    "Shares in Lloyds Banking Group fell 3.5% to 1,000.25p; the £2bn deal values it at $1,200,000,000.",
    "Gordon Brown's aide met Kim Jong-un's envoy. Brown's team said U.S. and U.K. officials agreed.",
    "Prices: €3, £4.50, $5. Formula 1 and the FTSE 100 rose 1.2.3 points; G7 and pm2.5 levels s 5s.",
    "“Quoted” ‘words’ from Trump’s Tower\u00a0in New York, 10,000 miles away.",
]


@pytest.mark.parametrize("text", NUMBERS_MONEY_AND_POSSESSIVES)
def test_shared_tokens_are_exactly_the_topic_tokens(text) -> None:
    clean = match_normalise(text)
    assert lower_word_tokens_from_pieces(split_pieces(clean), clean) == lower_word_tokens(clean)


@pytest.mark.parametrize("text", NUMBERS_MONEY_AND_POSSESSIVES)
@pytest.mark.parametrize("title", [None, "Brown's £2bn plan for the U.S. 1,000 jobs"])
def test_tag_equals_the_topic_and_entity_stages_run_on_their_own(tagger, title, text) -> None:
    tags = tagger.tag(title, text)
    topics = TopicClassifier().classify(title, text)
    entities = EntityExtractor().extract(f"{title}\n{text}" if title else text)
    assert [(t.code, t.label, t.score) for t in tags.topics] == topics
    assert [e.model_dump(exclude_none=True) for e in tags.entities] == entities


@pytest.mark.parametrize("text", NUMBERS_MONEY_AND_POSSESSIVES)
def test_shared_tokens_reuse_the_lower_case_tokens_the_caller_has(text) -> None:
    clean = match_normalise(text)
    pieces = split_pieces(clean)
    lower = [t.lower() for t in pieces[1::2]]
    assert lower_word_tokens_from_pieces(pieces, clean, lower) == lower_word_tokens(clean)


def _fixture_texts() -> list[str]:
    texts = []
    for path in sorted((HANDWRITTEN.parent / "lang").glob("*.jsonl")) + sorted(HANDWRITTEN.parent.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            texts.append(f"{row['title']}\n{row['body']}" if row.get("title") else row["body"])
    for path in (HANDWRITTEN, HANDWRITTEN.parent / "holdout.txt"):  # "# id | topics" line, then title and body
        texts += ["\n".join(block.strip().splitlines()[1:]) for block in path.read_text("utf-8").split("\n\n")]
    return texts


def test_the_english_fast_path_agrees_with_the_language_model() -> None:
    from pipeline.tagging import language

    texts = _fixture_texts()
    fast = [t for t in texts if language._plainly_english(t[: language.SAMPLE_CHARS])]
    assert len(fast) >= 20  # the English samples do take the fast path...
    model = language._identifier()
    # ...and on each of them the model, asked directly, says English too
    assert {model.classify(t[: language.SAMPLE_CHARS])[0] for t in fast} == {"en"}
    # other languages never take it, even with English names and loanwords in them
    assert not any(language._plainly_english(t) for t in texts if language._identifier().classify(t)[0] != "en")


def test_text_with_a_few_english_words_is_not_taken_for_english_by_the_fast_path() -> None:
    from pipeline.tagging.language import _plainly_english, detect_language

    german = (
        "Der Chef von The Walt Disney Company sagte am Montag in Berlin, dass der Konzern seine Pläne für "
        "the new streaming service nicht ändern werde. Die Aktie fiel um drei Prozent."
    )
    assert not _plainly_english(german)
    assert detect_language(german) == "de"
    dutch = (
        "We hebben het gisteren besproken en het is duidelijk dat de regering was gewaarschuwd. Het plan had "
        "volgens de minister geen gevolgen voor de begroting, maar de oppositie is het daar niet mee eens."
    )
    danish = (
        "Regeringen har besluttet at hæve skatten for de største virksomheder, og ministeren sagde i går at "
        "det er nødvendigt for at finansiere velfærden. Oppositionen kalder forslaget for et løftebrud."
    )
    for text in (dutch, danish):
        assert not _plainly_english(text)


def test_the_language_model_loaded_in_one_piece_answers_as_py3langids_own_loader() -> None:
    from py3langid import langid

    from pipeline.tagging.language import _load_identifier

    ours = _load_identifier()
    theirs = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=False)
    texts = [
        "The government announced new measures to support the economy on Tuesday.",
        "Le gouvernement a annoncé mardi de nouvelles mesures pour soutenir l'économie.",
        "Правительство объявило во вторник новые меры поддержки экономики.",
        "先日、不正に改造したiPhoneを販売したとして逮捕された。",
    ]
    assert [ours.classify(t) for t in texts] == [theirs.classify(t) for t in texts]


# --- language-aware topics ------------------------------------------------------------------------

LANG_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/tagging/lang"
TOPS = set(top_level_codes())


def _labelled(name: str) -> list[dict]:
    return [json.loads(line) for line in (LANG_FIXTURES / f"{name}.jsonl").read_text("utf-8").splitlines()]


def _top(tags) -> str | None:
    scores = {t.code: t.score for t in tags.topics if t.code in TOPS}
    return min(scores, key=lambda c: (-scores[c], c)) if scores else None


@pytest.mark.parametrize("lang", ["de", "fr", "es", "ru"])
def test_each_wire_language_is_tagged_from_its_own_lexicon(tagger, lang) -> None:
    rows = _labelled(lang)
    assert len(rows) >= 100
    right = tagged = 0
    for row in rows:
        tags = tagger.tag(row["title"], row["body"])
        assert tags.lang == lang
        top = _top(tags)
        if top is not None:
            tagged += 1
            right += top in {f"medtop:{c}000000" for c in row["topics"]}
    assert tagged >= 0.95 * len(rows)
    assert right / tagged >= 0.8


def test_an_unsupported_language_gets_no_topics_and_says_why(tagger) -> None:
    rows = _labelled("unsupported")
    for row in rows:
        tags = tagger.tag(row["title"], row["body"])
        assert tags.topics == []
        assert tags.topic_status == "unsupported_language"
        assert tags.lang not in {"en", "de", "fr", "es", "ru"}


def test_the_tag_stage_reports_why_an_article_got_no_topics_to_the_metrics(tagger) -> None:
    from pipeline import metrics
    from pipeline.config import Settings
    from pipeline.stages import Pipeline
    from schemas import Article

    def untagged() -> float:
        return metrics.UNTAGGED_TOPICS.labels("unsupported_language")._value.get()

    pipeline = Pipeline(Settings(), tagger=tagger, build=())
    before = untagged()
    rows = _labelled("unsupported")
    for n, row in enumerate(rows):
        article = Article(id=f"a{n}", url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                          title=row["title"], body=row["body"], content_hash="0" * 16)
        pipeline.tag(article)
        observed = pipeline.observe()
        assert observed.untagged == "unsupported_language"
        observed.record()  # where the metrics are served: the worker's or process's own registry
    assert untagged() - before == len(rows)


def test_too_little_text_to_tell_the_language_gets_no_topics(tagger) -> None:
    tags = tagger.tag(None, "Bank shares")
    assert tags.topics == [] and tags.topic_status == "unknown_language"


def test_german_words_that_look_english_are_not_english_cues(tagger) -> None:
    tags = tagger.tag(
        "Neuer Chef für den Bäckereiverband",
        "Der Verband war lange ohne Führung. Nun hat er einen neuen Chef gewählt, und das ging fast ohne "
        "Streit: Die Mitglieder stimmten am Montag in Köln mit großer Mehrheit für den Kandidaten.",
    )
    codes = {t.code for t in tags.topics}
    assert tags.lang == "de"
    assert not codes & {"medtop:16000000", "medtop:12000000", "medtop:10000000", "medtop:13000000"}


# --- context over single words --------------------------------------------------------------------


def test_a_team_name_consumes_its_words() -> None:
    scores = TopicClassifier().scores(
        "Packers Beat Bears", "Brett Favre threw two touchdown passes as the Green Bay Packers beat the Bears."
    )
    assert max((c for c in scores if c in TOPS), key=scores.get) == "medtop:15000000"
    assert "medtop:06000000" not in scores  # "green" is part of the team's name


def test_a_dateline_is_not_topic_evidence() -> None:
    scores = TopicClassifier().scores(
        "Bears Sign Linebacker",
        "LAKE FOREST, Ill. (Sports Network) - The Chicago Bears signed linebacker Joe Smith to a one-year "
        "contract on Tuesday, the team said.",
    )
    assert "medtop:07000000" not in scores  # "Ill." is Illinois, not "ill"
    assert max((c for c in scores if c in TOPS), key=scores.get) == "medtop:15000000"


def test_an_ambiguous_word_needs_support_from_the_rest_of_the_text() -> None:
    classifier = TopicClassifier()
    alone = classifier.scores(None, "The pitcher threw a two-strike, two-out fastball in the ninth inning.")
    assert "medtop:09000000" not in alone  # "strike" without any other labour cue
    backed = classifier.scores(None, "The union called a strike after pay talks with the employer failed.")
    assert "medtop:09000000" in backed


def test_ambiguity_belongs_to_a_term_and_a_topic() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon(
        "[medtop:15000000]\n3: football\n2: ?slams\n[medtop:11000000]\n3: minister\n1: slams\n",
        media_topics(),
    )
    classifier = TopicClassifier(lexicon)
    # a headline's "slams" is no sport cue on its own, but stays plain evidence for politics
    alone = classifier.scores("Minister slams critics", "The minister answered questions.")
    assert "medtop:15000000" not in alone and "medtop:11000000" in alone
    # beside a sure sport cue it counts for sport
    backed = topic_evidence_of(lexicon, "Coach slams referee", "A football coach was angry.")
    bare = topic_evidence_of(lexicon, "Coach criticises referee", "A football coach was angry.")
    assert backed["medtop:15000000"] > bare["medtop:15000000"]


def test_a_question_mark_overrides_a_plain_listing_for_the_same_topic_and_its_subtopics() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon(
        "[medtop:20000822]\n2: hurdles\n[medtop:15000000]\n3: athletics\n1: ?hurdles\n", media_topics()
    )
    assert topic_evidence_of(lexicon, None, "Legal hurdles remain for the merger.") == {}
    with_support = topic_evidence_of(lexicon, None, "She won the hurdles at the athletics meeting.")
    assert with_support == {"medtop:15000000": 3.0 + 2.0}  # the subtopic has no sure cue of its own


def test_an_exact_case_term_of_one_topic_leaves_the_word_plain_for_the_others() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon("[medtop:15000000]\n2: ?=Heat, nba\n[medtop:17000000]\n2: heat\n", media_topics())
    weather = topic_evidence_of(lexicon, None, "The heat will last until Friday.")
    assert list(weather) == ["medtop:17000000"]  # the lower-case word is still weather
    team = topic_evidence_of(lexicon, None, "The Heat won their NBA game.")
    assert team["medtop:15000000"] == 4.0
    assert topic_evidence_of(lexicon, None, "the heat won their nba game")["medtop:15000000"] == 2.0


@pytest.mark.parametrize(("primary", "title", "body"), _labelled_articles(DESKS), ids=_article_ids(DESKS))
def test_the_vocabulary_covers_the_common_news_desks(primary, title, body) -> None:
    scores = TopicClassifier().scores(title, body)
    assert max((c for c in scores if c in TOPS), key=scores.get) == primary


def test_everyday_senses_of_topic_words_need_support() -> None:
    classifier = TopicClassifier()
    # "homes" is no sport cue and "Corp." no business cue on their own ...
    assert "medtop:15000000" not in classifier.scores(None, "The storm knocked out power to 75,000 homes.")
    assert "medtop:04000000" not in classifier.scores(None, "Acme Corp. unveiled a faster laptop chip.")
    # ... but count beside a sure cue of their topic
    assert "medtop:04000000" in classifier.scores(None, "Acme Corp. said quarterly profit rose.")


def test_names_get_no_plural_forms() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon("[medtop:11000000]\n1!: france\n2: election\n", media_topics())
    assert topic_evidence_of(lexicon, None, "Hurricane Frances hit Florida.") == {}
    assert "medtop:11000000" in topic_evidence_of(lexicon, None, "France votes, and so do elections elsewhere.")


def topic_evidence_of(lexicon, title, body):
    from pipeline.tagging.topics import topic_evidence

    return topic_evidence(title, body, lexicon)


def test_exact_case_terms_match_only_their_spelling() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon("[medtop:13000000]\n3: =Apple, iphone\n", media_topics())
    classifier = TopicClassifier(lexicon)
    assert "medtop:13000000" in classifier.scores(None, "Apple reported strong demand for its computers.")
    assert "medtop:13000000" not in classifier.scores(None, "An apple a day keeps the doctor away.")


def test_a_title_word_is_one_more_occurrence_not_a_doubled_weight() -> None:
    from pipeline.tagging.topics import TITLE_TIE_BREAK, default_lexicon, topic_evidence

    lexicon = default_lexicon()
    with_title = topic_evidence("Election", "Voters went to the polls.", lexicon)
    in_body = topic_evidence(None, "Election. Voters went to the polls.", lexicon)
    assert with_title.keys() == in_body.keys()
    for code, evidence in in_body.items():  # the same, up to the tie-break's share
        assert evidence <= with_title[code] <= evidence * (1 + 2 * TITLE_TIE_BREAK)


def test_between_two_equally_supported_topics_the_headlines_wins() -> None:
    from pipeline.tagging.topics import parse_lexicon

    lexicon = parse_lexicon("[medtop:15000000]\n2: football\n[medtop:04000000]\n2: shares\n", media_topics())
    classifier = TopicClassifier(lexicon)
    # each text names each topic once: a tie, which the title decides (without it, the code would)
    for title, body, winner in (
        ("Football today", "Shares of the club were sold.", "medtop:15000000"),
        ("Shares today", "The club's football was poor.", "medtop:04000000"),
    ):
        scores = classifier.scores(title, body)
        assert scores[winner] > max(score for code, score in scores.items() if code != winner)


# --- calibration ----------------------------------------------------------------------------------


def test_scores_grow_with_evidence_and_with_the_lead_over_the_runner_up() -> None:
    from pipeline.tagging.topics import default_calibration

    calibration = default_calibration()
    assert calibration.score(2.0, 2.0) < calibration.score(8.0, 8.0)
    assert calibration.score(4.0, 4.0, margin=0.0) < calibration.score(4.0, 4.0, margin=0.8)
    assert calibration.score(2.0, 8.0) < calibration.score(8.0, 8.0)
    assert calibration.score(0.0, 8.0) == 0.0


# --- entities -------------------------------------------------------------------------------------


def _entities(tagger, title, body) -> dict[str, object]:
    return {e.name: e for e in tagger.tag(title, body).entities}


def test_officials_with_titles_agencies_states_and_world_cities_are_found(tagger) -> None:
    found = _entities(
        tagger,
        None,
        "REDMOND, Wash. (AP) - President Bush met Governor Arnold Schwarzenegger of California in Sacramento. "
        "SRINAGAR (IANS) - Police arrested three men, coach Dusty Baker said in Porto Alegre.",
    )
    assert found["Washington"].type == "place" and found["Washington"].country == "US"
    assert found["Associated Press"].type == "organisation"
    assert found["Indo-Asian News Service"].type == "organisation"
    assert found["George W. Bush"].type == "person"  # "President Bush": a title makes the short form count
    assert found["Arnold Schwarzenegger"].type == "person"
    assert found["Dusty Baker"].type == "person"
    assert found["California"].country == "US"
    assert {"Sacramento", "Srinagar", "Porto Alegre", "Redmond"} <= found.keys()


def test_a_place_name_inside_a_persons_name_is_not_a_place(tagger) -> None:
    found = _entities(tagger, None, "Michael Jordan and Kobe Bryant watched as Chad Henne threw for Michigan.")
    assert {"Michael Jordan", "Kobe Bryant", "Chad Henne"} <= {n for n, e in found.items() if e.type == "person"}
    assert not {"Jordan", "Kobe", "Bryant", "Chad"} & found.keys()


def test_sports_teams_are_organisations(tagger) -> None:
    found = _entities(tagger, None, "The New York Yankees beat the Boston Red Sox; Bayern Munich lost.")
    assert all(found[n].type == "organisation" for n in ("New York Yankees", "Boston Red Sox", "FC Bayern München"))


def test_german_capitalised_nouns_are_not_names(tagger) -> None:
    tags = tagger.tag(
        "Nach den Charlie Anschlägen",
        "Der Service der Bahn war schlecht. Die Lage in der Ukraine bleibt angespannt, sagte "
        "Außenministerin Annalena Baerbock in Berlin. Sachsens Ministerpräsident Michael Kretschmer "
        "kritisierte die Deutsche Bahn.",
    )
    found = {e.name: e.type for e in tags.entities}
    assert found["Annalena Baerbock"] == "person"
    assert found["Michael Kretschmer"] == "person"
    assert found["Deutsche Bahn"] == "organisation"
    assert found["Ukraine"] == "place" and found["Berlin"] == "place"
    junk = {"Charlie Anschlägen", "Der Service", "Service", "Lage", "Sachsens Ministerpräsident Michael Kretschmer"}
    assert not junk & found.keys()


@pytest.mark.parametrize(("lang", "precision", "recall"), [("en", 0.9, 0.85), ("de", 0.9, 0.85)])
def test_entity_samples_meet_precision_and_recall(tagger, lang, precision, recall) -> None:
    import importlib.util
    import sys

    bench_file = Path(__file__).resolve().parents[2] / "bench/tagging.py"
    spec = importlib.util.spec_from_file_location("bench_tagging", bench_file)
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_tagging"] = bench
    spec.loader.exec_module(bench)
    tp, fp, fn = bench.entity_scores(tagger, lang, errors=False)
    assert tp + fn >= 250
    assert tp / (tp + fp) >= precision
    assert tp / (tp + fn) >= recall


def test_a_german_compound_is_read_by_its_last_known_part() -> None:
    from pipeline.tagging.topics import language_lexicon

    lexicon = language_lexicon("de")
    assert lexicon is not None
    assert lexicon.tokens(["drohnenangriffe"]) == lexicon.tokens(["angriffe"])  # a new compound of a term
    assert lexicon.tokens(["bürgermeister"]) == lexicon.tokens(["bürgermeister"])  # a term stays whole
    classifier = TopicClassifier(lexicon)
    scores = classifier.scores("Drohnenangriff auf Raffinerie", "Bei dem Drohnenangriff brach ein Feuer aus.")
    assert "medtop:16000000" in scores


def test_the_untagged_reason_can_be_read_back_from_a_tagged_article() -> None:
    from pipeline.tagging import untagged_reason

    assert untagged_reason(True, "en") is None
    assert untagged_reason(False, "en") == "no_evidence"
    assert untagged_reason(False, "it") == "unsupported_language"
    assert untagged_reason(False, None) == "unknown_language"
