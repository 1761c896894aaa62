"""The errors qrt raises; every one is a :class:`QRTError`, so ``except QRTError`` catches them all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "QRTError",
    "ProgramNotFoundError",
    "InvalidMetadataError",
    "ProgramLoadError",
    "BackendNotFoundError",
    "BackendRequirementsError",
    "InputValidationError",
    "JobNotFoundError",
    "RuntimeJobFailureError",
    "RuntimeInvalidStateError",
    "JobTimeoutError",
    "DecodeError",
    "PluginError",
]


def closest_first(name: str, candidates: Iterable[str]) -> list[str]:
    """Order ``candidates`` by how close they are to ``name`` (closest first)."""
    import difflib

    candidates = sorted(set(candidates))
    if not candidates:
        return []
    return difflib.get_close_matches(name, candidates, n=len(candidates), cutoff=0.0)


#: How many names an error message lists before summing up the rest.
_LISTED = 12


def _listing(names: Sequence[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:_LISTED])
    rest = len(names) - _LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


class QRTError(Exception):
    """Base class of every error qrt raises."""


class ProgramNotFoundError(QRTError, LookupError):
    """No installed program has this name."""

    def __init__(self, name: str, available: Iterable[str] = (), broken: dict[str, str] | None = None):
        self.name = name
        self.available = closest_first(name, available)
        self.broken = dict(broken or {})
        message = f"No program named {name!r} is installed. Installed programs: {_listing(self.available)}."
        if name in self.broken:
            message = f"Program {name!r} is installed but broken: {self.broken[name]}"
        super().__init__(message)


class InvalidMetadataError(QRTError, ValueError):
    """A program's metadata is missing, unreadable or breaks a rule.

    ``errors`` holds ``(json_path, message)`` pairs, one per rule broken.
    """

    def __init__(self, message: str, errors: Sequence[tuple[str, str]] = (), *, source: str | None = None):
        self.errors = list(errors)
        self.source = source
        text = message
        if self.errors:
            text += "".join(f"\n  at {path}: {msg}" for path, msg in self.errors)
        super().__init__(text)


class ProgramLoadError(QRTError, ImportError):
    """A program's ``main`` could not be imported or has the wrong signature."""


class BackendNotFoundError(QRTError, LookupError):
    """No backend has this name."""

    def __init__(self, name: str, available: Iterable[str] = ()):
        self.name = name
        self.available = closest_first(name, available)
        super().__init__(f"No backend named {name!r}. Available backends: {_listing(self.available)}.")


class BackendRequirementsError(QRTError):
    """The chosen backend does not meet the program's ``backend_requirements``."""


class InputValidationError(QRTError, ValueError):
    """Program inputs do not match the program's parameter schema.

    ``errors`` holds ``(json_path, message)`` pairs: every violation, not just the first.
    """

    def __init__(self, program: str, errors: Sequence[tuple[str, str]]):
        self.program = program
        self.errors = list(errors)
        lines = "".join(f"\n  at {path}: {msg}" for path, msg in self.errors)
        count = len(self.errors)
        super().__init__(
            f"Inputs for program {program!r} are invalid ({count} error{'s' if count != 1 else ''}):{lines}"
        )


class JobNotFoundError(QRTError, LookupError):
    """No job with this id is in the store."""


class RuntimeJobFailureError(QRTError):
    """The job ended in ERROR; the message holds the reason and the program's traceback."""


class RuntimeInvalidStateError(QRTError):
    """The job is not in a state that allows this operation."""


class JobTimeoutError(QRTError, TimeoutError):
    """Waiting for a job took longer than the timeout given."""


class DecodeError(QRTError, ValueError):
    """A JSON payload could not be decoded: a known tag with a malformed value, or a refused type."""

    #: Where in the document the bad value was, as a JSON path (``$.outer[0]``), when known.
    path: str | None = None


class PluginError(QRTError):
    """A plugin failed to load, or registered something badly (e.g. a name already taken)."""
