"""Logging out ends this browser's login only: the server forgets it (a copy of its cookie is
refused, also after a restart and in the folder's other app), other logins go on, only the
app's own page can ask for it, and the logged-out page says how to open the app again; in
German too, and in a real browser with the keyboard."""

from __future__ import annotations

import asyncio
import html
import stat
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.app.web.guard import (
    COOKIE_AHEAD_S,
    COOKIE_LIFE_S,
    ENDED_LOGINS_DIR_NAME,
    load_secret,
    mint_code,
)
from flooding.app.web.live import LiveFeed
from flooding.app.web.server import AppServer
from flooding.io.config_files.loading import load_config
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.test_catalogue import no_english
from tests.test_web_guard import base, cookie_of, serve


async def log_out(server: AppServer, client: aiohttp.ClientSession, cookie: str) -> Any:
    """Press "Log out" as the app's page does (a form post from its own origin); the answer."""
    headers = {"Cookie": cookie, "Origin": base(server), "Sec-Fetch-Site": "same-origin"}
    return await client.post(
        base(server) + "/logout", data={}, headers=headers, allow_redirects=False
    )


async def status_of(server: AppServer, client: aiohttp.ClientSession, cookie: str) -> int:
    async with client.get(base(server) + "/sessions", headers={"Cookie": cookie}) as response:
        return response.status


def test_logging_out_ends_this_login_and_a_copy_of_its_cookie(tmp_path: Path) -> None:
    """After "Log out", this login's cookie (sent again, as a copy would be) is refused, the
    browser is told to drop it, and another browser's login still works; both stay so after
    the app starts again."""
    cookies: list[str] = []

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        this, other = await cookie_of(server, client), await cookie_of(server, client)
        cookies.extend([this, other])
        async with await log_out(server, client, this) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/logged-out"
            dropped = response.headers["Set-Cookie"]
        assert dropped.startswith(server.guard.cookie_name + '=""')
        assert "Max-Age=0" in dropped
        assert "HttpOnly" in dropped
        assert "SameSite=Strict" in dropped
        assert await status_of(server, client, this) == 401
        assert await status_of(server, client, other) == 200

    async def after_a_restart(server: AppServer, client: aiohttp.ClientSession) -> None:
        assert await status_of(server, client, cookies[0]) == 401
        assert await status_of(server, client, cookies[1]) == 200

    serve(tmp_path, check)
    serve(tmp_path, after_a_restart)
    assert len(list((tmp_path / ENDED_LOGINS_DIR_NAME).iterdir())) == 1


def test_an_ended_login_stays_ended_with_the_clock_set_back_and_is_forgotten_after(
    tmp_path: Path,
) -> None:
    """A login that logged out stays refused when the clock is set back hours; its note in
    the owner-only folder is removed once its cookie could not count even with the clock
    set back a life, at the next logout."""
    shift = [0.0]  # how far the app's wall clock is moved, in seconds

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        ended = await cookie_of(server, client)
        async with await log_out(server, client, ended) as response:
            assert response.status == 303
        shift[0] = -9 * 3600.0
        assert await status_of(server, client, ended) == 401
        shift[0] = COOKIE_LIFE_S + COOKIE_AHEAD_S + 60.0
        later = await cookie_of(server, client)
        async with await log_out(server, client, later) as response:
            assert response.status == 303
        kept = [mark.name for mark in (tmp_path / ENDED_LOGINS_DIR_NAME).iterdir()]
        assert len(kept) == 1
        assert kept[0] in later

    serve(tmp_path, check, clock=lambda: time.time() + shift[0])
    assert stat.S_IMODE((tmp_path / ENDED_LOGINS_DIR_NAME).stat().st_mode) == 0o700


def test_only_the_apps_own_page_can_log_out(tmp_path: Path) -> None:
    """A post to log out from another site, another port of 127.0.0.1, with no Origin, or
    that a browser says another page started is refused and the login goes on; the app's
    own page's post ends it."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        url = base(server) + "/logout"
        for headers in (
            {"Origin": "http://attacker.example"},
            {"Origin": f"http://127.0.0.1:{server.port + 1}"},
            {},
            {"Origin": base(server), "Sec-Fetch-Site": "cross-site"},
            {"Origin": base(server), "Sec-Fetch-Site": "same-site"},
        ):
            sent = {"Cookie": cookie, **headers}
            async with client.post(url, data={}, headers=sent, allow_redirects=False) as answer:
                assert answer.status == 403, headers
                assert "Set-Cookie" not in answer.headers
            assert await status_of(server, client, cookie) == 200, headers
        async with await log_out(server, client, cookie) as response:
            assert response.status == 303
        assert await status_of(server, client, cookie) == 401

    serve(tmp_path, check)


def test_logging_out_closes_this_logins_live_stream_only(tmp_path: Path) -> None:
    """A live page of the login that logged out stops getting the heart (its stream ends);
    another browser's live page goes on."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        this, other = await cookie_of(server, client), await cookie_of(server, client)
        url = base(server) + "/events"
        async with (
            client.get(url, headers={"Cookie": this}) as mine,
            client.get(url, headers={"Cookie": other}) as theirs,
        ):
            assert (await mine.content.readline()).startswith(b"event: snapshot")
            assert (await theirs.content.readline()).startswith(b"event: snapshot")
            async with await log_out(server, client, this) as response:
                assert response.status == 303
            await asyncio.wait_for(mine.content.read(), timeout=10)
            assert mine.content.at_eof()
            assert not theirs.content.at_eof()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(theirs.content.read(), timeout=0.5)

    serve(tmp_path, check, feed=LiveFeed())


def test_the_logged_out_page_says_how_to_open_the_app_again(tmp_path: Path) -> None:
    """The page after logging out needs no login, says this browser is logged out and names
    the command that gives a new link; every page offers "Log out" as a form post."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        for path in ("/", "/sessions", "/agreement", "/progress", "/settings", "/strap"):
            async with client.get(base(server) + path, headers={"Cookie": cookie}) as answer:
                page = await answer.text()
            assert '<form class="logout" method="post" action="/logout">' in page, path
            assert ">Log out</button>" in page, path
        async with client.get(base(server) + "/logged-out") as answer:
            assert answer.status == 200
            page = html.unescape(await answer.text())
        assert "You are logged out in this browser" in page
        assert "<code>flooding app</code>" in page
        assert "Other browsers where you opened the app stay logged in." in page
        assert 'action="/logout"' not in page

    serve(tmp_path, check)


def test_logging_out_in_german(tmp_path: Path) -> None:
    """With `language = "de"` the button says "Abmelden" and the logged-out page is German,
    naming the notification's button in its German words."""
    config = tmp_path / "de.toml"
    config.write_text('language = "de"\n', encoding="utf-8")

    async def main() -> None:
        store = Store.open(tmp_path)
        server = AppServer(folder=tmp_path, store=store, settings=load_config(config).settings)
        await server.start()
        try:
            async with aiohttp.ClientSession() as client:
                cookie = await cookie_of(server, client)
                async with client.get(base(server) + "/", headers={"Cookie": cookie}) as answer:
                    assert ">Abmelden</button>" in await answer.text()
                async with await log_out(server, client, cookie) as response:
                    assert response.status == 303
                async with client.get(base(server) + "/logged-out") as answer:
                    page = html.unescape(await answer.text())
        finally:
            await server.close()
            store.close()
        assert '<html lang="de">' in page
        assert "Du bist in diesem Browser abgemeldet" in page
        assert "Andere Browser, in denen du die App geöffnet hast, bleiben angemeldet." in page
        assert "<code>flooding app</code> in einem Terminal aus" in page
        assert "der Knopf <strong>App öffnen</strong>" in page  # the notification's own words
        assert no_english(page) == []

    asyncio.run(main())


@pytest.mark.slow
def test_log_out_with_the_keyboard_in_a_real_browser(chromium: Any, tmp_path: Path) -> None:
    """In chromium, Tab reaches "Log out" on the page and Enter logs out: the logged-out page
    shows, this browser (and a copy of its cookie in another) sees the pages no more, and
    another browser's login goes on."""
    app = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        port = int(app.base.rsplit(":", 1)[1])
        this = chromium.new_context()
        other = chromium.new_context()
        copy = chromium.new_context()
        page = this.new_page()
        page.goto(app.link)
        their_page = other.new_page()
        their_page.goto(f"{app.base}/open?code={mint_code(load_secret(tmp_path), port)}")
        assert their_page.locator("h1").count() == 1
        stolen = this.cookies()
        assert len(stolen) == 1
        page.goto(app.base + "/sessions")
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == "Log out":
                break
        assert page.evaluate("document.activeElement.tagName") == "BUTTON"
        page.keyboard.press("Enter")
        page.wait_for_url(app.base + "/logged-out")
        assert page.locator("h1").inner_text() == "You are logged out in this browser"
        assert page.locator("code").inner_text().endswith("flooding app")
        assert this.cookies() == []
        assert page.goto(app.base + "/sessions").status == 401
        copy.add_cookies(stolen)
        assert copy.new_page().goto(app.base + "/sessions").status == 401
        assert their_page.goto(app.base + "/sessions").status == 200
        for context in (this, other, copy):
            context.close()
    finally:
        app.stop()
