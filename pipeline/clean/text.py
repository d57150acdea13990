"""Plain-text dumps (content_type text/plain): lines become blocks, blank lines become gaps."""

from __future__ import annotations

from pipeline.clean.blocks import Block

_INVISIBLE = str.maketrans(
    {"\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": "", "\u200e": "", "\u200f": ""}
)


def text_blocks(content: str) -> list[Block]:
    blocks: list[Block] = []
    gap = False
    for raw in content.translate(_INVISIBLE).splitlines():
        line = " ".join(raw.split())
        if not line:
            gap = True
            continue
        blocks.append(Block(text=line, gap_before=gap))
        gap = False
    return blocks
