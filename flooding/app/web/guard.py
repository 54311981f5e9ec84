"""Who may use the app: one-time codes become a cookie; Host and Origin are checked.

The secret lives in an owner-only file in the data folder. A link carries a one-time code
(`nonce.signature`); opening it once sets an HttpOnly, SameSite=Strict cookie derived from the
secret, and every other request without that cookie is refused. A Host other than the loopback
address and port (DNS rebinding), a cross-site Origin, and anything a browser says another
page started (another port of 127.0.0.1 is the same site, so it gets the cookie) are refused
before anything else.
Refusals and error answers (a page not found, a body too large, a fault) are said in the
person's language.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from flooding.core.catalogue import Catalogue
from flooding.io.files import write_private
from flooding.io.locale_files import load_catalogue

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "app-secret"
SECRET_BYTES = 32  # 256 bits: far beyond guessing
NONCE_BYTES = 16  # a one-time code's random part
LOOPBACK_HOST = "127.0.0.1"
LOOPBACK_NAMES = (LOOPBACK_HOST, "localhost")
OPEN_PATH = "/open"
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
MAX_BODY_BYTES = 64 * 1024  # a form or an action is a few hundred bytes; settings, a few KiB
ERROR_STATUSES = frozenset({400, 403, 404, 405, 413})  # aiohttp's own answers, said in our words


def load_secret(folder: Path) -> bytes:
    """The app's secret for this data folder, made (owner-only) on first use."""
    path = folder / SECRET_FILE_NAME
    try:
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
        if len(secret) >= SECRET_BYTES:
            return secret
        log.warning("the app secret in %s is too short: making a new one", path)
    except FileNotFoundError:
        pass
    except (ValueError, UnicodeDecodeError):
        log.warning("the app secret in %s is unreadable: making a new one", path)
    secret = secrets.token_bytes(SECRET_BYTES)
    folder.mkdir(parents=True, exist_ok=True)
    write_private(path, secret.hex().encode("ascii"))
    return secret


def _sign(secret: bytes, what: str) -> str:
    return hmac.new(secret, what.encode("utf-8"), hashlib.sha256).hexdigest()


def mint_code(secret: bytes) -> str:
    """A new one-time code for a link (anyone holding the secret file can make one)."""
    nonce = secrets.token_hex(NONCE_BYTES)
    return f"{nonce}.{_sign(secret, 'code:' + nonce)}"


class Guard:
    """The app's gate: codes, the cookie, and the Host/Origin checks."""

    def __init__(self, secret: bytes, say: Catalogue | None = None) -> None:
        self.secret = secret
        self.say = say or load_catalogue()
        self.cookie_name = "flooding-" + _sign(secret, "cookie-name")[:12]
        self.cookie_value = _sign(secret, "cookie-v1")
        self._used: set[str] = set()
        self.port = 0  # set once the server is bound

    def redeem(self, code: str) -> bool:
        """Whether `code` is genuine and unused; it is used up either way once genuine."""
        nonce, _, signature = code.partition(".")
        if not nonce or not hmac.compare_digest(signature, _sign(self.secret, "code:" + nonce)):
            return False
        if nonce in self._used:
            return False
        self._used.add(nonce)
        return True

    def allowed_hosts(self) -> set[str]:
        """The Host header values this server answers to."""
        return {f"{name}:{self.port}" for name in LOOPBACK_NAMES}

    def allowed_origins(self) -> set[str]:
        """The Origin header values of its own pages."""
        return {f"http://{host}" for host in self.allowed_hosts()}

    def has_cookie(self, request: web.Request) -> bool:
        """Whether the request carries this app's cookie."""
        value = request.cookies.get(self.cookie_name, "")
        return hmac.compare_digest(value, self.cookie_value)

    def refusal(self, request: web.Request) -> web.Response | None:
        """Why this request is refused (a response), or None when it may go on."""
        if request.host not in self.allowed_hosts():
            return _refuse(421, self.say("web.guard.wrong_host"))
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.allowed_origins():
            return _refuse(403, self.say("web.guard.other_site"))
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site in OTHER_SITES:  # another page on this computer (another port is the
            # same site, and gets the SameSite=Strict cookie), or from anywhere else
            return _refuse(403, self.say("web.guard.other_page"))
        if request.method not in SAFE_METHODS:
            if origin is None:
                return _refuse(403, self.say("web.guard.own_page"))
            if fetch_site not in (None, "same-origin"):
                return _refuse(403, self.say("web.guard.other_site"))
        if request.path == OPEN_PATH:
            return None
        if not self.has_cookie(request):
            return _refuse(401, self.say("web.guard.private"))
        return None

    def set_cookie(self, response: web.StreamResponse) -> None:
        """Let this browser in from now on."""
        response.set_cookie(
            self.cookie_name,
            self.cookie_value,
            httponly=True,
            samesite="Strict",
            path="/",
        )

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
            answer = _refuse(exc.status, self.say(f"web.error.{exc.status}", **limit))
            if "Allow" in exc.headers:
                answer.headers["Allow"] = exc.headers["Allow"]
            return answer
        except Exception:
            log.exception("the app failed to answer %s %s", request.method, request.path)
            return _refuse(500, self.say("web.error.500"))


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer, streams and files included (an `on_response_prepare` signal)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _aiohttps_own(exc: web.HTTPException) -> bool:
    """Whether an error answer carries aiohttp's English text (no route, a body too large)."""
    if exc.status not in ERROR_STATUSES:
        return False
    return exc.status == 413 or exc.text == f"{exc.status}: {exc.reason}"


def _refuse(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")
