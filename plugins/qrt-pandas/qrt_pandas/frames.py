"""The wire form of pandas objects: ``DataFrame``, ``Series`` and ``Index`` to JSON-ready values and
back, keeping labels, names and dtypes.

Numeric, boolean and ``datetime64``/``timedelta64`` columns travel as base64 of their little-endian
bytes, so values are exact (NaN, infinities, ``-0.0``, ``NaT``) and a million rows cost
milliseconds. Object columns travel as lists, encoded element by element by qrt's encoder. The
layout of every form is written out in the package README.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from qrt_core import DecodeError

__all__ = [
    "encode_frame",
    "decode_frame",
    "encode_series",
    "decode_series",
    "encode_index",
    "decode_index",
]

# numpy kinds stored as raw bytes: bool, int, uint, float, complex, timedelta64, datetime64.
_RAW_KINDS = "biufcmM"
_MASKED_ARRAYS = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


# -- small pieces ------------------------------------------------------------------------------


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(array.tobytes()).decode("ascii")


def _from_b64(text: Any, dtype: np.dtype) -> np.ndarray:
    if not isinstance(text, str):
        raise DecodeError(f"expected a base64 string, got {type(text).__name__}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"bad base64: {exc}") from None
    if len(raw) % dtype.itemsize:
        raise DecodeError(f"{len(raw)} bytes is not a whole number of {dtype.str} items")
    # A bytearray makes the array writable without a second copy.
    return np.frombuffer(bytearray(raw), dtype=dtype)


def _raw_dtype(text: Any) -> np.dtype:
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        raise DecodeError(f"unknown numpy dtype {text!r}") from None
    if dtype.kind not in _RAW_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise DecodeError(f"dtype {text!r} cannot be stored as raw bytes")
    return dtype


def _encode_label(label: Hashable) -> Any:
    """Names and scalar labels; tuples become lists (JSON has no tuples) and come back as tuples."""
    if isinstance(label, tuple):
        return [_encode_label(part) for part in label]
    return label


def _decode_label(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode_label(part) for part in value)
    return value


def _tz_to_json(tz: Any) -> Any:
    if isinstance(tz, _dt.timezone):
        offset = tz.utcoffset(None)
        return "UTC" if offset == _dt.timedelta(0) else {"utcoffset": offset.total_seconds()}
    for attr in ("key", "zone"):  # zoneinfo, pytz
        name = getattr(tz, attr, None)
        if isinstance(name, str):
            return name
    return str(tz)


def _tz_from_json(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("utcoffset"), (int, float)):
        return _dt.timezone(_dt.timedelta(seconds=value["utcoffset"]))
    if isinstance(value, str):
        return value
    raise DecodeError(f"bad time zone {value!r}")


def _na_to_none(values: list[Any]) -> list[Any]:
    return [None if value is pd.NA or value is pd.NaT else value for value in values]


# -- arrays ------------------------------------------------------------------------------------


def _encode_raw(array: np.ndarray) -> dict[str, Any]:
    dtype = array.dtype
    little = dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype
    return {"dtype": little.str, "b64": _b64(np.ascontiguousarray(array, dtype=little))}


def encode_values(obj: pd.Series | pd.Index) -> dict[str, Any]:
    """The values of a Series or Index with their dtype, as a JSON-ready dict."""
    dtype = obj.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in _RAW_KINDS:
            return _encode_raw(obj.to_numpy())
        # pandas' missing-value markers have no JSON form; they travel as null.
        return {"dtype": "object", "values": _na_to_none(obj.to_numpy(dtype=object).tolist())}
    array = obj.array
    if isinstance(dtype, pd.DatetimeTZDtype):
        return {
            "dtype": "datetimetz",
            "unit": dtype.unit,
            "tz": _tz_to_json(dtype.tz),
            "b64": _b64(np.ascontiguousarray(array.asi8, dtype="<i8")),
        }
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "dtype": "category",
            "ordered": bool(dtype.ordered),
            "categories": encode_index(dtype.categories),
            "codes": _encode_raw(array.codes),
        }
    if isinstance(dtype, pd.PeriodDtype):
        return {
            "dtype": "period",
            "name": str(dtype),
            "b64": _b64(np.ascontiguousarray(array.asi8, dtype="<i8")),
        }
    if isinstance(dtype, pd.IntervalDtype):
        return {
            "dtype": "interval",
            "closed": array.closed,
            "left": encode_values(array.left),
            "right": encode_values(array.right),
        }
    if isinstance(dtype, pd.StringDtype):
        na = "nan" if dtype.na_value is not pd.NA else "NA"
        values = obj.to_numpy(dtype=object, na_value=None).tolist()
        return {"dtype": "string", "storage": dtype.storage, "na_value": na, "values": values}
    if isinstance(array, _MASKED_ARRAYS):
        fill = False if isinstance(array, pd.arrays.BooleanArray) else 0
        data = array.to_numpy(dtype=dtype.numpy_dtype, na_value=fill)
        return {
            "dtype": "masked",
            "name": str(dtype),
            "data": _encode_raw(data),
            "mask": _b64(np.ascontiguousarray(array.isna(), dtype=bool)),
        }
    # Any other extension dtype: its values one by one, rebuilt by pandas from the dtype's name.
    return {"dtype": "extension", "name": str(dtype), "values": _na_to_none(array.tolist())}


def decode_values(value: Any) -> Any:
    """A numpy array or pandas ExtensionArray from :func:`encode_values`' output."""
    if not isinstance(value, dict) or not isinstance(value.get("dtype"), str):
        raise DecodeError(f"expected an array description with a 'dtype', got {_short(value)}")
    kind = value["dtype"]
    if kind == "object":
        values = _list(value, "values")
        # fromiter keeps each element whole; np.array would split equal-length lists into 2-D.
        return np.fromiter(values, dtype=object, count=len(values))
    if kind == "datetimetz":
        unit = value.get("unit")
        if unit not in ("s", "ms", "us", "ns"):
            raise DecodeError(f"bad datetime unit {unit!r}")
        utc = _from_b64(value.get("b64"), np.dtype("<i8")).view(f"M8[{unit}]")
        return (
            pd.DatetimeIndex(utc)
            .tz_localize("UTC")
            .tz_convert(_tz_from_json(value.get("tz")))
            .array
        )
    if kind == "category":
        categories = decode_index(value.get("categories"))
        dtype = pd.CategoricalDtype(categories, ordered=bool(value.get("ordered")))
        return pd.Categorical.from_codes(_numpy(decode_values(value.get("codes"))), dtype=dtype)
    if kind == "period":
        dtype = _extension_dtype(value.get("name"), pd.PeriodDtype)
        ordinals = _from_b64(value.get("b64"), np.dtype("<i8"))
        return pd.PeriodIndex.from_ordinals(ordinals, freq=dtype.freq).array
    if kind == "interval":
        left, right = decode_values(value.get("left")), decode_values(value.get("right"))
        return pd.arrays.IntervalArray.from_arrays(left, right, closed=value.get("closed", "right"))
    if kind == "string":
        values = _list(value, "values")
        na_value = pd.NA if value.get("na_value") == "NA" else np.nan
        try:
            dtype = pd.StringDtype(storage=value.get("storage"), na_value=na_value)
            return pd.array(values, dtype=dtype)
        except ImportError:  # written where pyarrow was installed, read where it is not
            return pd.array(values, dtype=pd.StringDtype(storage="python", na_value=na_value))
    if kind == "masked":
        dtype = _extension_dtype(value.get("name"), pd.api.extensions.ExtensionDtype)
        data = _numpy(decode_values(value.get("data")))
        mask = _from_b64(value.get("mask"), np.dtype(bool))
        if len(mask) != len(data):
            raise DecodeError(f"mask has {len(mask)} entries for {len(data)} values")
        return dtype.construct_array_type()(data, mask)
    if kind == "extension":
        dtype = _extension_dtype(value.get("name"), pd.api.extensions.ExtensionDtype)
        return pd.array(_list(value, "values"), dtype=dtype)
    dtype = _raw_dtype(kind)
    return _from_b64(value.get("b64"), dtype)


def _numpy(values: Any) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        raise DecodeError("expected plain numpy values here")
    return values


def _list(value: dict[str, Any], key: str) -> list[Any]:
    values = value.get(key)
    if not isinstance(values, list):
        raise DecodeError(f"{key!r} must be a list, got {_short(values)}")
    return values


def _extension_dtype(name: Any, expected: type) -> Any:
    if not isinstance(name, str):
        raise DecodeError(f"dtype name must be a string, got {_short(name)}")
    try:
        dtype = pandas_dtype(name)
    except (TypeError, ValueError, ImportError) as exc:
        raise DecodeError(f"unknown pandas dtype {name!r}: {exc}") from None
    if not isinstance(dtype, expected):
        raise DecodeError(f"dtype {name!r} is not a {expected.__name__}")
    return dtype


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _series(values: Any, index: pd.Index, name: Any) -> pd.Series:
    # An explicit dtype stops pandas from re-inferring object columns (e.g. as strings).
    dtype = values.dtype if isinstance(values, np.ndarray) else None
    return pd.Series(values, index=index, name=name, dtype=dtype, copy=False)


# -- index, series, frame ----------------------------------------------------------------------


def encode_index(index: pd.Index) -> dict[str, Any]:
    """An Index (RangeIndex, MultiIndex, or any other) as a JSON-ready dict."""
    if isinstance(index, pd.RangeIndex):
        return {
            "kind": "range",
            "start": int(index.start),
            "stop": int(index.stop),
            "step": int(index.step),
            "name": _encode_label(index.name),
        }
    if isinstance(index, pd.MultiIndex):
        return {
            "kind": "multi",
            "names": [_encode_label(name) for name in index.names],
            "levels": [encode_index(level) for level in index.levels],
            "codes": [_encode_raw(codes) for codes in index.codes],
        }
    out = {"kind": "index", "name": _encode_label(index.name), "values": encode_values(index)}
    freq = getattr(index, "freqstr", None)
    if freq is not None and isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        out["freq"] = freq
    return out


def decode_index(value: Any) -> pd.Index:
    """An Index from :func:`encode_index`' output."""
    if not isinstance(value, dict):
        raise DecodeError(f"expected an index description, got {_short(value)}")
    kind = value.get("kind")
    if kind == "range":
        bounds = [value.get(key) for key in ("start", "stop", "step")]
        if (
            not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            or bounds[2] == 0
        ):
            raise DecodeError(f"bad range bounds {bounds!r}")
        return pd.RangeIndex(*bounds, name=_decode_label(value.get("name")))
    if kind == "multi":
        levels = [decode_index(level) for level in _list(value, "levels")]
        codes = [_numpy(decode_values(codes)) for codes in _list(value, "codes")]
        names = [_decode_label(name) for name in _list(value, "names")]
        return pd.MultiIndex(levels=levels, codes=codes, names=names)
    if kind == "index":
        values = decode_values(value.get("values"))
        name = _decode_label(value.get("name"))
        freq = value.get("freq")
        if freq is not None:
            if not isinstance(freq, str):
                raise DecodeError(f"bad freq {freq!r}")
            if values.dtype.kind == "M":  # naive or with a time zone
                return pd.DatetimeIndex(values, freq=freq, name=name)
            if values.dtype.kind == "m":
                return pd.TimedeltaIndex(values, freq=freq, name=name)
        dtype = values.dtype if isinstance(values, np.ndarray) else None
        return pd.Index(values, name=name, dtype=dtype, copy=False)
    raise DecodeError(f"unknown index kind {kind!r}; expected 'range', 'multi' or 'index'")


def encode_series(series: pd.Series) -> dict[str, Any]:
    """A Series: its index, name and values."""
    out = {
        "index": encode_index(series.index),
        "name": _encode_label(series.name),
        "values": encode_values(series),
    }
    if series.attrs:
        out["attrs"] = dict(series.attrs)
    return out


def decode_series(value: Any) -> pd.Series:
    if not isinstance(value, dict):
        raise DecodeError(f"expected a Series description, got {_short(value)}")
    index = decode_index(value.get("index"))
    values = decode_values(value.get("values"))
    if len(values) != len(index):
        raise DecodeError(f"{len(values)} values for an index of length {len(index)}")
    series = _series(values, index, _decode_label(value.get("name")))
    if isinstance(value.get("attrs"), dict):
        series.attrs.update(value["attrs"])
    return series


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame: index, column labels, and one value array per column, in order (so repeated
    column labels survive)."""
    out = {
        "index": encode_index(frame.index),
        "columns": encode_index(frame.columns),
        "data": [encode_values(frame.iloc[:, position]) for position in range(frame.shape[1])],
    }
    if frame.attrs:
        out["attrs"] = dict(frame.attrs)
    return out


def decode_frame(value: Any) -> pd.DataFrame:
    if not isinstance(value, dict):
        raise DecodeError(f"expected a DataFrame description, got {_short(value)}")
    index = decode_index(value.get("index"))
    columns = decode_index(value.get("columns"))
    data = [decode_values(column) for column in _list(value, "data")]
    if len(data) != len(columns):
        raise DecodeError(f"{len(data)} columns of data for {len(columns)} column labels")
    for position, values in enumerate(data):
        if len(values) != len(index):
            raise DecodeError(
                f"column {position} has {len(values)} values for an index of length {len(index)}"
            )
    if data:
        # Columns are labelled by position first: the real labels may repeat or be tuples.
        frame = pd.concat(
            [_series(values, index, position) for position, values in enumerate(data)], axis=1
        )
        frame.columns = columns
    else:
        frame = pd.DataFrame(index=index, columns=columns)
    if isinstance(value.get("attrs"), dict):
        frame.attrs.update(value["attrs"])
    return frame
