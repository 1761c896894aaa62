"""Untrusted JSON never runs code, never imports what it names, never expands without bound, and
every malformed value of a known tag is a DecodeError that names the tag and the reason."""

from __future__ import annotations

import base64
import io
import json
import sys
import zlib

import numpy as np
import pytest
from qiskit import QuantumCircuit, qpy

from qrt_core import DecodeError, ResultDecoder, RuntimeDecoder, RuntimeEncoder
from qrt_core.serialization import decompression_limit
from qrt_core.serialization.decoder import InvalidJSONError
from qrt_core.testing import on_sys_path


def tagged(tag: str, value, **extra) -> str:
    return json.dumps({"__type__": tag, "__value__": value, **extra})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def npy_bytes(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def qpy_bytes(circuit: QuantumCircuit) -> bytes:
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return buffer.getvalue()


def decode(text: str, **kwargs):
    return json.loads(text, cls=RuntimeDecoder, **kwargs)


def test_settings_payload_naming_popen_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    payload = tagged(
        "settings",
        {"args": [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]},
        __module__="subprocess",
        __class__="Popen",
    )
    with pytest.raises(DecodeError, match=r"Refused to decode 'settings' for subprocess\.Popen"):
        decode(payload)
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, cls",
    [
        ("qiskit.quantum_info.operators", "Popen"),
        ("qiskit.quantum_info.operators.operator", "__class__"),
        ("os", "SparsePauliOp"),
        ("qiskit_ibm_runtime", "QiskitRuntimeService"),
    ],
)
def test_settings_outside_the_allow_list_are_refused(module, cls):
    with pytest.raises(DecodeError, match="allowed only for qiskit.quantum_info's"):
        decode(tagged("settings", {}, __module__=module, __class__=cls))


def test_the_decoder_never_imports_a_module_the_payload_names(tmp_path):
    (tmp_path / "qrtt_payload_module.py").write_text("raise SystemExit('imported!')\n")
    with on_sys_path(tmp_path, pythonpath=False):
        for tag in ("settings", "_json"):
            try:
                decode(tagged(tag, {}, __module__="qrtt_payload_module", __class__="X"))
            except DecodeError:
                pass
    assert "qrtt_payload_module" not in sys.modules


def test_bad_settings_arguments_are_decode_errors():
    payload = tagged("settings", {"data": "XYZ", "evil": 1},
                     __module__="qiskit.quantum_info.operators.symplectic.pauli", __class__="Pauli")
    with pytest.raises(DecodeError, match="Cannot rebuild Pauli from 'settings': TypeError"):
        decode(payload)


def test_decompression_is_bounded_by_the_limit_in_force(monkeypatch):
    bomb = tagged("ndarray", b64(zlib.compress(npy_bytes(np.zeros(1 << 21)), 9)))  # 16 MiB inflated
    assert len(bomb) < 40_000
    with pytest.raises(DecodeError, match=r"'ndarray' value expands beyond the limit of 1000000 bytes"):
        decode(bomb, max_decompressed_bytes=1_000_000)
    with decompression_limit(2_000_000), pytest.raises(DecodeError, match="2000000 bytes"):
        decode(bomb)
    monkeypatch.setenv("QRT_MAX_DECOMPRESSED_BYTES", "3000000")
    with pytest.raises(DecodeError, match="3000000 bytes"):
        decode(bomb)
    monkeypatch.delenv("QRT_MAX_DECOMPRESSED_BYTES")
    assert decode(bomb).shape == (1 << 21,)  # the default ceiling (1 GiB) lets real data through


def test_circuit_and_sparse_payloads_are_bounded_too():
    circuit = QuantumCircuit(1, metadata={"pad": "x" * 200_000})
    text = json.dumps(circuit, cls=RuntimeEncoder)
    with pytest.raises(DecodeError, match="'QuantumCircuit' value expands beyond the limit"):
        decode(text, max_decompressed_bytes=50_000)
    import scipy.sparse as sparse

    text = json.dumps(sparse.eye(20_000, format="csr"), cls=RuntimeEncoder)
    with pytest.raises(DecodeError, match="'spmatrix' value expands beyond the limit"):
        decode(text, max_decompressed_bytes=50_000)
    assert decode(text).shape == (20_000, 20_000)


def _npy_with_shape(shape: tuple[int, ...], payload: bytes = b"\0" * 16) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return header.getvalue() + payload


NPY_OK = npy_bytes(np.arange(4.0))
QPY_OK = qpy_bytes(QuantumCircuit(2))

MALFORMED = [
    ("ndarray", "not base64 !!", "not valid base64"),
    ("ndarray", b64(b"not zlib at all"), "not a valid zlib stream"),
    ("ndarray", b64(zlib.compress(NPY_OK)[:-9]), "truncated zlib stream"),
    ("ndarray", b64(zlib.compress(b"plain bytes, no npy magic")), "not a valid .npy payload"),
    ("ndarray", b64(zlib.compress(NPY_OK[:-8])), "but 24 bytes follow"),
    ("ndarray", b64(zlib.compress(_npy_with_shape((10**12,)))), "shape (1000000000000,)"),
    ("ndarray", b64(zlib.compress(_npy_with_shape((-2, 1)))), "is malformed"),
    ("ndarray", b64(zlib.compress(npy_bytes(np.array([{}], dtype=object), allow_pickle=True))), "pickle"),
    ("ndarray", [[1, 2], [3]], "inhomogeneous"),
    ("ndarray", {"a": 1}, "must be a base64 string or a list"),
    ("complex", [1, "2"], "list of two numbers"),
    ("complex", [1, 2, 3], "list of two numbers"),
    ("datetime", "yesterday", "not an ISO 8601"),
    ("datetime", 12, "ISO 8601 string"),
    ("set", [[1]], "unhashable"),
    ("set", "abc", "must be a list"),
    ("QuantumCircuit", b64(zlib.compress(b"QISKIT")), "not a QPY payload"),
    ("QuantumCircuit", b64(zlib.compress(QPY_OK[:20])), "not a valid QPY payload"),
    ("QuantumCircuit", 7, "must be a base64 string"),
    ("Instruction", b64(zlib.compress(QPY_OK)), "one instruction, found 0"),
    ("Parameter", b64(b"\x00\x01"), "'Parameter' value is malformed"),
    ("Result", [], "'Result' value must be an object"),
    ("Result", {"results": 3}, "Cannot decode a 'Result' value"),
    ("spmatrix", b64(b"PK not a zip"), "not a valid .npz archive"),
    ("NoiseModel", "x", "must be an object"),
    ("BitArray", {"array": [1]}, "keys array, num_bits"),
    ("PrimitiveResult", {"pub_results": 5}, "Cannot decode a 'PrimitiveResult' value"),
]


@pytest.mark.parametrize("tag, value, reason", MALFORMED, ids=[f"{m[0]}-{i}" for i, m in enumerate(MALFORMED)])
def test_malformed_values_raise_decode_errors_naming_tag_and_reason(tag, value, reason):
    with pytest.raises(DecodeError) as info:
        decode(json.dumps({"outer": [tagged_value(tag, value)]}))
    message = str(info.value)
    assert tag in message and reason in message, message
    assert message.startswith("at $.outer[0]: ") and info.value.path == "$.outer[0]"
    assert isinstance(info.value, ValueError)


def tagged_value(tag, value):
    return {"__type__": tag, "__value__": value}


def test_qpy_from_a_newer_qiskit_says_so():
    raw = bytearray(qpy_bytes(QuantumCircuit(1)))
    raw[6] = qpy.QPY_VERSION + 1
    with pytest.raises(DecodeError, match=r"written by a newer Qiskit .* upgrade qiskit"):
        decode(tagged("QuantumCircuit", b64(zlib.compress(bytes(raw)))))


def test_text_that_is_not_json_is_both_a_decode_error_and_a_json_error():
    with pytest.raises(InvalidJSONError) as info:
        decode('{"a": ')
    assert isinstance(info.value, DecodeError) and isinstance(info.value, json.JSONDecodeError)
    assert info.value.pos == 6
    with pytest.raises(DecodeError, match="nested too deeply"):
        decode("[" * 100_000 + "]" * 100_000)


def test_result_decoder_returns_non_json_text_but_raises_on_bad_payloads():
    assert ResultDecoder.decode("All done!") == "All done!"
    assert ResultDecoder.decode(b'{"a": 1}') == {"a": 1}
    assert ResultDecoder.decode(None) is None
    with pytest.raises(DecodeError, match="'complex'"):
        ResultDecoder.decode(tagged("complex", "x"))
