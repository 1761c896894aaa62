"""The qrt plugin: pandas codecs and the ``"dataframe"`` result decoder.

Neither loading the plugin nor registering its codecs imports pandas; decoding a pandas value does.
"""

from __future__ import annotations

from collections.abc import Callable

from qrt_core import hookimpl

__all__ = ["qrt_register_codecs", "qrt_register_result_decoders"]


@hookimpl
def qrt_register_codecs(register: Callable[..., None]) -> None:
    from .codecs import pandas_codecs

    for codec in pandas_codecs():
        register(codec)


@hookimpl
def qrt_register_result_decoders(register: Callable[..., None]) -> None:
    from .decoders import DataFrameDecoder

    register("dataframe", DataFrameDecoder)
