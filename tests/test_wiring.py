"""The composition root: a process built by `flooding.app.wiring` shows every reading and
message to its extra views, runs its extra services around its sessions, and holds its folder."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from flooding.app import wiring
from flooding.app.session import SessionOutcome
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.control import MonitorStatus
from flooding.io.store import Store
from flooding.lab.simulate import SimulatedStrap, hard_talk
from tests.fakes import RecordingView


def quiet_settings() -> Settings:
    """The defaults with desktop notifications off (nothing here has a desktop)."""
    settings = default_settings()
    notify = settings.notify.model_copy(update={"enabled": False})
    return settings.model_copy(update={"notify": notify})


def test_extra_views_and_services_join_a_session(tmp_path: Path) -> None:
    """An extra view gets the same readings and messages as the main view, and an extra
    service is entered before the session starts, sees it live, and is left when it ends."""
    main, extra = RecordingView(), RecordingView()
    happened: list[str] = []
    seen: list[MonitorStatus] = []

    @contextlib.asynccontextmanager
    async def service(proc: wiring.Process) -> AsyncIterator[None]:
        happened.append(f"entered with {len(main.readings)} readings shown")

        async def watch() -> None:
            while True:
                await asyncio.sleep(0)
                seen.append(proc.live.status())

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()
            happened.append(f"left with {len(main.readings)} readings shown")

    store = Store.open(tmp_path)
    try:
        source = SimulatedStrap(hard_talk(), start_s=0.0, speed=0)
        extras = wiring.Extras(views=[extra], services=[service])
        proc = wiring.process(source, quiet_settings(), store, main, kind="demo", extras=extras)
        outcome: SessionOutcome = asyncio.run(wiring.run_session(proc))
    finally:
        store.close()
    assert outcome.alerts >= 1
    assert len(extra.readings) == len(main.readings) == outcome.samples
    assert [m.kind for m in extra.messages] == [m.kind for m in main.messages]
    assert any(m.kind == "alert" for m in extra.messages)
    assert happened == [
        "entered with 0 readings shown",
        f"left with {outcome.samples} readings shown",
    ]
    assert seen
    assert seen[-1].session_id == outcome.session_id


def test_a_second_monitor_on_the_same_folder_is_refused_with_the_exit_code_to_retry(
    tmp_path: Path,
) -> None:
    """While one process holds the data folder, another gets a StartError with exit code 75
    that says how to see and stop the first."""
    with wiring.instance_lock(tmp_path, "flooding"):
        try:
            with wiring.instance_lock(tmp_path, "flooding"):
                raise AssertionError("the second lock was granted")
        except wiring.StartError as exc:
            refused = exc
    assert refused.code == wiring.EXIT_ALREADY_RUNNING
    assert "already running" in str(refused)
    assert "flooding status" in str(refused)
    with wiring.instance_lock(tmp_path, "flooding"):  # released: a new monitor may start
        pass
