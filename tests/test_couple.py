"""Couple mode without Bluetooth: the pure protocol on synthetic traces, profiles, messages,
schema 3, the couple review and linkage, import A B --couple and demo --couple."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from flooding.app.report import render_people_png
from flooding.app.review import people_lines, people_review
from flooding.app.session import SessionRunner
from flooding.app.status import StatusBoard
from flooding.cli.main import main
from flooding.core.engine import run_batch
from flooding.core.linkage import changes, linkage, window_correlations
from flooding.core.models import (
    UNSEEN_S,
    Alert,
    BatteryLevel,
    EpisodeStarted,
    Event,
    GapDetected,
    LinkChanged,
    LinkState,
    Mode,
    PauseExtended,
    PauseStarted,
    PersonItem,
    Reading,
    ReadyToReturn,
    Rule,
    Sample,
    State,
)
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Message
from flooding.core.pause import NO_CONTACT, NO_SIGNAL, WORKOUT, PauseProtocol
from flooding.core.people import run_people_batch
from flooding.core.settings import (
    ConfigError,
    DetectionSettings,
    PauseSettings,
    Settings,
    couple_names,
    profile_settings,
)
from flooding.io.config_files.loading import default_settings, load_config
from flooding.io.control import MonitorStatus, PersonStatus, StrapStatus
from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store, event_data, event_kind
from flooding.lab.simulate import Scenario, Segment, hard_talk, pursue_withdraw, samples
from tests._data import recording, requires_data
from tests.fakes import ListedSource, RecordingNotifier, RecordingView
from tests.schemas import SCHEMA_V2_DDL, old_database, rows_after_a_false_alarm
from tests.session_factory import START_S, calibration_refused, flooding, record
from tests.test_catalogue import no_english
from tests.traces import message_book

E = TypeVar("E")

PEOPLE = ("Anna", "Ben")
TRACK = DetectionSettings(gap_s=5.0, absolute_bpm=100.0, margin_bpm=10.0)


def settings_with(*overrides: str, config: Path | None = None) -> Settings:
    """Settings from the defaults plus overrides, ignoring this machine's files."""
    return load_config(config, env={}, overrides=overrides, use_default_user_file=False).settings


def protocol(pause: PauseSettings | None = None) -> PauseProtocol:
    return PauseProtocol(pause or PauseSettings(), dict.fromkeys(PEOPLE, TRACK))


def episode(t_s: float, bpm: float = 120.0, baseline: float | None = 70.0) -> EpisodeStarted:
    return EpisodeStarted(t_s, t_s - 20, bpm, baseline, 80.0, Rule.RELATIVE)


def play(
    proto: PauseProtocol,
    levels: dict[str, Iterable[float | None]],
    *,
    start_s: float = 0.0,
    baselines: dict[str, float] | None = None,
    alerts: dict[str, bool] | None = None,
    floods: dict[str, float] | None = None,
) -> list[tuple[float, Event]]:
    """Feed both people one reading a second (None: no skin contact); `floods` gives the
    second at which a person's episode is confirmed."""
    baselines = baselines or {"Anna": 70.0, "Ben": 62.0}
    floods = floods or {}
    out: list[tuple[float, Event]] = []
    series = {name: list(values) for name, values in levels.items()}
    for i in range(max(len(v) for v in series.values())):
        t = start_s + i
        for name, values in series.items():
            if i >= len(values):
                continue
            bpm = values[i]
            episodes = [episode(t, bpm or 0.0, baselines[name])] if floods.get(name) == i else []
            for event in proto.observe(
                name,
                t,
                bpm=bpm,
                state=State.NO_CONTACT if bpm is None else State.CALM,
                baseline_bpm=baselines[name],
                alerts=(alerts or {}).get(name, True),
                episodes=episodes,
            ):
                out.append((t, event))
    return out


def of(kind: type[E], events: list[tuple[float, Event]]) -> list[tuple[float, E]]:
    return [(t, e) for t, e in events if isinstance(e, kind)]


class TestCoupleProtocol:
    def test_either_flooding_gives_one_alert_and_one_pause_for_both(self) -> None:
        """Anna floods, then Ben floods during the pause: one alert, one pause, nothing more."""
        proto = protocol()
        events = play(
            proto,
            {"Anna": [120.0] * 200, "Ben": [95.0] * 200},
            floods={"Anna": 30, "Ben": 90},
        )
        alerts = of(Alert, events)
        assert len(alerts) == 1
        assert alerts[0][1].person == "Anna"
        assert len(of(PauseStarted, events)) == 1
        assert proto.pausing

    def test_ready_only_after_both_are_back_and_the_pause_is_over(self) -> None:
        """Anna is calm again after 5 minutes, Ben only after 25: at 20 minutes "not yet"
        naming Ben, and ready once Ben has held his calm for the hold."""
        proto = protocol()
        anna = [120.0] * 60 + [72.0] * 2000
        ben = [64.0] * 60 + [90.0] * 1500 + [63.0] * 500
        events = play(proto, {"Anna": anna, "Ben": ben}, floods={"Anna": 30})
        ((alert_t, _),) = of(Alert, events)
        ((extended_t, extended),) = of(PauseExtended, events)
        ((ready_t, ready),) = of(ReadyToReturn, events)
        assert extended_t == alert_t + 20 * 60
        assert extended.waiting == ("Ben",)
        assert ready_t >= 1560 + 60  # Ben back at 1560 s, held 60 s
        assert ready_t < 1560 + 60 + 30
        assert ready.absent == ()

    def test_ready_waits_for_the_planned_length_even_when_both_are_calm(self) -> None:
        """Both calm within minutes: ready comes at the planned end, not before."""
        proto = protocol()
        events = play(
            proto, {"Anna": [120.0] * 40 + [70.0] * 1400, "Ben": [62.0] * 1440}, floods={"Anna": 30}
        )
        ((ready_t, _),) = of(ReadyToReturn, events)
        assert ready_t == 30 + 20 * 60
        assert of(PauseExtended, events) == []

    def test_a_person_in_workout_mode_neither_alerts_nor_holds_up_the_return(self) -> None:
        """Ben's workout episode gives no alert; in Anna's pause, his high heart does not
        block ready, and every message says he is not counted (workout)."""
        proto = protocol()
        events = play(
            proto,
            {"Anna": [72.0] * 100 + [120.0] * 60 + [70.0] * 1400, "Ben": [150.0] * 1560},
            floods={"Ben": 20, "Anna": 130},
            alerts={"Ben": False},
        )
        ((alert_t, alert),) = of(Alert, events)
        assert alert.person == "Anna"
        assert alert.absent == (("Ben", WORKOUT),)
        ((ready_t, ready),) = of(ReadyToReturn, events)
        assert ready_t == alert_t + 20 * 60
        assert ready.absent == (("Ben", WORKOUT),)

    def test_a_strap_without_skin_contact_is_not_counted(self) -> None:
        """Ben's strap off skin: his heart does not hold up ready, and it is said why."""
        proto = protocol()
        events = play(
            proto,
            {"Anna": [120.0] * 60 + [70.0] * 1400, "Ben": [64.0] * 100 + [None] * 1360},
            floods={"Anna": 30},
        )
        ((_, ready),) = of(ReadyToReturn, events)
        assert ready.absent == (("Ben", NO_CONTACT),)
        assert [name for name, _ in ready.levels] == ["Anna"]

    def test_a_silent_strap_is_not_counted_and_nobody_measured_is_never_ready(self) -> None:
        """Ben never sends; when Anna's strap is off too, the planned end gives "not yet"."""
        proto = protocol()
        events = play(proto, {"Anna": [120.0] * 60 + [None] * 1400, "Ben": []}, floods={"Anna": 30})
        ((_, alert),) = of(Alert, events)
        assert alert.absent == (("Ben", NO_SIGNAL),)
        assert of(ReadyToReturn, events) == []
        ((_, extended),) = of(PauseExtended, events)
        assert extended.waiting == ()
        assert set(extended.absent) == {("Anna", NO_CONTACT), ("Ben", NO_SIGNAL)}

    def test_a_pause_by_hand_is_for_both_and_ends_by_hand(self) -> None:
        """A manual pause starts once and ends once, for both."""
        proto = protocol()
        assert len(proto.start_manual(10.0)) == 1
        assert proto.start_manual(20.0) == []
        assert len(proto.end_manual(30.0)) == 1
        assert not proto.pausing


class TestCoupleMessages:
    def test_the_alert_names_nobody_by_default(self) -> None:
        """By default the alert says "One of you", with a shared script and the return time."""
        settings = settings_with()
        alert = Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE, person="Anna")
        rendered = message_book(settings, people=2).render(alert, None, 0)
        assert rendered is not None
        text = rendered.full.title + rendered.full.body
        assert rendered.full.title == "Time for a break of 20 minutes — for both of you"
        assert rendered.full.body.startswith("One of you is flooded: a break for both of you")
        assert "Anna" not in text
        assert "It's getting too much for one of us right now." in text

    def test_name_who_names_the_flooded_person(self) -> None:
        """couple.name_who = true puts the person's name in the alert's body."""
        settings = settings_with("couple.name_who=true")
        alert = Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE, person="Anna")
        rendered = message_book(settings, people=2).render(alert, None, 0)
        assert rendered is not None
        assert rendered.full.body.startswith("Anna is flooded")
        assert "Anna" not in rendered.full.title

    @pytest.mark.parametrize(
        ("language", "partly", "both"),
        [
            ("en", "the counted heart is back near its calm", "you're both back near your calm"),
            (
                "de",
                "das mitgezählte Herz ist wieder nah an seinem Ruhepuls",
                "ihr seid beide nah an eurem Ruhepuls",
            ),
        ],
    )
    def test_messages_say_who_is_not_counted_and_why(
        self, language: str, partly: str, both: str
    ) -> None:
        """The ready message lists a partner in workout mode as not counted, and its title
        then speaks only of the heart that was checked, never of both; with both hearts
        counted it says both are back near their calm."""
        settings = settings_with(f'language="{language}"')
        ready = ReadyToReturn(
            START_S + 1300,
            71.0,
            70.0,
            START_S,
            levels=(("Anna", 71.0),),
            absent=(("Ben", WORKOUT),),
        )
        rendered = message_book(settings, people=2).render(ready, None, 0)
        assert rendered is not None
        assert rendered.full.body.endswith(
            "Ben: not counted (workout mode)."
            if language == "en"
            else "Ben: nicht mitgezählt (Trainingsmodus)."
        )
        assert rendered.full.title.endswith(partly)
        assert both not in rendered.full.title
        everyone = ReadyToReturn(START_S + 1300, 71.0, 70.0, START_S, (("Anna", 71.0),))
        rendered = message_book(settings, people=2).render(everyone, None, 0)
        assert rendered is not None
        assert rendered.full.title.endswith(both)

    def test_german_couple_texts(self) -> None:
        """language = "de" gives the German couple alert."""
        settings = settings_with('language="de"')
        alert = Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE, person="Anna")
        rendered = message_book(settings, people=2).render(alert, None, 0)
        assert rendered is not None
        assert rendered.full.title == "Zeit für eine Pause von 20 Minuten — für euch beide"
        assert rendered.full.body.startswith("Eine*r von euch ist überflutet")

    @pytest.mark.parametrize(
        ("language", "said"),
        [
            (
                "en",
                {
                    "buttons": ("Start our break", "We're OK — not flooded"),
                    "suggestion": (
                        "Breathe slowly, both of you, and let each breath out take its time."
                    ),
                    "private alert": "Take 20 minutes, each for yourselves. Back together at ",
                    "private not yet": "Take 10 minutes more, both of you. Back together at ",
                    "private ready": "You can go back together when you are both ready.",
                    "remote alert": "Time for a break of 20 minutes",
                    "remote not yet": "Take 10 minutes more, both of you",
                    "remote ready": "Ready when you both are",
                },
            ),
            (
                "de",
                {
                    "buttons": (
                        "Unsere Pause starten",
                        "Uns geht es gut — nicht überflutet",
                    ),
                    "suggestion": "Atmet langsam, und lasst euch beim Ausatmen Zeit.",
                    "private alert": "Nehmt euch 20 Minuten, jede*r für sich. Wieder zusammen um ",
                    "private not yet": "Nehmt euch noch 10 Minuten. Wieder zusammen um ",
                    "private ready": "Ihr könnt gemeinsam zurückgehen, wenn ihr beide bereit seid.",
                    "remote alert": "Zeit für eine Pause von 20 Minuten",
                    "remote not yet": "Nehmt euch noch 10 Minuten",
                    "remote ready": "Ihr könnt zurück, wenn ihr beide so weit seid",
                },
            ),
        ],
    )
    def test_the_couples_notifications_speak_to_both(
        self, language: str, said: dict[str, Any]
    ) -> None:
        """A couple's alert buttons, the break's suggestions, the private desktop texts and
        the lines for remote targets speak to both ("our pause", "we're OK", "ihr", "euch"),
        in English and German; in German none says "du" or "dein" outside the words
        quoted for the partner."""
        settings = settings_with(f'language="{language}"', "notify.privacy=true")
        book = message_book(settings, people=2)
        alert = book.render(Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE, "Anna"), None, 0)
        later = PauseExtended(START_S + 1200, START_S + 1800, 90.0, 70.0, waiting=("Anna",))
        not_yet = book.render(later, None, 0)
        ready = book.render(ReadyToReturn(START_S + 1300, 71.0, 70.0, START_S), None, 0)
        assert alert is not None
        assert not_yet is not None
        assert ready is not None
        assert tuple(action.label for action in alert.full.actions) == said["buttons"]
        assert said["suggestion"] in alert.full.body
        assert alert.desktop.body.startswith(said["private alert"])
        assert not_yet.desktop.body.startswith(said["private not yet"])
        assert ready.desktop.body == said["private ready"]
        assert alert.full.summary == said["remote alert"]  # the same line as for one person
        assert not_yet.full.summary == said["remote not yet"]
        assert ready.full.summary == said["remote ready"]
        if language == "de":
            shown = [
                text
                for rendered in (alert, not_yet, ready)
                for message in (rendered.full, rendered.desktop)
                for text in (message.title, message.body, message.summary or "")
            ] + list(said["buttons"])
            unquoted = re.sub(r"„[^“]*“", "", "\n".join(shown))
            assert re.findall(r"\b(du|dich|dir|dein\w*|Atme|Nimm|Geh|Tu)\b", unquoted) == []

    def test_one_persons_notifications_keep_their_words(self) -> None:
        """One person's alert buttons, suggestion, private and remote texts are as before."""
        settings = settings_with("notify.privacy=true")
        book = message_book(settings)
        alert = book.render(Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE), None, 0)
        ready = book.render(ReadyToReturn(START_S + 1300, 71.0, 70.0, START_S), None, 0)
        assert alert is not None
        assert ready is not None
        labels = tuple(action.label for action in alert.full.actions)
        assert labels == ("Start my break", "I'm OK — not flooded")
        assert "Breathe slowly, and let each breath out take its time." in alert.full.body
        assert alert.desktop.body.startswith("Take 20 minutes for yourself. Back at ")
        assert ready.desktop.body == "You can go back when you are ready."
        assert ready.full.summary == "Ready when you are"

    @pytest.mark.parametrize("language", ["en", "de"])
    def test_the_persons_own_suggestions_beat_the_shipped_couple_ones(
        self, tmp_path: Path, language: str
    ) -> None:
        """Suggestions the person wrote in their file, with no couple_suggestions of their
        own, are what the couple's messages suggest (in any language), and `config show`
        names the file as where they come from."""
        path = tmp_path / "config.toml"
        path.write_text(
            f'language = "{language}"\n[messages]\nsuggestions = ["Walk the dog."]\n',
            encoding="utf-8",
        )
        loaded = load_config(path, env={}, use_default_user_file=False)
        assert loaded.settings.messages.couple_suggestions == ["Walk the dog."]
        assert loaded.origins["messages.couple_suggestions"] == str(path)
        alert = Alert(START_S, 118.0, 70.0, 80.0, Rule.RELATIVE, "Anna")
        rendered = message_book(loaded.settings, people=2).render(alert, None, 0)
        assert rendered is not None
        assert "Walk the dog." in rendered.full.body

    def test_own_suggestions_from_the_environment_or_command_line_count_too(self) -> None:
        """Suggestions set by an environment variable or `--set` are the person's as well."""
        by_env = load_config(
            env={"FLOODING_MESSAGES__SUGGESTIONS": '["Walk the dog."]'},
            use_default_user_file=False,
        )
        assert by_env.settings.messages.couple_suggestions == ["Walk the dog."]
        assert settings_with('messages.suggestions=["Walk."]').messages.couple_suggestions == [
            "Walk."
        ]

    def test_couple_suggestions_the_person_wrote_are_kept(self, tmp_path: Path) -> None:
        """Their own couple_suggestions stay theirs; without suggestions of their own, the
        shipped couple suggestions stay (in German too)."""
        path = tmp_path / "config.toml"
        path.write_text(
            '[messages]\nsuggestions = ["Walk the dog."]\ncouple_suggestions = ["Sit."]\n',
            encoding="utf-8",
        )
        own = load_config(path, env={}, use_default_user_file=False).settings.messages
        assert own.couple_suggestions == ["Sit."]
        shipped = default_settings().messages
        assert shipped.couple_suggestions != shipped.suggestions
        assert settings_with('language="de"').messages.couple_suggestions[0] == (
            "Atmet langsam, und lasst euch beim Ausatmen Zeit."
        )


class TestProfiles:
    def test_a_profile_overrides_only_what_it_sets(self, tmp_path: Path) -> None:
        """Each person's strap, baseline and workout choice come from their profile; the
        rest follows the shared settings."""
        own = tmp_path / "me.toml"
        own.write_text(
            "[detection]\nmargin_bpm = 12\n"
            '[profiles.Anna]\nstrap.address = "C0:FF:EE:00:00:01"\nmode = "workout"\n'
            "[profiles.Anna.detection]\nbaseline_bpm = 58\n"
            "[profiles.Anna.workout]\nalerts = true\n"
            '[profiles.Ben]\nstrap.address = "C0:FF:EE:00:00:99"\n'
        )
        settings = settings_with(config=own)
        anna = profile_settings(settings, "Anna")
        ben = profile_settings(settings, "Ben")
        assert couple_names(settings, load_catalogue()) == ("Anna", "Ben")
        assert anna.strap.address == "C0:FF:EE:00:00:01"
        assert anna.detection.baseline_bpm == 58
        assert anna.detection.margin_bpm == 12
        assert anna.mode.value == "workout"
        assert anna.workout.alerts is True
        assert ben.detection.baseline_bpm is None
        assert ben.workout.alerts is False

    def test_couple_mode_needs_exactly_two_profiles(self) -> None:
        """One profile is not a couple: the error says how to pair the other, in the
        language of the catalogue given."""
        settings = settings_with('profiles.Anna.strap.address="X"')
        with pytest.raises(ConfigError, match="--as NAME"):
            couple_names(settings, load_catalogue())
        with pytest.raises(ConfigError, match="braucht genau zwei Profile") as caught:
            couple_names(settings, load_catalogue("de"))
        assert caught.value.language == "de"

    def test_a_bad_profile_key_names_the_key(self, tmp_path: Path) -> None:
        """A misspelt key inside a profile is refused, naming the file, line and key."""
        own = tmp_path / "me.toml"
        own.write_text("[profiles.Anna.detection]\nabsolut_bpm = 90\n")
        with pytest.raises(ConfigError) as caught:
            settings_with(config=own)
        assert "profiles.Anna.detection.absolut_bpm" in str(caught.value)
        assert "absolute_bpm" in str(caught.value)


def couple_tracks() -> dict[str, list[Sample]]:
    pursuer, withdrawer = pursue_withdraw()
    return {"Alex": samples(pursuer, START_S), "Sam": samples(withdrawer, START_S)}


def store_couple(store: Store, tracks: dict[str, list[Sample]]) -> int:
    """A couple session as a live run would store it."""
    result = run_people_batch(tracks, settings_with())
    sid = store.begin_session(START_S, source="test-couple", mode="talk", strap_name="Alex & Sam")
    for name, track in tracks.items():
        store.add_person(sid, name, mode="talk")
        store.add_samples(sid, track, name)
    for person, event in result.events:
        store.add_event(sid, event, person, couple=True)
    end = max(t[-1].t_s for t in tracks.values())
    store.end_session(sid, end)
    return sid


class TestCoupleReview:
    def test_review_shows_two_tracks_and_who_flooded_first(self, tmp_path: Path) -> None:
        """The pursuer floods first, the withdrawer about a minute later; one pause, ready
        once both are back; both tracks keep every sample."""
        store = Store.open(tmp_path)
        tracks = couple_tracks()
        sid = store_couple(store, tracks)
        review = people_review(store, sid)
        store.close()
        assert review is not None
        assert [p.name for p in review.people] == ["Alex", "Sam"]
        assert [p.samples for p in review.people] == [len(tracks["Alex"]), len(tracks["Sam"])]
        assert review.first_flooded == "Alex"
        assert review.lead_s is not None
        assert 30 < review.lead_s < 120
        assert len(review.pauses) == 1
        assert review.pauses[0].flooded == "Alex"
        assert review.ready_after_s is not None
        assert review.ready_after_s >= 20 * 60
        assert review.both_back_near_calm_s is not None
        assert review.both_back_near_calm_s < review.ready_after_s
        assert review.summary.alerts == 1
        data = review.as_dict()
        assert data["first_flooded"] == "Alex"
        assert data["linkage"]["windows"] > 100
        assert render_people_png(review).startswith(b"\x89PNG")

    def test_who_flooded_first_is_named_only_with_name_who(self, tmp_path: Path) -> None:
        """The review, the plot's title and the report page say "one of you was flooded
        first" while couple.name_who is off (the default), and name the person only when
        it is on, as the alert does."""
        import matplotlib.pyplot as plt

        from flooding.app.report import people_figure, render_people_html

        store = Store.open(tmp_path)
        sid = store_couple(store, couple_tracks())
        review = people_review(store, sid)
        store.close()
        assert review is not None
        unnamed = "One of you was flooded first; the other followed"
        named = "Alex was flooded first; Sam followed"
        lines = "\n".join(people_lines(review))
        assert unnamed in lines
        assert "Alex was flooded" not in lines
        assert named in "\n".join(people_lines(review, name_who=True))
        for name_who, said in ((False, unnamed), (True, named)):
            figure = people_figure(review, name_who=name_who)
            assert said in figure.axes[0].get_title()
            plt.close(figure)
        assert unnamed in render_people_html(review, b"")
        assert named in render_people_html(review, b"", name_who=True)
        german = load_catalogue("de")
        assert "Eine*r von euch war zuerst überflutet; die*der andere folgte" in "\n".join(
            people_lines(review, german)
        )
        shown = flooding("review", str(sid), "--data-dir", str(tmp_path))
        assert shown.returncode == 0, shown.stderr
        assert unnamed in shown.stdout
        told = flooding(
            "review",
            str(sid),
            "--data-dir",
            str(tmp_path),
            env={"FLOODING_COUPLE__NAME_WHO": "true"},
        )
        assert told.returncode == 0, told.stderr
        assert named in told.stdout

    def test_the_plots_legend_hides_nothing_of_the_chart(self, tmp_path: Path) -> None:
        """The couple plot's legend stands beside the chart, clear of the flooded bars at its
        top (inside, it covered the first one)."""
        import matplotlib.pyplot as plt

        from flooding.app.report import people_figure

        store = Store.open(tmp_path)
        review = people_review(store, store_couple(store, couple_tracks()))
        store.close()
        assert review is not None
        fig = people_figure(review)
        try:
            fig.canvas.draw()
            [ax] = fig.axes
            legend = ax.get_legend()
            assert legend is not None
            chart, box = ax.get_window_extent(), legend.get_window_extent()
            assert box.x0 >= chart.x1  # wholly to the right of the chart
        finally:
            plt.close(fig)

    def test_an_ordinary_session_is_not_a_couple_session(self, tmp_path: Path) -> None:
        """A one-person session gives no couple review (the usual review applies)."""
        store = Store.open(tmp_path)
        sid = record(store)
        assert people_review(store, sid) is None
        store.close()


class TestLinkage:
    def test_identical_changes_are_fully_linked(self) -> None:
        """Two hearts with the same ups and downs (at different levels) give r = 1."""
        rng = np.random.default_rng(1)
        hr = 70 + np.cumsum(rng.normal(0, 1, 600))
        a = [Sample(START_S + i, float(v)) for i, v in enumerate(hr)]
        b = [Sample(START_S + i, float(v) + 15) for i, v in enumerate(hr)]
        result = linkage(a, b)
        assert result.median_r == pytest.approx(1.0)
        assert result.share_above == 1.0

    def test_independent_hearts_are_hardly_linked(self) -> None:
        """Independent random walks give a median r near 0."""
        rng = np.random.default_rng(2)
        a = [Sample(START_S + i, 70 + float(v)) for i, v in enumerate(rng.normal(0, 2, 1800))]
        b = [Sample(START_S + i, 65 + float(v)) for i, v in enumerate(rng.normal(0, 2, 1800))]
        result = linkage(a, b)
        assert result.median_r is not None
        assert abs(result.median_r) < 0.15

    def test_readings_too_far_apart_are_named_not_called_too_little_time(
        self, tmp_path: Path
    ) -> None:
        """Two hours together at a reading every 5 s give no linkage, and the review says the
        readings are too far apart, not that the straps were together too short a time."""
        a = [Sample(START_S + 5 * i, 70.0 + i % 7) for i in range(1440)]
        b = [Sample(START_S + 5 * i + 2, 64.0 + i % 5) for i in range(1440)]
        result = linkage(a, b)
        assert (result.median_r, result.sparse) == (None, True)
        assert linkage(a[:10], b[:10]).sparse is False  # under a minute together: too short
        store = Store.open(tmp_path)
        stored = people_review(store, store_couple(store, couple_tracks()))
        store.close()
        assert stored is not None
        review = dataclasses.replace(stored, linkage=result)
        said = people_lines(review, load_catalogue(), verbose=False)
        assert any("a reading every second or two from both" in line for line in said)

    def test_windows_without_enough_data_are_left_out(self) -> None:
        """A window with too many missing changes has no r."""
        a = changes(np.array([70.0 + (i % 3) for i in range(200)]))
        b = a.copy()
        b[:150] = np.nan
        assert len(window_correlations(a, b)) < len(window_correlations(a, a))


def make_v2_database(data_dir: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A schema 2 file with a recorded session and a false alarm; returns its rows."""
    db = old_database(data_dir, SCHEMA_V2_DDL)
    recorded = samples(hard_talk(), START_S)
    db.execute(
        "INSERT INTO sessions(id, started_s, ended_s, source, mode)"
        " VALUES (1, ?, ?, 'ble', 'talk')",
        (START_S, recorded[-1].t_s),
    )
    db.executemany(
        "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact) VALUES (1, ?, ?, ?, 1)",
        [(s.t_s, s.bpm, ",".join(repr(r) for r in s.rr_s)) for s in recorded],
    )
    for event in run_batch(recorded, settings_with()).events:
        db.execute(
            "INSERT INTO events(session_id, t_s, kind, data_json) VALUES (1, ?, ?, ?)",
            (getattr(event, "t_s", 0.0), event_kind(event), json.dumps(event_data(event))),
        )
    return rows_after_a_false_alarm(db, START_S + 5000)


class TestSchema3:
    def test_schema_2_upgrades_keeping_every_sample_and_event(self, tmp_path: Path) -> None:
        """A schema 2 file upgrades to 3 and on: every row kept, on the one person's track ('')
        (schema 4 adds the activity level: none for these samples; schema 5 the kept columns;
        schema 6 the kept replays' alerts; schema 7 drops the person index; schema 8 keeps
        the highest session id given; schema 9 keeps it without refusing a session; schema 10
        masks the remote targets in the settings kept)."""
        samples_before, events_before = make_v2_database(tmp_path)
        store = Store.open(tmp_path)
        try:
            assert store.schema_version() == 10
            assert store.db.execute("SELECT * FROM samples ORDER BY rowid").fetchall() == [
                (*row, "", None) for row in samples_before
            ]
            assert store.db.execute("SELECT * FROM events ORDER BY id").fetchall() == [
                (*row, "") for row in events_before
            ]
            assert len(store.events(1, "false-alarm")) == 1
            assert store.people(1) == []
            assert len(list(store.iter_samples(1))) == len(samples_before)
        finally:
            store.close()

    def test_tracks_are_kept_apart_and_deleted_together(self, tmp_path: Path) -> None:
        """Each person's samples and events come back by name; delete removes both."""
        store = Store.open(tmp_path)
        tracks = couple_tracks()
        sid = store_couple(store, tracks)
        assert len(list(store.iter_samples(sid, "Sam"))) == len(tracks["Sam"])
        assert len(list(store.iter_samples(sid))) == sum(len(t) for t in tracks.values())
        assert {e.person for e in store.events(sid, "episode-started")} == {"Alex", "Sam"}
        assert [e.person for e in store.events(sid, "couple-alert")] == [""]
        store.delete_session(sid)
        assert store.people(sid) == []
        assert store.db.execute("SELECT COUNT(*) FROM samples").fetchone() == (0,)
        store.close()

    def test_every_read_of_samples_follows_an_index_in_time_order(self, tmp_path: Path) -> None:
        """Reading a couple session (its review, each person's track as rows and as columns,
        the whole session, the counts and the session's summary) never scans the samples
        table nor sorts its rows: the session index serves each query, in time order, and
        each track reads back in time order."""
        store = Store.open(tmp_path)
        tracks = couple_tracks()
        sid = store_couple(store, tracks)
        asked: list[str] = []
        store.db.set_trace_callback(asked.append)
        try:
            assert people_review(store, sid) is not None
            for name, track in tracks.items():
                assert [s.t_s for s in store.iter_samples(sid, name)] == [s.t_s for s in track]
                assert store.sample_columns(sid, name).t_s.tolist() == [s.t_s for s in track]
            times = [s.t_s for s in store.iter_samples(sid)]
            assert times == sorted(times)
            assert len(times) == sum(map(len, tracks.values()))
            store.sample_count(sid)  # (only its query is looked at)
        finally:
            store.db.set_trace_callback(None)
        reads = {q for q in asked if "FROM samples" in q}
        assert len(reads) >= 5
        for query in reads:
            plan = " | ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + query))
            assert "SCAN samples" not in plan, (query, plan)
            assert "TEMP B-TREE" not in plan, (query, plan)
        store.close()


def write_csv(path: Path, track: list[Sample], *, clock: bool = True) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["time_unix_s" if clock else "time_s", "hr_bpm", "rr_ms", "contact"])
        origin = 0.0 if clock else track[0].t_s
        for s in track:
            out.writerow(
                [f"{s.t_s - origin:.3f}", s.bpm, " ".join(f"{r * 1000:.1f}" for r in s.rr_s), 1]
            )


@pytest.mark.timeout(120)
class TestImportCouple:
    def test_two_recordings_become_one_couple_session(self, tmp_path: Path) -> None:
        """`import A B --couple --as` stores two tracks on the clock, reviewable with --json."""
        tracks = couple_tracks()
        write_csv(tmp_path / "alex.csv", tracks["Alex"])
        write_csv(tmp_path / "sam.csv", tracks["Sam"])
        data = str(tmp_path / "data")
        done = flooding(
            "import", str(tmp_path / "alex.csv"), str(tmp_path / "sam.csv"), "--couple",
            "--as", "Alex", "Sam", "--data-dir", data,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "aligned on the clock" in done.stdout
        assert "1 alert for both" in done.stdout
        review = flooding("review", "--json", "--data-dir", data)
        assert review.returncode == 0, review.stderr
        found = json.loads(review.stdout)
        assert [p["name"] for p in found["people"]] == ["Alex", "Sam"]
        assert found["first_flooded"] == "Alex"
        assert found["linkage"]["median_r"] is not None

    def test_files_without_clock_times_start_together_and_it_is_said(self, tmp_path: Path) -> None:
        """Recordings without wall-clock times are placed from their starts, and told so."""
        tracks = couple_tracks()
        write_csv(tmp_path / "a.csv", tracks["Alex"], clock=False)
        write_csv(tmp_path / "b.csv", tracks["Sam"], clock=False)
        done = flooding(
            "import", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--couple",
            "--start", "2026-11-20T20:05", "--data-dir", str(tmp_path / "data"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "both placed from their starts at --start" in done.stdout
        store = Store.open(tmp_path / "data")
        people = store.people(1)
        firsts = [next(store.iter_samples(1, p.person)).t_s for p in people]
        store.close()
        assert [p.person for p in people] == ["A", "B"]
        assert firsts[0] == firsts[1]

    def test_start_moves_two_timed_files_together_keeping_their_offset(
        self, tmp_path: Path
    ) -> None:
        """--start with two files that carry clock times (the second began 10 minutes later)
        moves both so that the first begins then, the second still 10 minutes after it
        (before, both were put at --start and who flooded first came out wrong)."""
        tracks = couple_tracks()
        later = [dataclasses.replace(s, t_s=s.t_s + 600) for s in tracks["Sam"]]
        write_csv(tmp_path / "alex.csv", tracks["Alex"])
        write_csv(tmp_path / "sam.csv", later)
        done = flooding(
            "import", str(tmp_path / "alex.csv"), str(tmp_path / "sam.csv"), "--couple",
            "--as", "Alex", "Sam", "--start", "2026-11-20T20:05", "--data-dir",
            str(tmp_path / "data"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "both moved together so that the first begins at --start" in done.stdout
        store = Store.open(tmp_path / "data")
        alex, sam = (next(store.iter_samples(1, name)).t_s for name in ("Alex", "Sam"))
        store.close()
        assert alex == datetime(2026, 11, 20, 20, 5).timestamp()
        assert sam - alex == pytest.approx(600.0, abs=1.0)

    def test_couple_import_needs_two_files(self, tmp_path: Path) -> None:
        """One file with --couple is refused with the reason."""
        tracks = couple_tracks()
        write_csv(tmp_path / "a.csv", tracks["Alex"])
        done = flooding("import", str(tmp_path / "a.csv"), "--couple", "--data-dir", str(tmp_path))
        assert done.returncode == 2
        assert "two files" in done.stderr


@pytest.mark.timeout(120)
def test_demo_couple_end_to_end(tmp_path: Path) -> None:
    """`flooding demo --couple` plays the talk, one alert for both, ready when both are back,
    and writes the two-track plot whose path it prints."""
    done = flooding("demo", "--couple", "--speed", "0", "--no-notify", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("One of you is flooded") == 1
    assert "you're both back near your calm" in out
    assert "One of you was flooded first; the other followed" in out
    assert "Alex was flooded" not in out
    assert "1 alert, 1 pause for both" in out
    line = next(line for line in out.splitlines() if line.startswith("Plot of both hearts:"))
    png = Path(line.split(": ", 1)[1])
    assert png.read_bytes().startswith(b"\x89PNG")


def test_a_calm_couple_gets_no_alert() -> None:
    """Two calm hearts for ten minutes: no alert, no pause."""
    calm = {
        "A": samples(Scenario("a", (Segment(600, 66),), seed=1), START_S),
        "B": samples(Scenario("b", (Segment(600, 72),), seed=2), START_S),
    }
    events = run_people_batch(calm, settings_with()).events
    assert not [e for _, e in events if isinstance(e, Alert | PauseStarted)]


def test_each_heart_of_a_couple_is_read_at_its_own_pace() -> None:
    """One partner on a strap (a reading a second), the other on a watch's export (a reading
    every 5 s, now and then 10 or 15): each heart's own calm is learned, and the watch's
    rise of 20 bpm under 100 alerts by the relative rule, with no gap between its readings."""
    strap = samples(Scenario("a", (Segment(900, 66),), seed=1), START_S)
    watch: list[Sample] = []
    t = START_S
    k = 0
    while t < START_S + 1020:
        watch.append(Sample(t, 70.0 + (k % 3 - 1) if t < START_S + 900 else 92.0))
        t += (5.0, 5.0, 10.0, 15.0)[k % 4]
        k += 1
    events = run_people_batch({"A": strap, "B": watch}, settings_with()).events
    [(who, started)] = [(p, e) for p, e in events if isinstance(e, EpisodeStarted)]
    assert who == "B"
    assert started.rule is Rule.RELATIVE
    assert not [e for p, e in events if p == "B" and isinstance(e, GapDetected)]
    assert [e for _, e in events if isinstance(e, Alert)]


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_couple_session_exports_both_hearts_and_imports_back_as_a_couple(
    tmp_path: Path, form: str
) -> None:
    """A couple session exports (CSV with a person column, or JSON) and `flooding import` of
    that one file stores a couple session again with both partners' very same readings."""
    store = Store.open(tmp_path)
    tracks = couple_tracks()
    sid = store_couple(store, tracks)
    store.close()
    target = tmp_path / f"couple.{form}"
    done = flooding(
        "export", str(sid), "--format", form, "-o", str(target), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    if form == "csv":
        assert target.read_text(encoding="utf-8").startswith("person,time_unix_s,time_local,")
    back = flooding("import", str(target), "--data-dir", str(tmp_path))
    assert back.returncode == 0, back.stderr
    assert f"couple session {sid + 1}" in back.stdout
    store = Store.open(tmp_path)
    try:
        assert [p.person for p in store.people(sid + 1)] == ["Alex", "Sam"]
        for name in tracks:
            assert list(store.iter_samples(sid + 1, name)) == list(store.iter_samples(sid, name))
    finally:
        store.close()


def test_a_partner_named_with_a_comma_comes_back_from_the_csv_export(tmp_path: Path) -> None:
    """A partner's name with a comma in it (quoted in the CSV export) imports back as that
    name, with the same readings."""
    store = Store.open(tmp_path)
    tracks = dict(zip(("Alex, Jr", "Sam"), couple_tracks().values(), strict=True))
    sid = store_couple(store, tracks)
    store.close()
    target = tmp_path / "couple.csv"
    done = flooding("export", str(sid), "-o", str(target), "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert '\n"Alex, Jr",' in target.read_text(encoding="utf-8")
    back = flooding("import", str(target), "--data-dir", str(tmp_path))
    assert back.returncode == 0, back.stderr
    store = Store.open(tmp_path)
    try:
        assert [p.person for p in store.people(sid + 1)] == ["Alex, Jr", "Sam"]
        assert list(store.iter_samples(sid + 1, "Alex, Jr")) == tracks["Alex, Jr"]
    finally:
        store.close()


def test_a_partner_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    """`--as` with a name that holds a line break is refused with the name rule."""
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path, track in zip(files, couple_tracks().values(), strict=True):
        rows = "".join(f"{s.t_s},{s.bpm:.0f}\n" for s in track[:400])
        path.write_text("time_unix_s,hr_bpm\n" + rows, encoding="utf-8")
    done = flooding(
        "import", *map(str, files), "--couple", "--as", "Al\nex", "Sam",
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 2  # a usage error, as any name --as refuses
    assert "'Al\\nex' cannot name a profile: use 1 to 32 characters, on one line" in done.stderr


def test_a_couples_json_export_brings_back_the_note_and_the_false_alarm_mark(
    tmp_path: Path,
) -> None:
    """A couple session's JSON export imported again keeps its note and its alert for both
    marked as a false alarm."""
    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    store.set_note(sid, "money")
    alert = store.latest_alert(sid)
    assert alert is not None
    store.mark_false_alarm(sid, alert.id, alert.t_s + 60)
    store.close()
    target = tmp_path / "couple.json"
    done = flooding(
        "export", str(sid), "--format", "json", "-o", str(target), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    back = flooding("import", str(target), "--data-dir", str(tmp_path))
    assert back.returncode == 0, back.stderr
    store = Store.open(tmp_path)
    try:
        again, row = store.latest_alert(sid + 1), store.session(sid + 1)
        assert again is not None
        assert row is not None
        assert row.note == "money"
        assert store.is_false_alarm(sid + 1, again.id)
    finally:
        store.close()


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_couple_export_naming_a_partner_with_no_name_is_refused(
    tmp_path: Path, form: str
) -> None:
    """A couple export edited so that a partner's name is empty (it was stored as a couple
    "( and Sam)") is refused with the name rule, and nothing is imported."""
    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    store.close()
    target = tmp_path / f"couple.{form}"
    done = flooding(
        "export", str(sid), "--format", form, "-o", str(target), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    text = target.read_text(encoding="utf-8")
    edited = text.replace('"Alex"', '""') if form == "json" else text.replace("\nAlex,", "\n,")
    assert edited != text
    target.write_text(edited, encoding="utf-8")
    back = flooding("import", str(target), "--data-dir", str(tmp_path))
    assert back.returncode == 1
    assert "names a partner so that no session can hold it: '' cannot name a profile" in back.stderr
    store = Store.open(tmp_path)
    try:
        assert [s.id for s in store.sessions()] == [sid]
    finally:
        store.close()


def test_a_couple_session_in_workout_mode_is_stored_as_workout(tmp_path: Path) -> None:
    """A couple session started with both partners in workout mode is stored as a workout."""
    from flooding.app.session import SessionRunner
    from flooding.app.sources import MergedSource
    from flooding.cli.view import QuietView
    from flooding.lab.simulate import SimulatedStrap

    store = Store.open(tmp_path)
    source = MergedSource(
        {name: SimulatedStrap(hard_talk(), start_s=0.0, speed=0) for name in ("Anna", "Ben")}
    )
    runner = SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        view=QuietView(),
        people=("Anna", "Ben"),
        source_kind="test",
        modes=dict.fromkeys(("Anna", "Ben"), Mode.WORKOUT),
    )
    outcome = asyncio.run(runner.run())
    session = store.session(outcome.session_id)
    store.close()
    assert session is not None
    assert session.mode == "workout"
    assert outcome.alerts == 0


def test_each_partners_strap_is_named_whether_or_not_it_gives_a_name(tmp_path: Path) -> None:
    """A couple's link lines say whose strap it is: "Anna's strap" for one that gives no
    name ("Anna's the strap" before), "Ben's H10 A1" for one that does."""
    from flooding.app.session import SessionRunner
    from flooding.app.sources import MergedSource
    from flooding.cli.view import TerminalView
    from flooding.lab.simulate import SimulatedStrap

    store = Store.open(tmp_path)
    shown = io.StringIO()
    view = TerminalView(out=shown)
    names = {"Anna": "", "Ben": "H10 A1"}
    source = MergedSource(
        {
            name: SimulatedStrap(hard_talk(), start_s=0.0, speed=0, strap_name=strap)
            for name, strap in names.items()
        }
    )
    runner = SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        view=view,
        people=tuple(names),
        source_kind="test",
    )
    asyncio.run(runner.run())
    store.close()
    connected = {
        line.split("connected to ", 1)[1]
        for line in shown.getvalue().splitlines()
        if "connected to " in line
    }
    assert connected == {"Anna's strap", "Ben's H10 A1"}


def test_status_shows_each_partner_not_one_unlabelled_heart(tmp_path: Path) -> None:
    """`flooding status` of a couple session gives each partner's heart, not a mixed one."""
    from flooding.app.live import LiveMonitor
    from flooding.app.session import SessionRunner
    from flooding.app.sources import MergedSource
    from flooding.app.status import StatusBoard
    from flooding.cli.commands.status import describe
    from flooding.cli.view import QuietView
    from flooding.lab.simulate import SimulatedStrap

    store = Store.open(tmp_path)
    board = StatusBoard(QuietView())
    runner = SessionRunner(
        source=MergedSource(
            {name: SimulatedStrap(hard_talk(), start_s=0.0, speed=0) for name in ("Anna", "Ben")}
        ),
        settings=default_settings(),
        store=store,
        view=board,
        people=("Anna", "Ben"),
        source_kind="test",
    )
    asyncio.run(runner.run())
    live = LiveMonitor(board, settings=default_settings(), strap="two straps", headless=True)
    live.runner = runner
    status = live.status()
    store.close()
    assert status.heart_bpm is None
    assert set(status.people or {}) == {"Anna", "Ben"}
    lines = describe(status)
    assert any(line.startswith("Anna: ") and "bpm" in line for line in lines)
    assert any(line.startswith("Ben: ") and "bpm" in line for line in lines)
    assert not any(line.startswith("Heart:") for line in lines)


def couple_board() -> tuple[StatusBoard, RecordingView]:
    """A status board of a couple's monitor: Anna's strap connected with its battery read in
    a session, Ben's still searched for (as the service notes it between sessions)."""
    shown = RecordingView()
    board = StatusBoard(shown)
    board.person_link("Anna", LinkChanged(0.0, LinkState.CONNECTED, "H10 A1", "AA:01"))
    board.person_battery("Anna", BatteryLevel(0.0, 80), low=False)
    board.note_link(LinkChanged(0.0, LinkState.SEARCHING), "Ben")
    return board, shown


def test_status_names_each_partners_strap_with_its_link_and_battery() -> None:
    """`flooding status` of a couple's monitor gives each partner's strap on a line of its
    own, saying whose it is, its link and battery (not the last strap heard of as the one)."""
    from flooding.app.live import LiveMonitor
    from flooding.cli.commands.status import describe

    board, shown = couple_board()
    live = LiveMonitor(
        board,
        settings=default_settings(),
        strap="two straps",
        headless=True,
        people=PEOPLE,
        straps={"Ben": ("H10 B2", "BB:02")},
    )
    status = live.status()
    assert status.straps is not None
    assert (status.straps["Anna"].connected, status.straps["Anna"].battery_percent) == (True, 80)
    assert (status.straps["Ben"].link, status.straps["Ben"].chosen) == ("searching", "H10 B2")
    assert not status.strap.connected  # both straps are one strap only when both are connected
    lines = describe(status)
    assert [line for line in lines if line.startswith("Strap:")] == [
        "Strap:   Anna's H10 A1 (AA:01): connected, battery 80 %",
        "Strap:   Ben's H10 B2: not connected (searching)",
    ]
    assert [person for person, _ in shown.person_links] == ["Anna"]  # passed on, whose it is
    assert [(person, level.percent) for person, level, _ in shown.person_batteries] == [
        ("Anna", 80)
    ]
    assert (shown.links, shown.batteries) == ([], [])


def test_status_says_a_partners_strap_not_connected_yet_until_it_has_connected() -> None:
    """`flooding status` (its lines in English and German, and its JSON) says of a partner's
    strap that has not connected since the monitor started that it is not connected yet
    (nothing of it is recorded), not "disconnected"; one that connected and dropped is."""
    from flooding.app.live import LiveMonitor
    from flooding.cli.commands.status import describe

    board, _ = couple_board()
    board.person_link("Ben", LinkChanged(1.0, LinkState.DISCONNECTED, "H10 B2", "BB:02"))
    board.person_link("Anna", LinkChanged(2.0, LinkState.DISCONNECTED, "H10 A1", "AA:01"))
    live = LiveMonitor(
        board, settings=default_settings(), strap="two straps", headless=True, people=PEOPLE
    )
    status = live.status()
    said = status.model_dump(mode="json")
    assert (said["straps"]["Anna"]["link"], said["straps"]["Ben"]["link"]) == (
        "disconnected",
        "not-connected-yet",
    )
    assert [line for line in describe(status) if line.startswith("Strap:")] == [
        "Strap:   Anna's H10 A1 (AA:01): not connected (disconnected), battery 80 %",
        "Strap:   Ben's H10 B2 (BB:02): not connected yet: nothing is recorded until it is; "
        "trying again on its own",
    ]
    german = describe(status, load_catalogue("de"))
    assert [line for line in german if line.startswith("Gurt:")] == [
        "Gurt:     H10 A1 von Anna (AA:01): nicht verbunden (getrennt), Akku 80 %",
        "Gurt:     H10 B2 von Ben (BB:02): noch nicht verbunden: Bis dahin wird nichts "
        "aufgezeichnet; es wird von selbst weiter versucht",
    ]


def test_the_service_between_sessions_keeps_each_partners_strap_apart() -> None:
    """Before either partner wears a strap, `flooding status` of the service gives each one's
    strap as heard of so far (its link and battery), not the last one heard of as the one."""
    from flooding.app.background import BackgroundMonitor
    from flooding.app.live import LiveMonitor
    from flooding.cli.commands.status import describe
    from flooding.cli.view import QuietView

    board = StatusBoard(QuietView())
    live = LiveMonitor(
        board, settings=default_settings(), strap="two straps", headless=True, people=PEOPLE
    )
    items = [
        PersonItem("Anna", LinkChanged(0.0, LinkState.CONNECTED, "H10 A1", "AA:01")),
        PersonItem("Anna", BatteryLevel(0.0, 80)),
        PersonItem("Ben", LinkChanged(0.0, LinkState.CONNECTING, "H10 B2", "BB:02")),
    ]

    async def waiting() -> list[str]:
        monitor = BackgroundMonitor(
            source=ListedSource(items, stays=True, description="two straps"),  # not worn
            live=live,
            make_runner=lambda *_: pytest.fail("no session starts off the skin"),
            session_gap_s=30,
        )
        task = asyncio.create_task(monitor.run())
        for _ in range(500):
            if "Ben" in board.straps:
                break
            await asyncio.sleep(0.01)
        lines = describe(live.status())
        monitor.stop()
        await asyncio.wait_for(task, 10)
        return lines

    lines = asyncio.run(waiting())
    assert [line for line in lines if line.startswith("Strap:")] == [
        "Strap:   Anna's H10 A1 (AA:01): connected, battery 80 %",
        "Strap:   Ben's H10 B2 (BB:02): not connected (connecting)",
    ]


def test_the_live_pages_feed_names_the_couple_and_keeps_each_strap_apart() -> None:
    """The live page's feed names both partners and sends each one's strap (whose, its
    link and battery) on its own, in its events and in the snapshot a new page starts from."""
    from flooding.app.web.live import LiveFeed

    async def fed() -> tuple[dict[str, Any], list[str]]:
        feed = LiveFeed(people=PEOPLE)
        page = feed.subscribe()
        feed.person_link("Ben", LinkChanged(0.0, LinkState.CONNECTED, "H10 B2"))
        feed.person_battery("Ben", BatteryLevel(0.0, 42), low=False)
        feed.person_link("Anna", LinkChanged(0.0, LinkState.SEARCHING))
        frames = [page.get_nowait() for _ in range(page.qsize())]
        return feed.snapshot(), frames

    snapshot, frames = asyncio.run(fed())
    assert snapshot["people"] == list(PEOPLE)
    assert snapshot["straps"] == [
        {"person": "Anna", "state": "searching", "strap": None, "percent": None},
        {"person": "Ben", "state": "connected", "strap": "H10 B2", "percent": 42},
    ]
    assert (snapshot["link"], snapshot["battery"]) == (None, None)  # no one strap of both
    sent = [json.loads(frame.split("data: ", 1)[1]) for frame in frames[1:]]
    assert [frame.split("\n", 1)[0] for frame in frames[1:]] == ["event: person-strap"] * 3
    assert [(strap["person"], strap["percent"]) for strap in sent] == [
        ("Ben", None),
        ("Ben", 42),
        ("Anna", None),
    ]


def test_the_couples_live_line_gives_each_partners_battery() -> None:
    """In couple mode the live line gives each partner's strap's battery on their own part
    of the line, and says whose strap connected."""
    from flooding.cli.view import TerminalView

    out = io.StringIO()
    view = TerminalView(every_s=0.0, out=out)
    view.person_link("Anna", LinkChanged(START_S, LinkState.CONNECTED, "H10 A1"))
    view.person_battery("Anna", BatteryLevel(START_S, 80), low=False)
    view.person_battery("Ben", BatteryLevel(START_S, 42), low=False)
    for name in PEOPLE:
        view.person_reading(name, Reading(START_S, 70.0, State.CALM, 65.0, 75.0, False, None))
    first, *_, last = out.getvalue().splitlines()
    assert first.endswith("connected to Anna's H10 A1")
    anna, ben = last.split("  |  ")
    assert anna.endswith("calm  battery 80%")
    assert ben.endswith("calm  battery 42%")


def test_the_service_log_says_whose_strap_connected_and_went_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The headless service's log names whose strap connected, went away or runs low."""
    from flooding.app.views import LogView

    view = LogView()
    with caplog.at_level("INFO", logger="flooding.app.views"):
        view.person_link("Anna", LinkChanged(0.0, LinkState.CONNECTED, "H10 A1"))
        view.person_link("Ben", LinkChanged(0.0, LinkState.DISCONNECTED))  # never connected
        view.person_link("Anna", LinkChanged(1.0, LinkState.DISCONNECTED))
        view.person_battery("Ben", BatteryLevel(1.0, 9), low=True)
    assert caplog.messages == [
        "connected to Anna's strap (H10 A1)",
        "Anna's strap went away; reconnecting on its own",
        "Ben's strap battery low (9%): replace or charge it soon, or an alert may be missed",
    ]


def test_the_couples_live_line_names_each_heart_in_german_not_you() -> None:
    """The couple's live line says of each named heart that its calm is being learnt, in
    German without "deinen" (a partner's line is not "you"); in English as before."""
    from flooding.cli.view import TerminalView

    lines = {}
    for language in ("en", "de"):
        out = io.StringIO()
        view = TerminalView(every_s=0.0, out=out, language=language)
        for name in PEOPLE:
            view.person_reading(
                name, Reading(START_S, 71.0, State.WARMING, None, 110.0, False, None)
            )
        lines[language] = out.getvalue().splitlines()[-1]
    assert lines["en"].endswith("Anna 71 bpm (calm --) warming  |  Ben 71 bpm (calm --) warming")
    assert lines["de"].endswith(
        "Anna 71 (Ruhepuls --) Ruhepuls wird kennengelernt  |  "
        "Ben 71 (Ruhepuls --) Ruhepuls wird kennengelernt"
    )


def couple_status(session: int | None) -> MonitorStatus:
    """The status of the couple demo: watching both partners (`session`), or waiting for
    their straps (None)."""
    strap = StrapStatus(
        chosen="",
        name="Simulated strap",
        address=None,
        link="connected",
        connected=True,
        battery_percent=None,
    )
    person = PersonStatus(heart_bpm=71.0, state="warming", baseline_bpm=None, mode="talk")
    return MonitorStatus(
        pid=7,
        headless=False,
        demo=True,
        started_at=0.0,
        strap=strap.model_copy(update={"name": None}),
        session_id=session,
        mode="talk",
        state="watching both" if session else "waiting",
        heart_bpm=None,
        baseline_bpm=None,
        pause=None,
        people=dict.fromkeys(PEOPLE, person) if session else None,
        straps=dict.fromkeys(PEOPLE, strap),
    )


@pytest.mark.parametrize("session", [None, 3])
def test_the_status_of_a_couple_speaks_to_both(session: int | None) -> None:
    """`flooding status` of the couple demo says it has two simulated straps, waits for the
    couple's straps, and says it watches both, in English and in German (without "du",
    "dein" or an English state)."""
    from flooding.cli.commands.status import describe

    english = describe(couple_status(session))
    german = describe(couple_status(session), load_catalogue("de"))
    assert english[0].startswith("Monitor: running (the couple demo, with two simulated straps,")
    assert german[0].startswith("Wächter: läuft (die Vorführung zu zweit, mit zwei simulierten")
    if session is None:
        assert english[-1] == (
            "Session: none - waiting for your straps; a session starts when one of you wears theirs"
        )
        assert german[-1] == (
            "Sitzung:  keine \u2013 wartet auf eure Gurte; eine Sitzung beginnt, sobald eine*r von "
            "euch den eigenen trägt"
        )
    else:
        assert english[-3:] == [
            "Anna: 71 bpm, calm baseline not known yet (learning in the first minutes), warming",
            "Ben: 71 bpm, calm baseline not known yet (learning in the first minutes), warming",
            "State:   watching both",
        ]
        assert german[-1] == "Zustand:  beide Herzen werden beobachtet"
        assert german[-3].endswith(", Ruhepuls wird kennengelernt")
    said = "\n".join(german)
    assert no_english(said) == []
    assert re.findall(r"\b(du|dein\w*|watching)\b", said) == []


def test_a_couples_monitor_without_a_session_asks_for_both_straps() -> None:
    """A couple's monitor with no session running answers pause, resume and ok that it
    waits for the straps (plural), and to put them on."""
    from flooding.app.live import LiveMonitor
    from flooding.cli.view import QuietView
    from flooding.io.control import ErrorReply, OkRequest, PauseRequest, ResumeRequest

    live = LiveMonitor(
        StatusBoard(QuietView()),
        settings=default_settings(),
        strap="two straps",
        headless=True,
        people=PEOPLE,
    )
    for request in (PauseRequest(), ResumeRequest(), OkRequest()):
        reply = live.handle(request)
        assert isinstance(reply, ErrorReply)
        assert reply.code == "no-session"
        assert "waiting for your straps. Put them on" in reply.error


class PressingNotifier(RecordingNotifier):
    """A desktop whose alert's buttons are pressed as soon as it shows: "start the pause",
    then "not flooded"."""

    def __init__(self) -> None:
        super().__init__()
        self.runner: SessionRunner | None = None

    async def send(self, message: Message) -> bool:
        await super().send(message)
        if message.kind == "alert" and self.runner is not None:
            self.runner.handle_action(message, ACTION_START_PAUSE)
            self.runner.handle_action(message, ACTION_NOT_FLOODED)
        return True


@pytest.mark.parametrize(
    ("language", "confirmed", "marked"),
    [
        (
            "en",
            "Pause for both confirmed. Take the time you need.",
            "Marked as a false alarm. Thank you both: it helps set when alerts come.",
        ),
        (
            "de",
            "Pause für beide bestätigt. Nehmt euch die Zeit, die ihr braucht.",
            "Als Fehlalarm markiert. Danke euch: so lässt sich besser einstellen,"
            " wann Hinweise kommen.",
        ),
    ],
)
def test_the_couples_alert_buttons_are_answered_to_both(
    tmp_path: Path, language: str, confirmed: str, marked: str
) -> None:
    """Pressing the couple's alert buttons on the desktop is answered to both ("take the
    time you need" to both, "thank you both"), in the person's language."""
    from flooding.app.sources import MergedSource
    from flooding.lab.simulate import SimulatedStrap

    settings = default_settings().model_copy(update={"language": language})
    store = Store.open(tmp_path)
    view = RecordingView()
    notifier = PressingNotifier()
    hearts = dict(zip(PEOPLE, pursue_withdraw(), strict=True))
    runner = SessionRunner(
        source=MergedSource(
            {name: SimulatedStrap(talk, start_s=0.0, speed=0) for name, talk in hearts.items()}
        ),
        settings=settings,
        store=store,
        view=view,
        notifier=notifier,
        people=PEOPLE,
        source_kind="test",
    )
    notifier.runner = runner
    try:
        asyncio.run(runner.run())
    finally:
        store.close()
    assert "alert" in [m.kind for m in notifier.sent]
    assert view.infos[:2] == [confirmed, marked]  # the first alert's buttons


def test_the_couples_monitor_names_both_straps_in_the_persons_language() -> None:
    """`flooding monitor --couple` says whose straps it watches joined in the person's
    language ("und" in German, not "and")."""
    from flooding.app.sources import MergedSource
    from flooding.cli.commands.monitor import watched
    from flooding.lab.simulate import SimulatedStrap

    talks = dict(zip(PEOPLE, pursue_withdraw(), strict=True))
    source = MergedSource(
        {name: SimulatedStrap(talk, start_s=0.0, speed=0) for name, talk in talks.items()}
    )
    both = "Anna: simulated strap (pursuer) {} Ben: simulated strap (withdrawer)"
    assert watched(source, load_catalogue("en")) == both.format("and")
    assert watched(source, load_catalogue("de")) == both.format("und")


def test_ok_marks_the_alert_for_both_without_a_monitor(tmp_path: Path) -> None:
    """`flooding ok` with no monitor running marks a couple session's alert (a couple-alert)
    as a false alarm."""
    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    store.close()
    done = flooding("ok", str(sid), "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"in session {sid} as a false alarm" in done.stdout
    store = Store.open(tmp_path)
    try:
        (alert,) = store.events(sid, "couple-alert")
        (mark,) = store.events(sid, "false-alarm")
        assert store.latest_alert(sid) == alert
    finally:
        store.close()
    assert mark.data["alert_event_id"] == alert.id


def test_tune_leaves_couple_sessions_out_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tune replays one heart: a couple session is not replayed (its two hearts would mix),
    and the output says which was left out and why."""
    store = Store.open(tmp_path)
    solo = record(store, start_s=START_S - 86_400)
    couple = store_couple(store, couple_tracks())
    store.close()
    own = tmp_path / "own.toml"
    own.write_text("", encoding="utf-8")
    base = ["--config", str(own), "--data-dir", str(tmp_path)]
    assert main(["tune", "--all", *base]) == 0
    out = capsys.readouterr().out
    assert "total (1 session)" in out
    assert f"Not replayed: session {couple} holds two hearts (couple mode)" in out
    assert main(["tune", "--all", "--json", *base]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["session_id"] for row in data["sessions"]] == [solo]
    assert data["skipped_couple_sessions"] == [couple]
    assert main(["tune", str(couple), *base]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"flooding tune: Nothing to replay: session {couple} holds two hearts")


def test_calibrate_from_a_couple_session_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Calibrating from a couple session is refused with a clear message; nothing written."""
    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    store.close()
    path = tmp_path / "config.toml"
    out, err = calibration_refused(sid, tmp_path, path, capsys)
    assert "holds two hearts (Alex, Sam)" in err
    assert "holds two hearts" not in out


def test_couple_plot_labels_local_clock_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The couple plot's time axis shows the local clock (here Berlin, UTC+2 in September),
    as the one-person plot does, not UTC."""
    import time
    from datetime import UTC, datetime

    import matplotlib.dates

    made: list[matplotlib.dates.DateFormatter] = []
    real: Any = matplotlib.dates.DateFormatter  # untyped: matplotlib's date helpers carry none

    def spy(*args: object, **kwargs: object) -> matplotlib.dates.DateFormatter:
        formatter: matplotlib.dates.DateFormatter = real(*args, **kwargs)
        made.append(formatter)
        return formatter

    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    review = people_review(store, sid)
    store.close()
    assert review is not None
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        monkeypatch.setattr(matplotlib.dates, "DateFormatter", spy)
        render_people_png(review)
        start = review.summary.started_s
        expected = datetime.fromtimestamp(start).strftime("%H:%M")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert made, "the time axis has a clock formatter"
    assert made[-1](start / 86400.0) == expected
    assert expected != datetime.fromtimestamp(start, UTC).strftime("%H:%M")


def test_back_near_calm_starts_over_after_a_gap() -> None:
    """Afterwards, as live: a stretch without readings (a dropped strap) proves nothing, so
    the hold starts again after it instead of counting the time nobody measured."""
    from flooding.app.review import back_near_calm

    calm = [Sample(t_s=float(t), bpm=70.0, contact=True) for t in range(0, 31)]
    after = [Sample(t_s=float(t), bpm=70.0, contact=True) for t in range(90, 200)]
    assert back_near_calm(calm + after, 0.0, 80.0, hold_s=60.0, gap_s=5.0) == 90.0
    assert back_near_calm(calm, 0.0, 80.0, hold_s=20.0, gap_s=5.0) == 0.0


def test_back_near_calm_by_the_ready_to_return_is_the_stretch_it_counted() -> None:
    """Given the ready to return, the time back near calm is where the stretch that lasted
    to it began, not an earlier one the heart rose from again."""
    from flooding.app.review import back_near_calm

    def level(t: int) -> float:
        return 95.0 if 300 <= t < 400 else 70.0

    track = [Sample(t_s=float(t), bpm=level(t), contact=True) for t in range(0, 700)]
    assert back_near_calm(track, 0.0, 80.0, hold_s=60.0, gap_s=5.0) == 0.0
    back = back_near_calm(track, 0.0, 80.0, hold_s=60.0, gap_s=5.0, ready_s=650.0)
    assert back is not None
    assert 400.0 < back < 450.0  # the 10-s average came under 80 again soon after 400 s


@requires_data
def test_the_review_of_two_real_recordings_is_back_near_calm_no_later_than_ready(
    tmp_path: Path,
) -> None:
    """Two real recordings as a couple, no calm known when the pause began: the review
    measures the way back as the live check did, so both are back by the ready to return."""
    done = flooding(
        "import",
        str(recording("polar-hrm_noisy.hrm")),
        str(recording("rr-ms_rest.txt")),
        "--couple", "--as", "anna", "ben", "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store.open(tmp_path)
    try:
        review = people_review(store, 1)
    finally:
        store.close()
    assert review is not None
    assert review.pauses[0].baselines == {"anna": None, "ben": None}
    assert review.both_back_near_calm_s is not None
    assert review.ready_after_s is not None
    assert review.both_back_near_calm_s <= review.ready_after_s


def test_progress_counts_a_couples_break_from_alert_to_ready(tmp_path: Path) -> None:
    """The progress page's usual time from alert to ready includes a couple's breaks (before,
    a week of couple talks showed none)."""
    from flooding.app.progress import progress

    store = Store.open(tmp_path)
    try:
        sid = store_couple(store, couple_tracks())
        rows = store.events(sid, person="")
        made = progress(store)
    finally:
        store.close()
    [alert] = [r.t_s for r in rows if r.kind == "couple-alert"]
    [ready] = [r.t_s for r in rows if r.kind == "couple-ready"]
    [week] = made.weeks
    assert week.median_recovery_s == ready - alert


def test_people_review_of_a_one_person_session_only_asks_for_the_people(tmp_path: Path) -> None:
    """Telling that a session is not a couple session takes one query, no summaries."""
    store = Store.open(tmp_path)
    sid = record(store)
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        assert people_review(store, sid) is None
    finally:
        store.db.set_trace_callback(None)
        store.close()
    assert len(statements) == 1
    assert "FROM session_people" in statements[0]


def test_a_partner_whose_strap_stopped_reading_in_an_episode_is_named(tmp_path: Path) -> None:
    """When one partner's strap comes off the skin in their episode for longer than the
    detector waits (`UNSEEN_S`), the couple review marks that episode only, in its JSON
    and in a line naming them and when the strap stopped reading."""
    tracks = couple_tracks()
    off = range(420, 420 + int(UNSEEN_S) + 60)  # Sam's strap off, from inside his episode
    tracks["Sam"] = [
        dataclasses.replace(s, contact=False) if i in off else s
        for i, s in enumerate(tracks["Sam"])
    ]
    store = Store.open(tmp_path)
    sid = store_couple(store, tracks)
    review = people_review(store, sid)
    store.close()
    assert review is not None
    alex, sam = review.people
    assert [e.unseen_end for e in sam.episodes] == [True]
    assert [e.unseen_end for e in alex.episodes] == [False]
    assert sam.episodes[0].end_s == tracks["Sam"][419].t_s  # its last reading on the skin
    people = review.as_dict()["people"]
    assert people[1]["episodes"][0]["unseen_end"] is True
    assert "unseen_end" not in people[0]["episodes"][0]
    lines = [line for line in people_lines(review) if "stopped reading" in line]
    assert len(lines) == 1
    assert "the strap stopped reading Sam's heart while flooded" in lines[0]


def test_the_couple_review_gives_each_person_one_peak(tmp_path: Path) -> None:
    """In a couple review each person's episode peaks come from the same readings as their
    own peak: none is above it, and the episode holding the highest reading shows it."""
    store = Store.open(tmp_path)
    sid = store_couple(store, couple_tracks())
    review = people_review(store, sid)
    store.close()
    assert review is not None
    for person in review.people:
        assert person.episodes
        assert person.peak_bpm is not None
        peaks = [e.peak_bpm for e in person.episodes]
        assert max(peaks) <= person.peak_bpm
        track = review.tracks[person.name]
        top = max(track, key=lambda s: s.bpm if s.usable else 0)
        holding = [e for e in person.episodes if e.start_s <= top.t_s <= (e.end_s or float("inf"))]
        for e in holding:
            assert e.peak_bpm == person.peak_bpm
