"""Make the two chimes shipped in flooding/io/notify/sounds/ (made here, CC0).

Soft bell tones (a sine with two quiet overtones and a slow decay), never an alarm:
the alert is two notes falling a major third, ready-to-return three notes rising.
Run: python scripts/make_chimes.py  (writes alert.wav and ready.wav, 16-bit mono).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE_HZ = 22_050  # plenty for a soft chime, half the size of CD rate
PEAK = 0.5  # of full scale: gentle even at full volume
ATTACK_S = 0.008  # a fade-in this short sounds like a strike, without a click
DECAY_PER_S = 3.2  # the bell rings out in about a second
OUT = Path(__file__).resolve().parent.parent / "flooding" / "io" / "notify" / "sounds"

# (start s, frequency Hz, loudness) of each note
ALERT_NOTES = ((0.0, 784.0, 1.0), (0.32, 622.25, 0.9))  # G5 then E-flat5: "ding-dong"
READY_NOTES = ((0.0, 523.25, 0.7), (0.18, 659.25, 0.7), (0.36, 783.99, 0.8))  # C5 E5 G5


def bell(frequency_hz: float, length_s: float) -> np.ndarray:
    """One soft bell note: fundamental plus two quiet overtones, struck then decaying."""
    t = np.arange(int(length_s * RATE_HZ)) / RATE_HZ
    tone = (
        np.sin(2 * np.pi * frequency_hz * t)
        + 0.25 * np.sin(2 * np.pi * 2 * frequency_hz * t) * np.exp(-2 * t)
        + 0.08 * np.sin(2 * np.pi * 3 * frequency_hz * t) * np.exp(-4 * t)
    )
    envelope = np.minimum(t / ATTACK_S, 1.0) * np.exp(-DECAY_PER_S * t)
    return tone * envelope


def chime(notes: tuple[tuple[float, float, float], ...], length_s: float) -> np.ndarray:
    """The notes laid over each other, normalised to PEAK, ending in silence."""
    out = np.zeros(int(length_s * RATE_HZ))
    for start_s, frequency_hz, loudness in notes:
        note = loudness * bell(frequency_hz, length_s - start_s)
        first = int(start_s * RATE_HZ)
        out[first : first + len(note)] += note
    fade = np.linspace(1.0, 0.0, int(0.05 * RATE_HZ))
    out[-len(fade) :] *= fade
    return out * (PEAK / np.max(np.abs(out)))


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16-bit mono PCM."""
    pcm = np.round(samples * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(pcm.tobytes())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_wav(OUT / "alert.wav", chime(ALERT_NOTES, 1.6))
    write_wav(OUT / "ready.wav", chime(READY_NOTES, 1.6))


if __name__ == "__main__":
    main()
