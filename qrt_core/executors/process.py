"""The ``process`` executor: a pool of warm worker processes, each running one job at a time.

Workers import qiskit and Aer before they take a job, so a short job costs milliseconds. A job
that crashes or exits its worker, runs out of memory, runs too long or is cancelled ends only that
worker, which is replaced. One thread of the hosting process runs the pool: it hands queued jobs to
idle workers, relays their events to the sink in order, and enforces time limits.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from ..exceptions import RuntimeInvalidStateError
from ..jobs.limits import format_bytes, resolve_memory_limit
from .base import Executor, JobSink, JobSpec
from .worker import Channel

__all__ = ["ProcessExecutor", "default_max_workers"]

_WORKER_COMMAND = "from qrt_core.executors.worker import main; main()"
_OUTPUT_TAIL = 8192
_TICK = 0.2  # how often time limits are checked while nothing else happens
_MAX_START_FAILURES = 3


def default_max_workers() -> int:
    """Workers used when ``max_workers`` is not given: one per CPU, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def _seconds(value: float) -> str:
    return f"{value:g} second{'s' if value != 1 else ''}"


@dataclass(eq=False)
class _Worker:
    proc: subprocess.Popen[bytes]
    conn: Channel
    output: int | None
    ready: bool = False
    job: JobSpec | None = None
    deadline: float | None = None
    dying: bool = False
    started: bool = False
    exit_note: tuple[int, str] | None = None
    tail: bytearray = field(default_factory=bytearray)

    def kill(self) -> None:
        self.dying = True
        self.job = None
        try:
            if self.proc.poll() is None:
                # The worker leads its own process group (start_new_session): end the processes
                # its program started too, not only the worker. Not reaped yet, so the group id
                # cannot belong to anyone else.
                os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass


class ProcessExecutor(Executor):
    """Runs each job in a warm worker process (see the module docstring).

    Options: ``memory_limit`` (bytes or a size such as ``"2GiB"``; default
    ``$QRT_WORKER_MEMORY_LIMIT``), applied to each worker on top of its idle size; a job's spec may
    carry its own in ``extra["worker_memory_limit"]``.
    """

    name = "process"

    def __init__(self, sink: JobSink, *, max_workers: int | None = None, memory_limit: int | str | None = None, **options: Any) -> None:
        super().__init__(sink, max_workers=max_workers or default_max_workers(), **options)
        if self.max_workers is not None and self.max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}.")
        self.memory_limit = resolve_memory_limit(memory_limit)
        self._lock = threading.RLock()
        self._queue: deque[JobSpec] = deque()
        self._workers: list[_Worker] = []
        self._accepting = True
        self._stopping = False
        self._start_failures = 0
        self._requeued: dict[str, int] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._loop, name="qrt-process-pool", daemon=True)
        self._thread.start()

    # -- the Executor contract ------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> None:
        with self._lock:
            if not self._accepting:
                raise RuntimeInvalidStateError("The process executor is shut down; it takes no more jobs.")
            self._queue.append(spec)
        self._wake()

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            for spec in self._queue:
                if spec.job_id == job_id:
                    self._queue.remove(spec)
                    self.sink.job_cancelled(job_id)
                    return True
            for worker in self._workers:
                if worker.job is not None and worker.job.job_id == job_id and not worker.dying:
                    worker.kill()
                    self.sink.job_cancelled(job_id)
                    self._wake()
                    return True
        return False

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            self._accepting = False
            if not wait:
                while self._queue:
                    self.sink.job_cancelled(self._queue.popleft().job_id)
                for worker in self._workers:
                    if worker.job is not None and not worker.dying:
                        job_id = worker.job.job_id
                        worker.kill()
                        self.sink.job_cancelled(job_id)
            self._stopping = True
        self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "memory_limit": self.memory_limit,
            "workers": [w.proc.pid for w in self._workers if not w.dying],
        }

    # -- the pool thread ------------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake, or closing

    def _loop(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._stopping and not self._queue and not any(w.job for w in self._workers):
                        break
                    self._maintain()
                    waitables: list[Any] = [self._wake_r]
                    for worker in self._workers:
                        waitables.append(worker.conn)
                        if worker.output is not None:
                            waitables.append(worker.output)
                    timeout = self._next_timeout()
                for ready in wait(waitables, timeout):
                    if ready == self._wake_r:
                        os.read(self._wake_r, 4096)
                        continue
                    with self._lock:
                        for worker in list(self._workers):
                            if ready is worker.conn:
                                self._read_events(worker)
                            elif ready == worker.output:
                                self._read_output(worker)
        finally:
            self._stop_workers()

    def _next_timeout(self) -> float:
        deadlines = [w.deadline for w in self._workers if w.job is not None and w.deadline is not None]
        if not deadlines:
            return _TICK
        return max(0.0, min(_TICK, min(deadlines) - time.monotonic()))

    def _maintain(self) -> None:
        """Enforce time limits, keep the pool full, hand queued jobs to idle workers."""
        now = time.monotonic()
        for worker in self._workers:
            spec = worker.job
            if spec is not None and worker.deadline is not None and now >= worker.deadline:
                worker.kill()
                self.sink.job_failed(
                    spec.job_id,
                    f"Job {spec.job_id} ran longer than its maximum execution time of "
                    f"{_seconds(spec.max_execution_time)} and was stopped.",
                    reason="timeout",
                )
        for worker in list(self._workers):
            # A worker's end is normally seen as the end of its channel, but a child it forked may
            # hold the channel open; its exit status says it all.
            if worker.proc.poll() is not None:
                self._drain_events(worker)
                if worker in self._workers:
                    self._worker_gone(worker)
        live = [w for w in self._workers if not w.dying]
        wanted = self.max_workers or 1
        if self._stopping:
            wanted = min(wanted, len(self._queue) + sum(1 for w in live if w.job))
        for _ in range(wanted - len(live)):
            try:
                self._spawn()
            except OSError as exc:
                # The interpreter is gone (replaced by an upgrade) or the system is out of
                # processes or descriptors: fail the queued jobs rather than stop the pool thread.
                self._start_failed(f"The worker processes cannot be started: {exc}")
                break
        for worker in self._workers:
            if not self._queue:
                break
            if worker.ready and worker.job is None and not worker.dying:
                self._dispatch(worker, self._queue.popleft())

    def _worker_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if "OMP_NUM_THREADS" not in env:
            # Aer runs on every core by default, so several busy workers would fight over the
            # same cores; give each its share instead (what Ray does for its tasks too).
            env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // (self.max_workers or 1)))
        return env

    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        try:
            out_r, out_w = os.pipe()
        except OSError:
            parent.close()
            child.close()
            raise
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_COMMAND, str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                close_fds=True,
                # Its own process group: Ctrl-C in a terminal is for the hosting process, which
                # decides what happens to the jobs (the worker still dies with it).
                start_new_session=True,
                env=self._worker_environment(),
            )
        except BaseException:
            parent.close()
            os.close(out_r)
            raise
        finally:
            child.close()
            os.close(out_w)
        self._workers.append(_Worker(proc=proc, conn=Channel(parent), output=out_r))

    def _dispatch(self, worker: _Worker, spec: JobSpec) -> None:
        limit = spec.extra.get("worker_memory_limit", self.memory_limit)
        try:
            worker.conn.send(("job", spec.to_dict(), limit))
        except OSError:
            self._queue.appendleft(spec)  # the worker is gone; its end is read shortly
            worker.dying = True
            return
        worker.job = spec
        worker.started = False
        worker.tail.clear()  # a crash report shows what this job's worker wrote, not older output
        worker.deadline = time.monotonic() + spec.max_execution_time if spec.max_execution_time else None

    def _read_events(self, worker: _Worker) -> None:
        try:
            messages = worker.conn.receive_available()
        except (EOFError, OSError):
            self._worker_gone(worker)
            return
        for message in messages:
            self._handle(worker, message)

    def _drain_events(self, worker: _Worker) -> None:
        """Handle what a worker that has exited sent before it went."""
        # wait() polls; select() fails on descriptors above 1024 (hosts that hold many files).
        while worker in self._workers and wait([worker.conn], 0):
            self._read_events(worker)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            self._start_failures = 0
            return
        if kind == "exit":
            worker.exit_note = (message[1], message[2])
            return
        spec = worker.job
        if spec is None or worker.dying:
            return  # a job already reported as cancelled or timed out
        job_id = spec.job_id
        if kind == "interim":
            self.sink.job_interim(job_id, message[1])
        elif kind == "log":
            self.sink.job_log(job_id, message[1], message[2])
        elif kind == "started":
            worker.started = True
            self.sink.job_started(job_id, {**message[1], "executor": self.name})
        elif kind == "done":
            worker.job = None
            self.sink.job_finished(job_id, message[1])
        elif kind == "failed":
            worker.job = None
            if len(message) > 3 and message[3]:
                worker.dying = True  # it stops after this job; a fresh one takes its place
            self.sink.job_failed(job_id, message[2], reason=message[1])

    def _read_output(self, worker: _Worker) -> None:
        assert worker.output is not None
        try:
            data = os.read(worker.output, 65536)
        except OSError:
            data = b""
        if not data:
            os.close(worker.output)
            worker.output = None
            return
        worker.tail += data
        del worker.tail[:-_OUTPUT_TAIL]
        text = data.decode("utf-8", "replace")
        if worker.job is not None and not worker.dying:
            self.sink.job_log(worker.job.job_id, "stderr", text)
        else:
            try:
                sys.stderr.write(text)
            except (OSError, ValueError):
                pass

    def _drain_output(self, worker: _Worker, patience: float = 1.0) -> None:
        deadline = time.monotonic() + patience
        while worker.output is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not wait([worker.output], left):
                break
            self._read_output(worker)

    def _worker_gone(self, worker: _Worker) -> None:
        try:
            worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()
        if worker.job is not None and not worker.dying and not worker.started:
            job_id = worker.job.job_id
            self._requeued[job_id] = self._requeued.get(job_id, 0) + 1
            if self._requeued[job_id] <= 2:
                self._queue.appendleft(worker.job)  # it died before taking the job: another worker will
                worker.job = None
        if worker.job is not None and not worker.dying:
            spec, worker.job = worker.job, None
            self._drain_output(worker)
            self.sink.job_failed(spec.job_id, self._crash_message(worker, spec), reason="crash")
        elif not worker.ready and not worker.dying:
            self._drain_output(worker)
            output = worker.tail.decode("utf-8", "replace").strip() or "(no output)"
            self._start_failed(f"The worker processes fail to start (exit status {worker.proc.returncode}):\n{output}")
        self._discard(worker)

    def _start_failed(self, message: str) -> None:
        """A worker could not start; after a few in a row the queued jobs fail with ``message``."""
        self._start_failures += 1
        if self._start_failures >= _MAX_START_FAILURES:
            while self._queue:
                self.sink.job_failed(self._queue.popleft().job_id, message, reason="crash")
            self._start_failures = 0

    def _crash_message(self, worker: _Worker, spec: JobSpec) -> str:
        code = worker.proc.returncode
        if worker.exit_note is not None:
            status, stack = worker.exit_note
            message = (
                f"Program {spec.program_id!r} ended its worker process with os._exit({status}).\n\n"
                f"Traceback (most recent call last):\n{stack}"
            )
        elif code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            message = f"The worker process running job {spec.job_id} crashed (killed by signal {name})."
            limit = spec.extra.get("worker_memory_limit", self.memory_limit)
            if limit:
                message += f" The worker memory limit was {format_bytes(limit)}; exceeding it can end a worker this way."
        else:
            message = f"The worker process running job {spec.job_id} exited unexpectedly with status {code}."
        output = worker.tail.decode("utf-8", "replace").strip()
        if output and worker.exit_note is None:
            message += f"\n\nWhat the worker wrote before it stopped:\n{output}"
        return message

    def _discard(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        worker.conn.close()
        if worker.output is not None:
            os.close(worker.output)
            worker.output = None

    def _stop_workers(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers), []
        for worker in workers:
            if worker.ready and not worker.dying:
                try:
                    worker.conn.send(("stop",))
                except OSError:
                    worker.kill()
            else:
                worker.kill()  # still warming up (or already stopped): nothing to finish
        deadline = time.monotonic() + 5
        for worker in workers:
            try:
                worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            worker.conn.close()
            if worker.output is not None:
                os.close(worker.output)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
