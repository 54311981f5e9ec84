"""The pages around the talks: Before a talk (the agreement), Progress (weeks, months,
milestones) and Strap (scan, pair, unpair, battery).

The agreement and the progress come from `flooding.app.agreement` and `flooding.app.progress`;
the strap is found with the same scan as `flooding scan` and saved to the same keys as
`flooding pair`.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from flooding.app import agreement
from flooding.app.pairing import PairingRefused, profiles_in, unpair_strap
from flooding.app.pairing import pair_strap as pair_strap_to
from flooding.app.progress import progress
from flooding.app.web.form_errors import field_problems
from flooding.app.web.server import AppServer, form_of, server_of
from flooding.app.web.settings_page import settings_in_effect, write_changes
from flooding.core.settings import ConfigError
from flooding.core.timefmt import break_length, duration
from flooding.io.config_files.loading import user_config_path
from flooding.io.strap.ble import BluetoothUnavailableError, StrapInfo, scan

SCAN_S = 8.0  # several advertising rounds of even a sleepy strap (as `flooding scan`)
ADDRESS = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f-]{36}$")  # MAC or UUID
NAME_MAX_CHARS = 64
# the agreement's fields, in the form's order
AGREEMENT_FIELDS = (
    "signal",
    "break_minutes",
    "where_first",
    "where_second",
    "return_rule",
    "first_question",
)


# -- Before a talk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakInEffect:
    """The break length the alerts suggest (`pause.minutes`): from the person's file, or,
    while that file has a mistake, the one the app started with and the mistake (`problem`)."""

    minutes: float
    problem: ConfigError | None = None


def break_in_effect(server: AppServer) -> BreakInEffect:
    """The break length in effect, read as the Settings page reads the settings."""
    try:
        return BreakInEffect(settings_in_effect(server).settings.pause.minutes)
    except ConfigError as exc:
        return BreakInEffect(server.settings.pause.minutes, exc)


def _minutes(value: float) -> str:
    """Minutes as the page shows them (30, 25.5), read back as the same value."""
    return str(int(value)) if value.is_integer() else str(value)


def _agreement_page(
    server: AppServer,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: bool = False,
    said: str = "",
) -> web.Response:
    """The page; an agreement an earlier version saved with a break length of its own,
    other than the one in effect, is named, to be saved again with the one they want."""
    minutes = break_in_effect(server).minutes
    earlier = agreement.earlier_break_minutes(server.folder)
    fields = [
        (key, f"a-{key}", server.say(f"web.agreement.label.{key}")) for key in AGREEMENT_FIELDS
    ]
    return server.render(
        "agreement.html",
        status=status,
        page="agreement",
        a=agreement.in_language(agreement.load(server.folder), server.say),
        minutes=_minutes(minutes),
        break_time=break_length(minutes, server.say),
        earlier="" if earlier is None or earlier == minutes else break_length(earlier, server.say),
        form=form or {},
        fields=fields,
        errors=errors or {},
        problems=field_problems(errors or {}, fields),
        editing=editing,
        said=said,
    )


async def agreement_page(request: web.Request) -> web.StreamResponse:
    """The agreement, to read together before a talk (and to print)."""
    server = server_of(request)
    said = ""
    if request.query.get("saved") == "break":
        time = break_length(break_in_effect(server).minutes, server.say)
        said = server.say("web.agreement.saved_break", time=time)
    elif "saved" in request.query:
        said = server.say("web.agreement.saved")
    return _agreement_page(server, editing="edit" in request.query, said=said)


async def save_agreement(request: web.Request) -> web.StreamResponse:
    """Keep the agreement, or say what to fix beside each field. A new break length is saved
    as the setting `pause.minutes`, as the Settings page saves it (`write_changes`); while
    the person's settings file has a mistake, a new one is refused with the whole agreement
    (409, as the Settings page answers then), and the same one saves as ever."""
    server = server_of(request)
    form = await form_of(request)
    in_effect = break_in_effect(server)
    kept = agreement.in_language(agreement.load(server.folder), server.say)
    sent, errors = agreement.problems(form, server.say, kept=kept, break_minutes=in_effect.minutes)
    minutes = agreement.sent_break_minutes(form, in_effect.minutes)
    changes = [] if minutes in (None, in_effect.minutes) else [f"{agreement.BREAK_KEY}={minutes!r}"]
    candidate, problem = None, in_effect.problem
    if changes and problem is None and sent is not None:
        try:  # checked as `config check` checks it, as the Settings page does
            candidate = settings_in_effect(server, changes).settings
        except ConfigError as exc:  # the file was changed meanwhile
            problem = exc
    if changes and problem is not None:
        errors[agreement.BREAK_FIELD] = server.say(
            "web.agreement.settings_problem", problem="; ".join(problem.problems)
        )
        return _agreement_page(server, status=409, form=form, errors=errors, editing=True)
    if sent is None:
        return _agreement_page(server, status=400, form=form, errors=errors, editing=True)
    if candidate is not None:
        write_changes(server, candidate, changes)
    agreement.save(server.folder, sent.agreement)
    where = "/agreement?saved=break" if candidate is not None else "/agreement?saved"
    return web.Response(status=303, headers={"Location": where})


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
    server: AppServer, *, found: list[StrapInfo] | None = None, error: str = "", said: str = ""
) -> web.Response:
    settings = server.settings
    # a broken file is shown on the Settings page; the strap page goes on with what runs
    with contextlib.suppress(ConfigError):
        settings = settings_in_effect(server).settings
    feed = server.feed
    names = Counter(s.name for s in found or () if s.name)
    paired = {settings.strap.address: ""} if settings.strap.address else {}
    for name, profile in settings.profiles.items():
        if profile.strap.address:
            paired[profile.strap.address] = name
    return server.render(
        "strap.html",
        page="strap",
        strap=settings.strap,
        profiles=settings.profiles,
        link=feed.link_state if feed is not None else None,
        battery=feed.battery_state if feed is not None else None,
        found=found,
        twins=sorted(name for name, count in names.items() if count > 1),
        paired=paired,
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
