"""``RuntimeEncoder``: the JSON encoder of the runtime wire format, ``{"__type__": T,
"__value__": V}`` for every type JSON lacks, as IBM's runtime wrote it; types come from codecs."""

from __future__ import annotations

import json
import secrets
from typing import Any

from .codec_table import CodecTable, LazyType, current_codec_table, register_plain
from .limits import Base64Text

__all__ = ["RuntimeEncoder", "flag_int_keys"]


def _numpy_scalar(obj: Any) -> Any:
    # Exact conversions by kind; .item() alone may hand back a numpy type (longdouble) and loop.
    import numpy as np

    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.complexfloating):
        return complex(obj)
    value = obj.item()
    if type(value) is type(obj):
        raise TypeError(f"numpy scalar of type {type(obj).__name__} has no JSON form")
    return value


register_plain(LazyType("numpy", "generic"), _numpy_scalar)
register_plain(LazyType("qiskit.transpiler.coupling", "CouplingMap"), list)
register_plain(LazyType("qiskit.circuit.parametertable", "ParameterView"), lambda view: view.data)


def flag_int_keys(value: Any) -> Any:
    """A copy of ``value`` where every dict with an ``int`` key carries ``"__int_keys__": True``.

    Like IBM's encoder, it descends through dict values only (its decoder restores keys there).
    """
    if not isinstance(value, dict):
        return value
    out = {key: flag_int_keys(item) for key, item in value.items()}
    if any(isinstance(key, int) and not isinstance(key, bool) for key in value):
        out["__int_keys__"] = True
    return out


_SPLICE_AT = 1 << 16
_INDEX_WIDTH = 8


class RuntimeEncoder(json.JSONEncoder):
    """JSON encoder for runtime inputs, interim results and results.

    Types JSON lacks are encoded by the codec registered for the nearest class in the object's
    MRO (built-in codecs and plugins alike); then objects with ``to_json()`` travel as
    ``to_json`` and objects with ``settings`` as ``settings``, as in IBM's runtime. NaN and
    infinities are written as ``NaN``/``Infinity``/``-Infinity``, like Python's ``json``.
    """

    _table: CodecTable | None = None
    # Large base64 values set aside during encode(), and the marker that stands in for them.
    _spliced: list[str] | None = None
    _marker: str | None = None

    def encode(self, o: Any) -> str:
        if self._spliced is not None:  # re-entered on the same instance: no splicing inside
            return super().encode(o)
        self._spliced = spliced = []
        try:
            text = super().encode(o)
        finally:
            self._spliced = None
        if not spliced:
            return text
        # json would scan every character of a multi-megabyte base64 value for escapes; it gets
        # a short marker instead, and the value (which never needs escaping) goes in here.
        pieces = text.split(self._marker)  # type: ignore[arg-type]
        out = [pieces[0]]
        for piece in pieces[1:]:
            out.append(spliced[int(piece[:_INDEX_WIDTH])])
            out.append(piece[_INDEX_WIDTH:])
        return "".join(out)

    def default(self, obj: Any) -> Any:
        table = self._table
        if table is None:
            table = self._table = current_codec_table()
        handler = table.handler_for(type(obj))
        if handler is not None:
            out = handler(obj)
            spliced = self._spliced
            if spliced is not None and type(out) is dict:
                value = out.get("__value__")
                if type(value) is Base64Text and len(value) >= _SPLICE_AT:
                    if self._marker is None:
                        self._marker = "qrt-" + secrets.token_hex(16) + "-"
                    out["__value__"] = f"{self._marker}{len(spliced):0{_INDEX_WIDTH}d}"
                    spliced.append(value)
            return out
        if hasattr(obj, "to_json"):
            return {"__type__": "to_json", "__value__": obj.to_json()}
        if hasattr(obj, "settings"):
            cls = type(obj)
            return {
                "__type__": "settings",
                "__module__": cls.__module__,
                "__class__": cls.__name__,
                "__value__": flag_int_keys(obj.settings),
            }
        cls = type(obj)
        raise TypeError(
            f"Object of type {cls.__module__}.{cls.__qualname__} is not JSON serializable by "
            "RuntimeEncoder; give it a to_json() method or register a qrt_core.Codec for it "
            "through the qrt_register_codecs hook."
        )
