"""The app stays private: a real server on loopback, refused without the link's code, for a
foreign Host (DNS rebinding) and for cross-site changes; its secret file is owner-only."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from aiohttp import web

from flooding.app.web.guard import (
    CODE_LIFE_S,
    COOKIE_LIFE_S,
    MAX_BODY_BYTES,
    SECRET_FILE_NAME,
    USED_CODES_DIR_NAME,
    load_secret,
    mint_code,
)
from flooding.app.web.live import LiveFeed
from flooding.app.web.server import PORT_FILE_NAME, AppServer, running_link
from flooding.app.web.settings_page import form_fields
from flooding.io.config_files.loading import default_settings
from flooding.io.control import PauseReply, PauseRequest, Reply, Request
from flooding.io.files import UnsafeFileError
from flooding.io.store import Store
from tests.session_factory import record

Check = Callable[[AppServer, aiohttp.ClientSession], Awaitable[None]]


def serve(tmp_path: Path, check: Check, **kwargs: Any) -> None:
    """Run `check` against a started app server over a real store, then close both."""

    async def main() -> None:
        store = Store.open(tmp_path)
        kwargs.setdefault("settings", default_settings())
        server = AppServer(folder=tmp_path, store=store, **kwargs)
        await server.start()
        try:
            async with aiohttp.ClientSession() as client:
                await check(server, client)
        finally:
            await server.close()
            store.close()

    asyncio.run(main())


async def cookie_of(server: AppServer, client: aiohttp.ClientSession) -> str:
    """Open the printed link once; the Cookie header value it grants."""
    async with client.get(server.link(), allow_redirects=False) as response:
        assert response.status == 303
        morsel = response.cookies[server.guard.cookie_name]
        return f"{morsel.key}={morsel.value}"


def pausing_control(done: list[Request]) -> Callable[[Request], Reply]:
    """A monitor's control that keeps each request it is given in `done` and pauses."""

    def control(request: Request) -> Reply:
        done.append(request)
        return PauseReply(already=False, session_id=1, until_s=1200.0, minutes_left=20.0)

    return control


def base(server: AppServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_a_request_without_the_code_is_refused(tmp_path: Path) -> None:
    """Without the cookie from a link, pages, scripts and the live stream answer 401 and show
    nothing; only the logged-out page and the stylesheet it is drawn with are served."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        for path in ("/", "/events", "/sessions", "/static/now.js"):
            async with client.get(base(server) + path) as response:
                assert response.status == 401, path
                assert "private" in await response.text()
        for path in ("/logged-out", "/static/app.css"):  # nothing of the person's in either
            async with client.get(base(server) + path) as response:
                assert response.status == 200, path

    serve(tmp_path, check, feed=LiveFeed())


def test_the_link_code_becomes_a_strict_http_only_cookie_and_works_once(tmp_path: Path) -> None:
    """The one-time code sets an HttpOnly, SameSite=Strict cookie; used again it is refused."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        link = server.link()
        async with client.get(link, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/"
            header = response.headers["Set-Cookie"]
            assert "HttpOnly" in header
            assert "SameSite=Strict" in header
            morsel = response.cookies[server.guard.cookie_name]
        cookie = f"{morsel.key}={morsel.value}"
        async with client.get(base(server) + "/", headers={"Cookie": cookie}) as response:
            assert response.status == 200
            assert "Now" in await response.text()
        async with client.get(link, allow_redirects=False) as response:
            assert response.status == 403
        forged = link.rsplit(".", 1)[0] + ".0123"
        async with client.get(forged, allow_redirects=False) as response:
            assert response.status == 403

    serve(tmp_path, check, feed=LiveFeed())


def test_a_foreign_host_is_refused_even_with_the_cookie(tmp_path: Path) -> None:
    """A page reached through another name (DNS rebinding) is refused with 421."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        for host in (f"attacker.example:{server.port}", "127.0.0.1:1", "localhost"):
            headers = {"Cookie": cookie, "Host": host}
            async with client.get(base(server) + "/", headers=headers) as response:
                assert response.status == 421, host
        headers = {"Cookie": cookie, "Host": f"localhost:{server.port}"}
        async with client.get(base(server) + "/", headers=headers) as response:
            assert response.status == 200

    serve(tmp_path, check, feed=LiveFeed())


def test_a_cross_site_post_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """An action from another origin, or with no origin at all, is refused before it runs."""
    done: list[Request] = []
    control = pausing_control(done)

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        url = base(server) + "/api/control"
        for origin in ("http://attacker.example", f"http://127.0.0.1:{server.port + 1}", None):
            headers = {"Cookie": cookie}
            if origin is not None:
                headers["Origin"] = origin
            async with client.post(url, json={"cmd": "pause"}, headers=headers) as response:
                assert response.status == 403, origin
        assert done == []
        headers = {"Cookie": cookie, "Origin": base(server)}
        async with client.post(url, json={"cmd": "pause"}, headers=headers) as response:
            assert response.status == 200
        assert done == [PauseRequest()]

    serve(tmp_path, check, feed=LiveFeed(), control=control)


def test_a_form_that_cannot_be_read_is_refused_in_words(tmp_path: Path) -> None:
    """A posted form the app cannot read (bytes that are no UTF-8, a multipart body without
    its boundary) gets a 400 in words, not a 500, on the agreement, a note and a delete; one
    that says it is gzip and is not reads as an empty form; nothing changes."""
    store = Store.open(tmp_path)
    session = record(store)
    store.set_note(session, "the holidays")
    store.close()

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        bodies = [
            ({"Content-Type": "application/x-www-form-urlencoded"}, b"signal=\xff"),
            ({"Content-Type": "multipart/form-data"}, b"x"),
            (
                {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"},
                b"x",
            ),
        ]
        for path in ("/agreement", f"/sessions/{session}/note", f"/sessions/{session}/delete"):
            for headers, body in bodies:
                sent = {"Cookie": cookie, "Origin": base(server), **headers}
                async with client.post(base(server) + path, data=body, headers=sent) as response:
                    if "Content-Encoding" in headers:  # read as an empty form: refused as one
                        assert response.status < 500, path
                        continue
                    assert response.status == 400, (path, headers)
                    assert "The form could not be read" in await response.text()
        assert server.store.session(session) is not None
        assert server.store.session(session).note == "the holidays"  # type: ignore[union-attr]

    serve(tmp_path, check)


def test_the_server_listens_on_loopback_only(tmp_path: Path) -> None:
    """Every listening socket is 127.0.0.1; the port is closed on the machine's other addresses."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        assert server.addresses
        assert {host for host, _ in server.addresses} == {"127.0.0.1"}
        named = {
            str(info[4][0])
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        }
        others = {address for address in named if not address.startswith("127.")}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the route
                others.add(str(probe.getsockname()[0]))
            except OSError:
                pass
        others.discard("0.0.0.0")
        for address in others:
            try:
                _, writer = await asyncio.open_connection(address, server.port)
            except OSError:
                continue
            writer.close()
            raise AssertionError(f"the app answered on {address}")

    serve(tmp_path, check)


def test_every_answer_has_a_strict_content_security_policy(tmp_path: Path) -> None:
    """Pages, scripts and refusals carry a CSP that allows nothing from other sites."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        for path in ("/", "/static/now.js", "/static/vendor/uPlot.iife.min.js", "/breathing.css"):
            async with client.get(base(server) + path, headers={"Cookie": cookie}) as response:
                assert response.status == 200, path
                policy = response.headers["Content-Security-Policy"]
                assert "default-src 'none'" in policy
                assert "script-src 'self'" in policy
                assert "unsafe" not in policy
        async with client.get(base(server) + "/") as response:
            assert response.status == 401
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]

    serve(tmp_path, check, feed=LiveFeed())


def test_the_secret_is_kept_owner_only_and_reused(tmp_path: Path) -> None:
    """The secret file is readable by its owner alone, and a login lasts over a restart."""
    cookies: list[str] = []

    async def login(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookies.append(await cookie_of(server, client))

    async def still_in(server: AppServer, client: aiohttp.ClientSession) -> None:
        async with client.get(base(server) + "/", headers={"Cookie": cookies[0]}) as response:
            assert response.status == 200

    serve(tmp_path, login)
    serve(tmp_path, still_in)
    mode = stat.S_IMODE((tmp_path / SECRET_FILE_NAME).stat().st_mode)
    assert mode == 0o600


def test_a_used_link_stays_used_after_a_restart(tmp_path: Path) -> None:
    """A link opened once is refused by the app started again on the same port (someone who
    saw it in a terminal or a journal cannot use it), and by another app of the folder."""
    used: list[str] = []

    async def first(server: AppServer, client: aiohttp.ClientSession) -> None:
        link = server.link()
        async with client.get(link, allow_redirects=False) as response:
            assert response.status == 303
        used.append(link)

    async def again(server: AppServer, client: aiohttp.ClientSession) -> None:
        async with client.get(used[0], allow_redirects=False) as response:
            assert response.status == 403
            assert "already used, is more than 10 minutes old" in await response.text()
            assert "Set-Cookie" not in response.headers

    serve(tmp_path, first)
    port = int(used[0].split(":")[2].split("/")[0])
    serve(tmp_path, again, port=port)
    marks = list((tmp_path / USED_CODES_DIR_NAME).iterdir())
    assert len(marks) == 1
    assert stat.S_IMODE((tmp_path / USED_CODES_DIR_NAME).stat().st_mode) == 0o700


def test_a_link_works_only_for_minutes_and_only_on_its_port(tmp_path: Path) -> None:
    """A link older than CODE_LIFE_S, or made for another port, is refused; one a few minutes
    old still opens the app."""
    now_s = time.time()

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        secret = server.guard.secret
        opening = f"{base(server)}/open?code="
        for code, status in (
            (mint_code(secret, server.port, now_s - CODE_LIFE_S - 1), 403),
            (mint_code(secret, server.port + 1, now_s), 403),
            (mint_code(secret, server.port, now_s + 3600), 403),
            (mint_code(secret, server.port, now_s - CODE_LIFE_S + 60), 303),
        ):
            async with client.get(opening + code, allow_redirects=False) as response:
                assert response.status == status, code

    serve(tmp_path, check)


def test_a_login_is_its_own_and_ends_after_its_life(tmp_path: Path) -> None:
    """Each login gets a cookie of its own that the browser keeps for COOKIE_LIFE_S; one
    older than that, or altered, is refused."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        first = await cookie_of(server, client)
        second = await cookie_of(server, client)
        assert first != second
        async with client.get(server.link(), allow_redirects=False) as response:
            assert f"Max-Age={COOKIE_LIFE_S}" in response.headers["Set-Cookie"]
        for cookie in (first, second):
            async with client.get(base(server) + "/", headers={"Cookie": cookie}) as response:
                assert response.status == 200
        name, _, value = first.partition("=")
        issued, _, rest = value.partition(".")
        moved = f"{name}={int(issued) + 3600}.{rest}"  # made to look younger: the MAC breaks
        async with client.get(base(server) + "/", headers={"Cookie": moved}) as response:
            assert response.status == 401
        later_s = time.time() + COOKIE_LIFE_S + 1
        server.guard.clock = lambda: later_s
        async with client.get(base(server) + "/", headers={"Cookie": first}) as response:
            assert response.status == 401

    serve(tmp_path, check, feed=LiveFeed())


def test_a_clock_set_back_does_not_lock_the_person_out_of_the_pause_button(
    tmp_path: Path,
) -> None:
    """After the clock is set back (an NTP step, a clock put right by hours), the browser's
    login still reaches the Pause button and the live stream; a login made more than its
    life ahead of the clock, and a link made an hour ahead, are still refused."""
    shift = [0.0]  # how far the app's wall clock is set back, in seconds
    done: list[Request] = []

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        for back_s in (61.0, 3600.0, 9 * 3600.0):
            shift[0] = back_s
            headers = {"Cookie": cookie, "Origin": base(server)}
            url = base(server) + "/api/control"
            async with client.post(url, json={"cmd": "pause"}, headers=headers) as response:
                assert response.status == 200, back_s
            async with client.get(base(server) + "/events", headers=headers) as response:
                assert response.status == 200, back_s
                assert (await response.content.readline()).startswith(b"event: snapshot")
        assert len(done) == 3
        shift[0] = COOKIE_LIFE_S + 3600.0
        async with client.get(base(server) + "/", headers={"Cookie": cookie}) as response:
            assert response.status == 401
        shift[0] = 0.0
        code = mint_code(server.guard.secret, server.port, time.time() + 3600)
        async with client.get(f"{base(server)}/open?code={code}") as response:
            assert response.status == 403

    serve(
        tmp_path,
        check,
        feed=LiveFeed(),
        control=pausing_control(done),
        clock=lambda: time.time() - shift[0],
    )


def test_a_link_leads_only_to_the_apps_own_pages(tmp_path: Path) -> None:
    """A link's `next` that would leave the app (another site, or a backslash a browser reads
    as a slash) opens the live page instead; one of the app's own pages is kept."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        for target, expected in (
            ("/sessions", "/sessions"),
            ("//evil.example/", "/"),
            ("/\\evil.example/", "/"),
            ("https://evil.example/", "/"),
        ):
            async with client.get(server.link(target), allow_redirects=False) as response:
                assert response.status == 303
                assert response.headers["Location"] == expected, target

    serve(tmp_path, check, feed=LiveFeed())


def test_a_link_with_a_tab_or_a_line_break_in_next_opens_the_live_page(tmp_path: Path) -> None:
    """A `next` with a tab (which a browser drops, leaving `//host`), a line break (which would
    split the header) or other unsafe characters leads to `/`, never a fault."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        for target in (
            "/\t/example.invalid/phish",
            "/\r\nSet-Cookie:x=1",
            "/\n/example.invalid",
            "/sessions/../\x00",
            "/a//example.invalid",
            "/sessions\u00a0x",
        ):
            link = server.link() + "&next=" + quote(target, safe="")
            async with client.get(link, allow_redirects=False) as response:
                assert response.status == 303, repr(target)
                assert response.headers["Location"] == "/", repr(target)
                assert "x=1" not in response.headers.getall("Set-Cookie", [""])[-1]
        link = server.link() + "&next=" + quote("/sessions/3?said=note", safe="")
        async with client.get(link, allow_redirects=False) as response:
            assert response.headers["Location"] == "/sessions/3?said=note"

    serve(tmp_path, check, feed=LiveFeed())


def test_an_action_nested_too_deep_is_refused_in_words(tmp_path: Path) -> None:
    """An action of 30,000 opening brackets gets a 400 in words, not a 500; nothing is done."""
    done: list[Request] = []
    control = pausing_control(done)

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        headers = {"Cookie": cookie, "Origin": base(server), "Content-Type": "application/json"}
        for body in ("[" * 30000, '{"cmd": "pause"}'.encode("utf-16")):
            async with client.post(
                base(server) + "/api/control", data=body, headers=headers
            ) as response:
                assert response.status == 400
                answer = await response.json()
                assert answer["code"] == "bad-request"
                assert "could not read that action" in answer["error"]
        assert done == []

    serve(tmp_path, check, feed=LiveFeed(), control=control)


def test_a_form_in_an_unknown_charset_is_refused_in_words(tmp_path: Path) -> None:
    """A form that names a charset no codec has gets a 400 saying so, not a 500."""
    store = Store.open(tmp_path)
    session = record(store)
    store.close()

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        kind = "application/x-www-form-urlencoded; charset=bogus"
        headers = {"Cookie": cookie, "Origin": base(server), "Content-Type": kind}
        for path in ("/agreement", f"/sessions/{session}/note", "/settings"):
            async with client.post(base(server) + path, data=b"a=b", headers=headers) as response:
                assert response.status == 400, path
                assert "character set the app does not know" in await response.text()

    serve(tmp_path, check)


def test_a_form_too_large_says_so_and_the_limit(tmp_path: Path) -> None:
    """A form over the app's limit gets a 413 saying it was too large and how large it may be,
    not that it could not be read."""
    store = Store.open(tmp_path)
    session = record(store)
    store.close()

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        headers = {"Cookie": cookie, "Origin": base(server)}
        body = {"note": "x" * (MAX_BODY_BYTES + 1)}
        for path in (f"/sessions/{session}/note", "/agreement", "/settings"):
            async with client.post(base(server) + path, data=body, headers=headers) as response:
                assert response.status == 413, path
                text = await response.text()
                assert "could not be read" not in text
                assert f"at most {MAX_BODY_BYTES // 1024} KiB" in text

    serve(tmp_path, check)


def test_the_settings_form_filled_to_every_fields_limit_sends_in_half_the_body_limit() -> None:
    """The Settings form with each text field filled as far as the page lets a person type
    (its `maxlength`) is sent in at most half the app's body limit: typing or pasting into
    it never meets the 413 that would lose what was typed."""
    settings = default_settings()
    fields = [field for _title, section in form_fields(settings) for field in section]
    form = {field.key: str(field.value) for field in fields if field.kind != "bool"}
    limited = {field.key: "x" * field.max_chars for field in fields if field.max_chars}
    assert len(limited) == len(settings.messages.model_dump())  # every message text
    body = urlencode({**form, **limited, "action": "save"}).encode()
    assert len(body) <= MAX_BODY_BYTES // 2


def test_a_session_page_shows_no_words_its_address_brings(tmp_path: Path) -> None:
    """`?error=` names one of the page's own refusals; any other text in it is not shown."""
    store = Store.open(tmp_path)
    session = record(store)
    store.close()

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        headers = {"Cookie": await cookie_of(server, client)}
        planted = quote("Your partner is lying. Call 555-0100 now.")
        url = f"{base(server)}/sessions/{session}?error={planted}"
        async with client.get(url, headers=headers) as response:
            assert response.status == 200
            page = await response.text()
            assert "555-0100" not in page
            assert 'role="alert"' not in page
        url = f"{base(server)}/sessions/{session}?error=not_confirmed"
        async with client.get(url, headers=headers) as response:
            assert "Nothing was deleted: the confirmation was missing." in await response.text()

    serve(tmp_path, check)


def test_a_request_another_page_started_is_refused_even_with_the_cookie(tmp_path: Path) -> None:
    """What a browser says another page started (Sec-Fetch-Site same-site or cross-site) is
    refused with 403 before any page runs; the app's own and a typed address are served."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookie = await cookie_of(server, client)
        for site, status in (("same-site", 403), ("cross-site", 403), ("same-origin", 200)):
            headers = {"Cookie": cookie, "Sec-Fetch-Site": site}
            async with client.get(base(server) + "/sessions", headers=headers) as response:
                assert response.status == status, site
        headers = {"Cookie": cookie, "Sec-Fetch-Site": "none"}
        async with client.get(base(server) + "/sessions", headers=headers) as response:
            assert response.status == 200
        async with client.get(
            server.link(), headers={"Sec-Fetch-Site": "same-site"}, allow_redirects=False
        ) as response:
            assert response.status == 403
            assert "Another page tried to open this one" in await response.text()

    serve(tmp_path, check)


def test_a_link_the_owner_only_page_opens_logs_in_and_nothing_else_another_site_starts(
    tmp_path: Path,
) -> None:
    """A link opened in the window by a file's page (the owner-only page that opens the app:
    cross-site, navigate, document) logs in with a page that moves on by itself; a link a
    page fetches or frames, and other pages opened that way, are still refused."""
    opened_by_file = {
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        async with client.get(server.link(), headers=opened_by_file) as response:
            assert response.status == 200
            assert '<meta http-equiv="refresh" content="0;url=/">' in await response.text()
            assert server.guard.cookie_name in response.cookies
        for dest, mode in (("iframe", "navigate"), ("empty", "cors")):
            headers = {**opened_by_file, "Sec-Fetch-Dest": dest, "Sec-Fetch-Mode": mode}
            async with client.get(server.link(), headers=headers) as response:
                assert response.status == 403, dest
        cookie = await cookie_of(server, client)
        headers = {**opened_by_file, "Cookie": cookie}
        async with client.get(base(server) + "/sessions", headers=headers) as response:
            assert response.status == 403

    serve(tmp_path, check)


def test_a_secret_others_could_read_is_replaced_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A secret file made readable by others (chmod 644) is replaced at the next start by a
    new owner-only one, so a login made with the old one no longer works; the log names the
    file. A folder others could enter is made owner-only again, also said."""
    cookies: list[str] = []

    async def login(server: AppServer, client: aiohttp.ClientSession) -> None:
        cookies.append(await cookie_of(server, client))

    async def refused(server: AppServer, client: aiohttp.ClientSession) -> None:
        async with client.get(base(server) + "/", headers={"Cookie": cookies[0]}) as response:
            assert response.status == 401

    serve(tmp_path, login)
    secret = tmp_path / SECRET_FILE_NAME
    old = secret.read_text()
    secret.chmod(0o644)
    tmp_path.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="flooding.app.web.guard"):
        serve(tmp_path, refused)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert secret.read_text() != old
    said = caplog.text
    assert f"the app secret in {secret} could be read by other users" in said
    assert f"{tmp_path} was mode 755; it is now 700" in said


def test_a_secret_only_too_loose_to_write_is_tightened_and_kept(tmp_path: Path) -> None:
    """A secret file others could write but not read (0622) is made 0600 and kept."""
    first = load_secret(tmp_path)
    (tmp_path / SECRET_FILE_NAME).chmod(0o622)
    assert load_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / SECRET_FILE_NAME).stat().st_mode) == 0o600


def test_a_secret_of_another_user_is_refused_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret file that belongs to another user is not used, changed or replaced: the
    refusal names it and says what to do."""
    load_secret(tmp_path)
    secret = tmp_path / SECRET_FILE_NAME
    secret.chmod(0o644)
    monkeypatch.setattr(os, "getuid", lambda: secret.stat().st_uid + 1)
    with pytest.raises(UnsafeFileError, match="belongs to another user") as refusal:
        load_secret(tmp_path)
    assert str(tmp_path) in str(refusal.value)
    assert "--data-dir" in str(refusal.value)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o644


async def stranger(answer: Callable[[web.Request], Awaitable[str]]) -> tuple[web.AppRunner, int]:
    """Another program on a loopback port, answering every request with `answer`; it notes
    each address asked for in `asked` of its app."""
    asked: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        asked.append(str(request.rel_url))
        return web.Response(text=await answer(request))

    app = web.Application()
    app[ASKED] = asked
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


ASKED: web.AppKey[list[str]] = web.AppKey("asked", list)


def test_no_link_goes_to_a_stranger_on_a_leftover_port(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When the port file names a port where another program listens (the session was
    killed), no link is made for it: the file is removed, the log says why, and the program
    never sees a code."""

    async def main() -> None:
        load_secret(tmp_path)

        async def guess(request: web.Request) -> str:
            return "0" * 64

        runner, port = await stranger(guess)
        try:
            (tmp_path / PORT_FILE_NAME).write_text(str(port))
            with caplog.at_level(logging.WARNING):
                assert await running_link(tmp_path) is None
            assert not (tmp_path / PORT_FILE_NAME).exists()
            assert all("code" not in asked for asked in runner.app[ASKED])
        finally:
            await runner.cleanup()

    asyncio.run(main())
    assert f"{tmp_path / PORT_FILE_NAME} named port" in caplog.text
    assert "no app of this folder" in caplog.text


def test_a_leftover_port_where_nothing_listens_is_forgotten(tmp_path: Path) -> None:
    """A port file naming a port where nothing listens gives no link and is removed."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    (tmp_path / PORT_FILE_NAME).write_text(str(port))
    assert asyncio.run(running_link(tmp_path)) is None
    assert not (tmp_path / PORT_FILE_NAME).exists()


def test_a_stranger_cannot_pass_on_the_apps_own_answer(tmp_path: Path) -> None:
    """A program on the leftover port that asks the folder's real app (on another port) for
    the answer and passes it on is still found out: the answer names the app's own port."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        async def relay(request: web.Request) -> str:
            url = f"{base(server)}{request.path_qs}"
            async with client.get(url) as response:
                return await response.text()

        runner, port = await stranger(relay)
        try:
            (tmp_path / PORT_FILE_NAME).write_text(str(port))
            assert await running_link(tmp_path) is None
            assert runner.app[ASKED]  # it was asked, and passed the question on
            assert all("code" not in asked for asked in runner.app[ASKED])
        finally:
            await runner.cleanup()

    serve(tmp_path, check)


def test_the_running_sessions_app_proves_itself_and_gets_a_working_link(tmp_path: Path) -> None:
    """A session's app answers the folder's question, so the link made for it opens it."""

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        link = await running_link(tmp_path, "/sessions")
        assert link is not None
        assert link.startswith(base(server) + "/open?code=")
        async with client.get(link, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/sessions"

    serve(tmp_path, check, feed=LiveFeed())


def test_a_sessions_app_comes_back_on_its_port_and_the_login_still_works(
    tmp_path: Path,
) -> None:
    """A session's app started again (the service restarted, no port asked) listens on the
    port it had, and the browser's login from before works there; when another program took
    that port meanwhile, it takes a free one and `flooding app` finds it there."""

    async def main() -> None:
        store = Store.open(tmp_path)

        def session_app() -> AppServer:
            return AppServer(
                folder=tmp_path, store=store, settings=default_settings(), feed=LiveFeed()
            )

        try:
            first = session_app()
            await first.start()
            async with aiohttp.ClientSession() as client:
                cookie = await cookie_of(first, client)
            port = first.port
            await first.close()
            again = session_app()
            await again.start()
            try:
                assert again.port == port
                async with aiohttp.ClientSession() as client:
                    url = base(again) + "/events"
                    async with client.get(url, headers={"Cookie": cookie}) as response:
                        assert response.status == 200
                        assert (await response.content.readline()).startswith(b"event: snapshot")
            finally:
                await again.close()
            with socket.socket() as taken:
                taken.bind(("127.0.0.1", port))
                taken.listen()
                third = session_app()
                await third.start()
                try:
                    assert third.port != port
                    link = await running_link(tmp_path)
                    assert link is not None
                    assert link.startswith(base(third) + "/open?code=")
                finally:
                    await third.close()
        finally:
            store.close()

    asyncio.run(main())


def test_a_refusal_names_its_language(tmp_path: Path) -> None:
    """A refusal page says which language it is written in, so a screen reader reads it in
    the right voice."""
    german = default_settings().model_copy(update={"language": "de"})

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        async with client.get(base(server) + "/sessions") as response:
            assert response.status == 401
            assert response.headers["Content-Language"] == "de"

    serve(tmp_path, check, settings=german)
