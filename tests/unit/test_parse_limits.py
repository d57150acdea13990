"""The content cap counts UTF-8 bytes, not characters; blank and surrogate-laden content is refused."""

from __future__ import annotations

import pytest

from pipeline.errors import RecordError
from pipeline.parse import check_content, has_lone_surrogate
from schemas import RawPage


def _page(content: str) -> RawPage:
    return RawPage(url="https://news.example/a", content=content, content_type="text/plain")


@pytest.mark.parametrize(
    ("content", "cap", "refused"),
    [
        ("abcd", 4, False),  # 4 bytes, cap 4
        ("abcde", 4, True),
        ("\u00e9\u00e9", 4, False),  # 2 bytes each
        ("\u00e9\u00e9a", 4, True),
        ("\U0001f600", 4, False),  # 4 bytes: the most one character takes
        ("\U0001f600a", 4, True),
        ("\u4e2d\u6587\u4e2d", 8, True),  # 9 bytes in 3 characters: 3 * 4 > 8, so the bytes are counted
        ("\u4e2d\u6587", 8, False),
    ],
)
def test_the_cap_is_in_utf8_bytes(content: str, cap: int, refused: bool) -> None:
    if refused:
        with pytest.raises(RecordError) as info:
            check_content(_page(content), cap)
        assert info.value.reason == "content_too_large"
    else:
        check_content(_page(content), cap)


@pytest.mark.parametrize("content", ["", " ", "\n\t \u00a0\u2003"])
def test_blank_content_is_refused(content: str) -> None:
    with pytest.raises(RecordError) as info:
        check_content(RawPage.model_construct(url="https://news.example/a", content=content), 1000)
    assert info.value.reason == "empty_content"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain ascii", False), ("caf\u00e9 \u4e2d\u6587 \U0001f600", False), ("a\ud800b", True), ("\udfff", True)],
)
def test_lone_surrogates_are_found(text: str, expected: bool) -> None:
    assert has_lone_surrogate(text) is expected
