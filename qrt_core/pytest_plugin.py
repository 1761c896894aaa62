"""qrt's pytest plugin (loaded through the ``pytest11`` entry point): fixtures for testing runtime
programs and qrt plugins the way qrt runs them.

- ``qrt_home``: a temporary ``QRT_HOME`` for the test.
- ``qrt_service``: a :class:`~qrt_core.RuntimeService` on that home, closed after the test.
- ``run_program``: run a program by name or by its ``main`` in this process, as a job would run it;
  returns a :class:`ProgramRun` with ``result``, ``interim_results`` and ``logs``.
- ``qrt_plugin``: register a plugin object for one test; it is always unregistered afterwards.
- ``qrt_cli``: run the ``qrt`` command line in a child process on the test's ``qrt_home``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .program import RuntimeProgram
    from .service import RuntimeService

__all__ = [
    "ProgramRun",
    "run_program_in_process",
    "qrt_home",
    "qrt_service",
    "run_program",
    "qrt_plugin",
    "qrt_cli",
]

LOG_FORMAT = "%(levelname)s:%(name)s:%(message)s"


@dataclass
class ProgramRun:
    """What one in-process run of a program produced, decoded as a job's user would see it."""

    #: The final result: ``main``'s return value (or what it published with ``final=True``),
    #: encoded with ``RuntimeEncoder`` and decoded with the result decoder.
    result: Any
    #: Every interim result, in publish order, decoded.
    interim_results: list[Any]
    #: What the program printed (stdout and stderr) and logged, in order.
    logs: str
    #: The JSON text of the result and of each interim result, as the store keeps them.
    raw_result: str = ""
    raw_interim_results: list[str] = field(default_factory=list)
    #: The inputs ``main`` received, after the encode/decode round trip.
    inputs: dict[str, Any] = field(default_factory=dict)
    #: The program's metadata when it is known (by name, or ``main`` matching an installed entry point).
    program: RuntimeProgram | None = None


def _recording_messenger() -> Any:
    from .serialization.messenger import UserMessenger

    class RecordingMessenger(UserMessenger):
        """Keeps what the program publishes instead of printing it."""

        def __init__(self) -> None:
            super().__init__()
            self.interim: list[str] = []
            self.final: str | None = None

        def _deliver(self, text: str, final: bool) -> None:
            if final:
                self.final = text
            else:
                self.interim.append(text)

    return RecordingMessenger()


def _find_by_main(service: RuntimeService, main: Callable[..., Any]) -> RuntimeProgram | None:
    """The installed program whose entry point is ``main``, if any."""
    target = f"{getattr(main, '__module__', '')}:{getattr(main, '__qualname__', '')}"
    return next((p for p in service.programs() if p.entry_point == target), None)


class _LogCapture(logging.Handler):
    def __init__(self, sink: io.StringIO) -> None:
        super().__init__()
        self.sink = sink
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.write(self.format(record) + "\n")


@contextlib.contextmanager
def _captured_output(log_level: str | int | None) -> Iterator[io.StringIO]:
    sink = io.StringIO()
    handler = _LogCapture(sink)
    root = logging.getLogger()
    old_level = root.level
    if log_level is not None:
        root.setLevel(log_level)
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield sink
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def run_program_in_process(
    program: str | Callable[..., Any],
    inputs: Mapping[str, Any] | Any = None,
    *,
    backend: str | Any = "aer_simulator",
    decoder: Any = None,
    interim_decoder: Any = None,
    validate: bool = True,
    log_level: str | int | None = "INFO",
    service: RuntimeService | None = None,
) -> ProgramRun:
    """Run ``program`` (an installed program's name, or a ``main`` callable) the way a job runs it.

    The inputs (a dict or a ``ParameterNamespace``) are round-tripped through ``RuntimeEncoder`` and
    ``RuntimeDecoder`` and, when the program's metadata is known, validated against its parameter
    schema (:class:`~qrt_core.InputValidationError` lists every error). ``backend`` is a backend
    name (default ``aer_simulator``) or a backend object. Interim results and the final result are
    decoded with ``interim_decoder`` / ``decoder`` (default :class:`~qrt_core.ResultDecoder`).
    Exceptions raised by the program propagate unchanged.
    """
    from .program import ParameterNamespace, check_main_signature
    from .serialization.decoder import RuntimeDecoder
    from .serialization.encoder import RuntimeEncoder
    from .serialization.result_decoder import ResultDecoder

    if service is None:
        from .service import RuntimeService

        service = RuntimeService()
    if isinstance(program, str):
        metadata: RuntimeProgram | None = service.program(program)
        main = metadata.load_main()
    elif callable(program):
        main = program
        metadata = _find_by_main(service, main)
        check_main_signature(main, metadata.name if metadata else getattr(main, "__qualname__", "main"))
    else:
        raise TypeError(f"program must be a program name or its main function, got {type(program).__name__}")

    if isinstance(inputs, ParameterNamespace):
        inputs = inputs.to_inputs()
    encoded = json.dumps(dict(inputs or {}), cls=RuntimeEncoder)
    if validate and metadata is not None:
        metadata.validate_inputs(json.loads(encoded))
    kwargs = json.loads(encoded, cls=RuntimeDecoder)

    backend_obj = service.backend(backend) if isinstance(backend, str) else backend
    if metadata is not None:
        metadata.check_backend(backend_obj)

    messenger = _recording_messenger()
    with _captured_output(log_level) as output:
        returned = main(backend_obj, messenger, **kwargs)
    if returned is None and messenger.final is not None:
        raw_result = messenger.final
    else:
        raw_result = json.dumps(returned, cls=RuntimeEncoder)
    final_decoder = decoder or ResultDecoder
    interim = interim_decoder or final_decoder
    return ProgramRun(
        result=final_decoder.decode(raw_result),
        interim_results=[interim.decode(text) for text in messenger.interim],
        logs=output.getvalue(),
        raw_result=raw_result,
        raw_interim_results=list(messenger.interim),
        inputs=kwargs,
        program=metadata,
    )


@pytest.fixture
def qrt_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty ``QRT_HOME`` for this test (set in the environment, so child processes and
    ``RuntimeService()`` use it too)."""
    home = tmp_path_factory.mktemp("qrt-home")
    monkeypatch.setenv("QRT_HOME", os.fspath(home))
    return home


@pytest.fixture
def qrt_service(qrt_home: Path) -> Iterator[RuntimeService]:
    """A :class:`~qrt_core.RuntimeService` on the test's ``qrt_home``; closed after the test
    (jobs still unfinished then are cancelled)."""
    from .service import RuntimeService

    service = RuntimeService(home=qrt_home)
    try:
        yield service
    finally:
        service.close(wait=False)


@pytest.fixture
def run_program(qrt_service: RuntimeService) -> Callable[..., ProgramRun]:
    """``run_program(program, inputs=None, *, backend="aer_simulator", decoder=None, ...)``: run a
    program by name or by its ``main`` the way qrt runs a job, and return a :class:`ProgramRun`.
    See :func:`run_program_in_process` for every option."""

    def run(program: str | Callable[..., Any], inputs: Any = None, **options: Any) -> ProgramRun:
        options.setdefault("service", qrt_service)
        return run_program_in_process(program, inputs, **options)

    return run


@pytest.fixture
def qrt_plugin() -> Iterator[Callable[..., str]]:
    """``qrt_plugin(plugin, name=None)``: register a plugin object (a module, class or instance with
    ``@qrt_core.hookimpl`` functions) on qrt's plugin host for this test; returns its name. Every
    plugin registered this way is unregistered after the test, even when it fails."""
    from .plugins import get_plugin_host

    registered: list[tuple[Any, str]] = []

    def register(plugin: object, name: str | None = None) -> str:
        host = get_plugin_host()
        registered_name = host.register(plugin, name)
        registered.append((host, registered_name))
        return registered_name

    try:
        yield register
    finally:
        for host, name in reversed(registered):
            host.unregister(name)


@pytest.fixture
def qrt_cli(qrt_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``qrt_cli(*args, input=None, env=None, timeout=120)``: run ``qrt ARGS...`` in a child
    process (``python -m qrt_core``) with the test's ``qrt_home`` and the current ``PYTHONPATH``,
    and return the completed process (``returncode``, ``stdout``, ``stderr``). Tables are printed
    200 columns wide so that assertions do not meet wrapped lines."""

    def run(
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            **os.environ,
            "QRT_HOME": os.fspath(qrt_home),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "qrt_core", *args],
            input=input,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
