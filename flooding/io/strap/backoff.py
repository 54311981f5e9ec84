"""Why the strap is away, when to try again, and what to tell the person. Pure.

The shape follows bleak-retry-connector: each kind of failure has its own first wait (an
aborted radio link is retried at once, a full adapter after seconds), the wait grows
geometrically to a cap, and retrying never stops — a strap that comes back an hour later
is picked up again. `failure_of` names the kind from an error's D-Bus name and text alone,
so the backoff is a pure function of the error. Jitter is a parameter (a number in [0, 1)
the caller draws), so the functions stay pure and testable. The advice's words are texts of
the message catalogue (`strap.*`).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


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
    UNREADABLE = "unreadable"  # connected and sending, but nothing it sent could be read
    BLUETOOTH_OFF = "bluetooth-off"  # the computer's Bluetooth is off, missing or restarting


FIRST_DELAY_S: dict[Failure, float] = {
    Failure.DROPPED: 0.25,  # a drop is usually momentary: the strap is often back at once
    Failure.STALLED: 0.25,  # a fresh connection usually cures a silent link
    Failure.UNREADABLE: 0.25,  # a fresh connection may bring readable packets again
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


_STEPS: dict[Failure, tuple[str, ...]] = {  # what the person can do, most helpful first
    Failure.NOT_FOUND: ("wear", "apps", "bluetooth", "battery"),
    Failure.CONNECT_FAILED: ("apps", "wear", "range"),
    Failure.ABORTED: ("range", "apps", "restart"),
    Failure.DEVICE_GONE: ("wear", "range"),
    Failure.BUSY: ("apps", "restart"),
    Failure.NO_SLOTS: ("other_devices", "restart"),
    Failure.SERVICES_CHANGED: ("range", "restart"),
    Failure.STALLED: ("wear", "range"),
    Failure.UNREADABLE: ("restart_strap", "firmware"),
    Failure.DROPPED: ("range", "wear"),
}


def advice(
    failure: Failure,
    strap: str | None = None,
    *,
    attempts: int = 1,
    say: Catalogue | None = None,
    still_trying: bool = True,
) -> str:
    """What to tell the person, in plain words, about the current or final failure (in the
    language of `say`; English without, read once from the message catalogue); with
    `still_trying=False` the count of attempts does not promise more of them."""
    if say is None:
        from flooding.io.locale_files import load_catalogue

        say = load_catalogue()
    who = say("strap.your_strap_named", strap=strap) if strap else say("strap.your_strap")
    capital = who[:1].upper() + who[1:]
    head = say(f"strap.failure.{failure.value}", who=who, Who=capital)
    if failure is Failure.BLUETOOTH_OFF:
        return head
    if attempts > 1:
        # the count goes inside the sentence, before its full stop
        key = "strap.tried" if still_trying else "strap.tried_gave_up"
        head = say(key, failure=head.removesuffix("."), attempts=attempts)
    steps = "; ".join(say(f"strap.step.{step}") for step in _STEPS[failure])
    return head + say("strap.please", steps=steps)
