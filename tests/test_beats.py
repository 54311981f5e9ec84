"""The beat-level path: beat times, artifact correction, heart rate and RMSSD."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.core.beats import BeatClock, Label, correct_rr, corrected_rmssd
from flooding.core.beats.artifacts import LOOKAHEAD_BEATS
from flooding.core.beats.clock import beat_times
from flooding.core.beats.columns import SampleColumns
from flooding.core.beats.fast import (
    MEDIAN_NETWORKS,
    RATE_BLOCK_SAMPLES,
    FastRate,
    _column_medians,
    fast_rate_array,
    fast_rates,
)
from flooding.core.models import Sample
from flooding.io.readers import read
from tests._data import recording, requires_data

AT = 150  # where the synthetic artifacts go


def sinus(n: int = 300, seed: int = 1) -> np.ndarray:
    """A calm, realistic RR series: 0.8 s with breathing-rate swing and a little noise."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    rr: np.ndarray = 0.8 + 0.03 * np.sin(2 * np.pi * i / 4.5) + 0.005 * rng.standard_normal(n)
    return rr


def corrected_near(rr: np.ndarray, lo: int, hi: int) -> tuple[list[int], np.ndarray]:
    result = correct_rr(rr)
    keep = (result.source >= lo) & (result.source < hi)
    return result.source[keep].tolist(), result.rr_s[keep]


# --- artifact labels and corrections on known cases -----------------------------------------


class TestCorrectionCases:
    def test_clean_series_nearly_untouched(self) -> None:
        """A clean sinus series keeps its beats: at most 1 % relabelled, none moved by 5 %."""
        rr = sinus(1000)
        result = correct_rr(rr)
        assert np.count_nonzero(result.labels) <= 10
        assert np.array_equal(result.source, np.arange(rr.size))
        assert np.abs(result.rr_s / rr - 1).max() < 0.05

    def test_extra_beat_merged(self) -> None:
        """An extra beat splitting one interval is labelled EXTRA and merged back."""
        base = sinus()
        rr = np.concatenate([base[:AT], [0.45 * base[AT], 0.55 * base[AT]], base[AT + 1 :]])
        assert correct_rr(rr).labels[AT] == Label.EXTRA
        sources, values = corrected_near(rr, AT, AT + 2)
        assert sources == [AT + 1]
        assert values[0] == pytest.approx(base[AT])

    def test_missed_beat_split(self) -> None:
        """A missed beat (two intervals as one) is labelled MISSED and split in halves."""
        base = sinus()
        rr = np.concatenate([base[:AT], [base[AT] + base[AT + 1]], base[AT + 2 :]])
        assert correct_rr(rr).labels[AT] == Label.MISSED
        sources, values = corrected_near(rr, AT, AT + 1)
        assert sources == [AT, AT]
        assert values == pytest.approx([(base[AT] + base[AT + 1]) / 2] * 2)

    def test_ectopic_pair_averaged(self) -> None:
        """A premature beat and its compensatory pause are labelled ECTOPIC and averaged."""
        rr = sinus()
        rr[AT], rr[AT + 1] = 0.55, 1.05
        labels = correct_rr(rr).labels
        assert labels[AT + 1] == Label.ECTOPIC
        assert np.all(np.delete(labels, [AT, AT + 1])[20:] == Label.NORMAL)
        _, values = corrected_near(rr, AT, AT + 2)
        assert values == pytest.approx([0.8, 0.8])

    def test_long_short_pair_averaged(self) -> None:
        """A long-then-short pair is found and set to its mean, keeping the beat times."""
        rr = sinus()
        rr[AT], rr[AT + 1] = 1.1, 0.5
        labels = correct_rr(rr).labels
        assert labels[AT + 1] == Label.ECTOPIC
        assert labels[AT] != Label.NORMAL
        _, values = corrected_near(rr, AT, AT + 2)
        assert values == pytest.approx([0.8, 0.8])

    @pytest.mark.parametrize(("value", "label"), [(1.2, Label.LONG), (0.5, Label.SHORT)])
    def test_lone_long_or_short_to_median(self, value: float, label: Label) -> None:
        """A lone long or short beat gets its label and the local median of 11 beats."""
        rr = sinus()
        rr[AT] = value
        assert correct_rr(rr).labels[AT] == label
        _, values = corrected_near(rr, AT, AT + 1)
        window = np.delete(rr[AT - 5 : AT + 6], 5)
        assert window.min() <= values[0] <= window.max()

    def test_out_of_range_dropped(self) -> None:
        """Intervals outside 300-2000 ms are labelled OUT_OF_RANGE and dropped."""
        rr = sinus()
        rr[AT], rr[AT + 1] = 2.5, 0.2
        result = correct_rr(rr)
        assert result.labels[AT] == result.labels[AT + 1] == Label.OUT_OF_RANGE
        assert AT not in result.source
        assert AT + 1 not in result.source
        assert result.rr_s.size == rr.size - 2

    def test_empty_series(self) -> None:
        """An empty series gives an empty result."""
        result = correct_rr(np.array([]))
        assert result.rr_s.size == result.labels.size == 0


# --- bounded look-ahead ----------------------------------------------------------------------


def final_part(rr: np.ndarray, known: int) -> tuple[list[int], list[float], list[int]]:
    """Labels, corrected values and sources of the beats final once `known` beats are in."""
    result = correct_rr(rr[:known])
    final = max(known - LOOKAHEAD_BEATS, 0)
    keep = result.source < final
    return result.labels[:final].tolist(), result.rr_s[keep].tolist(), result.source[keep].tolist()


class TestLookahead:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.one_of(
                st.floats(0.6, 1.0),
                st.floats(0.1, 3.0),
                st.sampled_from([0.4, 1.6, 0.3, 2.0]),
            ),
            min_size=0,
            max_size=220,
        ),
        st.integers(0, 220),
    )
    def test_random_series(self, values: list[float], cut: int) -> None:
        """A beat's correction never changes once LOOKAHEAD_BEATS later beats are known: the
        series cut short gives the same labels, values and sources for its final beats."""
        rr = np.array(values, dtype=np.float64)
        cut = min(cut, rr.size)
        whole = correct_rr(rr)
        labels, values_cut, sources = final_part(rr, cut)
        final = max(cut - LOOKAHEAD_BEATS, 0)
        keep = whole.source < final
        assert labels == whole.labels[:final].tolist()
        assert values_cut == whole.rr_s[keep].tolist()
        assert sources == whole.source[keep].tolist()

    @requires_data
    @pytest.mark.parametrize(
        "name", ["polar-hrm_noisy.hrm", "polar-h10_pvc_hr-rr.csv", "polar-hrm_exercise.hrm"]
    )
    def test_real_recordings(self, name: str) -> None:
        """On real recordings every prefix of 500 beats gives the whole file's final beats."""
        rr = np.asarray(read(recording(name)).beat_rr_s)
        whole = correct_rr(rr)
        for cut in range(50, rr.size, 500):
            labels, values, sources = final_part(rr, cut)
            keep = whole.source < cut - LOOKAHEAD_BEATS
            assert labels == whole.labels[: cut - LOOKAHEAD_BEATS].tolist()
            assert values == whole.rr_s[keep].tolist()
            assert sources == whole.source[keep].tolist()


# --- beat times -----------------------------------------------------------------------------


class TestBeatClock:
    def test_sums_within_tolerance(self) -> None:
        """Beats follow their summed intervals while packets agree with them."""
        clock = BeatClock()
        assert clock.push(10.0, (0.8,)) == [10.0]
        assert clock.push(11.0, (0.8, 0.3)) == pytest.approx([10.8, 11.1])

    def test_reanchored_after_dropout(self) -> None:
        """After a silence longer than the dropout limit, beats are anchored to the packet."""
        clock = BeatClock()
        clock.push(10.0, (0.8,))
        assert clock.push(20.0, (0.8,)) == [20.0]

    def test_reanchored_on_drift(self) -> None:
        """When summed time and packet time disagree by over 2 s, the packet time wins."""
        clock = BeatClock()
        clock.push(10.0, (0.8,))
        clock.push(11.0, (0.8,))
        assert clock.push(13.0, (0.1,)) == [13.0]

    def test_never_backwards(self) -> None:
        """A packet stamped earlier than the beats so far does not move time backwards."""
        clock = BeatClock()
        clock.push(10.0, (0.8,))
        times = clock.push(5.0, (0.8,))
        assert times[0] >= 10.0


# --- RMSSD and heart rate -------------------------------------------------------------------


# --- heart-rate variability -----------------------------------------------------------------------


def packets(rr: np.ndarray, strap_bpm: float = 70.0) -> list[Sample]:
    """One sample per beat at the beat's time, as a simple strap would send them."""
    t = np.cumsum(rr)
    return [
        Sample(ti, strap_bpm, (ri,), True) for ti, ri in zip(t.tolist(), rr.tolist(), strict=True)
    ]


def corrected_pairs_ms(rr: np.ndarray) -> np.ndarray:
    """Successive differences (ms) of the corrected beats, none across a dropped beat."""
    result = correct_rr(rr)
    src = result.source
    dropped = np.concatenate(([0], np.cumsum(result.labels == Label.OUT_OF_RANGE)))
    whole = dropped[src[1:]] == dropped[src[:-1]]
    diffs: np.ndarray = np.diff(result.rr_s * 1000.0)[whole]
    return diffs


class TestCorrectedRmssd:
    def test_alternating_beats(self) -> None:
        """RR of 800 and 810 ms in turn has an RMSSD of 10 ms."""
        hrv = corrected_rmssd([packets(np.array([0.8, 0.81] * 10))])
        assert hrv.rmssd_ms == pytest.approx(10.0)
        assert hrv.pairs_used == 19
        assert hrv.beats_corrected == 0

    def test_a_steady_trigeminy_is_irregular_a_sinus_rhythm_is_not(self) -> None:
        """Premature beats in a steady pattern (430, 900, 660 ms in turn), which the correction
        takes for the rhythm, leave most pairs jumping by over a fifth: the RMSSD is marked
        irregular; a sinus rhythm's is not."""
        pattern = corrected_rmssd([packets(np.array([0.43, 0.9, 0.66] * 40))])
        assert pattern.pairs_jumping > 0.8 * pattern.pairs_used
        assert pattern.irregular
        assert not corrected_rmssd([packets(sinus())]).irregular

    @requires_data
    @pytest.mark.parametrize(
        ("name", "irregular"),
        [
            ("polar-h10_pvc_hr-rr.csv", True),
            ("rr-ms_rest.txt", False),
            ("polar-hrm_noisy.hrm", False),
            ("polar-sensor-logger_PPI.txt", False),
        ],
    )
    def test_real_recordings_are_irregular_only_with_frequent_premature_beats(
        self, name: str, irregular: bool
    ) -> None:
        """Of the real recordings, only the strap on frequent premature beats (bigeminy) is too
        irregular for its RMSSD to say anything about relaxation."""
        hrv = corrected_rmssd([read(recording(name)).samples])
        assert hrv.irregular is irregular

    def test_too_few_beats(self) -> None:
        """No pair of beats gives no RMSSD rather than zero."""
        hrv = corrected_rmssd([packets(np.array([0.8]))])
        assert hrv.rmssd_ms is None
        assert hrv.pairs_used == 0

    def test_no_difference_between_runs(self) -> None:
        """Separate runs (a gap between them) are never differenced across."""
        runs = [packets(np.array([0.8, 0.81])), packets(np.array([1.2, 1.21]))]
        hrv = corrected_rmssd(runs)
        assert hrv.rmssd_ms == pytest.approx(10.0)
        assert hrv.pairs_used == 2

    def test_no_difference_across_a_dropped_beat(self) -> None:
        """A beat outside 300-2000 ms is dropped and no difference spans it."""
        rr = sinus(60)
        rr[30] = 2.5
        hrv = corrected_rmssd([packets(rr)])
        assert hrv.pairs_set_aside == 1
        assert hrv.pairs_used == 58 - 1

    def test_a_missed_beat_is_corrected_not_counted(self) -> None:
        """A missed beat (one long interval) is split: RMSSD stays that of the sinus rhythm."""
        clean = sinus()
        missed = np.concatenate((clean[:AT], [clean[AT] + clean[AT + 1]], clean[AT + 2 :]))
        with_artifact = corrected_rmssd([packets(missed)])
        assert with_artifact.beats_corrected >= 1
        plain = float(np.sqrt(np.mean((np.diff(missed) * 1000.0) ** 2)))
        assert with_artifact.rmssd_ms is not None
        reference = corrected_rmssd([packets(clean)]).rmssd_ms
        assert reference is not None
        assert abs(with_artifact.rmssd_ms - reference) < 0.1 * reference < plain - reference

    def test_windows_of_five_minutes(self) -> None:
        """A 12-minute run has two complete 5-minute windows, each the RMSSD of its pairs."""
        rr = np.array([0.8, 0.81] * 450)  # 724.5 s
        hrv = corrected_rmssd([packets(rr)])
        assert len(hrv.window_ms) == 2
        assert hrv.window_ms == pytest.approx((10.0, 10.0))

    @requires_data
    def test_equals_the_corrected_beats_on_a_real_recording(self) -> None:
        """On the noisy recording, RMSSD is that of the Lipponen-Tarvainen corrected beats."""
        samples = read(recording("polar-hrm_noisy.hrm")).samples
        rr = np.array([rr for s in samples for rr in s.rr_s])
        hrv = corrected_rmssd([samples])
        diffs = corrected_pairs_ms(rr)
        assert hrv.beats_corrected > 0
        assert hrv.pairs_used == diffs.size
        assert hrv.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(diffs**2))), rel=1e-12)


class TestFastRate:
    """The detector's low-latency rate (flooding.core.beats.fast)."""

    @staticmethod
    def rates(rr: list[float], strap_bpm: float = 70.0) -> np.ndarray:
        return np.array(fast_rates(packets(np.array(rr), strap_bpm=strap_bpm)))

    def test_steady_rate(self) -> None:
        """A steady 0.8 s rhythm reads 75 bpm once three beats have come."""
        out = self.rates([0.8] * 20, strap_bpm=99.0)
        assert out[0] == 99.0
        assert out[-1] == pytest.approx(75.0)

    @pytest.mark.parametrize("every", [2, 3])
    def test_bigeminy_and_trigeminy_read_the_beat_rate(self, every: int) -> None:
        """Every 2nd/3rd beat premature (0.42 s + 0.97 s pause) reads near the mean rate."""
        cycle = [0.42, 0.97] + [0.68] * (every - 2)
        rr = cycle * (120 // len(cycle))
        out = self.rates(rr)[10:]
        mean_rate = 60.0 / np.mean(cycle)
        assert np.all(np.abs(out - mean_rate) < 0.12 * mean_rate)

    @pytest.mark.parametrize(
        "artifact",
        [[0.32, 0.48], [1.6], [0.52, 1.08]],
        ids=["extra", "missed", "ectopic"],
    )
    def test_lone_artifact_does_not_raise_the_rate(self, artifact: list[float]) -> None:
        """An extra, missed or ectopic beat in a steady 75 bpm never reads above 80 bpm."""
        out = self.rates([0.8] * 30 + artifact + [0.8] * 30)
        assert out[5:].max() < 80.0

    def test_falls_back_to_the_strap_without_rr(self) -> None:
        """With no beats for more than STALE_S the strap's own value is used."""
        samples = packets(np.full(20, 0.8))
        t_end = samples[-1].t_s
        samples += [Sample(t_end + k, 66.0, (), True) for k in range(1, 10)]
        out = fast_rates(samples)
        assert out[19] == pytest.approx(75.0)
        assert out[-1] == 66.0

    @pytest.mark.parametrize("away_s", [6.0, 100.0])
    @pytest.mark.parametrize("block", [RATE_BLOCK_SAMPLES, 61])
    def test_beats_before_a_gap_are_not_used_after_it(self, away_s: float, block: int) -> None:
        """After the strap was away (125 bpm before, 75 bpm after), the rate reads the strap's
        75 bpm at once, live and in batch (across a block's end too), never the 136-150 bpm
        that the beats from before the gap made of the new ones."""
        before = [Sample(1_000.0 + k, 125.0, (0.48,), True) for k in range(60)]
        back_s = before[-1].t_s + away_s
        after = [Sample(back_s + k, 75.0, (0.8,), True) for k in range(30)]
        samples = before + after
        rate = FastRate()
        live = [rate.bpm(s) for s in samples]
        assert live[60:] == pytest.approx([75.0] * 30)
        assert fast_rate_array(SampleColumns.of(samples), block).tolist() == live

    def test_follows_a_fast_rise_within_two_seconds(self) -> None:
        """A jump from 70 to 110 bpm reads above 100 within 2 s of the first fast beat."""
        rr = [60 / 70] * 30 + [60 / 110] * 20
        samples = packets(np.array(rr))
        out = fast_rates(samples)
        jump_t = samples[30].t_s
        first = next(s.t_s for s, v in zip(samples, out, strict=True) if v > 100)
        assert first - jump_t <= 2.0


# --- the batch path's whole-array steps equal the live ones ---------------------------------

packet_stream = st.lists(
    st.tuples(
        st.sampled_from([1.0, 1.0, 1.0, 0.5, 0.0, 2.5, 4.0, 12.0, -0.5]),  # since the last
        st.sampled_from([0.6, 0.8, 1.0]),  # the heart's interval
        st.lists(st.sampled_from([1.0, 1.0, 1.0, 1.02, 0.5, 2.0, 0.25, 3.0]), max_size=4),
        st.floats(40.0, 150.0),  # the strap's own value
    ),
    max_size=300,
)


def as_samples(stream: list[tuple[float, float, list[float], float]]) -> list[Sample]:
    t = 1_700_000_000.0
    out = []
    for step, beat, factors, bpm in stream:
        t += step
        out.append(Sample(t, bpm, tuple(beat * f for f in factors), True))
    return out


class TestBatchEqualsLive:
    @settings(max_examples=150, deadline=None)
    @given(packet_stream)
    def test_beat_times(self, stream: list[tuple[float, float, list[float], float]]) -> None:
        """beat_times gives exactly the times BeatClock gives, packet after packet, through
        dropouts, drift and time going back."""
        samples = as_samples(stream)
        clock = BeatClock()
        live = [t for s in samples for t in clock.push(s.t_s, s.rr_s)]
        columns = SampleColumns.of(samples)
        assert beat_times(columns.t_s, columns.rr_counts, columns.rr_s).tolist() == live

    @settings(max_examples=150, deadline=None)
    @given(packet_stream)
    def test_fast_rates(self, stream: list[tuple[float, float, list[float], float]]) -> None:
        """fast_rates (whole arrays) gives exactly what FastRate gives sample by sample."""
        samples = as_samples(stream)
        rate = FastRate()
        assert fast_rates(samples) == [rate.bpm(s) for s in samples]

    @settings(max_examples=100, deadline=None)
    @given(packet_stream, st.integers(min_value=1, max_value=40))
    def test_fast_rates_in_blocks(
        self, stream: list[tuple[float, float, list[float], float]], block: int
    ) -> None:
        """Taken a block of samples at a time (a long recording), the rates are still exactly
        what FastRate gives sample by sample."""
        samples = as_samples(stream)
        rate = FastRate()
        blocked = fast_rate_array(SampleColumns.of(samples), block).tolist()
        assert blocked == [rate.bpm(s) for s in samples]

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.integers(min_value=0, max_value=799), min_size=1, max_size=2),
        st.sampled_from([0.1, 2.5]),
    )
    def test_fast_rates_with_a_few_dropped_beats(self, at: list[int], value: float) -> None:
        """In a long series with only one or two out-of-range values (so few that the whole-
        array path searches for them rather than counting every beat), wherever in a packet
        they fall, the rates are still exactly what FastRate gives sample by sample."""
        rr = sinus(800, seed=3)
        rr[at] = value
        ends = np.searchsorted(np.cumsum(rr), np.arange(1, 700, dtype=np.float64))
        samples = [
            Sample(1_000.0 + j, 70.0, tuple(rr[lo:hi].tolist()), True)
            for j, (lo, hi) in enumerate(itertools.pairwise([0, *ends.tolist()]))
        ]
        rate = FastRate()
        assert fast_rates(samples) == [rate.bpm(s) for s in samples]

    def test_fast_heart_with_more_beats_than_the_reference(self) -> None:
        """At 190 bpm the 3-s window holds more beats than the reference's REF_BEATS (the
        whole-array path tests those rows with the reference itself): the rates still equal
        FastRate's, a missed beat is split, and the steady rate reads 190 bpm."""
        rr = [60 / 190] * 61 + [2 * 60 / 190] + [60 / 190] * 59
        samples = [
            Sample(1_000.0 + 0.95 * k, 70.0, tuple(rr[3 * k : 3 * k + 3]), True)
            for k in range(len(rr) // 3)
        ]
        rate = FastRate()
        out = fast_rates(samples)
        assert out == [rate.bpm(s) for s in samples]
        assert out[15] == out[-1] == pytest.approx(190.0, abs=0.001)  # whole microseconds
        assert max(out) < 200.0

    @settings(max_examples=100, deadline=None)
    @given(
        st.integers(min_value=2, max_value=8).flatmap(
            lambda width: st.lists(
                st.lists(
                    st.sampled_from([1.5e6, 1.6e6, 1.6e6 + 1.0, 1.7e6, 2.1e6]),
                    min_size=width,
                    max_size=width,
                ),
                min_size=1,
                max_size=20,
            )
        )
    )
    def test_row_medians(self, rows: list[list[float]]) -> None:
        """The row medians of the whole-array path (sorting networks for short rows, given
        column by column) are exactly statistics.median of each row, ties too."""
        table = np.array(rows)
        columns = [table[:, k].copy() for k in range(table.shape[1])]
        assert _column_medians(columns).tolist() == [statistics.median(r) for r in rows]

    @pytest.mark.parametrize("width", sorted(MEDIAN_NETWORKS))
    def test_row_medians_of_every_order(self, width: int) -> None:
        """For each width with a median network, every order of `width` values, ties of
        every kind included, gives exactly statistics.median (a network that sorts 0 to
        width - 1 in every arrangement sorts any values alike)."""
        table = np.array(list(itertools.product(range(width), repeat=width)), dtype=np.float64)
        columns = [table[:, k].copy() for k in range(width)]
        assert _column_medians(columns).tolist() == [statistics.median(r) for r in table.tolist()]

    @requires_data
    @pytest.mark.parametrize(
        "name",
        [
            "polar-hrm_noisy.hrm",
            "polar-h10_pvc_hr-rr.csv",
            "polar-hrm_exercise.hrm",
            "nsr2db_nsr001_rr-seconds_22h.txt",
        ],
    )
    def test_fast_rates_on_real_files(self, name: str) -> None:
        """On real recordings too, fast_rates equals FastRate sample by sample."""
        samples = read(recording(name)).samples
        rate = FastRate()
        assert fast_rates(samples) == [rate.bpm(s) for s in samples]
