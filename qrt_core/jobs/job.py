"""``RuntimeJob``: one job, as IBM's runtime client showed it — status, result, interim results,
logs, metrics, cancel — read from the store, so any process can follow any job."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    JobNotFoundError,
    JobTimeoutError,
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
)
from .store import FINAL_STATUSES, JobRecord
from .wire import default_result_decoder, runtime_decoder

if TYPE_CHECKING:  # pragma: no cover
    from .manager import JobManager
    from .recorder import HostedJob

__all__ = ["RuntimeJob"]

logger = logging.getLogger("qrt_core.jobs")

_POLL_START = 0.02
_POLL_MAX = 0.25
_RECOVERY_EVERY = 2.0  # seconds between checks that a job's hosting process still runs


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, tz=timezone.utc).isoformat()


class RuntimeJob:
    """A job in the store. Returned by :meth:`RuntimeService.run`, ``job()`` and ``jobs()``."""

    def __init__(self, manager: JobManager, job_id: str, *, record: JobRecord | None = None, hosted: HostedJob | None = None) -> None:
        self._manager = manager
        self._job_id = job_id
        self._record = record
        self._hosted = hosted
        self._stream: threading.Thread | None = None
        self._stream_stop = threading.Event()

    # -- identity --------------------------------------------------------------------------------

    def job_id(self) -> str:
        return self._job_id

    def _fixed(self) -> JobRecord:
        """The record as first read: fields that never change (program, inputs, backend, dates)."""
        if self._record is None:
            self._record = self._read()
        return self._record

    def _read(self) -> JobRecord:
        record = self._manager.store.get(self._job_id)
        if record is None:
            raise JobNotFoundError(f"Job {self._job_id} is no longer in the job store (deleted?).")
        return record

    @property
    def program_id(self) -> str:
        return self._fixed().program_id

    @property
    def inputs(self) -> dict[str, Any]:
        """The inputs, decoded from their stored (encoded) form."""
        return json.loads(self._fixed().inputs or "{}", cls=runtime_decoder())

    @property
    def creation_date(self) -> datetime:
        return datetime.fromtimestamp(self._fixed().created_at, tz=timezone.utc)

    @property
    def backend_name(self) -> str:
        return self._fixed().backend_name

    def backend(self) -> Any:
        """A new instance of the backend the job ran on."""
        return self._manager.service.backend(self.backend_name)

    # -- status ----------------------------------------------------------------------------------

    def _status_name(self) -> str:
        status = self._manager.store.status(self._job_id)
        if status is None:
            raise JobNotFoundError(f"Job {self._job_id} is no longer in the job store (deleted?).")
        if status not in FINAL_STATUSES and self._hosted is None and self._manager.store.recover_interrupted(job_ids=[self._job_id]):
            status = self._manager.store.status(self._job_id) or status
        return status

    def status(self) -> Any:
        """A :class:`qiskit.providers.JobStatus`: QUEUED, RUNNING, DONE, ERROR or CANCELLED."""
        from qiskit.providers import JobStatus

        return JobStatus[self._status_name()]

    def done(self) -> bool:
        return self._status_name() == "DONE"

    def running(self) -> bool:
        return self._status_name() == "RUNNING"

    def in_final_state(self) -> bool:
        return self._status_name() in FINAL_STATUSES

    def error_message(self) -> str | None:
        """Why the job failed (reason and the program's traceback); ``None`` unless it is ERROR."""
        record = self._read()
        return record.error_message if record.status == "ERROR" else None

    def wait_for_final_state(self, timeout: float | None = None) -> None:
        """Block until the job is DONE, ERROR or CANCELLED; :class:`JobTimeoutError` after
        ``timeout`` seconds. For a job this process runs, also until its callback has seen every
        interim result."""
        hosted = self._hosted
        if hosted is not None:
            event = hosted.recorded if self._manager.in_callback_thread() else hosted.delivered
            if not event.wait(timeout):
                raise JobTimeoutError(f"Job {self._job_id} did not finish within {timeout:g} seconds.")
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        delay, next_check = _POLL_START, time.monotonic() + _RECOVERY_EVERY
        while True:
            # Looked up each time: closing the service closes its store and reopens one for reads.
            store = self._manager.store
            try:
                status = store.status(self._job_id)
            except Exception:
                if self._manager.store is not store:
                    continue  # the service closed meanwhile: read from the store it reopened
                raise
            if status is None:
                raise JobNotFoundError(f"Job {self._job_id} is no longer in the job store (deleted?).")
            if status in FINAL_STATUSES:
                return
            now = time.monotonic()
            if now >= next_check:
                store.recover_interrupted(job_ids=[self._job_id])
                next_check = now + _RECOVERY_EVERY
            if deadline is not None and now >= deadline:
                raise JobTimeoutError(f"Job {self._job_id} did not finish within {timeout:g} seconds.")
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - now)))
            delay = min(delay * 2, _POLL_MAX)

    # -- results ---------------------------------------------------------------------------------

    def _decoder(self, decoder: Any, final: bool) -> Any:
        chosen = self._manager.decoder(decoder, final=final)
        if chosen is not None:
            return chosen
        if self._hosted is not None:
            return self._hosted.final_decoder if final else self._hosted.interim_decoder
        return default_result_decoder()

    def result(self, timeout: float | None = None, decoder: Any = None) -> Any:
        """Wait for the job and return its result, decoded with ``decoder`` (a ResultDecoder class
        or a registered name; default: the one given to ``run``, else :class:`ResultDecoder`).

        Raises :class:`RuntimeJobFailureError` if the job failed, :class:`RuntimeInvalidStateError`
        if it was cancelled and :class:`JobTimeoutError` if it is not done within ``timeout``.
        """
        self.wait_for_final_state(timeout)
        record = self._read()
        if record.status == "ERROR":
            raise RuntimeJobFailureError(f"Job {self._job_id} failed: {record.error_message}")
        if record.status == "CANCELLED":
            raise RuntimeInvalidStateError(f"Job {self._job_id} was cancelled; it has no result.")
        return self._decoder(decoder, final=True).decode(record.result)

    def interim_results(self, decoder: Any = None, since: int | None = None) -> list[Any]:
        """Every interim result published so far, in order (those after sequence number ``since``,
        when given; the first message is number 1)."""
        chosen = self._decoder(decoder, final=False)
        rows = self._manager.store.interim_results(self._job_id, since or 0)
        return [chosen.decode(message) for _seq, message in rows]

    def stream_results(self, callback: Callable[[str, Any], Any], decoder: Any = None) -> None:
        """Call ``callback(job_id, interim_result)`` on a background thread for every interim result
        (those already published first), until the job ends or :meth:`cancel_result_streaming`.

        Raises :class:`RuntimeInvalidStateError` if the job is already final or a stream is running.
        """
        if self._stream is not None and self._stream.is_alive():
            raise RuntimeInvalidStateError(f"A result stream for job {self._job_id} is already running.")
        status = self._status_name()
        if status in FINAL_STATUSES:
            raise RuntimeInvalidStateError(
                f"Job {self._job_id} is already {status}; read its interim results with interim_results()."
            )
        chosen = self._decoder(decoder, final=False)
        self._stream_stop = threading.Event()
        self._stream = threading.Thread(
            target=self._follow, args=(callback, chosen, self._stream_stop), name=f"qrt-stream-{self._job_id}", daemon=True
        )
        self._stream.start()

    def cancel_result_streaming(self) -> None:
        """Stop the stream started by :meth:`stream_results` (no-op when none runs)."""
        self._stream_stop.set()
        stream = self._stream
        if stream is not None and stream is not threading.current_thread():
            stream.join()
        self._stream = None

    def _follow(self, callback: Callable[[str, Any], Any], decoder: Any, stop: threading.Event) -> None:
        used: list[Any] = []
        try:
            self._follow_store(used, callback, decoder, stop)
        finally:
            if used:
                used[0].release_connection()

    def _follow_store(self, used: list[Any], callback: Callable[[str, Any], Any], decoder: Any, stop: threading.Event) -> None:
        seen = 0
        while not stop.is_set():
            # Looked up each time: closing the service closes its store and reopens one for reads.
            store = self._manager.store
            used[:] = [store]
            try:
                final = self._status_name() in FINAL_STATUSES
                rows = store.interim_results(self._job_id, seen)
            except Exception:  # noqa: BLE001 - job deleted or store closed: the stream ends
                if self._manager.store is not store:
                    continue  # the service closed meanwhile: read on from the store it reopened
                logger.warning("Stream of job %s ended: the job store cannot be read", self._job_id, exc_info=True)
                return
            for seq, message in rows:
                if stop.is_set():
                    return
                seen = seq
                try:
                    callback(self._job_id, decoder.decode(message))
                except Exception:  # noqa: BLE001 - a failing callback must not end the stream
                    logger.exception("The stream callback of job %s raised; the stream goes on.", self._job_id)
            if final:
                return
            changed = self._manager.changed() if self._hosted is not None else None
            if changed is not None:
                with changed:
                    changed.wait(0.1)
            else:
                stop.wait(0.1)

    # -- control ---------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Cancel the job: a queued one never starts, a running one is stopped. Works for jobs
        hosted by another process too. :class:`RuntimeInvalidStateError` if it already ended."""
        self._manager.cancel(self._job_id)

    # -- what happened ---------------------------------------------------------------------------

    def logs(self) -> str:
        """What the program printed and logged so far (stdout, stderr, ``logging``), in order."""
        return "".join(text for _seq, _stream, text, _at in self._manager.store.logs(self._job_id))

    def log_entries(self) -> list[dict[str, Any]]:
        """The job's output as ``{"seq", "stream", "text", "at"}`` records."""
        return [
            {"seq": seq, "stream": stream, "text": text, "at": _iso(at)}
            for seq, stream, text, at in self._manager.store.logs(self._job_id)
        ]

    def metrics(self) -> dict[str, Any]:
        """Timestamps and durations, program and version, backend, executor and worker."""
        record = self._read()
        history = self._manager.store.history(self._job_id)
        running = record.started_at
        finished = record.finished_at
        usage: dict[str, float | None] = {
            "queued_seconds": None if running is None else round(running - record.created_at, 6),
            "seconds": None if running is None or finished is None else round(finished - running, 6),
        }
        return {
            "job_id": record.job_id,
            "status": record.status,
            "timestamps": {"created": _iso(record.created_at), "running": _iso(running), "finished": _iso(finished)},
            "usage": usage,
            "program_id": record.program_id,
            "program_version": record.program_version,
            "backend": record.backend_name,
            "executor": record.executor,
            "worker": record.worker,
            "max_execution_time": record.max_execution_time,
            "interim_results": record.interim_count,
            "failure_reason": record.failure_reason,
            "status_history": [{"status": s, "at": _iso(at), "detail": detail} for s, at, detail in history],
        }

    def __repr__(self) -> str:
        return f"<RuntimeJob {self._job_id!r} program_id={self.program_id!r}>"
