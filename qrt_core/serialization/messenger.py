"""``UserMessenger``: what a program's ``main`` gets to publish interim results and its final
result. This base class prints the JSON, as IBM's local messenger did; job messengers override
:meth:`UserMessenger._deliver` to send it to the job's channel."""

from __future__ import annotations

import json
from typing import Any

from .encoder import RuntimeEncoder

__all__ = ["UserMessenger"]


class UserMessenger:
    """Publishes messages from a runtime program."""

    def publish(self, message: Any, encoder: type[json.JSONEncoder] = RuntimeEncoder, final: bool = False) -> None:
        """Encode ``message`` with ``encoder`` and deliver it; ``final=True`` marks the result."""
        text = json.dumps(message, cls=encoder)
        self._deliver(text, final)

    def _deliver(self, text: str, final: bool) -> None:
        """Send one encoded message (here: print it)."""
        print(text)
