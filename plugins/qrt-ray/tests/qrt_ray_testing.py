"""Programs and helpers shared by the Ray executor's tests."""

from __future__ import annotations

import ipaddress
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qrt_core.testing import pid_alive, write_program  # noqa: F401 (re-exported for the tests)
from qrt_core.testing import wait_until as _wait_until
from qrt_core.testing import write_programs as _write_programs

_SCHEMA = "https://json-schema.org/draft/2019-09/schema"


def _meta(properties: dict[str, Any] | None = None, max_execution_time: int = 60) -> dict[str, Any]:
    return {
        "description": "a program for the Ray executor's tests",
        "max_execution_time": max_execution_time,
        "spec": {
            "parameters": {"$schema": _SCHEMA, "type": "object", "properties": properties or {}},
            "return_values": {"$schema": _SCHEMA},
            "interim_results": {"$schema": _SCHEMA},
        },
    }


PROGRAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "ray-chatty": (
        """
        import logging

        def main(backend, user_messenger, **kwargs):
            for index in range(kwargs.get("count", 0)):
                user_messenger.publish({"index": index})
            print("hello from a Ray worker")
            logging.getLogger("chatty").warning("a warning from chatty")
            return {"count": kwargs.get("count", 0), "backend": backend.name}
        """,
        _meta({"count": {"type": "integer"}}),
    ),
    "ray-sleeper": (
        """
        import time

        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("sleeping")
            time.sleep(kwargs.get("seconds", 120))
            return "woke up"
        """,
        _meta({"seconds": {"type": "number"}}, max_execution_time=300),
    ),
    "ray-overtime": (
        """
        import time

        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("started")
            time.sleep(120)
        """,
        _meta(max_execution_time=1),
    ),
    "ray-osexit": (
        """
        import os

        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("about to exit")
            os._exit(7)
        """,
        _meta(),
    ),
    "ray-abort": (
        """
        import os

        def main(backend, user_messenger, **kwargs):
            os.abort()
        """,
        _meta(),
    ),
    "ray-hog": (
        """
        def main(backend, user_messenger, **kwargs):
            blocks = [bytearray(1024 * 1024) for _ in range(kwargs["megabytes"])]
            return len(blocks)
        """,
        _meta({"megabytes": {"type": "integer"}}),
    ),
    "ray-raise": (
        """
        def main(backend, user_messenger, **kwargs):
            raise ValueError("boom on a Ray worker")
        """,
        _meta(),
    ),
}








def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def forget_dead_cluster(address: str) -> None:
    """Remove Ray's pointer to the cluster at ``address`` once it is stopped, so a later
    ``ray.init()`` does not try to join it."""
    pointer = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    try:
        if pointer.read_text().strip() == address:
            pointer.unlink()
    except OSError:
        pass


class RecordingSink:
    """A :class:`~qrt_core.executors.JobSink` that keeps every event, for checking the contract."""

    def __init__(self) -> None:
        import threading

        self.events: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def _record(self, *event: Any) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def job_started(self, job_id: str, info: dict[str, Any]) -> None:
        self._record("started", job_id, info)

    def job_interim(self, job_id: str, message: str) -> None:
        self._record("interim", job_id, message)

    def job_log(self, job_id: str, stream: str, text: str) -> None:
        self._record("log", job_id, stream, text)

    def job_finished(self, job_id: str, result: str) -> None:
        self._record("finished", job_id, result)

    def job_failed(self, job_id: str, message: str, *, reason: str = "error") -> None:
        self._record("failed", job_id, message, reason)

    def job_cancelled(self, job_id: str) -> None:
        self._record("cancelled", job_id)

    def of(self, job_id: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [event for event in self.events if event[1] == job_id]

    def wait_final(self, job_id: str, timeout: float = 60.0) -> tuple[Any, ...]:
        final = ("finished", "failed", "cancelled")
        with self._changed:
            ended = self._changed.wait_for(
                lambda: any(e[0] in final and e[1] == job_id for e in self.events), timeout
            )
        assert ended, f"job {job_id} did not end within {timeout} s"
        return next(e for e in self.of(job_id) if e[0] in final)


def write_programs(root: Path) -> Path:
    """Every test program under ``root``, one fake distribution each; returns ``root``."""
    return _write_programs(root, PROGRAMS, package_prefix='qrtray_')


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """:func:`qrt_core.testing.wait_until` with a deadline that allows for a Ray worker's start."""
    return _wait_until(predicate, timeout, what)
