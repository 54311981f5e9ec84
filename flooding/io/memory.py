"""Giving freed memory back to the system, for a long-running process (the service).

glibc keeps the memory a program frees for its next allocations, per thread arena, so a
service that once held a year of sessions for the app's what-if would keep that size for
good; `malloc_trim` hands the free pages back. A no-op where there is no glibc.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)


def give_back_freed_memory() -> bool:
    """Return the pages the process has freed to the system; whether it could be asked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    log.debug("freed memory given back to the system")
    return True
