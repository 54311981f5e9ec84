"""The review's passes on a session's columns give what its passes over `Sample` values give:
episode peaks, calm runs, the calm baseline and the calm RMSSD; the database's episode peaks
give the same peaks, and the same movement as each episode rose."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.app import review_columns
from flooding.app.importing import import_recording
from flooding.app.review import STRETCH_GAP_S, episode_peaks, iter_calm_runs, review_session
from flooding.core.beats.columns import SampleColumns
from flooding.core.detector import MOVING_G
from flooding.core.models import Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.readers import read
from flooding.io.store import Store
from tests._data import recording, requires_data

START_S = 1_700_000_000.0


@contextlib.contextmanager
def stored(samples: list[Sample]) -> Iterator[tuple[Store, int]]:
    """A store in a folder of its own holding one session of `samples`, and its id."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        try:
            sid = store.begin_session(START_S, source="test", mode="talk")
            store.add_samples(sid, samples)
            store.flush()
            yield store, sid
        finally:
            store.close()


@st.composite
def tracks(
    draw: st.DrawFn,
) -> tuple[list[Sample], list[tuple[float, float]], list[tuple[float, float | None]]]:
    """Samples with gaps, lost contact, implausible rates and beats now and then, with busy
    spans and episode spans (the last maybe open) over them."""
    samples: list[Sample] = []
    t = START_S
    for step, contact, bpm, beats in draw(
        st.lists(
            st.tuples(
                st.sampled_from([0.0, 1.0, 1.0, 2.5, 3.0, 3.5, 5.0, 60.0]),
                st.sampled_from([True, True, None, False]),
                st.sampled_from([0.0, 20.0, 64.0, 71.5, 88.0, 120.0, 240.0]),
                st.integers(0, 3),
            ),
            max_size=300,
        )
    ):
        t += step
        rr = tuple(0.8 + 0.01 * ((len(samples) + k) % 5) for k in range(beats))
        samples.append(Sample(t, bpm, rr, contact))
    end = t + 10.0
    at = st.floats(START_S - 5.0, end)  # anywhere, or right at a sample
    at = st.one_of(at, st.sampled_from([s.t_s for s in samples])) if samples else at
    cuts = sorted(draw(st.lists(at, max_size=8)))
    busy = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]
    spans: list[tuple[float, float | None]] = list(busy)
    open_ended: bool = draw(st.booleans())
    if spans and open_ended:
        spans[-1] = (spans[-1][0], None)
    return samples, busy, spans


@settings(max_examples=150, deadline=None)
@given(tracks())
def test_passes_on_columns_equal_passes_on_samples(
    track: tuple[list[Sample], list[tuple[float, float]], list[tuple[float, float | None]]],
) -> None:
    """Episode peaks and calm runs found on the columns equal those found sample by sample."""
    samples, busy, spans = track
    table = SampleColumns.of(samples)
    assert review_columns.episode_peaks(table, spans) == episode_peaks(samples, spans)
    firsts, ends = review_columns.calm_runs(table, busy, STRETCH_GAP_S)
    runs = [samples[a:b] for a, b in zip(firsts.tolist(), ends.tolist(), strict=True)]
    assert runs == list(iter_calm_runs(samples, busy))


@settings(max_examples=60, deadline=None)
@given(tracks())
def test_peaks_asked_of_the_database_equal_peaks_from_samples(
    track: tuple[list[Sample], list[tuple[float, float]], list[tuple[float, float | None]]],
) -> None:
    """The store's peak within each span (asked of SQLite) is the peak the samples give."""
    samples, _, spans = track
    with stored(samples) as (store, sid):
        assert store.peaks_within(sid, spans) == episode_peaks(samples, spans)


@st.composite
def moving_tracks(draw: st.DrawFn) -> tuple[list[Sample], list[tuple[float, float]]]:
    """Samples with an activity level now and then (still, moving, right at the threshold,
    none), and windows over them."""
    samples: list[Sample] = []
    t = START_S
    for step, activity in draw(
        st.lists(
            st.tuples(
                st.sampled_from([0.0, 1.0, 1.0, 2.0, 30.0]),
                st.sampled_from([None, 0.01, 0.03, MOVING_G, 0.3]),
            ),
            max_size=200,
        )
    ):
        t += step
        samples.append(Sample(t, 80.0, (), True, activity_g=activity))
    at = st.floats(START_S - 5.0, t + 5.0)
    at = st.one_of(at, st.sampled_from([s.t_s for s in samples])) if samples else at
    windows = [tuple(sorted(pair)) for pair in draw(st.lists(st.tuples(at, at), max_size=6))]
    return samples, windows  # type: ignore[return-value]


@settings(max_examples=60, deadline=None)
@given(moving_tracks())
def test_movement_asked_of_the_database_or_columns_equals_movement_from_samples(
    track: tuple[list[Sample], list[tuple[float, float]]],
) -> None:
    """How many readings in a window carry an activity level and how many of them moved is
    the same from the database, from columns and from the samples."""
    samples, windows = track
    expected = []
    for start_s, end_s in windows:
        levels = [
            s.activity_g for s in samples if start_s <= s.t_s <= end_s and s.activity_g is not None
        ]
        expected.append((len(levels), sum(level >= MOVING_G for level in levels)))
    table = SampleColumns.of(samples)
    assert review_columns.activity_within(table, windows, MOVING_G) == expected
    with stored(samples) as (store, sid):
        assert store.activity_within(sid, windows, MOVING_G) == expected


@requires_data
@pytest.mark.parametrize(
    "name",
    ["fitbit_30-day_free-living_hr.csv", "polar-hrm_noisy.hrm", "polar-h10_pvc_hr-rr.csv"],
)
def test_review_from_columns_equals_review_from_samples(store: Store, name: str) -> None:
    """A session reviewed from its columns (as the plot does) says exactly what the review
    read sample by sample from the store says: episodes, peaks, calm baseline, RMSSD."""
    sid = import_recording(store, read(recording(name)), default_settings()).session_id
    streamed = review_session(store, sid)
    from_columns = review_session(store, sid, table=store.sample_columns(sid))
    assert streamed is not None
    assert from_columns is not None
    assert repr(from_columns.as_dict()) == repr(streamed.as_dict())
    assert streamed.episodes or streamed.rmssd.rmssd_ms is not None  # something to compare
