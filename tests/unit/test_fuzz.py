"""Fuzzing the two places raw input meets code: the RawPage parser and the cleaner.

Properties: the parser returns a RawPage or raises RecordError, nothing else; the
extractor returns an Extraction or raises RecordError; and the whole pipeline turns any
line into an Article, a DeadLetter or None, each of which serialises to JSON (a record
that cannot be written would crash ``process`` and the stream's producer).
Examples are bounded (a few hundred in all) so the file runs in seconds.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Settings
from pipeline.errors import RecordError
from pipeline.extract import Extraction, Extractor
from pipeline.parse import parse_raw_page
from pipeline.stages import Pipeline
from schemas import Article, DeadLetter, RawPage
from tests.bad_input_cases import article_html, page

MAX_CONTENT_BYTES = 100_000
# WIREFEED_FUZZ_SCALE=20 runs twenty times the examples (a longer hunt, not for CI).
SCALE = max(1, int(os.environ.get("WIREFEED_FUZZ_SCALE", "1")))
FUZZ = settings(
    max_examples=150 * SCALE, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ_SLOW = settings(
    max_examples=75 * SCALE, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- strategies ---------------------------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
urls = st.sampled_from([
    "https://wire.example/a/b", "http://wire.example", "HTTPS://WIRE.EXAMPLE/X?q=1#f", "ftp://x/y",
    "javascript:alert(1)", "file:///etc/passwd", "mailto:a@b", "/relative", "http://", "http://[::1",
    "https://münchen.example/ä", "https://wire.example/" + "a" * 9000, "",
]) | st.text(max_size=60)

# Tags and fragments an HTML page is made of, including the hostile ones.
html_fragments = st.sampled_from([
    "<p>", "</p>", "<div>", "</div>", "<article>", "</article>", "<nav>", "</nav>", "<script>", "</script>",
    "<style>", "</style>", "<h1>", "</h1>", "<br>", "<table><tr><td>", "</td></tr></table>", "<!--", "-->",
    "<![CDATA[", "]]>", "<!DOCTYPE html>", '<!DOCTYPE x [<!ENTITY a "aaaa">]>', "&a;", "&amp;", "&#0;",
    "&#xD800;", "&nbsp;", "<html>", "</html>", "<body>", "<head><title>", "</title></head>", "<",
    ">", "\x00", "\x0b", "\r\n", "<svg><foreignObject>", "<math>", "<template>", "<noscript>",
    "<a href='javascript:x'>", "</a>", "<img src=x onerror=y>", "<meta charset='utf-16'>",
])
words = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
prose = st.sampled_from([
    "The minister said the agreement would be signed next week after months of talks.",
    "Officials confirmed that the talks covered trade, energy and security cooperation.",
    "Markets rose sharply on Tuesday as investors welcomed the central bank's decision.",
])
html_pages = st.lists(html_fragments | words | prose, max_size=60).map("".join)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """RawPage-shaped dicts whose fields are sometimes right, sometimes anything."""
    record: dict[str, Any] = {}
    if draw(st.booleans()):
        record["url"] = draw(urls | json_values)
    if draw(st.integers(0, 9)):
        record["content"] = draw(html_pages | st.text() | json_values)
    if draw(st.booleans()):
        kinds = st.sampled_from(["text/html", "text/plain", "TEXT/HTML", "application/pdf"])
        record["content_type"] = draw(kinds | json_values)
    for key in ("fetched_at", "published_at", "title", "source", "feed_url"):
        if draw(st.booleans()):
            dates = st.sampled_from(["2024-06-18T10:00:00Z", "2024-13-45", "yesterday"])
            record[key] = draw(dates | json_values)
    return record


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Byte-level damage: each edit (position, kind, byte) deletes, inserts or overwrites a byte."""
    buf = bytearray(data)
    for position, kind, byte in edits:
        if not buf:
            break
        i = position % len(buf)
        if kind == 0:
            del buf[i]
        elif kind == 1:
            buf.insert(i, byte)
        else:
            buf[i] = byte
    return bytes(buf)


VALID_LINE = json.dumps(page()).encode()
damaged_lines = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 2), st.integers(0, 255)), min_size=1, max_size=6
).map(lambda edits: mutate(VALID_LINE, edits))
surrogate_lines = st.lists(st.integers(0xD800, 0xDFFF), min_size=1, max_size=3).map(
    lambda codes: VALID_LINE.replace(b"</p>", "".join(f"\\u{c:04x}" for c in codes).encode() + b"</p>", 1)
)
lines: st.SearchStrategy[str | bytes] = (
    st.text()
    | st.binary(max_size=300)
    | json_values.map(json.dumps)
    | records().map(lambda r: json.dumps(r, ensure_ascii=False))
    | records().map(lambda r: json.dumps(r).encode())
    | damaged_lines
    | surrogate_lines
)


# -- a crash found by this corpus ---------------------------------------------------------------------
# trafilatura -> htmldate.clean_html -> lxml drop_tree() asserted on <svg><foreignObject> markup; the
# cleaner no longer goes through that path. Keep the page as a regression case.
KNOWN_CRASH_PAGE = "<svg><foreignObject>" + article_html() + "<svg><foreignObject>"


def extract_page(raw: RawPage) -> Extraction:
    return Extractor().extract(raw)


def test_svg_foreign_object_markup_does_not_crash_the_extractor() -> None:
    result = Extractor().extract(RawPage(url="https://wire.example/svg", content=KNOWN_CRASH_PAGE))
    assert "trade and security agreement" in result.body


# -- properties ---------------------------------------------------------------------------------------
@FUZZ
@given(lines)
def test_the_parser_returns_a_raw_page_or_raises_record_error(line: str | bytes) -> None:
    try:
        result = parse_raw_page(line, MAX_CONTENT_BYTES)
    except RecordError as exc:
        assert exc.stage == "parse" and exc.reason and exc.detail
        return
    assert isinstance(result, RawPage)
    assert result.url.lower().startswith(("http://", "https://"))
    assert result.content.strip()
    result.model_dump_json()  # a page the parser accepts can always be written back out


def _extraction_or_refusal(raw: RawPage) -> Extraction | None:
    """The extractor's answer: an Extraction, or None when it refused the page as an extract-stage error."""
    try:
        result = extract_page(raw)
    except RecordError as exc:
        assert exc.stage == "extract" and exc.reason
        return None
    assert isinstance(result, Extraction)
    return result


@FUZZ_SLOW
@given(html_pages, st.sampled_from(["text/html", "text/plain"]), st.none() | words)
def test_the_extractor_returns_an_extraction_or_raises_record_error(
    content: str, content_type: str, title: str | None
) -> None:
    raw = RawPage(
        url="https://wire.example/fuzz", content=content or " ", content_type=content_type, title=title
    )
    result = _extraction_or_refusal(raw)
    assert result is None or (result.paragraphs and all(p.strip() for p in result.paragraphs))


@FUZZ_SLOW
@given(st.lists(html_fragments | prose, max_size=40).map("".join))
def test_the_extractor_survives_a_real_page_wrapped_in_hostile_markup(noise: str) -> None:
    _extraction_or_refusal(RawPage(url="https://wire.example/fuzz", content=noise + article_html() + noise))


PIPELINE = Pipeline(Settings(drop_duplicates=False, max_content_bytes=MAX_CONTENT_BYTES))


@FUZZ_SLOW
@given(lines)
def test_the_whole_pipeline_turns_any_line_into_a_writable_record(line: str | bytes) -> None:
    result = PIPELINE.run(line)
    assert result is None or isinstance(result, Article | DeadLetter)
    if result is not None:
        json.loads(result.model_dump_json())
    if isinstance(result, DeadLetter):
        assert result.stage and result.reason and result.error
