"""The ``ray`` executor: each job runs as a Ray task on some node of a Ray cluster and streams its
events back to the service process, which stays the only writer of the job store.

A dispatcher thread connects to Ray (or starts a local instance) and keeps at most ``max_workers``
jobs in Ray at once; the rest wait here, so cancelling a queued job never involves Ray. One
follower thread per job in Ray reads the task's event stream, forwards it to the sink in order,
and stops the task (a force-kill of its worker process) on timeout or cancel.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from qrt_core.exceptions import RuntimeInvalidStateError
from qrt_core.executors.base import Executor, JobSink, JobSpec

from .connection import RayConnection

__all__ = ["RayExecutor"]

_TICK = 1.0  # longest a follower waits before looking at its job's state again


def _seconds(value: float) -> str:
    return f"{value:g} second{'s' if value != 1 else ''}"


@dataclass(eq=False)
class _Job:
    spec: JobSpec
    #: queued (here) -> dispatched (in Ray) -> started (running on a worker) -> done (reported)
    state: str = "queued"
    generator: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None


class RayExecutor(Executor):
    """Runs each job as a Ray task (see the module docstring).

    Options (``RuntimeService(executor="ray", executor_options={...})``):

    - ``address``: ``None`` starts a local Ray instance sized to this machine (or joins
      ``$RAY_ADDRESS``); ``"auto"`` joins the cluster started with ``ray start`` on this machine;
      ``"host:port"`` or ``"ray://host:10001"`` joins a remote one. Executors of one process share
      its connection; one qrt made is closed with the last of them (see :mod:`.connection`).
    - ``max_workers``: jobs running at once; default, the cluster's CPUs divided by ``num_cpus``.
    - ``num_cpus``: CPUs each job reserves in Ray (default 1).
    - ``runtime_env``: a Ray runtime environment for the job tasks (``py_modules``, ``pip``,
      ``env_vars``...), the way to ship program packages to nodes that do not have them.
    - ``scheduling_strategy``: Ray's, default ``"SPREAD"`` (jobs spread over the nodes).
    - ``memory_limit``: caps each job's address space on its worker, like the ``process``
      executor's ``worker_memory_limit`` (a job's spec may carry its own).
    - ``sync_sys_path``: put the service's ``sys.path`` entries that exist on a worker's node first
      on its ``sys.path`` (default ``True``), so a node sharing this machine's file system imports
      the same programs; turn it off when nodes must use only what is installed on them.
    - anything else is passed to ``ray.init``.
    """

    name = "ray"

    def __init__(
        self,
        sink: JobSink,
        *,
        max_workers: int | None = None,
        address: str | None = None,
        num_cpus: float = 1,
        runtime_env: dict[str, Any] | None = None,
        scheduling_strategy: Any = "SPREAD",
        memory_limit: int | str | None = None,
        sync_sys_path: bool = True,
        **ray_init_options: Any,
    ) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}.")
        if num_cpus < 0:
            raise ValueError(f"num_cpus must not be negative, got {num_cpus}.")
        from qrt_core.jobs.limits import parse_memory_limit

        super().__init__(sink, max_workers=max_workers, address=address, **ray_init_options)
        self.address = address
        self.num_cpus = num_cpus
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self.scheduling_strategy = scheduling_strategy
        self.memory_limit = parse_memory_limit(memory_limit, source="memory_limit")
        self.sync_sys_path = sync_sys_path
        self._connection = RayConnection(address, **ray_init_options)
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[_Job] = deque()
        self._jobs: dict[str, _Job] = {}
        self._in_ray = 0
        self._limit: int | None = max_workers
        self._accepting = True
        self._stopping = False
        self._start_error: str | None = None
        self._dispatcher: threading.Thread | None = None
        self._followers: set[threading.Thread] = set()
        self._task: Any = None

    # -- the Executor contract ------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> None:
        with self._cond:
            if not self._accepting:
                raise RuntimeInvalidStateError(
                    "The ray executor is shut down; it takes no more jobs."
                )
            failed = self._start_error
            if failed is None:
                job = _Job(spec)
                self._jobs[spec.job_id] = job
                self._queue.append(job)
                if self._dispatcher is None:
                    self._dispatcher = threading.Thread(
                        target=self._dispatch, name="qrt-ray-dispatch", daemon=True
                    )
                    self._dispatcher.start()
                self._cond.notify_all()
        if failed is not None:
            self.sink.job_failed(spec.job_id, failed, reason="error")

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.state == "done":
                return False
            if job.state == "queued":
                self._queue.remove(job)
                del self._jobs[job_id]
            job.state = "done"
            generator = job.generator
        if generator is not None:
            self._kill(generator)
        self.sink.job_cancelled(job_id)
        return True

    def shutdown(self, wait: bool = True) -> None:
        with self._cond:
            self._accepting = False
            dropped = [] if wait else [job for job in self._jobs.values() if job.state != "done"]
        for job in dropped:
            self.cancel(job.spec.job_id)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            dispatcher = self._dispatcher
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join()

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "max_workers": self._limit,
            "address": self.address,
            "num_cpus": self.num_cpus,
            "scheduling_strategy": str(self.scheduling_strategy),
        }

    # -- dispatching ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """The dispatcher thread: connect, then hand queued jobs to Ray as slots free up."""
        try:
            self._connect()
        except BaseException as exc:  # noqa: BLE001 - every queued job learns why
            where = f"at {self.address!r}" if self.address else "(a local instance)"
            message = (
                f"The ray executor could not connect to Ray {where}: {type(exc).__name__}: {exc}"
            )
            with self._cond:
                self._start_error = message
                failed = list(self._queue)
                self._queue.clear()
                for job in failed:
                    job.state = "done"
                    self._jobs.pop(job.spec.job_id, None)
            for job in failed:
                self.sink.job_failed(job.spec.job_id, message, reason="error")
            return
        try:
            with self._cond:
                while True:
                    while self._queue and self._in_ray < (self._limit or 1):
                        job = self._queue.popleft()
                        try:
                            self._launch(job)
                        except Exception as exc:  # noqa: BLE001 - e.g. an invalid runtime_env
                            self._jobs.pop(job.spec.job_id, None)
                            if self._claim(job):
                                self.sink.job_failed(
                                    job.spec.job_id,
                                    f"Ray did not accept job {job.spec.job_id}: {type(exc).__name__}: {exc}",
                                    reason="error",
                                )
                    if self._stopping and not self._queue and self._in_ray == 0:
                        break
                    self._cond.wait()
            for follower in list(self._followers):
                follower.join()
        finally:
            self._connection.close()

    def _connect(self) -> None:
        import ray

        from .task import job_events

        self._connection.open()
        if self._limit is None:
            cpus = float(ray.cluster_resources().get("CPU", 1))
            self._limit = max(1, int(cpus // self.num_cpus)) if self.num_cpus else max(1, int(cpus))
        # A job is run at most once: a retry after a crash would repeat what the program did.
        self._task = ray.remote(num_returns="streaming", max_retries=0, num_cpus=self.num_cpus)(
            job_events
        )

    def _launch(self, job: _Job) -> None:
        spec = job.spec
        options: dict[str, Any] = {
            "name": f"qrt-job {spec.program_id} {spec.job_id}",
            "scheduling_strategy": self.scheduling_strategy,
        }
        if self.runtime_env:
            options["runtime_env"] = self.runtime_env
        extra = dict(spec.extra)
        if self.memory_limit and "worker_memory_limit" not in extra:
            extra["worker_memory_limit"] = self.memory_limit
        if not self.sync_sys_path:
            extra["sync_sys_path"] = False
        if extra != spec.extra:
            spec = replace(spec, extra=extra)
        job.generator = self._task.options(**options).remote(spec)
        job.state = "dispatched"
        self._in_ray += 1
        follower = threading.Thread(
            target=self._follow, args=(job,), name=f"qrt-ray-{spec.job_id}", daemon=True
        )
        self._followers.add(follower)
        follower.start()

    # -- following one job ----------------------------------------------------------------------

    def _follow(self, job: _Job) -> None:
        try:
            self._pump(job)
        except BaseException as exc:  # noqa: BLE001 - never leave a job without a terminal event
            if self._claim(job):
                self.sink.job_failed(
                    job.spec.job_id, f"The ray executor lost the job: {exc}", reason="error"
                )
        finally:
            with self._cond:
                self._in_ray -= 1
                self._jobs.pop(job.spec.job_id, None)
                self._followers.discard(threading.current_thread())
                self._cond.notify_all()

    def _pump(self, job: _Job) -> None:
        """Forward the job's events until its terminal one, enforcing its time limit."""
        import ray

        generator = job.generator
        while True:
            with self._cond:
                if job.state == "done":
                    return  # cancelled or timed out: already reported, the task is being killed
                deadline = job.deadline
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._time_out(job)
                return
            wait = _TICK if deadline is None else min(_TICK, deadline - now)
            ready, _ = ray.wait([generator], timeout=wait)
            if not ready:
                continue
            try:
                batch = ray.get(next(generator))
            except StopIteration:
                if self._claim(job):
                    self.sink.job_failed(
                        job.spec.job_id,
                        "The job's Ray task ended without a result.",
                        reason="crash",
                    )
                return
            except Exception as exc:  # noqa: BLE001 - how Ray reports a task that went wrong
                self._ray_failure(job, exc)
                return
            for event in batch:
                self._deliver(job, event)

    def _deliver(self, job: _Job, event: tuple[Any, ...]) -> None:
        job_id, kind = job.spec.job_id, event[0]
        if kind == "interim":
            self.sink.job_interim(job_id, event[1])
        elif kind == "log":
            self.sink.job_log(job_id, event[1], event[2])
        elif kind == "started":
            with self._cond:
                job.info = dict(event[1])
                if job.state == "dispatched":
                    job.state = "started"
                if job.spec.max_execution_time and job.spec.max_execution_time > 0:
                    job.deadline = time.monotonic() + job.spec.max_execution_time
            self.sink.job_started(job_id, job.info)
        elif kind == "finished":
            if self._claim(job):
                self.sink.job_finished(job_id, event[1])
        elif kind == "failed":
            if self._claim(job):
                self.sink.job_failed(job_id, event[1], reason=event[2])

    def _claim(self, job: _Job) -> bool:
        """Make ``job`` done; ``True`` for the one caller that gets to report how it ended."""
        with self._cond:
            if job.state == "done":
                return False
            job.state = "done"
            return True

    def _time_out(self, job: _Job) -> None:
        if not self._claim(job):
            return
        self._kill(job.generator)
        spec = job.spec
        self.sink.job_failed(
            spec.job_id,
            f"Job {spec.job_id} ran longer than its maximum execution time of "
            f"{_seconds(spec.max_execution_time)} and was stopped{self._on_node(job)}.",
            reason="timeout",
        )

    @staticmethod
    def _kill(generator: Any) -> None:
        import ray

        try:
            ray.cancel(generator, force=True)
        except Exception:  # noqa: BLE001 - the task already ended
            pass

    @staticmethod
    def _on_node(job: _Job) -> str:
        info = job.info
        if not info:
            return ""
        return f" (worker pid {info.get('worker_pid')} on Ray node {info.get('node_address')}, host {info.get('hostname')})"

    def _ray_failure(self, job: _Job, exc: Exception) -> None:
        """Report a task that Ray says went wrong (the task itself never raises)."""
        from ray import exceptions as rex

        spec = job.spec
        if isinstance(exc, rex.TaskCancelledError):
            if self._claim(job):  # cancelled through Ray itself, not through qrt
                self.sink.job_cancelled(spec.job_id)
            return
        if not self._claim(job):
            return
        if isinstance(exc, rex.OutOfMemoryError):
            message, reason = (
                f"Ray stopped job {spec.job_id} because its node ran out of memory{self._on_node(job)}.\n\n{exc}",
                "memory",
            )
        elif isinstance(exc, rex.RuntimeEnvSetupError):
            message, reason = (
                f"Ray could not set up the runtime environment of job {spec.job_id}: {exc}",
                "error",
            )
        elif isinstance(exc, (rex.WorkerCrashedError, rex.NodeDiedError, rex.LocalRayletDiedError)):
            message = (
                f"The Ray worker running job {spec.job_id} died while running it{self._on_node(job)}: "
                "the program crashed the interpreter, ended its process (os._exit, os.abort) or was "
                f"killed by a signal.\n\nRay: {exc}"
            )
            limit = spec.extra.get("worker_memory_limit", self.memory_limit)
            if limit:
                from qrt_core.jobs.limits import format_bytes

                message += f"\nThe job's memory limit was {format_bytes(limit)}; exceeding it can end a worker this way."
            reason = "crash"
        else:
            message, reason = (
                f"Ray could not run job {spec.job_id}: {type(exc).__name__}: {exc}",
                "error",
            )
        self.sink.job_failed(spec.job_id, message, reason=reason)
