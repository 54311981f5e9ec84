"""The chimes: a gentle sound with the alert and a different soft one with ready-to-return.

The files ship in `sounds/` (made here, CC0). The desktop notification carries the chime
as its sound hint, which notification servers that play sounds play; everywhere else the
platform's own player plays it: paplay, pw-play or aplay on Linux (found on PATH), afplay
on macOS, winsound on Windows. A sound never stops or slows a message.
"""

from __future__ import annotations

import array
import io
import logging
import shutil
import subprocess
import sys
import wave
from collections.abc import Callable, Sequence
from functools import partial
from importlib import resources
from pathlib import Path

from flooding.core.notice import Message
from flooding.io.notify.bus import server_capabilities
from flooding.io.notify.threads import run_in_daemon_thread

log = logging.getLogger(__name__)

CHIME_FILES = {"alert": "alert.wav", "ready": "ready.wav"}
PLAY_TIMEOUT_S = 10.0  # a chime lasts under 2 s; a player still busy after 10 s is stuck
FULL_VOLUME_PERCENT = 100

# Linux players, in order of preference; each reads the WAV from stdin.
LINUX_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("paplay", "--client-name=flooding"),  # PulseAudio, and PipeWire's pulse server
    ("pw-play", "-"),  # PipeWire's own
    ("aplay", "-q"),  # ALSA, when no sound server runs
)


def chime_file(name: str) -> Path | None:
    """The packaged file of a chime (None for an unknown name or a zipped install)."""
    file_name = CHIME_FILES.get(name)
    if file_name is None:
        return None
    path = resources.files("flooding.io.notify").joinpath("sounds", file_name)
    return path if isinstance(path, Path) and path.is_file() else None


def chime_wav(name: str, volume_percent: int) -> bytes:
    """The chime as WAV bytes, its samples scaled to the volume (0..100 %)."""
    file_name = CHIME_FILES[name]
    data = resources.files("flooding.io.notify").joinpath("sounds", file_name).read_bytes()
    if volume_percent >= FULL_VOLUME_PERCENT:
        return data
    with wave.open(io.BytesIO(data)) as source:
        params = source.getparams()
        samples = array.array("h", source.readframes(params.nframes))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    scale = max(0, volume_percent) / FULL_VOLUME_PERCENT
    scaled = array.array("h", (int(value * scale) for value in samples))
    if sys.byteorder == "big":
        scaled.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as sink:
        sink.setparams(params)
        sink.writeframes(scaled.tobytes())
    return out.getvalue()


def find_player(
    platform: str = sys.platform, which: Callable[[str], str | None] = shutil.which
) -> tuple[str, ...] | None:
    """The command that plays a WAV from stdin here (Linux), or `afplay` (macOS); else None.

    Found on PATH, never at a fixed place. Windows plays through `winsound` instead.
    """
    if platform == "darwin":
        path = which("afplay")
        return (path,) if path else None
    if platform.startswith("win"):
        return None
    for program, *options in LINUX_PLAYERS:
        path = which(program)
        if path:
            return (path, *options)
    return None


def play_blocking(name: str, volume_percent: int, player: Sequence[str] | None) -> None:
    """Play a chime and return when it has finished (may raise)."""
    if sys.platform.startswith("win"):
        import winsound  # type: ignore[import-not-found,unused-ignore]

        winsound.PlaySound(chime_wav(name, volume_percent), winsound.SND_MEMORY)
        return
    if player is None:
        raise FileNotFoundError("no sound player")
    if Path(player[0]).name == "afplay":
        path = chime_file(name)
        if path is None:
            raise FileNotFoundError("the chime file is not on disk")
        command = [*player, "-v", f"{volume_percent / FULL_VOLUME_PERCENT:.2f}", str(path)]
        subprocess.run(command, check=True, timeout=PLAY_TIMEOUT_S, capture_output=True)
        return
    subprocess.run(
        list(player),
        input=chime_wav(name, volume_percent),
        check=True,
        timeout=PLAY_TIMEOUT_S,
        capture_output=True,
    )


class ChimePlayer:
    """Plays a message's chime with the platform's player.

    A missing player is logged once; failures never reach the caller.
    """

    def __init__(
        self,
        volume_percent: int,
        *,
        player: Sequence[str] | None = None,
        play: Callable[[str, int, Sequence[str] | None], None] = play_blocking,
    ) -> None:
        self._volume = volume_percent
        self._player = tuple(player) if player is not None else find_player()
        self._play = play
        self._warned = False

    @property
    def budget_s(self) -> float:
        """The longest a chime can take: the player's time limit."""
        return PLAY_TIMEOUT_S

    @property
    def player_name(self) -> str:
        """What plays the chimes here, for messages to the person."""
        if sys.platform.startswith("win"):
            return "winsound"
        return Path(self._player[0]).name if self._player else "nothing (no player found)"

    async def send(self, message: Message) -> bool:
        """Play the message's chime; True when it played here. Never raises."""
        if message.chime is None or message.chime not in CHIME_FILES or self._volume <= 0:
            return False
        try:
            if self._player is None and not sys.platform.startswith("win"):
                self._warn("no sound player found (Linux: install pulseaudio-utils or alsa-utils)")
                return False
            await run_in_daemon_thread(
                partial(self._play, message.chime, self._volume, self._player),
                name="flooding-chime",
            )
        except subprocess.CalledProcessError as exc:
            self._warn(
                f"{self.player_name} could not play the {message.chime} chime (exit status "
                f"{exc.returncode}; is a sound server running?)"
            )
            return False
        except Exception as exc:  # a sound must never stop a message
            self._warn(f"the {message.chime} chime could not be played ({type(exc).__name__})")
            return False
        log.info("played the %s chime via %s", message.chime, self.player_name)
        return True

    def _warn(self, text: str) -> None:
        if self._warned:
            log.debug("%s", text)
            return
        self._warned = True
        log.warning("%s; messages come without sound", text)


async def server_plays_sounds() -> bool:
    """Whether the desktop's notification server says it plays sounds itself."""
    capabilities = await server_capabilities()
    return capabilities is not None and "sound" in capabilities
