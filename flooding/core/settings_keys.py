"""The settings keys, described from the schema: which field a dotted key names, which keys a
table holds, and what a key accepts in words. Pure; the config checks and texts build on it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from flooding.core.catalogue import Catalogue, Figure
from flooding.core.settings import Settings


def _unit(name: str, say: Catalogue) -> str:
    """` (bpm)`, ` (%)`, ` (seconds)`, ` (min)`: the unit a key's name ends in, in words."""
    for suffix, unit in (("_bpm", "bpm"), ("_pct", "pct"), ("_s", "s"), ("minutes", "minutes")):
        if name.endswith(suffix):
            return say("allowed.unit", unit=say(f"allowed.unit.{unit}"))
    return ""


def _constraints(annotation: Any, metadata: list[Any]) -> tuple[list[Any], list[Any]]:
    """The base types and the constraint objects (Ge, Le, MinLen, ...) of an annotation."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        more = [m for item in extra for m in getattr(item, "metadata", [item])]
        return _constraints(base, metadata + more)
    if origin in (Union, UnionType):
        bases: list[Any] = []
        for arg in get_args(annotation):
            if arg is not type(None):
                sub_bases, metadata = _constraints(arg, metadata)
                bases += sub_bases
        return bases, metadata
    return [annotation], metadata


def field_for(path: str) -> tuple[str, Any] | None:
    """The settings field a dotted key path names (list items name their list), or None."""
    model: type[BaseModel] | None = Settings
    found: tuple[str, Any] | None = None
    keyed: type[BaseModel] | None = None  # a table of named tables ([profiles.NAME]) is next
    for part in path.split("."):
        if keyed is not None:
            model, keyed = keyed, None
            continue
        if model is None:
            return found if part.isdigit() else None
        info = model.model_fields.get(part)
        if info is None:
            return None
        found = (part, info)
        annotation = info.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if get_origin(annotation) is dict:
            value_type = get_args(annotation)[1]
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                keyed = value_type
    return found


def keys_under(parent: str) -> Iterable[str]:
    """The keys the table at dotted path `parent` holds ('' is the top level)."""
    if not parent:
        return Settings.model_fields
    found = field_for(parent)
    annotation = found[1].annotation if found else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    return ()


def _bounds(metadata: list[Any]) -> tuple[Any, Any]:
    """The lowest and highest value constraint objects allow (None: no bound)."""
    low = next((getattr(m, "ge", None) for m in metadata if hasattr(m, "ge")), None)
    high = next((getattr(m, "le", None) for m in metadata if hasattr(m, "le")), None)
    return low, high


def _most(metadata: list[Any]) -> Any:
    """The most characters (a text) or items (a list) constraint objects allow (None: any)."""
    return next((m.max_length for m in metadata if getattr(m, "max_length", None)), None)


def number_bounds(path: str) -> tuple[float, float]:
    """The lowest and highest value a number key allows, as the schema says (the one place
    of a bound: other places that check the same value ask here)."""
    found = field_for(path)
    if found is None:
        raise KeyError(path)
    _name, info = found
    low, high = _bounds(_constraints(info.annotation, list(info.metadata))[1])
    if low is None or high is None:
        raise ValueError(f"{path} has no lower and upper bound")
    return float(low), float(high)


def allowed_values(path: str, say: Catalogue, *, decimal_mark: str = ".") -> str | None:
    """What a key accepts, in the words of `say`: 'a number from 60 to 220 (bpm)',
    'one of: ...'; the numbers written with `decimal_mark` (a settings file's point, else a
    page's: "," in German)."""
    found = field_for(path)
    if found is None:
        return None
    name, info = found
    bases, metadata = _constraints(info.annotation, list(info.metadata))
    low, high = _bounds(metadata)
    not_empty = any(getattr(m, "min_length", 0) for m in metadata)
    base = bases[0] if bases else None
    if get_origin(base) is Literal:
        return say("allowed.one_of", choices=", ".join(f'"{c}"' for c in get_args(base)))
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return say("allowed.one_of", choices=", ".join(f'"{m.value}"' for m in base))
    if base is bool:
        return say("allowed.bool")
    if base in (int, float):
        whole = "whole_" if base is int else ""  # 50.5 % is refused where a whole one is asked
        if low is not None and high is not None:
            return say(
                f"allowed.{whole}number_within",
                low=Figure(low).written(decimal_mark),
                high=Figure(high).written(decimal_mark),
                unit=_unit(name, say),
            )
        return say(f"allowed.{whole}number", unit=_unit(name, say))
    most = _most(metadata)
    if base is str:
        if most is not None:
            return say("allowed.text_at_most", max=most)
        return say("allowed.text_not_empty" if not_empty else "allowed.text")
    if get_origin(base) is list:
        if most is not None:
            (item,) = get_args(base)
            return say("allowed.texts_at_most", count=most, max=_most(_constraints(item, [])[1]))
        return say("allowed.texts_not_empty" if not_empty else "allowed.texts")
    if isinstance(base, type) and issubclass(base, BaseModel):
        return say("allowed.table", keys=", ".join(base.model_fields))
    return None
