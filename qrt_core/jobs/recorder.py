"""``JobRecorder``: the :class:`~qrt_core.executors.JobSink` of a service. It writes every event of
the jobs this process hosts to the store, in order, and calls their callbacks in the same order.

Executors report events from their own threads; each event is queued and a single writer thread
takes whatever has queued up and writes it in one transaction, so a burst of interim results costs
one commit, not one per message. After each commit the callbacks of the messages written are
handed, in order, to one callback thread, so a slow callback never holds up the store.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .store import JobStore

__all__ = ["HostedJob", "JobRecorder"]

logger = logging.getLogger("qrt_core.jobs")

_FINAL = object()


def _storable(text: str) -> str:
    """``text`` as SQLite can store it. A lone surrogate (a file name or bytes decoded with
    ``surrogateescape``, then printed) cannot be encoded as UTF-8 and would fail the whole batch,
    leaving its jobs RUNNING; it is kept as a backslash escape instead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class HostedJob:
    """What the hosting process knows about one of its jobs beyond the store: its callback and
    decoders, the next sequence numbers, and events set when it ends."""

    def __init__(self, job_id: str, callback: Callable[[str, Any], Any] | None, interim_decoder: Any, final_decoder: Any) -> None:
        self.job_id = job_id
        self.callback = callback
        self.interim_decoder = interim_decoder
        self.final_decoder = final_decoder
        self.interim_seq = 0
        self.log_seq = 0
        self.final = False
        #: Set once the terminal status is in the store.
        self.recorded = threading.Event()
        #: Set once, in addition, every interim result has been handed to the callback.
        self.delivered = threading.Event()


class JobRecorder:
    """Implements the executor's sink; the only writer of the hosted jobs' rows."""

    def __init__(self, store_of: Callable[[], JobStore]) -> None:
        self._store_of = store_of
        self._hosted: dict[str, HostedJob] = {}
        self._events: deque[tuple[Any, ...]] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        #: Notified after every commit: lets tails of hosted jobs wake at once.
        self.changed = threading.Condition()
        self._callbacks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="qrt-job-recorder", daemon=True)
        self._caller = threading.Thread(target=self._callback_loop, name="qrt-job-callbacks", daemon=True)
        self._writer.start()
        self._caller.start()

    # -- the jobs ---------------------------------------------------------------------------------

    def host(self, job: HostedJob) -> None:
        self._hosted[job.job_id] = job

    def hosted(self, job_id: str) -> HostedJob | None:
        return self._hosted.get(job_id)

    def unfinished(self) -> list[HostedJob]:
        return [job for job in list(self._hosted.values()) if not job.final]

    def abandon(self, job: HostedJob) -> None:
        """Forget a job that never reached the executor (its row is finished by the caller)."""
        job.final = True
        job.recorded.set()
        job.delivered.set()
        self._hosted.pop(job.job_id, None)

    def in_callback_thread(self) -> bool:
        return threading.current_thread() is self._caller

    # -- JobSink ----------------------------------------------------------------------------------

    def _post(self, event: tuple[Any, ...]) -> None:
        with self._cond:
            self._events.append(event)
            if len(self._events) == 1:
                self._cond.notify()

    def job_started(self, job_id: str, info: dict[str, Any]) -> None:
        self._post(("started", job_id, time.time(), info))

    def job_interim(self, job_id: str, message: str) -> None:
        self._post(("interim", job_id, time.time(), _storable(message)))

    def job_log(self, job_id: str, stream: str, text: str) -> None:
        self._post(("log", job_id, time.time(), stream, _storable(text)))

    def job_finished(self, job_id: str, result: str) -> None:
        self._post(("finished", job_id, time.time(), _storable(result)))

    def job_failed(self, job_id: str, message: str, *, reason: str = "error") -> None:
        self._post(("failed", job_id, time.time(), _storable(message), reason))

    def job_cancelled(self, job_id: str) -> None:
        self._post(("cancelled", job_id, time.time()))

    # -- writing ----------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._events and not self._stopping:
                    self._cond.wait()
                if not self._events:
                    return
                batch = list(self._events)
                self._events.clear()
            try:
                self._write(batch)
            except Exception:  # noqa: BLE001 - the writer must outlive one bad batch
                logger.exception("Could not record %d job event(s) in the job store", len(batch))

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        store = self._store_of()
        interim: list[tuple[str, int, str, float]] = []
        logs: list[tuple[str, int, str, str, float]] = []
        delivered: list[tuple[HostedJob, Any]] = []
        ended: list[HostedJob] = []

        def flush(conn: sqlite3.Connection) -> None:
            if interim:
                store.add_interim_results(conn, interim)
                interim.clear()
            if logs:
                store.add_logs(conn, logs)
                logs.clear()

        with store.transaction() as conn:
            for event in batch:
                kind, job_id, at = event[0], event[1], event[2]
                job = self._hosted.get(job_id)
                if job is None or job.final:
                    continue  # the sink ignores whatever follows a terminal event
                if kind == "interim":
                    job.interim_seq += 1
                    interim.append((job_id, job.interim_seq, event[3], at))
                    if job.callback is not None:
                        delivered.append((job, event[3]))
                    continue
                if kind == "log":
                    job.log_seq += 1
                    logs.append((job_id, job.log_seq, event[3], event[4], at))
                    continue
                flush(conn)
                if kind == "started":
                    store.mark_running(conn, job_id, at, event[3])
                    continue
                if kind == "finished":
                    store.finish(conn, job_id, "DONE", at, result=event[3])
                elif kind == "failed":
                    store.finish(conn, job_id, "ERROR", at, error_message=event[3], failure_reason=event[4])
                elif kind == "cancelled":
                    store.finish(conn, job_id, "CANCELLED", at)
                job.final = True
                ended.append(job)
                delivered.append((job, _FINAL))
            flush(conn)
        for job in ended:
            job.recorded.set()
        with self.changed:
            self.changed.notify_all()
        for job, message in delivered:
            if message is _FINAL and job.callback is None:
                self._finish_delivery(job)
            else:
                self._callbacks.put((job, message))

    def _finish_delivery(self, job: HostedJob) -> None:
        job.delivered.set()
        self._hosted.pop(job.job_id, None)

    # -- callbacks --------------------------------------------------------------------------------

    def _callback_loop(self) -> None:
        while True:
            item = self._callbacks.get()
            if item is None:
                return
            job, message = item
            if message is _FINAL:
                self._finish_delivery(job)
                continue
            try:
                value = job.interim_decoder.decode(message)
            except Exception:  # noqa: BLE001 - the callback still hears about the message
                logger.warning("Job %s: an interim result could not be decoded; passing the raw text", job.job_id, exc_info=True)
                value = message
            try:
                job.callback(job.job_id, value)
            except Exception:  # noqa: BLE001 - a failing callback must not stop the stream
                logger.exception("The callback of job %s raised; the next interim results are still delivered.", job.job_id)

    # -- end ----------------------------------------------------------------------------------------

    def close(self, wait: bool = True) -> None:
        """Write what is queued, then stop; ``wait`` also waits for queued callbacks."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if threading.current_thread() is not self._writer:
            self._writer.join()
        self._callbacks.put(None)
        if wait and threading.current_thread() is not self._caller:
            self._caller.join()
