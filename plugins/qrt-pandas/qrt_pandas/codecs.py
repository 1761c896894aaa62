"""The qrt codecs for pandas objects, one wire tag per type.

The types are named with :class:`~qrt_core.serialization.LazyType`, so registering the codecs does
not import pandas: a process that never meets a DataFrame never pays for importing pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qrt_core import Codec, DecodeError, LazyType

__all__ = ["DATAFRAME_TAG", "SERIES_TAG", "INDEX_TAG", "pandas_codecs"]

DATAFRAME_TAG = "pandas.DataFrame"
SERIES_TAG = "pandas.Series"
INDEX_TAG = "pandas.Index"


def _encoder(name: str) -> Callable[[Any], Any]:
    def encode(obj: Any) -> Any:
        from . import frames

        return getattr(frames, name)(obj)

    encode.__qualname__ = name
    return encode


def _decoder(tag: str, name: str) -> Callable[[Any], Any]:
    def decode(value: Any) -> Any:
        from . import frames  # imports pandas, once a pandas value is actually met

        try:
            return getattr(frames, name)(value)
        except DecodeError as exc:
            raise DecodeError(f"Malformed {tag!r} value: {exc}") from None

    decode.__qualname__ = name
    return decode


def pandas_codecs() -> list[Codec]:
    """The codecs this plugin registers (``pandas.Index`` covers every index class: the encoder
    matches along the object's class hierarchy)."""
    return [
        Codec(
            DATAFRAME_TAG,
            LazyType("pandas", "DataFrame"),
            _encoder("encode_frame"),
            _decoder(DATAFRAME_TAG, "decode_frame"),
        ),
        Codec(
            SERIES_TAG,
            LazyType("pandas", "Series"),
            _encoder("encode_series"),
            _decoder(SERIES_TAG, "decode_series"),
        ),
        Codec(
            INDEX_TAG,
            LazyType("pandas", "Index"),
            _encoder("encode_index"),
            _decoder(INDEX_TAG, "decode_index"),
        ),
    ]
