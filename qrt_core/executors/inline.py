"""The ``inline`` executor: runs jobs on threads of the calling process, for debugging.

Not isolated. A program run inline shares the interpreter with the caller: ``sys.exit`` and
exceptions are caught, but ``os._exit`` or a crash ends the caller too, and no memory limit applies.
Only output written by the job's own thread reaches the job's log. A breakpoint in ``main``
(``pdb``, an IDE) stops there, which is what this executor is for. Cancel and time limits raise
:class:`~qrt_core.runner.JobInterrupted` in the job's thread; code blocked in C (a long simulation)
notices only when it returns to Python, but the job is reported at once and whatever it does
afterwards is ignored.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
import time
from collections import deque
from typing import Any

from ..exceptions import RuntimeInvalidStateError
from .base import Executor, JobSink, JobSpec

__all__ = ["InlineExecutor"]

_TICK = 0.2


class _Running:
    def __init__(self, spec: JobSpec, thread_id: int) -> None:
        self.spec = spec
        self.thread_id = thread_id
        self.deadline = time.monotonic() + spec.max_execution_time if spec.max_execution_time else None
        self.abandoned = False


class InlineExecutor(Executor):
    """Runs each job on one of ``max_workers`` threads (default 1) of this process.

    Option ``plugin_host``: the plugins jobs see (the service passes its own).
    """

    name = "inline"

    def __init__(self, sink: JobSink, *, max_workers: int | None = None, **options: Any) -> None:
        options.pop("memory_limit", None)  # not enforceable in a shared process
        self.plugin_host = options.pop("plugin_host", None)
        super().__init__(sink, max_workers=max_workers or 1, **options)
        self._cond = threading.Condition()
        self._queue: deque[JobSpec] = deque()
        self._running: dict[str, _Running] = {}
        self._accepting = True
        self._stopping = False
        self._retired: set[int] = set()
        self._threads = [
            threading.Thread(target=self._work, name=f"qrt-inline-{i}", daemon=True)
            for i in range(self.max_workers or 1)
        ]
        self._watch = threading.Thread(target=self._watch_deadlines, name="qrt-inline-timer", daemon=True)
        for thread in (*self._threads, self._watch):
            thread.start()

    def submit(self, spec: JobSpec) -> None:
        from ..runner import load_native_libraries

        load_native_libraries()  # on the submitting thread, which outlives the job threads
        with self._cond:
            if not self._accepting:
                raise RuntimeInvalidStateError("The inline executor is shut down; it takes no more jobs.")
            self._queue.append(spec)
            self._cond.notify_all()

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            for spec in self._queue:
                if spec.job_id == job_id:
                    self._queue.remove(spec)
                    self.sink.job_cancelled(job_id)
                    return True
            running = self._running.get(job_id)
            if running is None or running.abandoned:
                return False
            self._abandon(running)
            self.sink.job_cancelled(job_id)
            return True

    def shutdown(self, wait: bool = True) -> None:
        with self._cond:
            self._accepting = False
            if not wait:
                while self._queue:
                    self.sink.job_cancelled(self._queue.popleft().job_id)
                for running in list(self._running.values()):
                    if not running.abandoned:
                        self._abandon(running)
                        self.sink.job_cancelled(running.spec.job_id)
            self._stopping = True
            self._cond.notify_all()
        if wait:
            for thread in list(self._threads):
                # A thread still stuck in an abandoned job is left to finish on its own.
                if thread is not threading.current_thread() and thread.ident not in self._retired:
                    thread.join()

    # -- internals --------------------------------------------------------------------------------

    def _abandon(self, running: _Running) -> None:
        from ..runner import JobInterrupted

        running.abandoned = True
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(running.thread_id), ctypes.py_object(JobInterrupted))
        # The thread may be stuck in C code for a while: it leaves once its job returns, and a new
        # thread takes its place now.
        self._retired.add(running.thread_id)
        if not self._stopping:
            thread = threading.Thread(target=self._work, name=f"qrt-inline-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        from ..runner import JobInterrupted

        while True:
            try:
                if not self._work_one():
                    return
            except JobInterrupted:
                continue  # an interruption that landed after its job had ended

    def _work_one(self) -> bool:
        with self._cond:
            if threading.get_ident() in self._retired:
                self._retired.discard(threading.get_ident())
                return False
            while not self._queue and not self._stopping:
                self._cond.wait()
            if not self._queue:
                return False
            spec = self._queue.popleft()
            running = _Running(spec, threading.get_ident())
            self._running[spec.job_id] = running
        try:
            self._run(running)
        finally:
            with self._cond:
                self._running.pop(spec.job_id, None)
        return True

    def _run(self, running: _Running) -> None:
        from ..runner import JobInterrupted, ProgramFailure, run_job

        spec, sink = running.spec, self.sink

        def emit(kind: str, text: str) -> None:
            if running.abandoned:
                return
            if kind == "interim":
                sink.job_interim(spec.job_id, text)
            else:
                sink.job_log(spec.job_id, kind, text)

        info = {"worker_pid": os.getpid(), "hostname": socket.gethostname(), "thread": threading.current_thread().name}
        sink.job_started(spec.job_id, {**info, "executor": self.name})
        try:
            result = run_job(spec, emit, plugin_host=self.plugin_host)
        except JobInterrupted:
            return
        except ProgramFailure as failure:
            outcome: tuple[str, ...] = ("failed", str(failure), failure.reason)
        except Exception as exc:  # noqa: BLE001
            outcome = ("failed", f"The job could not run: {type(exc).__name__}: {exc}", "error")
        else:
            outcome = ("done", result)
        with self._cond:
            if running.abandoned:
                return
            running.abandoned = True  # no interruption may land after this point
        if outcome[0] == "done":
            sink.job_finished(spec.job_id, outcome[1])
        else:
            sink.job_failed(spec.job_id, outcome[1], reason=outcome[2])

    def _watch_deadlines(self) -> None:
        while True:
            with self._cond:
                if self._stopping and not self._running and not self._queue:
                    return
                now = time.monotonic()
                for running in list(self._running.values()):
                    if running.deadline is not None and now >= running.deadline and not running.abandoned:
                        self._abandon(running)
                        seconds = running.spec.max_execution_time
                        self.sink.job_failed(
                            running.spec.job_id,
                            f"Job {running.spec.job_id} ran longer than its maximum execution time of "
                            f"{seconds:g} second{'s' if seconds != 1 else ''} and was stopped.",
                            reason="timeout",
                        )
                self._cond.wait(_TICK)
