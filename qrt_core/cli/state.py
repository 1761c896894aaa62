"""``CliState``: what the global options of ``qrt`` decided, handed to every command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    from ..service import RuntimeService

__all__ = ["CliState", "pass_state"]


@dataclass
class CliState:
    """The job store's home (``None``: ``$QRT_HOME`` or ``~/.qrt``) and whether to show tracebacks."""

    home: Path | None = None
    debug: bool = False

    def service(self, **options: Any) -> RuntimeService:
        """A :class:`RuntimeService` on the chosen home; nothing heavy starts until a job is touched."""
        from ..service import RuntimeService

        return RuntimeService(home=self.home, **options)


pass_state = click.make_pass_decorator(CliState, ensure=True)
