"""The ``qrt`` command line: list and inspect programs, run them as jobs, follow and retrieve jobs,
list backends and plugins, and scaffold new programs.

Only click is imported up front; rich, the job machinery and qiskit are imported by the commands
that need them, so ``qrt --help``, ``qrt programs`` and ``qrt plugins`` stay quick.
"""

from __future__ import annotations

from collections.abc import Sequence

from .exit_codes import ExitCode

__all__ = ["ExitCode", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qrt`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    from .app import run_cli

    return run_cli(argv)
