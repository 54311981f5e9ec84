"""The strap's accelerometer end to end: real Bleak reads Polar's PMD service of the emulated
strap, and each heart-rate sample carries the activity level."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.cli.view import TerminalView
from flooding.core.activity import MAX_LEVEL_G, ActivityMeter
from flooding.core.hrm import HeartRateMeasurement
from flooding.core.models import LinkChanged, LinkState, Sample, SourceItem
from flooding.core.pmd import AccFrame, ErrorCode, FrameType
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.emulator import DEFAULT_ADDRESS, EmulatedAir, EmulatedStrap
from flooding.lab.emulator.movement import hexoskin, still, walking
from tests._data import DATA, requires_data
from tests.ble.emulated import accelerated_clock, fast_source, run_scenario, take, wait_for

pytestmark = pytest.mark.timeout(30)


def samples(items: list[SourceItem]) -> list[Sample]:
    return [i for i in items if isinstance(i, Sample)]


async def read_samples(air: EmulatedAir, n: int) -> list[SourceItem]:
    source = fast_source(air, address=DEFAULT_ADDRESS)
    async with contextlib.aclosing(source.stream()) as items:
        return await take(items, lambda item, got: len(samples(got)) >= n)


def test_walking_and_sitting_still_reach_each_sample_as_activity_levels() -> None:
    """A walking chest reads 0.1-0.3 g on every sample, a still one under 0.02 g, and the
    strap was asked for 25 Hz, 16 bits, 8 g."""

    async def scenario(
        air: EmulatedAir, strap: EmulatedStrap, _: object
    ) -> tuple[list[SourceItem], list[bytes]]:
        got = await read_samples(air, 5)
        assert strap.pmd is not None
        return got, strap.pmd.requests

    walked, requests = run_scenario(scenario, movement=walking())
    assert [r.hex(" ") for r in requests][:2] == [
        "01 02",
        "02 02 00 01 19 00 01 01 10 00 02 01 08 00",
    ]
    levels = [s.activity_g for s in samples(walked)]
    assert all(level is not None and 0.1 <= level <= 0.3 for level in levels), levels
    sat, _ = run_scenario(scenario, movement=still())
    levels = [s.activity_g for s in samples(sat)]
    assert all(level is not None and level < 0.02 for level in levels), levels


def test_a_strap_that_sends_only_full_frames_still_gives_every_reading_a_level() -> None:
    """Full frames (39 samples, about 1.6 s at 25 Hz) leave some seconds without a frame: those
    readings keep the level before them, so after the first frame every reading has one."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.fill_frames = True
        return await read_samples(air, 10)

    got = run_scenario(scenario, movement=walking())
    levels = [s.activity_g for s in samples(got)]
    first = next(i for i, level in enumerate(levels) if level is not None)
    assert first <= 2
    assert all(level is not None and 0.1 <= level <= 0.3 for level in levels[first:]), levels


def test_a_strap_without_the_accelerometer_service_gives_heart_rate_only() -> None:
    """Without PMD, samples flow as before with activity_g None."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        return await read_samples(air, 4)

    got = run_scenario(scenario)
    assert len(samples(got)) == 4
    assert all(s.activity_g is None for s in samples(got))
    assert all(s.bpm > 0 for s in samples(got))


def test_the_measurement_is_stopped_when_the_stream_closes() -> None:
    """Closing the stream stops the accelerometer on the strap (a stop request, answered)
    before the link goes."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> tuple[int, int, bool]:
        await read_samples(air, 3)
        assert strap.pmd is not None
        return strap.pmd.starts, strap.pmd.stops, strap.pmd.streaming

    starts, stops, streaming = run_scenario(scenario, movement=walking())
    assert (starts, stops, streaming) == (1, 1, False)


def test_malformed_accelerometer_frames_are_logged_without_their_bytes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bad frames are logged with size and reason, never their bytes; heart samples all
    arrive, the link stays up, and a good frame after them still gives a level."""
    good = bytes(AccFrame(0, tuple((0, 0, 1000 + 100 * (k % 2)) for k in range(24))))
    bad = [
        bytes.fromhex("02 0000000000000000 01 0a00 f6"),  # 3 bytes: no whole sample
        bytes.fromhex("02 0000000000000000 81 0100"),  # compressed, reference cut short
    ]

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.replace_frames = bad
        source = fast_source(air, address=DEFAULT_ADDRESS)
        async with contextlib.aclosing(source.stream()) as items:
            first = await take(items, lambda item, got: len(samples(got)) >= 3)
            strap.pmd.replace_frames = [good]
            rest = await take(items, lambda item, got: len(samples(got)) >= 3)
        return first + rest

    with caplog.at_level(logging.WARNING, logger="flooding.io.strap.pmd"):
        got = run_scenario(scenario, movement=walking())
    assert len(samples(got)) == 6
    assert LinkState.DISCONNECTED not in [i.state for i in got if isinstance(i, LinkChanged)]
    assert samples(got)[-1].activity_g == pytest.approx(0.05)
    warnings = [r.getMessage() for r in caplog.records if r.name == "flooding.io.strap.pmd"]
    assert warnings
    assert any("not a whole number" in w and "(13 bytes)" in w for w in warnings)
    assert any("reference sample" in w and "(12 bytes)" in w for w in warnings)
    assert not any("0a 00" in w or "0a00" in w or "f6" in w for w in warnings)


def beyond_range_frames() -> list[bytes]:
    """Well-formed frames whose samples no accelerometer asked for 8 g can read: 32 g in
    16 bits, 2000 g in 24 bits (each swinging against 1 g, so they would read as movement)."""
    swing = tuple((32_000 if k % 2 else 0, 0, 0 if k % 2 else 1000) for k in range(25))
    huge = tuple((2_000_000 if k % 2 else 0, 0, 0 if k % 2 else 1000) for k in range(25))
    return [bytes(AccFrame(0, swing)), bytes(AccFrame(0, huge, FrameType.RAW_24))]


def test_frames_beyond_the_asked_range_are_skipped_as_malformed_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Frames reading far beyond the 8 g asked for give no activity level (not movement),
    are logged as malformed with the range and without their values, and heart rate flows."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.replace_frames = beyond_range_frames()
        return await read_samples(air, 4)

    with caplog.at_level(logging.WARNING, logger="flooding.io.strap.pmd"):
        got = run_scenario(scenario, movement=walking())
    assert [s.activity_g for s in samples(got)] == [None] * 4
    assert all(s.bpm > 0 for s in samples(got))
    warnings = [r.getMessage() for r in caplog.records if r.name == "flooding.io.strap.pmd"]
    assert any("beyond the accelerometer's range of +-8 g" in w for w in warnings), warnings
    assert not any("32000" in w or "2000000" in w for w in warnings)


@pytest.mark.timeout(90)
def test_a_racing_heart_with_garbled_motion_frames_is_still_alerted(tmp_path: Path) -> None:
    """At 140 bpm on a still chest whose strap sends frames beyond the asked range, the live
    session alerts as for a strap without a motion sensor (not "you moved"), and stores no
    activity level that an import of its export would refuse."""
    store = Store.open(tmp_path)
    feed = [HeartRateMeasurement.from_rr_seconds(140, [60 / 140], contact=True)] * 2000

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
        assert strap.pmd is not None
        strap.pmd.replace_frames = beyond_range_frames()
        runner = SessionRunner(
            source=fast_source(air, address=strap.address, clock=accelerated_clock()),
            settings=default_settings(),
            store=store,
            view=TerminalView(),
            source_kind="ble",
        )
        task = asyncio.create_task(runner.run())
        await wait_for(
            lambda: (
                runner.outcome is not None
                and (runner.outcome.alerts >= 1 or runner.outcome.samples >= 600)
            ),
            timeout_s=60,
        )
        runner.stop()
        await task
        return runner

    try:
        runner = run_scenario(scenario, feed=feed, movement=still())
        assert runner.outcome is not None
        assert runner.session_id is not None
        levels = [s.activity_g for s in store.iter_samples(runner.session_id)]
    finally:
        store.close()
    assert runner.outcome.alerts >= 1, runner.outcome
    assert levels
    assert all(level is None or level <= MAX_LEVEL_G for level in levels)


def test_a_frame_type_the_h10_does_not_send_is_still_read() -> None:
    """Delta-compressed frames (other Polar sensors) give the same level as raw ones."""
    values = tuple((0, 0, 1000 + 100 * (k % 2)) for k in range(24))
    compressed = bytes(AccFrame(0, values, FrameType.COMPRESSED_MG))

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.replace_frames = [compressed]
        return await read_samples(air, 3)

    got = run_scenario(scenario, movement=walking())
    assert [s.activity_g for s in samples(got)] == pytest.approx([0.05] * 3)


def test_a_strap_that_refuses_the_accelerometer_still_gives_heart_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused start is logged with the strap's reason; samples flow with activity_g None."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.refuse_start = ErrorCode.INVALID_STATE
        return await read_samples(air, 3)

    with caplog.at_level(logging.WARNING, logger="flooding.io.strap.ble"):
        got = run_scenario(scenario, movement=walking())
    assert [s.activity_g for s in samples(got)] == [None, None, None]
    assert any(
        "did not start (START_MEASUREMENT refused: INVALID_STATE); heart rate only"
        in r.getMessage()
        for r in caplog.records
    )


def test_a_control_point_that_never_answers_costs_only_the_movement(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A strap whose control point stays silent holds heart rate back no longer than the
    accelerometer's start budget; then samples flow, without levels, and it is logged."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        assert strap.pmd is not None
        strap.pmd.silent = True
        return await read_samples(air, 3)

    with caplog.at_level(logging.WARNING, logger="flooding.io.strap.ble"):
        got = run_scenario(scenario, movement=walking())
    assert [s.activity_g for s in samples(got)] == [None, None, None]
    assert LinkState.DISCONNECTED not in [i.state for i in got if isinstance(i, LinkChanged)]
    assert any("did not start (no answer in time)" in r.getMessage() for r in caplog.records)


def test_after_a_drop_the_accelerometer_is_started_again() -> None:
    """When the strap comes back, the measurement is started anew and levels resume."""

    async def scenario(
        air: EmulatedAir, strap: EmulatedStrap, _: object
    ) -> tuple[list[SourceItem], int]:
        source = fast_source(air, address=DEFAULT_ADDRESS)
        async with contextlib.aclosing(source.stream()) as items:
            before = await take(items, lambda item, got: len(samples(got)) >= 2)
            await strap.drop(come_back=True)
            after = await take(
                items,
                lambda item, got: (
                    LinkState.CONNECTED in [i.state for i in got if isinstance(i, LinkChanged)]
                    and len(samples(got)) >= 3
                ),
            )
        assert strap.pmd is not None
        return before + after, strap.pmd.starts

    got, starts = run_scenario(scenario, movement=walking())
    assert starts == 2
    assert samples(got)[-1].activity_g is not None


def offline_levels(folder: Path, seconds: int) -> list[float | None]:
    """The activity level of each second of a recorded torso accelerometer, sampled at 25 Hz
    and computed here without any Bluetooth."""
    movement = hexoskin(folder)
    levels = []
    for second in range(seconds):
        meter = ActivityMeter()
        for k in range(25):
            meter.add(*movement(second + k / 25))
        levels.append(meter.take())
    return levels


@requires_data
def test_a_recorded_walk_and_stand_arrive_through_bleak_as_the_same_levels() -> None:
    """A real torso accelerometer (movement-hexoskin 001) played by the emulated strap reads,
    through Bleak, as the levels computed offline (to the mG the wire carries): walking above
    0.1 g, standing under 0.02 g."""
    assert DATA is not None
    folder = DATA / "movement-hexoskin" / "001hexoskin"
    levels = offline_levels(folder, 900)
    walk = next(i for i in range(890) if all((v or 0) > 0.1 for v in levels[i : i + 6]))
    stand = next(i for i in range(890) if all((v or 1) < 0.02 for v in levels[i : i + 6]))
    for start in (walk, stand):

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            return await read_samples(air, 6)

        got = run_scenario(scenario, movement=hexoskin(folder, float(start)))
        read = [s.activity_g for s in samples(got)]
        assert read == pytest.approx(levels[start : start + 6], abs=0.002)


def test_a_live_session_stores_each_samples_activity_level(tmp_path: Path) -> None:
    """Through the session runner (Bleak, engine, store), every stored sample of a walking
    strap has its activity level; read back from the SQLite file."""
    store = Store.open(tmp_path)

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> int | None:
        runner = SessionRunner(
            source=fast_source(air, address=strap.address),
            settings=default_settings(),
            store=store,
            view=TerminalView(),
            source_kind="ble",
        )
        task = asyncio.create_task(runner.run())
        await wait_for(lambda: runner.outcome is not None and runner.outcome.samples >= 10)
        runner.stop()
        await task
        return runner.session_id

    session_id = run_scenario(scenario, movement=walking())
    assert session_id is not None
    try:
        levels = [s.activity_g for s in store.iter_samples(session_id)]
    finally:
        store.close()
    assert len(levels) >= 10
    assert all(level is not None and 0.1 <= level <= 0.3 for level in levels), levels
