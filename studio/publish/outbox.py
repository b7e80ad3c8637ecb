"""The outbox: a persistent publishing queue in `<workspace>/outbox.sqlite` that posts exactly once.

The rules that make a crash, a kill or a lost connection harmless (reasoning in
docs/decisions/0005-outbox-exactly-once.md):

1. A job (post × platform × account, with its whole `PublishPlan`) is committed *before* any
   network call. Nothing is ever sent for a post the outbox does not know about.
2. Every step of the plan has a row: pending → running (committed *before* its request is sent,
   with attempts+1) → done (with the remote ids it produced). Ids known mid-step (a container id
   before the publish call) are recorded as soon as they exist (`record_step(..., done=False)`).
3. A worker *claims* a job with a lease (owner + expiry). A killed worker's lease expires and the
   next worker takes the job over; a worker whose lease was taken over can no longer write
   (`LeaseLost`), so two workers never both drive one job.
4. On resume, done steps are skipped (their ids are reused), idempotent steps are simply redone,
   and a non-idempotent step that was ever attempted (running or failed: the request may have
   reached the platform) is first re-checked through the runner's *probe* ("is the container
   PUBLISHED?", "is there a pin with this title on the board?"); only if the probe says it did not
   happen is it sent again.

One SQLite connection per thread (sqlite3 objects must not cross threads), WAL journal so readers
(the GUI's outbox list) never block the worker, `synchronous=FULL` so a committed step survives
power loss, and `BEGIN IMMEDIATE` transactions so concurrent claims from several processes
serialise on the write lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from studio.core.sqlite_tx import immediate
from studio.publish.plan import PublishPlan, Step

OUTBOX_NAME = "outbox.sqlite"
DEFAULT_LEASE_S = 600.0  # covers the longest single step (IG polls: once a minute for 5 minutes)
MISSED_GRACE_S = 15 * 60.0  # a schedule older than this when the app starts is "missed"
CONTAINER_LIFE_S = 24 * 3600.0  # an unpublished Instagram container expires after 24 h (publishing.md)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
JOB_STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
PENDING = "pending"  # step states: pending | running | done | failed
STEP_STATES = (PENDING, RUNNING, DONE, FAILED)
ACTIVE = (QUEUED, RUNNING)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    account TEXT NOT NULL,
    target TEXT NOT NULL,
    plan TEXT NOT NULL,
    state TEXT NOT NULL,
    scheduled_at REAL,
    retry_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    completed_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires REAL,
    last_error TEXT,
    permalinks TEXT NOT NULL DEFAULT '[]',
    native_products TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, scheduled_at);
CREATE INDEX IF NOT EXISTS jobs_post ON jobs(post_id, platform);
CREATE TABLE IF NOT EXISTS steps (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    remote_ids TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at REAL,
    finished_at REAL,
    PRIMARY KEY (job_id, key)
);
"""
SCHEMA_VERSION = 1


class OutboxError(Exception):
    """Base of the outbox's own errors."""


class LeaseLost(OutboxError):
    """This worker's claim on the job expired and another worker took it over: stop at once."""


class JobCancelled(OutboxError):
    """The user cancelled the job; the worker stops before its next step."""


class UnknownJob(OutboxError, KeyError):
    pass


@dataclass(slots=True)
class StepRecord:
    key: str
    idx: int
    state: str
    attempts: int = 0
    remote_ids: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": self.state,
            "attempts": self.attempts,
            "remote_ids": dict(self.remote_ids),
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


@dataclass(slots=True)
class Job:
    """One post on one platform/account, with its plan and the state of every step."""

    id: str
    post_id: str
    platform: str
    account: str
    target: str
    plan: PublishPlan
    state: str
    scheduled_at: float | None
    retry_at: float | None
    created_at: float
    updated_at: float
    completed_at: float | None
    attempts: int
    lease_owner: str | None
    lease_expires: float | None
    last_error: str | None
    permalinks: list[str]
    native_products: list[str]
    steps: list[StepRecord] = field(default_factory=list)

    def step(self, key: str) -> StepRecord:
        return next(s for s in self.steps if s.key == key)

    @property
    def recorded(self) -> dict[str, dict[str, str]]:
        """Remote ids per step key — including ids recorded by steps not finished yet."""
        return {s.key: dict(s.remote_ids) for s in self.steps if s.remote_ids}

    @property
    def next_step(self) -> str | None:
        return next((s.key for s in self.steps if s.state != DONE), None)

    def to_dict(self) -> dict[str, Any]:
        """For `studio outbox list --json` (no secrets: plans hold none)."""
        return {
            "id": self.id,
            "post_id": self.post_id,
            "platform": self.platform,
            "account": self.account,
            "target": self.target,
            "state": self.state,
            "scheduled_at": self.scheduled_at,
            "retry_at": self.retry_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "completed_at": self.completed_at,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "permalinks": list(self.permalinks),
            "native_products": list(self.native_products),
            "next_step": self.next_step,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class StrandedUpload:
    """An uploaded image/video of a stopped job, still in the media bucket (see `stranded_uploads`)."""

    job_id: str
    media_id: str
    object_key: str
    redo_upload: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    job_id: str
    post_id: str
    platform: str
    account: str
    target: str
    permalinks: tuple[str, ...]
    native_products: tuple[str, ...]  # products tagged natively (the rest went by the fallback)
    completed_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "post_id": self.post_id,
            "platform": self.platform,
            "account": self.account,
            "target": self.target,
            "permalinks": list(self.permalinks),
            "native_products": list(self.native_products),
            "completed_at": self.completed_at,
        }


class Outbox:
    """`outbox.sqlite`; every public method is one transaction and safe from any thread or process."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def open(cls, workspace_root: Path | str, **kwargs: Any) -> Outbox:
        """The outbox of a workspace (`<root>/outbox.sqlite`)."""
        return cls(Path(workspace_root) / OUTBOX_NAME, **kwargs)

    # -- connections ---------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")  # first: the WAL switch itself may wait for a lock
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._conn())

    def close(self) -> None:
        """Close every thread's connection (call from the owning thread at shutdown)."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.ProgrammingError):  # made in another thread: dies with it
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing jobs ---------------------------------------------------------------------------------

    def enqueue(
        self,
        post_id: str,
        platform: str,
        account: str,
        plan: PublishPlan,
        scheduled_at: float | None = None,
    ) -> str:
        """Write the job and its steps (all pending) and return its id — before any network call.

        A second enqueue of the same post/target/account while the first is still queued or running
        returns the existing job (a double click must not publish twice).
        """
        now = self.clock()
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE post_id=? AND platform=? AND account=? AND target=? "
                "AND state IN (?, ?)",
                (post_id, platform, account, plan.target, *ACTIVE),
            ).fetchone()
            if row is not None:
                return str(row["id"])
            job_id = f"job_{uuid.uuid4().hex[:12]}"
            db.execute(
                "INSERT INTO jobs (id, post_id, platform, account, target, plan, state, scheduled_at, "
                "created_at, updated_at, native_products) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job_id,
                    post_id,
                    platform,
                    account,
                    plan.target,
                    plan.to_json(),
                    QUEUED,
                    scheduled_at,
                    now,
                    now,
                    json.dumps(plan.native_products),
                ),
            )
            db.executemany(
                "INSERT INTO steps (job_id, key, idx, state) VALUES (?,?,?,?)",
                [(job_id, step.key, i, PENDING) for i, step in enumerate(plan.steps)],
            )
        return job_id

    def claim(
        self, job_id: str, worker: str | None = None, *, lease_s: float = DEFAULT_LEASE_S
    ) -> Job | None:
        """Take the job for `worker` until now+lease_s; None if it is not due or someone holds it.

        A running job whose lease expired (its worker was killed) is taken over. Without `worker`
        a fresh id is made; it is the returned job's `lease_owner` (pass it to later calls).
        """
        worker = worker or new_worker_id()
        now = self.clock()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, lease_owner=?, lease_expires=?, attempts=attempts+1, updated_at=? "
                "WHERE id=? AND ((state=? AND COALESCE(scheduled_at, 0) <= ? AND COALESCE(retry_at, 0) <= ?) "
                "OR (state=? AND (lease_expires IS NULL OR lease_expires < ?)))",
                (RUNNING, worker, now + lease_s, now, job_id, QUEUED, now, now, RUNNING, now),
            )
            if cur.rowcount != 1:
                return None
        return self.get(job_id)

    def renew(self, job_id: str, worker: str, *, lease_s: float = DEFAULT_LEASE_S) -> None:
        """Extend the lease (call between steps and while polling); `LeaseLost` if it was taken over."""
        with self._tx() as db:
            self._check_lease(db, job_id, worker)
            db.execute(
                "UPDATE jobs SET lease_expires=?, updated_at=? WHERE id=?",
                (self.clock() + lease_s, self.clock(), job_id),
            )

    def release(self, job_id: str, worker: str) -> None:
        """Give the job back (graceful shutdown): queued again, steps keep their state."""
        with self._tx() as db:
            self._check_lease(db, job_id, worker)
            db.execute(
                "UPDATE jobs SET state=?, lease_owner=NULL, lease_expires=NULL, updated_at=? "
                "WHERE id=? AND state=?",
                (QUEUED, self.clock(), job_id, RUNNING),
            )

    def begin_step(self, job_id: str | Job, step_key: str, *, worker: str | None = None) -> StepRecord:
        """Mark the step running (attempts+1) — committed before its request is sent."""
        jid = _jid(job_id)
        now = self.clock()
        with self._tx() as db:
            state = self._check_lease(db, jid, worker)
            if state == CANCELLED:
                raise JobCancelled(jid)
            cur = db.execute(
                "UPDATE steps SET state=?, attempts=attempts+1, started_at=?, error=NULL "
                "WHERE job_id=? AND key=? AND state != ?",
                (RUNNING, now, jid, step_key, DONE),
            )
            if cur.rowcount != 1:
                raise OutboxError(f"step {step_key} of {jid} is unknown or already done")
            db.execute("UPDATE jobs SET updated_at=? WHERE id=?", (now, jid))
        return self._step(jid, step_key)

    def record_step(
        self,
        job_id: str | Job,
        step_key: str,
        remote_ids: Mapping[str, Any] | None = None,
        *,
        done: bool = True,
        worker: str | None = None,
    ) -> None:
        """Merge `remote_ids` into the step's record; `done=True` finishes it.

        Records are written even for a cancelled job: the remote thing exists, and the outbox must
        say so. With `worker`, a writer whose lease was taken over gets `LeaseLost` instead.
        """
        jid = _jid(job_id)
        now = self.clock()
        with self._tx() as db:
            self._check_lease(db, jid, worker)
            row = db.execute(
                "SELECT remote_ids FROM steps WHERE job_id=? AND key=?", (jid, step_key)
            ).fetchone()
            if row is None:
                raise OutboxError(f"step {step_key} of {jid} is unknown")
            ids = json.loads(row["remote_ids"])
            ids.update({str(k): str(v) for k, v in (remote_ids or {}).items()})
            if done:
                db.execute(
                    "UPDATE steps SET remote_ids=?, state=?, finished_at=?, error=NULL "
                    "WHERE job_id=? AND key=?",
                    (json.dumps(ids, sort_keys=True), DONE, now, jid, step_key),
                )
            else:
                db.execute(
                    "UPDATE steps SET remote_ids=? WHERE job_id=? AND key=?",
                    (json.dumps(ids, sort_keys=True), jid, step_key),
                )
            db.execute("UPDATE jobs SET updated_at=? WHERE id=?", (now, jid))

    def complete(
        self,
        job_id: str | Job,
        permalinks: Iterable[str],
        *,
        native_products: Iterable[str] | None = None,
        worker: str | None = None,
    ) -> None:
        """The job is published: it moves to the history with its permalinks."""
        jid = _jid(job_id)
        now = self.clock()
        with self._tx() as db:
            self._check_lease(db, jid, worker)
            sets = (
                "state=?, completed_at=?, updated_at=?, lease_owner=NULL, lease_expires=NULL, "
                "last_error=NULL, retry_at=NULL, permalinks=?"
            )
            args: list[Any] = [DONE, now, now, json.dumps(list(permalinks))]
            if native_products is not None:
                sets += ", native_products=?"
                args.append(json.dumps(list(native_products)))
            db.execute(f"UPDATE jobs SET {sets} WHERE id=?", (*args, jid))

    def fail(
        self,
        job_id: str | Job,
        error: str,
        retry_at: float | None = None,
        *,
        step_key: str | None = None,
        worker: str | None = None,
    ) -> None:
        """Stop the job with `error`; with `retry_at` it is queued again for then, else it is failed.

        The failing step becomes "failed" but keeps its attempt count, so a non-idempotent step is
        probed before it is sent again (its request may have reached the platform).
        """
        jid = _jid(job_id)
        now = self.clock()
        with self._tx() as db:
            state = self._check_lease(db, jid, worker)
            if step_key is not None:
                db.execute(
                    "UPDATE steps SET state=?, error=? WHERE job_id=? AND key=? AND state != ?",
                    (FAILED, error, jid, step_key, DONE),
                )
            if state == CANCELLED:
                return
            db.execute(
                "UPDATE jobs SET state=?, retry_at=?, last_error=?, lease_owner=NULL, lease_expires=NULL, "
                "updated_at=? WHERE id=?",
                (QUEUED if retry_at is not None else FAILED, retry_at, error, now, jid),
            )

    def cancel(self, job_id: str) -> bool:
        """Cancel a job not yet published; a running worker stops before its next step."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, updated_at=? WHERE id=? AND state IN (?,?,?)",
                (CANCELLED, self.clock(), job_id, QUEUED, RUNNING, FAILED),
            )
            return cur.rowcount == 1

    def skip(self, job_id: str) -> bool:
        """A missed schedule the user chose not to publish: cancelled, with the reason kept."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, last_error=?, updated_at=? WHERE id=? AND state=?",
                (CANCELLED, "skipped: the scheduled time was missed", self.clock(), job_id, QUEUED),
            )
            return cur.rowcount == 1

    def publish_now(self, job_id: str) -> bool:
        """A missed schedule the user chose to publish: due immediately."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET scheduled_at=?, updated_at=? WHERE id=? AND state=?",
                (self.clock(), self.clock(), job_id, QUEUED),
            )
            return cur.rowcount == 1

    def retry(self, job_id: str) -> bool:
        """A failed or cancelled job is queued again, now; done steps stay done (never redone)."""
        now = self.clock()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET state=?, retry_at=NULL, last_error=NULL, scheduled_at=CASE WHEN "
                "scheduled_at IS NULL OR scheduled_at > ? THEN scheduled_at ELSE ? END, updated_at=? "
                "WHERE id=? AND state IN (?,?)",
                (QUEUED, now, now, now, job_id, FAILED, CANCELLED),
            )
            if cur.rowcount != 1:
                return False
            db.execute(
                "UPDATE steps SET state=?, error=NULL WHERE job_id=? AND state=?", (PENDING, job_id, FAILED)
            )
            return True

    # -- bucket objects of jobs that stopped --------------------------------------------------------

    def stranded_uploads(
        self, now: float | None = None, *, container_life_s: float = CONTAINER_LIFE_S
    ) -> list[StrandedUpload]:
        """Objects in the media bucket whose job stopped (cancelled, or failed with no retry time)
        before its cleanup step deleted them: privacy and storage say they go now, not never.

        Each comes with what deleting it means for a later Retry: `redo_upload` (the container was
        not created yet, so Retry uploads again) or not (the platform already fetched the file, or
        its container expired after `container_life_s`). An object a container is still fetching
        (a video being processed) is left until that container is done or expired.
        """
        t = self.clock() if now is None else now
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM jobs WHERE (state=? OR (state=? AND retry_at IS NULL)) "
                "AND (lease_owner IS NULL OR lease_expires < ?) ORDER BY updated_at",
                (CANCELLED, FAILED, t),
            )
            .fetchall()
        )
        out: list[StrandedUpload] = []
        for row in rows:
            job = self._job(row)
            states = {s.key: s for s in job.steps}
            for step in job.steps:
                if not step.key.startswith("ig.upload.") or not step.remote_ids.get("object_key"):
                    continue
                media_id = step.key.removeprefix("ig.upload.")
                cleanup = states.get(f"ig.cleanup.{media_id}")
                if cleanup is None or cleanup.state == DONE:
                    continue
                container = states.get(f"ig.container.{media_id}")
                poll = states.get(f"ig.poll.{media_id}")
                created = container is not None and container.state == DONE
                fetched = created and (poll is None or poll.state == DONE)
                expired = t - job.updated_at > container_life_s
                if created and not fetched and not expired:
                    continue  # the platform may still be fetching it
                out.append(
                    StrandedUpload(job.id, media_id, step.remote_ids["object_key"], redo_upload=not created)
                )
        return out

    def release_upload(self, upload: StrandedUpload) -> None:
        """Record that `upload`'s object was deleted: either the upload step is to be done again on a
        Retry (its ids forgotten), or the cleanup step is done."""
        now = self.clock()
        with self._tx() as db:
            if upload.redo_upload:
                db.execute(
                    "UPDATE steps SET state=?, remote_ids='{}', error=NULL, attempts=0, finished_at=NULL "
                    "WHERE job_id=? AND key=?",
                    (PENDING, upload.job_id, f"ig.upload.{upload.media_id}"),
                )
            else:
                db.execute(
                    "UPDATE steps SET state=?, finished_at=? WHERE job_id=? AND key=?",
                    (DONE, now, upload.job_id, f"ig.cleanup.{upload.media_id}"),
                )

    # -- reading --------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        conn = self._conn()
        row = conn.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        return self._job(row)

    def state(self, job_id: str) -> str:
        row = self._conn().execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        return str(row["state"])

    def jobs(self, states: Iterable[str] | None = None) -> list[Job]:
        """Jobs (optionally in these states), oldest first — for `studio outbox list`."""
        wanted = tuple(states) if states is not None else JOB_STATES
        marks = ",".join("?" * len(wanted))
        rows = (
            self._conn()
            .execute(f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY created_at, id", wanted)
            .fetchall()
        )
        return [self._job(r) for r in rows]

    def next_due(self, now: float | None = None, *, grace_s: float = MISSED_GRACE_S) -> list[Job]:
        """Jobs a worker may claim now, in due order: queued and due (missed schedules excluded —
        the user decides those), plus running jobs whose lease expired (their worker died)."""
        t = self.clock() if now is None else now
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM jobs WHERE (state=? AND COALESCE(scheduled_at, 0) <= ? "
                "AND COALESCE(retry_at, 0) <= ? "
                "AND NOT (scheduled_at IS NOT NULL AND scheduled_at < ? AND attempts = 0)) "
                "OR (state=? AND (lease_expires IS NULL OR lease_expires < ?)) "
                "ORDER BY COALESCE(retry_at, scheduled_at, created_at), created_at",
                (QUEUED, t, t, t - grace_s, RUNNING, t),
            )
            .fetchall()
        )
        return [self._job(r) for r in rows]

    def missed(self, now: float | None = None, *, grace_s: float = MISSED_GRACE_S) -> list[Job]:
        """Scheduled jobs whose time passed while the app was not running: publish now or skip?"""
        t = self.clock() if now is None else now
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM jobs WHERE state=? AND scheduled_at IS NOT NULL AND scheduled_at < ? "
                "AND attempts = 0 "
                "ORDER BY scheduled_at",
                (QUEUED, t - grace_s),
            )
            .fetchall()
        )
        return [self._job(r) for r in rows]

    def history(self) -> list[HistoryEntry]:
        """Every published job, newest first, with its permalinks and natively tagged products."""
        rows = (
            self._conn()
            .execute("SELECT * FROM jobs WHERE state=? ORDER BY completed_at DESC, id", (DONE,))
            .fetchall()
        )
        return [
            HistoryEntry(
                job_id=r["id"],
                post_id=r["post_id"],
                platform=r["platform"],
                account=r["account"],
                target=r["target"],
                permalinks=tuple(json.loads(r["permalinks"])),
                native_products=tuple(json.loads(r["native_products"])),
                completed_at=float(r["completed_at"]),
            )
            for r in rows
        ]

    # -- internals ------------------------------------------------------------------------------------

    def _check_lease(self, db: sqlite3.Connection, job_id: str, worker: str | None) -> str:
        row = db.execute("SELECT state, lease_owner FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        if worker is not None and row["lease_owner"] != worker and row["state"] != CANCELLED:
            raise LeaseLost(f"job {job_id} is now held by another worker")
        return str(row["state"])

    def _step(self, job_id: str, key: str) -> StepRecord:
        row = self._conn().execute("SELECT * FROM steps WHERE job_id=? AND key=?", (job_id, key)).fetchone()
        return _step_record(row)

    def _job(self, row: sqlite3.Row) -> Job:
        steps = (
            self._conn().execute("SELECT * FROM steps WHERE job_id=? ORDER BY idx", (row["id"],)).fetchall()
        )
        return Job(
            id=row["id"],
            post_id=row["post_id"],
            platform=row["platform"],
            account=row["account"],
            target=row["target"],
            plan=PublishPlan.from_json(row["plan"]),
            state=row["state"],
            scheduled_at=row["scheduled_at"],
            retry_at=row["retry_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            completed_at=row["completed_at"],
            attempts=row["attempts"],
            lease_owner=row["lease_owner"],
            lease_expires=row["lease_expires"],
            last_error=row["last_error"],
            permalinks=json.loads(row["permalinks"]),
            native_products=json.loads(row["native_products"]),
            steps=[_step_record(s) for s in steps],
        )


def _step_record(row: sqlite3.Row) -> StepRecord:
    return StepRecord(
        key=row["key"],
        idx=row["idx"],
        state=row["state"],
        attempts=row["attempts"],
        remote_ids=json.loads(row["remote_ids"]),
        error=row["error"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _jid(job: str | Job) -> str:
    return job.id if isinstance(job, Job) else job


# --- driving a job -------------------------------------------------------------------------------


class StepRunner(Protocol):
    """What a platform client provides to the driver (one per platform)."""

    def run(
        self,
        job: Job,
        step: Step,
        recorded: Mapping[str, Mapping[str, str]],
        record: Callable[[Mapping[str, Any]], None],
    ) -> Mapping[str, Any]:
        """Send the step's request(s); call `record(ids)` as soon as an id exists; return the ids."""
        ...

    def probe(
        self, job: Job, step: Step, recorded: Mapping[str, Mapping[str, str]]
    ) -> Mapping[str, Any] | None:
        """Did this non-idempotent step already happen? Its ids if so, else None."""
        ...


def new_worker_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def run_job(
    outbox: Outbox,
    job_id: str,
    runner: StepRunner,
    *,
    worker: str,
    lease_s: float = DEFAULT_LEASE_S,
    retry_delay: Callable[[BaseException, int], float | None] | None = None,
) -> Job | None:
    """Claim `job_id` and drive its remaining steps exactly once; None if it could not be claimed.

    `retry_delay(exc, attempts)` returns seconds to wait before a retry, or None for a permanent
    failure (default: an exception with a `retry_after` attribute is retried after that many
    seconds, anything else fails the job). `LeaseLost` and `JobCancelled` stop quietly.
    """
    job = outbox.claim(job_id, worker, lease_s=lease_s)
    if job is None:
        return None
    recorded: dict[str, dict[str, str]] = job.recorded
    try:
        for step in job.plan.steps:
            rec = job.step(step.key)
            if rec.state == DONE:
                continue
            if not step.idempotent and rec.attempts > 0:
                found = runner.probe(job, step, recorded)
                if found is not None:  # it happened before the crash: record, never resend
                    outbox.record_step(job_id, step.key, found, worker=worker)
                    recorded.setdefault(step.key, {}).update({k: str(v) for k, v in found.items()})
                    continue
            outbox.begin_step(job_id, step.key, worker=worker)

            def record(ids: Mapping[str, Any], key: str = step.key) -> None:
                outbox.record_step(job_id, key, ids, done=False, worker=worker)
                recorded.setdefault(key, {}).update({k: str(v) for k, v in ids.items()})
                outbox.renew(job_id, worker, lease_s=lease_s)

            try:
                ids = runner.run(job, step, recorded, record)
            except (LeaseLost, JobCancelled):
                raise
            except Exception as exc:
                delay = (retry_delay or _default_retry_delay)(exc, rec.attempts + 1)
                retry_at = outbox.clock() + delay if delay is not None else None
                outbox.fail(
                    job_id, f"{step.title or step.key}: {exc}", retry_at, step_key=step.key, worker=worker
                )
                return outbox.get(job_id)
            outbox.record_step(job_id, step.key, ids, worker=worker)
            recorded.setdefault(step.key, {}).update({k: str(v) for k, v in (ids or {}).items()})
            outbox.renew(job_id, worker, lease_s=lease_s)
        permalinks = [
            recorded[s.key]["permalink"] for s in job.plan.steps if "permalink" in recorded.get(s.key, {})
        ]
        outbox.complete(job_id, permalinks, native_products=job.plan.native_products, worker=worker)
    except (LeaseLost, JobCancelled):
        pass
    return outbox.get(job_id)


def _default_retry_delay(exc: BaseException, attempts: int) -> float | None:
    after = getattr(exc, "retry_after", None)
    if after is None:
        return None
    return float(after)
