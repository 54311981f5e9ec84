"""The app's pages over the store: sessions, a session, progress, the agreement, settings.

Every figure comes from the same application functions as the commands (`review`, `export`,
`tune`, the store); this module only turns them into pages.
"""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Register the store pages on the app."""
