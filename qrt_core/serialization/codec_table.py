"""The codec table: the codecs plugins registered, indexed once per plugin-host generation by
wire tag (for decoding) and resolved per Python type through its MRO (for encoding).

Built-in codecs name their types with :class:`LazyType`, so that registering a codec for
``numpy.ndarray`` or ``QuantumCircuit`` imports neither; a lazy type is resolved only once its
module is loaded, which is always the case when an instance of it is being encoded.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from .codec import Codec

__all__ = ["LazyType", "CodecTable", "RESERVED_TAGS", "current_codec_table", "register_plain"]


class LazyType:
    """A type named by its module and qualified name, usable as (part of) ``Codec.python_type``
    without importing the module: ``LazyType("numpy", "ndarray")``."""

    def __init__(self, module: str, qualname: str) -> None:
        # The plugin host keys duplicate checks on __module__/__qualname__, as it does for types.
        self.__module__ = module
        self.__qualname__ = qualname
        self._resolved: type | None = None

    def __repr__(self) -> str:
        return f"LazyType({self.__module__!r}, {self.__qualname__!r})"

    def resolve(self) -> type | None:
        """The type, if its module is already imported; ``None`` otherwise. Nothing is imported:
        an object of the type cannot exist before its module is loaded."""
        if self._resolved is not None:
            return self._resolved
        value: Any = sys.modules.get(self.__module__)
        if value is None:
            return None
        for part in self.__qualname__.split("."):
            value = getattr(value, part, None)
        if isinstance(value, type):
            self._resolved = value
        return self._resolved


#: Tags of the wire's own protocols (objects with ``to_json()`` or ``settings``); codecs
#: registered under them are ignored.
RESERVED_TAGS = frozenset({"to_json", "settings"})


def _types_of(codec: Codec) -> tuple[Any, ...]:
    types = codec.python_type
    return types if isinstance(types, tuple) else (types,)


#: What the encoder does with an object of a given type: return its JSON replacement.
Handler = Callable[[Any], Any]


class CodecTable:
    """Codecs by tag, and a per-type cache of the handler that encodes each type.

    ``plain`` maps extra types (lazy or real) to converters whose result goes on the wire as is,
    without a tag — numpy scalars become plain numbers, for instance.
    """

    def __init__(self, codecs: list[Codec], plain: list[tuple[Any, Handler]] = ()) -> None:
        codecs = [codec for codec in codecs if codec.type_name not in RESERVED_TAGS]
        self.by_tag: dict[str, Codec] = {codec.type_name: codec for codec in codecs}
        self.decoders: dict[str, Callable[[Any], Any]] = {
            tag: codec.decode for tag, codec in self.by_tag.items()
        }
        entries: list[tuple[Any, Handler]] = list(plain)
        for codec in codecs:
            handler = _tagging(codec)
            entries.extend((t, handler) for t in _types_of(codec))
        self._entries = entries
        self._cache: dict[type, Handler | None] = {}
        self._lock = threading.Lock()

    def handler_for(self, cls: type) -> Handler | None:
        """The handler for instances of ``cls`` (most specific class in its MRO wins; among
        codecs for the same class, the one registered last), or ``None``."""
        try:
            return self._cache[cls]
        except KeyError:
            pass
        positions = {klass: index for index, klass in enumerate(cls.__mro__)}
        best: tuple[int, Handler] | None = None
        for target, handler in self._entries:
            resolved = target.resolve() if isinstance(target, LazyType) else target
            index = positions.get(resolved) if resolved is not None else None
            if index is not None and (best is None or index <= best[0]):
                best = (index, handler)
        found = best[1] if best is not None else None
        with self._lock:
            self._cache[cls] = found
        return found


def _tagging(codec: Codec) -> Handler:
    tag, encode = codec.type_name, codec.encode

    def handler(obj: Any) -> Any:
        return {"__type__": tag, "__value__": encode(obj)}

    return handler


_CACHE: dict[str, Any] = {"host": None, "generation": -1, "table": None}
_CACHE_LOCK = threading.Lock()
_PLAIN: list[tuple[Any, Handler]] = []


def register_plain(target: Any, converter: Handler) -> None:
    """Add an untagged conversion (for types whose wire form is an ordinary JSON value)."""
    _PLAIN.append((target, converter))
    with _CACHE_LOCK:
        _CACHE["table"] = None


def current_codec_table() -> CodecTable:
    """The table for the process-wide plugin host, rebuilt when its plugins change."""
    from ..plugins import get_plugin_host

    host = get_plugin_host()
    registrations = host.table("codecs")  # builds the host's tables if they are stale
    generation = host.generation
    cache = _CACHE
    table = cache["table"]
    if table is not None and cache["host"] is host and cache["generation"] == generation:
        return table
    with _CACHE_LOCK:
        table = CodecTable([reg.value for reg in registrations.values()], _PLAIN)
        cache.update(host=host, generation=generation, table=table)
    return table
