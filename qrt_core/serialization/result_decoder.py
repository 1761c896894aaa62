"""``ResultDecoder``: turns a job's JSON text back into Python objects; subclass it to rebuild
your own types, as the runtime's tutorial shows."""

from __future__ import annotations

import json
from typing import Any

from .decoder import RuntimeDecoder

__all__ = ["ResultDecoder"]


class ResultDecoder:
    """Decodes results and interim results with :class:`RuntimeDecoder`.

    ``decode`` is a classmethod so that subclasses can call ``super().decode(data)`` and then
    build their own objects from what it returns.
    """

    #: The JSON decoder class used for the text.
    json_decoder: type[json.JSONDecoder] = RuntimeDecoder

    @classmethod
    def decode(cls, data: Any) -> Any:
        """A JSON string (or bytes) is decoded; text that is not JSON, and any value that is not
        text, is returned as it is."""
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8")
        if not isinstance(data, str):
            return data
        try:
            return json.loads(data, cls=cls.json_decoder)
        except json.JSONDecodeError:
            return data
