"""The Import page: a recording from another app (or this one's export) becomes a session, as
`flooding import` makes it (`flooding.app.import_files`: the same readers, the same refusals,
all or nothing), with the same choices: two files as a couple's session and their names,
the mode, and under "More choices" the format, the start, the participant and importing
again.

The file comes as a multipart upload, written a piece at a time to a private folder inside
the data folder (owner-only, as the data is) and removed when the import ends, whatever the
end. An upload may hold UPLOAD_MAX_BYTES, more than the app's other forms: the size of a
month of beats. The import runs in a worker thread, one at a time, so the live page goes on.
How far it has come (what the import tells, `flooding.app.importing.Progress`) is asked by the
page's script at /import/progress, under a token the page sent with the form.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, web
from markupsafe import Markup

from flooding.app.import_files import (
    DEFAULT_COUPLE_NAMES,
    Choices,
    ImportRefused,
    couple_names,
    couple_recordings,
    imported_before,
    lined_up,
    recordings_of,
    start_time,
    store_recordings,
)
from flooding.app.importing import CoupleImportResult
from flooding.app.web.form_errors import field_problems
from flooding.app.web.pages import AFTER_IMPORT
from flooding.app.web.server import AppServer, server_of
from flooding.app.web.settings_page import settings_in_effect
from flooding.app.web.words import page_link, say_html
from flooding.core.catalogue import Catalogue, Phrase, phrase
from flooding.core.models import Mode
from flooding.core.settings import ConfigError, Settings
from flooding.io.readers import formats
from flooding.io.store import Store, StoreError

log = logging.getLogger(__name__)

# the largest recording an import takes: a month of beats as a plain RR list (about 37 MB:
# the 22.5 hours of beats in shared/data are 1.2 MB) fits, and so does this program's own
# export of the month of heart rates in shared/data (2.5 MB as recorded; 25 MB as JSON)
UPLOAD_MAX_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 256 * 1024  # written to the file a piece at a time: memory follows the piece
FIELD_MAX_BYTES = 1024  # a choice of the form (a mode, a name, a time) is a few bytes
FILE_NAME_MAX_BYTES = 200  # a file's name as shown and stored (file systems take 255 bytes)
SUFFIX_MAX_CHARS = 10  # an extension kept when a long name is shortened (.hrm tells the format)
UPLOAD_DIR_PREFIX = "import-upload-"  # in the data folder, for as long as an import runs
# an upload and its import take minutes at most: an upload folder older than this was left by
# an app stopped mid-import (killed, the computer off) and is removed at the next import
STALE_UPLOAD_S = 6 * 3600.0
FILE_FIELDS = ("file", "second")  # the recording; the partner's, for a couple's session
TEXT_FIELDS = ("mode", "name_a", "name_b", "format", "start", "participant", "again", "progress")
PROGRESS_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # the page's name for its import's progress
MODIFIED_FIELD = "modified_ms_"  # + a file field: when the person's file was last changed
# texts of `flooding import` that name its options, said on this page in its own words
PAGE_WORDS = "web.import.for."

# the fields a refusal can be about (by id), with their labels, and the refusals that are
FIELD_LABELS = {
    "file": "web.import.file",
    "start": "web.import.start",
    "participant": "web.import.participant_label",
}
REFUSED_FIELDS = {
    "web.import.participant": "participant",
    "import.bad_start": "start",
    "import.start_out_of_range": "start",
}
LOCK_KEY = web.AppKey("one import at a time", asyncio.Lock)


@dataclass
class _Told:
    """How far an import has come, as it last told it (set in its worker thread)."""

    seen: tuple[int, int] = (0, 0)  # (work done, work in all); (0, 0): not started yet

    def __call__(self, done: int, total: int) -> None:
        self.seen = (done, total)


RUNNING_KEY = web.AppKey("the imports running, by their page's token", dict[str, _Told])


def add_routes(app: web.Application) -> None:
    """Register the Import page on the app."""
    app[LOCK_KEY] = asyncio.Lock()
    app[RUNNING_KEY] = {}
    app.router.add_get("/import", import_page)
    app.router.add_post("/import", import_upload)
    app.router.add_get("/import/progress", import_progress)


async def import_progress(request: web.Request) -> web.StreamResponse:
    """How far the import the page named (`?id=`, its token) has come: work done and in
    all, both 0 while it has not started (the upload arriving, or another import before it)
    or when no import of that name runs (it ended)."""
    told = request.app[RUNNING_KEY].get(request.query.get("id", ""))
    done, total = (0, 0) if told is None else told.seen
    return web.json_response({"done": done, "total": total}, headers={"Cache-Control": "no-store"})


class _TooLarge(Exception):
    """An upload over UPLOAD_MAX_BYTES."""


@dataclass
class _Upload:
    """What the form sent: its files (where they were written -> the person's name for
    them) and its choices."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)  # form field -> file written
    shown: dict[Path, str] = field(default_factory=dict)  # file written -> its own name
    fields: dict[str, str] = field(default_factory=dict)
    received: int = 0  # bytes so far, files and fields

    def count(self, size: int) -> None:
        self.received += size
        if self.received > UPLOAD_MAX_BYTES:
            raise _TooLarge


def page_words(say: Catalogue) -> Catalogue:
    """The catalogue as this page says it: a text of `flooding import` that names a terminal
    option (`--format`) is said with the page's own words for it (`web.import.for.<key>`)."""
    texts = dict(say.texts)
    for key, text in say.texts.items():
        if key.startswith(PAGE_WORDS):
            texts[key.removeprefix(PAGE_WORDS)] = text
    return Catalogue(texts, language=say.language)


def settings_now(server: AppServer) -> Settings:
    """The settings an import detects with: those in effect for the app's pages now (the
    person's file as saved meanwhile, with the command line's and the environment's values,
    `settings_in_effect`), or, while that file has a mistake, those the app started with."""
    try:
        return settings_in_effect(server).settings
    except ConfigError:
        return server.settings


def _page(
    server: AppServer,
    *,
    status: int = 200,
    error: str | Markup = "",
    field_id: str = "",
    form: Mapping[str, str] | None = None,
) -> web.Response:
    """The page, saying `error`; one of a field (`field_id`, its id) is linked from the
    summary to that field and said beside it."""
    profiles = list(settings_now(server).profiles)
    names = profiles if len(profiles) == 2 else list(DEFAULT_COUPLE_NAMES)
    return server.render(
        "import.html",
        status=status,
        page="import",
        formats=formats(),
        default_names=names,
        max_mib=UPLOAD_MAX_BYTES // (1024 * 1024),
        max_bytes=UPLOAD_MAX_BYTES,
        error=error,
        field_id=field_id,
        problems=field_problems(
            {field_id: error} if field_id else {},
            [(name, name, server.say(label)) for name, label in FIELD_LABELS.items()],
        ),
        form=form or {},
    )


async def import_page(request: web.Request) -> web.StreamResponse:
    """The form: a file (or a couple's two), and the choices of `flooding import`."""
    return _page(server_of(request))


async def import_upload(request: web.Request) -> web.StreamResponse:
    """Import the uploaded file(s) and show the new session; or the form again, saying what
    was wrong and what to do (nothing is stored then); or, for a file imported before, a
    link to its session."""
    server = server_of(request)
    say = server.say
    if request.content_length is not None and request.content_length > UPLOAD_MAX_BYTES:
        return _too_large(server)
    await asyncio.to_thread(_remove_stale_uploads, server.folder)
    folder = await asyncio.to_thread(
        tempfile.mkdtemp, prefix=UPLOAD_DIR_PREFIX, dir=server.folder
    )  # mode 0700: the person's heart data, as private as the folder it is going into
    upload = _Upload(Path(folder))
    try:
        try:
            await _receive(request, upload)
        except _TooLarge:
            return _too_large(server)
        except (ValueError, AssertionError, LookupError, web.HTTPException) as exc:
            log.info("an import's form could not be read: %s", type(exc).__name__)
            raise web.HTTPBadRequest(text=say("web.form.unreadable") + "\n") from None
        return await _import(request, server, upload)
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def _remove_stale_uploads(data_folder: Path) -> None:
    """Remove the upload folders an app stopped mid-import left (older than STALE_UPLOAD_S):
    heart data kept nowhere the person would look for it."""
    now = time.time()
    for left in data_folder.glob(UPLOAD_DIR_PREFIX + "*"):
        try:
            stale = left.is_dir() and now - left.stat().st_mtime > STALE_UPLOAD_S
        except OSError:
            continue  # gone meanwhile
        if stale:
            log.info("removing %s, an upload left by an import that did not end", left.name)
            shutil.rmtree(left, ignore_errors=True)


def _too_large(server: AppServer) -> web.Response:
    """The form again, saying the limit; the connection is closed after it (the rest of the
    upload is not read: what follows on it is no request)."""
    mib = UPLOAD_MAX_BYTES // (1024 * 1024)
    answer = _page(server, status=413, error=server.say("web.import.too_large", mib=mib))
    answer.force_close()
    return answer


async def _receive(request: web.Request, upload: _Upload) -> None:
    """Read the form a part at a time: each file written to the upload's folder as it
    arrives, the choices kept (UPLOAD_MAX_BYTES in all at most)."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ValueError("a form inside the form")
        name = part.name or ""
        if name in FILE_FIELDS and name not in upload.files:
            await _save_file(part, name, upload)
        elif name in TEXT_FIELDS or _is_modified_field(name):
            upload.fields[name] = await _text_of(part, upload)
        else:
            raise ValueError(f"a field the page does not send: {name!r}")


def _is_modified_field(name: str) -> bool:
    return name.startswith(MODIFIED_FIELD) and name.removeprefix(MODIFIED_FIELD) in FILE_FIELDS


async def _text_of(part: BodyPartReader, upload: _Upload) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(FIELD_MAX_BYTES):
        upload.count(len(chunk))
        data += chunk
        if len(data) > FIELD_MAX_BYTES:
            raise ValueError("a choice longer than any the page sends")
    return data.decode(part.get_charset("utf-8")).strip()


def _file_name(given: str | None) -> str:
    """The person's name for their file, without folders (as the browser may send them),
    shortened to what a file system takes; "recording" for none."""
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    if name in ("", ".", ".."):
        return "recording"
    _, dot, suffix = name.rpartition(".")
    keep = f"{dot}{suffix}" if dot and len(suffix) <= SUFFIX_MAX_CHARS else ""
    while len(name.encode("utf-8")) > FILE_NAME_MAX_BYTES:
        name = name[: -len(keep) - 1] + keep
    return name


async def _save_file(part: BodyPartReader, name: str, upload: _Upload) -> None:
    """Write a file's part to its own folder under the upload's (two files may share a
    name), by the person's name for it: the session keeps that name, and its extension tells
    the format as on the command line. A file field left empty is no file."""
    folder = upload.folder / name
    path = folder / _file_name(part.filename)
    await asyncio.to_thread(folder.mkdir, 0o700)
    handle = await asyncio.to_thread(path.open, "wb")
    try:
        while chunk := await part.read_chunk(CHUNK_BYTES):
            upload.count(len(chunk))
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    if part.filename or path.stat().st_size:
        upload.files[name] = path
        upload.shown[path] = _file_name(part.filename)


@dataclass(frozen=True)
class _Asked:
    """The form's choices, read."""

    choices: Choices
    names: list[str] | None
    again: bool


def _asked(upload: _Upload, say: Catalogue) -> _Asked:
    """The choices of the form; ImportRefused for one that cannot be used, as the command
    says it; a value the page never sends is a bad request."""
    fields = upload.fields
    mode = fields.get("mode", "")
    format_name = fields.get("format", "")
    participant = fields.get("participant", "")
    if mode not in ("", *(m.value for m in Mode)) or format_name not in ("", *formats()):
        raise web.HTTPBadRequest(text=say("web.form.unreadable") + "\n")
    if participant and not (participant.isascii() and participant.isdigit()):  # not ²
        raise ImportRefused("web.import.participant", participant=repr(participant))
    start = fields.get("start", "")
    choices = Choices(
        format=format_name or None,
        participant=int(participant) if participant else None,
        mode=Mode(mode) if mode else None,
        start_s=start_time(start) if start else None,
    )
    typed = [fields.get("name_a", ""), fields.get("name_b", "")]
    return _Asked(choices, typed if all(typed) else None, fields.get("again") == "yes")


@dataclass(frozen=True)
class _Done:
    """The session stored; for a couple's, how the two recordings were lined up."""

    session_id: int
    lined_up: Phrase | None = None


@dataclass(frozen=True)
class _Before:
    """The file(s) were imported before, as this session: nothing stored."""

    session_id: int


def _run(
    folder: Path, paths: list[Path], asked: _Asked, settings: Settings, progress: _Told
) -> _Done | _Before:
    """The import itself, as `flooding import` does it (in a worker thread, with a store of
    its own: its one transaction must not be the live session's), telling `progress`."""
    choices = asked.choices
    if len(paths) == 2:
        names = couple_names(asked.names, settings)
        recordings = couple_recordings(paths, names, choices)
    else:
        recordings = recordings_of(paths, choices)
    store = Store.open(folder)
    try:
        sha256, earlier = imported_before(store, paths)
        if earlier is not None and not asked.again:
            return _Before(earlier)
        result = store_recordings(store, recordings, settings, choices, sha256, progress)
    finally:
        store.close()
    if isinstance(result, CoupleImportResult):
        how = lined_up(result, recordings, choices, one_file=len(paths) == 1)
        return _Done(result.session_id, phrase("web.import.lined_up", how=how))
    return _Done(result.session_id)


async def _import(request: web.Request, server: AppServer, upload: _Upload) -> web.Response:
    say = page_words(server.say)
    form = {key: value for key, value in upload.fields.items() if key in TEXT_FIELDS}
    paths = [upload.files[name] for name in FILE_FIELDS if name in upload.files]
    if "file" not in upload.files:
        error = say("web.import.no_file")
        return _page(server, status=400, error=error, field_id="file", form=form)
    for name, path in upload.files.items():  # when the person's file was last changed
        _keep_modified(path, upload.fields.get(MODIFIED_FIELD + name, ""))
    token = upload.fields.get("progress", "")
    running = request.app[RUNNING_KEY]
    told = _Told()
    if PROGRESS_TOKEN.fullmatch(token):
        running[token] = told
    try:
        asked = _asked(upload, say)
        async with request.app[LOCK_KEY]:  # one at a time: the second sees the first's
            outcome = await asyncio.to_thread(
                _run, server.folder, paths, asked, settings_now(server), told
            )
    except ImportRefused as exc:
        error = _refusal(say, exc, upload.shown)
        field_id = REFUSED_FIELDS.get(exc.key or "", "")
        return _page(server, status=400, error=error, field_id=field_id, form=form)
    except StoreError as exc:
        error = say("import.not_imported", problem=exc.said(say))
        return _page(server, status=503, error=error, form=form)
    finally:
        if running.get(token) is told:
            del running[token]
    if isinstance(outcome, _Before):
        return _page(server, status=409, error=_already(say, upload, paths, outcome), form=form)
    if outcome.lined_up is not None:  # said on the session's page, as the command says it
        request.app[AFTER_IMPORT][outcome.session_id] = say(
            outcome.lined_up.key, **outcome.lined_up.values
        )
    server.store.flush()
    log.info("imported %s as session %d", ", ".join(upload.shown.values()), outcome.session_id)
    return web.Response(
        status=303, headers={"Location": f"/sessions/{outcome.session_id}?said=imported"}
    )


def _keep_modified(path: Path, modified_ms: str) -> None:
    """Give the written file the time the person's file was last changed (the browser says
    it): a recording without times is placed so that it ends then, as on the command line."""
    if not modified_ms.isdigit():
        return
    time_s = int(modified_ms) / 1000
    try:
        os.utime(path, (time_s, time_s))
    except (OSError, OverflowError, ValueError):
        log.info("the recording's own time could not be kept; it ends at the upload")


def _refusal(say: Catalogue, refused: ImportRefused, shown: Mapping[Path, str]) -> str:
    """Why the file(s) cannot be imported, each named as the person named it."""
    if refused.key is None:
        return str(refused)
    return say(refused.key, **_named(refused.values, shown))


def _named(values: Mapping[str, object], shown: Mapping[Path, str]) -> dict[str, object]:
    """A text's values with each file written here named as the person named it."""

    def one(value: object) -> object:
        if isinstance(value, Path):
            return shown.get(value, value.name)
        if isinstance(value, Phrase):
            return Phrase(value.key, _named(value.values, shown))
        return value

    return {key: one(value) for key, value in values.items()}


def _already(say: Catalogue, upload: _Upload, paths: list[Path], before: _Before) -> Markup:
    """The file(s) were imported before: which session, with a link to it."""
    link = page_link(f"/sessions/{before.session_id}", say("web.import.see", id=before.session_id))
    names = [upload.shown[path] for path in paths]
    if len(names) == 1:
        return say_html(say, "web.import.already.one", file=names[0], link=link)
    return say_html(say, "web.import.already.two", first=names[0], second=names[1], link=link)
