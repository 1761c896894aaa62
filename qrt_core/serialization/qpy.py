"""Circuits, instructions and parameters on the wire, in Qiskit's QPY format; a payload written by
a newer Qiskit than the one installed is refused with a message that says so."""

from __future__ import annotations

import io
from typing import Any

from ..exceptions import DecodeError
from .limits import b64decode, b64encode, deflate, inflate

__all__ = [
    "encode_circuit",
    "decode_circuit",
    "encode_instruction",
    "decode_instruction",
    "encode_parameter",
    "decode_parameter",
    "encode_parameter_expression",
    "decode_parameter_expression",
]


def _dump(circuit: Any, metadata: bool) -> str:
    from qiskit import qpy

    buffer = io.BytesIO()
    if metadata:
        from .encoder import RuntimeEncoder

        qpy.dump(circuit, buffer, metadata_serializer=RuntimeEncoder)
    else:
        qpy.dump(circuit, buffer)
    return b64encode(deflate([buffer.getbuffer()]))


def _load(value: Any, tag: str) -> Any:
    import qiskit
    from qiskit import qpy

    raw = inflate(b64decode(value, tag), tag)
    if len(raw) < 7 or raw[:6] != b"QISKIT":
        raise DecodeError(f"{tag!r} value is not a QPY payload (no QISKIT header).")
    version = raw[6]
    if version > qpy.QPY_VERSION:
        raise DecodeError(
            f"{tag!r} value was written by a newer Qiskit (QPY version {version}) than the one "
            f"installed (qiskit {qiskit.__version__} reads QPY up to version {qpy.QPY_VERSION}); "
            "upgrade qiskit to read it."
        )
    try:
        programs = qpy.load(io.BytesIO(raw))
    except Exception as exc:
        raise DecodeError(f"{tag!r} value is not a valid QPY payload: {type(exc).__name__}: {exc}") from exc
    if len(programs) != 1:
        raise DecodeError(f"{tag!r} value must hold exactly one circuit, found {len(programs)}.")
    circuit = programs[0]
    if circuit.metadata:
        # QPY parsed the metadata with plain json; its tagged values are decoded here, only when
        # there is metadata at all (a decoder per circuit would cost more than the circuit).
        from .decoder import RuntimeDecoder

        circuit.metadata = RuntimeDecoder().decode_parsed(circuit.metadata)
    return circuit


def encode_circuit(circuit: Any) -> str:
    return _dump(circuit, metadata=True)


def decode_circuit(value: Any) -> Any:
    return _load(value, "QuantumCircuit")


def _single_operation(circuit: Any, tag: str) -> Any:
    if len(circuit.data) != 1:
        raise DecodeError(f"{tag!r} value must hold a circuit of one instruction, found {len(circuit.data)}.")
    return circuit.data[0].operation


def encode_instruction(instruction: Any) -> str:
    """The instruction as the only operation of a QPY circuit (IBM's wire form)."""
    from qiskit.circuit import QuantumCircuit

    circuit = QuantumCircuit(instruction.num_qubits, instruction.num_clbits)
    circuit.append(instruction, range(instruction.num_qubits), range(instruction.num_clbits))
    return _dump(circuit, metadata=False)


def decode_instruction(value: Any) -> Any:
    return _single_operation(_load(value, "Instruction"), "Instruction")


def encode_parameter(parameter: Any) -> str:
    """QPY's parameter record (name and UUID), uncompressed, as IBM writes it."""
    from qiskit.qpy.binary_io.value import _write_parameter

    buffer = io.BytesIO()
    _write_parameter(buffer, parameter)
    return b64encode(buffer.getvalue())


def decode_parameter(value: Any) -> Any:
    from qiskit.qpy.binary_io.value import _read_parameter

    try:
        return _read_parameter(io.BytesIO(b64decode(value, "Parameter")))
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"'Parameter' value is malformed: {type(exc).__name__}: {exc}") from exc


def encode_parameter_expression(expression: Any) -> str:
    """The expression as the angle of a one-gate QPY circuit (qrt's form; QPY keeps symbols)."""
    from qiskit.circuit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.rz(expression, 0)
    return _dump(circuit, metadata=False)


def decode_parameter_expression(value: Any) -> Any:
    operation = _single_operation(_load(value, "ParameterExpression"), "ParameterExpression")
    if not operation.params:
        raise DecodeError("'ParameterExpression' value holds an operation without parameters.")
    return operation.params[0]
