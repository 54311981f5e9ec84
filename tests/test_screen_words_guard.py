"""A guard for the message catalogue: no command prints words of its own.

What a command shows the person comes from `flooding/locales/` (`say(key, ...)`), so that
`--lang de` covers it. This reads the source of every `flooding/cli/commands/*.py` and of the
session runner's terminal lines, and names each text with words handed straight to the screen.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "flooding"
COMMANDS = sorted((PACKAGE / "cli" / "commands").glob("*.py"))
RUNNER = PACKAGE / "app" / "session.py"

# what reaches the person as it is: printed, written, refused, asked, or raised to be printed
SINKS = {"print", "write", "error", "SystemExit", "CommandError", "input"}
# words that are not language: the program's name and its own commands, typed as they are
COMMAND_WORDS = {"flooding", "pair", "review", "sessions", "status", "monitor", "ok"}
# the program's name before a message: `flooding import --couple: ...`, `flooding: ...`
PREFIX = re.compile(r"^\s*flooding(?: [a-z]+)*(?: --[a-z-]+)*: ")
# texts kept as they are on purpose, each with its reason
ALLOWED = {
    "App: ",  # the app's link line: tests, scripts and the service's journal look for it
}


def literal_parts(node: ast.expr) -> Iterator[str]:
    """The literal text of an expression handed to the screen: a string, the fixed parts of
    an f-string, and what `+` or `x if c else y` join (not what a call such as `say` gives)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from literal_parts(node.left)
        yield from literal_parts(node.right)
    elif isinstance(node, ast.IfExp):
        yield from literal_parts(node.body)
        yield from literal_parts(node.orelse)


def has_words(text: str) -> bool:
    """Whether `text` holds a word of some language (two letters or more, not a command)."""
    if text in ALLOWED:
        return False
    text = PREFIX.sub("", text)
    words = re.findall(r"(?<![-\w])[A-Za-z]{2,}", text)  # an --option is not a word
    return any(word not in COMMAND_WORDS for word in words)


def is_sink(call: ast.Call, sinks: set[str]) -> bool:
    """Whether a call is made by one of `sinks`, matched on the end of its dotted name
    (`write` matches `sys.stderr.write`, `view.info` matches `self.view.info`)."""
    names: list[str] = []
    func = call.func
    while isinstance(func, ast.Attribute):
        names.insert(0, func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        names.insert(0, func.id)
    dotted = ".".join(names)
    return any(dotted == sink or dotted.endswith(f".{sink}") for sink in sinks)


def own_words(path: Path, sinks: set[str]) -> list[str]:
    """Where `path` hands text with words of its own to one of `sinks` (file:line: text)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not is_sink(node, sinks) or not node.args:
            continue
        parts = [part for part in literal_parts(node.args[0]) if has_words(part)]
        if parts:
            found.append(f"{path.name}:{node.lineno}: {parts}")
    return found


def test_the_guard_sees_words_and_lets_non_words_pass(tmp_path: Path) -> None:
    """The scan names a sentence printed as it is, in an f-string or joined with `+`, and
    passes catalogue texts, separators, the program's prefix and commands."""
    source = tmp_path / "command.py"
    source.write_text(
        "print('Nothing deleted.')\n"
        "print(f'Wrote {path}.')\n"
        "raise CommandError('give ' + say('x'))\n"
        "print(say('delete.nothing'))\n"
        "print(f'flooding import --couple: {said}')\n"
        "print(f'  {program()} pair {address}    # {label}')\n"
        "print('\\n'.join(lines), '-' * 60)\n"
        "print(f'App: {link}')\n",
        encoding="utf-8",
    )
    found = own_words(source, SINKS)
    assert [line.split(":")[1] for line in found] == ["1", "2", "3"]


def test_no_command_prints_words_of_its_own() -> None:
    """Every text a command prints, writes, asks or refuses with comes from the message
    catalogue (so `--lang` covers it); only the program's name, its commands and the
    allowed texts are written in the code."""
    found = [line for path in COMMANDS for line in own_words(path, SINKS)]
    assert found == []


def test_the_session_runner_shows_no_words_of_its_own() -> None:
    """The lines the session runner hands the terminal (`view.info`) come from the message
    catalogue."""
    assert own_words(RUNNER, {"view.info"}) == []
