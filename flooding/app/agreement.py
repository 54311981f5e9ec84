"""The agreement a couple makes before hard talks (Gottman's time-out plan): a signal word, the
break length, where each goes, when they come back (a named time, within 24 hours) and the
first question on return. Kept owner-only in the data folder as JSON.

The break length is not kept here: it is the setting `pause.minutes`, the one the alerts, the
count-down and the words for the partner use (`BREAK_KEY`; the web page reads and writes it in
the person's settings file, as the Settings page does). An agreement saved by an earlier
version kept its own `break_minutes`; it is read only to say so (`earlier_break_minutes`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from flooding.core.catalogue import Catalogue
from flooding.core.settings_keys import number_bounds
from flooding.io.files import make_private_dir, write_private
from flooding.io.locale_files import load_catalogue

log = logging.getLogger(__name__)

FILE_NAME = "agreement.json"
TEXT_MAX_CHARS = 300  # a sentence or two: it is read aloud before a talk
WORD_MAX_CHARS = 40  # a signal word or short phrase
BREAK_KEY = "pause.minutes"  # the agreement's break length is this setting
BREAK_FIELD = "break_minutes"  # its form field; also where an earlier version kept a copy


@dataclass(frozen=True)
class Agreement:
    """What the two of you agreed."""

    signal: str = ""
    where_first: str = ""
    where_second: str = ""
    return_rule: str = "We come back at the time we name when we stop, always within 24 hours."
    first_question: str = "What do you need from me to feel safe going on?"

    @property
    def filled(self) -> bool:
        """Whether the two of you have written it yet."""
        return bool(self.signal)


def _stored(folder: Path) -> dict[str, Any] | None:
    """The file's fields as kept (None before the first save; an empty table when
    unreadable, said in the log)."""
    path = folder / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("the agreement in %s could not be read (%s): showing a blank one", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("the agreement in %s is not a table of fields: showing a blank one", path)
        return {}
    return data


def load(folder: Path) -> Agreement:
    """The stored agreement (an empty one before the first save, or when unreadable)."""
    data = _stored(folder) or {}
    try:
        return Agreement(**{k: v for k, v in data.items() if k in Agreement.__dataclass_fields__})
    except TypeError as exc:
        path = folder / FILE_NAME
        log.warning("the agreement in %s could not be read (%s): showing a blank one", path, exc)
        return Agreement()


def earlier_break_minutes(folder: Path) -> float | None:
    """The break length an agreement saved by an earlier version kept of its own (None: the
    file keeps none, as every agreement saved since does)."""
    value = (_stored(folder) or {}).get(BREAK_FIELD)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def in_language(agreement: Agreement, say: Catalogue) -> Agreement:
    """An agreement not yet made, its suggested return rule and first question in the
    language of `say` (one already made is kept as the two of you wrote it)."""
    if agreement.filled:
        return agreement
    blank = Agreement()
    return replace(
        agreement,
        return_rule=(
            say("web.agreement.default_return")
            if agreement.return_rule == blank.return_rule
            else agreement.return_rule
        ),
        first_question=(
            say("web.agreement.default_question")
            if agreement.first_question == blank.first_question
            else agreement.first_question
        ),
    )


def break_range() -> tuple[float, float]:
    """The break lengths allowed, in minutes: the setting's own bounds."""
    return number_bounds(BREAK_KEY)


@dataclass(frozen=True)
class Sent:
    """An agreement as sent, and the break length it names (minutes)."""

    agreement: Agreement
    break_minutes: float


def sent_break_minutes(form: dict[str, str], in_effect: float | None = None) -> float | None:
    """The break length a form names, in minutes (None: not a length allowed); a form
    without the field names the one `in_effect`."""
    sent = form.get(BREAK_FIELD)
    if sent is None and in_effect is not None:
        return in_effect
    low, high = break_range()
    try:
        minutes = float(sent or "")
    except ValueError:
        return None
    return minutes if low <= minutes <= high else None


def problems(
    form: dict[str, str],
    say: Catalogue | None = None,
    *,
    kept: Agreement | None = None,
    break_minutes: float | None = None,
) -> tuple[Sent | None, dict[str, str]]:
    """The agreement from a form, or what is wrong with each field (in the language of
    `say`, English without). A field the form does not hold keeps its value in `kept` and
    the break length `break_minutes` (those in effect); one sent empty is empty."""
    say = say or load_catalogue()
    kept = kept or Agreement()
    errors: dict[str, str] = {}
    texts = {}
    for key in ("signal", "where_first", "where_second", "return_rule", "first_question"):
        value = form.get(key, getattr(kept, key)).strip()
        limit = WORD_MAX_CHARS if key == "signal" else TEXT_MAX_CHARS
        if len(value) > limit:
            errors[key] = say("web.agreement.too_long", n=len(value), most=limit)
        texts[key] = value
    if not texts["signal"]:
        errors["signal"] = say("web.agreement.no_signal")
    minutes = sent_break_minutes(form, break_minutes)
    if minutes is None:
        low, high = break_range()
        errors[BREAK_FIELD] = say("web.agreement.bad_minutes", low=f"{low:g}", high=f"{high:g}")
    if errors or minutes is None:
        return None, errors
    return Sent(Agreement(**texts), minutes), {}


def save(folder: Path, agreement: Agreement) -> None:
    """Keep it (owner-only, replaced whole)."""
    make_private_dir(folder)  # a missing folder (and parents) is made owner-only too
    write_private(folder / FILE_NAME, json.dumps(asdict(agreement), indent=1).encode("utf-8"))
