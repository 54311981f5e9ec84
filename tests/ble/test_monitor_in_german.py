"""What the monitor's terminal says when the strap drops, comes back or loses skin contact,
in the person's language, over the real Bleak code path against the emulated strap."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from flooding.app.session import SessionRunner
from flooding.cli.view import TerminalView
from flooding.core.hrm import HeartRateMeasurement
from flooding.io.config_files.loading import load_config
from flooding.io.store import Store
from flooding.lab.emulator import EmulatedAir, EmulatedStrap
from tests.ble.emulated import accelerated_clock, fast_source, run_scenario, wait_for
from tests.ble.test_monitor import run_until, samples_of
from tests.test_catalogue import no_english


def runner_in(
    language: str, air: EmulatedAir, strap: EmulatedStrap, store: Store, out: io.StringIO
) -> SessionRunner:
    """A SessionRunner on `strap` whose terminal lines are in `language`."""
    settings = load_config(
        None, env={}, overrides=[f'language="{language}"'], use_default_user_file=False
    ).settings
    return SessionRunner(
        source=fast_source(air, address=strap.address, clock=accelerated_clock()),
        settings=settings,
        store=store,
        view=TerminalView(out=out, language=language),
        source_kind="ble",
    )


def drop_and_return(language: str, folder: Path) -> str:
    """The terminal of a session whose strap drops and comes back."""
    store = Store.open(folder)
    out = io.StringIO()

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
        runner = runner_in(language, air, strap, store, out)
        task = asyncio.create_task(runner.run())
        await wait_for(lambda: samples_of(runner) >= 10)
        lines_before = out.getvalue().count("\n")
        await strap.drop()
        await wait_for(lambda: out.getvalue().count("\n") > lines_before + 1)
        before = samples_of(runner)
        await strap.come_back()
        await wait_for(lambda: samples_of(runner) >= before + 10)
        runner.stop()
        await task
        return runner

    try:
        run_scenario(scenario)
    finally:
        store.close()
    return out.getvalue()


def test_a_dropped_strap_is_told_in_german(tmp_path: Path) -> None:
    """When the strap drops and returns, `language = "de"` says so, why and what to do in
    German; in English by default."""
    english = drop_and_return("en", tmp_path / "en")
    assert "strap disconnected (" in english
    assert "Please " in english
    german = drop_and_return("de", tmp_path / "de")
    assert "Gurt getrennt (" in german
    assert "dein Gurt (Polar H10 E1A2B3C4 (C0:FF:EE:00:00:01))" in german
    assert "Bitte: " in german
    assert "verbunden mit Polar H10" in german
    assert no_english(german) == []


def test_lost_skin_contact_is_told_in_german(tmp_path: Path) -> None:
    """Packets without skin contact are explained in German under `language = "de"`."""
    store = Store.open(tmp_path)
    out = io.StringIO()
    feed = [HeartRateMeasurement(bpm=150, contact=False)] * 60

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
        runner = runner_in("de", air, strap, store, out)
        await run_until(runner, lambda: samples_of(runner) >= 50)
        return runner

    try:
        run_scenario(scenario, feed=feed)
    finally:
        store.close()
    german = out.getvalue()
    assert "Der Gurt hat keinen Hautkontakt: die Erkennung pausiert." in german
    assert no_english(german) == []
