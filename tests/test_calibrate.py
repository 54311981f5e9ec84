"""Calibration: a robust calm baseline, personal proposals, and the calibrate command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from flooding.app.calibrate import (
    Calibration,
    CalibrationError,
    calm_stretch,
    measure,
    propose,
    record_calm,
)
from flooding.cli.commands._common import CommandError
from flooding.cli.main import main
from flooding.core.engine import run_batch
from flooding.core.models import Sample
from flooding.core.settings import DetectionSettings, Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, SimulatedStrap, hard_talk, samples
from tests._data import recording, requires_data
from tests.session_factory import calibrate_from, calibration_refused, store_readings


def rest_recording_samples() -> list[Sample]:
    """The real resting RR recording as strap-like one-a-second samples (mean of the
    last five beats, as a strap reports it)."""
    rr_s = np.loadtxt(recording("rr-ms_rest.txt")) / 1000.0
    beat_t = np.cumsum(rr_s)
    out = []
    for second in range(1, int(beat_t[-1]) + 1):
        last = int(np.searchsorted(beat_t, second, side="right"))
        if last == 0:
            continue
        recent = rr_s[max(0, last - 5) : last]
        out.append(Sample(float(second), round(60.0 / float(recent.mean()))))
    return out


def calm(level_bpm: float, seconds: float, seed: int = 3) -> list[Sample]:
    """A simulated strap's samples, calm at a known level."""
    return samples(Scenario("calm", (Segment(seconds, level_bpm, noise_bpm=1.0),), seed=seed))


class TestMeasure:
    @pytest.mark.parametrize("level", [52.0, 68.0, 95.0])
    def test_simulated_calm_gives_its_level(self, level: float) -> None:
        """A simulated calm heart at a known level calibrates to that level (±1 bpm)."""
        result = measure(calm(level, 300))
        assert result.baseline_bpm == pytest.approx(level, abs=1.0)
        assert 0.5 < result.spread_bpm < 4
        assert result.measured_s == pytest.approx(240, abs=2)

    @requires_data
    def test_real_rest_recording_gives_about_57(self) -> None:
        """The real 910-beat resting recording (mean 57 bpm) calibrates to about 57."""
        result = measure(rest_recording_samples())
        assert result.baseline_bpm == pytest.approx(57, abs=2)
        assert result.readings > 600

    def test_settling_period_is_left_out(self) -> None:
        """A first minute still up at 85 (just sat down) does not pull the baseline up."""
        settling = [Sample(float(t), 85.0) for t in range(60)]
        rest = [Sample(float(t), 62.0 + (t % 3)) for t in range(60, 300)]
        assert measure(settling + rest).baseline_bpm == 63

    def test_one_wild_reading_barely_moves_it(self) -> None:
        """Median and MAD: a burst of artefacts does not shift the baseline or the spread."""
        clean = [Sample(float(t), 60.0 + (t % 5)) for t in range(300)]
        dirty = [Sample(s.t_s, 180.0 if 100 <= s.t_s < 105 else s.bpm) for s in clean]
        a, b = measure(clean), measure(dirty)
        assert b.baseline_bpm == a.baseline_bpm
        assert b.spread_bpm == pytest.approx(a.spread_bpm, abs=0.2)

    def test_lost_contact_is_rejected(self) -> None:
        """More than a few seconds without skin contact rejects the measurement."""
        readings = [
            Sample(float(t), 0.0 if 100 <= t < 130 else 60.0, contact=not 100 <= t < 130)
            for t in range(300)
        ]
        with pytest.raises(CalibrationError, match="skin contact"):
            measure(readings)

    def test_too_short_is_rejected(self) -> None:
        """Fewer than 60 s after settling is too little data."""
        with pytest.raises(CalibrationError, match="too little data"):
            measure([Sample(float(t), 60.0) for t in range(100)])

    def test_sparse_readings_are_rejected(self) -> None:
        """Readings that arrive for only a third of the seconds are too little data."""
        with pytest.raises(CalibrationError, match="too little data"):
            measure([Sample(float(t), 60.0) for t in range(0, 600, 3)])

    def test_moving_while_measured_is_rejected(self) -> None:
        """A heart measured while the strap's motion sensor says the body walks is refused,
        however steady; a second of fidgeting is not."""
        walking = [Sample(float(t), 96.0, activity_g=0.17) for t in range(300)]
        with pytest.raises(CalibrationError, match="you moved for about 240 s"):
            measure(walking)
        fidget = [Sample(float(t), 62.0, activity_g=0.2 if t == 150 else 0.01) for t in range(300)]
        assert measure(fidget).baseline_bpm == 62

    def test_a_watch_export_is_judged_at_its_own_pace(self) -> None:
        """Readings every 5 to 15 s (a watch's export) measure at that pace; with gaps of
        minutes between them they are too little data, in a recording's words."""
        steps = [5.0, 10.0, 5.0, 15.0, 5.0, 5.0]
        times = np.cumsum([steps[i % len(steps)] for i in range(80)])
        watch = [Sample(float(t), 64.0 + i % 3) for i, t in enumerate(times)]
        assert measure(watch, step_s=5.0).baseline_bpm == 65
        with pytest.raises(CalibrationError, match="too little data"):
            measure(watch)  # at a strap's pace these are far too few
        sparse = [Sample(float(t), 64.0) for t in range(0, 1800, 300)]
        with pytest.raises(CalibrationError, match="with gaps between them"):
            measure(sparse, step_s=5.0)

    def test_no_readings_are_rejected(self) -> None:
        """No readings at all says the strap may not be on."""
        with pytest.raises(CalibrationError, match="no heart readings"):
            measure([])

    def test_calm_stretch_ends_before_the_first_onset(self) -> None:
        """Only what came a minute before the first flooding onset counts as calm."""
        readings = [Sample(float(t), 60.0) for t in range(1000)]
        stretch = calm_stretch(readings, [700.0, 500.0])
        assert stretch[-1].t_s < 440
        assert calm_stretch(readings, []) == readings


def _calibration(baseline: float, spread: float) -> Calibration:
    spread_samples = [Sample(float(t), baseline) for t in range(300)]
    result = measure(spread_samples)
    return type(result)(
        baseline_bpm=baseline,
        spread_bpm=spread,
        iqr_bpm=spread * 1.35,
        readings=result.readings,
        start_s=result.start_s,
        end_s=result.end_s,
        drift_bpm=0.0,
    )


class TestPropose:
    def test_resting_57_gives_87_and_10(self) -> None:
        """Calm 57 with a small spread: margin 10 (Gottman), absolute 57 + 30 = 87."""
        proposed = {p.key: p for p in propose(_calibration(57.2, 2.0), DetectionSettings())}
        assert proposed["detection.baseline_bpm"].value == 57
        assert proposed["detection.margin_bpm"].value == 10
        assert proposed["detection.absolute_bpm"].value == 87
        assert "Gottman" in proposed["detection.margin_bpm"].reason
        assert "57 + 30" in proposed["detection.absolute_bpm"].reason

    def test_wide_spread_widens_the_margin(self) -> None:
        """A calm heart that swings ±5 bpm gets a margin of 3 x 5 = 15."""
        proposed = {p.key: p for p in propose(_calibration(65, 5.0), DetectionSettings())}
        assert proposed["detection.margin_bpm"].value == 15
        assert "3 x your calm spread" in proposed["detection.margin_bpm"].reason

    def test_absolute_is_clamped_between_80_and_100(self) -> None:
        """Very fit (45) gets 80; calm 75 gets Gottman's 100, not 105."""
        fit = {p.key: p for p in propose(_calibration(45, 1.5), DetectionSettings())}
        assert fit["detection.absolute_bpm"].value == 80
        assert "very fit" in fit["detection.absolute_bpm"].reason
        high = {p.key: p for p in propose(_calibration(75, 1.5), DetectionSettings())}
        assert high["detection.absolute_bpm"].value == 100

    def test_high_resting_pulse_lets_the_relative_rule_decide(self) -> None:
        """Idling at 95, 100 bpm is not flooding: absolute rises to the relative threshold."""
        proposed = {p.key: p for p in propose(_calibration(95, 2.0), DetectionSettings())}
        assert proposed["detection.absolute_bpm"].value == 105  # 95 + max(10, 9.5)
        assert "relative" in proposed["detection.absolute_bpm"].reason

    def test_every_proposal_is_a_valid_setting(self) -> None:
        """Proposed values always pass the settings' own bounds."""
        for baseline in (35.0, 57.0, 80.0, 120.0, 149.0):
            for spread in (0.0, 3.0, 30.0):
                values = {
                    p.key.split(".")[1]: p.value
                    for p in propose(_calibration(baseline, spread), DetectionSettings())
                }
                DetectionSettings.model_validate(values)


class TestRecordCalm:
    def test_collects_the_asked_duration_from_any_source(self) -> None:
        """record_calm reads a passed-in simulated strap until the duration has passed."""
        strap = SimulatedStrap(
            Scenario("calm", (Segment(400, 60, noise_bpm=1.0),)), start_s=1e6, speed=0
        )
        seen: list[float] = []
        got = asyncio.run(record_calm(strap, 180, lambda s, elapsed: seen.append(elapsed)))
        assert got[-1].t_s - got[0].t_s == pytest.approx(180)
        assert seen[-1] == pytest.approx(180)
        assert measure(got).baseline_bpm == pytest.approx(60, abs=2)


MY_FILE = "# mine, with my therapist\n[detection]\nconfirm_s = 25  # a bit slower\n"


class TestCalibrateCommand:
    def test_simulated_sit_writes_values_keeping_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Calibrating (simulated strap, calm at 62) writes the three values, keeps comments;
        the resting rate in plain words (no interquartile range unless --verbose)."""
        path = tmp_path / "config.toml"
        path.write_text(MY_FILE, encoding="utf-8")
        code = main(
            ["calibrate", "--simulate", "62", "--minutes", "3", "--yes", "--config", str(path)]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        assert "Sit comfortably" in out
        assert "(measuring)" in out
        assert "Calm resting heart rate:" in out
        assert "interquartile" not in out
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# mine, with my therapist")
        assert "confirm_s = 25  # a bit slower" in text
        detection = tomllib.loads(text)["detection"]
        assert detection["baseline_bpm"] == pytest.approx(62, abs=1)
        assert detection["margin_bpm"] == 10
        assert detection["absolute_bpm"] == detection["baseline_bpm"] + 30
        again = ["calibrate", "--simulate", "62", "--minutes", "3", "--yes", "--verbose"]
        assert main([*again, "--config", str(path)]) == 0
        assert "interquartile range" in capsys.readouterr().out

    def test_answering_no_writes_nothing(self, tmp_path: Path) -> None:
        """At the prompt, anything but yes leaves the file untouched."""
        path = tmp_path / "config.toml"
        path.write_text(MY_FILE, encoding="utf-8")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "flooding",
                "calibrate",
                "--simulate",
                "70",
                "--minutes",
                "2",
                "--config",
                str(path),
            ],
            input="n\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "Nothing written" in result.stdout
        assert path.read_text(encoding="utf-8") == MY_FILE

    def test_from_a_recorded_session_uses_its_calm_start(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--from SESSION measures the calm minutes before the flooding (the demo's 68)."""
        data = tmp_path / "data"
        store = Store.open(data)
        talk = samples(hard_talk(), start_s=1_700_000_000.0)
        sid = store.begin_session(talk[0].t_s, source="test", mode="talk")
        store.add_samples(sid, talk)
        for event in run_batch(talk, default_settings()).events:
            store.add_event(sid, event)
        store.end_session(sid, talk[-1].t_s)
        store.close()
        path = tmp_path / "config.toml"
        code = calibrate_from(sid, data, path)
        out = capsys.readouterr().out
        assert code == 0, out
        assert tomllib.loads(path.read_text(encoding="utf-8"))["detection"]["baseline_bpm"] == (
            pytest.approx(68, abs=1)
        )
        assert "# Absolute threshold" in path.read_text(encoding="utf-8")  # made from template

    def test_from_a_watch_export_measures_at_its_pace(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--from a session imported from a watch's export (a reading every 5-15 s)
        calibrates from it, where a strap's one-a-second rule refused it as too little data."""
        data = tmp_path / "data"
        store = Store.open(data)
        steps = [5.0, 10.0, 5.0, 15.0, 5.0, 5.0]
        times = 1_700_000_000.0 + np.cumsum([steps[i % len(steps)] for i in range(200)])
        sid = store_readings(store, [Sample(float(t), 61.0 + i % 3) for i, t in enumerate(times)])
        store.close()
        path = tmp_path / "config.toml"
        code = calibrate_from(sid, data, path)
        out = capsys.readouterr().out
        assert code == 0, out
        assert tomllib.loads(path.read_text(encoding="utf-8"))["detection"]["baseline_bpm"] == 62

    def test_from_a_workout_session_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A workout is not a calm reference: calibrating from one is refused, nothing written."""
        data = tmp_path / "data"
        store = Store.open(data)
        sid = store_readings(store, calm(70, 400), mode="workout", started_s=0.0, ended_s=400.0)
        store.close()
        path = tmp_path / "config.toml"
        out, err = calibration_refused(sid, data, path, capsys)
        assert "workout" in err
        assert "workout" not in out


class TestCalibrateCommandFailures:
    def test_too_few_minutes_are_refused_on_stderr(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--minutes 1` is refused before anything is measured, on stderr with exit 1."""
        path = tmp_path / "config.toml"
        code = main(["calibrate", "--simulate", "62", "--minutes", "1", "--config", str(path)])
        out, err = capsys.readouterr()
        assert code == 1
        assert out == ""
        assert err == "flooding calibrate: --minutes must be at least 2\n"
        assert not path.exists()

    def test_a_config_file_that_cannot_be_written_is_said_plainly(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A config path whose folder cannot be made gives a message naming the file, no
        traceback, and a non-zero exit."""
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the folder should be", encoding="utf-8")
        path = blocker / "config.toml"
        code = main(
            ["calibrate", "--simulate", "62", "--minutes", "2", "--yes", "--config", str(path)]
        )
        err = capsys.readouterr().err
        assert code == 1
        assert f"cannot write {path}" in err
        assert "--config FILE" in err

    def test_a_config_that_is_not_toml_is_said_plainly(self, tmp_path: Path) -> None:
        """A file that turned unreadable as TOML (changed since it was read) gives a message
        naming it, and stays as it was."""
        path = tmp_path / "config.toml"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flooding",
                "calibrate",
                "--simulate",
                "62",
                "--minutes",
                "2",
                "--config",
                str(path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        shown = ""
        while not shown.endswith("[y/N] ") and (char := proc.stdout.read(1)):
            shown += char
        # while the question waits, the file is edited into something that is not TOML
        broken = "# mine\n[detection]\nmargin_bpm = 12 x\n"
        path.write_text(broken, encoding="utf-8")
        _, err = proc.communicate("y\n", timeout=60)
        assert proc.returncode == 1
        assert f"cannot set the values in {path}: Unexpected character" in err
        assert "at line 3" in err
        assert path.read_text(encoding="utf-8") == broken

    def test_a_linked_config_stays_a_link(self, tmp_path: Path) -> None:
        """A config file that is a symbolic link (dotfiles kept elsewhere) stays a link; the
        file it points to gets the values."""
        real = tmp_path / "dotfiles" / "flooding.toml"
        real.parent.mkdir()
        real.write_text(MY_FILE, encoding="utf-8")
        path = tmp_path / "config.toml"
        path.symlink_to(real)
        code = main(
            ["calibrate", "--simulate", "62", "--minutes", "2", "--yes", "--config", str(path)]
        )
        assert code == 0
        assert path.is_symlink()
        text = real.read_text(encoding="utf-8")
        assert text.startswith("# mine, with my therapist")
        assert "baseline_bpm" in text

    def test_a_strap_out_of_reach_gives_its_advice(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When the strap is not reached in time, calibrate prints what to check and exits
        non-zero instead of a traceback, without claiming to be still trying; nothing is
        written."""
        from collections.abc import AsyncIterator

        from flooding.app.sources import HeartSource
        from flooding.cli.commands import calibrate as command
        from flooding.cli.main import build_parser
        from flooding.io.strap.backoff import Failure
        from flooding.io.strap.ble import StrapUnavailableError

        class Unreachable:
            description = "Polar H10 (C0:FF:EE:00:00:01)"

            async def stream(self) -> AsyncIterator[Sample]:
                raise StrapUnavailableError(
                    Failure.NOT_FOUND, "Is the strap on and moist?", self.description, 3
                )
                yield  # pragma: no cover - makes this an async generator

        def unreachable_strap(settings: Settings, scanner: object, client: object) -> HeartSource:
            return Unreachable()

        path = tmp_path / "config.toml"
        args = build_parser().parse_args(
            ["calibrate", "--minutes", "2", "--yes", "--config", str(path)]
        )
        with pytest.raises(CommandError) as refused:
            command.run(args, open_strap=unreachable_strap)
        assert refused.value.code == 1
        said = (
            "flooding calibrate: Cannot find your strap (Polar H10 (C0:FF:EE:00:00:01)) "
            "(tried 3 times). Please wear the strap"
        )
        assert refused.value.shown("calibrate").startswith(said)
        assert not path.exists()

    def test_bluetooth_off_says_to_run_calibrate_again(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When calibrate gives up because Bluetooth cannot be used, it says to turn it on and
        run `flooding calibrate` again (with the same options), not that the strap will
        connect by itself; nothing is written."""
        from flooding.cli.commands import calibrate as command
        from flooding.cli.commands._common import program
        from flooding.cli.main import build_parser
        from flooding.io.strap.ble import StrapSource
        from tests.ble.test_ble_unavailable import NoAdapterScanner

        def strap_without_bluetooth(
            settings: Settings, scanner: object, client: object
        ) -> StrapSource:
            return StrapSource(
                "C0:FF:EE:00:00:01",
                scanner_backend=NoAdapterScanner,
                scan_timeout_s=0.05,
                retry_delay=lambda attempt, failure: 0.01,
                give_up_after_s=0.2,
            )

        path = tmp_path / "config.toml"
        args = build_parser().parse_args(
            ["calibrate", "--minutes", "3", "--yes", "--config", str(path)]
        )
        with pytest.raises(CommandError) as refused:
            command.run(args, open_strap=strap_without_bluetooth)
        said = refused.value.shown("calibrate")
        assert "Bluetooth is off or missing" in said
        again = f"{program()} calibrate --minutes 3 --config {path}"
        assert f"then run `{again}` again" in said
        assert "by itself" not in said
        assert not path.exists()

    def test_calibrates_against_the_emulated_strap_like_the_monitor(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With FLOODING_EMULATED_STRAP, calibrate reaches the emulated strap through real Bleak
        (the same backends as `monitor`) and writes the calm it measured (the strap's 68)."""
        from flooding.cli.commands import calibrate as command
        from flooding.cli.main import build_parser
        from flooding.io.strap.ble import StrapSource
        from flooding.lab.emulator import DEFAULT_ADDRESS
        from tests.ble.emulated import accelerated_clock

        interval_s = 0.04
        monkeypatch.setenv("FLOODING_EMULATED_STRAP", "1")
        monkeypatch.setenv("FLOODING_EMULATED_INTERVAL_S", str(interval_s))

        def fast_strap(settings: Settings, scanner: object, client: object) -> StrapSource:
            # the person's strap as `strap_source` opens it, a packet every 0.8 session s
            # (a strap's pace with room for the jitter of the sped-up clock)
            return StrapSource(
                settings.strap.address,
                settings.strap.name,
                scanner_backend=scanner,  # type: ignore[arg-type]
                client_backend=client,  # type: ignore[arg-type]
                clock=accelerated_clock(0.8, interval_s),
                give_up_after_s=10.0,
            )

        path = tmp_path / "config.toml"
        path.write_text(f'[strap]\naddress = "{DEFAULT_ADDRESS}"\n', encoding="utf-8")
        args = build_parser().parse_args(
            ["calibrate", "--minutes", "2", "--yes", "--config", str(path)]
        )
        assert command.run(args, open_strap=fast_strap) == 0
        out = capsys.readouterr().out
        assert "strap: connected" in out
        assert "Bluetooth is off" not in out
        detection = tomllib.loads(path.read_text(encoding="utf-8"))["detection"]
        assert detection["baseline_bpm"] == pytest.approx(68, abs=2)
