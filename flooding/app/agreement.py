"""The agreement a couple makes before hard talks (Gottman's time-out plan): a signal word, the
break length, where each goes, when they come back (a named time, within 24 hours) and the
first question on return. Kept owner-only in the data folder as JSON.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from flooding.core.catalogue import Catalogue
from flooding.io.files import write_private
from flooding.io.locale_files import load_catalogue

log = logging.getLogger(__name__)

FILE_NAME = "agreement.json"
TEXT_MAX_CHARS = 300  # a sentence or two: it is read aloud before a talk
WORD_MAX_CHARS = 40  # a signal word or short phrase
BREAK_MINUTES_RANGE = (20.0, 1440.0)  # the body needs at least 20 minutes; back within 24 h


@dataclass(frozen=True)
class Agreement:
    """What the two of you agreed."""

    signal: str = ""
    break_minutes: float = 20.0
    where_first: str = ""
    where_second: str = ""
    return_rule: str = "We come back at the time we name when we stop, always within 24 hours."
    first_question: str = "What do you need from me to feel safe going on?"

    @property
    def filled(self) -> bool:
        """Whether the two of you have written it yet."""
        return bool(self.signal)


def load(folder: Path) -> Agreement:
    """The stored agreement (an empty one before the first save, or when unreadable)."""
    path = folder / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Agreement(**{k: v for k, v in data.items() if k in Agreement.__dataclass_fields__})
    except FileNotFoundError:
        return Agreement()
    except (OSError, ValueError, TypeError) as exc:
        log.warning("the agreement in %s could not be read (%s): showing a blank one", path, exc)
        return Agreement()


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


def problems(
    form: dict[str, str], say: Catalogue | None = None
) -> tuple[Agreement | None, dict[str, str]]:
    """The agreement from a form, or what is wrong with each field (in the language of
    `say`, English without)."""
    say = say or load_catalogue()
    errors: dict[str, str] = {}
    texts = {}
    for key in ("signal", "where_first", "where_second", "return_rule", "first_question"):
        value = form.get(key, "").strip()
        limit = WORD_MAX_CHARS if key == "signal" else TEXT_MAX_CHARS
        if len(value) > limit:
            errors[key] = say("web.agreement.too_long", n=len(value), most=limit)
        texts[key] = value
    if not texts["signal"]:
        errors["signal"] = say("web.agreement.no_signal")
    low, high = BREAK_MINUTES_RANGE
    minutes = 0.0
    try:
        minutes = float(form.get("break_minutes", ""))
        if not low <= minutes <= high:
            raise ValueError
    except ValueError:
        errors["break_minutes"] = say("web.agreement.bad_minutes", low=f"{low:g}", high=f"{high:g}")
    if errors:
        return None, errors
    return Agreement(break_minutes=minutes, **texts), {}


def save(folder: Path, agreement: Agreement) -> None:
    """Keep it (owner-only, replaced whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_private(folder / FILE_NAME, json.dumps(asdict(agreement), indent=1).encode("utf-8"))
