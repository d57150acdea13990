"""Where the benches find their data, relative to this repository (never one machine's absolute paths).

The data sets are ``../shared/data`` beside the checkout by default; every bench that reads them
takes ``--data`` to point elsewhere. The five seed dumps come from the repository's own copy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"  # ../shared/data beside the checkout
SEEDS = ROOT / "tests" / "fixtures" / "dedupe" / "seeds"  # copies of ../shared/seeds
AEB_TRUTH = Path("aeb-dev") / "ground-truth.json"  # relative to the data folder


def add_data_argument(parser: argparse.ArgumentParser, holds: str) -> None:
    """``--data``: the folder of data sets (default ../shared/data beside the repo)."""
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder holding {holds} (default: {DATA})")
