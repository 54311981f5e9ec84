"""What-if replay: recorded sessions through the current and a candidate configuration.

Each session's samples go through `run_batch`, the very engine the live monitor runs, once
per configuration, in the mode the session was recorded in. Alerts are compared with each
other and with the alerts the person marked as false alarms (stored `false-alarm` events
naming an `alert` event), matched by time within a tolerance: replayed alerts need not fall
on the very second the live one did once the thresholds change.

A session keeps the alerts of its last few replays by the settings they depend on, and the
app keeps its sessions (`RecordedSessions`): a what-if repeated with the current settings and
a new candidate replays only the candidate, and only sessions that changed are read again.
The alerts are also kept in the data folder's store (`KeptAlerts`), by a key of all they
depend on (the detector's code, those settings, the mode, the samples): a new process (the
app's first what-if, `tune`) replays only what no process replayed before.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from flooding.core.batch import PreparedSamples, prepare
from flooding.core.beats.columns import SampleColumns
from flooding.core.catalogue import Catalogue
from flooding.core.engine import run_batch
from flooding.core.models import Alert, Mode, Sample
from flooding.core.settings import Settings
from flooding.io.detector_code import detector_fingerprint
from flooding.io.locale_files import load_catalogue
from flooding.io.store import SessionRow, Store

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE_S = 300.0  # alerts are at least a 20-minute pause apart, so five minutes
#                              can never match two different alerts, and covers an alert that
#                              a stricter candidate gives later in the same rise
REPLAYS_KEPT = 8  # configurations whose alerts a session keeps: the current one and the last
#                   few candidates of a what-if (a slider going back and forth)
KEY_CHARS = 32  # a kept replay's key: 128 bits of sha256, never the same for different inputs
NOT_REPLAYED = frozenset({"language", "messages", "notify", "strap", "service", "couple"})
#   settings sections an engine's alerts do not depend on (words, channels, the strap, the
#   service's session gap): a candidate changing only these gives the current alerts


@dataclass(frozen=True)
class RecordedSession:
    """What a replay needs from a stored session: its samples prepared once (columns and
    detection rates) for every replay of them, and the alerts of the replays done so far."""

    id: int
    started_s: float
    mode: Mode
    prepared: PreparedSamples
    false_alarm_s: tuple[float, ...]  # times of the alerts the person marked as false alarms
    # alert times by `replay_key`, the most recent last (at most REPLAYS_KEPT)
    replays: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        session_id: int,
        started_s: float,
        mode: Mode,
        samples: Iterable[Sample] | SampleColumns,
        false_alarm_s: tuple[float, ...] = (),
    ) -> RecordedSession:
        """A session from its samples (or their columns)."""
        return cls(session_id, started_s, mode, prepare(samples), false_alarm_s)

    @property
    def samples(self) -> int:
        """How many samples the session has."""
        return len(self.prepared)

    @property
    def last_sample_s(self) -> float | None:
        """The time of its latest sample (None without samples)."""
        t_s = self.prepared.columns.t_s
        return float(t_s.max()) if t_s.size else None

    def alert_times(self, settings: Settings, replay: Replay | None = None) -> tuple[float, ...]:
        """When the engine alerts on this session with these settings, in its mode (a replay
        through `replay`, `alert_times` by default, or the alerts of an earlier replay with
        the same settings that matter to it)."""
        key = replay_key(settings)
        known = self.replays.get(key)
        if known is None:
            known = (replay or alert_times)(self.prepared, settings, self.mode)
        self.remember(key, known)
        return known

    def remember(self, key: str, times: tuple[float, ...]) -> None:
        """Keep the alert times of the settings of `replay_key` `key` as the most recent."""
        self.replays.pop(key, None)
        self.replays[key] = times
        while len(self.replays) > REPLAYS_KEPT:
            del self.replays[next(iter(self.replays))]

    def kept_key(self, replay: str, detector: str) -> str:
        """The key of this session's alerts with the settings of `replay_key` `replay` in
        the store: a hash of all they depend on, the detector's code (`detector`), those
        settings, the mode and the samples (their count and last time, which change when
        samples are added, as for the kept columns)."""
        parts = (detector, replay, self.mode.value, str(self.samples), repr(self.last_sample_s))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:KEY_CHARS]


Replay = Callable[[PreparedSamples, Settings, Mode], tuple[float, ...]]
#   a replay: the alert times of these samples with these settings in this mode (`alert_times`)


def replay_key(settings: Settings) -> str:
    """The settings a replay's alerts depend on, as text: all but `NOT_REPLAYED`."""
    return settings.model_dump_json(exclude=set(NOT_REPLAYED))


@dataclass(frozen=True)
class SessionComparison:
    """One session replayed with both configurations."""

    session_id: int
    started_s: float
    mode: str
    samples: int
    current_alert_s: tuple[float, ...]
    candidate_alert_s: tuple[float, ...]
    marked_false: int  # alerts the person marked as false alarms in this session
    current_false: int  # replayed current alerts that fall on a marked false alarm
    candidate_false: int
    missed_s: tuple[float, ...]  # current alerts (not false alarms) the candidate does not give
    added_s: tuple[float, ...]  # candidate alerts the current settings do not give

    @property
    def verdict(self) -> str:
        """The comparison in one line."""
        return verdict(
            len(self.current_alert_s),
            len(self.candidate_alert_s),
            self.current_false,
            self.candidate_false,
            len(self.missed_s),
            len(self.added_s),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the counts and the verdict."""
        data = asdict(self)
        data["current_alerts"] = len(self.current_alert_s)
        data["candidate_alerts"] = len(self.candidate_alert_s)
        data["missed"] = len(self.missed_s)
        data["added"] = len(self.added_s)
        data["verdict"] = self.verdict
        return data


@dataclass(frozen=True)
class Totals:
    """All compared sessions together."""

    sessions: int
    samples: int
    current_alerts: int
    candidate_alerts: int
    marked_false: int
    current_false: int
    candidate_false: int
    missed: int
    added: int

    @property
    def verdict(self) -> str:
        """The comparison in one line."""
        return verdict(
            self.current_alerts,
            self.candidate_alerts,
            self.current_false,
            self.candidate_false,
            self.missed,
            self.added,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the verdict."""
        data = asdict(self)
        data["verdict"] = self.verdict
        return data


def load_sessions(store: Store, session_ids: Iterable[int]) -> Iterator[RecordedSession]:
    """The stored sessions with their samples and false-alarm marks, one at a time.

    Couple sessions are left out: their two hearts would mix into one track, and the
    replay is of one person's detector (`couple_session_ids` tells which they are).
    """
    couples = store.couple_session_ids()
    for session_id in session_ids:
        row = store.session(session_id)
        if row is None:
            raise KeyError(session_id)
        if session_id in couples:
            continue
        yield _load(store, row)


def _load(store: Store, row: SessionRow) -> RecordedSession:
    try:
        mode = Mode(row.mode)
    except ValueError:
        mode = Mode.TALK
    # the detector reads time, heart rate, contact, the beats (its rate comes from them) and
    # the movement: read as columns, never a `Sample` each
    columns = store.sample_columns(row.id)
    return RecordedSession.of(row.id, row.started_s, mode, columns, false_alarms(store, row.id))


def false_alarms(store: Store, session_id: int) -> tuple[float, ...]:
    """The times of a session's alerts that the person marked as false alarms, in order."""
    events = store.events(session_id, {"alert", "false-alarm"})  # no other event's data read
    alerts = {e.id: e.t_s for e in events if e.kind == "alert"}
    marked = {e.data.get("alert_event_id") for e in events if e.kind == "false-alarm"}
    return tuple(sorted(t for event_id, t in alerts.items() if event_id in marked))


class KeptAlerts:
    """The alerts of sessions' replays kept in a data folder's store (`Store.replayed_alerts`),
    for one comparison of two settings: `fill` gives a session the alerts a process replayed
    before (so they are not replayed again), `save` keeps what this comparison replayed for
    the next one. A store that cannot keep them (read-only, busy) just has them replayed again
    next time: the comparison is the same. `detector`: the fingerprint of the code that
    computes alerts (`detector_fingerprint` by default), part of every key."""

    def __init__(
        self, store: Store, current: Settings, candidate: Settings, detector: str | None = None
    ) -> None:
        self._store = store
        self._detector = detector_fingerprint() if detector is None else detector
        self._replays = (replay_key(current), replay_key(candidate))
        # the store keys (current, candidate) of each session with alerts the store lacked
        self._missing: dict[int, tuple[str, str]] = {}

    def fill(self, session: RecordedSession) -> RecordedSession:
        """`session`, given the alerts the store keeps for both settings where it has none in
        memory."""
        if all(replay in session.replays for replay in self._replays):
            return session  # a what-if repeated in the same process: nothing to look up
        keys = (
            session.kept_key(self._replays[0], self._detector),
            session.kept_key(self._replays[1], self._detector),
        )
        for replay, key in zip(self._replays, keys, strict=True):
            if replay in session.replays:
                continue
            times = self._store.replayed_alerts(session.id, key)
            if times is None:
                self._missing[session.id] = keys
            else:
                session.remember(replay, times)
        return session

    def save(self, comparisons: Iterable[SessionComparison]) -> bool:
        """Keep the alerts these comparisons replayed (of the sessions `fill` found lacking),
        both settings' as the session's most recently used; whether all were kept."""
        rows: list[tuple[int, str, tuple[float, ...]]] = []
        for compared in comparisons:
            keys = self._missing.pop(compared.session_id, None)
            if keys is None:
                continue
            rows.append((compared.session_id, keys[0], compared.current_alert_s))
            if keys[1] != keys[0]:
                rows.append((compared.session_id, keys[1], compared.candidate_alert_s))
        if not rows:
            return True
        kept = self._store.keep_replayed_alerts(rows)
        if not kept:
            sessions = len({row[0] for row in rows})
            log.debug("the replays' alerts of %d sessions are not kept", sessions)
        return kept


class RecordedSessions:
    """A data folder's one-heart sessions, kept between what-ifs (the app's Settings page):
    each call reads again only the sessions that are new or changed (samples added, the mode)
    and the false-alarm marks; each session keeps its replays' alerts, in memory and in the
    store (`KeptAlerts`). Thread-safe (the app replays in a worker thread), one what-if at a
    time. `replay`: how a session is replayed (`alert_times`); `detector`: the fingerprint
    of the code that computes alerts (`detector_fingerprint`)."""

    def __init__(self, replay: Replay | None = None, detector: str | None = None) -> None:
        self._kept: dict[int, tuple[tuple[object, ...], RecordedSession]] = {}
        self._lock = threading.Lock()
        self._replay = replay
        self._detector = detector

    def compare(
        self,
        store: Store,
        current: Settings,
        candidate: Settings,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
    ) -> list[SessionComparison]:
        """Every one-heart session of `store` replayed with both settings (`tune --all`); the
        alerts the store keeps are used, and what was replayed is kept there."""
        with self._lock:
            kept = KeptAlerts(store, current, candidate, self._detector)
            compared = [
                compare_session(kept.fill(session), current, candidate, tolerance_s, self._replay)
                for session in self._sessions(store)
            ]
            kept.save(compared)
            return compared

    def __len__(self) -> int:
        """How many sessions are kept (read and prepared)."""
        return len(self._kept)

    def forget(self) -> None:
        """Let go of the kept sessions (their memory); the next what-if reads them again.
        Never waits for a what-if under way (the app calls it from its event loop): that one
        keeps what it reads."""
        self._kept = {}

    def _sessions(self, store: Store) -> list[RecordedSession]:
        couples = store.couple_session_ids()
        stats = store.session_stats()
        kept: dict[int, tuple[tuple[object, ...], RecordedSession]] = {}
        for row in store.sessions():
            if row.id in couples:
                continue
            version = (row.started_s, row.ended_s, row.mode, stats.get(row.id))
            known = self._kept.get(row.id)
            if known is None or known[0] != version:
                kept[row.id] = (version, _load(store, row))
                continue
            session = known[1]
            marks = false_alarms(store, row.id)
            if marks != session.false_alarm_s:  # the replays' alerts stay (same samples)
                session = replace(session, false_alarm_s=marks)
            kept[row.id] = (version, session)
        self._kept = kept
        return [session for _, session in kept.values()]


def alert_times(
    samples: Sequence[Sample] | PreparedSamples, settings: Settings, mode: Mode
) -> tuple[float, ...]:
    """When the engine alerts on these samples with these settings, in this mode."""
    events = run_batch(samples, settings, mode=mode).events
    return tuple(e.t_s for e in events if isinstance(e, Alert))


def match(a: Sequence[float], b: Sequence[float], tolerance_s: float) -> list[tuple[int, int]]:
    """One-to-one pairs (i, j) with |a[i] - b[j]| <= tolerance, closest pairs first."""
    pairs = sorted(
        (abs(x - y), i, j)
        for i, x in enumerate(a)
        for j, y in enumerate(b)
        if abs(x - y) <= tolerance_s
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j))
    return out


PARALLEL_MIN_SESSIONS = 32  # fewer replay in a fraction of a second on one core: no fork
MAX_WORKERS = 8  # each worker comes to hold a copy of what it touches: memory bounds them
CHUNKS_PER_WORKER = 4  # sessions differ in length: smaller shares even the workers out
_SHARED: tuple[list[RecordedSession], Settings, Settings, float, Replay | None] | None = None
#   what forked workers compare (inherited at the fork, never sent through a pipe)


def compare_sessions(
    sessions: Iterable[RecordedSession],
    current: Settings,
    candidate: Settings,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    expected: int = 0,
    workers: int | None = None,
    kept: KeptAlerts | None = None,
    replay: Replay | None = None,
) -> list[SessionComparison]:
    """`compare_session` of every session, in order. A replay is pure Python, one core each:
    with many sessions (`expected`: how many will come), on Linux (where a fork shares the
    loaded sessions at no cost), they are spread over the machine's cores in forked worker
    processes (`workers`: how many; default, one a core, at most `MAX_WORKERS`); else they
    are compared as they come. The sessions keep no replays' alerts from the workers in
    memory. `kept`: the store's kept alerts, used instead of a replay (filled in before any
    fork) and added to at the end; `replay`: how a session is replayed (`alert_times`)."""
    if kept is not None:
        sessions = map(kept.fill, sessions)
    if workers is None:
        workers = _worker_count(expected)
    if workers <= 1:  # one at a time: only one session is held at once
        compared = [compare_session(s, current, candidate, tolerance_s, replay) for s in sessions]
    else:
        chosen = list(sessions)
        keys = (replay_key(current), replay_key(candidate))
        if all(key in s.replays for s in chosen for key in keys):  # nothing to replay: no fork
            compared = [compare_session(s, current, candidate, tolerance_s) for s in chosen]
        else:
            compared = _compare_forked(chosen, current, candidate, tolerance_s, workers, replay)
    if kept is not None:
        kept.save(compared)
    return compared


def _compare_forked(
    chosen: list[RecordedSession],
    current: Settings,
    candidate: Settings,
    tolerance_s: float,
    workers: int,
    replay: Replay | None,
) -> list[SessionComparison]:
    """`compare_session` of every session in `workers` forked worker processes, in order."""
    global _SHARED
    count = min(workers, len(chosen))
    _SHARED = (chosen, current, candidate, tolerance_s, replay)
    try:
        share = max(1, -(-len(chosen) // (count * CHUNKS_PER_WORKER)))
        parts = [range(k, min(k + share, len(chosen))) for k in range(0, len(chosen), share)]
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(count, mp_context=context) as pool:
            return [c for compared in pool.map(_compare_part, parts) for c in compared]
    finally:
        _SHARED = None


def _worker_count(sessions: int) -> int:
    """Worker processes for comparing this many sessions: one a core this process may use,
    on Linux and with enough sessions to be worth a fork; else 1 (in this process)."""
    if sys.platform != "linux" or sessions < PARALLEL_MIN_SESSIONS:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS, sessions))


def _compare_part(part: range) -> list[SessionComparison]:
    """In a forked worker: `compare_session` of the shared sessions in `part`."""
    assert _SHARED is not None
    sessions, current, candidate, tolerance_s, replay = _SHARED
    return [compare_session(sessions[i], current, candidate, tolerance_s, replay) for i in part]


def compare_session(
    session: RecordedSession,
    current: Settings,
    candidate: Settings,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    replay: Replay | None = None,
) -> SessionComparison:
    """Replay one session with both configurations (through `replay`, `alert_times` by
    default, where it keeps no alerts of them) and compare their alerts. The two replays
    share the lists made of the samples (`PreparedSamples.held`)."""
    with session.prepared.held():
        now = session.alert_times(current, replay)
        new = session.alert_times(candidate, replay)
    marked = session.false_alarm_s
    now_false = {i for i, _ in match(now, marked, tolerance_s)}
    new_false = {i for i, _ in match(new, marked, tolerance_s)}
    paired = match(now, new, tolerance_s)
    now_kept = {i for i, _ in paired}
    new_kept = {j for _, j in paired}
    return SessionComparison(
        session_id=session.id,
        started_s=session.started_s,
        mode=session.mode.value,
        samples=session.samples,
        current_alert_s=now,
        candidate_alert_s=new,
        marked_false=len(marked),
        current_false=len(now_false),
        candidate_false=len(new_false),
        missed_s=tuple(t for i, t in enumerate(now) if i not in now_kept and i not in now_false),
        added_s=tuple(t for j, t in enumerate(new) if j not in new_kept),
    )


def totals(comparisons: Sequence[SessionComparison]) -> Totals:
    """The sum over sessions."""
    return Totals(
        sessions=len(comparisons),
        samples=sum(c.samples for c in comparisons),
        current_alerts=sum(len(c.current_alert_s) for c in comparisons),
        candidate_alerts=sum(len(c.candidate_alert_s) for c in comparisons),
        marked_false=sum(c.marked_false for c in comparisons),
        current_false=sum(c.current_false for c in comparisons),
        candidate_false=sum(c.candidate_false for c in comparisons),
        missed=sum(len(c.missed_s) for c in comparisons),
        added=sum(len(c.added_s) for c in comparisons),
    )


def verdict(
    current_alerts: int,
    candidate_alerts: int,
    current_false: int,
    candidate_false: int,
    missed: int,
    added: int,
    say: Catalogue | None = None,
) -> str:
    """E.g. 'candidate gives 2 fewer alerts, removes both false alarms, misses no episode'
    (in the language of `say`, English without)."""
    say = say or load_catalogue()
    difference = candidate_alerts - current_alerts
    if difference < 0:
        parts = [say.count("tune.fewer", -difference)]
    elif difference > 0:
        parts = [say.count("tune.more", difference)]
    else:
        parts = [say("tune.as_many", n=current_alerts)]

    removed = current_false - candidate_false
    if current_false == 0 and candidate_false == 0:
        parts.append(say("tune.no_false_alarm"))
    elif candidate_false == 0:
        everything = {1: "tune.removes_the", 2: "tune.removes_both"}.get(
            current_false, "tune.removes_all"
        )
        parts.append(say(everything, n=current_false))
    elif removed > 0:
        parts.append(say.count("tune.removes_some", current_false, removed=removed))
    elif removed == 0:
        parts.append(say.count("tune.keeps", current_false))
    else:
        parts.append(say.count("tune.falls_on", -removed))

    if missed == 0:
        parts.append(say("tune.misses_none"))
    else:
        parts.append(say.count("tune.misses", missed))
    if added:
        # not "adds": a stricter candidate that gives fewer alerts still has some at other
        # times (later in the same rise), which the current settings do not give then
        parts.append(say.count("tune.added", added))
    return ", ".join(parts)
