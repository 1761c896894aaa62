"""Built-in plugin: the ``default`` result decoder, registered through
``qrt_register_result_decoders`` like any third-party one."""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl

__all__ = ["qrt_register_result_decoders"]


@hookimpl
def qrt_register_result_decoders(register: Callable[..., None]) -> None:
    """Register :class:`qrt_core.ResultDecoder` as ``default``."""
    from ..serialization.result_decoder import ResultDecoder

    register("default", ResultDecoder)
