"""Log out: the button on every page ends this browser's login only, then says how to open
the app again.

The form posts to LOGOUT_PATH (checked as every change is: the app's own page, no other
site); the guard ends the login for good (a copy of its cookie is refused from then on), the
browser is told to drop its cookie, and any live stream of that login is closed. Other
browsers' logins go on.
"""

from __future__ import annotations

from aiohttp import web

from flooding.app.web.guard import LOGGED_OUT_PATH, LOGOUT_PATH
from flooding.app.web.server import server_of


def add_routes(app: web.Application) -> None:
    app.router.add_post(LOGOUT_PATH, logout)
    app.router.add_get(LOGGED_OUT_PATH, logged_out)


async def logout(request: web.Request) -> web.StreamResponse:
    """End this browser's login and show the logged-out page (a browser whose login had
    ended already is shown it too)."""
    server = server_of(request)
    login = server.guard.login_of(request)
    server.guard.end_login(request)
    if login is not None:
        server.end_streams_of(login)
    response = web.Response(status=303, headers={"Location": LOGGED_OUT_PATH})
    server.guard.forget_cookie(response)
    return response


async def logged_out(request: web.Request) -> web.StreamResponse:
    """This browser is logged out: how to open the app again (no page of the person's)."""
    return server_of(request).render("logged_out.html", page="logged-out")
