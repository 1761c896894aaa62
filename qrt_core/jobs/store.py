"""``JobStore``: the durable record of every job, one SQLite database under ``$QRT_HOME``.

WAL mode lets several processes read while one writes; every write is a short ``BEGIN IMMEDIATE``
transaction, so writers from different processes (the service hosting jobs, a ``qrt cancel``, a
store being recovered) take turns instead of failing. The schema is versioned with
``PRAGMA user_version`` and upgraded by the migrations below, in order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import QRTError
from .owner import ProcessIdentity, is_alive

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "FINAL_STATUSES",
    "PENDING_STATUSES",
    "INTERRUPTED_MESSAGE",
    "JobRecord",
    "JobStore",
]

DB_FILENAME = "jobs.db"
PENDING_STATUSES = ("QUEUED", "RUNNING")
FINAL_STATUSES = ("DONE", "ERROR", "CANCELLED")
INTERRUPTED_MESSAGE = "interrupted: the process running it stopped"

# Each migration takes the schema from version N to N+1 (index N). Never edit a released one:
# append a new one instead.
_MIGRATIONS: list[Sequence[str]] = [
    (
        """CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            program_id TEXT NOT NULL,
            program_version TEXT NOT NULL DEFAULT '',
            backend_name TEXT NOT NULL,
            inputs TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            result TEXT,
            error_message TEXT,
            failure_reason TEXT,
            max_execution_time REAL,
            executor TEXT NOT NULL DEFAULT '',
            worker TEXT NOT NULL DEFAULT '{}',
            owner_host TEXT NOT NULL DEFAULT '',
            owner_pid INTEGER NOT NULL DEFAULT 0,
            owner_start TEXT NOT NULL DEFAULT '',
            owner_token TEXT NOT NULL DEFAULT '',
            interim_count INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX jobs_by_created ON jobs (created_at)",
        "CREATE INDEX jobs_by_program ON jobs (program_id, created_at)",
        "CREATE INDEX jobs_by_status ON jobs (status)",
        """CREATE TABLE status_history (
            job_id TEXT NOT NULL,
            status TEXT NOT NULL,
            at REAL NOT NULL,
            detail TEXT
        )""",
        "CREATE INDEX status_history_by_job ON status_history (job_id)",
        """CREATE TABLE interim_results (
            job_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            message TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE logs (
            job_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            stream TEXT NOT NULL,
            text TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE cancel_requests (
            job_id TEXT PRIMARY KEY,
            requested_at REAL NOT NULL,
            requested_by TEXT NOT NULL DEFAULT ''
        )""",
    ),
]
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclass(frozen=True)
class JobRecord:
    """One row of the ``jobs`` table."""

    job_id: str
    program_id: str
    program_version: str
    backend_name: str
    inputs: str
    options: dict[str, Any]
    status: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    result: str | None = None
    error_message: str | None = None
    failure_reason: str | None = None
    max_execution_time: float | None = None
    executor: str = ""
    worker: dict[str, Any] = field(default_factory=dict)
    owner: ProcessIdentity | None = None
    owner_token: str = ""
    interim_count: int = 0

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


_COLUMNS = (
    "job_id, program_id, program_version, backend_name, inputs, options, status, created_at, "
    "started_at, finished_at, result, error_message, failure_reason, max_execution_time, executor, "
    "worker, owner_host, owner_pid, owner_start, owner_token, interim_count"
)


def _record(row: Sequence[Any]) -> JobRecord:
    (job_id, program_id, version, backend, inputs, options, status, created, started, finished,
     result, error, reason, max_time, executor, worker, host, pid, start, token, count) = row  # fmt: skip
    return JobRecord(
        job_id=job_id,
        program_id=program_id,
        program_version=version,
        backend_name=backend,
        inputs=inputs,
        options=json.loads(options or "{}"),
        status=status,
        created_at=created,
        started_at=started,
        finished_at=finished,
        result=result,
        error_message=error,
        failure_reason=reason,
        max_execution_time=max_time,
        executor=executor,
        worker=json.loads(worker or "{}"),
        owner=ProcessIdentity(host, pid, start) if pid else None,
        owner_token=token,
        interim_count=count,
    )


def _close_quietly(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except sqlite3.Error:
        pass


class JobStore:
    """The job database at ``home/jobs.db``; safe to share between threads and processes.

    Each thread gets its own connection. Reads never block on writers (WAL); writes go through
    :meth:`transaction`.
    """

    def __init__(self, home: str | Path) -> None:
        self.home = Path(home)
        self.path = self.home / DB_FILENAME
        self._local = threading.local()
        #: Every open connection and the thread it belongs to.
        self._connections: dict[sqlite3.Connection, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise QRTError(f"Cannot create the job store folder {self.home}: {exc}. Set QRT_HOME to a writable folder.") from exc
        self._migrate()

    # -- connections -----------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise QRTError(f"The job store {self.path} is closed.")
            try:
                conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as exc:
                raise QRTError(f"Cannot open the job store {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                # Threads that ended cannot release their connections: close them here, or a
                # process that uses a thread per request runs out of file descriptors.
                for other, thread in list(self._connections.items()):
                    if not thread.is_alive():
                        del self._connections[other]
                        _close_quietly(other)
                self._connections[conn] = threading.current_thread()
        return conn

    def release_connection(self) -> None:
        """Close this thread's connection (a short-lived thread calls it before it ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            self._connections.pop(conn, None)
        _close_quietly(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = list(self._connections), {}
        for conn in connections:
            _close_quietly(conn)

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (``BEGIN IMMEDIATE``) so it never fails mid-way on a
        lock held by another process; committed on success, rolled back on error."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self.connection()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise QRTError(
                f"The job store {self.path} has schema version {version}, newer than this qrt "
                f"understands ({SCHEMA_VERSION}); upgrade qrt or point QRT_HOME elsewhere."
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            for index in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[index]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def schema_version(self) -> int:
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])

    # -- reads -----------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobRecord | None:
        row = self.connection().execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return _record(row) if row else None

    def status(self, job_id: str) -> str | None:
        row = self.connection().execute("SELECT status FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    def list(
        self,
        *,
        limit: int | None = 10,
        skip: int = 0,
        statuses: Iterable[str] | None = None,
        program_id: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        descending: bool = True,
    ) -> list[JobRecord]:
        where, params = [], []  # type: ignore[var-annotated]
        if statuses is not None:
            wanted = list(statuses)
            where.append(f"status IN ({', '.join('?' * len(wanted))})" if wanted else "0")
            params.extend(wanted)
        if program_id is not None:
            where.append("program_id = ?")
            params.append(program_id)
        if created_after is not None:
            where.append("created_at >= ?")
            params.append(created_after)
        if created_before is not None:
            where.append("created_at <= ?")
            params.append(created_before)
        sql = f"SELECT {_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = "DESC" if descending else "ASC"
        sql += f" ORDER BY created_at {order}, rowid {order} LIMIT ? OFFSET ?"
        params.extend([-1 if limit is None else int(limit), int(skip)])
        return [_record(row) for row in self.connection().execute(sql, params)]

    def interim_results(self, job_id: str, since: int = 0) -> list[tuple[int, str]]:
        """``(seq, message)`` of the job's interim results with ``seq > since``, in order."""
        return self.connection().execute(
            "SELECT seq, message FROM interim_results WHERE job_id = ? AND seq > ? ORDER BY seq",
            (job_id, since),
        ).fetchall()

    def logs(self, job_id: str, since: int = 0) -> list[tuple[int, str, str, float]]:
        """``(seq, stream, text, at)`` of the job's output with ``seq > since``, in order."""
        return self.connection().execute(
            "SELECT seq, stream, text, at FROM logs WHERE job_id = ? AND seq > ? ORDER BY seq",
            (job_id, since),
        ).fetchall()

    def history(self, job_id: str) -> list[tuple[str, float, str | None]]:
        """``(status, at, detail)`` for every status the job went through, oldest first."""
        return self.connection().execute(
            "SELECT status, at, detail FROM status_history WHERE job_id = ? ORDER BY at, rowid", (job_id,)
        ).fetchall()

    def cancel_requests_for(self, owner_token: str) -> list[str]:
        """Jobs of the given owner that another process asked to cancel."""
        rows = self.connection().execute(
            "SELECT c.job_id FROM cancel_requests c JOIN jobs j ON j.job_id = c.job_id "
            "WHERE j.owner_token = ?",
            (owner_token,),
        ).fetchall()
        return [row[0] for row in rows]

    # -- writes by the hosting service (through its recorder) --------------------------------------

    @staticmethod
    def insert_job(conn: sqlite3.Connection, record: JobRecord) -> None:
        owner = record.owner or ProcessIdentity("", 0, "")
        conn.execute(
            f"INSERT INTO jobs ({_COLUMNS}) VALUES ({', '.join('?' * 21)})",
            (
                record.job_id, record.program_id, record.program_version, record.backend_name,
                record.inputs, json.dumps(record.options), record.status, record.created_at,
                record.started_at, record.finished_at, record.result, record.error_message,
                record.failure_reason, record.max_execution_time, record.executor,
                json.dumps(record.worker), owner.host, owner.pid, owner.start, record.owner_token,
                record.interim_count,
            ),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO status_history (job_id, status, at) VALUES (?, ?, ?)",
            (record.job_id, record.status, record.created_at),
        )

    @staticmethod
    def mark_running(conn: sqlite3.Connection, job_id: str, at: float, worker: dict[str, Any]) -> bool:
        changed = conn.execute(
            "UPDATE jobs SET status = 'RUNNING', started_at = ?, worker = ? WHERE job_id = ? AND status = 'QUEUED'",
            (at, json.dumps(worker), job_id),
        ).rowcount
        if changed:
            conn.execute("INSERT INTO status_history (job_id, status, at) VALUES (?, 'RUNNING', ?)", (job_id, at))
        return bool(changed)

    @staticmethod
    def add_interim_results(conn: sqlite3.Connection, rows: list[tuple[str, int, str, float]]) -> None:
        """``rows`` of ``(job_id, seq, message, at)``."""
        conn.executemany("INSERT INTO interim_results (job_id, seq, message, at) VALUES (?, ?, ?, ?)", rows)
        counts: dict[str, int] = {}
        for job_id, seq, _message, _at in rows:
            counts[job_id] = max(counts.get(job_id, 0), seq)
        conn.executemany(
            "UPDATE jobs SET interim_count = MAX(interim_count, ?) WHERE job_id = ?",
            [(seq, job_id) for job_id, seq in counts.items()],
        )

    @staticmethod
    def add_logs(conn: sqlite3.Connection, rows: list[tuple[str, int, str, str, float]]) -> None:
        """``rows`` of ``(job_id, seq, stream, text, at)``."""
        conn.executemany("INSERT INTO logs (job_id, seq, stream, text, at) VALUES (?, ?, ?, ?, ?)", rows)

    @staticmethod
    def finish(
        conn: sqlite3.Connection,
        job_id: str,
        status: str,
        at: float,
        *,
        result: str | None = None,
        error_message: str | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        """Move an unfinished job to a final status; a job already final is left alone."""
        changed = conn.execute(
            "UPDATE jobs SET status = ?, finished_at = ?, result = ?, error_message = ?, failure_reason = ? "
            "WHERE job_id = ? AND status IN ('QUEUED', 'RUNNING')",
            (status, at, result, error_message, failure_reason, job_id),
        ).rowcount
        if changed:
            conn.execute(
                "INSERT INTO status_history (job_id, status, at, detail) VALUES (?, ?, ?, ?)",
                (job_id, status, at, failure_reason),
            )
        conn.execute("DELETE FROM cancel_requests WHERE job_id = ?", (job_id,))
        return bool(changed)

    # -- writes from any process ---------------------------------------------------------------------

    def request_cancel(self, job_id: str, requested_by: str = "") -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cancel_requests (job_id, requested_at, requested_by) VALUES (?, ?, ?)",
                (job_id, time.time(), requested_by),
            )

    def delete(self, job_id: str) -> bool:
        with self.transaction() as conn:
            deleted = conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,)).rowcount
            for table in ("status_history", "interim_results", "logs", "cancel_requests"):
                conn.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
        return bool(deleted)

    def recover_interrupted(
        self,
        *,
        job_ids: Iterable[str] | None = None,
        alive: Callable[[ProcessIdentity], bool | None] = is_alive,
    ) -> list[str]:
        """Mark ERROR every unfinished job whose hosting process has stopped; jobs of processes
        that still run (or run on another host) are left alone. Returns the ids marked."""
        conn = self.connection()
        sql = "SELECT job_id, owner_host, owner_pid, owner_start FROM jobs WHERE status IN ('QUEUED', 'RUNNING')"
        rows = conn.execute(sql).fetchall()
        if job_ids is not None:
            wanted = set(job_ids)
            rows = [row for row in rows if row[0] in wanted]
        dead: dict[str, ProcessIdentity] = {}
        verdicts: dict[ProcessIdentity, bool | None] = {}
        for job_id, host, pid, start in rows:
            owner = ProcessIdentity(host, pid, start)
            if owner not in verdicts:
                verdicts[owner] = alive(owner) if pid else False
            if verdicts[owner] is False:
                dead[job_id] = owner
        if not dead:
            return []
        now = time.time()
        marked = []
        with self.transaction() as conn:
            for job_id, owner in dead.items():
                message = f"{INTERRUPTED_MESSAGE} (pid {owner.pid} on {owner.host or 'this host'}) before the job finished."
                if self.finish(conn, job_id, "ERROR", now, error_message=message, failure_reason="interrupted"):
                    marked.append(job_id)
        return marked
