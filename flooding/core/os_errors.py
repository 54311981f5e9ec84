"""What went wrong with a file or folder, in the person's words: the operating system's own
account (`strerror`) is English whatever the person's language."""

from __future__ import annotations

import errno

from flooding.core.catalogue import Phrase, phrase

_SAID = {
    errno.ENOENT: "os_error.missing",
    errno.EACCES: "os_error.not_permitted",
    errno.EPERM: "os_error.not_permitted",
    errno.ENOSPC: "os_error.full",
    errno.EDQUOT: "os_error.full",
    errno.EROFS: "os_error.read_only",
    errno.EISDIR: "os_error.is_folder",
    errno.ENOTDIR: "os_error.not_a_folder",
    errno.EEXIST: "os_error.exists",
    errno.ENAMETOOLONG: "os_error.name_too_long",
    errno.EIO: "os_error.disk",
}


def os_problem(exc: OSError) -> Phrase | str:
    """A few words for what `exc` says went wrong ("no such file"), as a catalogue phrase
    for the common causes; the system's own words for the rare ones."""
    key = _SAID.get(exc.errno) if exc.errno is not None else None
    if key is not None:
        return phrase(key)
    return exc.strerror or str(exc)
