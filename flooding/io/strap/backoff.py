"""When to try the strap again, and what to tell the person while it is away. Pure.

The shape follows bleak-retry-connector: the first retries come quickly (most drops are
momentary: a twist of the strap, a body between strap and computer), then the wait grows
geometrically to a cap, and retrying never stops — a strap that comes back an hour later
is picked up again. Jitter is a parameter (a number in [0, 1) the caller draws), so the
function stays pure and testable.
"""

from __future__ import annotations

import enum


class Failure(enum.StrEnum):
    """Why the strap is not delivering heart data right now."""

    NOT_FOUND = "not-found"  # a scan ended without seeing the strap
    CONNECT_FAILED = "connect-failed"  # seen, but the connection did not come up in time
    DROPPED = "dropped"  # the link went down while connected
    STALLED = "stalled"  # connected, but no heart rate arrived for too long
    BLUETOOTH_OFF = "bluetooth-off"  # the computer's Bluetooth is off or missing


FIRST_DELAY_S: dict[Failure, float] = {
    Failure.DROPPED: 0.25,  # a drop is usually momentary: the strap is often back at once
    Failure.STALLED: 0.25,  # a fresh connection usually cures a silent link
    Failure.CONNECT_FAILED: 0.5,  # give the strap's radio a moment to settle
    Failure.NOT_FOUND: 1.0,  # the scan itself already waited; a short pause is enough
    Failure.BLUETOOTH_OFF: 5.0,  # nothing changes until the person turns Bluetooth on
}
GROWTH_FACTOR = 2.0  # each further failure doubles the wait
MAX_DELAY_S = 15.0  # a strap put back on is picked up within ~15 s, at little radio cost
MAX_DELAY_BLUETOOTH_OFF_S = 30.0  # polling a switched-off adapter more often is pointless
JITTER_FRACTION = 0.2  # up to +20 %, so several programs do not retry in lock-step


def retry_delay_s(attempt: int, failure: Failure, jitter: float = 0.0) -> float:
    """Seconds to wait before retry number `attempt` (1 = the first retry after a failure).

    `jitter` in [0, 1) lengthens the wait by up to `JITTER_FRACTION`; pass
    `random.random()` in production and a fixed number in tests. Never raises for any
    attempt number: retrying goes on forever at the capped delay.
    """
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), got {jitter}")
    cap_s = MAX_DELAY_BLUETOOTH_OFF_S if failure is Failure.BLUETOOTH_OFF else MAX_DELAY_S
    steps = min(max(0, attempt - 1), 64)  # 2**64 is far past any cap; avoids overflow
    delay_s = min(cap_s, FIRST_DELAY_S[failure] * GROWTH_FACTOR**steps)
    return delay_s * (1.0 + JITTER_FRACTION * jitter)


_WEAR = "wear the strap with its electrodes moistened (it only wakes up on skin)"
_APPS = (
    "make sure it is not connected to a phone, watch or app (Polar Beat, Garmin Connect, "
    "Strava, Zwift...): most straps talk to one device at a time"
)
_BLUETOOTH = "check that Bluetooth is on for this computer"
_BATTERY = "if it still is not found, the strap's coin-cell battery may be flat"
_RANGE = "stay within a few metres of this computer"


def advice(failure: Failure, strap: str | None = None, *, attempts: int = 1) -> str:
    """What to tell the person, in plain words, about the current or final failure."""
    who = f"your strap ({strap})" if strap else "your strap"
    if failure is Failure.BLUETOOTH_OFF:
        return (
            f"Bluetooth is off or missing on this computer, so {who} cannot be reached: "
            "turn Bluetooth on (and allow this program to use it), then it connects by itself."
        )
    if failure is Failure.NOT_FOUND:
        steps = [_WEAR, _APPS, _BLUETOOTH, _BATTERY]
        head = f"Cannot find {who}."
    elif failure is Failure.CONNECT_FAILED:
        steps = [_APPS, _WEAR, _RANGE]
        head = f"Found {who}, but it would not connect."
    elif failure is Failure.STALLED:
        steps = [_WEAR, _RANGE]
        head = f"{who[:1].upper()}{who[1:]} stopped sending heart rate; reconnecting."
    else:
        steps = [_RANGE, _WEAR]
        head = f"Lost the connection to {who}; reconnecting."
    if attempts > 1:
        head += f" (tried {attempts} times, still trying)"
    return head + " Please " + "; ".join(steps) + "."
