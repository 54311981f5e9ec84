"""`flooding pair`: choose the person's strap and remember it in their config file.

`--as NAME` pairs the strap to a named profile (`[profiles.NAME]`) instead: one per partner,
and two make a couple (`flooding monitor --couple`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    CommandError,
    add_lang_option,
    config_hint,
    program,
    screen_words,
)
from flooding.cli.commands._strap import add_strap_options, scan_for_straps

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.strap.ble import StrapInfo


def register(subparsers: Any, say: Catalogue) -> None:
    """Add the `pair` command."""
    p = subparsers.add_parser(
        "pair",
        help=say("help.pair"),
        description=say("help.pair.about"),
    )
    p.add_argument("strap", nargs="?", metavar="NAME_OR_ADDRESS", help=say("help.pair.strap"))
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=say("help.pair.config"),
    )
    p.add_argument("--yes", "-y", action="store_true", help=say("help.pair.yes"))
    p.add_argument(
        "--no-scan",
        action="store_true",
        help=say("help.pair.no-scan"),
    )
    p.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help=say("help.pair.as"),
    )
    add_strap_options(p, say)
    add_lang_option(p, say)
    p.set_defaults(run=run)


def _pair_command(args: argparse.Namespace, strap: str) -> str:
    """`pair STRAP` with the options that matter (--as, --config) kept."""
    import shlex

    who = "" if args.as_name is None else f" --as {shlex.quote(args.as_name)}"
    return f"pair {strap}{who}{config_hint(args)}".replace("pair  ", "pair ")


def _again(args: argparse.Namespace, strap: str) -> str:
    """The whole command line of `_pair_command`."""
    return f"{program()} {_pair_command(args, strap)}"


def _by_address(
    args: argparse.Namespace, heading: str, straps: list[StrapInfo], say: Catalogue
) -> str:
    """`heading`, then the `pair ADDRESS` command to run for each of `straps`."""
    lines = [heading]
    for s in straps:
        lines.append(f"  {_again(args, s.address)}   # {s.name or say('pair.unnamed')}")
    return "\n".join(lines)


def _choose(args: argparse.Namespace, found: list[StrapInfo], say: Catalogue) -> StrapInfo | None:
    """The strap to pair: the one named (by address, whole name, or the start of one strap's
    name), else the only one in range (asked about on a terminal); None when the person says
    no; a CommandError saying why none can be chosen and what to do."""
    from flooding.io.strap.backoff import Failure, advice

    straps = [s for s in found if s.has_heart_rate_service]
    if args.strap:
        wanted = args.strap.strip()
        by_address = [s for s in found if s.address.lower() == wanted.lower()]
        by_name = [s for s in found if s.name == wanted] or [
            s for s in found if (s.name or "").lower() == wanted.lower()
        ]
        # the start of a name: only heart-rate straps (a watch or phone nearby may share it)
        by_start = [s for s in straps if (s.name or "").lower().startswith(wanted.lower())]
        matches = by_address or by_name or by_start
        if len(matches) == 1:
            if not by_address and not by_name:
                print(say("pair.starts_with_one", name=repr(wanted), strap=matches[0].label))
            return matches[0]
        if len(matches) > 1:
            key = "pair.same_name" if by_name else "pair.starts_with_several"
            heading = say(key, name=repr(wanted))
            raise CommandError(_by_address(args, heading, matches, say), named=False)
        lines = [say("pair.not_in_range", name=repr(wanted))]
        if straps:
            lines += [say("pair.in_range"), *(f"  {s.label}" for s in straps)]
        lines.append(advice(Failure.NOT_FOUND, args.strap, say=say))
        raise CommandError("\n".join(lines), named=False)
    if len(straps) == 1:
        only = straps[0]
        if args.yes:
            return only
        if not sys.stdin.isatty():
            found_one = say("pair.found_one", strap=only.label)
            to_use_it = say("pair.to_use_it", command=_again(args, only.address))
            raise CommandError(f"{found_one}\n{to_use_it}", named=False)
        answer = input(say("pair.use_it", strap=only.label) + " [Y/n] ").strip().lower()
        return only if answer in ("", "y", "yes") else None
    # none in range: `run` has refused before asking (no strap named)
    raise CommandError(_by_address(args, say("pair.several"), straps, say), named=False)


def run(args: argparse.Namespace) -> int:
    """Scan, choose, save; exit 1 when no strap could be chosen (a CommandError saying why,
    unless the person said no)."""
    from flooding.app.pairing import PairingRefused, address_problem, pair_strap, profiles_in
    from flooding.io.strap.backoff import Failure, advice
    from flooding.io.strap.ble import StrapInfo

    say = screen_words(args, tell=False)  # it writes the settings file; a missing one is made
    if args.no_scan:
        if not args.strap:
            example = f"{_again(args, 'C0:FF:EE:00:00:01')} --no-scan"
            raise CommandError(say("pair.no_scan_needs_address", example=example), 2)
        problem = address_problem(args.strap, say)
        if problem is not None:
            raise CommandError(f"{problem}.", 2)
        chosen: StrapInfo | None = StrapInfo(
            name=None, address=args.strap.strip(), rssi=None, has_heart_rate_service=True
        )
    else:
        if args.strap and address_problem(args.strap, say) is not None:  # a name: no way
            # to record it without the radio; its address can be (`scan` lists it)
            without = f"{_again(args, 'ADDRESS')} --no-scan"
            found_by = f"{program()} scan"
            extra = " " + say("pair.or_record_address", command=without, scan=found_by)
        else:
            without = f"{_again(args, args.strap if args.strap else 'ADDRESS')} --no-scan"
            extra = " " + say("pair.or_record_now", command=without)
        found = scan_for_straps(args, _pair_command(args, args.strap or ""), extra, say)
        if not any(s.has_heart_rate_service for s in found) and not args.strap:
            none_found = say("strap.none_found", seconds=f"{args.timeout:g}")
            raise CommandError(f"{none_found}\n{advice(Failure.NOT_FOUND, say=say)}", named=False)
        chosen = _choose(args, found, say)
    if chosen is None:  # the person said no
        return 1
    from flooding.io.config_files.loading import user_config_path

    path = user_config_path(args.config)
    try:
        pair_strap(path, chosen.address, chosen.name or "", profile=args.as_name)
    except PairingRefused as exc:
        raise CommandError(exc.said(say)) from None
    label = say("pair.the_strap_at", address=chosen.address) if args.no_scan else chosen.label
    if args.no_scan:
        print(say("pair.not_looked_for"))
    if args.as_name is not None:
        name = args.as_name
        print(say("pair.paired_person", name=name, strap=label))
        print(say("pair.saved_profile", path=path, name=name))
        profiles = list(profiles_in(path))
        if len(profiles) == 2:
            first, second = profiles
            command = f"{program()} monitor --couple{config_hint(args)}"
            print(say("pair.a_couple", first=first, second=second, command=command))
        elif len(profiles) == 1:
            print(say("pair.other_partner"))
        else:
            print(say("pair.too_many_profiles", count=len(profiles)))
        return 0
    print(say("pair.paired", strap=label))
    print(say("pair.saved", path=path))
    return 0
