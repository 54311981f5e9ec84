"""Where the shared real recordings live: `shared/data` beside the checkout (or above it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _find() -> Path | None:
    env = os.environ.get("FLOODING_SHARED_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


DATA = _find()
requires_data = pytest.mark.skipif(DATA is None, reason="shared/data not found beside the checkout")


def recording(name: str) -> Path:
    """The path of a file in shared/data/recordings."""
    assert DATA is not None
    return DATA / "recordings" / name


def stress_predict() -> Path:
    """The path of the Stress-Predict file."""
    assert DATA is not None
    return DATA / "stress-predict" / "labeled_hr_p02-p20.csv"
