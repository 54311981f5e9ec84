"""The batch path's baseline buckets: each bucket's sum, highest and lowest rate, made a column
of many buckets at a time, are exactly those of its rates one by one."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.core.batch import COLUMN_BUCKETS_MIN, GRID_MAX_SAMPLES, Buckets, _bucket_sums

# rates whose sum depends on the order they are added in (1e16 + 1.0 is 1e16)
ORDERED = [1e16, -1e16, 1.0, 0.5, 3.3, 70.1, 64.0, 0.1]
RATES = st.sampled_from(ORDERED)
SIZES = st.integers(min_value=1, max_value=GRID_MAX_SAMPLES + 20)


def one_by_one(rates: np.ndarray, starts: list[int], stops: list[int]) -> list[list[float]]:
    """Each bucket's rates added left to right, its highest and lowest, a rate at a time."""
    out = []
    for start, stop in zip(starts, stops, strict=True):
        total = 0.0
        for rate in rates[start:stop].tolist():
            total += rate
        out.append([total, max(rates[start:stop].tolist()), min(rates[start:stop].tolist())])
    return out


class TestBuckets:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(SIZES, min_size=1, max_size=30).flatmap(
        lambda sizes: st.tuples(st.just(sizes), st.lists(RATES, min_size=sum(sizes),
                                                         max_size=sum(sizes)))
    ))  # fmt: skip
    def test_sums_and_extremes_as_one_by_one(self, drawn: tuple[list[int], list[float]]) -> None:
        """Buckets of every size, a single sample or over GRID_MAX_SAMPLES too, in any order
        of sizes: each one's sum (added left to right), highest and lowest rate are exactly
        those of its rates taken one at a time."""
        sizes, values = drawn
        rates = np.array(values)
        stops = list(itertools.accumulate(sizes))
        starts = [0, *stops[:-1]]
        buckets = Buckets.at(rates, np.array(starts, np.intp))
        got = np.stack([buckets.sums, buckets.highest, buckets.lowest], axis=1).tolist()
        assert got == one_by_one(rates, starts, stops)
        assert buckets.counts.tolist() == sizes

    @settings(max_examples=10, deadline=None)
    @given(st.integers(min_value=0, max_value=2**32 - 1))
    def test_many_buckets_read_a_column_at_a_time(self, seed: int) -> None:
        """Over COLUMN_BUCKETS_MIN buckets of up to GRID_MAX_SAMPLES samples each (read a
        column of buckets at a time), each one's sum, highest and lowest rate are exactly
        those of its rates taken one at a time."""
        rng = np.random.default_rng(seed)
        sizes = rng.integers(1, GRID_MAX_SAMPLES + 1, COLUMN_BUCKETS_MIN + 50).tolist()
        rates = rng.choice(ORDERED, sum(sizes))
        stops = list(itertools.accumulate(sizes))
        starts = [0, *stops[:-1]]
        buckets = Buckets.at(rates, np.array(starts, np.intp))
        assert buckets.made_sums is not None  # the column at a time path
        got = np.stack([buckets.sums, buckets.highest, buckets.lowest], axis=1).tolist()
        assert got == one_by_one(rates, starts, stops)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(SIZES, SIZES), min_size=1, max_size=20), st.lists(RATES, min_size=1))
    def test_sums_of_buckets_apart(
        self, pieces: list[tuple[int, int]], values: list[float]
    ) -> None:
        """The sums of runs of samples with others between them (a bucket's samples after its
        last gap) are their rates added left to right."""
        starts, stops = [], []
        at = 0
        for skip, size in pieces:
            starts.append(at + skip)
            stops.append(at + skip + size)
            at += skip + size
        rates = np.resize(np.array(values), at)
        counts = np.array(stops) - np.array(starts)
        sums = _bucket_sums(rates, np.array(starts, np.intp), counts)
        assert sums.tolist() == [row[0] for row in one_by_one(rates, starts, stops)]

    def test_time_going_back_is_one_long_bucket(self) -> None:
        """A single bucket of every sample (as when time goes back) has their sum, highest and
        lowest."""
        rates = np.resize(np.array([70.1, 1e16, 0.1, -1e16, 64.0]), 1_000)
        buckets = Buckets.at(rates, np.zeros(1, np.intp))
        expected = one_by_one(rates, [0], [rates.size])
        assert [buckets.sums[0], buckets.highest[0], buckets.lowest[0]] == expected[0]
