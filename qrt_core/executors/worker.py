"""The loop of one warm worker process of the ``process`` executor: import qiskit and Aer once,
then run the jobs the pool sends, one at a time, streaming each job's events back.

Started by :mod:`qrt_core.executors.process` as ``python -c "...worker import main; main()" FD``,
where ``FD`` is this end of a socket pair carrying a :class:`Channel`. Messages are tuples. From the pool:
``("job", spec_fields, memory_limit)`` and ``("stop",)``. To the pool: ``("ready", pid)``, then per
job ``("started", info)``, ``("interim", text)``, ``("log", stream, text)``, ``("exit", code,
stack)`` (the program called ``os._exit``), and finally ``("done", result)`` or ``("failed",
reason, message)``.
"""

from __future__ import annotations

import faulthandler
import importlib
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

__all__ = ["main", "Channel"]

_HEADER = struct.Struct("!I")


class Channel:
    """Length-prefixed pickled messages over a stream socket.

    The worker sends and receives one message at a time; the pool reads whatever has arrived in
    one go (:meth:`receive_available`), which keeps a burst of small messages cheap.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()
        self._lock = threading.Lock()

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self.sock.sendall(_HEADER.pack(len(data)) + data)

    def _exactly(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError("the other end closed the channel")
            data += chunk
        return bytes(data)

    def recv(self) -> Any:
        (size,) = _HEADER.unpack(self._exactly(_HEADER.size))
        return pickle.loads(self._exactly(size))

    def receive_available(self) -> list[Any]:
        """The messages completed by what can be read now (call when the socket is readable);
        raises :class:`EOFError` when the other end has closed."""
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise EOFError("the other end closed the channel")
        buffer = self._buffer
        buffer += chunk
        messages, position, end = [], 0, len(buffer)
        while end - position >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, position)
            if end - position - _HEADER.size < size:
                break
            start = position + _HEADER.size
            messages.append(pickle.loads(buffer[start : start + size]))
            position = start + size
        del buffer[:position]
        return messages

    def close(self) -> None:
        self.sock.close()


def _die_with_parent(parent: int) -> None:
    """End this process when the pool's process goes away, even if it was killed with SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except Exception:  # noqa: BLE001 - other platforms rely on the watcher thread alone
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="qrt-parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Import what jobs need, so a job pays for none of it."""
    import qiskit  # noqa: F401
    import qiskit_aer  # noqa: F401

    from ..backends import get_backend
    from ..jobs import wire
    from ..plugins import get_plugin_host

    get_backend("aer_simulator", get_plugin_host())
    for load in (wire.runtime_encoder, wire.runtime_decoder, wire.user_messenger_base):
        try:
            load()
        except ImportError:
            pass  # reported by the job that needs it


def _sync_sys_path(paths: list[str] | None) -> None:
    """Put the submitting process's ``sys.path`` first, so its programs import here too."""
    if not paths:
        return
    merged = list(paths) + [p for p in sys.path if p not in paths and p != ""]
    if merged != sys.path:
        sys.path[:] = merged
        importlib.invalidate_caches()
        from ..plugins import reset_plugin_host

        reset_plugin_host(None)  # plugins (backends) on the new entries are found on next use


def _program_stack() -> str:
    """The current stack from the program's ``main`` down (the worker's own frames left out)."""
    frames = traceback.extract_stack()[:-2]
    for index in range(len(frames) - 1, -1, -1):
        if frames[index].name == "run_job" and frames[index].filename.endswith("runner.py"):
            frames = frames[index + 1 :]
            break
    return "".join(traceback.format_list(frames)).rstrip()


def _run_one(conn: Channel, fields: dict[str, Any], memory_limit: int | None) -> bool:
    """Run one job; returns ``True`` when this worker should stop after it."""
    from ..executors.base import JobSpec
    from ..runner import ProgramFailure, run_job_within

    spec = JobSpec(**fields)

    send = conn.send

    active = True

    def emit(kind: str, text: str) -> None:
        if active:  # a thread the program left running must not speak for a later job
            send(("interim", text) if kind == "interim" else ("log", kind, text))

    _sync_sys_path(spec.extra.get("sys_path"))
    send(("started", {"worker_pid": os.getpid(), "hostname": socket.gethostname()}))
    retire = False
    try:
        result = run_job_within(spec, emit, memory_limit)
    except ProgramFailure as failure:
        retire = failure.reason == "memory"  # memory may be left fragmented or half-freed
        send(("failed", failure.reason, str(failure), retire))
    except BaseException as exc:  # noqa: BLE001 - never let a job take the loop down silently
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        retire = True
        send(("failed", "error", f"The worker failed while running the job: {exc}\n\n{detail}", retire))
    else:
        send(("done", result))
    finally:
        active = False
        if memory_limit:
            import resource

            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    return retire


def main() -> None:
    conn = Channel(socket.socket(fileno=int(sys.argv[1])))
    if sys.path and sys.path[0] == "":
        # ``python -c`` put the current folder first; a job imports from the submitter's sys.path.
        del sys.path[0]
    _die_with_parent(os.getppid())
    faulthandler.enable()  # a hard crash leaves the program's stack on stderr for the pool to read
    _warm_up()

    real_exit = os._exit

    def exit_reporting(code: int) -> None:
        try:
            conn.send(("exit", code, _program_stack()))
        except BaseException:  # noqa: BLE001 - exiting regardless
            pass
        real_exit(code)

    os._exit = exit_reporting  # type: ignore[assignment]
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message[0] == "stop":
            break
        if message[0] == "job" and _run_one(conn, message[1], message[2]):
            break
    conn.close()
    sys.stdout.flush()
    real_exit(0)  # skip interpreter teardown: nothing in a worker needs it
