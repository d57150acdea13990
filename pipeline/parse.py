"""Turn one input line (JSON text or bytes) into a validated RawPage, or say why not."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from pipeline.errors import RecordError
from schemas import RawPage
from schemas.names import DeadLetterReason, Stage

STAGE = Stage.PARSE
# Longer URLs are refused: most servers reject request lines over 8 KB, and the URL becomes a Kafka key.
MAX_URL_CHARS = 8192


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone UTF-16 surrogate, which JSON may spell ("\\ud800") but is not Unicode.

    Surrogates are the only code points UTF-8 cannot encode, so a strict encode finds them;
    it runs in C, about four times faster than a regex scan over a 200 KB page.
    """
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _url_of(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("url"), str):
        return data["url"][:2000].encode("utf-8", errors="replace").decode("utf-8")  # no lone surrogates
    return None


def parse_raw_page(line: str | bytes, max_content_bytes: int) -> RawPage:
    """Parse and validate one RawPage; raise RecordError with a clear reason otherwise."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(STAGE, DeadLetterReason.NOT_UTF8, f"input is not UTF-8: {exc}") from None
    line = line.removeprefix("\ufeff")  # a byte-order mark (first line of a file saved on Windows)
    if not line.strip():
        raise RecordError(STAGE, DeadLetterReason.EMPTY_LINE, "the line is empty")
    if "\x00" in line and line.lstrip()[:1] not in ("{", "["):
        raise RecordError(STAGE, DeadLetterReason.NOT_JSON, "the line holds NUL bytes and is not JSON")
    try:
        data = json.loads(line)
    except RecursionError:
        # the C decoder stops at the interpreter's recursion limit, long before memory is at risk
        raise RecordError(STAGE, DeadLetterReason.TOO_DEEP, "JSON nested deeper than the decoder allows") from None
    except ValueError as exc:  # ValueError: JSONDecodeError, or an int over 4300 digits
        raise RecordError(STAGE, DeadLetterReason.NOT_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError(STAGE, DeadLetterReason.NOT_OBJECT, f"expected a JSON object, got {type(data).__name__}")
    url = _url_of(data)
    try:
        page = RawPage.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "record"
        kind = first.get("type", "invalid")
        if kind == "missing":
            reason = DeadLetterReason.for_field("missing", field)
        elif field == "content_type":
            reason = DeadLetterReason.UNSUPPORTED_CONTENT_TYPE
        elif field == "url":
            reason = DeadLetterReason.BAD_URL
        else:
            reason = DeadLetterReason.for_field("invalid", field)
        raise RecordError(STAGE, reason, f"{field}: {first.get('msg')}", url=url) from None
    if len(page.url) > MAX_URL_CHARS:
        detail = f"url is {len(page.url)} characters, cap {MAX_URL_CHARS}"
        raise RecordError(STAGE, DeadLetterReason.BAD_URL, detail, url=url)
    for name in ("url", "content", "title", "source", "feed_url"):
        value = getattr(page, name)
        if value is not None and has_lone_surrogate(value):
            raise RecordError(STAGE, DeadLetterReason.LONE_SURROGATE, f"{name} holds a lone UTF-16 surrogate", url=url)
    check_content(page, max_content_bytes)
    return page


def check_content(page: RawPage, max_content_bytes: int) -> None:
    """Refuse content that is empty, blank or larger than the cap."""
    content = page.content
    if not content or content.isspace():  # as ``not content.strip()``, without copying the page
        raise RecordError(STAGE, DeadLetterReason.EMPTY_CONTENT, "content is empty or whitespace", url=page.url)
    if len(content) * 4 <= max_content_bytes:
        return  # no character takes more than 4 bytes in UTF-8: under the cap without encoding
    size = len(content.encode("utf-8", errors="surrogatepass"))
    if size > max_content_bytes:
        raise RecordError(
            STAGE, DeadLetterReason.CONTENT_TOO_LARGE, f"content is {size} bytes, cap {max_content_bytes}", url=page.url
        )
