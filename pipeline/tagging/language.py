"""Language identification with py3langid (its model ships inside the package; nothing is downloaded)."""

from __future__ import annotations

import io
import lzma
import os
import re
import threading

import numpy as np
from py3langid import langid

# Enough text for a confident guess; longer samples only cost time.
SAMPLE_CHARS = 400
MIN_LETTERS = 20
# MIN_LETTERS letters anywhere in the sample, non-letters between them. The two classes are complements,
# so there is no backtracking, and the match stops at the 20th letter instead of listing them all.
_ENOUGH_LETTERS = re.compile(r"(?:[\W\d_]*[^\W\d_]){" + str(MIN_LETTERS) + "}")


def _load_identifier() -> langid.LanguageIdentifier:
    """py3langid's own model, read as py3langid reads it but decompressed in one C call.

    py3langid streams the xz file in small chunks, taking the GIL back for each; one
    ``lzma.decompress`` call keeps it released for the whole ~0.3 s, so a background load
    really runs beside the first pages' extraction. Falls back to py3langid's loader if its
    model layout ever changes.
    """
    try:
        from py3langid.modelio import _to_array

        raw = lzma.decompress((langid.MODEL_DIR / langid.MODEL_FILE).read_bytes())
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            return langid.LanguageIdentifier(
                np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                _to_array(data["nextmove"]), data["out_feat"].tolist(),
                norm_probs=False, tk_row=_to_array(data["nextmove_row"]),
            )
    except (ImportError, KeyError, TypeError, AttributeError):
        return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=False)


class _ModelLoader:
    """Loads py3langid's model once. Decompressing it takes about half a second (lzma, which
    releases the GIL), so :func:`preload` starts it on a thread while the first pages are cleaned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._model: langid.LanguageIdentifier | None = None
        self._error: BaseException | None = None

    def _load(self) -> None:
        try:
            self._model = _load_identifier()
        except BaseException as exc:  # surfaced to the caller of get()
            self._error = exc

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._load, name="langid-load", daemon=True)
                self._thread.start()

    def get(self) -> langid.LanguageIdentifier:
        if self._model is None:
            self.start()
            assert self._thread is not None
            self._thread.join()
            if self._error is not None:
                raise self._error
        assert self._model is not None
        return self._model


_LOADER = _ModelLoader()
# A process forked while the loader holds its lock must not inherit the held lock, nor wait for
# a loading thread that only runs in the parent (it would find no model): it loads its own.
os.register_at_fork(after_in_child=lambda: _LOADER.__init__() if _LOADER._model is None else setattr(
    _LOADER, "_lock", threading.Lock()))


def preload() -> None:
    """Start loading the language model in the background (no-op once started)."""
    _LOADER.start()


def _identifier() -> langid.LanguageIdentifier:
    return _LOADER.get()


# English fast path: most wire text is English, and English prose is dense in these function words,
# which other languages' prose hardly contains. A sample where they make at least a fifth of the words
# (and eight or more of them) is English without asking the model: py3langid's byte automaton walks a
# 20 MB table, which costs more in a busy process (cache misses) than the rest of tagging together.
# On every labelled and development text of the project the fast path agrees with the model.
_ENGLISH = frozenset((
    "the", "and", "of", "to", "that", "with", "was", "were", "is", "are", "for", "from", "by", "has", "have",
    "had", "said", "this", "which", "would", "their", "been", "its", "not", "but", "he", "she", "his", "they",
    "who", "will", "after", "about", "when", "you", "it", "be", "more", "there", "what", "than",
))
_LETTER_RUN = re.compile(r"[^\W\d_]+")
FAST_MIN_WORDS = 20
FAST_MIN_HITS = 8


def _plainly_english(sample: str) -> bool:
    words = _LETTER_RUN.findall(sample)
    if len(words) < FAST_MIN_WORDS:
        return False
    hits = sum(word.lower() in _ENGLISH for word in words)
    return hits >= FAST_MIN_HITS and hits * 5 >= len(words)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there are too few letters to tell."""
    sample = text[:SAMPLE_CHARS]
    if not _ENOUGH_LETTERS.match(sample):
        return None
    if _plainly_english(sample):
        return "en"
    code, _probability = _identifier().classify(sample)
    code = code.lower()
    # py3langid's label set is ISO 639-1 apart from a few legacy codes.
    return {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}.get(code, code) if len(code) == 2 else None
