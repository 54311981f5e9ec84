"""The remote targets' secrets (passwords, tokens, private topics) are never kept with a session:
its stored settings hold the target URLs masked as `flooding config show` shows them, and so do
the JSON export (the command's and the app's download) and the waiting file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from flooding.app.session import SessionRunner
from flooding.io.config_files.loading import load_config
from flooding.io.store import DB_NAME, Store
from flooding.io.store.journal import JOURNAL_SUFFIX
from tests._data import recording, requires_data
from tests.browser import AppProcess
from tests.fakes import RecordingNotifier, RecordingView
from tests.session_factory import flooding
from tests.test_store_busy import START, LockHolder, PacedSource

SECRETS = ("S3cretPass", "TOPSECRETTOKEN", "ANNATOPIC", "127.0.0.1:18765", "ntfy.example")
SHARED_TARGET = "json://alice:S3cretPass@127.0.0.1:18765/hook?token=TOPSECRETTOKEN"
CONFIG = f"""
[notify]
targets = ["{SHARED_TARGET}"]

[profiles.anna]
notify_targets = ["ntfys://ANNATOPIC@ntfy.example/private"]

[profiles.ben]
mode = "talk"
"""
SHARED_MASKED = ["json://…"]  # as `flooding config show` shows them
ANNA_MASKED = ["ntfys://…"]


def settings_file(folder: Path) -> Path:
    """An owner-only settings file in `folder` with a shared target and anna's own."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o600)
    return path


def secrets_in_files(data: Path) -> list[str]:
    """Each secret found in the bytes of the database, its -wal and the waiting files."""
    held = b"".join(p.read_bytes() for p in sorted(data.glob(DB_NAME + "*")) if p.is_file())
    return [secret for secret in SECRETS if secret.encode() in held]


def stored_settings(data: Path) -> list[dict[str, Any]]:
    """The settings kept with every session and every partner of a couple, as stored."""
    db = sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True)
    try:
        texts = [row[0] for row in db.execute("SELECT settings_json FROM sessions")]
        texts += [row[0] for row in db.execute("SELECT settings_json FROM session_people")]
    finally:
        db.close()
    return [json.loads(text) for text in texts]


def assert_masked(settings: dict[str, Any]) -> None:
    """The settings hold the shared target and anna's own, masked (kept, not dropped)."""
    assert settings["notify"]["targets"] == SHARED_MASKED
    if "profiles" in settings:
        assert settings["profiles"]["anna"]["notify_targets"] == ANNA_MASKED


def exported(session_id: int, data: Path) -> str:
    """`flooding export N --format json -o -`: what it printed."""
    result = flooding(
        "export", str(session_id), "--format", "json", "-o", "-", "--data-dir", str(data)
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_export_masked(text: str) -> None:
    """A JSON export holds no secret, and its settings (each partner's too) the masked URLs."""
    assert [s for s in SECRETS if s in text] == []
    session = json.loads(text)["session"]
    if "people" not in session:  # a couple session keeps its settings with each partner
        assert_masked(session["settings"])
    for person in session.get("people", []):
        assert_masked(person["settings"])


@requires_data
def test_imported_sessions_keep_and_export_no_target_secret(tmp_path: Path) -> None:
    """An imported session, and a couple one, keep their settings with the target URLs
    masked: the rows, the file's bytes and `flooding export --format json` hold no secret."""
    config = settings_file(tmp_path)
    data = tmp_path / "data"
    solo = recording("polar-h10_pvc_hr-rr.csv")
    couple = (recording("polar-sensor-logger_HR.txt"), recording("rr-ms_rest.txt"))
    for args in (
        (str(solo),),
        ("--couple", *map(str, couple), "--as", "anna", "ben"),
    ):
        result = flooding("import", *args, "--data-dir", str(data), "--config", str(config))
        assert result.returncode == 0, result.stderr
    stored = [kept for kept in stored_settings(data) if kept]  # a couple session's own: {}
    assert len(stored) == 3  # the solo session's and each partner's
    for settings in stored:
        assert_masked(settings)
    for session_id in (1, 2):
        assert_export_masked(exported(session_id, data))
    assert secrets_in_files(data) == []


def test_a_demo_session_keeps_and_exports_no_target_secret(tmp_path: Path) -> None:
    """The demo's session keeps its settings with the target URLs masked: its row, the
    file's bytes and its JSON export hold no secret."""
    config = settings_file(tmp_path)
    data = tmp_path / "data"
    args = ("demo", "--speed", "0", "--no-notify", "--data-dir", str(data), "--config", str(config))
    result = flooding(*args)
    assert result.returncode == 0, result.stderr
    demo = data / "demo"
    (settings,) = stored_settings(demo)
    assert_masked(settings)
    assert_export_masked(exported(1, demo))
    assert secrets_in_files(demo) == []


def waiting_header(data: Path) -> dict[str, Any]:
    """The session's details heading the waiting file (its one line that is no sample row)."""
    lines = (data / (DB_NAME + JOURNAL_SUFFIX)).read_text(encoding="utf-8").splitlines()
    (header,) = [line for line in lines if not line.startswith("[")]
    fields: dict[str, Any] = json.loads(header)
    return fields


def app_download(app: AppProcess, path: str) -> str:
    """What the app answers at `path` to a browser that opened its link."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(app.link, timeout=30):
        pass  # the link's code becomes the login cookie
    with opener.open(app.base + path, timeout=30) as response:
        text: str = response.read().decode("utf-8")
    return text


@pytest.mark.slow
def test_a_monitor_session_keeps_its_waiting_file_and_download_free_of_target_secrets(
    tmp_path: Path,
) -> None:
    """A live session recorded while another program holds the database writes its waiting
    file headed by its settings with the target URLs masked; once saved, its row, the
    file's bytes and the app's JSON download hold no secret."""
    settings = load_config(settings_file(tmp_path), env={}).settings
    assert settings.notify.targets == [SHARED_TARGET]  # the live settings keep the real URL
    data = tmp_path / "data"
    Store.open(data).close()
    store = Store.open(data, max_waiting_rows=10, journal_after_s=0.0)
    holder = LockHolder(data / DB_NAME)
    runner = SessionRunner(
        source=PacedSource(holder, before=0, during=60, after=0, let_go=False),
        settings=settings,
        store=store,
        notifier=RecordingNotifier(),
        view=RecordingView(),
        source_kind="ble",
        clock=lambda: START,
        flush_interval_s=0.02,
    )
    try:
        asyncio.run(runner.run())
        header = waiting_header(data)
        assert [s for s in SECRETS if s in json.dumps(header)] == []
        assert_masked(json.loads(header["settings_json"]))
        holder.release.set()
        store.close()
    finally:
        holder.__exit__()
    (stored,) = stored_settings(data)
    assert_masked(stored)
    assert secrets_in_files(data) == []
    app = AppProcess("app", "--no-browser", "--data-dir", str(data))
    try:
        assert_export_masked(app_download(app, f"/sessions/{runner.session_id}/export.json"))
    finally:
        app.stop()
