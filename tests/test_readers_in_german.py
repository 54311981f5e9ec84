"""`import` and `replay` of a broken, empty, unknown or hostile file, and a refused profile name,
say what is wrong in German under `--lang de` (naming the line and the value); in English, as
before, without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from flooding.core.catalogue import phrase
from tests.test_catalogue import FROZEN_DB, no_english, run_cli_all

STRAP = "C0:FF:EE:00:00:01"


def said(*args: str, code: int) -> str:
    """What the command line printed (out and err), checking its exit code."""
    exit_code, out = run_cli_all(*args)
    assert exit_code == code, out
    return out


def german(*args: str, code: int) -> str:
    """What the command line printed under --lang de, checked to hold no English sentence
    and none of the English frame of a reader's message."""
    out = said(*args, "--lang", "de", code=code)
    assert no_english(out) == []
    for word in ("expected", "found", ", line "):
        assert word not in out
    return out


def written(folder: Path, name: str, text: str) -> str:
    """The path of a file `name` in `folder` holding `text`."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def into(tmp_path: Path) -> tuple[str, str]:
    """--data-dir of an empty folder to import into."""
    return ("--data-dir", str(tmp_path / "data"))


class TestImportOfABrokenFile:
    def test_a_value_that_is_not_a_number_names_its_line_in_german(
        self, tmp_path: Path, into: tuple[str, str]
    ) -> None:
        """A heart rate 'abc' on line 3 of a CSV is named with its line and value in German;
        in English as before."""
        path = written(tmp_path, "bad.csv", "time_s,hr_bpm\n0,70\n1,abc\n")
        out = german("import", path, *into, code=1)
        assert f"{path}, Zeile 3: erwartet: ein Puls in Schlägen pro Minute; gefunden: 'abc'" in out
        assert "Es wurde nichts importiert." in out
        english = said("import", path, *into, code=1)
        assert f"{path}, line 3: expected a heart rate in bpm, found 'abc'" in english
        assert "Nothing was imported." in english

    def test_times_that_go_backwards_are_named_in_german(
        self, tmp_path: Path, into: tuple[str, str]
    ) -> None:
        """A time earlier than the line before is named with its line in German."""
        path = written(tmp_path, "back.csv", "time_s,hr_bpm\n0,70\n2,71\n1,72\n")
        out = german("import", path, *into, code=1)
        assert "Zeile 4: erwartet: Zeiten in der richtigen Reihenfolge" in out
        assert "früher ist als die der Zeile davor" in out
        english = said("import", path, *into, code=1)
        assert "line 4: expected times in order, found a time earlier than the line before" in (
            english
        )

    def test_an_empty_file_is_named_in_german(self, tmp_path: Path, into: tuple[str, str]) -> None:
        """An empty file is refused as empty in German."""
        path = written(tmp_path, "empty.csv", "")
        assert "erwartet: Daten; gefunden: eine leere Datei" in german(
            "import", path, *into, code=1
        )
        assert "expected some data, found an empty file" in said("import", path, *into, code=1)

    def test_a_named_pipe_is_refused_in_german(self, tmp_path: Path, into: tuple[str, str]) -> None:
        """A named pipe is refused before it is read, saying in German what to give instead."""
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
        out = german("import", str(path), *into, code=1)
        assert "gefunden: eine benannte Pipe, keine Datei (das Lesen könnte nie enden)" in out
        assert "speichere oder kopiere sie in eine Datei" in out
        english = said("import", str(path), *into, code=1)
        assert "found a named pipe, not a file (reading one might never end)" in english

    def test_a_sample_of_a_json_export_is_named_in_german(
        self, tmp_path: Path, into: tuple[str, str]
    ) -> None:
        """A negative heart rate in sample 2 of a JSON export is named with its sample in
        German."""
        samples = '[{"t_s": 1800000000, "bpm": 70}, {"t_s": 1800000001, "bpm": -5}]'
        document = f'{{"session": {{"format": "flooding-session/1"}}, "samples": {samples}}}'
        path = written(tmp_path, "bad.json", document)
        out = german("import", path, *into, code=1)
        assert "erwartet: ein Puls von 0 oder mehr in Messwert 2; gefunden: -5" in out
        english = said("import", path, *into, code=1)
        assert "expected a heart rate of 0 or more in sample 2, found -5" in english

    def test_a_file_of_no_known_format_is_named_in_german(
        self, tmp_path: Path, into: tuple[str, str]
    ) -> None:
        """A file whose first line no reader knows names the known formats in German."""
        path = written(tmp_path, "notes.txt", "dear diary\n")
        out = german("import", path, *into, code=1)
        assert "Zeile 1: erwartet: ein bekanntes Format (polar-hrm, rr-text" in out
        assert "gefunden: 'dear diary'" in out
        assert "line 1: expected a known format (" in said("import", path, *into, code=1)


class TestReplayOfABrokenFile:
    def test_a_bad_rr_interval_names_its_line_in_german(self, tmp_path: Path) -> None:
        """`replay --lang de` of RR intervals with a word on line 3 names it in German."""
        path = written(tmp_path, "rr.txt", "800\n810\nzwei\n")
        out = german("replay", path, code=1)
        assert "Zeile 3: erwartet: ein RR-Intervall (eine Zahl) pro Zeile; gefunden: 'zwei'" in out
        english = said("replay", path, code=1)
        assert "line 3: expected one RR interval (a number) per line, found 'zwei'" in english

    def test_an_unknown_format_is_refused_in_german(self, tmp_path: Path) -> None:
        """`replay --format nope --lang de` names the formats there are, in German."""
        path = written(tmp_path, "rr.txt", "800\n")
        out = german("replay", path, "--format", "nope", code=2)
        assert "unbekanntes Format 'nope'; bekannte Formate: polar-hrm" in out
        english = said("replay", path, "--format", "nope", code=2)
        assert "unknown format 'nope'; known formats: polar-hrm" in english

    def test_a_couple_export_is_refused_in_german(self, tmp_path: Path) -> None:
        """`replay --lang de` of a couple session's export says it holds two people and how
        to store it, in German."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        export = tmp_path / "couple.csv"
        said("export", "2", "-o", str(export), "--data-dir", str(tmp_path), code=0)
        out = german("replay", str(export), code=1)
        assert "erwartet: die Messwerte einer Person; gefunden: die einer Paar-Sitzung" in out
        assert "`flooding import` speichert sie als eine" in out
        assert "expected one person's readings" in said("replay", str(export), code=1)


class TestProfileNamesInGerman:
    def test_import_as_a_name_that_cannot_name_a_profile(
        self, tmp_path: Path, into: tuple[str, str]
    ) -> None:
        """`import --couple --as 'a.b' B --lang de` says in German why the name cannot be
        used, and which names can; in English as before."""
        path = written(tmp_path, "ok.csv", "time_s,hr_bpm\n0,70\n1,71\n")
        args = ("import", "--couple", path, path, "--as", "a.b", "B", *into)
        out = german(*args, code=2)
        assert "'a.b' kann kein Profil benennen: nimm 1 bis 32 Zeichen" in out
        assert "'a.b' cannot name a profile: use 1 to 32 characters" in said(*args, code=2)
        assert not (tmp_path / "data" / "flooding.db").exists()

    def test_import_as_the_same_name_twice(self, tmp_path: Path, into: tuple[str, str]) -> None:
        """`import --couple --as Sam Sam --lang de` asks for different names in German."""
        path = written(tmp_path, "ok.csv", "time_s,hr_bpm\n0,70\n1,71\n")
        args = ("import", "--couple", path, path, "--as", "Sam", "Sam", *into)
        assert "brauchen verschiedene Namen, nicht zweimal 'Sam'" in german(*args, code=2)
        assert "need different names, not 'Sam' twice" in said(*args, code=2)

    def test_pair_as_a_name_that_cannot_name_a_profile(self, tmp_path: Path) -> None:
        """`pair --as '[x]' --lang de` refuses the name in German and writes nothing."""
        config = tmp_path / "me.toml"
        args = ("pair", STRAP, "--no-scan", "--as", "[x]", "--config", str(config))
        assert "'[x]' kann kein Profil benennen" in german(*args, code=1)
        assert "'[x]' cannot name a profile" in said(*args, code=1)
        assert not config.exists()

    def test_pair_as_a_second_name_for_a_strap_already_paired(self, tmp_path: Path) -> None:
        """Pairing a strap already paired to Sam as Alex is refused in German, naming Sam."""
        config = tmp_path / "me.toml"
        paired = ("pair", STRAP, "--no-scan", "--config", str(config))
        said(*paired, "--as", "Sam", code=0)
        out = german(*paired, "--as", "Alex", code=1)
        assert "dieser Gurt gehört schon zu 'Sam'" in out
        assert "already paired to 'Sam'" in said(*paired, "--as", "Alex", code=1)


def test_a_phrase_in_a_message_is_said_in_the_messages_language() -> None:
    """A reader's message is said in the catalogue's language down to its nested parts (the
    RR interval inside its range), and str() stays English."""
    import numpy as np

    from flooding.io.locale_files import load_catalogue
    from flooding.io.readers import ReaderError
    from flooding.io.readers._text import check_rr

    with pytest.raises(ReaderError) as info:
        check_rr(np.array([0.8, 31.0]), [2, 3], Path("rr.txt"), phrase("reader.rr"))
    assert str(info.value) == (
        "rr.txt, line 3: expected an RR interval above 0 s and at most 30 s, found 31 s"
    )
    assert info.value.said(load_catalogue("de")) == (
        "rr.txt, Zeile 3: erwartet: ein RR-Intervall über 0 s und höchstens 30 s; gefunden: 31 s"
    )
