"""The Settings page: a form made from the settings schema, checked and saved the way
`flooding config check` and `flooding pair` do, with a what-if preview that replays the
person's past sessions the way `flooding tune --all` does.

The form's keys, units and ranges come from the pydantic models (`allowed_values`); each key's
label and reason are screen texts (`web.settings.label.KEY`, `web.settings.why.KEY`: in English
the key's comment in the shipped `config/default.toml`). Saving writes only the keys that
changed into the person's file, keeping their comments (tomlkit).
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from aiohttp import web

from flooding.app.readiness import profile_problems
from flooding.app.tune import DEFAULT_TOLERANCE_S, RecordedSessions, Totals, totals, verdict
from flooding.app.web.form_errors import Problem, field_problems
from flooding.app.web.message_preview import example_notices
from flooding.app.web.server import AppServer, form_of, server_of
from flooding.core.catalogue import Catalogue
from flooding.core.settings import (
    MAX_LIST_CHARS,
    MAX_TEXT_CHARS,
    MAX_TEXTS,
    PLACEHOLDERS,
    ConfigError,
    Settings,
)
from flooding.core.settings_keys import allowed_values, field_for
from flooding.core.settings_notes import unreachable_limits
from flooding.io.config_files.loading import (
    LoadedConfig,
    available_languages,
    default_toml_text,
    load_config,
    settings_variables,
    user_config_path,
)
from flooding.io.config_files.place import read_settings_text
from flooding.io.locale_files import load_catalogue
from flooding.io.memory import give_back_freed_memory
from flooding.io.store import Store, StoreError

logger = logging.getLogger(__name__)

# the sections a person tunes; straps, profiles and workout overrides have their own places
# (the Strap page, `flooding pair --as`)
FORM_SECTIONS = ("", "detection", "pause", "notify", "service", "couple", "messages")
SKIPPED_KEYS = frozenset({"detection.baseline_bpm"})  # set by `flooding calibrate`
KEEP_SESSIONS_S = 600.0  # the what-if keeps the prepared sessions this long after a preview:
#                          ten minutes of trying values answers each at once; then the
#                          monitor lets their memory go (tens of MB for a year of talks)
# the most a text field takes as typed (its `maxlength`): the schema's limits, a list's with
# the line break after each text (which a browser may count as two)
MAX_CHARS = {"text": MAX_TEXT_CHARS, "lines": MAX_LIST_CHARS + 2 * MAX_TEXTS}
ITEM_PATH = re.compile(r"(\.\d+)+$")  # `.3` after a list's key: one text of it
KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=")
PROBLEM_KEY = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?: = |: )"
)  # after `where: `
LINE_OF_FILE = re.compile(r"^:\d+")  # `:3` after the file's name: a problem of one line
SECTION_LINE = re.compile(r"^\[([^\]]+)\]")


@dataclass(frozen=True)
class Field:
    """One form field: a settings key with its kind, current value and help."""

    key: str
    label: str
    kind: str  # "number", "bool", "choice", "text", "lines" (a list: one text a line)
    value: Any
    choices: tuple[str, ...]
    allowed: str
    reason: str
    max_chars: int | None = None  # the most characters it takes as typed (None: any)
    source: str = ""  # where a value in effect comes from when not the person's file ('')


def key_reasons(text: str | None = None) -> dict[str, str]:
    """Each key's comment in the shipped defaults (keys under one comment share it)."""
    text = default_toml_text() if text is None else text
    reasons: dict[str, str] = {}
    section = ""
    comment: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            comment = []
            continue
        header = SECTION_LINE.match(stripped)
        if header:
            section, comment = header.group(1), []
            continue
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
            continue
        key = KEY_LINE.match(stripped)
        if key and comment:
            path = f"{section}.{key.group(1)}" if section else key.group(1)
            reasons[path] = " ".join(comment)
    return reasons


def _kind(key: str, value: Any) -> tuple[str, tuple[str, ...]]:
    if key.startswith("messages."):
        return ("lines" if isinstance(value, list) else "text"), ()
    if key == "language":
        return "choice", tuple(available_languages())
    found = field_for(key)
    annotation = found[1].annotation if found else None
    if annotation is bool:
        return "bool", ()
    if get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "choice", tuple(str(m.value) for m in annotation)
    return "number", ()


def section_title(say: Catalogue, section: str) -> str:
    """A form section's heading ('' is the general one)."""
    return say(f"web.settings.section.{section or 'general'}")


def form_fields(
    settings: Settings, say: Catalogue | None = None, set_here: Mapping[str, str] | None = None
) -> list[tuple[str, list[Field]]]:
    """The form, section by section, with the values in effect (in the language of `say`,
    English without); `set_here`: the keys the environment or the command line sets, each
    with where (`set_here`'s words), said beside its field."""
    say = say or load_catalogue()
    set_here = set_here or {}
    dumped = settings.model_dump(mode="json")
    out: list[tuple[str, list[Field]]] = []
    for section in FORM_SECTIONS:
        node = dumped if not section else dumped[section]
        fields = []
        for name, value in node.items():
            key = f"{section}.{name}" if section else name
            if key in SKIPPED_KEYS or isinstance(value, dict):
                continue
            if isinstance(value, list) and section != "messages":
                continue
            if not section and name not in ("mode", "language"):
                continue
            kind, choices = _kind(key, value)
            fields.append(
                Field(
                    key=key,
                    label=say.texts.get(f"web.settings.label.{key}", name.replace("_", " ")),
                    kind=kind,
                    value=value,
                    choices=choices,
                    allowed=_allowed(key, say),
                    reason=say.texts.get(f"web.settings.why.{key}", ""),
                    max_chars=MAX_CHARS.get(kind),
                    source=_source(set_here.get(key, ""), say),
                )
            )
        out.append((section_title(say, section), fields))
    return out


def _source(origin: str, say: Catalogue) -> str:
    """Where a value in effect comes from, when it is not the person's file, in words ('':
    their file or the defaults)."""
    if origin == "command line":
        return say("web.settings.from_command_line")
    if origin.startswith("environment "):
        return say("web.settings.from_environment", variable=origin.removeprefix("environment "))
    return ""


def set_here(server: AppServer) -> dict[str, str]:
    """The keys this process's environment (`FLOODING_*`) or command line (`--set`,
    `--lang`) sets, each with its layer as `LoadedConfig.origins` names it, but those the
    person saved on a page since."""
    found = {
        path: f"environment {name}"
        for name, path in settings_variables(os.environ).items()
        if path not in server.saved_keys
    }
    for item in server.overrides:
        if _set_key(item) not in server.saved_keys:
            found[_set_key(item)] = "command line"
    return found


def _allowed(key: str, say: Catalogue) -> str:
    """What a key accepts; for a message text also the placeholders it may use."""
    words = allowed_values(key, say, decimal_mark=say.decimal_mark) or ""
    name = key.removeprefix("messages.")
    if key.startswith("messages.") and name in PLACEHOLDERS:
        names = ", ".join("{" + n + "}" for n in PLACEHOLDERS[name])
        words += say("web.settings.placeholders", names=names or say("web.settings.none"))
    return words


def _form_text(kind: str, text: str, mark: str = ".") -> str:
    """A submitted value as it compares with the shown one (browsers send CRLF line ends). A
    text keeps its leading spaces: some are written to follow another sentence
    (`couple_waiting`). A number is read with the page's decimal `mark` (0,45 in German)
    and the point TOML writes (0.45)."""
    text = text.replace("\r\n", "\n")
    if kind == "lines":
        return "\n".join(line.strip() for line in text.split("\n") if line.strip())
    if kind == "text":
        return text.rstrip()
    if kind == "number" and mark != ".":
        return text.strip().replace(mark, ".")
    return text.strip()


def _toml_string(value: str | list[str]) -> str:
    """A string (or list of them) as TOML basic strings, its letters as they are (shown to
    the person among the changes: Ü, not \\u00dc): JSON's, with DEL escaped too, as TOML
    wants (JSON escapes the other control characters)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(kind: str, text: str, mark: str = ".") -> str:
    """A form value as the TOML text `--set KEY=VALUE` takes (a number typed with the
    page's decimal `mark`)."""
    if kind == "text":
        return _toml_string(_form_text(kind, text))
    if kind == "lines":
        return _toml_string(_form_text(kind, text).split("\n") if _form_text(kind, text) else [])
    if kind == "bool":
        return "true" if text == "on" else "false"
    if kind == "choice":
        return _toml_string(text)
    # an empty number is refused with the key's own words
    return _form_text(kind, text, mark) or '""'


def overrides_from(form: dict[str, str], current: Settings, mark: str = ".") -> list[str]:
    """`KEY=VALUE` for each field the person changed (numbers typed with the decimal
    `mark`)."""
    changed = []
    for _title, fields in form_fields(current):
        for field in fields:
            if field.kind == "bool":
                submitted = _toml_value("bool", form.get(field.key, ""))
                if submitted != json.dumps(field.value):
                    changed.append(f"{field.key}={submitted}")
                continue
            text = form.get(field.key)
            shown = _form_text(field.kind, _shown(field.value))
            if text is None or _form_text(field.kind, text, mark) == shown:
                continue
            changed.append(f"{field.key}={_toml_value(field.kind, text, mark)}")
    return changed


def _shown(value: Any, mark: str = ".") -> str:
    """A value as its field shows it (a number with the page's decimal `mark`)."""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value).replace(".", mark)
    return str(value)


def problems_by_key(problems: list[str], fields: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """`config check`'s problem lines, each beside its key when the form has a field for it
    (`fields`), the rest whole for the top (a syntax error, an unknown key, a file that
    cannot be read); a problem of one text of a list (`messages.suggestions.3`) beside its
    list."""
    by_key: dict[str, str] = {}
    other: list[str] = []
    keys = set(fields)
    for problem in problems:
        _where, _, rest = problem.partition(": ")
        found = PROBLEM_KEY.match(rest)
        key = ITEM_PATH.sub("", found.group(1)) if found else ""
        if key in keys:
            by_key[key] = f"{by_key[key]} {rest}" if key in by_key else rest
        else:
            other.append(problem)
    return by_key, other


def field_keys(settings: Settings) -> list[str]:
    """The settings keys the form has a field for."""
    return [field.key for _title, fields in form_fields(settings) for field in fields]


def outside_the_form(problem: str, path: str, say: Catalogue, program: str) -> str:
    """A problem no field can fix, said so when it is the person's file's (`path`): fix
    that line (or the file) in the file itself, with `program config edit`."""
    if not problem.startswith(path):
        return problem
    command = f"{program} config edit"
    if LINE_OF_FILE.match(problem.removeprefix(path)):
        return say("web.settings.fix_line_in_file", problem=problem, command=command)
    return say("web.settings.fix_file", problem=problem, command=command)


def settings_notes(settings: Settings, say: Catalogue, program: str) -> list[str]:
    """What the shown settings do not do as they seem to, as `config check` notes it: a limit
    never reached, more profiles than a couple."""
    return unreachable_limits(settings, say) + profile_problems(settings, program, say)


def what_if(
    folder: Path, current: Settings, candidate: Settings, sessions: RecordedSessions | None = None
) -> Totals:
    """Every one-heart session replayed with both settings (`flooding tune --all`'s totals).

    Runs in a worker thread with its own read-only connection, as `tune` reads: the monitor's
    loop goes on meanwhile. What it replays is kept in the store for the next app process
    (`KeptAlerts`: short writes that never wait for the monitor's). The couple sessions are
    left out, as by `tune`. `sessions`: the ones kept from earlier previews (read again only
    where they changed).
    """
    kept = RecordedSessions() if sessions is None else sessions
    store = Store.open_read_only(folder)
    try:
        return totals(kept.compare(store, current, candidate, DEFAULT_TOLERANCE_S))
    finally:
        store.close()


class KeptSessions:
    """The what-if's sessions, kept from one preview to the next while the person tries
    values, and let go `KEEP_SESSIONS_S` after the last one."""

    def __init__(self) -> None:
        self.sessions = RecordedSessions()
        self._forget: asyncio.TimerHandle | None = None
        self._warming: asyncio.Task[None] | None = None
        self._turns = asyncio.Lock()  # one preview at a time, in the order asked
        self._asked = 0  # previews asked as the person types (a count)

    async def preview(self, folder: Path, current: Settings, candidate: Settings) -> Totals:
        """The what-if of `candidate` against `current` (from the event loop; the replays in a
        worker thread, one preview at a time, in the order asked)."""
        async with self._turns:
            return await self._replay(folder, current, candidate)

    async def preview_as_typed(
        self, folder: Path, current: Settings, candidate: Settings
    ) -> Totals | None:
        """`preview`, asked as the person types: answered None, unmade, when a newer one of
        its kind is already waiting (typing "105" asks three times; only the last must be
        replayed)."""
        self._asked += 1
        mine = self._asked
        async with self._turns:
            if mine != self._asked:
                return None
            return await self._replay(folder, current, candidate)

    async def _replay(self, folder: Path, current: Settings, candidate: Settings) -> Totals:
        """The what-if in a worker thread (the caller holds the turn)."""
        try:
            return await asyncio.to_thread(what_if, folder, current, candidate, self.sessions)
        finally:  # also when the browser gave up waiting: the sessions are kept a while
            self.used()

    def warm(self, folder: Path, current: Settings) -> asyncio.Task[None]:
        """Read the sessions and replay them with the settings in effect, in a worker thread,
        while the person looks at the page: their first preview then replays only what they
        try (from the event loop; one warm-up at a time). A folder it cannot read is left to
        the preview, which says what is wrong."""
        if self._warming is not None and not self._warming.done():
            return self._warming

        async def replay_current() -> None:
            try:
                await self.preview(folder, current, current)
            except (StoreError, OSError) as exc:
                logger.info("the what-if's sessions are read at the first preview: %s", exc)

        self._warming = asyncio.get_running_loop().create_task(replay_current())
        return self._warming

    def used(self) -> None:
        """A preview was made: keep the sessions for another while (from the event loop)."""
        if self._forget is not None:
            self._forget.cancel()
        self._forget = asyncio.get_running_loop().call_later(KEEP_SESSIONS_S, self.let_go)

    def let_go(self) -> None:
        """Let the sessions' memory go now, back to the system (a service runs for weeks)."""
        if self._forget is not None:
            self._forget.cancel()
            self._forget = None
        self.sessions.forget()
        give_back_freed_memory()


KEPT_KEY = web.AppKey("what-if sessions", KeptSessions)


def _verdict(preview: Totals | None, say: Catalogue) -> str:
    """The what-if's totals in one line ('' without a preview)."""
    if preview is None:
        return ""
    return verdict(
        preview.current_alerts,
        preview.candidate_alerts,
        preview.current_false,
        preview.candidate_false,
        preview.missed,
        preview.added,
        say,
    )


def settings_in_effect(server: AppServer, changes: Iterable[str] = ()) -> LoadedConfig:
    """The settings in effect for the app's pages, read again: the person's file, the
    environment's `FLOODING_*` values and the command line's `--set`/`--lang` over it (as
    the process started), then `changes` (`KEY=VALUE`, a form's), which win. A key the
    person saved on a page since is their file's (the process's own values for it are
    left out)."""
    saved = server.saved_keys
    env = {
        name: value
        for name, value in os.environ.items()
        if settings_variables({name: value}).get(name) not in saved
    }
    overrides = [item for item in server.overrides if _set_key(item) not in saved]
    return load_config(server.config_file, env=env, overrides=[*overrides, *changes])


def _set_key(item: str) -> str:
    """The key a `KEY=VALUE` text sets."""
    return item.partition("=")[0].strip()


def _page(
    server: AppServer,
    settings: Settings,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    other_errors: list[str] | None = None,
    said: str = "",
    preview: Totals | None = None,
    changes: list[str] | None = None,
    file_problem: bool = False,
    sent: bool = True,
) -> web.Response:
    """The page; `file_problem`: the person's file has a mistake (the settings shown are those
    the app started with); `sent`: answering a sent form (else the page as it is)."""
    mark = server.say.decimal_mark
    sections = form_fields(settings, server.say, set_here(server))
    every = [(f.key, field_id(f.key), f.label) for _title, fields in sections for f in fields]
    path = str(user_config_path(server.config_file))
    outside = [
        outside_the_form(text, path, server.say, server.program) for text in other_errors or []
    ]
    return server.render(
        "settings.html",
        status=status,
        page="settings",
        file_problem=file_problem,
        sent=sent,
        sections=sections,
        field_id=field_id,
        form=form or {},
        errors=errors or {},
        field_problems=field_problems(errors or {}, every),
        other_errors=other_errors or [],
        other_problems=[Problem(text) for text in outside],
        marked=bool(errors),
        notes=settings_notes(settings, server.say, server.program),
        said=said,
        preview=preview,
        verdict=_verdict(preview, server.say),
        changes=changes or [],
        shown=lambda value: _shown(value, mark),
        notices=example_notices(settings, server.say),
        path=path,
    )


def field_id(key: str) -> str:
    """The element id of a key's field on the page."""
    return "f-" + key.replace(".", "-")


def _form_of(settings: Settings, mark: str) -> dict[str, str]:
    """The form as the page shows `settings` (as a browser would send it back untouched),
    its numbers with the decimal `mark`."""
    form = {}
    for _title, fields in form_fields(settings):
        for field in fields:
            if field.kind != "bool":
                form[field.key] = _shown(field.value, mark)
            elif field.value:
                form[field.key] = "on"
    return form


def _written_in_file(path: Path, keys: list[str], mark: str) -> dict[str, str | None]:
    """The values of `keys` as the person's file writes them, as form texts (None: a
    checkbox off; those it holds, when it reads as TOML; numbers with the decimal `mark`):
    a value with a mistake is shown as it is, to be corrected."""
    import tomllib

    try:
        document: Any = tomllib.loads(read_settings_text(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    found: dict[str, str | None] = {}
    for key in keys:
        node = document
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool):
            found[key] = "on" if node else None
        elif isinstance(node, list):
            found[key] = "\n".join(str(item) for item in node)
        elif isinstance(node, int | float):
            found[key] = str(node).replace(".", mark)
        elif isinstance(node, str):
            found[key] = node
    return found


def _form_against_file(server: AppServer, form: dict[str, str]) -> tuple[Settings, list[str], bool]:
    """The settings a sent form is compared with, the changes it makes (`--set` texts), and
    whether the person's file has a mistake. Then the settings are those the app started
    with, and the changes also set each key the file has wrong to the form's value: a
    corrected value repairs the file (a mistake the form cannot reach stays named)."""
    mark = server.say.decimal_mark
    try:
        current = settings_in_effect(server).settings
    except ConfigError as exc:
        wrong, _ = problems_by_key(exc.problems, field_keys(server.settings))
    else:
        return current, overrides_from(form, current, mark), False
    current = server.settings
    changes = overrides_from(form, current, mark)
    changed = {change.partition("=")[0] for change in changes}
    kinds = {field.key: field.kind for _title, fields in form_fields(current) for field in fields}
    for key in wrong:
        if key in kinds and key not in changed and (key in form or kinds[key] == "bool"):
            changes.append(f"{key}={_toml_value(kinds[key], form.get(key, ''), mark)}")
    return current, changes, True


@dataclass(frozen=True)
class CheckedForm:
    """A sent form checked as `config check` checks settings: what it is compared with
    (`_form_against_file`), the changes it makes, and the settings it gives, or (None) the
    problems that refuse it."""

    current: Settings
    changes: list[str]
    file_problem: bool  # the person's file itself has a mistake
    candidate: Settings | None
    errors: dict[str, str]  # beside their keys
    other: list[str]

    @property
    def status(self) -> int:
        """A refusal's HTTP status: the settings file's (409) or a value's (400)."""
        return 409 if self.file_problem else 400


def _checked(server: AppServer, form: dict[str, str]) -> CheckedForm:
    """`CheckedForm` of a sent form."""
    current, changes, file_problem = _form_against_file(server, form)
    try:
        candidate = settings_in_effect(server, changes).settings
    except ConfigError as exc:
        errors, other = problems_by_key(exc.problems, field_keys(current))
        return CheckedForm(current, changes, file_problem, None, errors, other)
    return CheckedForm(current, changes, file_problem, candidate, {}, [])


async def settings_page(request: web.Request) -> web.StreamResponse:
    """The form with the settings in effect; when the person's file has a mistake, those the
    app started with, and each value the file has wrong as written there, beside its
    problem, to be corrected."""
    server = server_of(request)
    try:
        loaded = settings_in_effect(server)
    except ConfigError as exc:
        errors, other = problems_by_key(exc.problems, field_keys(server.settings))
        mark = server.say.decimal_mark
        form = _form_of(server.settings, mark)
        for key, text in _written_in_file(
            user_config_path(server.config_file), list(errors), mark
        ).items():
            if text is None:
                form.pop(key, None)
            else:
                form[key] = text
        return _page(
            server,
            server.settings,
            form=form,
            errors=errors,
            other_errors=other,
            file_problem=True,
            sent=False,
        )
    said = server.say("web.settings.saved") if "saved" in request.query else ""
    request.app[KEPT_KEY].warm(server.folder, loaded.settings)
    return _page(server, loaded.settings, said=said)


async def save_settings(request: web.Request) -> web.StreamResponse:
    """Check the form as `config check` would; preview it (what-if) or save it."""
    server = server_of(request)
    form = await form_of(request)
    checked = _checked(server, form)
    current, changes, candidate = checked.current, checked.changes, checked.candidate
    if candidate is None:
        return _page(
            server,
            current,
            status=checked.status,
            form=form,
            errors=checked.errors,
            other_errors=checked.other,
            file_problem=checked.file_problem,
        )
    if form.get("action") == "preview":
        preview = await request.app[KEPT_KEY].preview(server.folder, current, candidate)
        return _page(server, candidate, form=form, preview=preview, changes=changes)
    if not changes:
        return _page(server, current, said=server.say("web.settings.nothing_changed"))
    write_changes(server, candidate, changes)
    return web.Response(status=303, headers={"Location": "/settings?saved"})


def write_changes(server: AppServer, candidate: Settings, changes: list[str]) -> None:
    """Save checked settings: each key `changes` sets (`KEY=VALUE`, as `--set` takes them),
    with its value in `candidate` (the settings they give), into the person's file, its
    comments kept. The app's own words follow a saved language at once; a running monitor
    uses the rest from its next start. Saving the Settings page, or the agreement's break
    length on Before a talk, is this."""
    # imported here: tomlkit is for saving, not for the service that serves the app
    from flooding.io.config_files.user_file import set_user_values

    values = {}
    dumped = candidate.model_dump(mode="json")
    for change in changes:
        key = change.partition("=")[0]
        node: Any = dumped
        for part in key.split("."):
            node = node[part]
        # a whole number as the person typed it (25, not 25.0; it loads as the same value)
        values[key] = int(node) if isinstance(node, float) and node.is_integer() else node
    set_user_values(user_config_path(server.config_file), values)
    server.saved_keys.update(values)  # the person's choice, over the command line's
    server.speak(candidate.language)  # the app's own words follow at once


async def what_if_as_typed(request: web.Request) -> web.StreamResponse:
    """The what-if of the form as it stands, as JSON for the page's script while the person
    types: the preview's numbers and words (200), the problems in `config check`'s words
    (400: a value; 409: the settings file itself), or nothing (204) when a newer one is
    already asked. Nothing is saved."""
    server = server_of(request)
    checked = _checked(server, await form_of(request))
    changes, candidate = checked.changes, checked.candidate
    if candidate is None:
        problems = [*checked.errors.values(), *checked.other]
        return web.json_response({"problems": problems}, status=checked.status)
    try:
        preview = await request.app[KEPT_KEY].preview_as_typed(
            server.folder, checked.current, candidate
        )
    except (StoreError, OSError) as exc:
        logger.warning("the what-if could not read the sessions: %s", exc)
        return web.json_response({"problems": [str(exc)]}, status=503)
    if preview is None:
        return web.Response(status=204)
    say = server.say
    return web.json_response(
        {
            "verdict": _verdict(preview, say),
            "sessions": preview.sessions,
            "current": preview.current_alerts,
            "candidate": preview.candidate_alerts,
            "false": say("web.settings.of", n=preview.candidate_false, total=preview.current_false),
            "missed": preview.missed,
            "added": preview.added,
            "changes": changes,
        }
    )


def add_routes(app: web.Application) -> None:
    """Register the Settings page."""
    kept = KeptSessions()
    app[KEPT_KEY] = kept

    async def let_go(_app: web.Application) -> None:
        kept.let_go()

    app.on_cleanup.append(let_go)
    app.router.add_get("/settings", settings_page)
    app.router.add_post("/settings", save_settings)
    app.router.add_post("/settings/what-if", what_if_as_typed)
