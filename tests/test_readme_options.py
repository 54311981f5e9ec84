"""The README's table of shared options says exactly which commands take each one."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from flooding.cli.main import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
HEADER = "| option | what it does | taken by |"


def leaf_commands(parser: argparse.ArgumentParser, name: str = "") -> dict[str, set[str]]:
    """Every command (`service install` for one with actions) and the options it takes."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {name: {o for a in parser._actions for o in a.option_strings}}
    found: dict[str, set[str]] = {}
    for sub_name, sub in subs[0].choices.items():
        found |= leaf_commands(sub, f"{name} {sub_name}".strip())
    return found


def readme_table() -> dict[str, str]:
    """The option (its first word) and the `taken by` cell of each row of the README's table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2
    rows: dict[str, str] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`").split()[0]] = cells[2]
    return rows


def named(cell: str, commands: set[str]) -> set[str]:
    """The commands a `taken by` cell names: `every command`, `every command except ...`, or
    a list, where a command with actions (`notify`) stands for all of them."""
    words = re.findall(r"`([^`]+)`", cell)
    chosen = {c for c in commands if any(c == w or c.startswith(f"{w} ") for w in words)}
    if cell == "every command":
        return commands
    if cell.startswith("every command except"):
        return commands - chosen
    return chosen


def test_the_table_names_the_four_shared_options() -> None:
    """The table has a row for each of --lang, --data-dir, --config and --set."""
    assert set(readme_table()) == {"--lang", "--data-dir", "--config", "--set"}


@pytest.mark.parametrize("option", ["--lang", "--data-dir", "--config", "--set"])
def test_each_option_is_taken_by_exactly_the_commands_the_readme_names(option: str) -> None:
    """The README's `taken by` for an option is the set of commands whose parser has it."""
    commands = leaf_commands(build_parser())
    said = named(readme_table()[option], set(commands))
    taking = {name for name, options in commands.items() if option in options}
    assert said == taking, f"README says {sorted(said ^ taking)} wrongly for {option}"


def test_the_commands_said_to_be_without_config_are_those_without_it() -> None:
    """The sentence after the table names exactly the commands without --config."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    listed = text.split("The commands without `--config` (", 1)[1].split(")", 1)[0]
    words = {w.replace("|", " ") for w in re.findall(r"`([^`]+)`", listed)}
    said = {
        f"service {a}"
        for a in ("uninstall", "status", "logs")
        if "service uninstall status logs" in words
    }
    said |= {w for w in words if not w.startswith("service ")}
    commands = leaf_commands(build_parser())
    assert said == {name for name, options in commands.items() if "--config" not in options}
