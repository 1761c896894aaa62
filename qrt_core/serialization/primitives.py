"""Results of Qiskit's V2 primitives (``PrimitiveResult``, ``PubResult``, ``DataBin``,
``BitArray``) under the tags and value shapes IBM's runtime uses for them."""

from __future__ import annotations

from typing import Any

from ..exceptions import DecodeError

__all__ = [
    "encode_bit_array",
    "decode_bit_array",
    "encode_data_bin",
    "decode_data_bin",
    "encode_pub_result",
    "decode_pub_result",
    "decode_sampler_pub_result",
    "encode_primitive_result",
    "decode_primitive_result",
]


def _object(value: Any, tag: str, *keys: str) -> dict[str, Any]:
    if not isinstance(value, dict) or any(key not in value for key in keys):
        raise DecodeError(f"{tag!r} value must be an object with keys {', '.join(keys)}.")
    return value


def encode_bit_array(bits: Any) -> dict[str, Any]:
    return {"array": bits.array, "num_bits": bits.num_bits}


def decode_bit_array(value: Any) -> Any:
    from qiskit.primitives.containers import BitArray

    value = _object(value, "BitArray", "array", "num_bits")
    return BitArray(value["array"], value["num_bits"])


def encode_data_bin(data: Any) -> dict[str, Any]:
    return {"field_names": list(data), "shape": data.shape, "fields": dict(data.items())}


def decode_data_bin(value: Any) -> Any:
    from qiskit.primitives.containers import DataBin

    value = _object(value, "DataBin", "fields")
    shape = value.get("shape")
    fields = value["fields"]
    if not isinstance(fields, dict):
        raise DecodeError("'DataBin' fields must be an object.")
    return DataBin(shape=tuple(shape) if isinstance(shape, list) else shape, **fields)


def encode_pub_result(result: Any) -> dict[str, Any]:
    return {"data": result.data, "metadata": result.metadata}


def decode_pub_result(value: Any) -> Any:
    from qiskit.primitives.containers import PubResult

    value = _object(value, "PubResult", "data")
    return PubResult(value["data"], value.get("metadata"))


def decode_sampler_pub_result(value: Any) -> Any:
    from qiskit.primitives.containers import SamplerPubResult

    value = _object(value, "SamplerPubResult", "data")
    return SamplerPubResult(value["data"], value.get("metadata"))


def encode_primitive_result(result: Any) -> dict[str, Any]:
    return {"pub_results": list(result), "metadata": result.metadata}


def decode_primitive_result(value: Any) -> Any:
    from qiskit.primitives.containers import PrimitiveResult

    value = _object(value, "PrimitiveResult", "pub_results")
    return PrimitiveResult(value["pub_results"], value.get("metadata"))
