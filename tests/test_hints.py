"""Hints that work: what scan, pair and monitor say when they stop, recording a strap ahead of
time without the radio, and the service's hint when no strap is paired."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from flooding.app.readiness import pairing_problems, problem_message
from flooding.io.config_files.loading import default_settings, load_config
from tests.session_factory import flooding

NO_BLUETOOTH = {  # a system bus that is not there: Bluetooth cannot be used at all
    "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/flooding-test-bus",
    "FLOODING_EMULATED_STRAP": "",
}


class TestBluetoothOff:
    @pytest.mark.parametrize("command", [["scan"], ["pair", "--as", "Alex"], ["monitor"]])
    def test_a_command_that_stops_says_to_run_it_again(
        self, command: list[str], tmp_path: Path
    ) -> None:
        """With Bluetooth unusable, scan, pair and monitor end saying to run them again once
        it is on, never that the strap "connects by itself"."""
        config = tmp_path / "me.toml"
        config.write_text("[pause]\nminutes = 25\n", encoding="utf-8")
        extra = [] if command == ["scan"] else ["--config", str(config)]
        if command == ["monitor"]:
            extra += ["--data-dir", str(tmp_path / "data")]
        result = flooding(*command, "--timeout", "0.5", *extra, env=NO_BLUETOOTH)
        assert result.returncode == 1, result.stderr
        said = " ".join(result.stderr.split())
        assert "connects by itself" not in said
        assert f"flooding {command[0]}" in said
        assert "again" in said
        if command != ["scan"]:
            assert f"--config {config}" in said  # the hint reaches the same file
            assert "--no-scan" in said  # and the way to record the strap without the radio
        if command == ["monitor"]:
            assert f"--data-dir {tmp_path / 'data'}" in said

    def test_pair_by_name_offers_to_record_by_address_not_by_that_name(
        self, tmp_path: Path
    ) -> None:
        """`pair Polar` with Bluetooth off offers `--no-scan` with an ADDRESS (a name cannot be
        recorded so) and says where the address is shown; `pair ADDRESS` offers its own."""
        config = tmp_path / "me.toml"
        by_name = flooding(
            "pair", "Polar", "--timeout", "0.5", "--config", str(config), env=NO_BLUETOOTH
        )
        said = " ".join(by_name.stderr.split())
        assert by_name.returncode == 1, by_name.stderr
        assert "pair Polar --no-scan" not in said
        assert f"pair ADDRESS --config {config} --no-scan" in said
        assert "by its address (not its name)" in said
        assert "scan` shows beside the name" in said
        address = "C0:FF:EE:00:00:01"
        by_address = flooding(
            "pair", address, "--timeout", "0.5", "--config", str(config), env=NO_BLUETOOTH
        )
        assert f"pair {address} --config {config} --no-scan" in " ".join(by_address.stderr.split())


class TestPairWithoutScanning:
    def test_records_a_profiles_strap_ahead_of_time(self, tmp_path: Path) -> None:
        """`pair ADDRESS --as NAME --no-scan` saves the profile's strap with no radio at all."""
        config = tmp_path / "me.toml"
        result = flooding(
            "pair",
            "C0:FF:EE:00:00:07",
            "--as",
            "Alex",
            "--no-scan",
            "--config",
            str(config),
            env=NO_BLUETOOTH,
        )
        assert result.returncode == 0, result.stderr
        saved = tomllib.loads(config.read_text(encoding="utf-8"))
        assert saved["profiles"]["Alex"]["strap"]["address"] == "C0:FF:EE:00:00:07"
        assert "Paired Alex" in result.stdout

    @pytest.mark.parametrize("address", ["C0:FF:EE", "Polar H10", "C0:FF:EE:00:00:0G"])
    def test_refuses_what_is_not_an_address(self, address: str, tmp_path: Path) -> None:
        """A value that is not a Bluetooth address is refused with an example; nothing written."""
        config = tmp_path / "me.toml"
        result = flooding("pair", address, "--no-scan", "--config", str(config))
        assert result.returncode == 2
        assert "is not a Bluetooth address" in result.stderr
        assert "C0:FF:EE:00:00:01" in result.stderr
        assert not config.exists()

    def test_accepts_a_mac_style_address(self, tmp_path: Path) -> None:
        """A macOS strap address (a UUID) can be recorded too."""
        config = tmp_path / "me.toml"
        uuid = "12345678-1234-1234-1234-123456789ABC"
        result = flooding("pair", uuid, "--no-scan", "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert tomllib.loads(config.read_text(encoding="utf-8"))["strap"]["address"] == uuid


class TestNoStrapPaired:
    def test_config_check_names_the_missing_pairing(self, tmp_path: Path) -> None:
        """`config check` on a valid file without a strap says the strap is not paired yet."""
        config = tmp_path / "me.toml"
        config.write_text("[pause]\nminutes = 25\n", encoding="utf-8")
        result = flooding("config", "check", str(config))
        assert result.returncode == 0
        assert "No strap is paired yet" in result.stdout
        assert "pair" in result.stdout

    def test_the_services_message_does_not_send_to_config_check(self) -> None:
        """The service's desktop message for a missing pairing points to `pair`, not to
        `config check` (which finds nothing wrong)."""
        problems = pairing_problems(default_settings(), "flooding")
        body = problem_message(problems, "flooding").body
        assert "flooding pair" in body
        assert "config check" not in body


THREE_PAIRED = "".join(
    f'[profiles.{name}.strap]\naddress = "C0:FF:EE:00:00:0{n}"\n'
    for n, name in enumerate(("anna", "ben", "Ben"), start=1)
)


class TestThreeProfiles:
    def test_config_check_names_the_three_profiles_not_a_missing_pairing(
        self, tmp_path: Path
    ) -> None:
        """Three paired profiles: `config check` fails naming them and that couple mode needs
        two, and never says no strap is paired."""
        config = tmp_path / "me.toml"
        config.write_text(THREE_PAIRED, encoding="utf-8")
        result = flooding("config", "check", str(config))
        assert result.returncode == 1
        assert "3 profiles are named in your settings file (anna, ben, Ben)" in result.stdout
        assert "couple mode needs exactly two" in result.stdout
        assert "No strap is paired" not in result.stdout

    def test_the_services_reason_names_the_three_profiles(self, tmp_path: Path) -> None:
        """The service's reason for not watching names the three profiles, not pairing."""
        config = tmp_path / "me.toml"
        config.write_text(THREE_PAIRED, encoding="utf-8")
        [problem] = pairing_problems(load_config(config).settings, "flooding")
        assert problem.startswith("3 profiles are named in your settings file (anna, ben, Ben)")
        assert "flooding config edit" in problem
        assert "No strap is paired" not in problem


class TestHintsKeepTheDataFolder:
    def test_a_missing_session_points_to_the_same_folders_list(self, tmp_path: Path) -> None:
        """ "No session N" names `sessions --data-dir DIR` for the folder that was asked."""
        result = flooding("ok", "7", "--data-dir", str(tmp_path))
        assert result.returncode == 1
        assert f"sessions --data-dir {tmp_path}` lists them" in result.stderr

    def test_a_second_monitor_is_pointed_at_the_running_ones_status(self, tmp_path: Path) -> None:
        """A second demo on a folder in use says how to ask the running one, for that folder."""
        first = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flooding",
                "demo",
                "--speed",
                "1",
                "--no-notify",
                "--no-app",
                "--data-dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(120):  # until it answers
                if flooding("status", "--data-dir", str(tmp_path)).returncode == 0:
                    break
            second = flooding("demo", "--speed", "0", "--no-notify", "--data-dir", str(tmp_path))
        finally:
            first.kill()
            first.wait()
        assert second.returncode == 75
        assert f"status --data-dir {tmp_path / 'demo'}" in second.stderr


def test_a_pause_by_hand_promises_no_sound_it_may_not_make() -> None:
    """`flooding pause` says where ready-to-return will show, a notification only when they
    are on (with notifications off nothing is heard), in both languages."""
    from flooding.io.locale_files import load_catalogue

    english = load_catalogue("en")("pause.started", minutes="20 minutes", until="20:45")
    assert "you will hear" not in english
    assert "in the app" in english
    assert "as a notification when those are on" in english
    german = load_catalogue("de")("pause.started", minutes="20 Minuten", until="20:45")
    assert "du hörst es" not in german
    assert "wenn sie eingeschaltet sind" in german
