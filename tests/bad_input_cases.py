"""The bad-input corpus: named input lines that must never crash or hang the pipeline.

Each case is one line of ``wirefeed process`` input (bytes, as read from a file or a
Kafka message) and what the pipeline should make of it: a dead letter from a given
stage (with a given reason, where the reason is the parser's and so fixed), or an
article where the input is odd but acceptable (CRLF endings, a BOM, duplicate keys).

Big cases (20 MB page, 200k-deep nesting) are built in memory on demand. The small ones
are also written to ``tests/fixtures/bad_input/<name>.jsonl`` so they can be fed to the
CLI by hand; regenerate them with ``python -m tests.bad_input_cases``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bad_input"
# Cases larger than this stay in memory only (no 20 MB files in git).
MAX_FIXTURE_BYTES = 64 * 1024

MB = 1024 * 1024
URL = "https://wire.example/world/2024/06/18/bad-input"

ARTICLE_PARAGRAPHS = [
    "The two leaders met in the capital on Tuesday to sign a trade and security agreement "
    "that officials said had been negotiated over eighteen months.",
    "Talks lasted more than two hours, according to a statement released after the meeting, and "
    "covered tariffs on agricultural goods, energy supplies and a joint naval exercise next spring.",
    "Opposition lawmakers criticised the deal, saying parliament had not been consulted, while "
    "business groups welcomed the reduction in customs duties on machinery and electronics.",
    "The agreement must still be ratified by both legislatures before it enters into force, "
    "a process analysts expect to take at least six months.",
]


def article_html(title: str = "Leaders sign trade and security pact", extra_head: str = "") -> str:
    """A plain, well-formed news page whose body any extractor should find."""
    body = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{extra_head}</head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright 2024 Example Wire</footer></body></html>"
    )


def page(**fields: object) -> dict[str, object]:
    """A valid RawPage record with some fields replaced (a value of ... removes the field)."""
    record: dict[str, object] = {
        "url": URL,
        "content": article_html(),
        "content_type": "text/html",
        "fetched_at": "2024-06-18T10:00:00Z",
        "source": "Example Wire",
    }
    for key, value in fields.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def line(record: object) -> bytes:
    return json.dumps(record).encode("utf-8")


def good_page_line() -> bytes:
    """The well-formed page mixed with every bad case: it must still become an article."""
    return line(page(url="https://wire.example/world/2024/06/18/good-page", title="A good page"))


@dataclass(frozen=True)
class Expect:
    """The outcome a case must have."""

    outcome: str  # "dead_letter", "article", or "either" (the cleaner's judgement call)
    stage: str | None = None
    # The dead letter's reason when it is fixed by the parser; None = any non-empty reason
    # (extraction reasons belong to the cleaner, which may name them differently).
    reason: str | None = None


def dead(stage: str, reason: str | None = None) -> Expect:
    return Expect("dead_letter", stage, reason)


ARTICLE = Expect("article")
# Valid input whose text is junk: publishing it or dead-lettering it are both defensible.
EITHER = Expect("either")


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    build: Callable[[], bytes]
    expect: Expect
    # A known weakness in code this corpus does not own: the test is an xfail naming it.
    known_issue: str | None = None


def rec(**fields: object) -> Callable[[], bytes]:
    """A builder for a RawPage line with ``fields`` replaced."""
    return lambda: line(page(**fields))


def _random_unicode(seed: int, length: int) -> str:
    rng = random.Random(seed)
    chars = []
    while len(chars) < length:
        code = rng.randrange(0x20, 0x2FFFF)
        if 0xD800 <= code <= 0xDFFF:
            continue
        chars.append(chr(code))
    return "".join(chars)


def _billion_laughs() -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
        "<html><body><p>&lol9;</p></body></html>"
    )


def _deep_json(depth: int) -> bytes:
    head = f'{{"url": "{URL}", "content": "x", "nested": '
    return (head + "[" * depth + "]" * depth + "}").encode()


def _boilerplate_only() -> str:
    links = " ".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(40))
    return (
        "<html><head><title>Example Wire</title></head><body>"
        f"<nav><ul>{links}</ul></nav>"
        "<div class='cookie-banner'>We use cookies. Accept all cookies?</div>"
        "<aside>Subscribe to our newsletter</aside>"
        "<footer>Copyright 2024 Example Wire. All rights reserved. Terms. Privacy.</footer>"
        "</body></html>"
    )


_SCRIPT_ONLY = (
    "<html><head><script>var a = 1;</script></head><body>"
    "<script>document.write('<p>' + 'x'.repeat(500) + '</p>')</script></body></html>"
)
_PLAIN_CRLF = "Title line\r\n" + "\r\n".join(ARTICLE_PARAGRAPHS)
_BAD_URL = dead("parse", "bad_url")

CASES: list[Case] = [
    # --- not a JSON object -------------------------------------------------------------------------
    Case("not_json", "prose instead of JSON", lambda: b"this is not json at all", dead("parse", "not_json")),
    Case("truncated_line", "a record cut off mid-string", lambda: line(page())[:300],
         dead("parse", "not_json")),
    Case("empty_line", "nothing at all", lambda: b"", dead("parse", "empty_line")),
    Case("whitespace_only_line", "spaces and tabs", lambda: b" \t  \t ", dead("parse", "empty_line")),
    Case("array_instead_of_object", "the record wrapped in a list", lambda: line([page()]),
         dead("parse", "not_object")),
    Case("json_string", "a bare JSON string", lambda: b'"https://wire.example/a"',
         dead("parse", "not_object")),
    Case("json_null", "JSON null", lambda: b"null", dead("parse", "not_object")),
    Case("huge_number", "a 100k-digit integer (over Python's int-parsing limit)",
         lambda: b"1" * 100_000, dead("parse", "not_json")),
    Case("huge_number_field", "a 100k-digit integer as a field value",
         lambda: line(page())[:-1] + b', "extra": ' + b"9" * 100_000 + b"}", dead("parse", "not_json")),
    Case("nul_bytes_raw", "binary junk with NUL bytes", lambda: b"\x00\x01\x02PK\x03\x04\x00\x00",
         dead("parse", "not_json")),
    Case("invalid_utf8", "Latin-1 bytes in a JSON line",
         lambda: line(page(content="caf\u00e9 " * 10)).replace(b"\\u00e9", b"\xe9"),
         dead("parse", "not_utf8")),
    Case("utf8_encoded_surrogate", "CESU-style bytes ED A0 80 (a surrogate encoded as UTF-8)",
         lambda: line(page(title="x")).replace(b'"x"', b'"\xed\xa0\x80"'), dead("parse", "not_utf8")),
    Case("deep_json_nesting", "200k nested JSON arrays", lambda: _deep_json(200_000),
         dead("parse", "too_deep")),
    Case("lone_surrogates", 'JSON "\\ud800" escapes in the content and source',
         lambda: line(page()).replace(b"</p>", b"\\ud800</p>", 1).replace(b'"Example Wire"', b'"\\udfff"'),
         dead("parse", "lone_surrogate")),
    # --- fields missing or of the wrong type ---------------------------------------------------------
    Case("missing_url", "no url", rec(url=...), dead("parse", "missing_url")),
    Case("missing_content", "no content", rec(content=...), dead("parse", "missing_content")),
    Case("empty_object", "{}", lambda: b"{}", dead("parse", "missing_url")),
    Case("url_wrong_type", "url is a number", rec(url=12345), _BAD_URL),
    Case("content_wrong_type", "content is a list", rec(content=["<p>a</p>"]),
         dead("parse", "invalid_content")),
    Case("content_null", "content is null", rec(content=None), dead("parse", "invalid_content")),
    Case("title_wrong_type", "title is an object", rec(title={"text": "x"}), dead("parse", "invalid_title")),
    Case("bad_fetched_at", "fetched_at is not a date", rec(fetched_at="yesterday-ish"),
         dead("parse", "invalid_fetched_at")),
    Case("bad_published_at", "published_at is out of range", rec(published_at="2024-13-45T99:00"),
         dead("parse", "invalid_published_at")),
    # --- URLs that are not absolute http(s) ----------------------------------------------------------
    Case("ftp_url", "ftp scheme", rec(url="ftp://files.example/a.html"), _BAD_URL),
    Case("javascript_url", "javascript: scheme", rec(url="javascript:alert(document.cookie)"), _BAD_URL),
    Case("file_url", "file: scheme", rec(url="file:///etc/passwd"), _BAD_URL),
    Case("mailto_url", "mailto: scheme", rec(url="mailto:desk@wire.example"), _BAD_URL),
    Case("data_url", "data: scheme", rec(url="data:text/html,<p>hi</p>"), _BAD_URL),
    Case("relative_url", "a path without scheme or host", rec(url="/world/2024/06/18/x"), _BAD_URL),
    Case("hostless_url", "http with no host", rec(url="http:///path"), _BAD_URL),
    Case("broken_ipv6_url", "unclosed IPv6 literal", rec(url="http://[::1/x"), _BAD_URL),
    Case("extremely_long_url", "a 100k-character URL", rec(url=URL + "/" + "a" * 100_000), _BAD_URL),
    # --- content types and empty content ----------------------------------------------------------------
    Case("pdf_content_type", "application/pdf", rec(content_type="application/pdf"),
         dead("parse", "unsupported_content_type")),
    Case("image_content_type", "image/png", rec(content_type="image/png"),
         dead("parse", "unsupported_content_type")),
    Case("empty_content", "content is the empty string", rec(content=""), dead("parse", "empty_content")),
    Case("whitespace_content", "content is only whitespace", rec(content=" \n\t\r\n  "),
         dead("parse", "empty_content")),
    # --- size -------------------------------------------------------------------------------------------
    Case("page_20mb", "a 20 MB HTML page (over the 5 MB cap)",
         lambda: line(page(content=article_html() * (20 * MB // len(article_html())))),
         dead("parse", "content_too_large")),
    Case("single_token_12mb", "one 12 MB word", lambda: line(page(content="A" * (12 * MB))),
         dead("parse", "content_too_large")),
    Case("single_token_4mb_html", "one 4 MB word inside <p>, under the cap",
         lambda: line(page(content="<html><body><p>" + "A" * (4 * MB) + "</p></body></html>")), EITHER),
    Case("single_line_4mb_text", "a 4 MB text/plain dump on one line and no title",
         lambda: line(page(content_type="text/plain", content="word " * (800 * 1024))), EITHER),
    # --- hostile or empty HTML ----------------------------------------------------------------------
    Case("deep_html_nesting", "200k nested <div>s around one sentence",
         lambda: line(page(content="<div>" * 200_000 + "Deep text." + "</div>" * 200_000)), dead("extract")),
    Case("billion_laughs", "entity-expansion DTD in the HTML", lambda: line(page(content=_billion_laughs())),
         dead("extract")),
    Case("script_only", "a page that is only scripts", rec(content=_SCRIPT_ONLY), dead("extract")),
    Case("style_only", "a page that is only CSS",
         rec(content="<html><head><style>p { color: red } " * 50 + "</style></head></html>"),
         dead("extract")),
    Case("boilerplate_only", "navigation, cookie banner and footer only",
         lambda: line(page(content=_boilerplate_only())), dead("extract")),
    Case("nul_in_content", "NUL characters inside the HTML",
         rec(content="<html><body>\x00\x00<p>\x00</p>\x00</body></html>"), dead("extract")),
    Case("random_unicode_html", "20k random code points as HTML",
         lambda: line(page(content=_random_unicode(7, 20_000))), dead("extract")),
    # --- odd but acceptable: these must still give an article --------------------------------------------
    Case("crlf_line_ending", "a Windows line ending", lambda: line(page()) + b"\r\n", ARTICLE),
    Case("utf8_bom", "a byte-order mark before the record (first line of a Windows file)",
         lambda: b"\xef\xbb\xbf" + line(page()), ARTICLE),
    Case("duplicate_keys", "url given twice: the last one wins, as in every JSON parser we use",
         lambda: line(page())[:-1] + b', "url": "https://wire.example/world/2024/06/18/dup"}', ARTICLE),
    Case("unknown_fields", "extra fields are ignored", rec(tracking={"a": [1, 2]}, x=None), ARTICLE),
    Case("control_characters", "C0 control characters sprinkled in the text",
         rec(content=article_html().replace("</p>", "\x01\x07\x1b[31m\x7f</p>")), ARTICLE),
    Case("truncated_html", "an HTML page cut off mid-tag", rec(content=article_html()[:-60]), ARTICLE),
    Case("plain_text_crlf", "a text/plain dump with CRLF line breaks",
         rec(content_type="text/plain", content=_PLAIN_CRLF), ARTICLE),
]

CASES_BY_NAME = {case.name: case for case in CASES}


def write_fixtures(directory: Path = FIXTURES) -> list[Path]:
    """Write every case small enough to keep in git as ``<name>.jsonl``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        data = case.build()
        if len(data) > MAX_FIXTURE_BYTES:
            continue
        path = directory / f"{case.name}.jsonl"
        path.write_bytes(data if data.endswith(b"\n") else data + b"\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_fixtures():
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
