"""Replays of long recordings in pieces, so memory follows the piece, not the recording.

The batch path (`flooding.core.batch.replay`) holds a few Python lists per sample; over
millions of samples that is gigabytes. Here one engine is fed the samples a piece at a time,
each piece cut where a baseline bucket begins and no gap comes before it, so the engine sees
exactly what one replay of the whole would give it (a test compares them). The reading
trace is kept only for the columns a caller asks for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from flooding.core.batch import PreparedSamples, replay, usual_step_s
from flooding.core.beats.columns import SampleColumns
from flooding.core.detector import BUCKET_S
from flooding.core.engine import Engine
from flooding.core.models import Event, Mode
from flooding.core.settings import Settings

PIECE_SAMPLES = 100_000  # samples per replay piece: ~15 MB of lists inside the batch path
TRACE_COLUMNS = ("state", "baseline_bpm", "threshold_bpm", "pausing", "pause_until_s")


@dataclass
class LongReplay:
    """A replay's events, the detection rates, and the trace columns asked for."""

    events: list[Event]
    rates: npt.NDArray[np.float64]
    step_s: float  # the pace it was replayed at (`usual_step_s`)
    gap_s: float  # the gap at that pace, in the replay's mode (`Engine.detection_in`)
    trace: dict[str, np.ndarray] = field(default_factory=dict)


def rates_of(table: SampleColumns) -> npt.NDArray[np.float64]:
    """Each sample's detection heart rate (`flooding.core.beats.fast`), a piece at a time."""
    from flooding.core.beats.fast import fast_rate_array

    return fast_rate_array(table)


def piece_cuts(t_s: npt.NDArray[np.float64], gap_s: float, piece: int) -> list[int]:
    """Where to cut: about every `piece` samples, at the first sample of a baseline bucket
    that follows its sample before without a gap."""
    n = t_s.size
    cuts = [0]
    while n - cuts[-1] > piece:
        lo = cuts[-1] + piece
        window = slice(lo, min(n, lo + piece))
        t = t_s[window]
        before = t_s[lo - 1 : window.stop - 1]
        good = (np.floor(t / BUCKET_S) != np.floor(before / BUCKET_S)) & (t - before <= gap_s)
        found = np.flatnonzero(good)
        if not found.size:
            break  # no clean place: the rest in one piece
        cuts.append(lo + int(found[0]))
    cuts.append(n)
    return cuts


def replay_long(
    table: SampleColumns,
    settings: Settings,
    *,
    mode: Mode | None = None,
    keep: Sequence[str] = (),
    rates: npt.NDArray[np.float64] | None = None,
    piece: int = PIECE_SAMPLES,
    progress: Callable[[int], None] | None = None,
) -> LongReplay:
    """The events (and the `keep` trace columns, see `TRACE_COLUMNS`) of a replay of
    `table` by a fresh engine, as `run_batch` gives them (at the recording's own pace), a
    piece at a time; `progress` is told the samples replayed so far after each piece."""
    rates = rates_of(table) if rates is None else rates
    engine = Engine(settings, mode=mode, step_s=usual_step_s(table.t_s))
    n = rates.size
    out = LongReplay([], rates, engine.step_s, engine.detection.gap_s)
    trace = {name: np.empty(0) for name in keep}
    # the smallest gap any mode counts: a cut there is never after a gap in any mode
    gap_s = min(engine.detection_in(m).gap_s for m in Mode)
    cuts = piece_cuts(table.t_s, gap_s, piece) if n else [0, 0]
    empty = np.zeros(0)
    for lo, hi in itertools.pairwise(cuts):
        activity = None if table.activity_g is None else table.activity_g[lo:hi]
        part = SampleColumns(
            table.t_s[lo:hi],
            table.bpm[lo:hi],
            table.contact[lo:hi],
            table.rr_counts[lo:hi],
            empty,
            activity,
        )
        result = replay(engine, PreparedSamples(part, rates[lo:hi]), keep_readings=bool(keep))
        out.events += result.events
        if keep:
            got = result.trace
            assert got is not None
            for name in keep:
                column = getattr(got, name)
                if trace[name].size == 0:
                    trace[name] = np.empty(n, column.dtype)
                trace[name][lo:hi] = column
        if progress is not None:
            progress(hi)
    out.trace = trace
    return out
