"""``JobManager``: the job side of a :class:`~qrt_core.RuntimeService`. It validates and queues
jobs, hands them to the executor, owns the store of this ``$QRT_HOME``, answers cancel requests
made from other processes, and recovers jobs whose hosting process died.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..exceptions import (
    BackendNotFoundError,
    JobNotFoundError,
    PluginError,
    QRTError,
    RuntimeInvalidStateError,
)
from ..executors.base import Executor, JobSpec
from .inputs import encode_inputs
from .job import RuntimeJob
from .limits import resolve_memory_limit
from .options import RuntimeOptions
from .owner import this_process
from .recorder import HostedJob, JobRecorder
from .store import FINAL_STATUSES, PENDING_STATUSES, JobRecord, JobStore
from .wire import default_result_decoder

__all__ = ["JobManager", "CANCEL_POLL_INTERVAL"]

logger = logging.getLogger("qrt_core.jobs")

#: How often the hosting process looks for cancel requests made by other processes (seconds).
CANCEL_POLL_INTERVAL = 0.15
_STATUSES = ("QUEUED", "RUNNING", "DONE", "ERROR", "CANCELLED")


def _new_job_id() -> str:
    # Time first, so ids sort roughly by creation; then randomness.
    return f"{int(time.time() * 1000):x}{secrets.token_hex(6)}"


def _timestamp(value: Any, name: str, slack: float = 0.0) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        # A datetime holds microseconds; the store holds time.time(): widen by half a microsecond
        # so that a job's own creation_date finds it.
        return value.timestamp() + slack
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise QRTError(f"{name} must be a datetime or a POSIX timestamp, got {value!r}.")


def _status_names(status: Any) -> list[str]:
    items = status if isinstance(status, (list, tuple, set, frozenset)) else [status]
    names = []
    for item in items:
        name = getattr(item, "name", item)
        name = str(name).upper()
        if name not in _STATUSES:
            raise QRTError(f"Unknown job status {item!r}; use one of {', '.join(_STATUSES)}.")
        names.append(name)
    return names


class JobManager:
    """Runs and finds jobs for one service; created by :attr:`RuntimeService.job_manager`."""

    def __init__(
        self,
        service: Any,
        *,
        home: str | Path,
        executor: str = "process",
        executor_options: Mapping[str, Any] | None = None,
        max_workers: int | None = None,
        worker_memory_limit: int | str | None = None,
    ) -> None:
        self.service = service
        self.home = Path(home)
        self.executor_name = executor
        self.executor_options = dict(executor_options or {})
        self.max_workers = max_workers
        try:
            self.memory_limit = resolve_memory_limit(worker_memory_limit)
        except ValueError as exc:
            raise QRTError(str(exc)) from None
        self._store: JobStore | None = JobStore(self.home)
        self.token = secrets.token_hex(8)
        self._lock = threading.RLock()
        self._executor: Executor | None = None
        self._recorder: JobRecorder | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._backends: dict[str, Any] = {}
        self._closed = False
        #: Jobs found interrupted (their hosting process had died) when the store was opened.
        self.recovered = self._store.recover_interrupted()

    # -- the store --------------------------------------------------------------------------------

    @property
    def store(self) -> JobStore:
        """The job store; reopened for reading if the manager was closed."""
        store = self._store
        if store is None:
            with self._lock:
                if self._store is None:
                    self._store = JobStore(self.home)
                store = self._store
        return store

    def hosted(self, job_id: str) -> HostedJob | None:
        recorder = self._recorder
        return recorder.hosted(job_id) if recorder is not None else None

    def in_callback_thread(self) -> bool:
        return self._recorder is not None and self._recorder.in_callback_thread()

    def changed(self) -> threading.Condition | None:
        return self._recorder.changed if self._recorder is not None else None

    # -- starting the machinery on first use --------------------------------------------------------

    def _start(self) -> tuple[Executor, JobRecorder]:
        with self._lock:
            if self._closed:
                raise RuntimeInvalidStateError("This RuntimeService is closed; create a new one to run jobs.")
            if self._executor is not None and self._recorder is not None:
                return self._executor, self._recorder
            table = self.service.plugin_host.table("executors")
            registration = table.get(self.executor_name)
            if registration is None:
                known = ", ".join(sorted(table)) or "none"
                raise PluginError(f"No executor named {self.executor_name!r}. Registered executors: {known}.")
            recorder = JobRecorder(lambda: self.store)
            options = dict(self.executor_options)
            if self.executor_name == "inline" and registration.plugin == "qrt.executors":
                # Jobs run in this process: they see this service's plugins, not the global ones.
                options.setdefault("plugin_host", self.service.plugin_host)
            try:
                executor = registration.value(recorder, max_workers=self.max_workers, **options)
            except Exception:
                recorder.close()
                raise
            executor.name = executor.name or self.executor_name
            self._recorder, self._executor = recorder, executor
            self._watcher = threading.Thread(target=self._watch_cancel_requests, name="qrt-cancel-watch", daemon=True)
            self._watcher.start()
            _close_at_exit(self)
            return executor, recorder

    # -- submitting --------------------------------------------------------------------------------

    def run(
        self,
        program_id: str,
        inputs: Any = None,
        options: Any = None,
        callback: Any = None,
        result_decoder: Any = None,
    ) -> RuntimeJob:
        """Validate everything, store the job as QUEUED and hand it to the executor."""
        program = self.service.program(program_id)
        opts = RuntimeOptions.coerce(options)
        limit = float(program.max_execution_time)
        if opts.max_execution_time is not None:
            if opts.max_execution_time > limit:
                raise QRTError(
                    f"options.max_execution_time={opts.max_execution_time:g} is above program "
                    f"{program.name!r}'s limit of {limit:g} seconds; it may only lower it."
                )
            limit = float(opts.max_execution_time)
        encoded = encode_inputs(program, inputs)
        self._check_backend(program, opts.backend_name)
        interim_decoder, final_decoder = self._decoders(result_decoder)
        if callback is not None and not callable(callback):
            raise QRTError(f"callback must be callable as callback(job_id, interim_result), got {callback!r}.")
        executor, recorder = self._start()

        job_id = _new_job_id()
        extra: dict[str, Any] = {"sys_path": list(sys.path)}
        if self.memory_limit is not None:
            extra["worker_memory_limit"] = self.memory_limit
        spec = JobSpec(
            job_id=job_id,
            program_id=program.program_id,
            entry_point=program.entry_point,
            inputs=encoded,
            backend_name=opts.backend_name,
            max_execution_time=limit,
            program_version=program.version,
            log_level=opts.log_level,
            disabled_plugins=tuple(sorted(getattr(self.service.plugin_host, "disabled", ()))),
            extra=extra,
        )
        record = JobRecord(
            job_id=job_id,
            program_id=program.program_id,
            program_version=program.version,
            backend_name=opts.backend_name,
            inputs=encoded,
            options={**opts.to_dict(), "max_execution_time": limit},
            status="QUEUED",
            created_at=time.time(),
            max_execution_time=limit,
            executor=self.executor_name,
            owner=this_process(),
            owner_token=self.token,
        )
        hosted = HostedJob(job_id, callback, interim_decoder, final_decoder)
        recorder.host(hosted)
        store = self.store
        try:
            with store.transaction() as conn:
                store.insert_job(conn, record)
        except BaseException:
            recorder.abandon(hosted)
            raise
        try:
            executor.submit(spec)
        except BaseException as exc:
            recorder.abandon(hosted)
            with store.transaction() as conn:
                store.finish(conn, job_id, "ERROR", time.time(), error_message=f"The job could not be queued: {exc}", failure_reason="error")
            raise
        return RuntimeJob(self, job_id, record=record, hosted=hosted)

    def _check_backend(self, program: Any, name: str) -> None:
        from ..backends import get_backend

        registration = self.service.plugin_host.table("backends").get(name)
        if registration is None:
            raise BackendNotFoundError(name, self.service.plugin_host.table("backends"))
        if not program.backend_requirements:
            return  # nothing to check: the backend is built where the job runs, not here
        known_qubits = (registration.extra or {}).get("num_qubits")
        if isinstance(known_qubits, int):
            # The plugin told us the size: check without building the backend (a noisy device
            # model takes seconds to build).
            program.check_backend(SimpleNamespace(name=name, num_qubits=known_qubits))
            return
        backend = self._backends.get(name)
        if backend is None:
            backend = self._backends[name] = get_backend(name, self.service.plugin_host)
        program.check_backend(backend)

    def _decoder(self, value: Any) -> Any:
        if value is None:
            return default_result_decoder()
        if isinstance(value, str):
            return self.service.result_decoder(value)
        if callable(getattr(value, "decode", None)):
            return value
        raise QRTError(
            f"result_decoder must be a ResultDecoder class, a registered decoder name, or an "
            f"(interim, final) pair of them; got {value!r}."
        )

    def _decoders(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise QRTError(f"result_decoder as a sequence must be an (interim, final) pair, got {len(value)} items.")
            return self._decoder(value[0]), self._decoder(value[1])
        decoder = self._decoder(value)
        return decoder, decoder

    def decoder(self, value: Any, *, final: bool) -> Any:
        """The decoder ``value`` names (see :meth:`run`), or ``None`` for the job's own."""
        if value is None:
            return None
        interim, final_decoder = self._decoders(value)
        return final_decoder if final else interim

    # -- finding jobs ------------------------------------------------------------------------------

    def job(self, job_id: str) -> RuntimeJob:
        record = self.store.get(job_id)
        if record is None:
            raise JobNotFoundError(f"No job with id {job_id!r} in the job store {self.store.path}.")
        if not record.final and self.hosted(job_id) is None and self.store.recover_interrupted(job_ids=[job_id]):
            record = self.store.get(job_id) or record
        return RuntimeJob(self, job_id, record=record, hosted=self.hosted(job_id))

    def jobs(
        self,
        limit: int | None = 10,
        skip: int = 0,
        pending: bool | None = None,
        program_id: str | None = None,
        status: Any = None,
        created_after: Any = None,
        created_before: Any = None,
        descending: bool = True,
    ) -> list[RuntimeJob]:
        statuses: list[str] | None = None
        if pending is not None:
            statuses = list(PENDING_STATUSES if pending else FINAL_STATUSES)
        if status is not None:
            wanted = _status_names(status)
            statuses = [s for s in wanted if statuses is None or s in statuses]
        self.store.recover_interrupted()
        records = self.store.list(
            limit=limit,
            skip=skip,
            statuses=statuses,
            program_id=program_id,
            created_after=_timestamp(created_after, "created_after", -5e-7),
            created_before=_timestamp(created_before, "created_before", 5e-7),
            descending=descending,
        )
        return [RuntimeJob(self, r.job_id, record=r, hosted=self.hosted(r.job_id)) for r in records]

    def delete_job(self, job_id: str) -> None:
        record = self.store.get(job_id)
        if record is None:
            raise JobNotFoundError(f"No job with id {job_id!r} in the job store {self.store.path}.")
        if not record.final and not self.store.recover_interrupted(job_ids=[job_id]):
            raise RuntimeInvalidStateError(
                f"Job {job_id} is {record.status}; cancel it (or wait for it to finish) before deleting it."
            )
        self.store.delete(job_id)

    # -- cancelling --------------------------------------------------------------------------------

    def cancel(self, job_id: str) -> None:
        """Cancel a job hosted here (at once) or elsewhere (through the store's cancel requests)."""
        hosted = self.hosted(job_id)
        if hosted is not None and not hosted.final and self._executor is not None:
            self._executor.cancel(job_id)
            hosted.recorded.wait(10)
        store = self.store
        record = store.get(job_id)
        if record is None:
            raise JobNotFoundError(f"No job with id {job_id!r} in the job store {store.path}.")
        if hosted is None and not record.final and store.recover_interrupted(job_ids=[job_id]):
            record = store.get(job_id) or record
        if record.final:
            if record.status == "CANCELLED" and hosted is not None:
                return
            raise RuntimeInvalidStateError(f"Job {job_id} cannot be cancelled: it is already {record.status}.")
        store.request_cancel(job_id, requested_by=f"pid {this_process().pid} on {this_process().host}")
        deadline = time.monotonic() + 10
        delay = 0.02
        while time.monotonic() < deadline:
            status = store.status(job_id)
            if status == "CANCELLED":
                return
            if status in FINAL_STATUSES:
                raise RuntimeInvalidStateError(f"Job {job_id} cannot be cancelled: it ended {status} first.")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        # The hosting process has the request and acts on it when it next looks.

    def _watch_cancel_requests(self) -> None:
        while not self._stop.wait(CANCEL_POLL_INTERVAL):
            recorder, executor = self._recorder, self._executor
            if recorder is None or executor is None or not recorder.unfinished():
                continue
            try:
                requested = self.store.cancel_requests_for(self.token)
            except Exception:  # noqa: BLE001 - the store may be busy or closing; look again later
                continue
            for job_id in requested:
                hosted = recorder.hosted(job_id)
                if hosted is not None and not hosted.final:
                    executor.cancel(job_id)

    # -- closing -----------------------------------------------------------------------------------

    def close(self, wait: bool = True) -> None:
        """Stop taking jobs. ``wait=True``: queued and running jobs run to the end first;
        ``wait=False``: they are cancelled. Then the workers stop and every event is written."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, recorder = self._executor, self._recorder
        if executor is not None:
            # The cancel watcher keeps running meanwhile: a job being waited for can still be
            # cancelled from another process.
            try:
                executor.shutdown(wait=wait)
            except Exception:  # noqa: BLE001 - still record what can be recorded
                logger.exception("The %s executor failed to shut down cleanly", self.executor_name)
        self._stop.set()
        if recorder is not None:
            for hosted in recorder.unfinished():  # an executor that lost track of a job
                recorder.job_failed(hosted.job_id, "The executor stopped without finishing the job.", reason="interrupted")
            recorder.close(wait=wait)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join()
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    @property
    def closed(self) -> bool:
        return self._closed


_open_managers: weakref.WeakSet[JobManager] = weakref.WeakSet()
_atexit_registered = False


def _close_at_exit(manager: JobManager) -> None:
    """Make sure jobs still pending when the interpreter exits end CANCELLED, not lying RUNNING."""
    global _atexit_registered
    _open_managers.add(manager)
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(_close_open_managers)


def _close_open_managers() -> None:
    for manager in list(_open_managers):
        try:
            manager.close(wait=False)
        except Exception:  # noqa: BLE001 - exiting anyway
            pass
