"""Turn one input line (JSON text or bytes) into a validated RawPage, or say why not."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from pipeline.errors import RecordError
from schemas import RawPage

STAGE = "parse"
# JSON nested deeper than this is refused before parsing (json recursion is not free).
MAX_JSON_DEPTH = 64
# Longer URLs are refused: most servers reject request lines over 8 KB, and the URL becomes a Kafka key.
MAX_URL_CHARS = 8192
# JSON may spell lone UTF-16 surrogates ("\ud800"); they are not Unicode and cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text nests deeper than ``limit`` (strings skipped; regex-speed, not a char loop)."""
    if text.count("{") + text.count("[") <= limit:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
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
            raise RecordError(STAGE, "not_utf8", f"input is not UTF-8: {exc}") from None
    line = line.removeprefix("\ufeff")  # a byte-order mark (first line of a file saved on Windows)
    if not line.strip():
        raise RecordError(STAGE, "empty_line", "the line is empty")
    if "\x00" in line and line.lstrip()[:1] not in ("{", "["):
        raise RecordError(STAGE, "not_json", "the line holds NUL bytes and is not JSON")
    if _depth_exceeds(line, MAX_JSON_DEPTH):
        raise RecordError(STAGE, "too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:  # ValueError: JSONDecodeError, or an int over 4300 digits
        raise RecordError(STAGE, "not_json", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError(STAGE, "not_object", f"expected a JSON object, got {type(data).__name__}")
    url = _url_of(data)
    try:
        page = RawPage.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "record"
        kind = first.get("type", "invalid")
        if kind == "missing":
            reason = f"missing_{field}"
        elif field == "content_type":
            reason = "unsupported_content_type"
        elif field == "url":
            reason = "bad_url"
        else:
            reason = f"invalid_{field}"
        raise RecordError(STAGE, reason, f"{field}: {first.get('msg')}", url=url) from None
    if len(page.url) > MAX_URL_CHARS:
        detail = f"url is {len(page.url)} characters, cap {MAX_URL_CHARS}"
        raise RecordError(STAGE, "bad_url", detail, url=url)
    for name in ("url", "content", "title", "source", "feed_url"):
        value = getattr(page, name)
        if value is not None and _SURROGATE.search(value):
            raise RecordError(STAGE, "lone_surrogate", f"{name} holds a lone UTF-16 surrogate", url=url)
    check_content(page, max_content_bytes)
    return page


def check_content(page: RawPage, max_content_bytes: int) -> None:
    """Refuse content that is empty, blank or larger than the cap."""
    if not page.content.strip():
        raise RecordError(STAGE, "empty_content", "content is empty or whitespace", url=page.url)
    size = len(page.content.encode("utf-8", errors="surrogatepass"))
    if size > max_content_bytes:
        raise RecordError(
            STAGE, "content_too_large", f"content is {size} bytes, cap {max_content_bytes}", url=page.url
        )
