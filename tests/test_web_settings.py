"""The Settings page in a real browser over `flooding app`: a bad value shows `config check`'s
words beside its field and changes nothing; a good one is saved keeping the person's comments;
the what-if preview gives the same numbers as `flooding tune --all`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.app.web.message_preview import example_notices
from flooding.core.settings import MAX_TEXT_CHARS, MAX_TEXTS
from flooding.io.config_files.loading import default_settings, load_config
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import calm_talk, flooding, record

pytestmark = pytest.mark.slow

USER_FILE = (
    "# my own settings, with my comments\n[detection]\n# I run a bit hot\nabsolute_bpm = 105\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder with a hard talk (its alert marked a false alarm) and a calm one."""
    store = Store.open(tmp_path)
    try:
        hard = record(store, start_s=1_790_000_000.0)
        record(store, calm_talk(), start_s=1_790_090_000.0)
        alert = store.latest_alert(hard)
        assert alert is not None
        store.mark_false_alarm(hard, alert.id, alert.t_s + 30)
    finally:
        store.close()
    (tmp_path / "config.toml").write_text(USER_FILE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def app(folder: Path) -> Iterator[AppProcess]:
    """`flooding app` over the folder, with the person's own config file."""
    process = AppProcess(
        "app", "--no-browser", "--data-dir", str(folder), "--config", str(folder / "config.toml")
    )
    try:
        yield process
    finally:
        process.stop()


def settings_page(chromium: Any, app: AppProcess) -> Any:
    page = chromium.new_page()
    page.goto(app.link)
    page.goto(app.base + "/settings")
    return page


def setting(page: Any, key: str) -> Any:
    """The Settings form's field of a settings key (by its name, whatever its label says)."""
    return page.locator(f"[name='{key}']")


def save(page: Any) -> None:
    """Press Save (the one below the form)."""
    page.locator("#save-button").click()


def preview(page: Any) -> None:
    """Press Preview (the one below the form)."""
    page.locator("#preview-button").click()


def test_a_bad_value_shows_its_error_beside_the_field_and_changes_nothing(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """500 bpm is refused with `config check`'s words (the allowed range); the file is as it was."""
    page = settings_page(chromium, app)
    field = setting(page, "detection.absolute_bpm")
    assert field.input_value() == "105"
    field.fill("500")
    save(page)
    error = page.locator("#f-detection-absolute_bpm-error")
    assert "detection.absolute_bpm = 500" in error.inner_text()
    assert "a number from 60 to 220" in error.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def test_a_good_value_is_saved_keeping_the_comments(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A changed value lands in the person's file; their comments stay."""
    page = settings_page(chromium, app)
    setting(page, "detection.absolute_bpm").fill("110")
    save(page)
    page.wait_for_selector("text=Saved.")
    text = (folder / "config.toml").read_text(encoding="utf-8")
    assert "absolute_bpm = 110" in text
    assert "# I run a bit hot" in text
    assert "# my own settings, with my comments" in text
    assert "[messages]" not in text  # the texts the person left alone are not written
    assert load_config(folder / "config.toml").settings == default_settings().model_copy(
        update={"detection": default_settings().detection.model_copy(update={"absolute_bpm": 110})}
    )
    assert setting(page, "detection.absolute_bpm").input_value() == "110"


def test_a_language_saved_on_the_page_is_the_apps_at_once(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """German chosen and saved: the page that says so, and every page after, is German
    without starting the app again."""
    page = settings_page(chromium, app)
    page.get_by_label("Language", exact=True).select_option("de")
    save(page)
    page.wait_for_selector("text=Gespeichert.")
    assert 'language = "de"' in (folder / "config.toml").read_text(encoding="utf-8")
    page.goto(app.base + "/sessions")
    assert "Sitzungen" in page.inner_text("nav")


def test_a_mistake_in_the_file_is_shown_as_written_and_corrected_in_the_form(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A file the person broke while the app runs (5 break minutes, under the 10 allowed):
    the page says so, shows the 5 beside its problem and the app's own values elsewhere; a
    wrong correction keeps what was typed; a right one repairs the file, comments kept."""
    broken = USER_FILE + "[pause]\n# short breaks\nminutes = 5\n"
    (folder / "config.toml").write_text(broken, encoding="utf-8")
    page = settings_page(chromium, app)
    assert "has a mistake" in page.inner_text("#file-problem")
    minutes = setting(page, "pause.minutes")
    assert minutes.input_value() == "5"
    assert "pause.minutes = 5" in page.inner_text("#f-pause-minutes-error")
    assert setting(page, "detection.absolute_bpm").input_value() == "105"
    minutes.fill("7")
    setting(page, "detection.absolute_bpm").fill("104")
    save(page)
    assert "pause.minutes = 7" in page.inner_text("#f-pause-minutes-error")
    assert setting(page, "detection.absolute_bpm").input_value() == "104"  # kept
    assert (folder / "config.toml").read_text(encoding="utf-8") == broken
    setting(page, "pause.minutes").fill("25")
    save(page)
    page.wait_for_selector("text=Saved.")
    text = (folder / "config.toml").read_text(encoding="utf-8")
    assert "# short breaks" in text
    assert "minutes = 25\n" in text  # as typed, not 25.0
    settings = load_config(folder / "config.toml").settings
    assert (settings.pause.minutes, settings.detection.absolute_bpm) == (25, 104)


def test_a_mistake_no_field_can_fix_is_named_with_its_line(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A misspelt key in the file is named on the page with its line and `config check`'s
    words, said to be fixed in the file; a save names it again, not "a value below"."""
    broken = USER_FILE + "absolut_bpm = 90\n"
    (folder / "config.toml").write_text(broken, encoding="utf-8")
    page = settings_page(chromium, app)
    said = page.inner_text("#file-problem")
    assert "config.toml:5: detection.absolut_bpm = 90: unknown key" in said
    assert "fix this line in the file" in said
    assert "no field below can fix" in said
    assert "marked below" not in said
    setting(page, "pause.minutes").fill("25")
    save(page)
    said = page.inner_text("#file-problem")
    assert "detection.absolut_bpm" in said
    assert "needs a look" not in page.inner_text("body")
    assert (folder / "config.toml").read_text(encoding="utf-8") == broken


def test_a_folder_where_the_settings_file_belongs_is_named_and_a_save_is_refused(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """The settings file turned into a folder: the page says it is a folder, and a save is
    refused with those words, not an error inside the app."""
    (folder / "config.toml").unlink()
    (folder / "config.toml").mkdir()
    page = settings_page(chromium, app)
    assert "this is a folder, not a file" in page.inner_text("#file-problem")
    setting(page, "pause.minutes").fill("25")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        save(page)
    assert answer.value.status == 409
    assert "this is a folder, not a file" in page.inner_text("#file-problem")


def test_a_limit_never_reached_and_three_profiles_are_noted_on_the_page(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A fixed limit at or above the highest believed reading, and three paired profiles,
    are each named on the page as `config check` names them."""
    from tests.test_hints import THREE_PAIRED

    (folder / "config.toml").write_text(
        "[detection]\nabsolute_bpm = 200\nmax_plausible_bpm = 150\n" + THREE_PAIRED,
        encoding="utf-8",
    )
    page = settings_page(chromium, app)
    notes = page.inner_text("#settings-notes")
    assert "detection.absolute_bpm = 200 can never be reached" in notes
    assert "3 profiles are named in your settings file (anna, ben, Ben)" in notes


def test_the_what_if_numbers_are_flooding_tunes(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """The preview's counts equal `flooding tune --all --json` for the same change."""
    page = settings_page(chromium, app)
    setting(page, "detection.margin_bpm").fill("55")
    setting(page, "detection.rules").select_option("relative")
    with page.expect_navigation():
        preview(page)
    page.wait_for_selector("#preview")
    total = tuned(folder, 'detection.rules="relative"', "detection.margin_bpm=55")
    assert shown_preview(page) == expected_preview(total)
    assert page.inner_text("#preview-verdict") == total["verdict"]
    assert total["candidate_alerts"] < total["current_alerts"]  # the change matters here
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def test_the_what_if_follows_the_values_as_they_are_typed(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """Typing a value and choosing a rule shows tune's numbers without a press or a page
    load, beside the buttons too, and saves nothing."""
    page = settings_page(chromium, app)
    assert page.locator("#preview").is_hidden()
    setting(page, "detection.margin_bpm").fill("55")
    setting(page, "detection.rules").select_option("relative")
    total = tuned(folder, 'detection.rules="relative"', "detection.margin_bpm=55")
    page.wait_for_function(
        "text => document.getElementById('what-if-line').textContent === text", arg=total["verdict"]
    )
    assert page.locator("#preview").is_visible()
    assert shown_preview(page) == expected_preview(total)
    assert page.inner_text("#preview-verdict") == total["verdict"]
    changed = page.locator("#p-changes code").all_text_contents()
    assert sorted(changed) == ["detection.margin_bpm=55", 'detection.rules="relative"']
    assert page.url.endswith("/settings")  # no page load: the form was never sent
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def test_a_value_out_of_range_is_named_while_typing(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """500 bpm typed is answered with `config check`'s words beside the buttons, and no
    preview numbers are shown."""
    page = settings_page(chromium, app)
    setting(page, "detection.absolute_bpm").fill("500")
    line = page.locator("#what-if-line")
    line.filter(has_text="detection.absolute_bpm = 500").wait_for()
    assert "a number from 60 to 220" in line.inner_text()
    assert page.locator("#preview").is_hidden()
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def tuned(folder: Path, *changes: str) -> dict[str, Any]:
    """`flooding tune --all --json`'s totals for the folder with `changes` (KEY=VALUE)."""
    sets = [arg for change in changes for arg in ("--set", change)]
    config = str(folder / "config.toml")
    done = flooding("tune", "--all", "--json", "--data-dir", str(folder), "--config", config, *sets)
    assert done.returncode == 0, done.stderr
    total: dict[str, Any] = json.loads(done.stdout)["total"]
    return total


def shown_preview(page: Any) -> dict[str, str]:
    """The preview card's numbers as the page shows them."""
    names = ("sessions", "current", "candidate", "false", "missed", "added")
    return {name: page.text_content(f"#p-{name}") for name in names}


def expected_preview(total: dict[str, Any]) -> dict[str, str]:
    """The preview card's numbers for tune's totals."""
    return {
        "sessions": str(total["sessions"]),
        "current": str(total["current_alerts"]),
        "candidate": str(total["candidate_alerts"]),
        "false": f"{total['candidate_false']} of {total['current_false']}",
        "missed": str(total["missed"]),
        "added": str(total["added"]),
    }


def test_the_message_preview_renders_the_alert_as_the_notifier_would(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """The notification preview is the MessageBook's alert with example numbers and buttons."""
    page = settings_page(chromium, app)
    setting(page, "messages.alert_title").fill("Time out: {bpm}, calm is {baseline}")
    preview(page)
    page.wait_for_selector("#preview")
    shown = page.locator("#notice-1")
    assert shown.locator(".notice-title").inner_text() == "Time out: 118 bpm, calm is 72 bpm"
    expected = example_notices(load_config(folder / "config.toml").settings)[0]
    assert shown.locator(".notice-body").inner_text().strip() == expected.body.strip()
    for button in expected.buttons:
        assert button in shown.inner_text()


def test_a_changed_text_is_listed_with_its_own_letters(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A message text with umlauts and an emoji is listed among the preview's changes as
    typed (not as escape codes), and saving it writes it so."""
    page = settings_page(chromium, app)
    setting(page, "messages.alert_title").fill("Überflutet 🌊 {minutes}")
    preview(page)
    page.wait_for_selector("#preview")
    changed = page.locator("#p-changes code").all_text_contents()
    assert changed == ['messages.alert_title="Überflutet 🌊 {minutes}"']
    save(page)
    page.wait_for_selector("text=Saved.")
    saved = load_config(folder / "config.toml").settings.messages.alert_title
    assert saved == "Überflutet 🌊 {minutes}"


def test_the_preview_shows_what_the_lock_screen_shows_in_privacy_mode() -> None:
    """With the shipped (private) settings the preview shows the full words and then the
    neutral ones the desktop and its lock screen show; without privacy, the full ones only."""
    settings = default_settings()
    names = [n.name for n in example_notices(settings)]
    assert names == [
        "The alert (in the app and the terminal)",
        "Ready to return (in the app and the terminal)",
        "The alert on the desktop and the lock screen",
        "Ready to return on the desktop and the lock screen",
    ]
    on_lock_screen = example_notices(settings)[2]
    assert "bpm" not in on_lock_screen.title + on_lock_screen.body
    open_settings = settings.model_copy(
        update={"notify": settings.notify.model_copy(update={"privacy": False})}
    )
    assert [n.name for n in example_notices(open_settings)] == ["The alert", "Ready to return"]


def test_an_unknown_placeholder_is_refused_beside_its_field(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """{nope} in the alert title shows `config check`'s words beside it; the file is as it was."""
    page = settings_page(chromium, app)
    setting(page, "messages.alert_title").fill("Hi {nope}")
    save(page)
    error = page.locator("#f-messages-alert_title-error")
    assert "{nope} cannot be filled in here" in error.inner_text()
    assert "allowed here: {bpm}" in error.inner_text()
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def test_a_changed_message_list_is_saved_keeping_the_comments(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """Re-entry lines typed one a line land in the person's file as a list; comments stay."""
    page = settings_page(chromium, app)
    setting(page, "messages.reentry_lines").fill("Shall we start again?\nWhat did you mean?")
    save(page)
    page.wait_for_selector("text=Saved.")
    text = (folder / "config.toml").read_text(encoding="utf-8")
    assert "# I run a bit hot" in text
    assert 'reentry_lines = ["Shall we start again?", "What did you mean?"]' in text
    assert page.locator("#notice-2 .notice-body").inner_text().count("Shall we start again?") == 1


def test_a_huge_text_pasted_stops_at_the_limit_and_the_form_still_saves(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A text pasted into a message field far past the app's body limit stops at the most
    characters a message text may have, and Save keeps it (no refusal that loses the form)."""
    page = settings_page(chromium, app)
    field = setting(page, "messages.alert_body")
    assert field.get_attribute("maxlength") == str(MAX_TEXT_CHARS)
    field.fill("")
    field.focus()
    pasted = "Breathe slowly. " * 5_000  # 80,000 characters
    page.keyboard.insert_text(pasted)
    assert field.input_value() == pasted[:MAX_TEXT_CHARS]
    save(page)
    page.wait_for_selector("text=Saved.", timeout=10_000)
    saved = load_config(folder / "config.toml").settings.messages.alert_body
    assert saved == pasted[:MAX_TEXT_CHARS].rstrip()


def test_texts_over_the_limit_sent_anyway_are_refused_beside_their_fields(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A text over the most characters, a list holding one, and a list of more texts than
    it may hold (sent by a page without the limits) are each refused beside their field
    with `config check`'s words, the limit named; the file is as it was."""
    page = settings_page(chromium, app)
    long = "x" * (MAX_TEXT_CHARS + 1)
    values = {
        "messages.alert_body": long,
        "messages.suggestions": f"Breathe\n{long}",
        "messages.reentry_lines": "\n".join(["Hello"] * (MAX_TEXTS + 1)),
    }
    for key, value in values.items():
        setting(page, key).evaluate(
            "(field, value) => { field.removeAttribute('maxlength'); field.value = value; }",
            value,
        )
    save(page)
    body = page.locator("#f-messages-alert_body-error").inner_text()
    assert "messages.alert_body = 'xxx" in body
    assert (
        f"{MAX_TEXT_CHARS + 1} characters: a message text can have at most {MAX_TEXT_CHARS}" in body
    )
    assert "shorten it" in body
    item = page.locator("#f-messages-suggestions-error").inner_text()
    assert "messages.suggestions.1 = 'xxx" in item
    assert f"can have at most {MAX_TEXT_CHARS}" in item
    many = page.locator("#f-messages-reentry_lines-error").inner_text()
    assert f"{MAX_TEXTS + 1} texts: this list can have at most {MAX_TEXTS}; leave out 1" in many
    assert (folder / "config.toml").read_text(encoding="utf-8") == USER_FILE


def test_the_command_lines_language_is_shown_and_kept_by_a_save(
    chromium: Any, folder: Path
) -> None:
    """Under `flooding --lang de app` with a file that names no language, the page shows
    German selected (named in its own name, said to come from the command line) and German
    notification texts; saving another value writes only that value and every page after
    stays German."""
    config = folder / "config.toml"
    app = AppProcess(
        "--lang", "de", "app", "--no-browser", "--data-dir", str(folder), "--config", str(config)
    )
    try:
        page = settings_page(chromium, app)
        language = page.get_by_label("Sprache", exact=True)
        assert language.input_value() == "de"
        assert sorted(language.locator("option").all_text_contents()) == ["Deutsch", "English"]
        assert "Befehlszeile" in page.inner_text("#f-language-source")
        assert page.locator("#f-detection-absolute_bpm-source").count() == 0
        title = page.get_by_label("Hinweis: Titel", exact=True)
        assert title.input_value() == "Du bist überflutet — Zeit für {break_time} Pause"
        assert "überflutet" in page.inner_text("#notice-1 .notice-title")
        page.get_by_label("feste Grenze", exact=True).fill("101")
        save(page)
        page.wait_for_selector("text=Gespeichert.")
        assert page.locator("html").get_attribute("lang") == "de"
        assert config.read_text(encoding="utf-8") == USER_FILE.replace("105", "101")
        page.goto(app.base + "/sessions")
        assert page.locator("html").get_attribute("lang") == "de"
        assert "Sitzungen" in page.inner_text("nav")
    finally:
        app.stop()


def test_values_the_command_line_and_the_environment_set_are_named_not_saved(
    chromium: Any, folder: Path
) -> None:
    """`--set pause.minutes=30` and FLOODING_DETECTION__MARGIN_BPM=15 are shown in effect,
    each said to come from where it does; saving another value leaves both out of the file;
    a value the person saves over the command line's is theirs on the page from then on."""
    config = folder / "config.toml"
    app = AppProcess(
        "app",
        "--no-browser",
        "--data-dir",
        str(folder),
        "--config",
        str(config),
        "--set",
        "pause.minutes=30",
        env={"FLOODING_DETECTION__MARGIN_BPM": "15"},
    )
    try:
        page = settings_page(chromium, app)
        assert setting(page, "pause.minutes").input_value() == "30"
        assert "command line" in page.inner_text("#f-pause-minutes-source")
        assert setting(page, "detection.margin_bpm").input_value() == "15"
        source = page.inner_text("#f-detection-margin_bpm-source")
        assert "environment variable FLOODING_DETECTION__MARGIN_BPM" in source
        assert page.locator("#f-detection-absolute_bpm-source").count() == 0
        setting(page, "detection.absolute_bpm").fill("101")
        save(page)
        page.wait_for_selector("text=Saved.")
        assert config.read_text(encoding="utf-8") == USER_FILE.replace("105", "101")
        assert setting(page, "pause.minutes").input_value() == "30"
        setting(page, "pause.minutes").fill("40")
        save(page)
        page.wait_for_selector("text=Saved.")
        assert load_config(config, env={}).settings.pause.minutes == 40
        assert setting(page, "pause.minutes").input_value() == "40"
        assert page.locator("#f-pause-minutes-source").count() == 0
    finally:
        app.stop()


def test_the_agreements_break_saved_under_the_command_lines_language_stays_in_it(
    chromium: Any, folder: Path
) -> None:
    """Under `flooding --lang de app`, a new break length saved on Before a talk is written
    alone, and the app stays German."""
    config = folder / "config.toml"
    app = AppProcess(
        "--lang", "de", "app", "--no-browser", "--data-dir", str(folder), "--config", str(config)
    )
    try:
        page = chromium.new_page()
        page.goto(app.link)
        page.goto(app.base + "/agreement")
        page.get_by_label("Unser Zeichenwort für eine Pause").fill("Ananas")
        page.get_by_label("Wie lange die Pause dauert (Minuten)").fill("30")
        page.get_by_role("button", name="Unsere Vereinbarung speichern").click()
        page.wait_for_selector("text=Gespeichert.")
        assert page.locator("html").get_attribute("lang") == "de"
        assert "language" not in config.read_text(encoding="utf-8")
        assert load_config(config, env={}).settings.pause.minutes == 30
    finally:
        app.stop()


@pytest.fixture
def german_app(folder: Path) -> Iterator[AppProcess]:
    """`flooding app` over the folder, with a config file that says German."""
    config = folder / "config.toml"
    config.write_text('language = "de"\n' + USER_FILE, encoding="utf-8")
    process = AppProcess("app", "--no-browser", "--data-dir", str(folder), "--config", str(config))
    try:
        yield process
    finally:
        process.stop()


def test_german_numbers_take_and_show_a_decimal_comma(
    chromium: Any, german_app: AppProcess, folder: Path
) -> None:
    """On the German page a fraction is shown with a comma, its range is worded "von ... bis"
    with commas, and 0,45 typed is saved as 0.45 and shown again as 0,45."""
    page = settings_page(chromium, german_app)
    field = page.get_by_label("Anteil Einatmen", exact=True)
    assert field.input_value() == "0,4"
    assert "eine Zahl von 0,25 bis 0,6" in page.inner_text("#f-pause-inhale_fraction-help")
    assert "eine Zahl von 60 bis 220" in page.inner_text("#f-detection-absolute_bpm-help")
    field.fill("0,45")
    save(page)
    page.wait_for_selector("text=Gespeichert.")
    assert load_config(folder / "config.toml", env={}).settings.pause.inhale_fraction == 0.45
    assert "inhale_fraction = 0.45" in (folder / "config.toml").read_text(encoding="utf-8")
    assert page.get_by_label("Anteil Einatmen", exact=True).input_value() == "0,45"


def test_english_ranges_read_from_to(chromium: Any, app: AppProcess) -> None:
    """The English page words a range "a number from 0.25 to 0.6", and names the general
    settings and the languages in words."""
    page = settings_page(chromium, app)
    assert "a number from 0.25 to 0.6" in page.inner_text("#f-pause-inhale_fraction-help")
    assert page.get_by_label("Anteil Einatmen", exact=True).count() == 0
    assert page.get_by_label("Mode", exact=True).count() == 1
    options = page.get_by_label("Language", exact=True).locator("option")
    assert sorted(options.all_text_contents()) == ["Deutsch", "English"]


def test_the_english_labels_are_plain_words_with_the_unit_and_the_key_beside(
    chromium: Any, app: AppProcess
) -> None:
    """Each English field is named in words with its unit, not by its settings key, and the
    key stays shown beside it, to find it in the file."""
    page = settings_page(chromium, app)
    limit = page.get_by_role(
        "textbox", name="Heart rate that always counts as flooded (beats per minute)"
    )
    assert limit.get_attribute("name") == "detection.absolute_bpm"
    wait = page.get_by_role(
        "textbox", name="How long the heart must stay high before an alert (seconds)"
    )
    assert wait.get_attribute("name") == "detection.confirm_s"
    assert (
        page.inner_text("#f-detection-absolute_bpm-key")
        == "In your settings file: detection.absolute_bpm"
    )
    for field in page.locator("form[action='/settings'] [name*='.']").all():
        key = field.get_attribute("name")
        label = page.locator(f"label[for='{field.get_attribute('id')}']").inner_text().strip()
        words = key.rpartition(".")[2].replace("_", " ")
        assert label.lower() != words, key  # not the key's own name
        assert "_" not in label, key
        for short, unit in (
            ("_bpm", "(beats per minute)"),
            ("_s", "(seconds)"),
            ("minutes", "(minutes)"),
        ):
            if key.endswith(short):
                assert label.endswith(unit), key


def test_a_refused_value_is_linked_from_the_summary_that_gets_the_focus(
    chromium: Any, app: AppProcess
) -> None:
    """After a refused Save the summary has the focus and names the value as a link; the link
    takes the focus to the field."""
    page = settings_page(chromium, app)
    setting(page, "detection.absolute_bpm").fill("5000")
    save(page)
    page.wait_for_selector("#form-error")
    assert page.evaluate("document.activeElement.id") == "form-error"
    link = page.locator("#form-error a")
    assert link.count() == 1
    assert link.get_attribute("href") == "#f-detection-absolute_bpm"
    assert link.inner_text().startswith(
        "Heart rate that always counts as flooded (beats per minute): detection.absolute_bpm = 5000"
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-detection-absolute_bpm"


def test_a_wrong_choice_in_the_file_marks_its_list_invalid(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A choice the file has wrong is linked from the focused summary, and its list says it
    is invalid and is described by its problem, as a typed field is."""
    (folder / "config.toml").write_text(USER_FILE + 'rules = "sometimes"\n', encoding="utf-8")
    page = settings_page(chromium, app)
    assert page.evaluate("document.activeElement.id") == "file-problem"
    assert page.locator("#file-problem a").get_attribute("href") == "#f-detection-rules"
    rules = setting(page, "detection.rules")
    assert rules.get_attribute("aria-invalid") == "true"
    described = (rules.get_attribute("aria-describedby") or "").split()
    assert "f-detection-rules-error" in described
    assert "sometimes" in page.inner_text("#f-detection-rules-error")


def test_save_is_a_tab_away_from_the_first_setting(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """From the first setting, one Shift+Tab reaches a Save button; Enter on it saves."""
    page = settings_page(chromium, app)
    setting(page, "detection.absolute_bpm").fill("101")
    page.get_by_label("Mode", exact=True).focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved.")
    assert "absolute_bpm = 101" in (folder / "config.toml").read_text(encoding="utf-8")


def test_a_long_settings_path_wraps_on_a_narrow_screen(chromium: Any, tmp_path: Path) -> None:
    """At 320 px the page does not scroll sideways, however long the settings file's path."""
    deep = tmp_path / ("afolderwitharatherlongnameandnoplacetobreak" * 3)
    deep.mkdir()
    config = deep / "config.toml"
    config.write_text(USER_FILE, encoding="utf-8")
    app = AppProcess("app", "--no-browser", "--data-dir", str(deep), "--config", str(config))
    try:
        page = chromium.new_page(viewport={"width": 320, "height": 640})
        page.goto(app.link)
        page.goto(app.base + "/settings")
        assert str(config) in page.inner_text("form[action='/settings']")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        app.stop()
