"""The exit codes of ``qrt`` and which error ends with which code."""

from __future__ import annotations

from enum import IntEnum

from ..exceptions import (
    BackendNotFoundError,
    BackendRequirementsError,
    DecodeError,
    InputValidationError,
    JobNotFoundError,
    ProgramNotFoundError,
    RuntimeInvalidStateError,
)

__all__ = ["ExitCode", "CliUsageError", "exit_code_for"]


class ExitCode(IntEnum):
    """What ``qrt`` exits with. Documented in ``docs/cli.md``; scripts rely on these numbers."""

    #: The command did what was asked (for ``qrt run``: the job finished DONE).
    OK = 0
    #: The job ended in ERROR, or qrt itself failed unexpectedly.
    JOB_ERROR = 1
    #: The command line or the inputs are wrong (nothing was run); click's usage errors too.
    INVALID = 2
    #: The job was cancelled (by Ctrl-C, ``qrt cancel``, or an API call).
    CANCELLED = 3
    #: No such program, job or backend.
    NOT_FOUND = 4
    #: Ctrl-C outside a job (e.g. while ``qrt logs --follow`` waits); the shell convention 128 + SIGINT.
    INTERRUPTED = 130


class CliUsageError(Exception):
    """A mistake in how a command was called, found after click parsed it (exit code 2)."""


_BY_TYPE: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (ProgramNotFoundError, ExitCode.NOT_FOUND),
    (JobNotFoundError, ExitCode.NOT_FOUND),
    (BackendNotFoundError, ExitCode.NOT_FOUND),
    (InputValidationError, ExitCode.INVALID),
    (BackendRequirementsError, ExitCode.INVALID),
    (RuntimeInvalidStateError, ExitCode.INVALID),
    (DecodeError, ExitCode.INVALID),
    (CliUsageError, ExitCode.INVALID),
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code that ``exc`` ends the command with."""
    for kind, code in _BY_TYPE:
        if isinstance(exc, kind):
            return code
    return ExitCode.JOB_ERROR
