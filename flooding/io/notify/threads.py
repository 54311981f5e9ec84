"""Running a blocking call (plyer, a sound player, a remote target) off the event loop.

In a daemon thread, so a call that hangs for ever never holds up interpreter exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def run_in_daemon_thread(function: Callable[[], T], *, name: str = "flooding-notify") -> T:
    """Run a blocking call in a daemon thread and await its result.

    Not the default executor: a call that hangs for ever (a stuck `notify-send`, a target
    that never answers) must not hold up interpreter exit, which waits for executor
    threads but not daemon threads. A caller that stops waiting (a timeout) leaves the
    thread to finish on its own.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return  # the waiter gave up (timeout) and went on
        if error is None:
            done.set_result(result)  # type: ignore[arg-type]
        else:
            done.set_exception(error)

    def work() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting coroutine
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name=name, daemon=True).start()
    return await done
