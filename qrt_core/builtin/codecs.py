"""Built-in plugin: the codecs of IBM's runtime wire format (and qrt's additions), registered
through ``qrt_register_codecs`` like any third-party codec. Types are named lazily, so building
the codec table imports neither numpy nor qiskit."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..exceptions import DecodeError
from ..hookspecs import hookimpl
from ..serialization import ndarray, primitives, qpy
from ..serialization.codec import Codec
from ..serialization.codec_table import LazyType

__all__ = ["BUILTIN_CODECS", "qrt_register_codecs"]


def _decode_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise DecodeError(f"'datetime' value must be an ISO 8601 string, got {type(value).__name__}.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise DecodeError(f"'datetime' value {value[:40]!r} is not an ISO 8601 date or time.") from None


def _decode_complex(value: Any) -> complex:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, (int, float)) for part in value)
    ):
        raise DecodeError("'complex' value must be a list of two numbers [real, imag].")
    # complex(re, im) rather than re + 1j*im, which turns an infinite part into NaN.
    return complex(value[0], value[1])


def _decode_set(value: Any) -> set[Any]:
    if not isinstance(value, list):
        raise DecodeError(f"'set' value must be a list, got {type(value).__name__}.")
    return set(value)


def _decode_result(value: Any) -> Any:
    from qiskit.result import Result

    if not isinstance(value, dict):
        raise DecodeError(f"'Result' value must be an object, got {type(value).__name__}.")
    return Result.from_dict(value)


def _decode_noise_model(value: Any) -> Any:
    from qiskit_aer.noise import NoiseModel

    if not isinstance(value, dict):
        raise DecodeError(f"'NoiseModel' value must be an object, got {type(value).__name__}.")
    with warnings.catch_warnings():
        # qiskit-aer deprecates its dict form, yet it is the wire form IBM's runtime defined
        warnings.simplefilter("ignore", DeprecationWarning)
        return NoiseModel.from_dict(value)


def _to_dict(obj: Any) -> Any:
    return obj.to_dict()


def _codec(name: str, types: Any, encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> Codec:
    return Codec(type_name=name, python_type=types, encode=encode, decode=decode)


_CONTAINERS = "qiskit.primitives.containers."

BUILTIN_CODECS: tuple[Codec, ...] = (
    _codec("datetime", date, lambda d: d.isoformat(), _decode_datetime),
    _codec("complex", complex, lambda c: [c.real, c.imag], _decode_complex),
    _codec("set", (set, frozenset), list, _decode_set),
    _codec("ndarray", LazyType("numpy", "ndarray"), ndarray.encode_ndarray, ndarray.decode_ndarray),
    _codec(
        "spmatrix",
        (LazyType("scipy.sparse", "spmatrix"), LazyType("scipy.sparse", "sparray")),
        ndarray.encode_sparse,
        ndarray.decode_sparse,
    ),
    _codec("Result", LazyType("qiskit.result.result", "Result"), _to_dict, _decode_result),
    _codec(
        "QuantumCircuit",
        LazyType("qiskit.circuit.quantumcircuit", "QuantumCircuit"),
        qpy.encode_circuit,
        qpy.decode_circuit,
    ),
    _codec("Parameter", LazyType("qiskit.circuit.parameter", "Parameter"), qpy.encode_parameter, qpy.decode_parameter),
    _codec(
        "ParameterExpression",
        LazyType("qiskit.circuit.parameterexpression", "ParameterExpression"),
        qpy.encode_parameter_expression,
        qpy.decode_parameter_expression,
    ),
    _codec(
        "Instruction",
        LazyType("qiskit.circuit.instruction", "Instruction"),
        qpy.encode_instruction,
        qpy.decode_instruction,
    ),
    _codec(
        "BitArray",
        LazyType(_CONTAINERS + "bit_array", "BitArray"),
        primitives.encode_bit_array,
        primitives.decode_bit_array,
    ),
    _codec(
        "DataBin",
        LazyType(_CONTAINERS + "data_bin", "DataBin"),
        primitives.encode_data_bin,
        primitives.decode_data_bin,
    ),
    _codec(
        "PubResult",
        LazyType(_CONTAINERS + "pub_result", "PubResult"),
        primitives.encode_pub_result,
        primitives.decode_pub_result,
    ),
    _codec(
        "SamplerPubResult",
        LazyType(_CONTAINERS + "sampler_pub_result", "SamplerPubResult"),
        primitives.encode_pub_result,
        primitives.decode_sampler_pub_result,
    ),
    _codec(
        "PrimitiveResult",
        LazyType(_CONTAINERS + "primitive_result", "PrimitiveResult"),
        primitives.encode_primitive_result,
        primitives.decode_primitive_result,
    ),
    _codec("NoiseModel", LazyType("qiskit_aer.noise.noise_model", "NoiseModel"), _to_dict, _decode_noise_model),
)


@hookimpl
def qrt_register_codecs(register: Callable[..., None]) -> None:
    """Register the wire format's built-in codecs."""
    for codec in BUILTIN_CODECS:
        register(codec)
