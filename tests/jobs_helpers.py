"""Programs for the job tests, written as fake installed distributions, and small helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qrt_core.testing import write_program

_SCHEMA = "https://json-schema.org/draft/2019-09/schema"


def _meta(parameters: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    spec = {
        "parameters": {"$schema": _SCHEMA, "type": "object", **(parameters or {})},
        "return_values": {"$schema": _SCHEMA},
        "interim_results": {"$schema": _SCHEMA},
    }
    if "backend_requirements" in extra:
        spec["backend_requirements"] = extra.pop("backend_requirements")
    return {"description": "a test program", "max_execution_time": 60, **extra, "spec": spec}


# name -> (source of the module defining main, metadata)
PROGRAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "echo": (
        """
        import logging

        def main(backend, user_messenger, **kwargs):
            for index in range(kwargs.get("count", 0)):
                user_messenger.publish({"index": index})
            print("hello from echo")
            logging.getLogger("echo").warning("a warning from echo")
            logging.getLogger("echo").info("an info from echo")
            return {"inputs": kwargs, "backend": backend.name}
        """,
        _meta(
            {
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "label": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "number"}},
                },
            }
        ),
    ),
    "final-only": (
        """
        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("step")
            user_messenger.publish({"answer": 42}, final=True)
        """,
        _meta(),
    ),
    "fail-raise": (
        """
        def compute():
            raise ValueError("boom from the program")

        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("before")
            compute()
        """,
        _meta(),
    ),
    "fail-exit": (
        """
        import sys

        def main(backend, user_messenger, **kwargs):
            sys.exit(3)
        """,
        _meta(),
    ),
    "fail-osexit": (
        """
        import os

        def main(backend, user_messenger, **kwargs):
            os._exit(7)
        """,
        _meta(),
    ),
    "fail-abort": (
        """
        import os

        def main(backend, user_messenger, **kwargs):
            os.abort()
        """,
        _meta(),
    ),
    "hog": (
        """
        def main(backend, user_messenger, **kwargs):
            blocks = []
            for _ in range(kwargs["megabytes"]):
                blocks.append(bytearray(1024 * 1024))
            return len(blocks)
        """,
        _meta({"properties": {"megabytes": {"type": "integer"}}, "required": ["megabytes"]}),
    ),
    "sleeper": (
        """
        import time

        def main(backend, user_messenger, **kwargs):
            user_messenger.publish("sleeping")
            print("sleeping now")
            time.sleep(kwargs.get("seconds", 120))
            return "woke up"
        """,
        _meta({"properties": {"seconds": {"type": "number"}}}, max_execution_time=300),
    ),
    "streamer": (
        """
        import time

        def main(backend, user_messenger, **kwargs):
            for index in range(kwargs["count"]):
                user_messenger.publish(index)
            time.sleep(120)
        """,
        _meta({"properties": {"count": {"type": "integer"}}, "required": ["count"]}),
    ),
    "publisher": (
        """
        def main(backend, user_messenger, **kwargs):
            for index in range(kwargs["count"]):
                user_messenger.publish(index)
            return kwargs["count"]
        """,
        _meta({"properties": {"count": {"type": "integer"}}, "required": ["count"]}),
    ),
    "big-needs": (
        """
        def main(backend, user_messenger, **kwargs):
            return "never"
        """,
        _meta(backend_requirements={"min_num_qubits": 1000}),
    ),
}


def write_programs(root: Path) -> Path:
    """Write every test program under ``root`` (one fake distribution each); returns ``root``."""
    for name, (source, metadata) in PROGRAMS.items():
        package = "qrtjobs_" + name.replace("-", "_")
        write_program(root, name, textwrap.dedent(source), metadata, package=package, module="program")
    return root


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)  # polling interval, bounded by the deadline above
        delay = min(delay * 2, 0.2)


def run_python(code: str, *, env_extra: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (same environment, PYTHONPATH included)."""
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=timeout
    )


def spawn_python(code: str) -> subprocess.Popen[str]:
    """Start ``code`` in a fresh interpreter; its stdout is a pipe, read line by line."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; treat it as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
