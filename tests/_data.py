"""Where the shared real recordings live: `shared/data` beside the checkout (or above it).

Also a pytest plugin (see conftest.py): `requires_data` marks a test that needs the
recordings; it skips without them, and fails instead when `CI` is set (CI has them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flooding.lab.evaluate import find_data

DATA = find_data()


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder; skips the test without it, unless in CI, where that fails."""
    if DATA is None:
        why = "shared/data not found beside the checkout (FLOODING_SHARED_DATA names another)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-data tests but {why}", pytrace=False)
        pytest.skip(why)
    return DATA


requires_data = pytest.mark.usefixtures("shared_data")


def recording(name: str) -> Path:
    """The path of a file in shared/data/recordings."""
    assert DATA is not None
    return DATA / "recordings" / name


def stress_predict() -> Path:
    """The path of the Stress-Predict file."""
    assert DATA is not None
    return DATA / "stress-predict" / "labeled_hr_p02-p20.csv"
