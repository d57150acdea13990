"""Language identification with py3langid (its model ships inside the package; nothing is downloaded)."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid import langid

# Enough text for a confident guess; longer samples only cost time.
SAMPLE_CHARS = 800
MIN_LETTERS = 20
# MIN_LETTERS letters anywhere in the sample, non-letters between them. The two classes are complements,
# so there is no backtracking, and the match stops at the 20th letter instead of listing them all.
_ENOUGH_LETTERS = re.compile(r"(?:[\W\d_]*[^\W\d_]){" + str(MIN_LETTERS) + "}")


@lru_cache(maxsize=1)
def _identifier() -> langid.LanguageIdentifier:
    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=False)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there are too few letters to tell."""
    sample = text[:SAMPLE_CHARS]
    if not _ENOUGH_LETTERS.match(sample):
        return None
    code, _probability = _identifier().classify(sample)
    code = code.lower()
    # py3langid's label set is ISO 639-1 apart from a few legacy codes.
    return {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}.get(code, code) if len(code) == 2 else None
