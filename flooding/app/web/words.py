"""The app's words: the screen-text catalogue in the person's language, as the page templates
and the pages' scripts use it (texts with a link or code in them, counted texts, the texts a
script puts on screen, sent inside the page as JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flooding.core.catalogue import Catalogue

if TYPE_CHECKING:
    from markupsafe import Markup

REFUSALS = "control.refused."  # the monitor's refusals, by their code
# the words a time left is said in (static/time_words.js): "23 hours and 55 minutes"
TIME_WORDS = ("count.minutes.", "count.hours.", "when.hours_and_minutes")
SCRIPT_TEXTS = {  # a page (its template) -> the catalogue prefixes its script puts on screen
    "now": ("web.live.", "web.chart.", "state.", REFUSALS, *TIME_WORDS),
    "session": ("web.chart.",),
    "import": ("web.import.script.", "import.progress"),
}


def say_html(say: Catalogue, key: str, **values: object) -> Markup:
    """The text `key` as HTML: the text itself escaped, values that are markup (a link, a
    command in code type) kept."""
    from markupsafe import Markup, escape

    return Markup(escape(say.texts[key])).format(**values)


def code(text: str) -> Markup:
    """A command, set in code type."""
    from markupsafe import Markup

    return Markup("<code>{}</code>").format(text)


def strong(text: str) -> Markup:
    """A word set in bold."""
    from markupsafe import Markup

    return Markup("<strong>{}</strong>").format(text)


def page_link(href: str, text: str) -> Markup:
    """A link to one of the app's pages."""
    from markupsafe import Markup

    return Markup('<a href="{}">{}</a>').format(href, text)


def script_texts(say: Catalogue, page: str) -> dict[str, str]:
    """The texts a page's script shows, by key (none for a page without a script). A
    refusal of the monitor is shown in its own words in English (they name the session), as
    the commands show it, and from the catalogue in another language."""
    prefixes = SCRIPT_TEXTS.get(page, ())
    if say.language == "en":
        prefixes = tuple(p for p in prefixes if p != REFUSALS)
    return {key: text for key, text in say.texts.items() if key.startswith(prefixes)}


def template_helpers(say: Catalogue) -> dict[str, Any]:
    """The words the templates use: `say`, `say_html`, `counted`, `code`, `strong`, `page_link`,
    and the page's language (`lang`)."""
    return {
        "say": say,
        "say_html": lambda key, **values: say_html(say, key, **values),
        "counted": say.count,
        "code": code,
        "strong": strong,
        "page_link": page_link,
        "lang": say.language,
    }
