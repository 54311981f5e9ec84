"""Who may use the app: one-time codes become a cookie; Host and Origin are checked.

The secret lives in an owner-only file in the data folder. A link carries a one-time code
(`issued.nonce.signature`, for one port) that works once and for CODE_LIFE_S; used codes are
kept in the data folder, so a restart or the folder's other app does not take them again.
Opening it sets an HttpOnly, SameSite=Strict cookie for this login (`issued.random.signature`)
that works for COOKIE_LIFE_S (also when the clock is set back meanwhile); every other request
without one is refused. A Host other than the loopback address and port (DNS rebinding), a
cross-site Origin, and anything a browser says another page started (another port of
127.0.0.1 is the same site, so it gets the cookie) are refused before anything else; only a
link opened in the window by a file's page (the owner-only page that opens the app) is not.
Logging out ends one login: its random part is kept as ended in the data folder (until its
cookie could no longer count anyway), so a copy of that cookie is refused from then on, by
the folder's other app and after a restart too; other logins go on. The logged-out page and
the stylesheet it is drawn with (nothing of the person's in either) need no login.
Refusals and error answers (a page not found, a body too large, a fault) are said in the
person's language.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from flooding.app.web.marks import EPOCH_DIGITS, EndedLogins, keep_mark, made_private
from flooding.core.catalogue import Catalogue
from flooding.io.files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    make_private_dir,
    write_private,
)
from flooding.io.locale_files import load_catalogue

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "app-secret"
SECRET_BYTES = 32  # 256 bits: far beyond guessing
READ_BY_OTHERS = stat.S_IRGRP | stat.S_IROTH  # a secret others could read is no secret
NONCE_BYTES = 16  # a one-time code's (and a login's) random part
# a link is for opening now: a person clicks one just printed within a minute or two; ten
# give room for a slow start and a break, and a link seen later (scrollback) is dead by then.
# No link is printed where others may read it meanwhile (the service's log) nor handed to a
# browser on its command line (`opening`)
CODE_LIFE_S = 10 * 60
# a login lasts a week of talks, then the browser needs a new link: a cookie that leaked (a
# copied browser profile) stops working by itself; replacing the secret ends every login
COOKIE_LIFE_S = 7 * 24 * 3600
CLOCK_LEEWAY_S = 60  # a code made up to this far ahead of the clock counts (clock set back)
# a login made "later" than now: the clock was set back since (an NTP step, a clock that booted
# hours off and was put right). The person must not be locked out of the Pause button until the
# clock catches up, so a cookie counts up to a life ahead of the clock; it still ends: at most a
# life after the clock passes the time it was made (a clock set back further needs a new link)
COOKIE_AHEAD_S = COOKIE_LIFE_S
USED_CODES_DIR_NAME = "app-links-used"  # in the data folder: one empty file per used code
# in the data folder: one empty file per login ended (logged out), `issued.random`
ENDED_LOGINS_DIR_NAME = "app-logins-ended"
# an ended login is kept until its cookie could not count even with the clock set back
ENDED_LOGIN_KEPT_S = COOKIE_LIFE_S + COOKIE_AHEAD_S
LOOPBACK_HOST = "127.0.0.1"
LOOPBACK_NAMES = (LOOPBACK_HOST, "localhost")
OPEN_PATH = "/open"
HELLO_PATH = "/hello"  # answers a nonce with the secret's signature: the app proves it is ours
LOGOUT_PATH = "/logout"  # a form posts here: this browser's login ends
LOGGED_OUT_PATH = "/logged-out"  # says so, and how to open the app again
# what anyone may fetch without a login (other checks still apply): the logged-out page and
# what it is drawn with, and logging out (a browser whose login ended meanwhile can still
# press the button: it ends nothing then)
WITHOUT_LOGIN = frozenset(
    {OPEN_PATH, HELLO_PATH, LOGOUT_PATH, LOGGED_OUT_PATH, "/static/app.css", "/static/favicon.svg"}
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
# what a browser says (Sec-Fetch-Site) of a request another page started: the app's own pages
# say "same-origin", a link opened from the terminal or typed says "none"
OTHER_SITES = frozenset({"same-site", "cross-site"})
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes form posts say Origin: null
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# a form or an action is a few hundred bytes; settings a few KiB, and about 170 KB with every
# message text at its longest (`MAX_TEXT_CHARS`), which must still send
MAX_BODY_BYTES = 512 * 1024
ERROR_STATUSES = frozenset({400, 403, 404, 405, 413})  # aiohttp's own answers, said in our words


def load_secret(folder: Path) -> bytes:
    """The app's secret for this data folder, made (owner-only) on first use.

    The folder and the file must be this user's (`UnsafeFileError` names the one that is
    not); a looser folder or file is made owner-only again, with a warning. A file that
    others could read is replaced by a new secret: whoever read it could make links.
    """
    path = folder / SECRET_FILE_NAME
    make_private_dir(folder)
    made_private(folder, PRIVATE_DIR_MODE)
    try:
        before = made_private(path, PRIVATE_FILE_MODE)
        if before is not None and before & READ_BY_OTHERS:
            raise _SeenByOthers
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
        if len(secret) >= SECRET_BYTES:
            return secret
        log.warning("the app secret in %s is too short: making a new one", path)
    except FileNotFoundError:
        pass
    except (ValueError, UnicodeDecodeError):
        log.warning("the app secret in %s is unreadable: making a new one", path)
    except _SeenByOthers:
        log.warning(
            "the app secret in %s could be read by other users: making a new one (links and "
            "logins made with the old one no longer work; open the app again for a new link)",
            path,
        )
    secret = secrets.token_bytes(SECRET_BYTES)
    write_private(path, secret.hex().encode("ascii"))
    return secret


class _SeenByOthers(Exception):
    """The secret file could be read by other users."""


def _sign(secret: bytes, what: str) -> str:
    return hmac.new(secret, what.encode("utf-8"), hashlib.sha256).hexdigest()


def mint_code(secret: bytes, port: int, now_s: float | None = None) -> str:
    """A new one-time code for a link into the app on `port` (anyone holding the secret file
    can make one): `issued.nonce.signature`, the time it was made inside the signature."""
    issued = int(time.time() if now_s is None else now_s)
    nonce = secrets.token_hex(NONCE_BYTES)
    return f"{issued}.{nonce}.{_sign(secret, f'code:v2:{port}:{issued}:{nonce}')}"


def _issued_within(issued: str, now_s: float, life_s: float, ahead_s: float) -> bool:
    """Whether a time a code or a cookie says it was made (whole seconds, signed) is no
    longer ago than `life_s` and no further than `ahead_s` ahead of now (the clock set back
    since)."""
    if not issued.isdigit() or len(issued) > EPOCH_DIGITS:
        return False
    age_s = now_s - int(issued)
    return -ahead_s <= age_s <= life_s


def hello_answer(secret: bytes, port: int, nonce: str) -> str:
    """What the app on `port` answers to `nonce` at HELLO_PATH: only one that holds the
    secret can say it (a code or a cookie is signed over other words, so it cannot serve as
    one)."""
    return _sign(secret, f"hello:v1:{port}:{nonce}")


class Guard:
    """The app's gate: codes, the cookie, and the Host/Origin checks."""

    def __init__(
        self,
        secret: bytes,
        say: Catalogue | None = None,
        *,
        used_codes: Path | None = None,
        ended_logins: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`used_codes`: the folder where used codes are kept, so that they stay used when
        the app starts again and in the folder's other app (None: in memory only);
        `ended_logins`: the same for logins ended by logging out.
        `clock`: the wall clock (codes and cookies are read by other processes, and after a
        restart, so a monotonic clock cannot say how old they are)."""
        self.secret = secret
        self.say = say or load_catalogue()
        self.cookie_name = "flooding-" + _sign(secret, "cookie-name")[:12]
        self.used_codes = used_codes
        self.clock = clock
        self.ended = EndedLogins(ended_logins, lambda: self.clock(), ENDED_LOGIN_KEPT_S)
        self._used: set[str] = set()
        self.port = 0  # set once the server is bound

    def redeem(self, code: str) -> bool:
        """Whether `code` is genuine, for this port, made at most CODE_LIFE_S ago and unused;
        it is used up either way once genuine."""
        issued, _, rest = code.partition(".")
        nonce, _, signature = rest.partition(".")
        if not nonce or not issued:
            return False
        expected = _sign(self.secret, f"code:v2:{self.port}:{issued}:{nonce}")
        if not hmac.compare_digest(signature, expected):
            return False
        if nonce in self._used:
            return False
        self._used.add(nonce)
        if not self._mark_used(nonce):
            return False
        return _issued_within(issued, self.clock(), CODE_LIFE_S, CLOCK_LEEWAY_S)

    def _mark_used(self, nonce: str) -> bool:
        """Keep `nonce` as used in the used-codes folder (a file of its own, made only if
        absent: two processes cannot both take it); False when it was taken before or cannot
        be kept. Codes older than their life are forgotten meanwhile."""
        if self.used_codes is None:
            return True
        try:
            keep_mark(self.used_codes, nonce, only_new=True, old=self._code_too_old)
        except FileExistsError:
            return False
        except OSError as exc:  # refused: a code that cannot be kept as used could be reused
            log.warning("a used link could not be noted in %s (%s)", self.used_codes, exc)
            return False
        return True

    def _code_too_old(self, entry: os.DirEntry[str]) -> bool:
        """Whether a used code kept in the folder could no longer count anyway."""
        oldest_s = self.clock() - CODE_LIFE_S - CLOCK_LEEWAY_S
        return entry.stat(follow_symlinks=False).st_mtime < oldest_s

    def new_cookie(self) -> str:
        """A cookie value for one login: when it was made and a random part, signed."""
        issued = int(self.clock())
        login = secrets.token_hex(NONCE_BYTES)
        return f"{issued}.{login}.{_sign(self.secret, f'cookie:v2:{issued}:{login}')}"

    def allowed_hosts(self) -> set[str]:
        """The Host header values this server answers to."""
        return {f"{name}:{self.port}" for name in LOOPBACK_NAMES}

    def allowed_origins(self) -> set[str]:
        """The Origin header values of its own pages."""
        return {f"http://{host}" for host in self.allowed_hosts()}

    def has_cookie(self, request: web.Request) -> bool:
        """Whether the request carries this app's cookie, for a login that goes on."""
        return self.login_of(request) is not None

    def login_of(self, request: web.Request) -> str | None:
        """The login the request's cookie is for (`issued.random`), or None when it carries
        no genuine cookie, or one past its life, or one whose login was ended."""
        issued, _, rest = request.cookies.get(self.cookie_name, "").partition(".")
        login, _, signature = rest.partition(".")
        expected = _sign(self.secret, f"cookie:v2:{issued}:{login}")
        if not login or not hmac.compare_digest(signature, expected):
            return None
        if not _issued_within(issued, self.clock(), COOKIE_LIFE_S, COOKIE_AHEAD_S):
            return None
        name = f"{issued}.{login}"  # digits and hex only: signed, so a safe file name
        return None if name in self.ended else name

    def end_login(self, request: web.Request) -> bool | None:
        """End the login of the request's cookie, here and for the folder's other app and
        after a restart: a copy of its cookie is refused from now on. None when the request
        carries no login that goes on; False when the end could not be kept in the folder
        (it holds in this app only)."""
        login = self.login_of(request)
        return None if login is None else self.ended.end(login)

    def refusal(self, request: web.Request) -> web.Response | None:
        """Why this request is refused (a response), or None when it may go on."""
        if request.host not in self.allowed_hosts():
            return _refuse(421, self.say("web.guard.wrong_host"), self.say.language)
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.allowed_origins():
            return _refuse(403, self.say("web.guard.other_site"), self.say.language)
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site in OTHER_SITES and not opened_from_a_file(request):
            # another page on this computer (another port is the same site, and gets the
            # SameSite=Strict cookie), or from anywhere else
            return _refuse(403, self.say("web.guard.other_page"), self.say.language)
        if request.method not in SAFE_METHODS:
            if origin is None:
                return _refuse(403, self.say("web.guard.own_page"), self.say.language)
            if fetch_site not in (None, "same-origin"):
                return _refuse(403, self.say("web.guard.other_site"), self.say.language)
        if request.path in WITHOUT_LOGIN:
            return None
        if not self.has_cookie(request):
            return _refuse(401, self.say("web.guard.private"), self.say.language)
        return None

    def set_cookie(self, response: web.StreamResponse) -> None:
        """Let this browser in from now on."""
        response.set_cookie(
            self.cookie_name,
            self.new_cookie(),
            max_age=COOKIE_LIFE_S,
            httponly=True,
            samesite="Strict",
            path="/",
        )

    def forget_cookie(self, response: web.StreamResponse) -> None:
        """Have this browser drop its cookie."""
        response.del_cookie(self.cookie_name, path="/", httponly=True, samesite="Strict")

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse what must be refused before any handler runs; say aiohttp's own errors and
        a fault in a handler in the person's words (a fault is logged)."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if not _aiohttps_own(exc):
                raise  # a redirect, or an answer a page already worded
            limit = {"kib": MAX_BODY_BYTES // 1024} if exc.status == 413 else {}
            answer = _refuse(
                exc.status, self.say(f"web.error.{exc.status}", **limit), self.say.language
            )
            if "Allow" in exc.headers:
                answer.headers["Allow"] = exc.headers["Allow"]
            return answer
        except Exception:
            log.exception("the app failed to answer %s %s", request.method, request.path)
            return _refuse(500, self.say("web.error.500"), self.say.language)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer, streams and files included (an `on_response_prepare` signal)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def opened_from_a_file(request: web.Request) -> bool:
    """Whether the request opens a link in the browser's window as the owner-only page that
    `flooding app` hands the browser does (a file's page is another site to it): a link's
    code is the person's, so another page that has one could only log the browser into
    the person's own app."""
    return (
        request.method == "GET"
        and request.path == OPEN_PATH
        and request.headers.get("Sec-Fetch-Site") == "cross-site"
        and request.headers.get("Sec-Fetch-Mode") == "navigate"
        and request.headers.get("Sec-Fetch-Dest") == "document"
    )


def _aiohttps_own(exc: web.HTTPException) -> bool:
    """Whether an error answer carries aiohttp's English text (no route, a body too large)."""
    if exc.status not in ERROR_STATUSES:
        return False
    return exc.status == 413 or exc.text == f"{exc.status}: {exc.reason}"


def _refuse(status: int, text: str, language: str) -> web.Response:
    """A refusal in plain text, saying its language (so a screen reader reads it in it)."""
    return web.Response(
        status=status,
        text=text + "\n",
        content_type="text/plain",
        headers={"Content-Language": language},
    )
