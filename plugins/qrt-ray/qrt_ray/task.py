"""What runs on a Ray worker for one job: a streaming-generator task that calls
:func:`qrt_core.runner.run_job` and yields the job's events back to the service in batches.

Events are plain tuples: ``("started", info)``, ``("interim", text)``, ``("log", stream, text)``,
then ``("finished", result)`` or ``("failed", message, reason)``. Each yielded item is a list of
events in the order the program produced them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from qrt_core.executors.base import JobSpec

__all__ = ["job_events", "where_am_i", "MAX_BATCH"]

#: Most events sent in one yield: large enough to make a chatty program cheap, small enough that
#: one batch never becomes a large object.
MAX_BATCH = 2000

Event = tuple[Any, ...]


def where_am_i() -> dict[str, Any]:
    """The node, host and process this code runs in, as reported in ``job_started``."""
    import ray

    try:
        node_id = ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - outside a Ray worker
        node_id = None
    return {
        "executor": "ray",
        "node_id": node_id,
        "node_address": ray.util.get_node_ip_address(),
        "hostname": socket.gethostname(),
        "worker_pid": os.getpid(),
    }


class _EventBuffer:
    """Collects events from the job's thread; the task's generator takes them in batches."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._closed = False
        self._ready = threading.Condition()

    def emit(self, kind: str, text: str) -> None:
        event = ("interim", text) if kind == "interim" else ("log", kind, text)
        with self._ready:
            self._events.append(event)
            self._ready.notify()

    def close(self, terminal: Event) -> None:
        with self._ready:
            self._events.append(terminal)
            self._closed = True
            self._ready.notify()

    def take(self) -> tuple[list[Event], bool]:
        """Wait for events; return up to :data:`MAX_BATCH` of them and whether the job ended."""
        with self._ready:
            while not self._events and not self._closed:
                self._ready.wait()
            batch, self._events = self._events[:MAX_BATCH], self._events[MAX_BATCH:]
            return batch, self._closed and not self._events


def _prepare_sys_path(service_paths: list[str] | None, sync: bool) -> None:
    """Make this worker's ``sys.path`` match the service's as far as this node allows.

    Ray starts workers in the driver's working directory and puts that directory first on their
    ``sys.path``; a folder there named like a program's package (a checkout of its distribution)
    would shadow the installed package, so it goes unless the service's own ``sys.path`` has it.
    With ``sync``, the service's entries that exist on this node come first, so a node sharing the
    service's file system (a local cluster) imports the same programs.
    """
    paths = list(sys.path)
    if service_paths is not None:
        here = os.getcwd()
        if "" not in service_paths and here not in service_paths:
            paths = [p for p in paths if p not in ("", here)]
        if sync:
            present = [p for p in service_paths if p and os.path.exists(p)]
            paths = present + [p for p in paths if p not in present]
    if paths != sys.path:
        sys.path[:] = paths
        importlib.invalidate_caches()


def _missing_program(spec: JobSpec, where: dict[str, Any]) -> str | None:
    """A message when the program's top-level package cannot be found on this worker.

    Only looked up, never imported, so a program whose import fails for another reason reaches
    the runner and reports its own traceback.
    """
    module = spec.entry_point.partition(":")[0]
    top = module.split(".")[0]
    try:
        found = importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    return (
        f"Program {spec.program_id!r} cannot be run on Ray node {where['node_address']} "
        f"(host {where['hostname']}): its module {module!r} (entry point {spec.entry_point!r}) is "
        f"not importable there. Install the program's package on every node of the cluster, or "
        f"ship it with a Ray runtime environment (executor option runtime_env, e.g. "
        f"{{'py_modules': [...]}} or {{'pip': [...]}})."
    )


def _run(spec: JobSpec, buffer: _EventBuffer) -> None:
    from qrt_core.runner import ProgramFailure, run_job_within

    limit = spec.extra.get("worker_memory_limit")
    try:
        terminal: Event = ("finished", run_job_within(spec, buffer.emit, limit))
    except ProgramFailure as failure:
        terminal = ("failed", str(failure), failure.reason)
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the job gets a terminal event
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        terminal = (
            "failed",
            f"The Ray worker failed while running the job: {exc}\n\n{detail}",
            "error",
        )
    finally:
        if limit:
            import resource

            # The worker outlives the job: it gets its address space back before the next one.
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    buffer.close(terminal)


def job_events(spec: JobSpec) -> Iterator[list[Event]]:
    """Run ``spec`` here and yield its events (the body of the Ray task)."""
    where = where_am_i()
    yield [("started", where)]
    _prepare_sys_path(spec.extra.get("sys_path"), bool(spec.extra.get("sync_sys_path", True)))
    missing = _missing_program(spec, where)
    if missing is not None:
        yield [("failed", missing, "error")]
        return
    from qrt_core.runner import load_native_libraries

    load_native_libraries()  # here, on the worker's main thread, before any job thread uses them
    buffer = _EventBuffer()
    # The job runs on its own thread so this generator can hand its events to Ray while it runs.
    runner = threading.Thread(
        target=_run, args=(spec, buffer), name=f"qrt-job-{spec.job_id}", daemon=True
    )
    runner.start()
    while True:
        batch, ended = buffer.take()
        if batch:
            yield batch
        if ended:
            break
    runner.join()
