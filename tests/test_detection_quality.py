"""Detection on labeled synthetic hearts and real recordings, through the live engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from flooding.core.beats import correct_rr
from flooding.core.engine import Engine, run_batch
from flooding.core.models import Alert, Mode, Sample
from flooding.core.timefmt import is_wall_clock
from flooding.io.config_files.loading import default_settings
from flooding.io.readers import read
from flooding.io.store import Store
from flooding.lab.evaluate import reference_episodes, score_stress_predict
from flooding.lab.movement import hexoskin_folders, read_hexoskin
from flooding.lab.scenarios import Expectation, labeled_scenarios
from flooding.lab.simulate import Scenario
from flooding.lab.simulate import samples as scenario_samples
from tests._data import DATA, recording, requires_data

SLACK_S = 2.0  # the target: an alert within the confirmation window plus 2 s
SETTINGS = default_settings()
SMALL = labeled_scenarios(SETTINGS.detection, seeds=1, small=True)


def alerts(samples: list[Sample], mode: Mode = Mode.TALK) -> list[Alert]:
    return [e for e in run_batch(samples, SETTINGS, mode=mode).events if isinstance(e, Alert)]


def flooding(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flooding", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestGeneratorLabels:
    @pytest.mark.parametrize(
        ("scenario", "expect"),
        [pair for pair in SMALL if pair[1].kind in ("rise", "dropout")],
        ids=lambda v: getattr(v, "name", ""),
    )
    def test_each_rise_alerts_in_time(self, scenario: Scenario, expect: Expectation) -> None:
        """Every labeled onset gets its alert within the confirmation window + 2 s."""
        found = alerts(scenario_samples(scenario))
        assert expect.onsets_s
        for onset in expect.onsets_s:
            after = [a.t_s - onset for a in found if a.t_s >= onset - 10]
            assert after, f"no alert for the onset at {onset}"
            assert after[0] <= SETTINGS.detection.confirm_s + SLACK_S

    @pytest.mark.parametrize(
        ("scenario", "expect"),
        [pair for pair in SMALL if pair[1].kind in ("calm", "spikes", "artifacts", "contact")],
        ids=lambda v: getattr(v, "name", ""),
    )
    def test_no_alert_when_calm(self, scenario: Scenario, expect: Expectation) -> None:
        """Calm, short spikes, ectopic/missed/extra beats and lost contact give no alert."""
        assert not expect.onsets_s
        assert alerts(scenario_samples(scenario)) == []

    def test_exercise_alerts_in_talk_mode_not_in_workout_mode(self) -> None:
        """An exercise ramp alerts in talk mode (no rule tells it apart) and never in workout."""
        [(scenario, _)] = [pair for pair in SMALL if pair[1].kind == "exercise"]
        samples = scenario_samples(scenario)
        assert len(alerts(samples, Mode.TALK)) == 1
        assert alerts(samples, Mode.WORKOUT) == []

    def test_artifacts_are_in_the_beats(self) -> None:
        """The artifact scenario's RR stream really holds ectopic, missed and extra beats."""
        [(scenario, _)] = [pair for pair in SMALL if pair[1].kind == "artifacts"]
        rr = np.array([rr for s in scenario_samples(scenario) for rr in s.rr_s])
        labels = correct_rr(rr).labels
        assert np.count_nonzero(labels) > 50


def corrected(samples: list[Sample]) -> list[Sample]:
    """The samples with each packet's RR values replaced by the offline-corrected beats."""
    rr = np.array([rr for s in samples for rr in s.rr_s])
    result = correct_rr(rr)
    ends = np.cumsum([len(s.rr_s) for s in samples])
    packet = np.searchsorted(ends, result.source, side="right")
    out = []
    for k, s in enumerate(samples):
        values = tuple(result.rr_s[packet == k].tolist())
        out.append(Sample(s.t_s, s.bpm, values, s.contact, s.energy_kj))
    return out


@requires_data
@pytest.mark.slow
class TestRealRecordings:
    def test_pvc_recording_gives_no_alert(self) -> None:
        """Trigeminy and bigeminy premature beats (Polar H10) give no alert."""
        assert alerts(read(recording("polar-h10_pvc_hr-rr.csv")).samples) == []

    def test_noisy_recording_artifacts_give_no_alert(self) -> None:
        """The noisy file alerts exactly as its offline-corrected beats do: artifacts add none."""
        samples = read(recording("polar-hrm_noisy.hrm")).samples
        raw = [round(a.t_s) for a in alerts(samples)]
        clean = [round(a.t_s) for a in alerts(corrected(samples))]
        assert len(raw) == len(clean)
        assert all(abs(a - b) <= 2 for a, b in zip(raw, clean, strict=True))

    def test_noisy_recording_alert_is_its_real_rise(self) -> None:
        """Its one alert is the sustained rise at minute 3 (66 -> 95 bpm for half an hour):
        inside the first minutes, where the absolute rule alone applies, it is still caught."""
        rec = read(recording("polar-hrm_noisy.hrm"))
        [alert] = alerts(rec.samples)
        assert 150 <= alert.t_s - rec.samples[0].t_s <= 210
        t = np.asarray(rec.beat_t_s)
        rr = np.asarray(rec.beat_rr_s)
        minute = (t >= alert.t_s) & (t < alert.t_s + 600)
        calm_bpm = 60.0 / np.median(rr[t < rec.samples[0].t_s + 150])  # before the rise
        assert 60.0 / np.mean(rr[minute]) > calm_bpm + 15

    def test_movement_with_an_accelerometer_gives_no_alert(self) -> None:
        """The 13 movement recordings (walking, stairs, jogging, standing) give no alert with
        the torso accelerometer's activity level, and some without it (the control)."""
        assert DATA is not None
        folders = hexoskin_folders(DATA)
        assert len(folders) == 13
        assert all(alerts(read_hexoskin(folder)) == [] for folder in folders)
        assert any(alerts(read_hexoskin(folder, with_activity=False)) for folder in folders[:3])

    def test_exercise_in_workout_mode_gives_no_alert(self) -> None:
        """The exercise recording gives no alert in workout mode."""
        assert alerts(read(recording("polar-hrm_exercise.hrm")).samples, Mode.WORKOUT) == []

    @pytest.mark.parametrize(
        "name",
        [
            "polar-hrm_noisy.hrm",
            "polar-hrm_exercise.hrm",
            "polar-h10_pvc_hr-rr.csv",
            "polar-sensor-logger_PPI.txt",
            "polar-sensor-logger_HR.txt",
        ],
    )
    def test_batch_equals_live(self, name: str) -> None:
        """run_batch gives exactly the readings that feeding the engine sample by sample gives."""
        samples = read(recording(name)).samples
        engine = Engine(SETTINGS)
        live = [engine.feed(s) for s in samples]
        assert run_batch(samples, SETTINGS, keep_readings=True).readings == live


class TestReferenceEpisodes:
    def test_reference_needs_a_minute_above(self) -> None:
        """A reference episode is 60 s of smoothed rate above threshold; 40 s is none."""
        t = np.arange(600.0)
        bpm = np.full(600, 70.0)
        bpm[100:140] = 95.0
        bpm[300:380] = 95.0
        episodes, calm = reference_episodes(t, bpm, 70.0, SETTINGS)
        assert len(episodes) == 1
        assert episodes[0][0] == pytest.approx(300, abs=5)
        assert not calm[320]
        assert calm[50]


class TestReplayCommand:
    @requires_data
    def test_json_shape(self) -> None:
        """--json prints one object with alerts, episodes, ready and a summary."""
        done = flooding("replay", str(recording("polar-hrm_exercise.hrm")), "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert {"alerts", "episodes", "ready", "summary"} <= set(data)
        [alert] = data["alerts"]
        assert {"t_s", "bpm", "baseline_bpm", "rule"} <= set(alert)
        assert 300 < alert["t_s"] < 450
        assert {"start_s", "end_s", "peak_bpm"} <= set(data["episodes"][0])
        assert data["summary"]["alerts"] == 1

    @requires_data
    def test_workout_mode_and_no_writes(self, tmp_path: Path) -> None:
        """--mode workout gives no alert, and without --save nothing is written."""
        done = flooding(
            "replay",
            str(recording("polar-hrm_exercise.hrm")),
            "--mode",
            "workout",
            "--data-dir",
            str(tmp_path),
        )
        assert done.returncode == 0, done.stderr
        assert "No flooding alerts." in done.stdout or "alert:" not in done.stdout
        assert list(tmp_path.iterdir()) == []

    def test_mm_ss_times_without_a_clock(self, tmp_path: Path) -> None:
        """A file without wall-clock time prints mm:ss from the start; the rule that fired is
        said in plain words, not by its name."""
        path = tmp_path / "rise.txt"
        rr = [0.9] * 300 + [0.55] * 200  # 4.5 min at 67 bpm, then 109 bpm
        path.write_text("\n".join(f"{v * 1000:.0f}" for v in rr) + "\n")
        done = flooding("replay", str(path), "--format", "rr-text")
        assert done.returncode == 0, done.stderr
        assert "alert:" in done.stdout
        assert "mm:ss" in done.stdout
        assert "(over the fixed limit)" in done.stdout or "(above calm)" in done.stdout
        assert " rule)" not in done.stdout

    def test_save_stores_an_import_session(self, tmp_path: Path) -> None:
        """--save stores the replay as a session whose source is import:FORMAT."""
        path = tmp_path / "rest.txt"
        path.write_text("\n".join(["900"] * 400) + "\n")
        done = flooding("replay", str(path), "--save", "--data-dir", str(tmp_path / "d"))
        assert done.returncode == 0, done.stderr
        listed = flooding("sessions", "--json", "--data-dir", str(tmp_path / "d"))
        assert "import:rr-text" in listed.stdout

    def test_save_stores_what_import_stores_and_prints_it(self, tmp_path: Path) -> None:
        """--save stores the session as `flooding import` does (clock placement, file name,
        settings), and the printed alerts are the stored ones."""
        path = tmp_path / "rise.txt"
        rr = [0.9] * 300 + [0.55] * 200
        path.write_text("\n".join(f"{v * 1000:.0f}" for v in rr) + "\n")
        data = tmp_path / "d"
        done = flooding("replay", str(path), "--save", "--json", "--data-dir", str(data))
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        store = Store.open(data)
        try:
            session = store.session(printed["session"])
            assert session is not None
            assert session.strap_name == "rise.txt"
            assert is_wall_clock(session.started_s)  # placed on the clock, as an import
            settings_json = store.db.execute(
                "SELECT settings_json FROM sessions WHERE id=?", (session.id,)
            ).fetchone()[0]
            assert "detection" in json.loads(settings_json)
            stored = [row.t_s - session.started_s for row in store.events(session.id, "alert")]
        finally:
            store.close()
        assert printed["alerts"]
        assert [a["t_s"] for a in printed["alerts"]] == pytest.approx(stored, abs=1e-3)

    def test_save_stores_a_file_once_and_import_knows_it(self, tmp_path: Path) -> None:
        """A second --save of the same file still prints the replay but stores nothing,
        naming the session that holds it; `flooding import` of it says it is imported."""
        path = tmp_path / "rest.txt"
        path.write_text("\n".join(["900"] * 400) + "\n")
        data = tmp_path / "d"
        first = flooding("replay", str(path), "--save", "--json", "--data-dir", str(data))
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["saved"] is True
        again = flooding("replay", str(path), "--save", "--data-dir", str(data))
        assert again.returncode == 0, again.stderr
        assert "rest.txt is already stored as session 1; nothing was added." in again.stdout
        as_json = flooding("replay", str(path), "--save", "--json", "--data-dir", str(data))
        assert {k: json.loads(as_json.stdout)[k] for k in ("session", "saved")} == {
            "session": 1,
            "saved": False,
        }
        imported = flooding("import", str(path), "--data-dir", str(data))
        assert "already imported as session 1" in imported.stdout
        listed = json.loads(flooding("sessions", "--json", "--data-dir", str(data)).stdout)
        assert len(listed) == 1

    def test_bad_file_names_the_line(self, tmp_path: Path) -> None:
        """A malformed file exits non-zero with the reader's error naming file and line."""
        path = tmp_path / "bad.txt"
        path.write_text("800\n900\nabc\n")
        done = flooding("replay", str(path))
        assert done.returncode != 0
        assert "line 3" in done.stderr
        assert str(path) in done.stderr


class TestTaskLabelPrecision:
    def test_alerts_scored_by_the_task_labels(self, tmp_path: Path) -> None:
        """In a Stress-Predict file, an alert inside a labelled task counts as task-label
        precise and one in a rest stretch does not; the task counts as alerted."""
        rows = ["Participant,HR,respr,Time(sec),Label"]
        t0 = 1_644_227_583
        for k in range(2700):
            task = 600 <= k < 900
            bump = 2200 <= k < 2320  # a rise in the rest, 25 minutes after the task's alert
            bpm = 100.0 if (task and k >= 630) or bump else 70.0
            rows.append(f"2,{bpm},12.0,{t0 + k},{int(task)}")
        path = tmp_path / "stress.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        score = score_stress_predict(path, SETTINGS)
        assert score.alerts == 2
        assert (score.alerts_in_task, score.alerts_near_task) == (1, 1)
        assert score.task_precision == pytest.approx(0.5)
        assert (score.tasks, score.tasks_own_alert) == (1, 1)


class TestUnborneAlertsNamed:
    def test_an_alert_the_reference_does_not_bear_out_is_named_with_both_calms(
        self, tmp_path: Path
    ) -> None:
        """An alert under the reference's threshold (its calm raised by a rise inside the
        labelled rest) is named with where it fell, both calm levels and the heart after it."""
        rows = ["Participant,HR,respr,Time(sec),Label"]
        t0 = 1_644_227_583
        for k in range(1200):
            bpm = 85.0 if 300 <= k < 600 else 70.0  # the rest's median: 77.5
            rows.append(f"3,{bpm},12.0,{t0 + k},{int(600 <= k < 700)}")
        path = tmp_path / "stress.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        score = score_stress_predict(path, SETTINGS)
        assert (score.alerts, score.borne_out) == (1, 0)
        (note,) = score.notes
        assert note.startswith("p03: alert at 3")
        assert "not borne out (in rest, 85 bpm)" in note
        assert "the detector's calm 70.0, the reference's 77.5 bpm (threshold 87.5)" in note
        assert note.endswith("reached 85.0, under it")
