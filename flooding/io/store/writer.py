"""The writer thread: a live session's writes leave the event loop and wait out a busy database.

Jobs (samples, events, session rows) queue here and a thread commits them in short
transactions on its own connection. When another program holds the write lock (an import,
another flooding, a backup tool), the batch is rolled back and tried again with a backoff for
as long as it takes; nothing is dropped and the event loop never waits. See `Store` for the
policy when the database stays away long.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flooding.io.store.errors import explain, is_busy, is_transient

log = logging.getLogger(__name__)

WRITER_BUSY_TIMEOUT_MS = 100  # short: the thread backs off itself and stays quick to stop
MAX_ROWS_PER_TRANSACTION = 5000  # a transaction this small holds the lock for milliseconds
RETRY_FIRST_S = 0.05  # first wait after a busy database; doubled up to RETRY_MAX_S
RETRY_MAX_S = 1.0  # a freed lock is noticed within a second
WARN_AFTER_S = 5.0  # a database away this long is told (a lock held for a moment is not)
WARN_EVERY_S = 60.0  # while it stays away, said again this often: a reminder, not a flood
UNWRITABLE_GIVE_UP_S = 5.0  # at close, a full or read-only disk is given up on after this long


class Ids:
    """Ids handed out before their rows were written, and the ids the rows really got.

    The store gives a session or event its id at once (the next free one); if another program
    took that id before the row was written, the row gets a new one and every later row that
    names it follows (`real`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._moved: dict[tuple[str, int], int] = {}

    def real(self, table: str, given: int) -> int:
        """The id the row with handed-out id `given` has (or will have)."""
        with self._lock:
            return self._moved.get((table, given), given)

    def move(self, moves: dict[tuple[str, int], int]) -> None:
        """Record ids that had to change (after their transaction committed)."""
        with self._lock:
            self._moved.update(moves)


Job = Callable[[sqlite3.Connection, "Batch"], None]


@dataclass
class Batch:
    """What a transaction's jobs share: the id map, the moves they make (kept on commit), and
    what to do once it is committed (`after`: a saved journal file is removed)."""

    ids: Ids
    moves: dict[tuple[str, int], int] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)

    def real(self, table: str, given: int) -> int:
        """`Ids.real`, seeing the moves of this transaction too."""
        return self.moves.get((table, given)) or self.ids.real(table, given)


@dataclass
class _Queued:
    job: Job
    rows: int
    done: threading.Event = field(default_factory=threading.Event)
    queued_s: float = field(default_factory=time.monotonic)
    error: BaseException | None = None


class Writer:
    """A thread that commits queued jobs on its own connection, retrying a busy database."""

    def __init__(
        self,
        path: Path,
        connect: Callable[[], sqlite3.Connection],
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """`on_idle`: called (on the thread) each time the queue has emptied, the database
        written: what waits elsewhere (a journal on disk) may follow now."""
        self.path = path
        self.ids = Ids()
        self._connect = connect
        self._on_idle = on_idle
        self._queue: deque[_Queued] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self.trouble: sqlite3.Error | None = None  # why the last try failed (None: all well)
        self.trouble_since: float | None = None  # monotonic time the database went away
        self.longest_wait_s = 0.0  # the longest a job waited from queued to committed
        self._told_s = 0.0
        self._thread = threading.Thread(target=self._run, name="flooding-store-writer", daemon=True)
        self._thread.start()

    @property
    def waiting_rows(self) -> int:
        """Rows queued and not yet committed."""
        with self._cond:
            return sum(queued.rows for queued in self._queue)

    def submit(self, job: Job, rows: int = 0) -> threading.Event:
        """Queue a job; returns an event set once it is committed (or failed for good)."""
        queued = _Queued(job, rows)
        with self._cond:
            self._queue.append(queued)
            self._cond.notify_all()
        return queued.done

    def call(self, job: Job, timeout_s: float | None = None) -> None:
        """Run a job and wait for it (never from the event loop); re-raises its error."""
        queued = _Queued(job, 0)
        with self._cond:
            self._queue.append(queued)
            self._cond.notify_all()
        if not queued.done.wait(timeout_s):
            raise TimeoutError(self.trouble_text() or "the database did not answer")
        if queued.error is not None:
            raise queued.error

    def wait_tried(self, timeout_s: float) -> bool:
        """Wait until every queued job is done (True), or the database was found away while
        they wait (False at once: `trouble` says why), or `timeout_s` passed (False)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue and self.trouble is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return not self._queue

    def wait_idle(self, timeout_s: float | None) -> bool:
        """Wait until every queued job is done; False if `timeout_s` passed first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._queue:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self, timeout_s: float) -> int:
        """Save what is queued (trying for up to `timeout_s` while the database is busy, up to
        `UNWRITABLE_GIVE_UP_S` while it cannot be written at all), stop; returns rows not
        saved."""
        deadline = time.monotonic() + timeout_s
        while not self.wait_idle(min(RETRY_MAX_S, max(0.0, deadline - time.monotonic()))):
            trouble, since = self.trouble, self.trouble_since
            unwritable = trouble is not None and not is_busy(trouble)
            if time.monotonic() >= deadline or (
                unwritable and since is not None and time.monotonic() - since > UNWRITABLE_GIVE_UP_S
            ):
                break
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(RETRY_MAX_S + 1.0)
        return self.waiting_rows

    @property
    def unwritable(self) -> bool:
        """Whether the last try failed for a reason other than a busy database (a full disk,
        a read-only file, an I/O error)."""
        trouble = self.trouble
        return trouble is not None and not is_busy(trouble)

    def trouble_text(self) -> str | None:
        """Why writes are waiting, in words (None when they are not)."""
        trouble = self.trouble
        return None if trouble is None else explain(trouble, self.path)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        backoff_s = RETRY_FIRST_S
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    break
                batch = self._take()
            try:
                if db is None:
                    db = self._connect()
                self._commit(db, batch)
            except sqlite3.Error as exc:
                if db is not None and not is_transient(exc):
                    self._one_by_one(db, batch)
                    continue
                self._went_away(exc)
                with self._cond:
                    self._cond.notify_all()  # `wait_tried` hears of it
                    self._cond.wait(backoff_s)  # a stop wakes it
                backoff_s = min(backoff_s * 2, RETRY_MAX_S)
                continue
            backoff_s = RETRY_FIRST_S
            self._came_back()
            self._done(batch)
        if db is not None:
            db.close()

    def _take(self) -> list[_Queued]:
        batch: list[_Queued] = []
        rows = 0
        for queued in self._queue:
            if batch and rows + queued.rows > MAX_ROWS_PER_TRANSACTION:
                break
            batch.append(queued)
            rows += queued.rows
        return batch

    def _commit(self, db: sqlite3.Connection, batch: list[_Queued]) -> None:
        shared = Batch(self.ids)
        db.execute("BEGIN IMMEDIATE")
        try:
            for queued in batch:
                queued.job(db, shared)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        self.ids.move(shared.moves)
        for then in shared.after:
            then()

    def _one_by_one(self, db: sqlite3.Connection, batch: list[_Queued]) -> None:
        """A batch failed for a reason retrying cannot cure: keep every job that can be
        written, and drop (loudly) only the one that cannot."""
        for queued in batch:
            try:
                self._commit(db, [queued])
            except sqlite3.Error as exc:
                if is_transient(exc):
                    return  # the rest waits for the next round
                log.error("could not save to %s: %s", self.path, explain(exc, self.path))
                queued.error = exc
            self._done([queued])

    def _done(self, batch: list[_Queued]) -> None:
        now = time.monotonic()
        self.longest_wait_s = max([self.longest_wait_s] + [now - q.queued_s for q in batch])
        with self._cond:
            for queued in batch:
                self._queue.remove(queued)
                queued.done.set()
            self._cond.notify_all()
            idle = not self._queue
        if idle and self._on_idle is not None:
            try:
                self._on_idle()
            except Exception:  # never the writer's stop
                log.exception("could not follow up on the saved writes")

    def _went_away(self, exc: sqlite3.Error) -> None:
        now = time.monotonic()
        if self.trouble_since is None:
            self.trouble_since = now
        self.trouble = exc
        away_s = now - self.trouble_since
        if away_s >= WARN_AFTER_S and now - self._told_s >= WARN_EVERY_S:
            self._told_s = now
            kind = "busy" if is_busy(exc) else "unavailable"
            log.warning(
                "the recordings database has been %s for %.0f s: %s %d samples wait in memory, "
                "newer ones on disk beside it, all saved as soon as it can be written; the heart "
                "is still watched.",
                kind,
                away_s,
                explain(exc, self.path),
                self.waiting_rows,
            )

    def _came_back(self) -> None:
        if self.trouble_since is None:
            return
        away_s = time.monotonic() - self.trouble_since
        if self._told_s:
            log.warning("the recordings database can be written again after %.0f s", away_s)
        self.trouble = None
        self.trouble_since = None
        self._told_s = 0.0
