"""Before a talk, Progress and Strap in a real browser over `flooding app`: the agreement is
checked, kept owner-only and shown; progress names small steps without blame; the emulated strap
is found and paired into the person's file."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.app.agreement import FILE_NAME, Agreement, earlier_break_minutes, load, save
from flooding.io.config_files.loading import load_config
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import calm_talk, record

pytestmark = pytest.mark.slow

DAY_S = 86_400.0


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A hard talk, then three calm ones on the following days."""
    store = Store.open(tmp_path)
    try:
        record(store, start_s=1_790_000_000.0)
        for day in (1, 2, 3):
            record(store, calm_talk(), start_s=1_790_000_000.0 + day * DAY_S)
    finally:
        store.close()
    (tmp_path / "c.toml").write_text("# mine\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def app(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppProcess]:
    """`flooding app` with an emulated strap in range (for the Strap page)."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "1")
    process = AppProcess(
        "app", "--no-browser", "--data-dir", str(folder), "--config", str(folder / "c.toml")
    )
    try:
        yield process
    finally:
        process.stop()


def open_page(chromium: Any, app: AppProcess, path: str) -> Any:
    page = chromium.new_page()
    page.goto(app.link)
    page.goto(app.base + path)
    return page


def test_the_agreement_is_checked_kept_private_and_shown(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A too-short break is refused with the reason; the saved agreement is owner-only and shown."""
    page = open_page(chromium, app, "/agreement")
    page.get_by_label("Our signal word for a break").fill("pineapple")
    page.get_by_label("How long the break lasts (minutes)").fill("5")
    page.get_by_role("button", name="Save our agreement").click()
    assert "at least 20" in page.inner_text("#a-break_minutes-error")
    assert not (folder / FILE_NAME).exists()
    page.get_by_label("How long the break lasts (minutes)").fill("30")
    page.get_by_label("Where the first of us goes").fill("a walk round the block")
    page.get_by_role("button", name="Save our agreement").click()
    page.wait_for_selector("text=Saved.")
    assert page.inner_text("#a-signal") == "“pineapple”"
    assert "at least 30 minutes" in page.inner_text(".agreement")
    assert "a walk round the block" in page.inner_text(".agreement")
    assert stat.S_IMODE((folder / FILE_NAME).stat().st_mode) == 0o600


def refused_agreement_reaches_its_fields(page: Any, labels: tuple[str, str], save: str) -> None:
    """Send the agreement with no signal word and a 5-minute break; its summary has the focus
    and links each problem to its field (label first), which Tab and Enter reach and which
    says it is invalid and is described by its problem."""
    page.locator("#a-signal").fill("")
    page.locator("#a-break_minutes").fill("5")
    page.get_by_role("button", name=save).click()
    page.wait_for_selector("#form-error")
    assert page.evaluate("document.activeElement.id") == "form-error"
    links = page.locator("#form-error a")
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        "#a-signal",
        "#a-break_minutes",
    ]
    assert links.nth(0).inner_text().startswith(labels[0] + ": ")
    assert links.nth(1).inner_text().startswith(labels[1] + ": ")
    for key in ("signal", "break_minutes"):
        field = page.locator(f"#a-{key}")
        assert field.get_attribute("aria-invalid") == "true"
        assert f"a-{key}-error" in (field.get_attribute("aria-describedby") or "").split()
    assert page.locator("#a-where_first").get_attribute("aria-invalid") is None
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "a-break_minutes"
    page.keyboard.press("Shift+Tab")  # back from the field to the one before
    assert page.evaluate("document.activeElement.id") == "a-signal"


def test_a_refused_agreement_links_each_problem_to_its_field(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A refused agreement's summary has the focus and each problem in it is a link that
    takes the keyboard to its field, which is marked invalid and described by the problem."""
    page = open_page(chromium, app, "/agreement")
    labels = ("Our signal word for a break", "How long the break lasts (minutes)")
    refused_agreement_reaches_its_fields(page, labels, "Save our agreement")
    assert not (folder / FILE_NAME).exists()


def test_a_refused_agreement_links_each_problem_to_its_field_in_german(
    chromium: Any, folder: Path
) -> None:
    """In German too, the refused agreement's summary links each problem to its field."""
    config = folder / "c.toml"
    app = AppProcess(
        "--lang", "de", "app", "--no-browser", "--data-dir", str(folder), "--config", str(config)
    )
    try:
        page = open_page(chromium, app, "/agreement")
        labels = ("Unser Zeichenwort für eine Pause", "Wie lange die Pause dauert (Minuten)")
        refused_agreement_reaches_its_fields(page, labels, "Unsere Vereinbarung speichern")
    finally:
        app.stop()


def test_the_agreements_break_length_is_the_setting_the_alerts_use(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """The break length shown is `pause.minutes` from the person's file; saving it unchanged
    leaves the file alone, saving another writes it there (comments kept, a whole number as
    typed), says what the alerts now suggest, and agreement.json keeps no copy of it; the
    Settings page shows the same value and says it is the agreement's."""
    config = folder / "c.toml"
    config.write_text("# mine\n[pause]\n# ours\nminutes = 25\n", encoding="utf-8")
    page = open_page(chromium, app, "/agreement")
    length = page.get_by_label("How long the break lasts (minutes)")
    assert length.input_value() == "25"
    page.get_by_label("Our signal word for a break").fill("pineapple")
    page.get_by_role("button", name="Save our agreement").click()
    page.wait_for_selector("text=Saved. Read it together")
    assert "at least 25 minutes" in page.inner_text(".agreement")
    assert config.read_text(encoding="utf-8") == "# mine\n[pause]\n# ours\nminutes = 25\n"

    page.get_by_role("link", name="Change it").click()
    length.fill("30")
    page.get_by_role("button", name="Save our agreement").click()
    said = page.inner_text("[role=status]")
    assert said.startswith("Saved. Alerts suggest a break of 30 minutes from now on;")
    assert "at least 30 minutes" in page.inner_text(".agreement")
    assert config.read_text(encoding="utf-8") == "# mine\n[pause]\n# ours\nminutes = 30\n"
    assert load_config(config).settings.pause.minutes == 30
    assert "break_minutes" not in json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
    page.goto(app.base + "/settings")
    assert page.locator("[name='pause.minutes']").input_value() == "30"
    assert "also the break length of your agreement" in page.inner_text("#f-pause-minutes-help")


def test_an_earlier_agreements_own_break_length_is_named_not_used(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """An agreement.json from before, with its own 90 minutes while the alerts use 20, still
    loads; the page shows the 20 in effect and names the 90 once, each in the words the
    alerts say a break's length in, writing nothing; saving the agreement with 30 makes it
    the one length and the notice goes."""
    kept = {"signal": "pineapple", "break_minutes": 90.0, "where_first": "the garden"}
    (folder / FILE_NAME).write_text(json.dumps(kept), encoding="utf-8")
    config = folder / "c.toml"
    page = open_page(chromium, app, "/agreement")
    assert page.inner_text("#a-signal") == "“pineapple”"
    assert "at least 20 minutes" in page.inner_text(".agreement")
    assert page.inner_text("#earlier-break") == (
        "Your agreement once said a break of 1 hour and 30 minutes, while the alerts suggested "
        "20 minutes. Now "
        "they use one length, the one shown here: save the agreement with the length you "
        "both want."
    )
    assert config.read_text(encoding="utf-8") == "# mine\n"
    assert json.loads((folder / FILE_NAME).read_text(encoding="utf-8")) == kept

    page.get_by_role("link", name="Change it").click()
    length = page.get_by_label("How long the break lasts (minutes)")
    assert length.input_value() == "20"
    length.fill("30")
    page.get_by_role("button", name="Save our agreement").click()
    page.wait_for_selector("text=Alerts suggest a break of 30 minutes")
    assert page.locator("#earlier-break").count() == 0
    assert "the garden" in page.inner_text(".agreement")
    assert load_config(config).settings.pause.minutes == 30
    assert "break_minutes" not in json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))


def test_a_settings_file_with_a_mistake_refuses_a_new_break_length_only(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """While the person's settings file has a mistake, a new break length is refused with the
    whole agreement (409, as the Settings page answers), naming the mistake beside the field
    and where to fix it; the same break length saves the agreement as ever."""
    config = folder / "c.toml"
    broken = "# mine\n[detection]\nabsolute_bpm = 500\n"
    config.write_text(broken, encoding="utf-8")  # broken while the app runs
    page = open_page(chromium, app, "/agreement")
    page.get_by_label("Our signal word for a break").fill("pineapple")
    page.get_by_label("How long the break lasts (minutes)").fill("30")
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Save our agreement").click()
    assert answer.value.status == 409
    error = page.inner_text("#a-break_minutes-error")
    assert error.startswith("Your settings file has a mistake, so the break length cannot")
    assert "detection.absolute_bpm = 500" in error
    assert "Fix it on the Settings page" in error
    assert page.get_by_label("Our signal word for a break").input_value() == "pineapple"
    assert not (folder / FILE_NAME).exists()
    assert config.read_text(encoding="utf-8") == broken

    page.get_by_label("How long the break lasts (minutes)").fill("20")
    page.get_by_role("button", name="Save our agreement").click()
    page.wait_for_selector("text=Saved. Read it together")
    assert page.inner_text("#a-signal") == "“pineapple”"
    assert config.read_text(encoding="utf-8") == broken


def test_a_field_the_form_does_not_hold_keeps_its_value(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A form without some fields changes only those it holds: the others, the break length
    too, keep their values; a field sent empty is emptied."""
    page = open_page(chromium, app, "/agreement")
    page.get_by_label("Our signal word for a break").fill("pineapple")
    page.get_by_label("Where the first of us goes").fill("the garden")
    page.get_by_label("Where the second of us goes").fill("the kitchen")
    page.get_by_role("button", name="Save our agreement").click()
    page.wait_for_selector("text=Saved.")
    before = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
    response = page.request.post(
        f"{app.base}/agreement",
        form={"signal": "time-out", "where_second": ""},
        headers={"Origin": app.base},
        max_redirects=0,
    )
    assert response.status == 303
    after = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
    assert after == {**before, "signal": "time-out", "where_second": ""}
    assert after["where_first"] == "the garden"
    assert (folder / "c.toml").read_text(encoding="utf-8") == "# mine\n"


def test_an_agreement_saved_to_a_missing_folder_makes_it_owner_only(tmp_path: Path) -> None:
    """Saving the agreement into a folder that does not exist yet makes that folder (and its
    missing parents) readable by the owner only, whatever the umask."""
    folder = tmp_path / "data" / "flooding"
    old_umask = os.umask(0)
    try:
        save(folder, Agreement(signal="pause"))
    finally:
        os.umask(old_umask)
    for made in (folder, folder.parent):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made
    assert stat.S_IMODE((folder / FILE_NAME).stat().st_mode) == 0o600


def test_an_agreement_file_that_is_no_table_shows_a_blank_one(tmp_path: Path) -> None:
    """An agreement.json holding JSON that is not a table of fields loads as a blank
    agreement (no earlier break length), as an unreadable one does."""
    (tmp_path / FILE_NAME).write_text("[1, 2]", encoding="utf-8")
    assert load(tmp_path) == Agreement()
    assert earlier_break_minutes(tmp_path) is None


def test_progress_names_the_calm_streak_and_the_return(chromium: Any, app: AppProcess) -> None:
    """Three calm talks after a flooded one are named as a streak; the return is counted."""
    page = open_page(chromium, app, "/progress")
    steps = page.inner_text("#milestones")
    assert "3 talks in a row without flooding." in steps
    assert "You came back to the talk after a break once." in steps
    text = page.inner_text("main").lower()
    for blaming in ("fail", "worse", "bad", "should"):
        assert blaming not in text


def test_the_strap_page_finds_and_pairs_the_strap(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A scan lists the emulated strap; pairing writes `flooding pair`'s keys; unpair clears."""
    page = open_page(chromium, app, "/strap")
    assert "No strap paired yet" in page.inner_text("#paired")
    page.get_by_role("button", name="Look for straps nearby").click()
    page.get_by_role("button", name="Pair this one").first.click()
    page.wait_for_selector("text=Paired.")
    text = (folder / "c.toml").read_text(encoding="utf-8")
    assert 'address = "C0:FF:EE:00:00:01"' in text
    assert "C0:FF:EE:00:00:01" in page.inner_text("#paired")
    page.get_by_role("button", name="Unpair this strap").click()
    page.wait_for_selector("text=Unpaired.")
    assert 'address = ""' in (folder / "c.toml").read_text(encoding="utf-8")


def test_two_straps_of_one_name_are_told_apart_on_the_strap_page(
    chromium: Any, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two straps in range with the same name are listed with their addresses and a hint to
    look again away from the other one, and the paired one is marked as paired."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "twin")
    (folder / "c.toml").write_text(
        '[strap]\naddress = "C0:FF:EE:00:00:99"\nname = "Polar H10 E1A2B3C4"\n', encoding="utf-8"
    )
    process = AppProcess(
        "app", "--no-browser", "--data-dir", str(folder), "--config", str(folder / "c.toml")
    )
    try:
        page = open_page(chromium, process, "/strap")
        page.get_by_role("button", name="Look for straps nearby").click()
        page.wait_for_selector(".straps li")
        rows = [page.inner_text(f".straps li >> nth={i}") for i in range(2)]
        assert any("C0:FF:EE:00:00:01" in row and "paired" not in row for row in rows)
        assert any("C0:FF:EE:00:00:99" in row and ", paired now" in row for row in rows)
        hint = page.inner_text("#twins-1")
        assert "Several straps nearby are called Polar H10 E1A2B3C4" in hint
    finally:
        process.stop()


def test_couple_mode_pairs_and_unpairs_a_strap_per_profile(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """A strap paired for a named partner lands in `[profiles.NAME]` as `flooding pair --as`
    writes it; the same strap is refused for the other partner; unpair clears only that one."""
    page = open_page(chromium, app, "/strap")
    page.get_by_role("button", name="Look for straps nearby").click()
    page.get_by_label("or for a partner named").first.fill("Sam")
    page.get_by_role("button", name="Pair for this name").first.click()
    page.wait_for_selector("text=Paired.")
    saved = tomllib.loads((folder / "c.toml").read_text(encoding="utf-8"))
    assert saved["profiles"]["Sam"]["strap"]["address"] == "C0:FF:EE:00:00:01"
    assert "strap" not in saved or not saved["strap"].get("address")
    assert "C0:FF:EE:00:00:01" in page.inner_text("#profiles")
    assert (folder / "c.toml").read_text(encoding="utf-8").startswith("# mine\n")

    page.get_by_role("button", name="Look for straps nearby").click()
    page.get_by_label("or for a partner named").first.fill("Alex")
    page.get_by_role("button", name="Pair for this name").first.click()
    assert "already paired to 'Sam'" in page.inner_text("[role=alert]")
    assert "Alex" not in tomllib.loads((folder / "c.toml").read_text(encoding="utf-8"))["profiles"]

    page.get_by_role("button", name="Unpair Sam\u2019s strap").click()
    page.wait_for_selector("text=Unpaired.")
    saved = tomllib.loads((folder / "c.toml").read_text(encoding="utf-8"))
    assert saved["profiles"]["Sam"]["strap"]["address"] == ""
    assert "not paired yet" in page.inner_text("#profiles")


def test_a_config_file_that_cannot_be_written_is_said_on_the_strap_page(
    chromium: Any, app: AppProcess, folder: Path
) -> None:
    """Pairing into a config file that cannot be written (here a folder stands where the file
    was) says so on the page, naming the file and what to do, instead of a server error."""
    config = folder / "c.toml"
    config.unlink()
    config.mkdir()
    page = open_page(chromium, app, "/strap")
    for form in ({"address": "C0:FF:EE:00:00:01", "name": "Polar H10"}, {"unpair": "yes"}):
        response = page.request.post(
            f"{app.base}/strap/pair", form=form, headers={"Origin": app.base}
        )
        assert response.status == 200, form
        text = response.text()
        assert f"cannot write {config}" in text, form
        assert "--config FILE" in text, form
    assert config.is_dir()
    assert not any(config.iterdir())
