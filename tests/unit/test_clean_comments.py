"""Reader-comment threads after the article are cut; the article, its byline and a lone signature stay."""

from __future__ import annotations

from pipeline.clean import clean_blocks
from pipeline.clean.blocks import Block

P1 = "The minister said on Tuesday that the new budget would raise spending on schools and hospitals."
P2 = "Opposition parties criticised the plan, saying it relied on optimistic forecasts for growth."
P3 = "Parliament is expected to vote on the budget next month after a series of committee hearings."
P4 = "Economists said the spending rise was modest by the standards of earlier budgets in the decade."
ARTICLE = [P1, P2, P3, P4]  # the running text a thread must follow (over fifty words)
C1 = "I have read the whole plan and I think the forecasts are far too rosy for a year like this one."
C2 = "Great article, thanks for explaining the committee stage so clearly to the rest of us here."


def body(lines: list[str]) -> list[str]:
    return clean_blocks([Block(line) for line in lines]).paragraphs


def test_a_thread_under_a_comments_heading_goes() -> None:
    assert body([*ARTICLE, "Comments (2)", C1, "Jane, Leeds", C2]) == ARTICLE
    assert body([*ARTICLE, "4 Responses to “Budget plan”", C1, C2]) == ARTICLE
    assert body([*ARTICLE, "Leave a Reply", C1]) == ARTICLE


def test_a_thread_of_signed_comments_goes_from_the_first_signature() -> None:
    lines = [*ARTICLE, "Posted by: Ellen at September 10, 2012 11:40 AM", C1,
             "Posted by: Toni at September 10, 2012 12:11 PM", C2]
    assert body(lines) == ARTICLE


def test_a_comments_link_or_a_byline_above_the_article_is_not_a_thread() -> None:
    assert body(["Comments (12)", *ARTICLE]) == ARTICLE
    lines = ["Posted by Kathy Sierra", "Posted by: the news desk", *ARTICLE]
    assert body(lines)[-4:] == ARTICLE


def test_one_signature_after_the_article_is_its_byline_and_the_text_after_it_stays() -> None:
    lines = [*ARTICLE, "Posted by Kathy on April 6, 2007", C1]
    assert body(lines)[-1] == C1
