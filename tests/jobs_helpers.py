"""Programs for the job tests, written as fake installed distributions, and small helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from qrt_core.testing import pid_alive, wait_until, write_program  # noqa: F401 (re-exported for the tests)
from qrt_core.testing import write_programs as _write_programs

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


def write_programs(root: Path) -> Path:
    """Every test program under ``root``, one fake distribution each; returns ``root``."""
    return _write_programs(root, PROGRAMS, package_prefix='qrtjobs_')
