"""Settings that load but do not do what they seem to: a fixed heart-rate limit at or above
the highest reading believed, so the rule can never fire. Said as a note (`config check`, the
Settings page), never refused: the settings still work."""

from __future__ import annotations

from flooding.core.catalogue import Catalogue
from flooding.core.models import Mode
from flooding.core.settings import Settings, detection_for


def unreachable_limits(settings: Settings, say: Catalogue) -> list[str]:
    """Each `absolute_bpm` (in [detection], and in [workout.detection] when it differs) at or
    above its `max_plausible_bpm`: higher readings are set aside as sensor errors, so that
    limit is never reached; in the language of `say`."""
    notes = []
    talk = settings.detection
    workout = detection_for(settings, Mode.WORKOUT)
    sections = [("detection", talk)]
    if (workout.absolute_bpm, workout.max_plausible_bpm) != (
        talk.absolute_bpm,
        talk.max_plausible_bpm,
    ):
        sections.append(("workout.detection", workout))
    for section, detection in sections:
        used = detection.rules != "relative"  # only the personal limit: the fixed one unused
        if used and detection.absolute_bpm >= detection.max_plausible_bpm:
            notes.append(
                say(
                    "problem.absolute_unreachable",
                    section=section,
                    absolute=f"{detection.absolute_bpm:g}",
                    most=f"{detection.max_plausible_bpm:g}",
                )
            )
    return notes
