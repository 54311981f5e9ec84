"""Opening the app in the person's browser without its one-time code on a command line.

Every account on this computer can read a program's command line (`ps`, /proc/PID/cmdline),
so a link handed to the browser there could be used by another account before the browser
does. The browser is handed `file://` of a small page instead, owner-only in an owner-only
folder of the data folder, that sends it on to the link (a meta refresh, and
`location.replace` for a browser that skips it). The page is named by a hash of the code (its
name gives the code away to no one), removed when the app takes the code, and otherwise after
OPEN_FILE_LIFE_S: by this process if it still runs, else by the next opening or the app's
next start. A default browser that runs confined (a snap or a Flatpak) cannot read that folder:
it is handed the link itself, as the only way it opens the app at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flooding.app.web.marks import made_private
from flooding.io.default_browser import confined_default_browser
from flooding.io.files import PRIVATE_DIR_MODE, make_private_dir, write_private

log = logging.getLogger(__name__)

OPEN_FILES_DIR_NAME = "app-open"  # in the data folder: the pages that open the app
# a browser reads its page within seconds of being started (a cold start on a slow machine
# included); a page never read is no use after this
OPEN_FILE_LIFE_S = 60.0
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={attribute}"><title>flooding</title></head>
<body><p><a href="{attribute}">{address}</a></p>
<script>window.location.replace({script});</script></body></html>
"""


def open_file_for(folder: Path, code: str) -> Path:
    """Where the page that opens a link with `code` into the app of `folder` is kept."""
    name = hashlib.sha256(code.encode("utf-8")).hexdigest()[:32]
    return folder / OPEN_FILES_DIR_NAME / f"{name}.html"


def code_in(link: str) -> str:
    """The one-time code a link into the app carries ("" when none)."""
    return parse_qs(urlsplit(link).query).get("code", [""])[0]


def page_for(link: str) -> str:
    """The page that sends a browser on to `link` at once."""
    parts = urlsplit(link)
    return PAGE.format(
        attribute=html.escape(link, quote=True),
        address=html.escape(f"{parts.scheme}://{parts.netloc}/"),
        script=json.dumps(link).replace("</", "<\\/"),
    )


def write_open_file(folder: Path, link: str, now_s: float) -> Path:
    """Write the page that opens `link` (owner-only, in an owner-only folder of `folder`), the
    pages older than their life removed first; its path."""
    pages = folder / OPEN_FILES_DIR_NAME
    make_private_dir(pages)
    made_private(pages, PRIVATE_DIR_MODE)
    sweep_open_files(folder, now_s)
    path = open_file_for(folder, code_in(link))
    write_private(path, page_for(link).encode("utf-8"))
    return path


def forget_open_file(folder: Path, code: str) -> None:
    """Remove the page that opens the link with `code`, if there is one (its code is taken)."""
    with contextlib.suppress(OSError):
        open_file_for(folder, code).unlink(missing_ok=True)


def sweep_open_files(folder: Path, now_s: float) -> None:
    """Remove the pages of `folder` older than OPEN_FILE_LIFE_S (a browser that never came)."""
    with contextlib.suppress(OSError), os.scandir(folder / OPEN_FILES_DIR_NAME) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < now_s - OPEN_FILE_LIFE_S:
                    os.unlink(entry.path)


async def open_in_browser(
    open_browser: Callable[[str], object],
    link: str,
    folder: Path,
    confined: Callable[[], str | None] = confined_default_browser,
) -> bool:
    """Have `open_browser` (e.g. `webbrowser.open`) open `link` through its page in `folder`
    (see the module's docstring), in a thread of its own, so the loop, and the app's server
    in it, goes on while a browser launcher waits; whether it said it opened. A daemon thread,
    not asyncio's own workers: those are waited for when the program ends, and a launcher
    that waits for the browser to close would hold up Ctrl-C. `confined`: the default
    browser's desktop file when it runs confined (it is handed the link itself), else None."""
    loop = asyncio.get_running_loop()
    sandboxed = await asyncio.to_thread(confined)
    if sandboxed is not None:  # it cannot read the page: the link itself, or no app at all
        log.info(
            "the default browser (%s) runs confined and cannot open a page in %s; it is "
            "handed the link itself, which other accounts here could read while it starts",
            sandboxed,
            folder,
        )
        target = link
    else:
        try:
            page = write_open_file(folder, link, time.time())
        except OSError as exc:  # never the link itself instead: every account could read it
            log.warning("the page that opens the app could not be written in %s (%s)", folder, exc)
            return False
        loop.call_later(OPEN_FILE_LIFE_S, forget_open_file, folder, code_in(link))
        target = page.as_uri()
    done: asyncio.Future[bool] = loop.create_future()

    def settle(result: bool | BaseException) -> None:
        if done.done():  # no one waits any more (cancelled)
            return
        if isinstance(result, BaseException):
            done.set_exception(result)
        else:
            done.set_result(result)

    def run() -> None:
        result: bool | BaseException
        try:
            result = bool(open_browser(target))
        except Exception as exc:  # said where it is awaited
            result = exc
        with contextlib.suppress(RuntimeError):  # the loop has ended meanwhile
            loop.call_soon_threadsafe(settle, result)

    threading.Thread(target=run, name="open-browser", daemon=True).start()
    return await done
