"""Writing the person's files: owner-only, atomic, and never through a planted link or onto a
device or a pipe."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from flooding.io.files import (
    PrivateRotatingFileHandler,
    UnsafeFileError,
    make_private_dir,
    write_private,
)

OTHER_UID = 4242  # a user id that is not ours (the tests run as root to hand links to it)
needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="lchown to another user needs root"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


class TestWritePrivate:
    def test_a_new_file_is_owner_only_and_no_temporary_file_is_left(self, tmp_path: Path) -> None:
        """A new file gets the bytes and mode 0600; the folder holds nothing else."""
        target = tmp_path / "talk.csv"
        write_private(target, b"data\n")
        assert target.read_bytes() == b"data\n"
        assert mode(target) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["talk.csv"]

    @needs_root
    def test_a_link_planted_by_another_user_is_not_followed(self, tmp_path: Path) -> None:
        """A symbolic link made by someone else at the output path is refused, naming it,
        and the file it points to is untouched."""
        victim = tmp_path / "profile"
        victim.write_bytes(b"mine\n")
        planted = tmp_path / "x.csv"
        planted.symlink_to(victim)
        os.lchown(planted, OTHER_UID, OTHER_UID)
        with pytest.raises(UnsafeFileError, match=f"{planted} is a symbolic link made by another"):
            write_private(planted, b"overwritten")
        assert victim.read_bytes() == b"mine\n"
        assert planted.is_symlink()

    @needs_root
    def test_a_planted_link_behind_the_persons_own_link_is_not_followed(
        self, tmp_path: Path
    ) -> None:
        """Following one's own link stops at a link of someone else's further on."""
        victim = tmp_path / "profile"
        victim.write_bytes(b"mine\n")
        planted = tmp_path / "shared.csv"
        planted.symlink_to(victim)
        os.lchown(planted, OTHER_UID, OTHER_UID)
        own = tmp_path / "export.csv"
        own.symlink_to(planted)
        with pytest.raises(UnsafeFileError, match="made by another user"):
            write_private(own, b"overwritten")
        assert victim.read_bytes() == b"mine\n"

    def test_the_persons_own_link_is_kept_and_its_file_replaced(self, tmp_path: Path) -> None:
        """A link of the person's own (dotfiles) stays a link; its file gets the data, 0600."""
        real = tmp_path / "dotfiles" / "flooding.toml"
        real.parent.mkdir()
        real.write_bytes(b"old")
        link = tmp_path / "config.toml"
        link.symlink_to(Path("dotfiles") / "flooding.toml")  # relative, as dotfile tools make
        write_private(link, b"new")
        assert link.is_symlink()
        assert real.read_bytes() == b"new"
        assert mode(real) == 0o600

    def test_a_device_is_refused_and_stays_a_device(self) -> None:
        """/dev/full is not replaced by a regular file; the words say it is a device."""
        device = Path("/dev/full")
        if not device.exists():
            pytest.skip("no /dev/full here")
        with pytest.raises(UnsafeFileError, match="/dev/full is a device, not a regular file"):
            write_private(device, b"x")
        assert stat.S_ISCHR(device.stat().st_mode)

    def test_a_named_pipe_is_refused_and_stays_a_pipe(self, tmp_path: Path) -> None:
        """A FIFO at the output path is refused, not replaced (and not opened: no hang)."""
        fifo = tmp_path / "x.csv"
        os.mkfifo(fifo)
        with pytest.raises(UnsafeFileError, match="is a named pipe, not a regular file"):
            write_private(fifo, b"x")
        assert stat.S_ISFIFO(fifo.lstat().st_mode)

    def test_a_folder_is_refused(self, tmp_path: Path) -> None:
        """A folder at the output path is refused in words, not with IsADirectoryError."""
        (tmp_path / "x.csv").mkdir()
        with pytest.raises(UnsafeFileError, match="is a folder"):
            write_private(tmp_path / "x.csv", b"x")


class TestPrivateFolders:
    def test_missing_folders_are_made_owner_only_and_existing_ones_left_alone(
        self, tmp_path: Path
    ) -> None:
        """Every folder made is 0700, parents included; one that existed keeps its mode."""
        tmp_path.chmod(0o755)
        make_private_dir(tmp_path / "share" / "flooding" / "demo")
        assert mode(tmp_path) == 0o755
        for folder in ("share", "share/flooding", "share/flooding/demo"):
            assert mode(tmp_path / folder) == 0o700, folder


class TestLogFile:
    def test_the_log_file_and_its_rotations_are_owner_only(self, tmp_path: Path) -> None:
        """--log-file's file is 0600 from the start, and so is each file a rotation starts."""
        path = tmp_path / "service.log"
        handler = PrivateRotatingFileHandler(path, max_bytes=200, backups=2)
        log = logging.getLogger("tests.files.rotation")
        log.propagate = False
        log.addHandler(handler)
        try:
            for n in range(30):
                log.warning("line %d of the log", n)
        finally:
            log.removeHandler(handler)
            handler.close()
        files = sorted(tmp_path.iterdir())
        assert [p.name for p in files] == ["service.log", "service.log.1", "service.log.2"]
        assert all(mode(p) == 0o600 for p in files)

    def test_an_existing_loose_log_file_is_tightened(self, tmp_path: Path) -> None:
        """A log file left world-readable by an earlier version becomes 0600 when opened."""
        path = tmp_path / "service.log"
        path.write_text("old\n")
        path.chmod(0o644)
        PrivateRotatingFileHandler(path, max_bytes=1000, backups=1).close()
        assert mode(path) == 0o600
        assert path.read_text() == "old\n"

    def test_a_named_pipe_as_log_file_is_refused(self, tmp_path: Path) -> None:
        """A FIFO in place of the log file is refused rather than opened (which would hang)."""
        fifo = tmp_path / "service.log"
        os.mkfifo(fifo)
        with pytest.raises(UnsafeFileError, match="named pipe"):
            PrivateRotatingFileHandler(fifo, max_bytes=1000, backups=1)
