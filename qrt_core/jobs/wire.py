"""Where the jobs machinery gets the wire format's classes: the encoder, decoder, default result
decoder and the user messenger base, imported on first use."""

from __future__ import annotations

from typing import Any

__all__ = ["runtime_encoder", "runtime_decoder", "default_result_decoder", "user_messenger_base"]


def runtime_encoder() -> type:
    from ..serialization.encoder import RuntimeEncoder

    return RuntimeEncoder


def runtime_decoder() -> type:
    from ..serialization.decoder import RuntimeDecoder

    return RuntimeDecoder


def default_result_decoder() -> Any:
    from ..serialization.result_decoder import ResultDecoder

    return ResultDecoder


def user_messenger_base() -> type:
    from ..serialization.messenger import UserMessenger

    return UserMessenger
