"""What the live view says when the strap's link changes: a strap never connected is not
"disconnected", and nothing of it is "still recording"."""

from __future__ import annotations

import io

from flooding.cli.view import TerminalView
from flooding.core.models import LinkChanged, LinkState

ADDRESS = "C0:FF:EE:00:00:01"


def said(*changes: LinkChanged, language: str = "en") -> list[str]:
    """The lines the view prints for `changes`."""
    out = io.StringIO()
    view = TerminalView(every_s=0.0, out=out, language=language)
    for change in changes:
        view.link(change)
    return out.getvalue().splitlines()


def off(t_s: float) -> LinkChanged:
    """The strap could not be reached: Bluetooth is off."""
    return LinkChanged(t_s, LinkState.DISCONNECTED, strap_address=ADDRESS, failure="bluetooth-off")


def test_before_the_first_connection_it_says_not_connected_yet_and_nothing_recorded() -> None:
    """Bluetooth off from the start: not connected yet, nothing recorded yet, trying again."""
    (line,) = said(off(0.0))
    assert "not connected to the strap yet" in line
    assert "Nothing is recorded until it is; trying again on its own." in line
    assert "disconnected" not in line
    assert "Still recording" not in line


def test_after_a_connection_a_drop_is_a_disconnection_and_recording_goes_on() -> None:
    """Once the strap was connected, its drop says disconnected and still recording."""
    lines = said(LinkChanged(0.0, LinkState.CONNECTED, "Polar H10", ADDRESS), off(5.0))
    assert "strap disconnected" in lines[1]
    assert "Still recording" in lines[1]


def test_in_german_too() -> None:
    """The German live line says the same: not yet connected, nothing recorded."""
    (line,) = said(off(0.0), language="de")
    assert "noch nicht mit dem Gurt verbunden" in line
    assert "getrennt" not in line


def said_of_a_couple(*changes: tuple[str, LinkChanged], language: str = "en") -> list[str]:
    """The lines the view prints for each partner's link changes (`changes`: whose, what)."""
    out = io.StringIO()
    view = TerminalView(every_s=0.0, out=out, language=language)
    for person, change in changes:
        view.person_link(person, change)
    return out.getvalue().splitlines()


def test_a_partners_strap_is_not_connected_yet_until_it_connects_whatever_it_is_called() -> None:
    """In couple mode a partner's strap that never connected is "not connected yet" and
    named as theirs, and one that connected and dropped is "disconnected", also when the
    drop gives no strap name (as a simulated strap's does), in English and German."""
    changes = (
        ("Ben", off(0.0)),
        ("Anna", LinkChanged(1.0, LinkState.CONNECTED, "Simulated strap")),
        ("Anna", LinkChanged(2.0, LinkState.DISCONNECTED, reason="simulated dropout")),
    )
    ben, _, anna = said_of_a_couple(*changes)
    assert " Ben's strap not connected yet (" in ben
    assert ben.endswith("Nothing of it is recorded until it is; trying again on its own.")
    assert "disconnected" not in ben
    assert " Anna's strap disconnected (simulated dropout). Still recording" in anna
    ben, _, anna = said_of_a_couple(*changes, language="de")
    assert " Gurt von Ben noch nicht verbunden (" in ben
    assert "getrennt" not in ben
    assert " Gurt von Anna getrennt (simulated dropout). Es wird weiter aufgezeichnet" in anna
