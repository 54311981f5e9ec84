"""Shared test fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flooding.io.config_files.place import SYSTEM_LANGUAGE_VARIABLES
from flooding.io.store import Store

pytest_plugins = ["tests.desktop", "tests._data", "tests.browser", "tests.loopback"]

KEPT_FLOODING_VARIABLES = {"FLOODING_SHARED_DATA"}  # where the real recordings are


@pytest.fixture(scope="session", autouse=True)
def no_settings_of_this_machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the person's own config, data, language and FLOODING_* variables out of every test.

    Session-scoped, so the `flooding` processes that module fixtures start are covered
    too; tests that set their own values (monkeypatch.setenv) get them back undone to this.
    """
    home = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
        patch.setenv("XDG_DATA_HOME", str(home / "data"))
        # the control sockets of the tests' monitors: owner-only, short enough for a socket path
        runtime = Path(tempfile.mkdtemp(prefix="flooding-tests-", dir="/tmp"))
        patch.setenv("XDG_RUNTIME_DIR", str(runtime))
        for name in list(os.environ):
            if name.startswith("FLOODING_") and name not in KEPT_FLOODING_VARIABLES:
                patch.delenv(name)
        # the machine's own language chooses the words when no setting does: tests speak
        # English unless one asks for another
        for name in SYSTEM_LANGUAGE_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("LANG", "C.UTF-8")
        try:
            yield
        finally:
            shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An open store in a fresh data folder (the test's tmp_path), closed after the test."""
    opened = Store.open(tmp_path)
    yield opened
    opened.close()
