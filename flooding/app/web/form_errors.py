"""A refused form's summary, one way for every page: each problem of a field is a link to
that field (its label, then the problem), the summary gets the focus (`form_errors.js`), and
the field says it is invalid and is described by its problem (`form_errors.html`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One line of a summary: a field's problem, linked to the field (`field_id`, named by
    its `label`), or, without a field, one of the form as a whole."""

    text: str
    field_id: str = ""
    label: str = ""


def field_problems(
    errors: Mapping[str, str], fields: Iterable[tuple[str, str, str]]
) -> list[Problem]:
    """The problems in `errors` (beside their field's name) in the form's order; `fields`:
    each field's name, element id and label, as the page shows them."""
    return [
        Problem(errors[name], field_id, label) for name, field_id, label in fields if name in errors
    ]
