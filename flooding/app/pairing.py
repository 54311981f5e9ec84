"""Remember (or forget) a person's strap in their config file: the one strap, or a named
profile's (`[profiles.NAME]`, one per partner for couple mode). `flooding pair` and the app's
Strap page both save through here, so they write the same keys with the same refusals."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from flooding.core.catalogue import Catalogue, SaidError
from flooding.core.os_errors import os_problem
from flooding.core.settings import profile_name_problem
from flooding.io.config_files.place import read_settings_text
from flooding.io.locale_files import load_catalogue


class PairingRefused(SaidError, ValueError):
    """The strap cannot be paired as asked; the message says why and what to do (in English
    as str(); `said` gives it in any language when it is a text of the message catalogue)."""

    @classmethod
    def of(cls, key: str, **values: object) -> PairingRefused:
        """The refusal with the catalogue's text `key` (English as str())."""
        return cls(load_catalogue()(key, **values), key, **values)


# a Bluetooth address as Linux and Windows give it (six hex pairs), or as macOS does (a UUID)
_MAC_ADDRESS = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
_MACOS_ADDRESS = re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def address_problem(address: str, say: Catalogue | None = None) -> str | None:
    """Why `address` is not a strap address that can be saved (None: it is one), in the
    language of `say` (English without)."""
    text = address.strip()
    if _MAC_ADDRESS.fullmatch(text) or _MACOS_ADDRESS.fullmatch(text):
        return None
    shown = text if len(text) <= 40 else text[:40] + "..."
    return (say or load_catalogue())("pair.not_an_address", address=repr(shown))


def profiles_in(path: Path) -> dict[str, Any]:
    """The [profiles] table of the person's file as written (empty when there is none)."""
    if not path.is_file():
        return {}
    try:
        profiles = tomllib.loads(read_settings_text(path)).get("profiles", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return profiles if isinstance(profiles, dict) else {}


def profile_refusal(path: Path, name: str, address: str) -> PairingRefused | None:
    """Why the strap cannot be paired to profile `name` (None: it can)."""
    problem = profile_name_problem(name)
    if problem is not None:
        return PairingRefused.of(problem.key, **problem.values)
    for other, table in profiles_in(path).items():
        strap = table.get("strap", {}) if isinstance(table, dict) else {}
        if other != name and str(strap.get("address", "")).lower() == address.lower():
            return PairingRefused.of("pair.taken", name=repr(other))
    return None


def pair_strap(path: Path, address: str, strap_name: str, profile: str | None = None) -> None:
    """Save the strap as the person's (or as profile `profile`'s); PairingRefused if it cannot
    (a profile's strap taken by the other, a file that cannot be written)."""
    if profile is None:
        _save(path, {"strap.address": address, "strap.name": strap_name})
        return
    refusal = profile_refusal(path, profile, address)
    if refusal is not None:
        raise refusal
    _save(
        path,
        {
            f"profiles.{profile}.strap.address": address,
            f"profiles.{profile}.strap.name": strap_name,
        },
    )


def unpair_strap(path: Path, profile: str | None = None) -> None:
    """Forget the person's strap (or profile `profile`'s); the profile's own settings stay.
    PairingRefused when the file cannot be written."""
    prefix = "" if profile is None else f"profiles.{profile}."
    _save(path, {f"{prefix}strap.address": "", f"{prefix}strap.name": ""})


def _save(path: Path, values: dict[str, object]) -> None:
    """Set the keys in the person's file; PairingRefused saying why when it cannot be."""
    # imported here: tomlkit is for writing the file, not for the service that serves the app
    from flooding.io.config_files.user_file import set_user_values

    try:
        set_user_values(path, values)
    except OSError as exc:
        raise PairingRefused.of("pair.cannot_write", path=path, error=os_problem(exc)) from None
    except ValueError as exc:  # the file is not TOML, or holds a value where a section goes
        raise PairingRefused.of("pair.cannot_set", path=path, error=exc) from None
