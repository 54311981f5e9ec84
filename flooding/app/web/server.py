"""The app's HTTP server: aiohttp on 127.0.0.1, inside the event loop of whoever runs it.

`AppServer` is started by the demo, the monitor and the service next to their session (one
more task in the same loop), or by `flooding app` alone over the store. `start()` binds the
loopback address (the port asked for, else a free one) and returns the link to print, with a
one-time code in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from flooding.app.web.guard import (
    CODE_LIFE_S,
    ENDED_LOGINS_DIR_NAME,
    HELLO_PATH,
    LOOPBACK_HOST,
    MAX_BODY_BYTES,
    NONCE_BYTES,
    OPEN_PATH,
    USED_CODES_DIR_NAME,
    Guard,
    add_security_headers,
    hello_answer,
    load_secret,
    mint_code,
    opened_from_a_file,
)
from flooding.app.web.live import LiveFeed
from flooding.app.web.opening import forget_open_file, open_in_browser, sweep_open_files
from flooding.app.web.waiting import Waiting
from flooding.app.web.words import script_texts, template_helpers
from flooding.app.wiring import Extras, Process
from flooding.core.settings import Settings
from flooding.core.timefmt import break_length
from flooding.io.clock import follow_time_zone
from flooding.io.control import (
    ControlRequestError,
    Handler,
    StatusRequest,
    error_reply,
    parse_request,
)
from flooding.io.files import write_private
from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
KEEPALIVE_S = 15.0  # a comment line this often keeps an idle live stream from timing out
# the monitor's status this often on a live stream: a page follows a pause or a session that
# ends while no reading comes (the strap away), and says when no heart comes
STATUS_EVERY_S = 5.0
# the one line the demo, the monitor and `flooding app` print, with the link; the service's
# says how to open the app instead (no one clicks a link in a log, which others may read)
APP_LINE_PREFIX = "App: "
PORT_FILE_NAME = "app-port"  # where a running session's app says its port, for `flooding app`
# the port a session's app of the folder served on last (kept when it stops): the next one tries
# it first, so a page left open comes back by itself after a restart; never a reason to trust
# what answers there (that is `running_link`'s proof), only a port to try to listen on
LAST_PORT_FILE_NAME = "app-port-last"
PORT_NUMBERS = range(1, 65536)  # a TCP port to listen on (0 asks for a free one)
HELLO_NONCE = re.compile(r"[0-9a-f]{16,64}")  # a nonce the app signs: hex, no longer
HELLO_TIMEOUT_S = 5.0  # a session's app answers at once; a loaded machine, within this
HELLO_ANSWER_MAX = 256  # a signature is 64 hex digits: read no more of an answer
SAFE_PATH = re.compile(r"/[A-Za-z0-9/._~%?&=+,;:@!$'()*-]*")  # printable ASCII, no backslash

# what a link opened by the owner-only page (`opening`) answers: its own page moves on
ONWARD_PAGE = """<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={target}"><title>flooding</title></head>
<body><p><a href="{target}">flooding</a></p></body></html>
"""

Control = Handler  # the monitor's control handler: a typed request in, a typed reply out

FEED_KEY = web.AppKey("feed", LiveFeed)
SERVER_KEY: web.AppKey[AppServer] = web.AppKey("server")


class AppServer:
    """The local web app for one data folder."""

    def __init__(
        self,
        *,
        folder: Path,
        store: Store,
        settings: Settings,
        feed: LiveFeed | None = None,
        control: Control | None = None,
        port: int = 0,
        program: str = "flooding",
        config_file: Path | None = None,
        overrides: list[str] | None = None,
        scanner_backend: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`feed` and `control`: the running session's live feed and its actions (None when
        no monitor runs in this process: the live page then says how to start one);
        `overrides`: the settings the command line set (`--set`, `--lang`), in effect over
        the person's file; `clock`: the wall clock the links and logins are dated by."""
        self.folder = folder
        self.store = store
        self.settings = settings
        self.feed = feed
        self.control = control
        self.port = port
        self.program = program
        self.config_file = config_file  # the person's file as chosen (None: the usual place)
        self.overrides = list(overrides or [])  # `--set KEY=VALUE` texts, `--lang` among them
        # the keys the person saved on a page since: their file's value is the one in effect
        # for the pages from then on, over the command line's and the environment's
        self.saved_keys: set[str] = set()
        self.scanner_backend = scanner_backend  # Bleak's scanner (None: the real one)
        self.say = load_catalogue(settings.language)  # the pages' words, in the person's language
        self.waiting = Waiting(store)  # a change made on a page that waits to be saved
        self.guard = Guard(
            load_secret(folder),
            self.say,
            used_codes=folder / USED_CODES_DIR_NAME,
            ended_logins=folder / ENDED_LOGINS_DIR_NAME,
            clock=clock,
        )
        self.app = self._build()
        self._runner: web.AppRunner | None = None
        # the open live streams: the login each is for, and what ends it (logging out)
        self._streams: set[tuple[str, asyncio.Event]] = set()
        self._closing = asyncio.Event()

    def speak(self, language: str) -> None:
        """Show the pages (and the guard's refusals) in `language` from now on: the language
        the person just saved on the Settings page."""
        if language != self.say.language:
            self.say = load_catalogue(language)
            self.guard.say = self.say

    def _build(self) -> web.Application:
        from flooding.app.web import (
            import_page,
            logout,
            pages,
            put_away,
            settings_page,
            talk_pages,
        )

        app = web.Application(middlewares=[self.guard.middleware], client_max_size=MAX_BODY_BYTES)
        app[SERVER_KEY] = self
        app.on_response_prepare.append(add_security_headers)
        app.router.add_get(OPEN_PATH, self.open)
        app.router.add_get(HELLO_PATH, self.hello)
        app.router.add_get("/", self.now)
        app.router.add_get("/events", self.events)
        app.router.add_post("/api/control", self.act)
        app.router.add_get("/breathing.css", self.breathing_css)
        app.router.add_static("/static", HERE / "static", append_version=False)
        pages.add_routes(app)
        put_away.add_routes(app)
        settings_page.add_routes(app)
        talk_pages.add_routes(app)
        import_page.add_routes(app)
        logout.add_routes(app)
        return app

    # -- life --------------------------------------------------------------------------------

    async def start(self) -> str:
        """Serve on the loopback address; returns the link (with a one-time code) to print."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = await self._listen()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = int(server.sockets[0].getsockname()[1])
        self.guard.port = self.port
        log.info("the app is served on %s:%d", LOOPBACK_HOST, self.port)
        sweep_open_files(self.folder, self.guard.clock())  # pages no browser came for
        if self.feed is not None:  # a session's app: `flooding app` opens this one
            said = str(self.port).encode("ascii")
            write_private(self.folder / PORT_FILE_NAME, said)
            write_private(self.folder / LAST_PORT_FILE_NAME, said)
        return self.link()

    async def _listen(self) -> web.TCPSite:
        """Listen on the port asked for; with none asked, a session's app first tries the
        port the folder's app served on last (a page left open there reconnects by itself
        after a restart, with its login: the secret is the folder's), else a free one."""
        assert self._runner is not None
        last = port_in(self.folder / LAST_PORT_FILE_NAME) if self.feed is not None else None
        if self.port == 0 and last is not None:
            site = web.TCPSite(self._runner, LOOPBACK_HOST, last, reuse_address=True)
            try:
                await site.start()
                return site
            except OSError as exc:  # another program took it meanwhile
                await site.stop()
                log.info("port %d, where the app was last, is taken (%s): a free one", last, exc)
        site = web.TCPSite(self._runner, LOOPBACK_HOST, self.port, reuse_address=True)
        await site.start()
        return site

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The addresses the server listens on (loopback only, by construction)."""
        if self._runner is None:
            return []
        found: list[tuple[str, int]] = []
        for site in self._runner.sites:
            server = getattr(site, "_server", None)
            for sock in getattr(server, "sockets", None) or ():
                host, port = sock.getsockname()[:2]
                found.append((str(host), int(port)))
        return found

    def link(self, path: str = "/") -> str:
        """A new link with a one-time code, opening `path`."""
        code = mint_code(self.guard.secret, self.port, self.guard.clock())
        base = f"http://{LOOPBACK_HOST}:{self.port}{OPEN_PATH}?code={code}"
        return base if path == "/" else f"{base}&next={path}"

    def end_streams_of(self, login: str) -> None:
        """Close the live streams open for `login` (it logged out): no more heart readings go
        to it."""
        for owner, ended in self._streams:
            if owner == login:
                ended.set()

    async def close(self) -> None:
        """Stop serving (open live pages are ended first)."""
        self._closing.set()
        if self.feed is not None and running_port(self.folder) == self.port:
            (self.folder / PORT_FILE_NAME).unlink(missing_ok=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- pages -------------------------------------------------------------------------------

    @cached_property
    def templates(self) -> jinja2.Environment:
        """The pages' templates, loaded at the first page shown (a service nobody visits
        never loads jinja2)."""
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def render(self, name: str, status: int = 200, **values: Any) -> web.Response:
        """A page from its template, in the person's language (with the texts its script
        shows)."""
        follow_time_zone()  # its times in the zone the computer is in now
        html = self.templates.get_template(name).render(
            program=self.program,
            breathing=self.settings.pause,
            texts=script_texts(self.say, name.removesuffix(".html")),
            # none of the person's on the logged-out page
            waiting="" if values.get("page") == "logged-out" else self.waiting.words(self.say),
            **template_helpers(self.say),
            **values,
        )
        return web.Response(text=html, status=status, content_type="text/html")

    async def open(self, request: web.Request) -> web.StreamResponse:
        """A link's one-time code becomes this browser's cookie."""
        code = request.query.get("code", "")
        forget_open_file(self.folder, code)  # the page that brought the browser here, if any
        if not self.guard.redeem(code):
            return web.Response(
                status=403,
                text=self.say(
                    "web.guard.link_used",
                    program=self.program,
                    minutes=CODE_LIFE_S // 60,
                )
                + "\n",
                content_type="text/plain",
            )
        target = own_path(request.query.get("next", "/"))
        if opened_from_a_file(request):
            # a browser says the whole redirect chain was started by the file, and the page
            # a 303 leads to would be refused as another site's: this page moves on itself
            response = web.Response(
                text=ONWARD_PAGE.format(language=self.say.language, target=html.escape(target)),
                content_type="text/html",
            )
        else:
            response = web.Response(status=303, headers={"Location": target})
        self.guard.set_cookie(response)
        return response

    async def hello(self, request: web.Request) -> web.StreamResponse:
        """Prove that this app is the data folder's (see `running_link`): the nonce asked
        about, signed with the secret and this port."""
        nonce = request.query.get("nonce", "")
        if HELLO_NONCE.fullmatch(nonce) is None:
            raise web.HTTPBadRequest(text=self.say("web.error.400") + "\n")
        return web.Response(text=hello_answer(self.guard.secret, self.port, nonce))

    async def now(self, request: web.Request) -> web.StreamResponse:
        """The live page (or, with no monitor here, how to start one); in couple mode its
        words address both partners."""
        people = self.feed.people if self.feed is not None else ()
        messages = self.settings.messages
        suggestions = messages.couple_suggestions if len(people) > 1 else messages.suggestions
        return self.render(
            "now.html",
            page="now",
            live=self.feed is not None,
            people=people,
            suggestion=suggestions[0] if suggestions else "",
            break_time=break_length(self.settings.pause.minutes, self.say),
            name_who=self.settings.couple.name_who,
        )

    async def breathing_css(self, request: web.Request) -> web.StreamResponse:
        """The breathing guide's timing, from the settings (in longer than out: never)."""
        pause = self.settings.pause
        cycle_s = 60.0 / pause.breaths_per_minute
        inhale_pct = round(pause.inhale_fraction * 100, 1)
        css = (
            f".breath-circle {{ animation: breathe {cycle_s:.2f}s ease-in-out infinite; }}\n"
            "@keyframes breathe {\n"
            "  0% { transform: scale(0.55); }\n"
            f"  {inhale_pct}% {{ transform: scale(1); }}\n"
            "  100% { transform: scale(0.55); }\n"
            "}\n"
            "@media (prefers-reduced-motion: reduce) {\n"
            "  .breath-circle { animation: none; }\n"
            "}\n"
        )
        return web.Response(text=css, content_type="text/css")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The live stream: a snapshot, then every reading and message as it happens."""
        if self.feed is None:
            raise web.HTTPNotFound(text=self.say("web.live.none_here") + "\n")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        feed = self.feed
        queue = feed.subscribe()
        login = self.guard.login_of(request) or ""
        ended = asyncio.Event()
        stream = (login, ended)
        self._streams.add(stream)
        closing = asyncio.ensure_future(_first_of(self._closing, ended))
        loop = asyncio.get_running_loop()
        every_s = KEEPALIVE_S if feed.status is None else STATUS_EVERY_S
        next_s = loop.time() + every_s  # the next status (or, with none, keep-alive line)
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait(
                    {getter, closing},
                    timeout=max(0.0, next_s - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if closing in done:
                    getter.cancel()
                    break
                text = ""
                if getter in done:
                    text = getter.result()
                    while not queue.empty():
                        text += queue.get_nowait()
                else:
                    getter.cancel()
                if loop.time() >= next_s:
                    text += feed.status_frame() or ": still here\n\n"
                    next_s = loop.time() + every_s
                await response.write(text.encode("utf-8"))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            closing.cancel()
            self._streams.discard(stream)
            feed.unsubscribe(queue)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def act(self, request: web.Request) -> web.StreamResponse:
        """A button on the live page: the same actions as `flooding pause`, `resume`, `ok`
        and `workout` (the monitor's control handler)."""
        if self.control is None:
            return _json(
                error_reply(
                    "no-session",
                    self.say("web.live.no_monitor", program=self.program),
                ),
                status=409,
            )
        try:
            raw = await json_of(request)
        except ValueError:
            return _json(error_reply("bad-request", self.say("web.live.bad_action")), status=400)
        try:
            action = parse_request(raw)
        except (ValueError, ControlRequestError) as exc:
            return _json(error_reply("bad-request", str(exc)), status=400)
        if isinstance(action, StatusRequest):
            return _json(error_reply("bad-request", self.say("web.live.status_asked")), status=400)
        reply = self.control(action)  # an answer to the alert reaches the pages from there
        if self.feed is not None:
            self.feed.send_status()
        return _json(reply, status=200 if reply.ok else 409)


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until any of `events` is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def own_path(target: str) -> str:
    """`target` when it is a path of this app made of safe characters, else "/".

    A browser reads a backslash as a slash and drops a tab or a line break inside an address
    (`/\\host` and `/<tab>/host` both lead to `//host`, another site), and a line break would
    split the Location header: none of these, and no `//`, get through.
    """
    if SAFE_PATH.fullmatch(target) is None or "//" in target:
        return "/"
    return target


def server_of(request: web.Request) -> AppServer:
    """The app server a page's request came to."""
    return request.app[SERVER_KEY]


async def form_of(request: web.Request) -> dict[str, str]:
    """A posted form's text fields (a file upload is no field of this app's forms)."""
    try:
        posted = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise  # said by the guard: too large, and how large a form may be
    except LookupError:  # a charset no codec has: no page of this app sends one
        log.info("a posted form named a charset nobody knows")
        raise web.HTTPBadRequest(text=server_of(request).say("web.form.charset") + "\n") from None
    except (ValueError, UnicodeDecodeError, web.HTTPException) as exc:  # not a form we sent
        log.info("a posted form could not be read: %s", type(exc).__name__)
        raise web.HTTPBadRequest(
            text=server_of(request).say("web.form.unreadable") + "\n"
        ) from None
    return {key: value for key, value in posted.items() if isinstance(value, str)}


async def json_of(request: web.Request) -> Any:
    """A request's JSON body; ValueError when it is none (said in the log, not what it was)."""
    try:
        return await request.json()
    except RecursionError:  # brackets nested too deep for Python's JSON reader
        raise ValueError("nested too deep") from None
    except (ValueError, LookupError) as exc:  # not JSON, or in a charset nobody knows
        log.info("a page's request could not be read: %s", type(exc).__name__)
        raise ValueError("not JSON") from None


def _json(reply: BaseModel, status: int) -> web.Response:
    """A control reply as the JSON the pages read (the same fields as on the socket)."""
    return web.json_response(reply.model_dump(mode="json"), status=status)


def running_port(folder: Path) -> int | None:
    """The port of the app a running session serves for this data folder (None: none said)."""
    return port_in(folder / PORT_FILE_NAME)


def port_in(path: Path) -> int | None:
    """The port a port file names (None: none, or no port number)."""
    try:
        port = int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return port if port in PORT_NUMBERS else None


async def running_link(folder: Path, path: str = "/") -> str | None:
    """A fresh link into the app a running session serves, if one answers (else None).

    The app on the port named in the folder's port file must first prove it holds the
    folder's secret (it signs a nonce): after a session ended without removing the file
    (killed), anyone may listen on that port, and a link sent there would be theirs. A port
    where nothing, or something else, answers is forgotten (the file removed, said in the log).
    """
    port = running_port(folder)
    if port is None:
        return None
    secret = load_secret(folder)
    nonce = secrets.token_hex(NONCE_BYTES)
    url = f"http://{LOOPBACK_HOST}:{port}{HELLO_PATH}?nonce={nonce}"
    try:
        timeout = aiohttp.ClientTimeout(total=HELLO_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.get(url, allow_redirects=False) as response,
        ):
            answer = (await response.content.read(HELLO_ANSWER_MAX)).decode("ascii", "replace")
            status = response.status
    except TimeoutError:
        log.warning("the app on port %d (named in %s) did not answer in time", port, folder)
        return None
    except aiohttp.ClientConnectionError:
        _forget_port(folder, port, "nothing answers there")
        return None
    except aiohttp.ClientError as exc:
        _forget_port(folder, port, f"what answers there is no app of this folder ({exc})")
        return None
    if status != 200 or not hmac.compare_digest(answer, hello_answer(secret, port, nonce)):
        _forget_port(folder, port, "what answers there is no app of this folder")
        return None
    code = mint_code(secret, port)
    link = f"http://{LOOPBACK_HOST}:{port}{OPEN_PATH}?code={code}"
    return link if path == "/" else f"{link}&next={path}"


def _forget_port(folder: Path, port: int, why: str) -> None:
    """Remove the port file that names `port` (a session that ended without removing it)."""
    path = folder / PORT_FILE_NAME
    if running_port(folder) != port:
        return  # a session that started meanwhile wrote its own
    log.warning("%s named port %d, but %s: removed (no session serves the app)", path, port, why)
    path.unlink(missing_ok=True)


def app_opener(
    folder: Path, open_browser: Callable[[str], object]
) -> Callable[[], Coroutine[Any, Any, str | None]]:
    """The "Open the app" button's handler: a fresh one-time link into the app served for
    `folder`, handed to `open_browser` (e.g. `webbrowser.open`, in a worker thread) through
    an owner-only page (`opening`): never on a command line."""

    async def open_app() -> str | None:
        link = await running_link(folder)
        if link is None:
            log.info("the app is not being served: nothing to open")
            return None
        await open_in_browser(open_browser, link, folder)
        return link

    return open_app


def dumps(value: Any) -> str:
    """JSON for a page's data block."""
    return json.dumps(value, separators=(",", ":"))


@contextlib.asynccontextmanager
async def serving(
    announce: Callable[[AppServer], None], *, said_by_caller: bool = False, **kwargs: Any
) -> AsyncIterator[AppServer | None]:
    """The app served for as long as the block runs (the session beside it, in the same loop).

    `announce` is handed the server once it serves, to say so (`App: <link>` with a link made
    by `AppServer.link`, or only how to open it where no one clicks a link). A server that
    cannot start (the port taken) is logged and skipped (None): the session matters more than
    its page. `said_by_caller`: the caller tells the person in words when it yields None,
    so the log only has it at info level (shown with -v).
    """
    try:  # a secret file someone else owns (UnsafeFileError), or the port taken
        server = AppServer(**kwargs)
        await server.start()
    except OSError as exc:
        log.log(
            logging.INFO if said_by_caller else logging.WARNING,
            "the app could not be served (%s); the session goes on without it",
            exc,
        )
        yield None
        return
    announce(server)
    try:
        yield server
    finally:
        await server.close()


def app_extras(
    announce: Callable[[AppServer], None],
    *,
    folder: Path,
    port: int = 0,
    program: str = "flooding",
    config_file: Path | None = None,
    overrides: list[str] | None = None,
    scanner_backend: Any = None,
    open_browser: Callable[[str], object] | None = None,
) -> Extras:
    """The app as a process's extras: its live feed beside the terminal or the log, and its
    server in the process's loop for as long as the sessions run (see `wiring.Extras`). With
    `open_browser`, the notifications offer "Open the app", which opens it there."""
    feed = LiveFeed()

    @contextlib.asynccontextmanager
    async def service(proc: Process) -> AsyncIterator[AppServer | None]:
        feed.status = lambda: proc.live.status().model_dump(mode="json")
        feed.people = proc.people
        async with serving(
            announce,
            folder=folder,
            store=proc.store,
            settings=proc.settings,
            feed=feed,
            control=proc.live.handle,
            port=port,
            program=program,
            config_file=config_file,
            overrides=overrides,
            scanner_backend=scanner_backend,
        ) as server:
            yield server

    opener = app_opener(folder, open_browser) if open_browser is not None else None
    return Extras(views=[feed], services=[service], open_app=opener)
