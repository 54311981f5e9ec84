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
