"""`flooding status` of a running session: the heart it names is one the detector counted;
a reading it could not use (an implausible rate, no skin contact) is said as not counted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flooding.app.live import LiveMonitor
from flooding.app.session import SessionRunner
from flooding.app.sources import MergedSource
from flooding.app.status import StatusBoard
from flooding.cli.commands.status import describe
from flooding.cli.view import QuietView
from flooding.core.models import SOLO, LinkChanged, LinkState, Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.control import MonitorStatus
from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store
from tests.fakes import ListedSource

START_S = 1_800_000_000.0


def calm_then(last: Sample) -> list[Sample]:
    """Half a minute of a calm heart, then `last`."""
    return [Sample(START_S + t, 70.0) for t in range(30)] + [last]


def status_after(folder: Path, samples: list[Sample] | dict[str, list[Sample]]) -> MonitorStatus:
    """What `flooding status` says once a session (of one, or of the people named) has taken
    the samples."""
    store = Store.open(folder)
    board = StatusBoard(QuietView())
    if isinstance(samples, dict):
        source: ListedSource[Sample] | MergedSource = MergedSource(
            {name: ListedSource(s) for name, s in samples.items()}
        )
        people: tuple[str, ...] = tuple(samples)
    else:
        source, people = ListedSource(samples), (SOLO,)
    runner = SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        view=board,
        people=people,
        source_kind="test",
    )
    try:
        asyncio.run(runner.run())
        live = LiveMonitor(board, settings=default_settings(), strap="test", headless=True)
        live.runner = runner
        return live.status()
    finally:
        store.close()


def test_an_implausible_reading_is_said_as_not_counted(tmp_path: Path) -> None:
    """The latest reading at 300 bpm gives no heart rate but why and the strap's number, in
    words (English and German) and in the JSON, where those keys appear only then."""
    status = status_after(tmp_path, calm_then(Sample(START_S + 30, 300.0)))
    assert status.heart_bpm is None
    assert (status.heart_not_counted, status.strap_bpm) == ("implausible", 300.0)
    heart = next(line for line in describe(status) if line.startswith("Heart:"))
    assert heart.startswith("Heart:   not counted: the strap's reading is not believable (300")
    assert "check that the strap sits snug" in heart
    german = describe(status, load_catalogue("de"))
    assert any("zählt nicht: der Wert des Gurts ist nicht glaubhaft (300" in x for x in german)
    said = status.model_dump(mode="json")
    assert (said["heart_bpm"], said["heart_not_counted"], said["strap_bpm"]) == (
        None,
        "implausible",
        300.0,
    )
    counted = status_after(tmp_path, calm_then(Sample(START_S + 30, 72.0)))
    assert counted.heart_bpm == 72.0
    assert "heart_not_counted" not in counted.model_dump(mode="json")
    assert "strap_bpm" not in counted.model_dump(mode="json")


def test_a_reading_without_skin_contact_is_said_as_not_counted(tmp_path: Path) -> None:
    """The latest reading without skin contact gives no heart rate (not the strap's 0)."""
    status = status_after(tmp_path, calm_then(Sample(START_S + 30, 0.0, contact=False)))
    assert status.heart_bpm is None
    assert status.heart_not_counted == "no-contact"
    heart = next(line for line in describe(status) if line.startswith("Heart:"))
    assert heart.startswith("Heart:   not counted: no skin contact, calm baseline")


def test_a_partners_reading_not_counted_is_said_in_their_line(tmp_path: Path) -> None:
    """In a session of two, a partner's implausible reading gives them no heart rate and
    says why in their line; the other partner's heart is as before."""
    status = status_after(
        tmp_path,
        {
            "Anna": calm_then(Sample(START_S + 30, 71.0)),
            "Ben": calm_then(Sample(START_S + 30, 250.0)),
        },
    )
    assert status.people is not None
    anna, ben = status.people["Anna"], status.people["Ben"]
    assert ben.heart_bpm is None
    assert (anna.heart_bpm, anna.heart_not_counted) == (71.0, None)
    assert (ben.heart_bpm, ben.heart_not_counted, ben.strap_bpm) == (None, "implausible", 250.0)
    lines = describe(status)
    assert any(line.startswith("Anna: 71 bpm, calm baseline") for line in lines)
    assert any(
        line.startswith("Ben: not counted: the strap's reading is not believable (250 bpm)")
        for line in lines
    )


def test_a_strap_not_connected_yet_is_said_so_not_disconnected() -> None:
    """A strap that has not connected since the monitor started is "not connected yet"
    in `flooding status` (lines and JSON), not "disconnected"; once it has connected, a
    drop is "disconnected"."""
    board = StatusBoard(QuietView())
    live = LiveMonitor(board, settings=default_settings(), strap="Polar H10", headless=True)
    board.link(LinkChanged(START_S, LinkState.DISCONNECTED, "Polar H10"))
    status = live.status()
    assert status.model_dump(mode="json")["strap"]["link"] == "not-connected-yet"
    assert "Strap:   Polar H10: not connected yet: nothing is recorded until it is" in "\n".join(
        describe(status)
    )
    assert "Gurt:     Polar H10: noch nicht verbunden: Bis dahin wird nichts aufgezeichnet" in (
        "\n".join(describe(status, load_catalogue("de")))
    )
    board.link(LinkChanged(START_S + 1, LinkState.CONNECTED, "Polar H10"))
    board.link(LinkChanged(START_S + 2, LinkState.DISCONNECTED, "Polar H10"))
    assert live.status().strap.link == "disconnected"


def pausing_status(until_s: float, minutes_left: float) -> MonitorStatus:
    """A monitor's status in a break that ends at `until_s` (wall clock), `minutes_left`."""
    from flooding.io.control import PauseStatus, StrapStatus

    strap = StrapStatus(
        chosen="Polar H10",
        name="Polar H10",
        address=None,
        link="connected",
        connected=True,
        battery_percent=None,
    )
    return MonitorStatus(
        pid=7,
        headless=True,
        started_at=START_S,
        strap=strap,
        session_id=1,
        mode="talk",
        state="pausing",
        heart_bpm=88.0,
        baseline_bpm=70.0,
        pause=PauseStatus(until_s=until_s, minutes_left=minutes_left),
    )


def test_after_the_breaks_time_the_status_says_the_heart_is_checked(tmp_path: Path) -> None:
    """A break past its planned end, its heart still awaited, is said as over and being
    checked (in English and German), not as "0 minutes left"."""
    status = pausing_status(START_S, 0.0)
    [state] = [line for line in describe(status, now_s=START_S + 30) if line.startswith("State:")]
    assert state == (
        "State:   on a break: its time is over, and the heart rate is checked now, before going "
        "back"
    )
    german = describe(status, load_catalogue("de"), now_s=START_S + 30)
    assert "Zustand:  in der Pause: ihre Zeit ist um, und jetzt wird der Puls geprüft" in "\n".join(
        german
    )
    assert "0 " not in state


@pytest.mark.parametrize(
    ("days", "english", "german"),
    [
        (0, "(until 14:37)", "(bis 14:37)"),
        (1, "(until 14:37 tomorrow)", "(bis morgen um 14:37)"),
        (3, "(until 14:37 on Thursday)", "(bis Donnerstag um 14:37)"),
    ],
)
def test_a_breaks_end_on_another_day_reads_as_people_say_it(
    days: int, english: str, german: str
) -> None:
    """The end of a break is said after "until" ("bis") as people say it in either
    language: the day first in German ("bis morgen um 14:37", not "bis 14:37 morgen")."""
    from datetime import datetime

    now = datetime(2026, 9, 21, 14, 17).timestamp()  # local time, a Monday
    status = pausing_status(now + days * 86400 + 20 * 60, days * 1440 + 20.0)
    said = "\n".join(describe(status, now_s=now))
    assert english in said
    assert german in "\n".join(describe(status, load_catalogue("de"), now_s=now))


def test_a_long_break_names_its_end_with_the_day_and_its_length_in_hours() -> None:
    """A break ending after midnight says "tomorrow" with its time, and a long time left in
    hours and minutes; half a minute left is "1 minute", never "0 minutes"."""
    from datetime import datetime

    now = datetime(2026, 9, 21, 14, 17).timestamp()  # local time
    status = pausing_status(now + 700 * 60, 700.0)
    [state] = [line for line in describe(status, now_s=now) if line.startswith("State:")]
    assert state == "State:   pausing, 11 hours and 40 minutes left (until 01:57 tomorrow)"
    german = "\n".join(describe(status, load_catalogue("de"), now_s=now))
    assert "noch 11 Stunden und 40 Minuten (bis morgen um 01:57)" in german
    nearly = pausing_status(now + 30, 0.5)
    [state] = [line for line in describe(nearly, now_s=now) if line.startswith("State:")]
    assert state == "State:   pausing, 1 minute left (until 14:17)"
