"""Where the shared real recordings live: `shared/data` beside the checkout (or above it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flooding.evaluate import find_data

DATA = find_data()
requires_data = pytest.mark.skipif(DATA is None, reason="shared/data not found beside the checkout")


def recording(name: str) -> Path:
    """The path of a file in shared/data/recordings."""
    assert DATA is not None
    return DATA / "recordings" / name


def stress_predict() -> Path:
    """The path of the Stress-Predict file."""
    assert DATA is not None
    return DATA / "stress-predict" / "labeled_hr_p02-p20.csv"
