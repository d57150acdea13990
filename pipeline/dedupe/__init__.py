"""Dedupe and story clustering: exact and near-duplicate copies, and stories across outlets.

``Deduper.check(article)`` is the stage's one call (see ``deduper.py``); ``sketch.py``
holds the shingling and containment sketch, ``features.py`` and ``stories.py`` the
story clustering. Design and the scale it holds: docs/dedupe.md.
"""

from pipeline.dedupe.deduper import Deduper, DedupeVerdict, is_copy

__all__ = ["DedupeVerdict", "Deduper", "is_copy"]
