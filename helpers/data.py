"""The data the notebooks share (see data/README.md for each file's origin)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The repository's data/ folder (the project is installed in editable mode by `make lab`).
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> Any:
    """The parsed JSON file `data/<name>`, e.g. load("orders.json") or load("events/order-placed.json")."""
    path = DATA_DIR / name
    if not path.is_file():
        available = sorted(str(p.relative_to(DATA_DIR)) for p in DATA_DIR.rglob("*.json"))
        raise FileNotFoundError(f"No data file {name!r}; available: {', '.join(available)}")
    return json.loads(path.read_text())
