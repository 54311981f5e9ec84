"""The words the person reads: alert, not-yet and ready messages, rotation, privacy, own texts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import get_origin

import pytest

from flooding.core.models import (
    SOLO,
    Alert,
    EpisodeStarted,
    Event,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
    Rule,
    Sample,
)
from flooding.core.pause import NO_CONTACT, WORKOUT
from flooding.core.settings import PLACEHOLDERS, ConfigError, MessageSettings, Settings
from flooding.io.config_files.loading import default_settings, load_config
from tests.traces import message_book
from tests.traces import settings as make_settings

T0 = 1_700_000_000.0  # an afternoon in November 2023
RELATIONSHIP_WORDS = ("flooded", "partner", "care", "talk", "argument", "worked up", "love")


def hhmm(t_s: float) -> str:
    return time.strftime("%H:%M", time.localtime(t_s))


def alert(t_s: float = T0) -> tuple[Alert, PauseStarted]:
    return (
        Alert(t_s=t_s, bpm=112.4, baseline_bpm=68.2, threshold_bpm=78.2, rule=Rule.RELATIVE),
        PauseStarted(t_s=t_s, until_s=t_s + 1200, baseline_bpm=68.2),
    )


def extended() -> PauseExtended:
    return PauseExtended(t_s=T0 + 1200, until_s=T0 + 1800, bpm=91, baseline_bpm=68.2)


def ready() -> ReadyToReturn:
    return ReadyToReturn(t_s=T0 + 1500, bpm=71, baseline_bpm=68.2, pause_start_s=T0)


def _only_problem(path: Path, text: str) -> str:
    """The one problem loading a config file with `text` gives."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, use_default_user_file=False)
    [problem] = caught.value.problems
    return problem


def private() -> Settings:
    return make_settings(notify={"enabled": True, "privacy": True})


class TestAlertMessage:
    def test_alert_has_everything(self) -> None:
        """The alert names the heart rate, the baseline, 20 minutes, a suggestion and a script."""
        settings = default_settings()
        event, pause = alert()
        rendered = message_book(settings).render(event, pause, 0)
        assert rendered is not None
        text = rendered.full.title + "\n" + rendered.full.body
        assert rendered.full.kind == "alert"
        assert "112 bpm" in text
        assert "68 bpm" in text
        assert "20 minutes" in text
        assert settings.messages.suggestions[0] in text
        script = settings.messages.partner_scripts[0].format(
            break_time="20 minutes", return_at=f"at {hhmm(T0 + 1200)}"
        )
        assert script in text

    def test_return_time_is_the_pause_end(self) -> None:
        """The script names the local clock time (HH:MM) of the planned end of the pause."""
        event, _ = alert()
        pause = PauseStarted(t_s=T0, until_s=T0 + 45 * 60, baseline_bpm=68)
        rendered = message_book(default_settings()).render(event, pause, 1)
        assert rendered is not None
        assert f"back at {hhmm(T0 + 45 * 60)}" in rendered.full.body

    def test_return_time_is_read_on_the_wall_clock_as_set_now(self) -> None:
        """With the wall clock set an hour forward since the session began, every message
        names its times on the clock as the computer shows it now (the session's times are
        not moved by the jump; `flooding.io.clock`)."""
        event, pause = alert()
        book = message_book(default_settings())
        rendered = book.render(event, pause, 1, wall_offset_s=3600.0)
        assert rendered is not None
        assert f"back at {hhmm(T0 + 1200 + 3600)}" in rendered.full.body
        assert hhmm(T0 + 1200 + 3600) in rendered.desktop.body
        later = book.render(extended(), None, 0, wall_offset_s=3600.0)
        assert later is not None
        assert hhmm(T0 + 1800 + 3600) in later.full.body

    def test_return_time_without_the_pause(self) -> None:
        """Without the pause event, the return time is the alert time plus pause.minutes."""
        event, _ = alert()
        rendered = message_book(default_settings()).render(event, None, 0)
        assert rendered is not None
        assert hhmm(T0 + 1200) in rendered.full.body

    def test_no_baseline_yet(self) -> None:
        """An alert before any baseline says the baseline is not measured yet."""
        event = Alert(t_s=T0, bpm=104, baseline_bpm=None, threshold_bpm=100, rule=Rule.ABSOLUTE)
        rendered = message_book(default_settings()).render(event, None, 0)
        assert rendered is not None
        assert "not measured yet" in rendered.full.body

    def test_no_baseline_yet_in_german(self) -> None:
        """In German, the missing baseline is said in German too (`messages.not_measured`)."""
        event = Alert(t_s=T0, bpm=104, baseline_bpm=None, threshold_bpm=100, rule=Rule.ABSOLUTE)
        german = load_config(env={}, overrides=['language="de"'], use_default_user_file=False)
        rendered = message_book(german.settings).render(event, None, 0)
        assert rendered is not None
        assert "noch nicht gemessen" in rendered.full.body
        assert "not measured" not in rendered.full.body

    def test_pause_length_from_settings(self) -> None:
        """A longer configured pause shows its own number of minutes."""
        book = message_book(make_settings(pause_changes={"minutes": 30}))
        rendered = book.render(*alert(), 0)
        assert rendered is not None
        assert "30 minutes" in rendered.full.body


class TestRotation:
    def test_lists_rotate_with_the_turn(self) -> None:
        """The suggestion and the script follow the turn and wrap around their lists."""
        settings = default_settings()
        texts = settings.messages
        book = message_book(settings)
        for turn in range(7):
            rendered = book.render(*alert(), turn)
            assert rendered is not None
            assert texts.suggestions[turn % len(texts.suggestions)] in rendered.full.body
            script = texts.partner_scripts[turn % len(texts.partner_scripts)]
            assert script.split("{")[0] in rendered.full.body

    def test_consecutive_alerts_differ(self) -> None:
        """Two alerts in a row do not show the same words."""
        book = message_book(default_settings())
        first, second = book.render(*alert(), 0), book.render(*alert(), 1)
        assert first is not None
        assert second is not None
        assert first.full.body != second.full.body

    def test_reentry_lines_rotate(self) -> None:
        """The ready message's re-entry line follows the turn."""
        texts = default_settings().messages
        book = message_book(default_settings())
        bodies = [book.render(ready(), None, turn) for turn in range(3)]
        for turn, rendered in enumerate(bodies):
            assert rendered is not None
            assert texts.reentry_lines[turn] in rendered.full.body


class TestNotYetAndReady:
    def test_not_yet(self) -> None:
        """ "Not yet" names the heart rate, the baseline, the extra minutes and the new time."""
        rendered = message_book(default_settings()).render(extended(), None, 0)
        assert rendered is not None
        text = rendered.full.title + rendered.full.body
        assert rendered.full.kind == "not-yet"
        assert "give it 10 minutes more" in text
        assert "91 bpm" in text
        assert "68 bpm" in text
        assert hhmm(T0 + 1800) in text

    def test_not_yet_without_a_reading(self) -> None:
        """ "Not yet" with no usable reading says the heart was not measured, not "nan"."""
        event = PauseExtended(t_s=T0, until_s=T0 + 600, bpm=float("nan"), baseline_bpm=68)
        rendered = message_book(default_settings()).render(event, None, 0)
        assert rendered is not None
        assert "nan" not in rendered.full.body.lower()
        assert "not measured" in rendered.full.body

    def test_ready(self) -> None:
        """Ready-to-return names how long the break took, the heart rate and a re-entry line."""
        rendered = message_book(default_settings()).render(ready(), None, 0)
        assert rendered is not None
        assert rendered.full.kind == "ready"
        assert rendered.full.title.startswith("25 minutes — ")
        assert "71 bpm" in rendered.full.body

    @pytest.mark.parametrize(("language", "title"), [("en", "1 minute — "), ("de", "1 Minute — ")])
    def test_ready_after_a_break_by_hand_before_the_calm_is_known_claims_no_baseline(
        self, language: str, title: str
    ) -> None:
        """A one-minute break taken by hand before any calm was measured ends with words that
        say the heart settled under a fixed level, not that it is back near a baseline, and
        give its length without a wrong plural."""
        from flooding.core.engine import Engine
        from flooding.core.models import Sample

        settings = load_config(
            None, env={}, use_default_user_file=False, overrides=[f'language="{language}"']
        ).settings
        engine = Engine(settings)
        events: list[Event] = list(engine.start_pause(T0, minutes=1))
        for second in range(1, 300):
            events += engine.feed(Sample(T0 + second, 70)).events
        [done] = [e for e in events if isinstance(e, ReadyToReturn)]
        assert done.baseline_bpm is None
        rendered = message_book(settings).render(done, None, 0)
        assert rendered is not None
        full = rendered.full
        assert full.title.startswith(title)
        said = f"{full.title} {full.body}"
        for wrong in ("minutes", "Minuten", "baseline", "nah an deinem", "calm:", "ruhig:"):
            assert wrong not in said
        assert ("70 bpm" if language == "en" else "70") in full.body
        assert ("fixed level" if language == "en" else "festen Grenze") in full.body

    @pytest.mark.parametrize(
        "event",
        [
            PauseStarted(t_s=T0, until_s=T0 + 1200, baseline_bpm=68),
            EpisodeStarted(
                t_s=T0,
                onset_s=T0 - 20,
                bpm=110,
                baseline_bpm=68,
                threshold_bpm=78,
                rule=Rule.RELATIVE,
            ),
        ],
        ids=["pause-started", "episode-started"],
    )
    def test_other_events_have_no_message(self, event: Event) -> None:
        """Events the person is not told about render to None."""
        assert message_book(default_settings()).render(event, None, 0) is None


class TestNobodyCounted:
    """At the check, a strap off the skin (or silent) says nothing about how calm anyone is."""

    def unseen(self, people: int = 1) -> PauseExtended:
        """The check of a pause with no heart counted: everyone of the session absent."""
        absent = ((SOLO, NO_CONTACT),) if people == 1 else (("Anna", NO_CONTACT), ("Ben", WORKOUT))
        return PauseExtended(T0 + 1200, T0 + 1800, float("nan"), 68.2, (), absent)

    def test_alone_it_says_the_heart_cannot_be_read_not_that_it_is_still_up(self) -> None:
        """With the one strap reading no heart, "not yet" says the heart cannot be read, that
        going back is the person's own call, and when the next look is; never "elevated"."""
        rendered = message_book(default_settings()).render(self.unseen(), None, 0)
        assert rendered is not None
        text = rendered.full.title + " " + rendered.full.body
        assert rendered.full.kind == "not-yet"
        assert "can't be read" in rendered.full.title
        assert "touching your skin" in text
        assert "Go back when you feel calm" in text
        assert hhmm(T0 + 1800) in text
        assert "elevated" not in text.lower()

    def test_a_heart_counted_and_still_up_is_still_not_yet(self) -> None:
        """The same check with the heart counted and above its calm says "still elevated"."""
        counted = PauseExtended(T0 + 1200, T0 + 1800, 91.0, 68.2, (SOLO,), ())
        rendered = message_book(default_settings()).render(counted, None, 0)
        assert rendered is not None
        assert rendered.full.title.startswith("Still elevated")

    def test_a_couple_with_no_heart_counted_hears_why_for_each(self) -> None:
        """In a session of two with neither heart counted, "not yet" says neither heart can
        be checked and names why for each person; one heart counted keeps "not settled"."""
        book = message_book(default_settings(), people=2)
        rendered = book.render(self.unseen(people=2), None, 0)
        assert rendered is not None
        assert "neither heart can be checked" in rendered.full.title
        assert "Anna: not counted (the strap has no skin contact)" in rendered.full.body
        assert "Ben: not counted (workout mode)" in rendered.full.body
        one_counted = PauseExtended(
            T0 + 1200, T0 + 1800, float("nan"), None, ("Anna",), (("Ben", WORKOUT),)
        )
        rendered = message_book(default_settings(), people=2).render(one_counted, None, 0)
        assert rendered is not None
        assert rendered.full.title.startswith("Not quite settled yet")

    def test_privately_it_says_the_break_time_is_up_not_take_more_time(self) -> None:
        """In privacy mode the desktop and the remote line say the break's time is up and
        the strap reads no heart, never the "take more time" of a heart still up."""
        rendered = message_book(private()).render(self.unseen(), None, 0)
        assert rendered is not None
        assert "can't be read" in rendered.full.title
        desktop = rendered.desktop
        assert desktop.title == "Break time is up"
        assert "strap can't read your heart" in desktop.body
        assert "Go back when you feel calm" in desktop.body
        assert hhmm(T0 + 1800) in desktop.body
        assert "more" not in desktop.title + desktop.body
        assert rendered.full.summary == "Break time is up"

    def test_a_couple_privately_hears_the_break_time_is_up_for_both(self) -> None:
        """A couple with no heart counted gets the same on the desktop and remote line, for
        both of them, never "take more time"."""
        rendered = message_book(private(), people=2).render(self.unseen(people=2), None, 0)
        assert rendered is not None
        desktop = rendered.desktop
        assert desktop.title == "Break time is up"
        assert "straps can't read your hearts" in desktop.body
        assert "more" not in desktop.title + desktop.body
        assert rendered.full.summary == "Break time is up, for both of you"

    def test_privately_in_german(self) -> None:
        """The German private and remote texts say the same."""
        german = load_config(
            env={}, overrides=['language="de"', "notify.privacy=true"], use_default_user_file=False
        )
        rendered = message_book(german.settings).render(self.unseen(), None, 0)
        assert rendered is not None
        assert rendered.desktop.title == rendered.full.summary == "Die Pause ist um"
        assert "Dein Gurt liest gerade keinen Puls" in rendered.desktop.body
        assert "noch" not in rendered.desktop.title + rendered.desktop.body  # never "take more"

    def test_in_german(self) -> None:
        """The German texts say the same."""
        german = load_config(env={}, overrides=['language="de"'], use_default_user_file=False)
        rendered = message_book(german.settings).render(self.unseen(), None, 0)
        assert rendered is not None
        assert "nicht lesbar" in rendered.full.title
        assert "erhöht" not in rendered.full.title + rendered.full.body


class TestPrivacy:
    @pytest.mark.parametrize(
        "make", [lambda: alert(), lambda: (extended(), None), lambda: (ready(), None)]
    )
    def test_desktop_text_is_neutral(
        self, make: Callable[[], tuple[Event, PauseStarted | None]]
    ) -> None:
        """In privacy mode the desktop shows no heart numbers and no relationship words."""
        event, pause = make()
        rendered = message_book(private()).render(event, pause, 0)
        assert rendered is not None
        desktop = (rendered.desktop.title + " " + rendered.desktop.body).lower()
        for word in ("bpm", "112", "68", "91", "71", *RELATIONSHIP_WORDS):
            assert word not in desktop, word

    def test_full_text_keeps_the_details(self) -> None:
        """In privacy mode the full (terminal) text still has the numbers and the script."""
        rendered = message_book(private()).render(*alert(), 0)
        assert rendered is not None
        assert "112 bpm" in rendered.full.body
        assert "flooded" in (rendered.full.title + rendered.full.body).lower()
        assert rendered.desktop != rendered.full

    def test_without_privacy_desktop_is_full(self) -> None:
        """Without privacy mode (`notify.privacy = false`) the desktop gets the full text."""
        settings = make_settings(notify={"enabled": True, "privacy": False})
        rendered = message_book(settings).render(*alert(), 0)
        assert rendered is not None
        assert rendered.desktop == rendered.full

    def test_the_desktop_is_private_by_default(self) -> None:
        """With the shipped settings the desktop (and so the lock screen) shows the neutral
        text, with no heart numbers and no relationship words; the full text keeps them."""
        rendered = message_book(default_settings()).render(*alert(), 0)
        assert rendered is not None
        desktop = (rendered.desktop.title + " " + rendered.desktop.body).lower()
        for word in ("bpm", "112", "68", *RELATIONSHIP_WORDS):
            assert word not in desktop, word
        assert "112 bpm" in rendered.full.body

    def test_private_alert_still_says_when_to_come_back(self) -> None:
        """The neutral desktop alert still gives the length of the break and the return time."""
        rendered = message_book(private()).render(*alert(), 0)
        assert rendered is not None
        assert "20 minutes" in rendered.desktop.body
        assert hhmm(T0 + 1200) in rendered.desktop.body


class TestOwnTexts:
    def test_own_scripts_are_used(self, tmp_path: Path) -> None:
        """Scripts and suggestions from the person's own config file are the ones shown."""
        path = tmp_path / "config.toml"
        path.write_text(
            "[messages]\n"
            'partner_scripts = ["Sam, I need {minutes} minutes. Back at {return_time}."]\n'
            'suggestions = ["Go and water the plants."]\n',
            encoding="utf-8",
        )
        settings = load_config(path, env={}, use_default_user_file=False).settings
        rendered = message_book(settings).render(*alert(), 5)
        assert rendered is not None
        assert f"Sam, I need 20 minutes. Back at {hhmm(T0 + 1200)}." in rendered.full.body
        assert "Go and water the plants." in rendered.full.body

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("partner_scripts", '["Back at {return_tme}."]'),
            ("alert_body", '"Heart {bpm:.0f}"'),
            ("ready_body", '"{script}"'),
            ("not_yet_title", '"{0} more"'),
            ("alert_title", '"Break {"'),
            ("alert_title", '"Break {bpm:>99999999}"'),
            ("alert_title", '"Break {bpm!r}"'),
            ("alert_body", '"{baseline.__doc__}"'),
            ("alert_body", '"{bpm[0]}"'),
            ("suggestions", '["Breathe, back at {return_time}"]'),
            ("reentry_lines", '["Shall we go on at {return_time}?"]'),
        ],
        ids=[
            "misspelt",
            "number-format",
            "wrong-message",
            "positional",
            "unbalanced",
            "huge-width",
            "conversion",
            "attribute",
            "index",
            "in-a-suggestion",
            "in-a-reentry-line",
        ],
    )
    def test_bad_placeholder_is_a_config_error(self, tmp_path: Path, key: str, value: str) -> None:
        """A text with a placeholder it cannot fill is refused when loading, not at the alert."""
        path = tmp_path / "config.toml"
        problem = _only_problem(path, f"[messages]\n{key} = {value}\n")
        assert problem.startswith(f"{path}:2: messages.{key}")

    def test_a_bad_placeholder_is_named_with_the_allowed_ones(self, tmp_path: Path) -> None:
        """The problem names the placeholder that cannot be filled and those allowed there."""
        path = tmp_path / "config.toml"
        problem = _only_problem(path, '[messages]\nready_body = "Back {script}"\n')
        assert problem == (
            f"{path}:2: messages.ready_body = 'Back {{script}}': {{script}} cannot be filled in "
            "here; allowed here: {bpm}, {baseline}, {minutes}, {extend_minutes}, {break_time}, "
            "{extend_time}, {return_time}, {return_at}, {took_time}, {reentry}"
        )

    def test_a_placeholder_with_more_than_its_name_is_named_as_written(
        self, tmp_path: Path
    ) -> None:
        """A placeholder with a format after its name (which would fill in a text of any
        size) is named as written, with what to write instead."""
        path = tmp_path / "config.toml"
        problem = _only_problem(path, '[messages]\nalert_title = "Hi {bpm:>99999999}"\n')
        assert problem.startswith(
            f"{path}:2: messages.alert_title = 'Hi {{bpm:>99999999}}': {{bpm:>99999999}} is"
            " more than a name between braces: write the name alone (nothing after a : or !,"
            " no . or [); allowed here: {bpm}"
        )

    def test_a_brace_without_its_partner_is_named_in_german_words_only(
        self, tmp_path: Path
    ) -> None:
        """A lone brace in a German person's text is named in German, with none of Python's
        own English words."""
        path = tmp_path / "config.toml"
        problem = _only_problem(path, 'language = "de"\n[messages]\nalert_title = "Hi {bpm"\n')
        assert problem.startswith(
            f"{path}:3: messages.alert_title = 'Hi {{bpm': einer Klammer fehlt ihr Gegenstück:"
        )
        assert "expected" not in problem
        assert "string" not in problem

    def test_a_button_placeholder_is_checked_when_loading(self, tmp_path: Path) -> None:
        """A button text with a placeholder the alert cannot fill is refused when loading."""
        path = tmp_path / "config.toml"
        problem = _only_problem(path, '[messages]\nbutton_pause = "Pause for {who}"\n')
        assert problem.startswith(f"{path}:2: messages.button_pause = 'Pause for {{who}}': {{who}}")


def _every_placeholder_texts() -> dict[str, object]:
    """Each text of the placeholder table using every placeholder the table allows for it."""
    texts: dict[str, object] = {}
    for key, names in PLACEHOLDERS.items():
        text = f"{key}:" + "".join("{" + name + "}" for name in names)
        is_list = get_origin(MessageSettings.model_fields[key].annotation) is list
        texts[key] = [text] if is_list else text
    return texts


class TestPlaceholderTable:
    def test_every_message_text_is_in_the_table(self) -> None:
        """Each message text names the placeholders it may use, none for the texts shown
        inside another (a suggestion, a re-entry line), so none passes unchecked."""
        assert set(PLACEHOLDERS) == set(MessageSettings.model_fields)
        assert PLACEHOLDERS["suggestions"] == PLACEHOLDERS["reentry_lines"] == ()

    @pytest.mark.parametrize("privacy", [False, True], ids=["full", "private"])
    @pytest.mark.parametrize("name_who", [False, True], ids=["someone", "named"])
    def test_rendering_fills_every_placeholder_the_table_allows(
        self, privacy: bool, name_who: bool
    ) -> None:
        """Texts using every placeholder their key allows load, and every message kind (one
        person and couple) fills them all in: no brace is left in any title, body or button."""
        base = make_settings().model_dump()
        base["messages"].update(_every_placeholder_texts())
        settings = Settings.model_validate(
            {**base, "notify": {"privacy": privacy}, "couple": {"name_who": name_who}}
        )
        absent = (("Ben", WORKOUT), ("Cleo", NO_CONTACT))
        nan = float("nan")
        events: list[tuple[int, Event, PauseStarted | None]] = [
            (1, *alert()),
            (1, extended(), None),
            (1, ready(), None),
            (
                2,
                Alert(T0, 118.0, 70.0, 80.0, Rule.RELATIVE, person="Anna", absent=absent),
                None,
            ),
            (
                2,
                PauseExtended(T0 + 1200, T0 + 1800, nan, None, ("Anna",), absent),
                None,
            ),
            (2, PauseExtended(T0 + 1200, T0 + 1800, nan, None, (), absent), None),
            (1, PauseExtended(T0 + 1200, T0 + 1800, nan, 68.2, (), ((SOLO, NO_CONTACT),)), None),
            (2, ReadyToReturn(T0 + 1500, nan, None, T0, (("Anna", 71.0),), absent), None),
        ]
        for people, event, pause in events:  # a book each: two not-yets at once are one told
            rendered = message_book(settings, people).render(event, pause, 0)
            assert rendered is not None
            for message in (rendered.full, rendered.desktop):
                words = [message.title, message.body, *(a.label for a in message.actions)]
                assert not any("{" in text or "}" in text for text in words), words


def _local(hour: int, minute: int) -> float:
    """An epoch time at `hour`:`minute` local time on 21 September 2026 (a Monday)."""
    from datetime import datetime

    return datetime(2026, 9, 21, hour, minute).timestamp()


def _german(**pause: float) -> Settings:
    overrides = ['language="de"', *(f"pause.{key}={value}" for key, value in pause.items())]
    return load_config(env={}, overrides=overrides, use_default_user_file=False).settings


class TestStillElevatedIsANudge:
    def not_yets(self, book_people: int, settings: Settings, minutes: int) -> list[float]:
        """When a "still elevated" is told over `minutes` of checks a minute apart."""
        book = message_book(settings, book_people)
        _, pause = alert()
        assert book.render(pause, None, 0) is None  # the break starts
        told = []
        for k in range(minutes):
            t_s = T0 + 1200 + 60 * k
            event = PauseExtended(t_s, t_s + 60, 95.0, 68.2, waiting=(SOLO,))
            if book.render(event, None, 0) is not None:
                told.append(t_s)
        return told

    @pytest.mark.parametrize("people", [1, 2])
    def test_a_check_a_minute_is_told_once_in_ten_minutes_and_three_times_a_break(
        self, people: int
    ) -> None:
        """With a check every minute (extend_minutes = 1), "still elevated" is told at the
        first check, ten and twenty minutes later, and then not again, alone or as a couple."""
        settings = make_settings(pause_changes={"extend_minutes": 1})
        told = self.not_yets(people, settings, 45)
        assert told == [T0 + 1200, T0 + 1800, T0 + 2400]

    def test_at_the_default_ten_minutes_an_evening_gets_three(self) -> None:
        """At the default 10 minutes a heart that stays up hears it three times, not six an hour."""
        book = message_book(default_settings())
        told = 0
        for k in range(18):  # three hours of checks
            t_s = T0 + 1200 + 600 * k
            event = PauseExtended(t_s, t_s + 600, 95.0, 68.2, waiting=(SOLO,))
            told += book.render(event, None, 0) is not None
        assert told == 3

    def test_ready_is_always_told_and_a_new_break_counts_afresh(self) -> None:
        """After the last "still elevated" the ready-to-return is still told, and the next
        break's first "still elevated" is told again."""
        book = message_book(make_settings(pause_changes={"extend_minutes": 1}))
        for k in range(40):
            t_s = T0 + 1200 + 60 * k
            book.render(PauseExtended(t_s, t_s + 60, 95.0, 68.2, waiting=(SOLO,)), None, 0)
        assert book.render(ReadyToReturn(T0 + 3700, 72.0, 68.2, T0), None, 0) is not None
        later = T0 + 7200
        assert book.render(PauseStarted(later, later + 1200, 68.2), None, 0) is None
        again = PauseExtended(later + 1200, later + 1260, 95.0, 68.2, waiting=(SOLO,))
        assert book.render(again, None, 0) is not None


class TestLengthsAndDays:
    def test_a_break_ending_tomorrow_says_tomorrow_and_hours(self) -> None:
        """A 700-minute break from 14:17 says "11 hours and 40 minutes" and "tomorrow at
        01:57" (German "morgen um 01:57"), never a bare clock time that reads as today."""
        start = _local(14, 17)
        settings = make_settings(pause_changes={"minutes": 700})
        alert_event = Alert(start, 112.0, 68.0, 78.0, Rule.RELATIVE)
        pause = PauseStarted(start, start + 700 * 60, 68.0)
        rendered = message_book(settings).render(alert_event, pause, 0)
        assert rendered is not None
        said = rendered.full.title + rendered.full.body
        assert "11 hours and 40 minutes" in said
        assert "I'll come back tomorrow at 01:57" in said
        assert "700" not in said
        assert rendered.full.summary == "Time for a break of 11 hours and 40 minutes"
        german = message_book(_german(minutes=700)).render(alert_event, pause, 0)
        assert german is not None
        assert "ich komme morgen um 01:57 zurück" in german.full.body
        assert "11 Stunden und 40 Minuten" in german.full.body

    def test_a_whole_day_names_tomorrow_and_hours(self) -> None:
        """A 1440-minute break says "24 hours" and tomorrow's time, not today's clock."""
        start = _local(14, 17)
        settings = make_settings(pause_changes={"minutes": 1440})
        rendered = message_book(settings).render(
            Alert(start, 112.0, 68.0, 78.0, Rule.RELATIVE),
            PauseStarted(start, start + 86400, 68),
            0,
        )
        assert rendered is not None
        assert "24 hours" in rendered.full.title
        assert "tomorrow at 14:17" in rendered.full.body

    def test_further_days_name_the_weekday_and_old_texts_still_fill(self, tmp_path: Path) -> None:
        """A check two days on names the weekday; a person's own text with {return_time}
        gets the time with its day ("01:57 tomorrow")."""
        start = _local(23, 0)
        path = tmp_path / "config.toml"
        path.write_text(
            '[messages]\nnot_yet_body = "Back at {return_time}, or {return_at}."\n', "utf-8"
        )
        settings = load_config(path, env={}, use_default_user_file=False).settings
        book = message_book(settings)
        event = PauseExtended(start, start + 3 * 3600, 95.0, 68.0)
        rendered = book.render(event, None, 0)
        assert rendered is not None
        assert rendered.full.body == "Back at 02:00 tomorrow, or tomorrow at 02:00."
        far = PauseExtended(start + 600, start + 600 + 27 * 3600, 95.0, 68.0)
        rendered = message_book(settings).render(far, None, 0)
        assert rendered is not None
        assert rendered.full.body == "Back at 02:10 on Wednesday, or on Wednesday at 02:10."

    def test_half_minutes_are_taken_and_said_as_the_same_whole_minutes(self) -> None:
        """`pause.minutes = 20.5` starts a 21-minute break, and the alert says 21 minutes
        and the time 21 minutes on: what is said and what is checked agree."""
        from flooding.core.engine import Engine

        settings = make_settings(pause_changes={"minutes": 20.5, "extend_minutes": 2.5})
        engine = Engine(settings)
        [started] = engine.start_pause(T0)
        assert isinstance(started, PauseStarted)
        assert started.until_s == T0 + 21 * 60
        event, _ = alert()
        rendered = message_book(settings).render(event, started, 0)
        assert rendered is not None
        assert "Take at least 21 minutes" in rendered.full.body
        assert f"at {hhmm(T0 + 21 * 60)}" in rendered.full.body
        events: list[Event] = []
        for second in range(1, 26 * 60):
            events += engine.feed(Sample(T0 + second, 100.0)).events
        extended_first = next(e for e in events if isinstance(e, PauseExtended))
        assert extended_first.until_s - extended_first.t_s == 3 * 60

    def test_one_more_minute_is_singular(self) -> None:
        """With `extend_minutes = 1` the words say "1 minute" ("1 Minute"), not "1 more
        minutes"; a person's own text with {extend_minutes} still gets the number."""
        event = PauseExtended(T0 + 1200, T0 + 1260, 95.0, 68.2)
        settings = make_settings(pause_changes={"extend_minutes": 1})
        rendered = message_book(settings).render(event, None, 0)
        assert rendered is not None
        assert rendered.full.title == "Still elevated — give it 1 minute more"
        assert rendered.full.summary == "Take 1 minute more"
        german = message_book(_german(extend_minutes=1)).render(event, None, 0)
        assert german is not None
        assert german.full.title == "Dein Puls ist noch erhöht — gib dir noch 1 Minute"
        assert "Minuten" not in german.full.title + (german.full.summary or "")
        own = settings.model_copy(
            update={
                "messages": settings.messages.model_copy(
                    update={"not_yet_title": "{extend_minutes} more"}
                )
            }
        )
        told = message_book(own).render(event, None, 0)
        assert told is not None
        assert told.full.title == "1 more"

    def test_german_messages_say_the_heart_rate_as_the_german_app_does(self) -> None:
        """German messages give the heart rate in "Schläge/min", as the rest of the German
        app, and the break's length in German words, never "bpm" or "Min."."""
        german = _german()
        rendered = message_book(german).render(*alert(), 0)
        assert rendered is not None
        assert "Puls 112 Schläge/min (ruhig für dich: 68 Schläge/min)" in rendered.full.body
        ready_msg = message_book(german).render(ready(), None, 0)
        assert ready_msg is not None
        assert ready_msg.full.title.startswith("25 Minuten — ")
        for message in (rendered.full, ready_msg.full):
            assert "bpm" not in message.title + message.body
            assert "Min." not in message.title + message.body


class TestHowLongTheBreakTook:
    @pytest.mark.parametrize(
        ("language", "people", "minutes", "title"),
        [
            ("en", 1, 1440, "24 hours — you're back near your calm"),
            ("en", 2, 90, "1 hour and 30 minutes — you're both back near your calm"),
            ("de", 1, 90, "1 Stunde und 30 Minuten — du bist nah an deinem Ruhepuls"),
            ("de", 2, 1440, "24 Stunden — ihr seid beide nah an eurem Ruhepuls"),
        ],
    )
    def test_a_long_break_is_said_in_hours_in_the_ready_title(
        self, language: str, people: int, minutes: int, title: str
    ) -> None:
        """The ready message says a break of a day or of 90 minutes in hours and minutes, as
        the alert says its length, not as "1440 min" or "90 min"."""
        settings = load_config(
            env={},
            overrides=[f'language="{language}"', f"pause.minutes={minutes}"],
            use_default_user_file=False,
        ).settings
        done = ReadyToReturn(
            t_s=T0 + minutes * 60 + 20, bpm=71, baseline_bpm=68.2, pause_start_s=T0
        )
        rendered = message_book(settings, people=people).render(done, None, 0)
        assert rendered is not None
        assert rendered.full.title == title

    def test_a_long_break_before_the_calm_is_known_is_said_in_hours(self) -> None:
        """The ready message of a break whose calm was not yet measured says its length in
        hours too."""
        done = ReadyToReturn(t_s=T0 + 95 * 60, bpm=71, baseline_bpm=None, pause_start_s=T0)
        rendered = message_book(default_settings()).render(done, None, 0)
        assert rendered is not None
        assert rendered.full.title == "1 hour and 35 minutes — your heart has settled"

    def test_own_texts_with_minutes_still_fill_and_took_time_is_for_ready_only(
        self, tmp_path: Path
    ) -> None:
        """A person's own ready title with {minutes} still gives the number of minutes, one
        with {took_time} gives the words, and {took_time} is refused where no break has
        ended (the alert)."""
        path = tmp_path / "config.toml"
        path.write_text(
            "[messages]\n"
            'ready_title = "Back after {minutes} min ({took_time})"\n'
            'couple_ready_title = "Both back after {took_time}"\n'
            'remote_ready = "Ready after {took_time}"\n',
            encoding="utf-8",
        )
        settings = load_config(path, env={}, use_default_user_file=False).settings
        done = ReadyToReturn(t_s=T0 + 1440 * 60, bpm=71, baseline_bpm=68.2, pause_start_s=T0)
        rendered = message_book(settings).render(done, None, 0)
        assert rendered is not None
        assert rendered.full.title == "Back after 1440 min (24 hours)"
        assert rendered.full.summary == "Ready after 24 hours"
        both = message_book(settings, people=2).render(done, None, 0)
        assert both is not None
        assert both.full.title == "Both back after 24 hours"
        problem = _only_problem(path, '[messages]\nalert_title = "After {took_time}"\n')
        assert "{took_time} cannot be filled in here" in problem
