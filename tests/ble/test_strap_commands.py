"""`flooding scan` and `flooding pair`, run in-process against the emulated strap."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from flooding.cli.main import main
from flooding.lab.emulator import DEFAULT_ADDRESS, DEFAULT_NAME, FOREIGN_ADDRESS

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Environment for the emulated air; tests choose its contents."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "1")
    monkeypatch.delenv("FLOODING_CONFIG", raising=False)
    return monkeypatch


class TestScan:
    def test_lists_both_straps_as_json(
        self, emulated: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json lists every strap in range with name, address, signal and kind."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "foreign")
        assert main(["scan", "--timeout", "0.2", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert {s["address"] for s in listed} == {DEFAULT_ADDRESS, FOREIGN_ADDRESS}
        assert all(s["heart_rate"] and isinstance(s["rssi_dbm"], int) for s in listed)

    def test_nothing_found_says_what_to_check_and_fails(
        self, emulated: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With no strap in range the command exits 1 and gives the checklist."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "none")
        assert main(["scan", "--timeout", "0.2"]) == 1
        err = capsys.readouterr().err
        for needle in ("no heart-rate strap found", "moist", "phone", "Bluetooth is on", "battery"):
            assert needle in err

    def test_hidden_option_starts_the_emulator(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--emulated` alone (no environment variable) finds the emulated strap."""
        monkeypatch.delenv("FLOODING_EMULATED_STRAP", raising=False)
        assert main(["scan", "--timeout", "0.2", "--emulated"]) == 0
        out = capsys.readouterr().out
        assert DEFAULT_NAME in out
        assert f"flooding pair {DEFAULT_ADDRESS}" in out


class TestPair:
    def test_pairs_by_name_and_keeps_the_rest_of_the_file(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Pairing by exact name stores that strap's address and name; comments stay."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "foreign")
        config = tmp_path / "config.toml"
        config.write_text("# mine\n[pause]\nminutes = 30\n")
        assert main(["pair", DEFAULT_NAME, "--timeout", "0.2", "--config", str(config)]) == 0
        text = config.read_text()
        assert text.startswith("# mine\n[pause]\nminutes = 30\n")
        assert tomllib.loads(text)["strap"] == {"address": DEFAULT_ADDRESS, "name": DEFAULT_NAME}

    def test_offers_the_only_strap_with_yes(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """With none named and one strap in range, --yes takes it; FLOODING_CONFIG is honoured."""
        config = tmp_path / "sub" / "config.toml"
        emulated.setenv("FLOODING_CONFIG", str(config))
        assert main(["pair", "--yes", "--timeout", "0.2"]) == 0
        assert tomllib.loads(config.read_text())["strap"]["address"] == DEFAULT_ADDRESS

    def test_several_straps_and_none_named_writes_nothing(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With two straps in range and none chosen, it lists both and does not guess."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "foreign")
        config = tmp_path / "config.toml"
        assert main(["pair", "--yes", "--timeout", "0.2", "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert DEFAULT_ADDRESS in err
        assert FOREIGN_ADDRESS in err
        assert not config.exists()

    def test_a_strap_not_in_range_is_not_saved(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Asking for a strap that is not in range fails with advice and writes nothing."""
        config = tmp_path / "config.toml"
        assert main(["pair", "AA:BB:CC:DD:EE:FF", "--timeout", "0.2", "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert "'AA:BB:CC:DD:EE:FF' is not in range" in err
        assert "moist" in err
        assert not config.exists()

    def test_two_straps_with_the_same_name_give_the_command_per_address_only(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A name two straps in range share lists `flooding pair ADDRESS` for each, without
        saying the strap cannot be found; nothing is written."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "twin")
        config = tmp_path / "config.toml"
        args = ["pair", DEFAULT_NAME, "--timeout", "0.5", "--config", str(config)]
        assert main(args) == 1
        err = capsys.readouterr().err
        assert f"several straps in range are called '{DEFAULT_NAME}'" in err
        for address in (DEFAULT_ADDRESS, FOREIGN_ADDRESS):
            assert f"flooding pair {address} --config {config}" in err
        assert "not in range" not in err
        assert "moist" not in err
        assert "battery" not in err
        assert not config.exists()

    def test_the_start_of_one_straps_name_pairs_that_strap(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A name that only one strap's name in range starts with pairs that strap and says
        which."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "foreign")
        config = tmp_path / "config.toml"
        args = ["pair", "polar h10 e1", "--timeout", "0.5", "--config", str(config)]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert f"starts with 'polar h10 e1': {DEFAULT_NAME} ({DEFAULT_ADDRESS})" in out
        assert tomllib.loads(config.read_text())["strap"]["address"] == DEFAULT_ADDRESS

    def test_the_start_of_several_straps_names_lists_them_by_address(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A name that several straps' names start with lists the command for each, without
        saying the strap is not in range; nothing is written."""
        emulated.setenv("FLOODING_EMULATED_STRAP", "foreign")
        config = tmp_path / "config.toml"
        args = ["pair", "Polar H10", "--timeout", "0.5", "--config", str(config)]
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "several straps' names in range start with 'Polar H10'" in err
        for address in (DEFAULT_ADDRESS, FOREIGN_ADDRESS):
            assert f"flooding pair {address} --config {config}" in err
        assert "not in range" not in err
        assert "moist" not in err
        assert not config.exists()

    def test_a_config_that_cannot_be_written_is_said_plainly(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A folder where the config file should be gives a plain refusal, not a traceback."""
        config = tmp_path / "config.toml"
        config.mkdir()
        assert main(["pair", "--yes", "--timeout", "0.2", "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("flooding pair: ")
        assert str(config) in err
        assert "Traceback" not in err


class TestInGerman:
    @pytest.mark.parametrize("straps", ["foreign", "none"])
    def test_scan_in_german_holds_no_english_sentence(
        self,
        emulated: pytest.MonkeyPatch,
        straps: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """`scan --lang de` lists the straps, or says none was found and what to check, in
        German."""
        from tests.test_catalogue import no_english

        emulated.setenv("FLOODING_EMULATED_STRAP", straps)
        code = main(["scan", "--timeout", "1", "--all", "--lang", "de"])
        out = capsys.readouterr()
        assert code == (1 if straps == "none" else 0)
        said = out.out + out.err
        assert no_english(said) == []
        assert ("Nicht zu finden" if straps == "none" else "So nutzt du einen") in said

    @pytest.mark.parametrize("profile", [(), ("--as", "Alex")])
    def test_pair_in_german_holds_no_english_sentence(
        self,
        emulated: pytest.MonkeyPatch,
        tmp_path: Path,
        profile: tuple[str, ...],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """`pair --lang de` pairs the one strap in range and says where it was saved, in
        German; an unknown strap is named and the advice follows in German too."""
        from tests.test_catalogue import no_english

        config = ("--config", str(tmp_path / "config.toml"))
        common = ("--timeout", "1", "--lang", "de", *profile, *config)
        assert main(["pair", "--yes", *common]) == 0
        assert main(["pair", "Nobody's strap", *common]) == 1
        assert main(["pair", "--no-scan", *common]) == 2
        out = capsys.readouterr()
        said = out.out + out.err
        assert no_english(said) == []
        assert "Gespeichert in" in said

    def test_monitor_without_a_strap_in_range_says_so_in_german(
        self, emulated: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`monitor --lang de` with no strap paired and none in range says what to check, in
        German."""
        from tests.test_catalogue import no_english

        emulated.setenv("FLOODING_EMULATED_STRAP", "none")
        args = ["monitor", "--timeout", "1", "--no-app", "--lang", "de"]
        assert main([*args, "--data-dir", str(tmp_path)]) == 1
        out = capsys.readouterr()
        said = out.out + out.err
        assert no_english(said) == []
        assert "kein Pulsgurt gefunden" in said
