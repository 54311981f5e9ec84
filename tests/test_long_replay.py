"""Long recordings replayed a piece at a time give exactly what one whole replay gives."""

from __future__ import annotations

import numpy as np
import pytest

from flooding.app.long_replay import TRACE_COLUMNS, piece_cuts, replay_long
from flooding.core.engine import run_batch
from flooding.io.config_files.loading import default_settings
from flooding.io.readers import read
from tests._data import recording, requires_data


@requires_data
@pytest.mark.parametrize(
    "name",
    [
        "fitbit_30-day_free-living_hr.csv",
        "nsr2db_nsr001_rr-seconds_22h.txt",
        "polar-h10_pvc_hr-rr.csv",
    ],
)
def test_pieces_equal_one_replay(name: str) -> None:
    """Cut into small pieces, a replay gives the same events and readings as one replay."""
    rec = read(recording(name))
    settings = default_settings()
    whole = run_batch(rec.samples, settings, keep_readings=True)
    assert whole.trace is not None
    pieces = replay_long(rec.table, settings, keep=TRACE_COLUMNS, piece=100)
    assert len(piece_cuts(rec.table.t_s, 5.0, 100)) > 3
    assert pieces.events == whole.events
    assert np.array_equal(pieces.rates, whole.trace.bpm)
    for name_ in TRACE_COLUMNS:
        assert np.array_equal(pieces.trace[name_], getattr(whole.trace, name_), equal_nan=True)


def test_cut_only_at_a_bucket_start_without_a_gap() -> None:
    """Cuts fall where a 10-s bucket begins and the sample before is near."""
    t = np.concatenate([np.arange(0.0, 100.0), np.arange(200.0, 300.0)])
    cuts = piece_cuts(t, 5.0, 30)
    assert len(cuts) > 3  # the recording is cut into several pieces: the checks below run
    assert cuts[0] == 0
    assert cuts[-1] == t.size
    for cut in cuts[1:-1]:
        assert np.floor(t[cut] / 10) != np.floor(t[cut - 1] / 10)
        assert t[cut] - t[cut - 1] <= 5.0
