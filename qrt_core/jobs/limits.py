"""Worker memory limits: parsing sizes such as ``2GiB`` and capping a process's address space."""

from __future__ import annotations

import os
import re

__all__ = ["MEMORY_LIMIT_ENV", "parse_memory_limit", "format_bytes", "resolve_memory_limit", "apply_memory_limit"]

MEMORY_LIMIT_ENV = "QRT_WORKER_MEMORY_LIMIT"

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_memory_limit(value: int | str | None, *, source: str = "worker_memory_limit") -> int | None:
    """Bytes for ``value``: an int (bytes), or a string such as ``"512MiB"``, ``"2GiB"``, ``"1.5GB"``.

    ``None``, ``""``, ``0`` and ``"none"`` mean no limit.
    """
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"{source} must be a size such as '2GiB' or a number of bytes, not {value!r}.")
        return None
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{source} must not be negative (got {value}).")
        return value or None
    text = str(value).strip()
    if text.lower() in ("", "none", "0"):
        return None
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(
            f"{source}={value!r} is not a size; use a number of bytes or a number with a unit "
            "(B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. '2GiB'."
        )
    return int(float(match.group(1)) * _UNITS[unit]) or None


def resolve_memory_limit(value: int | str | None) -> int | None:
    """The limit given explicitly, else the one in ``$QRT_WORKER_MEMORY_LIMIT``, else ``None``."""
    if value is not None:
        return parse_memory_limit(value)
    return parse_memory_limit(os.environ.get(MEMORY_LIMIT_ENV), source=MEMORY_LIMIT_ENV)


def format_bytes(count: int) -> str:
    """``2147483648`` -> ``"2 GiB"``; exact binary units when they fit, else one decimal."""
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} B"


def _mapped_bytes() -> int:
    """Address space the current process maps now (Linux), or 0 where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def apply_memory_limit(limit: int) -> int:
    """Cap this process's address space (``RLIMIT_AS``) at what it maps now plus ``limit``.

    The allowance is on top of the idle process: a warm worker with qiskit and Aer loaded already
    maps well over a gigabyte of (mostly unused) address space, which a job should not be charged
    for. Returns the cap in bytes.
    """
    import resource

    cap = _mapped_bytes() + limit
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap
