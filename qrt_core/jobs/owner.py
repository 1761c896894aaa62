"""Who hosts a job: the identity of a process (host, boot, pid, start time) and whether it still
runs, so a store opened later can tell an interrupted job from one that is still running."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ProcessIdentity", "this_process", "is_alive"]


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, identified so that a reused pid is not mistaken for it.

    ``start`` is the process start time as the kernel reports it, joined with the boot id, or an
    empty string where the platform does not tell (then only the pid is checked).
    """

    host: str
    pid: int
    start: str


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[bytes]:
    """The fields of ``/proc/<pid>/stat`` after the command name (Linux), or ``[]`` if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    # The command name (field 2) may hold spaces and parentheses; the fields after the last ')'
    # are fixed: the state is the 1st of them (field 3), the start time the 20th (field 22).
    return raw[raw.rfind(b")") + 2 :].split()


def _start_time(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot (Linux), or ``""`` if unknown."""
    fields = _stat_fields(pid)
    try:
        return fields[19].decode("ascii")
    except IndexError:
        return ""


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname()


def _identity_of(pid: int) -> str:
    started = _start_time(pid)
    return f"{_boot_id()}:{started}" if started else ""


_SELF: ProcessIdentity | None = None


def this_process() -> ProcessIdentity:
    """The identity of the current process (recomputed after a fork)."""
    global _SELF
    if _SELF is None or _SELF.pid != os.getpid():
        _SELF = ProcessIdentity(_host(), os.getpid(), _identity_of(os.getpid()))
    return _SELF


def is_alive(owner: ProcessIdentity) -> bool | None:
    """``True`` if ``owner`` still runs, ``False`` if it stopped, ``None`` if this process cannot
    tell (it ran on another host)."""
    if owner.host != _host():
        return None
    if owner.pid == os.getpid():
        return owner.start == this_process().start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return False
    if _stat_fields(owner.pid)[:1] == [b"Z"]:
        return False  # killed, and its parent has not reaped it yet: it runs nothing any more
    if owner.start:
        return _identity_of(owner.pid) == owner.start
    return True
