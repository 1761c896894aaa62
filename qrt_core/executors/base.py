"""The executor contract.

An executor receives :class:`JobSpec` objects from the service and runs each one somewhere (a warm
local process, a thread, a Ray cluster...). It reports every event of the job to the
:class:`JobSink` it was built with; the sink belongs to the service, which is the single writer of
the job store. Executors never open the store themselves.

Event order for one job: ``job_started`` once, then any number of ``job_interim`` / ``job_log`` in
the order the program produced them, then exactly one terminal event: ``job_finished``,
``job_failed`` or ``job_cancelled``. The sink ignores anything after the terminal event, so an
executor may report defensively.

The executor enforces ``spec.max_execution_time``: when the job runs longer, it stops it and
reports ``job_failed(job_id, message, reason="timeout")`` within about a second of the limit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

__all__ = ["Executor", "JobSink", "JobSpec", "FAILURE_REASONS"]

#: ``reason`` values of :meth:`JobSink.job_failed`.
FAILURE_REASONS = ("error", "timeout", "crash", "memory", "interrupted")


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to run one job, in plain picklable values."""

    job_id: str
    program_id: str
    #: ``"module:attr"`` of the program's ``main`` (the ``qrt.programs`` entry point's value).
    entry_point: str
    #: The inputs, JSON-encoded with :class:`~qrt_core.RuntimeEncoder`.
    inputs: str
    backend_name: str
    #: Seconds the job may run, counted from when it starts running.
    max_execution_time: float
    program_version: str = ""
    log_level: str | None = None
    #: Plugins blocked in the service process (so workers block the same ones).
    disabled_plugins: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JobSink(Protocol):
    """Where an executor reports job events. Implemented by the service; thread-safe."""

    def job_started(self, job_id: str, info: dict[str, Any]) -> None:
        """The job began running. ``info`` describes where: ``worker_pid``, ``hostname``,
        ``node_id``, ``node_address`` (whichever apply)."""

    def job_interim(self, job_id: str, message: str) -> None:
        """The program published an interim result (JSON text), in publish order."""

    def job_log(self, job_id: str, stream: str, text: str) -> None:
        """The program wrote ``text`` to ``stream`` (``stdout``, ``stderr`` or ``log``)."""

    def job_finished(self, job_id: str, result: str) -> None:
        """The program returned; ``result`` is the JSON-encoded final result."""

    def job_failed(self, job_id: str, message: str, *, reason: str = "error") -> None:
        """The job failed. ``message`` is for people (include the traceback); ``reason`` is one of
        :data:`FAILURE_REASONS`."""

    def job_cancelled(self, job_id: str) -> None:
        """The job was cancelled (before or while running) and will not run further."""


class Executor(ABC):
    """Runs jobs. Constructed by the factory registered through ``qrt_register_executors`` as
    ``factory(sink, max_workers=..., **executor_options)``."""

    #: The name it is registered under.
    name: str = ""

    def __init__(self, sink: JobSink, *, max_workers: int | None = None, **options: Any) -> None:
        self.sink = sink
        self.max_workers = max_workers
        self.options = options

    @abstractmethod
    def submit(self, spec: JobSpec) -> None:
        """Queue the job and return at once; events go to the sink."""

    @abstractmethod
    def cancel(self, job_id: str) -> bool:
        """Cancel a job this executor holds: a queued one never starts, a running one is stopped
        (its worker terminated). Reports ``job_cancelled``; returns ``False`` when the job is not
        held here (unknown or already finished)."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting jobs. ``wait=True``: let queued and running jobs finish first;
        ``wait=False``: cancel them (each reported ``job_cancelled``). Releases workers."""

    def describe(self) -> dict[str, Any]:
        """Facts about this executor for metrics and ``qrt`` output."""
        return {"executor": self.name, "max_workers": self.max_workers}
