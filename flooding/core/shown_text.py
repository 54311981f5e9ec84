"""Text a person typed (a note), made safe and tidy to show in a terminal or a table.

What is stored stays as typed; only what is shown changes: control characters (escape codes
included) never reach the terminal, and a table cell is one line of bounded length.
"""

from __future__ import annotations

import re
import unicodedata

# an escape sequence (CSI/OSC and the rest) as a whole, so no half of it is left to be shown
_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])?")
ELLIPSIS = "…"


def _visible(ch: str) -> str:
    """A character as shown: line breaks and tabs become spaces, other controls vanish."""
    if ch in "\t\n\r\v\f\x85\u2028\u2029":
        return " "
    return "" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch


def shown_lines(text: str) -> list[str]:
    """The text's lines with every control character and escape code taken out."""
    lines = []
    for line in _ESCAPE.sub("", text).splitlines():
        lines.append("".join(_visible(ch) for ch in line).rstrip())
    return [line for line in lines if line.strip()]


def shown_cell(text: str, limit: int) -> str:
    """The text on one line of at most `limit` characters (… where it was cut)."""
    flat = " ".join(" ".join(shown_lines(text)).split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + ELLIPSIS
