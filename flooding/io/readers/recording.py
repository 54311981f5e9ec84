"""A recording read from a file: strap-like samples (held as columns) plus, for beat files, the
beats themselves."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np

from flooding.core.beats.columns import CONTACT_UNKNOWN, SampleColumns
from flooding.core.catalogue import phrase
from flooding.core.models import Sample
from flooding.io.readers._text import ReaderError


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    if array is not None:
        array.flags.writeable = False
    return array


CONTACT_FLAGS = {1: True, 0: False, CONTACT_UNKNOWN: None}


def sample_chunks(table: SampleColumns, rows: int) -> Iterator[list[Sample]]:
    """The table's samples as `Sample` values, `rows` at a time (memory follows the chunk)."""
    first_beat = 0
    n = table.t_s.size
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        counts = table.rr_counts[start:stop]
        ends = first_beat + np.cumsum(counts)
        beats = table.rr_s[first_beat : int(ends[-1])].tolist() if counts.size else []
        levels: list[float | None] = (
            [None] * (stop - start)
            if table.activity_g is None
            else [None if a != a else a for a in table.activity_g[start:stop].tolist()]
        )
        out = []
        at = 0
        for t, bpm, count, contact, level in zip(
            table.t_s[start:stop].tolist(),
            table.bpm[start:stop].tolist(),
            counts.tolist(),
            table.contact[start:stop].tolist(),
            levels,
            strict=True,
        ):
            beats_of = tuple(beats[at : at + count])
            out.append(Sample(t, bpm, beats_of, CONTACT_FLAGS[contact], None, level))
            at += count
        first_beat = int(ends[-1])
        yield out


def table_rows(
    table: SampleColumns, start: int, count: int, *, first_beat: int | None = None
) -> SampleColumns:
    """Rows `start` to `start + count` of a table (views, no copies); `first_beat`: where
    the row `start`'s beats begin in `rr_s`, when known (else counted)."""
    stop = min(table.t_s.size, start + count)
    if first_beat is None:
        first_beat = int(table.rr_counts[:start].sum())
    end_beat = first_beat + int(table.rr_counts[start:stop].sum())
    return SampleColumns(
        table.t_s[start:stop],
        table.bpm[start:stop],
        table.contact[start:stop],
        table.rr_counts[start:stop],
        table.rr_s[first_beat:end_beat],
        None if table.activity_g is None else table.activity_g[start:stop],
    )


def samples_of(table: SampleColumns) -> list[Sample]:
    """Every sample of a table as a `Sample`."""
    return [sample for chunk in sample_chunks(table, 1 << 16) for sample in chunk]


def empty_table() -> SampleColumns:
    """The columns of no samples."""
    return make_table(np.zeros(0), np.zeros(0))


def make_table(
    t_s: np.ndarray,
    bpm: np.ndarray,
    contact: np.ndarray | None = None,
    rr_counts: np.ndarray | None = None,
    rr_s: np.ndarray | None = None,
) -> SampleColumns:
    """Columns of samples: contact unknown and no RR values unless given."""
    n = t_s.size
    return SampleColumns(
        np.asarray(t_s, np.float64),
        np.asarray(bpm, np.float64),
        np.full(n, CONTACT_UNKNOWN, np.int8) if contact is None else contact.astype(np.int8),
        np.zeros(n, np.int64) if rr_counts is None else rr_counts.astype(np.int64),
        np.zeros(0) if rr_s is None else np.asarray(rr_s, np.float64),
    )


def table_of(samples: Sequence[Sample]) -> SampleColumns:
    """The columns of samples (their energy, if any, is kept by the samples themselves)."""
    return SampleColumns.of(samples)


@dataclass(frozen=True)
class Kept:
    """What the person added to a session this program exported, to keep on import: its
    note, and the alerts they marked as false alarms (each the alert's time and the mark's)."""

    note: str = ""
    false_alarms: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, eq=False)
class Recording:
    """Samples in time order, as a strap would have sent them, and what else the file held.

    The samples are held as columns (`table`: a long recording costs a few bytes a sample);
    `samples` builds them as `Sample` values when asked (`given` keeps the samples a reader
    made itself, with fields the columns do not hold, such as energy).

    Clock: when the file gives wall-clock time, `t_s` of every sample (and `beat_t_s`) is unix
    epoch seconds and `start_unix_s` is set; otherwise `t_s` counts seconds from the start of
    the recording and `start_unix_s` is None. Times with no zone in the file are read as local
    time (a phone or watch writes the time of day it shows).

    `beat_rr_s` and `beat_t_s` (when the file holds beats) are every RR interval in seconds and
    the time of the beat that ends it; the same beats travel in the samples' `rr_s`.
    `columns` holds further per-sample values by name (e.g. Stress-Predict's `label`), aligned
    with `samples`. Arrays are read-only.
    """

    table: SampleColumns
    start_unix_s: float | None
    source_format: str
    path: Path
    beat_t_s: np.ndarray | None = None
    beat_rr_s: np.ndarray | None = None
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    given: list[Sample] | None = field(default=None, repr=False)
    kept: Kept = field(default_factory=Kept)  # a session this program exported: see `Kept`

    def __post_init__(self) -> None:
        _frozen(self.beat_t_s)
        _frozen(self.beat_rr_s)
        for array in (
            self.table.t_s,
            self.table.bpm,
            self.table.contact,
            self.table.rr_counts,
            self.table.rr_s,
        ):
            _frozen(array)
        for array in self.columns.values():
            _frozen(array)
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    @classmethod
    def of_samples(
        cls,
        samples: list[Sample],
        start_unix_s: float | None,
        source_format: str,
        path: Path,
        beat_t_s: np.ndarray | None = None,
        beat_rr_s: np.ndarray | None = None,
        columns: Mapping[str, np.ndarray] | None = None,
    ) -> Recording:
        """A recording of samples a reader made one by one (a short file)."""
        return cls(
            table_of(samples),
            start_unix_s,
            source_format,
            path,
            beat_t_s,
            beat_rr_s,
            columns or {},
            given=samples,
        )

    @cached_property
    def samples(self) -> list[Sample]:
        """Every sample as a `Sample` (built once, when first asked for; a long recording is
        better read through `table`)."""
        return self.given if self.given is not None else samples_of(self.table)

    def __len__(self) -> int:
        """How many samples."""
        return int(self.table.t_s.size)

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sample (0 for fewer than two)."""
        t = self.table.t_s
        return 0.0 if t.size < 2 else float(t[-1] - t[0])

    @property
    def n_beats(self) -> int:
        """How many RR intervals the samples carry."""
        return int(self.table.rr_s.size)


def only_track(path: Path, tracks: Mapping[str, Recording]) -> Recording:
    """The one person's recording of an exported session; a couple session's is refused,
    naming its people (`flooding import` stores those as one session)."""
    if len(tracks) > 1:
        raise ReaderError(
            path,
            None,
            phrase("reader.one_person"),
            phrase("reader.couple_session", names=", ".join(tracks)),
        )
    return next(iter(tracks.values()))
