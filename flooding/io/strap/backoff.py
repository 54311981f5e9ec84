"""Why the strap is away, when to try again, and what to tell the person. Pure.

The shape follows bleak-retry-connector: each kind of failure has its own first wait (an
aborted radio link is retried at once, a full adapter after seconds), the wait grows
geometrically to a cap, and retrying never stops — a strap that comes back an hour later
is picked up again. `failure_of` names the kind from an error's D-Bus name and text alone,
so the backoff is a pure function of the error. Jitter is a parameter (a number in [0, 1)
the caller draws), so the functions stay pure and testable.
"""

from __future__ import annotations

import enum


class Failure(enum.StrEnum):
    """Why the strap is not delivering heart data right now."""

    NOT_FOUND = "not-found"  # a scan ended without seeing the strap
    CONNECT_FAILED = "connect-failed"  # seen, but the connection did not come up in time
    ABORTED = "aborted"  # the radio link broke while connecting (interference, range)
    DEVICE_GONE = "device-gone"  # the system forgot the strap between scan and connect
    BUSY = "busy"  # the adapter is busy with another connect or scan of its own
    NO_SLOTS = "no-slots"  # the adapter has no free connection for another device
    SERVICES_CHANGED = "services-changed"  # the strap's services vanished while being read
    DROPPED = "dropped"  # the link went down while connected
    STALLED = "stalled"  # connected, but no heart rate arrived for too long
    BLUETOOTH_OFF = "bluetooth-off"  # the computer's Bluetooth is off, missing or restarting


FIRST_DELAY_S: dict[Failure, float] = {
    Failure.DROPPED: 0.25,  # a drop is usually momentary: the strap is often back at once
    Failure.STALLED: 0.25,  # a fresh connection usually cures a silent link
    Failure.ABORTED: 0.25,  # BlueZ's le-connection-abort-by-local: the next try usually works
    Failure.DEVICE_GONE: 0.25,  # a new scan brings the device object back at once
    Failure.SERVICES_CHANGED: 0.5,  # the cache is cleared; the strap re-lists its services
    Failure.CONNECT_FAILED: 0.5,  # give the strap's radio a moment to settle
    Failure.BUSY: 1.0,  # another connect or scan in progress finishes within a second or so
    Failure.NOT_FOUND: 1.0,  # the scan itself already waited; a short pause is enough
    Failure.NO_SLOTS: 4.0,  # as bleak-retry-connector: let the controller free a slot
    Failure.BLUETOOTH_OFF: 5.0,  # nothing changes until the person turns Bluetooth on
}

# What BlueZ (and Bleak above it) say, mapped to a kind of failure. Matched on the D-Bus error
# name when there is one, then on the text; the lists follow bleak-retry-connector's.
ERROR_NAMES: dict[str, Failure] = {
    "org.freedesktop.DBus.Error.UnknownObject": Failure.DEVICE_GONE,  # removed after the scan
    "org.bluez.Error.InProgress": Failure.BUSY,  # a connect or discovery already running
    "org.bluez.Error.NotReady": Failure.BLUETOOTH_OFF,  # the adapter is powered off
    "org.bluez.Error.NotPowered": Failure.BLUETOOTH_OFF,
    "org.freedesktop.DBus.Error.ServiceUnknown": Failure.BLUETOOTH_OFF,  # bluetoothd not running
    "org.freedesktop.DBus.Error.NoReply": Failure.CONNECT_FAILED,  # bluetoothd did not answer
    "org.bluez.Error.AlreadyConnected": Failure.BUSY,  # a stale link is being closed first
}
ERROR_TEXTS: tuple[tuple[str, Failure], ...] = (
    ("le-connection-abort-by-local", Failure.ABORTED),
    ("br-connection-canceled", Failure.ABORTED),
    ("software caused connection abort", Failure.ABORTED),
    ("connection slot", Failure.NO_SLOTS),
    ("available connection", Failure.NO_SLOTS),
    ("out of connection slots", Failure.NO_SLOTS),
    ("not found", Failure.DEVICE_GONE),
    ("inprogress", Failure.BUSY),
    ("in progress", Failure.BUSY),
    ("not ready", Failure.BLUETOOTH_OFF),
    ("no powered bluetooth adapters", Failure.BLUETOOTH_OFF),
    ("no bluetooth adapters", Failure.BLUETOOTH_OFF),
)


def failure_of(error_name: str | None, text: str, default: Failure) -> Failure:
    """The kind of failure an error stands for, from its D-Bus error name (if any) and its
    text; `default` when neither says more (e.g. CONNECT_FAILED while connecting)."""
    if error_name and error_name in ERROR_NAMES:
        return ERROR_NAMES[error_name]
    lowered = text.lower()
    for fragment, failure in ERROR_TEXTS:
        if fragment in lowered:
            return failure
    return default


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
_OTHER_DEVICES = (
    "disconnect a Bluetooth device you are not using (headphones, a mouse, a watch): "
    "this computer's Bluetooth can hold only a few connections at once"
)
_RESTART_BLUETOOTH = "if it keeps happening, turn Bluetooth off and on again"


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
    elif failure is Failure.ABORTED:
        steps = [_RANGE, _APPS, _RESTART_BLUETOOTH]
        head = f"The radio link to {who} broke off while connecting; trying again."
    elif failure is Failure.DEVICE_GONE:
        steps = [_WEAR, _RANGE]
        head = f"This computer lost track of {who}; looking for it again."
    elif failure is Failure.BUSY:
        steps = [_APPS, _RESTART_BLUETOOTH]
        head = f"Bluetooth was busy with something else; trying {who} again in a moment."
    elif failure is Failure.NO_SLOTS:
        steps = [_OTHER_DEVICES, _RESTART_BLUETOOTH]
        head = f"This computer's Bluetooth has no room for another connection to {who}."
    elif failure is Failure.SERVICES_CHANGED:
        steps = [_RANGE, _RESTART_BLUETOOTH]
        head = f"{who[:1].upper()}{who[1:]} changed while it was being read; reading it again."
    elif failure is Failure.STALLED:
        steps = [_WEAR, _RANGE]
        head = f"{who[:1].upper()}{who[1:]} stopped sending heart rate; reconnecting."
    else:
        steps = [_RANGE, _WEAR]
        head = f"Lost the connection to {who}; reconnecting."
    if attempts > 1:
        head += f" (tried {attempts} times, still trying)"
    return head + " Please " + "; ".join(steps) + "."
