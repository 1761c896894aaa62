"""``Codec``: how one Python type travels through the JSON wire format as
``{"__type__": type_name, "__value__": encode(obj)}``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codec_table import LazyType

__all__ = ["Codec"]


@dataclass(frozen=True)
class Codec:
    """A JSON codec for one type (or a tuple of types), registered through ``qrt_register_codecs``.

    ``Codec(type_name="Fraction", python_type=Fraction, encode=lambda f: [f.numerator, f.denominator],
    decode=lambda v: Fraction(*v))``

    ``python_type`` may be a type, a :class:`~qrt_core.LazyType` (a type named by module and
    attribute, so registering the codec imports nothing), or a tuple of either.
    """

    type_name: str
    python_type: type | LazyType | tuple[type | LazyType, ...]
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]
