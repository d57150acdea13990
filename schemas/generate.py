"""Write the JSON Schema files for the record models: ``python -m schemas.generate``."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.models import Article, DeadLetter, RawPage

SCHEMA_DIR = Path(__file__).parent
MODELS = {"raw_page": RawPage, "article": Article, "dead_letter": DeadLetter}


def render() -> dict[str, str]:
    """Return file name -> JSON text for every model's schema."""
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for name, model in MODELS.items()
    }


def main() -> None:
    for file_name, text in render().items():
        (SCHEMA_DIR / file_name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/{file_name}")


if __name__ == "__main__":
    main()
