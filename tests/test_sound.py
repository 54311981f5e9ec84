"""The chimes: the shipped files, the volume, finding a player, and real sound.

Real parts: PulseAudio with a null sink, recorded back with `parec` and checked for energy;
the sound hint seen on a private D-Bus as dunst receives the notification.
"""

from __future__ import annotations

import array
import asyncio
import io
import math
import os
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.core.models import Mode
from flooding.core.notice import Message
from flooding.core.settings import NotifySettings
from flooding.io.notify import ChimePlayer, NotifierGroup, chime_file, choose_notifier, find_player
from flooding.io.notify.sound import CHIME_FILES, chime_wav
from flooding.io.store import Store
from flooding.lab.simulate import SimulatedStrap, hard_talk
from tests.desktop import Desktop
from tests.fakes import RecordingNotifier, RecordingView
from tests.traces import settings as make_settings

AUDIO_PROGRAMS = ("pulseaudio", "pactl", "paplay", "parec")
SINK = "flooding_test"
RATE_HZ = 22_050
START = 1_700_000_000.0
ALERT = Message("alert", "Time for a break", "Take 20 minutes.", chime="alert")
READY = Message("ready", "Ready when you are", "Start slowly.", chime="ready")


def rms(samples: array.array[int]) -> float:
    """Root mean square of 16-bit samples, as a fraction of full scale."""
    if not samples:
        return 0.0
    return math.sqrt(sum(v * v for v in samples) / len(samples)) / 32768


def wav_samples(data: bytes) -> tuple[wave._wave_params, array.array[int]]:
    with wave.open(io.BytesIO(data)) as source:
        params = source.getparams()
        return params, array.array("h", source.readframes(params.nframes))


class TestShippedChimes:
    @pytest.mark.parametrize("name", sorted(CHIME_FILES))
    def test_each_chime_is_a_short_gentle_wav(self, name: str) -> None:
        """Each chime is 16-bit mono, 1 to 2 s long, never louder than half of full scale."""
        path = chime_file(name)
        assert path is not None
        params, samples = wav_samples(path.read_bytes())
        assert (params.nchannels, params.sampwidth) == (1, 2)
        assert 1.0 <= params.nframes / params.framerate <= 2.0
        assert 0.05 < max(abs(v) for v in samples) / 32768 <= 0.5

    def test_the_two_chimes_differ(self) -> None:
        """Alert and ready-to-return sound different."""
        assert chime_wav("alert", 100) != chime_wav("ready", 100)

    def test_licence_note_ships_with_them(self) -> None:
        """The sounds folder says they were made here and are CC0."""
        path = chime_file("alert")
        assert path is not None
        note = (path.parent / "README.md").read_text(encoding="utf-8")
        assert "made here" in note
        assert "CC0" in note

    def test_volume_scales_the_samples(self) -> None:
        """At 25 % volume the chime carries a quarter of the full level."""
        _, full = wav_samples(chime_wav("alert", 100))
        _, quiet = wav_samples(chime_wav("alert", 25))
        assert rms(quiet) == pytest.approx(0.25 * rms(full), rel=0.01)


class TestFindingAPlayer:
    def test_linux_prefers_paplay(self) -> None:
        """With every player on PATH, Linux uses paplay (PulseAudio or PipeWire's pulse)."""
        player = find_player("linux", lambda name: f"/somewhere/{name}")
        assert player is not None
        assert player[0] == "/somewhere/paplay"

    def test_linux_falls_back_to_aplay(self) -> None:
        """With only ALSA's aplay on PATH, aplay plays the chime."""
        player = find_player("linux", lambda name: "/x/aplay" if name == "aplay" else None)
        assert player == ("/x/aplay", "-q")

    def test_macos_uses_afplay(self) -> None:
        """macOS plays through afplay, found on PATH."""
        assert find_player("darwin", lambda name: f"/usr/bin/{name}") == ("/usr/bin/afplay",)

    def test_no_player_found(self) -> None:
        """No player on PATH: None (the chime is skipped and that is logged once)."""
        assert find_player("linux", lambda name: None) is None


class TestWhenTheChimeSounds:
    def run_session(self, store: Store, *, mode: Mode, sound: bool = True) -> list[Message]:
        settings = make_settings(
            workout={"alerts": True, "detection": {}},
            notify={"enabled": True, "sound": sound},
        )
        notifier = RecordingNotifier()
        runner = SessionRunner(
            source=SimulatedStrap(hard_talk(), start_s=START, speed=0),
            settings=settings,
            store=store,
            view=RecordingView(),
            notifier=notifier,
            source_kind="simulated",
            mode=mode,
            clock=lambda: START,
        )
        asyncio.run(runner.run())
        return notifier.sent

    def test_alert_and_ready_each_have_their_chime(self, tmp_path: Path) -> None:
        """In a talk the alert comes with the alert chime and ready with the ready chime."""
        store = Store.open(tmp_path)
        sent = self.run_session(store, mode=Mode.TALK)
        assert [(m.kind, m.chime) for m in sent] == [("alert", "alert"), ("ready", "ready")]

    def test_workout_mode_is_silent(self, tmp_path: Path) -> None:
        """In workout mode (with workout alerts on) the messages come without a chime."""
        store = Store.open(tmp_path)
        sent = self.run_session(store, mode=Mode.WORKOUT)
        assert sent
        assert all(m.chime is None for m in sent)

    def test_sound_off_is_silent(self, tmp_path: Path) -> None:
        """notify.sound = false: no message carries a chime."""
        store = Store.open(tmp_path)
        sent = self.run_session(store, mode=Mode.TALK, sound=False)
        assert [(m.kind, m.chime) for m in sent] == [("alert", None), ("ready", None)]


# --- real sound through PulseAudio ---------------------------------------------------------


@pytest.fixture
def pulse_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private PulseAudio whose only sink is a null sink; PULSE_SERVER points at it."""
    missing = [name for name in AUDIO_PROGRAMS if shutil.which(name) is None]
    if missing:
        why = f"needs {', '.join(missing)} (Debian: apt-get install pulseaudio pulseaudio-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sound tests but it {why}", pytrace=False)
        pytest.skip(why)
    directory = Path(tempfile.mkdtemp(prefix="flooding-pulse-"))
    socket_path = directory / "pulse.sock"
    env = {**os.environ, "HOME": str(directory), "XDG_RUNTIME_DIR": str(directory)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "-n",  # no default.pa: nothing but the modules below
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            f"--load=module-native-protocol-unix socket={socket_path} auth-anonymous=1",
            f"--load=module-null-sink sink_name={SINK} rate={RATE_HZ}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = f"unix:{socket_path}"
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(
            ["pactl", "--server", server, "info"], capture_output=True, check=False
        ).returncode:
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("the private PulseAudio did not start")
            time.sleep(0.1)
        monkeypatch.setenv("PULSE_SERVER", server)
        yield directory
    finally:
        daemon.terminate()
        try:
            daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(directory, ignore_errors=True)


def recorded_while(
    send: Message, player: ChimePlayer, folder: Path
) -> tuple[bool, array.array[int]]:
    """What the null sink carried while the player handled the message (and its answer)."""
    recording = folder / "recording.raw"
    with recording.open("wb") as out:  # a file, not a pipe: a full pipe would stall parec
        recorder = subprocess.Popen(
            [
                "parec",
                f"--device={SINK}.monitor",
                "--format=s16le",
                f"--rate={RATE_HZ}",
                "--channels=1",
                "--raw",
                "--latency-msec=20",  # small fragments: nothing stays buffered at the end
            ],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.3)  # the recording stream is up before the chime starts
            played = asyncio.run(player.send(send))
            time.sleep(1.0)  # the null sink renders what it buffered
        finally:
            recorder.terminate()
            recorder.wait(10)
    data = recording.read_bytes()
    return played, array.array("h", data[: len(data) // 2 * 2])


class TestRealSound:
    def test_the_alert_chime_reaches_the_sound_server(self, pulse_sink: Path) -> None:
        """paplay (found on PATH) plays the alert chime: the sink carries clear energy."""
        played, samples = recorded_while(ALERT, ChimePlayer(100), pulse_sink)
        assert played is True
        assert rms(samples) > 0.02

    def test_volume_reaches_the_sound_server(self, pulse_sink: Path) -> None:
        """At 20 % volume the sink carries about a fifth of the full chime's energy."""
        _, loud = recorded_while(READY, ChimePlayer(100), pulse_sink)
        _, soft = recorded_while(READY, ChimePlayer(20), pulse_sink)
        assert 0.1 < rms(soft) / rms(loud) < 0.3

    def test_a_message_without_chime_is_silent(self, pulse_sink: Path) -> None:
        """The not-yet check has no chime: nothing is played, the sink stays silent."""
        quiet = Message("not-yet", "A little more time", "Take 10 more minutes.")
        played, samples = recorded_while(quiet, ChimePlayer(100), pulse_sink)
        assert played is False
        assert rms(samples) < 0.001


# --- the sound hint on D-Bus ------------------------------------------------------------------


def notify_calls_seen(desktop: Desktop, message: Message, settings: NotifySettings) -> str:
    """What dbus-monitor saw of the Notify call while the chosen notifier sent the message."""
    monitor = subprocess.Popen(
        [
            "dbus-monitor",
            "--address",
            desktop.display.bus_address,
            "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        time.sleep(0.5)  # dbus-monitor has registered its match rule
        notifier = choose_notifier(settings)
        assert isinstance(notifier, NotifierGroup)
        assert asyncio.run(notifier.send(message)) is True
        desktop.wait_for_notifications(1)
        time.sleep(0.3)
    finally:
        monitor.terminate()
        out, _ = monitor.communicate(timeout=10)
    return out


class TestSoundHint:
    def test_the_alert_carries_its_chime_as_sound_file(self, desktop: Desktop) -> None:
        """The notification server is handed the alert chime's file in the sound-file hint."""
        seen = notify_calls_seen(desktop, ALERT, NotifySettings(volume=0))
        assert '"sound-file"' in seen
        assert "/sounds/alert.wav" in seen

    def test_no_hint_with_sound_off(self, desktop: Desktop) -> None:
        """With notify.sound = false the notification carries no sound hint."""
        seen = notify_calls_seen(desktop, ALERT, NotifySettings(sound=False))
        assert "member=Notify" in seen
        assert "sound-file" not in seen
