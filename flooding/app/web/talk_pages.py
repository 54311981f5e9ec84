"""The pages around the talks: Before a talk (the agreement), Progress (weeks, months,
milestones) and Strap (scan, pair, unpair, battery).

The agreement and the progress come from `flooding.app.agreement` and `flooding.app.progress`;
the strap is found with the same scan as `flooding scan` and saved to the same keys as
`flooding pair`.
"""

from __future__ import annotations

import contextlib
import re

from aiohttp import web

from flooding.app import agreement
from flooding.app.pairing import PairingRefused, profiles_in, unpair_strap
from flooding.app.pairing import pair_strap as pair_strap_to
from flooding.app.progress import progress
from flooding.app.web.server import AppServer, form_of, server_of
from flooding.core.settings import ConfigError
from flooding.core.timefmt import duration
from flooding.io.config_files.loading import load_config, user_config_path
from flooding.io.strap.ble import BluetoothUnavailableError, scan

SCAN_S = 8.0  # several advertising rounds of even a sleepy strap (as `flooding scan`)
ADDRESS = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f-]{36}$")  # MAC or UUID
NAME_MAX_CHARS = 64


# -- Before a talk ---------------------------------------------------------------------------


async def agreement_page(request: web.Request) -> web.StreamResponse:
    """The agreement, to read together before a talk (and to print)."""
    server = server_of(request)
    said = server.say("web.agreement.saved") if "saved" in request.query else ""
    return server.render(
        "agreement.html",
        page="agreement",
        a=agreement.in_language(agreement.load(server.folder), server.say),
        form={},
        errors={},
        editing="edit" in request.query,
        said=said,
    )


async def save_agreement(request: web.Request) -> web.StreamResponse:
    """Keep the agreement, or say what to fix beside each field."""
    server = server_of(request)
    form = await form_of(request)
    found, errors = agreement.problems(form, server.say)
    if found is None:
        return server.render(
            "agreement.html",
            status=400,
            page="agreement",
            a=agreement.in_language(agreement.load(server.folder), server.say),
            form=form,
            errors=errors,
            editing=True,
            said="",
        )
    agreement.save(server.folder, found)
    return web.Response(status=303, headers={"Location": "/agreement?saved"})


# -- Progress --------------------------------------------------------------------------------


async def progress_page(request: web.Request) -> web.StreamResponse:
    """Weeks and months, and the small steps named."""
    server = server_of(request)
    server.store.flush()
    return server.render(
        "progress.html", page="progress", p=progress(server.store, server.say), duration=duration
    )


# -- Strap -----------------------------------------------------------------------------------


def _strap_page(
    server: AppServer, *, found: list[object] | None = None, error: str = "", said: str = ""
) -> web.Response:
    settings = server.settings
    # a broken file is shown on the Settings page; the strap page goes on with what runs
    with contextlib.suppress(ConfigError):
        settings = load_config(server.config_file).settings
    feed = server.feed
    return server.render(
        "strap.html",
        page="strap",
        strap=settings.strap,
        profiles=settings.profiles,
        link=feed.link_state if feed is not None else None,
        battery=feed.battery_state if feed is not None else None,
        found=found,
        error=error,
        said=said,
    )


async def strap_page(request: web.Request) -> web.StreamResponse:
    """The paired strap, its link and battery; scan and pair."""
    server = server_of(request)
    said = server.say("web.strap.paired") if request.query.get("said") == "paired" else ""
    if "unpaired" in request.query:
        said = server.say("web.strap.unpaired")
    return _strap_page(server, said=said)


async def scan_straps(request: web.Request) -> web.StreamResponse:
    """Look for straps nearby (as `flooding scan`)."""
    server = server_of(request)
    try:
        found = await scan(SCAN_S, backend=server.scanner_backend)
    except BluetoothUnavailableError as exc:
        return _strap_page(
            server,
            error=server.say("web.strap.no_bluetooth", why=exc),
        )
    return _strap_page(server, found=list(found))


async def pair_strap(request: web.Request) -> web.StreamResponse:
    """Save the chosen strap, or forget it, for the person or for one profile (couple mode):
    the keys `flooding pair [--as NAME]` writes, through the same function."""
    server = server_of(request)
    form = await form_of(request)
    path = user_config_path(server.config_file)
    typed = form.get("new_as", "") if form.get("for_new") == "yes" else ""
    profile = (form.get("as") or typed).strip() or None
    if form.get("for_new") == "yes" and profile is None:
        return _strap_page(server, error=server.say("web.strap.name_first"))
    if form.get("unpair") == "yes":
        if profile is not None and profile not in profiles_in(path):
            return _strap_page(server, error=server.say("web.strap.no_profile", name=repr(profile)))
        try:
            unpair_strap(path, profile)
        except PairingRefused as exc:
            return _strap_page(
                server, error=server.say("web.strap.not_unpaired", why=exc.said(server.say))
            )
        return web.Response(status=303, headers={"Location": "/strap?unpaired"})
    address = form.get("address", "").strip()
    name = form.get("name", "").strip()[:NAME_MAX_CHARS]
    if not ADDRESS.match(address):
        return _strap_page(server, error=server.say("web.strap.bad_address"))
    try:
        pair_strap_to(path, address, name, profile)
    except PairingRefused as exc:
        return _strap_page(
            server, error=server.say("web.strap.not_paired", why=exc.said(server.say))
        )
    return web.Response(status=303, headers={"Location": "/strap?said=paired"})


def add_routes(app: web.Application) -> None:
    """Register the agreement, progress and strap pages."""
    app.router.add_get("/agreement", agreement_page)
    app.router.add_post("/agreement", save_agreement)
    app.router.add_get("/progress", progress_page)
    app.router.add_get("/strap", strap_page)
    app.router.add_post("/strap/scan", scan_straps)
    app.router.add_post("/strap/pair", pair_strap)
