"""The Now page's "Got it": a message the person put away stays away.

The page posts the message's id (from the live feed); the feed marks it put away, tells every
open page, and says so in the snapshot a page gets when it opens or reloads. The state lives
with the feed, beside the messages and their ids: one person's, whichever tab or browser they
use, and gone with the session's process, as the messages are.
"""

from __future__ import annotations

from aiohttp import web

from flooding.app.web.server import json_of, server_of

PUT_AWAY_PATH = "/api/put-away"
ID_MAX_CHARS = 64  # a feed's message id is a few hex digits and a number


def add_routes(app: web.Application) -> None:
    app.router.add_post(PUT_AWAY_PATH, put_away)


async def put_away(request: web.Request) -> web.StreamResponse:
    """Put away the message `{"id": ...}` names: 200 when it is, 404 when no message of that
    id is kept (an older one, or another session's), 409 with no session here."""
    server = server_of(request)
    if server.feed is None:
        return _answer(409, server.say("web.live.no_monitor", program=server.program))
    try:
        asked = await json_of(request)
    except ValueError:
        asked = None
    message_id = asked.get("id") if isinstance(asked, dict) else None
    if not isinstance(message_id, str) or not 0 < len(message_id) <= ID_MAX_CHARS:
        return _answer(400, server.say("web.live.bad_action"))
    if not server.feed.put_away(message_id):
        return _answer(404, server.say("web.live.put_away_gone"))
    return web.json_response({"ok": True})


def _answer(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)
