"""Property and fuzz tests: nested values of every cheap type round-trip (through qrt, and into
qiskit-ibm-runtime's decoder); arbitrary JSON and mutated payloads only ever decode to a value or
raise DecodeError."""

from __future__ import annotations

import base64
import json
import math
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime import RuntimeDecoder as IBMDecoder

from qrt_core import DecodeError, RuntimeDecoder, RuntimeEncoder

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, complex):
        return isinstance(b, complex) and same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


offsets = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
    lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1)))
)
datetimes = st.datetimes(timezones=st.none() | offsets)
numbers = st.floats(allow_nan=False)
arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.complex128, np.int32, np.bool_, np.float32, np.uint8, np.int64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
)
# Keys starting with "__" are the wire's own; user data avoids them, as with IBM's encoder.
keys = st.text(max_size=8).filter(lambda k: not k.startswith("__"))


def values(complexes: st.SearchStrategy[complex]) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | numbers
        | st.text(max_size=10)
        | complexes
        | datetimes
        | st.frozensets(st.integers() | st.text(max_size=4), max_size=4).map(set)
        | arrays
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


@SETTINGS
@given(values(st.complex_numbers()))
def test_nested_values_round_trip_through_qrt(value):
    text = json.dumps(value, cls=RuntimeEncoder)
    assert same(value, json.loads(text, cls=RuntimeDecoder))


@SETTINGS
@given(values(st.complex_numbers(allow_infinity=False, allow_nan=False)))
def test_nested_values_from_qrt_decode_equal_with_qiskit_ibm_runtime(value):
    text = json.dumps(value, cls=RuntimeEncoder)
    assert same(value, json.loads(text, cls=IBMDecoder))


@SETTINGS
@given(
    st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint32, np.float16, np.float32, np.bool_]),
    st.integers(0, 100),
)
def test_numpy_scalars_decode_to_equal_python_numbers(kind, number):
    scalar = kind(number)
    back = json.loads(json.dumps(scalar, cls=RuntimeEncoder), cls=RuntimeDecoder)
    assert back == scalar.item() and type(back) is type(scalar.item())


TAGS = [
    "datetime", "complex", "ndarray", "set", "Result", "to_json", "QuantumCircuit", "Parameter",
    "ParameterExpression", "Instruction", "settings", "spmatrix", "NoiseModel", "BitArray",
    "DataBin", "PubResult", "SamplerPubResult", "PrimitiveResult", "unknown",
]
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["__type__", "__value__", "__module__", "__class__", "a"]) | keys,
                      inner, max_size=4)
    | st.fixed_dictionaries({"__type__": st.sampled_from(TAGS), "__value__": inner}),
    max_leaves=10,
)


def decodes_or_refuses(text: str) -> None:
    try:
        json.loads(text, cls=RuntimeDecoder)
    except DecodeError:
        pass


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_decodes_or_raises_decode_error(value):
    decodes_or_refuses(json.dumps(value))


def _payloads() -> list[dict[str, Any]]:
    circuit = QuantumCircuit(2, metadata={"k": 1j})
    circuit.rx(Parameter("a"), 0)
    circuit.cx(0, 1)
    items = [np.arange(6.0).reshape(2, 3), circuit, Parameter("b"), Parameter("c") * 2,
             circuit.data[1].operation, SparsePauliOp(["XY"]), 1 + 2j, datetime(2020, 1, 1), {1, 2}]
    return [json.loads(json.dumps(item, cls=RuntimeEncoder)) for item in items]


PAYLOADS = _payloads()
BINARY_TAGS = {"ndarray", "QuantumCircuit", "Parameter", "ParameterExpression", "Instruction"}


@SETTINGS
@given(st.sampled_from(PAYLOADS), st.data())
def test_mutated_payloads_decode_or_raise_decode_error(payload, data):
    payload = json.loads(json.dumps(payload))
    value = payload["__value__"]
    how = data.draw(st.sampled_from(["replace", "text", "binary"]))
    if how == "binary" and payload["__type__"] not in BINARY_TAGS:
        how = "text"
    if how == "replace" or not isinstance(value, str):
        payload["__value__"] = data.draw(json_values)
    elif how == "text":
        cut = data.draw(st.integers(0, len(value)))
        payload["__value__"] = value[:cut] + data.draw(st.text(max_size=4)) + value[cut + 1:]
    else:
        raw = bytearray(base64.b64decode(value))
        try:
            raw = bytearray(zlib.decompress(raw))
            compressed = True
        except zlib.error:
            compressed = False
        if raw:
            index = data.draw(st.integers(0, len(raw) - 1))
            raw[index] = data.draw(st.integers(0, 255))
            raw = raw[: data.draw(st.integers(0, len(raw)))]
        body = zlib.compress(bytes(raw)) if compressed else bytes(raw)
        payload["__value__"] = base64.b64encode(body).decode()
    decodes_or_refuses(json.dumps(payload))
