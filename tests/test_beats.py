"""The beat-level path: beat times, artifact correction, heart rate and RMSSD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.core.beats import (
    LOOKAHEAD_BEATS,
    BeatClock,
    BeatProcessor,
    Label,
    RollingRmssd,
    StreamingCorrector,
    correct_rr,
    rmssd_batch,
    rolling_rmssd_ms,
)
from flooding.core.beats.fast import fast_rates
from flooding.core.beats.rolling import to_us
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


def stream(rr: np.ndarray) -> tuple[list[int], np.ndarray, list[int]]:
    corrector = StreamingCorrector()
    decisions = []
    for value in rr.tolist():
        decisions += corrector.push(value)
    decisions += corrector.flush()
    labels = [int(d.label) for d in decisions]
    values = np.array([v for d in decisions for v in d.rr_s])
    sources = [d.source for d in decisions for _ in d.rr_s]
    return labels, values, sources


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


# --- streaming equals batch -----------------------------------------------------------------


class TestStreamingEqualsBatch:
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
        )
    )
    def test_random_series(self, values: list[float]) -> None:
        """Push-then-flush gives exactly the batch labels, values and sources."""
        rr = np.array(values, dtype=np.float64)
        result = correct_rr(rr)
        labels, corrected, sources = stream(rr)
        assert labels == result.labels.tolist()
        assert np.array_equal(corrected, result.rr_s)
        assert sources == result.source.tolist()

    @requires_data
    @pytest.mark.parametrize(
        "name", ["polar-hrm_noisy.hrm", "polar-h10_pvc_hr-rr.csv", "polar-hrm_exercise.hrm"]
    )
    def test_real_recordings(self, name: str) -> None:
        """On real recordings the live corrector reproduces the batch one exactly."""
        rr = np.asarray(read(recording(name)).beat_rr_s)
        result = correct_rr(rr)
        labels, corrected, _ = stream(rr)
        assert labels == result.labels.tolist()
        assert np.array_equal(corrected, result.rr_s)

    def test_lookahead(self) -> None:
        """Beat i is decided exactly when beat i + LOOKAHEAD_BEATS arrives."""
        corrector = StreamingCorrector()
        decided = []
        for k, value in enumerate(sinus(40).tolist()):
            decided += [(k, d.source) for d in corrector.push(value)]
        assert decided[0] == (LOOKAHEAD_BEATS, 0)
        assert all(k - source == LOOKAHEAD_BEATS for k, source in decided)

    def test_bounded_memory(self) -> None:
        """The live corrector's windows stay at 91 values however many beats pass."""
        corrector = StreamingCorrector()
        for value in np.tile(sinus(), 10).tolist():
            corrector.push(value)
        assert len(corrector._abs_d) == len(corrector._abs_m) == 91


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


class TestRolling:
    def test_rmssd_known_value(self) -> None:
        """Alternating 800/900 ms beats have an RMSSD of 100 ms."""
        rmssd = RollingRmssd()
        for k in range(20):
            rmssd.add(0.85 * k, to_us(0.8 if k % 2 else 0.9))
        assert rmssd.rmssd_ms() == pytest.approx(100.0)

    def test_rmssd_window_forgets(self) -> None:
        """Differences older than the 30 s window no longer count."""
        rmssd = RollingRmssd(30.0)
        rmssd.add(0.0, to_us(0.8))
        rmssd.add(1.0, to_us(1.0))
        for k in range(2, 60):
            rmssd.add(float(k), to_us(0.8))
        assert rmssd.rmssd_ms() == 0.0

    def test_batch_rmssd_equals_running(self) -> None:
        """The vectorised rolling RMSSD equals the running one beat for beat."""
        rr = sinus(500)
        t = np.cumsum(rr)
        running = RollingRmssd()
        live = []
        for ti, ri in zip(t.tolist(), rr.tolist(), strict=True):
            running.add(ti, to_us(ri))
            value = running.rmssd_ms()
            live.append(np.nan if value is None else value)
        assert np.array_equal(np.array(live), rolling_rmssd_ms(t, rr), equal_nan=True)


# --- the processor --------------------------------------------------------------------------


def packets(rr: np.ndarray, strap_bpm: float = 70.0) -> list[Sample]:
    """One sample per beat at the beat's time, as a simple strap would send them."""
    t = np.cumsum(rr)
    return [
        Sample(ti, strap_bpm, (ri,), True) for ti, ri in zip(t.tolist(), rr.tolist(), strict=True)
    ]


class TestProcessor:
    def test_rmssd_exposed(self) -> None:
        """The processor reports RMSSD of the corrected beats in ms."""
        processor = BeatProcessor()
        assert processor.rmssd_ms is None
        for sample in packets(sinus()):
            processor.feed(sample)
        assert processor.rmssd_ms is not None
        assert 10.0 < processor.rmssd_ms < 80.0

    @requires_data
    @pytest.mark.parametrize(
        "name",
        [
            "polar-hrm_noisy.hrm",
            "polar-h10_pvc_hr-rr.csv",
            "polar-sensor-logger_PPI.txt",
            "polar-sensor-logger_HR.txt",
            "rr-ms_rest.txt",
        ],
    )
    def test_feed_equals_batch_on_real_files(self, name: str) -> None:
        """rmssd_batch gives exactly what feeding the samples one by one gives."""
        samples = read(recording(name)).samples
        processor = BeatProcessor()
        live = []
        for sample in samples:
            processor.feed(sample)
            live.append(processor.rmssd_ms)
        assert live == rmssd_batch(samples)
        assert any(value is not None for value in live) == any(s.rr_s for s in samples)


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

    def test_follows_a_fast_rise_within_two_seconds(self) -> None:
        """A jump from 70 to 110 bpm reads above 100 within 2 s of the first fast beat."""
        rr = [60 / 70] * 30 + [60 / 110] * 20
        samples = packets(np.array(rr))
        out = fast_rates(samples)
        jump_t = samples[30].t_s
        first = next(s.t_s for s, v in zip(samples, out, strict=True) if v > 100)
        assert first - jump_t <= 2.0
