"""The JSON wire format of runtime programs: encoder, decoder, codecs, result decoders, messenger.

Names are resolved on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "RuntimeEncoder": ".encoder",
    "RuntimeDecoder": ".decoder",
    "InvalidJSONError": ".decoder",
    "ResultDecoder": ".result_decoder",
    "UserMessenger": ".messenger",
    "Codec": ".codec",
    "LazyType": ".codec_table",
    "current_codec_table": ".codec_table",
    "decompression_limit": ".limits",
    "max_decompressed_bytes": ".limits",
    "DEFAULT_MAX_DECOMPRESSED_BYTES": ".limits",
    "MAX_DECOMPRESSED_ENV": ".limits",
    "SETTINGS_ALLOW_LIST": ".safety",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
