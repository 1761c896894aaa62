"""Runs one job inside a worker: load the program, build the backend, decode the inputs, call
``main(backend, user_messenger, **inputs)`` and encode what it returns.

Shared by every executor (process, inline, and third-party ones such as Ray), so a program behaves
the same wherever it runs.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .executors.base import JobSpec

__all__ = ["run_job", "ProgramFailure", "JobInterrupted", "DEFAULT_LOG_LEVEL", "load_native_libraries", "run_job_within"]

#: The level of ``logging`` records kept when the job's options give none (IBM's default).
DEFAULT_LOG_LEVEL = "WARNING"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

Emit = Callable[[str, str], None]


class ProgramFailure(Exception):
    """The program did not return normally. ``str()`` is for people and holds its traceback;
    ``reason`` is ``"error"`` or ``"memory"`` (see :data:`qrt_core.executors.base.FAILURE_REASONS`)."""

    def __init__(self, message: str, reason: str = "error") -> None:
        super().__init__(message)
        self.reason = reason


class JobInterrupted(BaseException):
    """Raised inside a job's thread by an executor that stops it (cancel or timeout); a
    ``BaseException`` so that the program's ``except Exception`` does not swallow it."""


# -- output capture -------------------------------------------------------------------------------


class _Routing(threading.local):
    target: Emit | None = None
    level: int = logging.WARNING


_routing = _Routing()
#: In a worker process every thread's output belongs to the one job it runs.
_process_target: Emit | None = None
_process_level = logging.WARNING
_install_lock = threading.Lock()
_installed = 0


class _StreamRouter(io.TextIOBase):
    """Stands in for ``sys.stdout`` / ``sys.stderr``: text written by a thread that runs a job goes
    to that job's log (whole lines at a time); anything else reaches the original stream."""

    def __init__(self, name: str, original: Any) -> None:
        self.name = name
        self.original = original
        self._pending = threading.local()

    def _target(self) -> Emit | None:
        return _routing.target or _process_target

    def write(self, text: str) -> int:
        target = self._target()
        if target is None:
            return self.original.write(text)
        buffered = getattr(self._pending, "text", "") + text
        cut = buffered.rfind("\n") + 1
        if cut:
            target(self.name, buffered[:cut])
            buffered = buffered[cut:]
        self._pending.text = buffered
        return len(text)

    def flush(self) -> None:
        target = self._target()
        pending = getattr(self._pending, "text", "")
        if target is not None and pending:
            self._pending.text = ""
            target(self.name, pending)
        elif target is None:
            self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False if self._target() else bool(getattr(self.original, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, buffer...
        return getattr(self.original, name)


class _JobLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if _routing.target is not None:
            target, level = _routing.target, _routing.level
        else:
            target, level = _process_target, _process_level
        if target is None or record.levelno < level:
            return
        try:
            target("log", self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break the program
            self.handleError(record)


_handler = _JobLogHandler()
_handler.setFormatter(logging.Formatter(_LOG_FORMAT))


@contextmanager
def _captured(emit: Emit, level: str, isolated: bool) -> Iterator[None]:
    global _installed, _process_target, _process_level
    with _install_lock:
        # Checked on every entry: something (a test runner, the program) may have replaced them.
        if not isinstance(sys.stdout, _StreamRouter):
            sys.stdout = _StreamRouter("stdout", sys.stdout)
        if not isinstance(sys.stderr, _StreamRouter):
            sys.stderr = _StreamRouter("stderr", sys.stderr)
        if _installed == 0:
            logging.getLogger().addHandler(_handler)
        _installed += 1
    root = logging.getLogger()
    old_root_level = root.level
    levelno = logging.getLevelName(level)
    if isolated:
        # A worker belongs to the job: its root logger may be opened up to the job's level.
        _process_target, _process_level = emit, levelno
        root.setLevel(levelno)
    _routing.target, _routing.level = emit, levelno
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _StreamRouter):
                stream.flush()
        _routing.target = None
        if isolated:
            _process_target = None
            root.setLevel(old_root_level)
        with _install_lock:
            _installed -= 1
            if _installed == 0:
                logging.getLogger().removeHandler(_handler)
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, _StreamRouter):
                        setattr(sys, name, stream.original)


# -- loading --------------------------------------------------------------------------------------


def _load_main(spec: JobSpec) -> Callable[..., Any]:
    from .program import check_main_signature

    module_name, _, attr = spec.entry_point.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: BLE001 - a program's import may even sys.exit
        raise ProgramFailure(
            f"Program {spec.program_id!r} could not be loaded: importing {module_name!r} raised "
            f"{type(exc).__name__}: {exc}\n\n{_traceback(exc)}"
        ) from None
    for part in (attr or "main").split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ProgramFailure(f"Program {spec.program_id!r}: module {module_name!r} has no {attr!r}.")
    try:
        check_main_signature(target, spec.program_id)
    except Exception as exc:
        raise ProgramFailure(str(exc)) from None
    return target


_hosts: dict[tuple[str, ...], Any] = {}


def _plugin_host(spec: JobSpec, plugin_host: Any) -> Any:
    from .plugins import PluginHost, get_plugin_host

    if plugin_host is not None:
        return plugin_host
    if not spec.disabled_plugins:
        return get_plugin_host()
    key = tuple(sorted(spec.disabled_plugins))
    if key not in _hosts:
        _hosts[key] = PluginHost(disabled=key)
    return _hosts[key]


def _traceback(exc: BaseException, skip: int = 0) -> str:
    tb = exc.__traceback__
    for _ in range(skip):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


_messenger_class: type | None = None


def _job_messenger(emit: Emit) -> Any:
    """A ``UserMessenger`` whose interim messages go to ``emit``; the final one is kept."""
    global _messenger_class
    if _messenger_class is None:
        from .jobs.wire import user_messenger_base

        class JobMessenger(user_messenger_base()):  # type: ignore[misc]
            """Sends each interim result to the service in publish order; keeps the final one."""

            def __init__(self, emit: Emit) -> None:
                super().__init__()
                self._emit = emit
                self.final_text: str | None = None

            def _deliver(self, text: str, final: bool) -> None:
                if final:
                    self.final_text = text
                else:
                    self._emit("interim", text)

        _messenger_class = JobMessenger
    return _messenger_class(emit)


# -- the job --------------------------------------------------------------------------------------


def run_job(spec: JobSpec, emit: Emit, *, plugin_host: Any = None, isolated: bool = False) -> str:
    """Run the job described by ``spec`` in this process and return its JSON-encoded result.

    ``emit(kind, text)`` receives, in order: ``("interim", json_text)`` for each interim result the
    program publishes and ``(stream, text)`` for its output, where ``stream`` is ``"stdout"``,
    ``"stderr"`` or ``"log"``. Raises :class:`qrt_core.runner.ProgramFailure` (with the program's
    traceback in its message) when the program raises or exits.

    ``isolated=True`` says the process belongs to this job (a worker process): output of all its
    threads is captured and the root logger's level is set to the job's ``log_level``. Otherwise
    only the calling thread's output is captured and the root logger is left as it is.
    """
    from .backends import get_backend
    from .jobs.wire import runtime_decoder, runtime_encoder

    main = _load_main(spec)
    try:
        backend = get_backend(spec.backend_name, _plugin_host(spec, plugin_host))
    except Exception as exc:
        raise ProgramFailure(f"Backend {spec.backend_name!r} could not be created: {exc}") from None
    try:
        inputs = json.loads(spec.inputs, cls=runtime_decoder()) if spec.inputs else {}
    except Exception as exc:
        raise ProgramFailure(f"The job's inputs could not be decoded: {type(exc).__name__}: {exc}") from None
    messenger = _job_messenger(emit)
    level = (spec.log_level or DEFAULT_LOG_LEVEL).upper()
    with _captured(emit, level, isolated):
        try:
            value = main(backend, messenger, **(inputs or {}))
        except JobInterrupted:
            raise
        except SystemExit as exc:
            raise ProgramFailure(
                f"Program {spec.program_id!r} called sys.exit({exc.code!r}).\n\n{_traceback(exc, 1)}"
            ) from None
        except MemoryError as exc:
            raise ProgramFailure(
                f"Program {spec.program_id!r} ran out of memory (MemoryError).\n\n{_traceback(exc, 1)}",
                reason="memory",
            ) from None
        except BaseException as exc:  # noqa: BLE001 - every way out of main is the job's failure
            raise ProgramFailure(
                f"Program {spec.program_id!r} raised {type(exc).__name__}: {exc}\n\n{_traceback(exc, 1)}"
            ) from None
    if value is None and messenger.final_text is not None:
        return messenger.final_text
    try:
        return json.dumps(value, cls=runtime_encoder())
    except Exception as exc:
        raise ProgramFailure(
            f"Program {spec.program_id!r} returned a {type(value).__name__} that cannot be encoded "
            f"as JSON: {type(exc).__name__}: {exc}"
        ) from None


def load_native_libraries() -> None:
    """Import qiskit and qiskit-aer on the calling thread, which should outlive the job threads.

    Executors that run programs on short-lived threads call this first from a long-lived one (the
    process's main thread where they can). Qiskit's compiled core keeps per-thread allocator
    state; Ray workers whose libraries were first loaded by a job thread that had since ended were
    seen to crash intermittently in later jobs' threads.
    """
    import qiskit  # noqa: F401
    import qiskit_aer  # noqa: F401


def run_job_within(spec: JobSpec, emit: Callable[[str, str], None], memory_limit: int | None) -> str:
    """:func:`run_job` in a worker process (``isolated``), after capping this process's memory at
    ``memory_limit`` bytes when given. A job that exceeds the cap raises
    :class:`ProgramFailure` with reason ``"memory"`` and a message naming the limit."""
    if memory_limit:
        from .jobs.limits import apply_memory_limit

        apply_memory_limit(memory_limit)
    try:
        return run_job(spec, emit, isolated=True)
    except ProgramFailure as failure:
        if failure.reason != "memory" or not memory_limit:
            raise
        from .jobs.limits import format_bytes

        raise ProgramFailure(
            f"The job exceeded the worker memory limit of {format_bytes(memory_limit)} "
            f"(worker_memory_limit / QRT_WORKER_MEMORY_LIMIT).\n\n{failure}",
            "memory",
        ) from None
