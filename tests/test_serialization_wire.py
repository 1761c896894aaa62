"""The wire format: every tag round-trips through qrt, and through qiskit-ibm-runtime's encoder and
decoder in both directions; qrt's additions (numpy scalars, int keys, NaN, new tags) behave as
documented."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Measure, Parameter
from qiskit.circuit.library import RXGate, UGate
from qiskit.quantum_info import Operator, Pauli, PauliList, SparsePauliOp, Statevector
from qiskit_ibm_runtime import RuntimeDecoder as IBMDecoder
from qiskit_ibm_runtime import RuntimeEncoder as IBMEncoder

from qrt_core import RuntimeDecoder, RuntimeEncoder

pytestmark = [
    # qiskit-aer deprecates NoiseModel.from_dict, which IBM's decoder (and the wire format) uses
    pytest.mark.filterwarnings("ignore:from_dict has been deprecated:DeprecationWarning"),
    # np.save (in IBM's encoder) warns when it writes .npy format 3.0
    pytest.mark.filterwarnings("ignore:Stored array in format 3.0:UserWarning"),
]


def dumps(obj: Any, encoder: type = RuntimeEncoder) -> str:
    return json.dumps(obj, cls=encoder)


def loads(text: str, decoder: type = RuntimeDecoder) -> Any:
    return json.loads(text, cls=decoder)


def assert_same(a: Any, b: Any) -> None:
    """Deep equality that knows arrays, sparse matrices, primitive containers and NaN."""
    import scipy.sparse as sparse
    from qiskit.primitives.containers import BitArray, DataBin, PrimitiveResult, PubResult
    from qiskit.result import Result

    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    elif sparse.issparse(a):
        assert sparse.issparse(b) and a.shape == b.shape and (a != b).nnz == 0
    elif isinstance(a, Result):
        assert isinstance(b, Result) and a.to_dict() == b.to_dict()
    elif isinstance(a, BitArray):
        assert isinstance(b, BitArray) and a == b
    elif isinstance(a, DataBin):
        assert isinstance(b, DataBin) and list(a) == list(b) and a.shape == b.shape
        for name in a:
            assert_same(a[name], b[name])
    elif isinstance(a, PubResult):
        assert type(a) is type(b) and a.metadata == b.metadata
        assert_same(a.data, b.data)
    elif isinstance(a, PrimitiveResult):
        assert isinstance(b, PrimitiveResult) and a.metadata == b.metadata and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) or (isinstance(a, date) and isinstance(b, datetime)), (a, b)
        assert a == b


def _circuit() -> QuantumCircuit:
    theta = Parameter("θ")
    circuit = QuantumCircuit(3, 3, name="bell", metadata={"owner": "qrt", "shots": 10})
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.rx(theta, 2)
    circuit.measure(range(3), range(3))
    return circuit


def _result() -> Any:
    from qiskit_aer import AerSimulator

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return AerSimulator(seed_simulator=7).run(circuit, shots=16).result()


def _primitive_result() -> Any:
    from qiskit_aer.primitives import SamplerV2

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return SamplerV2(seed=3).run([circuit], shots=16).result()


def _noise_model() -> Any:
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    model.add_all_qubit_quantum_error(depolarizing_error(0.05, 1), ["h", "x"])
    return model


def _sparse() -> Any:
    import scipy.sparse as sparse

    return sparse.random(6, 5, density=0.4, format="csr", random_state=1)


rng = np.random.default_rng(5)

# Values whose wire form both qrt and qiskit-ibm-runtime write and read.
SHARED: dict[str, Any] = {
    "datetime": datetime(2024, 5, 17, 8, 30, 1, 250, tzinfo=timezone(timedelta(hours=2))),
    "naive datetime": datetime(2021, 1, 2, 3, 4, 5),
    "complex": complex(1.5, -2.25),
    "float ndarray": rng.random((3, 4)),
    "complex ndarray": rng.random(8) + 1j * rng.random(8),
    "int ndarray": np.arange(24, dtype=np.int16).reshape(2, 3, 4),
    "bool ndarray": np.array([True, False, True]),
    "fortran ndarray": np.asfortranarray(rng.random((4, 3))),
    "strided ndarray": np.arange(20.0)[::3],
    "big-endian ndarray": np.arange(5, dtype=">i4"),
    "0-d ndarray": np.array(3.25),
    "empty ndarray": np.zeros((0, 3)),
    "string ndarray": np.array(["ab", "cde"]),
    "structured ndarray": np.array([(1.5, 2)], dtype=[("x", "f8"), ("y", "i4")]),
    "UTF-8 field names (npy 3.0)": np.ones(2, dtype=[("量", "f8"), ("b", "i4")]),
    "object ndarray": np.array([1, "two", None], dtype=object),
    "set": {1, 2, 3, "x"},
    "Result": _result(),
    "QuantumCircuit": _circuit(),
    "Parameter": Parameter("φ"),
    "Instruction": UGate(0.1, 0.2, 0.3),
    "Instruction with clbits": Measure(),
    "Pauli": Pauli("-iXYZ"),
    "PauliList": PauliList(["XX", "YZ"]),
    "SparsePauliOp": SparsePauliOp(["XX", "ZI", "IY"], coeffs=[1.0, 0.5j, -2.0]),
    "Operator": Operator(np.array([[0, 1], [1, 0]])),
    "spmatrix": _sparse(),
    "NoiseModel": _noise_model(),
    "np.int64": np.int64(2**40),
    "PrimitiveResult": _primitive_result(),
    "nested": {"list": [1, {"c": 2j}], "arr": np.ones(2), "when": datetime(2020, 2, 2)},
}


def _expected_from_ibm(name: str, value: Any) -> Any:
    # The values qiskit-ibm-runtime's decoder returns differ from the input in these known ways.
    if name == "object ndarray":
        return np.array(value.tolist())
    if name == "np.int64":
        return int(value)
    return value


@pytest.mark.parametrize("name", list(SHARED))
def test_round_trip_through_qrt(name):
    value = SHARED[name]
    back = loads(dumps(value))
    if isinstance(value, QuantumCircuit):
        assert back == value and back.metadata == value.metadata and back.name == value.name
    elif name == "object ndarray":
        assert back.tolist() == value.tolist()
    elif name == "np.int64":
        assert back == value and type(back) is int
    else:
        assert_same(value, back)


@pytest.mark.parametrize("name", list(SHARED))
def test_qrt_output_decodes_with_qiskit_ibm_runtime(name):
    value = SHARED[name]
    back = loads(dumps(value), IBMDecoder)
    if isinstance(value, QuantumCircuit):
        assert back == value and back.name == value.name
    else:
        assert_same(_expected_from_ibm(name, value), back)


# IBM's encoder cannot write an instruction with classical bits (it appends it without clbits).
@pytest.mark.parametrize("name", [name for name in SHARED if name != "Instruction with clbits"])
def test_qiskit_ibm_runtime_output_decodes_with_qrt(name):
    value = SHARED[name]
    text = dumps(value, IBMEncoder)
    mine, theirs = loads(text), loads(text, IBMDecoder)
    if isinstance(value, QuantumCircuit):
        assert mine == theirs == value
    else:
        assert_same(theirs, mine)


def test_statevector_and_parameter_expression_round_trip():
    # IBM's decoder rebuilds only operators from "settings" and has no ParameterExpression tag.
    state = Statevector([0.6, 0.8j])
    assert loads(dumps(state)) == state
    x, y = Parameter("x"), Parameter("y")
    expression = 2 * x + y**2
    back = loads(dumps(expression))
    assert back == expression
    assert {p.name for p in back.parameters} == {"x", "y"}
    assert back.bind({p: 1 for p in back.parameters}).numeric() == 3


def test_instruction_parameters_survive():
    x = Parameter("x")
    back = loads(dumps(RXGate(x)))
    assert back.name == "rx" and back.params == [x]


def test_numpy_scalars_become_plain_json_numbers():
    values = [np.int8(-3), np.int32(7), np.uint64(2**63), np.float32(0.5), np.float16(2.0), np.bool_(True)]
    text = dumps(values)
    assert json.loads(text) == [-3, 7, 2**63, 0.5, 2.0, True]
    assert loads(dumps(np.complex64(1 - 2j))) == complex(1, -2)
    assert loads(dumps(np.complex128(3j))) == 3j
    assert dumps(np.longdouble(1.5)) == "1.5"


def test_nan_and_infinities_use_pythons_json_tokens():
    values = [math.nan, math.inf, -math.inf]
    text = dumps(values)
    assert text == "[NaN, Infinity, -Infinity]"
    back = loads(text)
    assert math.isnan(back[0]) and back[1:] == [math.inf, -math.inf]
    assert math.isnan(loads(dumps(np.float32("nan"))))
    # complex(re, im) keeps an infinite imaginary part that re + 1j*im would turn into NaN
    assert loads(dumps(complex(0.0, math.inf))) == complex(0.0, math.inf)
    arr = np.array([math.nan, math.inf, -math.inf, 1.0])
    assert_same(arr, loads(dumps(arr)))


class _WithIntKeys:
    """An object travelling as ``settings`` whose settings hold int keys at several depths."""

    def __init__(self, table: dict) -> None:
        self.table = table

    @property
    def settings(self) -> dict:
        return {"table": self.table}


def test_int_keys_inside_settings_carry_ibms_flag():
    table = {0: "a", 7: {1: "b", "s": 2}, "name": "mixed"}
    payload = json.loads(dumps(_WithIntKeys(table)))
    assert payload["__type__"] == "settings"
    assert payload["__value__"]["table"]["__int_keys__"] is True
    assert payload["__value__"]["table"]["7"]["__int_keys__"] is True
    from qrt_core.serialization.safety import restore_int_keys

    assert restore_int_keys(payload["__value__"]) == {"table": table}


def test_int_keys_flag_from_ibm_is_restored_for_allow_listed_classes():
    # A payload as IBM's encoder writes it for an operator, with a flagged dict inside settings.
    op = SparsePauliOp(["X"])
    text = dumps(op, IBMEncoder)
    payload = json.loads(text)
    payload["__value__"]["__int_keys__"] = True
    assert loads(json.dumps(payload)) == op


def test_to_json_objects_travel_as_their_json_text():
    class Custom:
        def to_json(self) -> str:
            return json.dumps({"foo": 1})

    text = dumps({"obj": Custom()})
    assert json.loads(text) == {"obj": {"__type__": "to_json", "__value__": '{"foo": 1}'}}
    assert loads(text) == {"obj": '{"foo": 1}'} == loads(text, IBMDecoder)


def test_dates_decode_as_datetimes_like_ibms_decoder():
    text = dumps(date(2024, 2, 29))
    assert loads(text) == datetime(2024, 2, 29) == loads(text, IBMDecoder)


def test_frozenset_travels_as_set():
    assert loads(dumps(frozenset({1, 2}))) == {1, 2}


def test_unknown_tags_and_plain_lookalikes_stay_dicts():
    for value in (
        {"__type__": "SomethingNew", "__value__": [1]},
        {"__type__": "complex"},
        {"__type__": ["complex"], "__value__": [1, 2]},
        {"__type__": "_json", "__module__": "os", "__class__": "system", "__value__": {}},
    ):
        assert loads(json.dumps(value)) == value


def test_unencodable_objects_name_their_type_and_the_remedy():
    with pytest.raises(TypeError, match=r"builtins.object is not JSON serializable.*Codec"):
        dumps(object())


def test_large_arrays_are_stored_without_compression_work_when_incompressible():
    noise = rng.random(1 << 16)
    zeros = np.zeros(1 << 16)
    assert len(dumps(zeros)) < len(dumps(noise)) / 50
    assert_same(noise, loads(dumps(noise)))
    assert_same(zeros, loads(dumps(zeros)))
    assert loads(dumps(noise)).flags.writeable


def test_large_values_spliced_into_the_text_match_the_streaming_encoder():
    import io

    value = [rng.random(20_000), {"x": rng.random(9_000) + 1j, "y": [np.zeros(70_000)]}, "qrt-0000"]
    text = dumps(value)
    stream = io.StringIO()
    json.dump(value, stream, cls=RuntimeEncoder)  # iterencode: the path without splicing
    assert text == stream.getvalue()
    assert json.dumps(value, cls=RuntimeEncoder, indent=1) == json.dumps(json.loads(text), indent=1)
    assert_same(value, loads(text))
    assert_same(value, loads(text, IBMDecoder))


def test_coupling_maps_and_parameter_views_are_written_as_ibm_writes_them():
    from qiskit.transpiler import CouplingMap

    circuit = _circuit()
    for value in (CouplingMap([[0, 1], [1, 2]]), circuit.parameters):
        assert dumps(value) == dumps(value, IBMEncoder)
    assert loads(dumps(circuit.parameters)) == list(circuit.parameters)


@pytest.mark.parametrize("name", ["DensityMatrix", "Choi", "Chi", "Kraus", "PTM", "Stinespring", "SuperOp"])
def test_every_allow_listed_quantum_info_class_round_trips(name):
    import qiskit.quantum_info as qi

    if name == "DensityMatrix":
        value = qi.DensityMatrix.from_label("+0")
    else:
        value = getattr(qi, name)(qi.Operator.from_label("XY"))
    back = loads(dumps(value))
    assert type(back) is type(value) and back == value


def test_circuit_metadata_holding_tagged_values_is_decoded():
    circuit = QuantumCircuit(1, metadata={"z": 1j, "when": datetime(2022, 3, 4), "plain": [1, "a"]})
    back = loads(dumps(circuit))
    assert back.metadata == circuit.metadata
    # IBM's decoder leaves the metadata as QPY parsed it, tagged dicts included
    assert loads(dumps(circuit), IBMDecoder).metadata["z"] == {"__type__": "complex", "__value__": [0.0, 1.0]}
