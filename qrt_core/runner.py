"""Runs one job inside a worker: load the program, build the backend, decode the inputs, call
``main(backend, user_messenger, **inputs)`` and encode what it returns.

Shared by every executor (process, inline, and third-party ones such as Ray), so a program behaves
the same wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable

from .executors.base import JobSpec

__all__ = ["run_job"]


def run_job(spec: JobSpec, emit: Callable[[str, str], None]) -> str:
    """Run the job described by ``spec`` in this process and return its JSON-encoded result.

    ``emit(kind, text)`` receives, in order: ``("interim", json_text)`` for each interim result the
    program publishes and ``(stream, text)`` for its output, where ``stream`` is ``"stdout"``,
    ``"stderr"`` or ``"log"``. Raises :class:`qrt_core.runner.ProgramFailure` (with the program's
    traceback in its message) when the program raises or exits.
    """
    raise NotImplementedError  # implemented with the jobs machinery
