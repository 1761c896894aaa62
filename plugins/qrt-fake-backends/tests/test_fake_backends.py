"""Tests of qrt-fake-backends through qrt's public API: the device table, fast listing, noisy
simulation (directly and through jobs), and backend requirements checked before a job is queued."""

from __future__ import annotations

import inspect
import json
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from qrt_fake_backends.devices import FAKE_DEVICES
from qrt_fake_backends.plugin import make_backend

from qrt_core import BackendRequirementsError, PluginError, RuntimeService
from qrt_core.testing import on_sys_path, write_program

JOB_TIMEOUT = 180  # seconds; a cold worker imports qiskit, qiskit-aer and qiskit-ibm-runtime first

# Ideally this program's circuit reads 11111 on every shot: any other outcome is noise.
ALL_ONES_PROGRAM = """
from qiskit import QuantumCircuit, transpile


def main(backend, user_messenger, shots=2000, seed=7):
    circuit = QuantumCircuit(5)
    circuit.x(range(5))
    circuit.measure_all()
    compiled = transpile(circuit, backend, seed_transpiler=seed)
    counts = backend.run(compiled, shots=shots, seed_simulator=seed).result().get_counts()
    return {"backend": backend.name, "counts": counts}
"""

ALL_ONES_METADATA = {
    "description": "X on five qubits, measured: ideally always 11111.",
    "max_execution_time": 120,
    "spec": {
        "backend_requirements": {"min_num_qubits": 5},
        "parameters": {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "properties": {"shots": {"type": "integer", "minimum": 1}, "seed": {"type": "integer"}},
        },
    },
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path (and PYTHONPATH, for workers) holding a test program."""
    root = tmp_path / "site"
    write_program(
        root, "qrtfb-all-ones", ALL_ONES_PROGRAM, ALL_ONES_METADATA, package="qrtfb_all_ones"
    )
    with on_sys_path(root):
        yield root
    sys.modules.pop("qrtfb_all_ones.qrtfb_all_ones", None)
    sys.modules.pop("qrtfb_all_ones", None)


@pytest.fixture
def service(tmp_path: Path, site: Path) -> Iterator[RuntimeService]:
    with RuntimeService(home=tmp_path / "qrt-home", max_workers=1) as svc:
        yield svc


class RecordingMessenger:
    """A user messenger that keeps what the program publishes."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def publish(self, message: dict, encoder: object = None, final: bool = False) -> None:
        self.messages.append(message)


def test_device_table_matches_installed_fake_provider() -> None:
    # Read each device's name and size from its class and configuration file; building all of
    # them would take a minute.
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    installed: dict[str, tuple[str, int]] = {}
    for class_name, cls in vars(fake_provider).items():
        if inspect.isclass(cls) and issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2:
            with open(os.path.join(cls.dirname, cls.conf_filename), encoding="utf-8") as conf:
                installed[cls.backend_name] = (class_name, json.load(conf)["n_qubits"])
    assert FAKE_DEVICES == installed


def test_a_built_device_has_the_name_and_size_of_the_table() -> None:
    for name in ("fake_armonk", "fake_manila"):
        backend = make_backend(name)
        assert backend.num_qubits == FAKE_DEVICES[name][1]
        assert name in backend.name


def test_plugin_is_loaded_with_its_distribution(service: RuntimeService) -> None:
    plugins = {info.name: info for info in service.plugins(include_builtins=False)}
    assert plugins["fake-backends"].distribution == "qrt-fake-backends"
    assert plugins["fake-backends"].hooks == ("qrt_register_backends",)
    assert not [p for p in service.plugin_problems() if p.plugin == "fake-backends"]


def test_listing_constructs_nothing_and_imports_no_qiskit(tmp_path: Path) -> None:
    # A fresh interpreter, so that nothing imported by other tests hides an import done by listing.
    script = textwrap.dedent(
        """
        import json, sys
        from qrt_core import RuntimeService
        service = RuntimeService()
        names = service.backends()
        described = service.describe_backends()
        heavy = [m for m in ("qiskit_ibm_runtime", "qiskit_aer", "qiskit") if m in sys.modules]
        print(json.dumps({"names": names, "described": described, "heavy": heavy}))
        """
    )
    env = {**os.environ, "QRT_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"fake_manila", "fake_sherbrooke", "fake_armonk", "aer_simulator"} <= set(
        report["names"]
    )
    assert set(FAKE_DEVICES) <= set(report["names"])
    assert report["heavy"] == []
    described = {row["name"]: row for row in report["described"]}
    assert described["fake_sherbrooke"]["plugin"] == "fake-backends"
    assert "127 qubits" in described["fake_sherbrooke"]["description"]


def test_each_request_builds_a_new_backend(service: RuntimeService) -> None:
    assert service.backend("fake_armonk") is not service.backend("fake_armonk")


def test_fake_manila_is_a_noisy_five_qubit_simulator(service: RuntimeService) -> None:
    from qiskit import QuantumCircuit, transpile

    backend = service.backend("fake_manila")
    assert backend.num_qubits == 5
    circuit = QuantumCircuit(5)
    circuit.x(range(5))
    circuit.measure_all()
    compiled = transpile(circuit, backend, seed_transpiler=3)
    counts = backend.run(compiled, shots=4000, seed_simulator=7).result().get_counts()
    assert sum(counts.values()) == 4000
    assert max(counts, key=counts.get) == "11111"
    noise = {state: n for state, n in counts.items() if state != "11111"}
    assert len(noise) >= 3
    assert sum(noise.values()) >= 40  # manila's readout error alone is a few percent per qubit


def test_a_job_on_fake_manila_shows_noise(service: RuntimeService) -> None:
    job = service.run(
        "qrtfb-all-ones", inputs={"shots": 2000}, options={"backend_name": "fake_manila"}
    )
    result = job.result(timeout=JOB_TIMEOUT)
    assert job.backend_name == "fake_manila"
    assert "fake_manila" in result["backend"]
    counts = result["counts"]
    assert sum(counts.values()) == 2000
    assert max(counts, key=counts.get) == "11111"
    assert sum(n for state, n in counts.items() if state != "11111") >= 20


def test_sample_program_runs_on_fake_manila_as_a_job(service: RuntimeService) -> None:
    job = service.run(
        "sample-program", inputs={"iterations": 2}, options={"backend_name": "fake_manila"}
    )
    assert job.result(timeout=JOB_TIMEOUT) == "All done!"
    assert job.backend_name == "fake_manila"
    interim = job.interim_results()
    assert [message["iteration"] for message in interim] == [0, 1]
    for message in interim:
        assert sum(message["counts"].values()) == 1024
        assert all(len(state) == 5 and set(state) <= {"0", "1"} for state in message["counts"])


def test_sample_program_counts_show_noise_on_fake_manila(service: RuntimeService) -> None:
    from qiskit.circuit.random import random_circuit
    from qiskit.quantum_info import Statevector

    from sample_program import sample_program

    backend = service.backend("fake_manila")
    backend.set_options(seed_simulator=11)
    messenger = RecordingMessenger()
    # With this seed the program draws circuit seeds 481, 186 and 745; the ideal circuit of 186
    # gives a single bitstring, the others 8 and 4 of the 32 possible.
    random.seed(2024)
    assert sample_program.main(backend, messenger, iterations=3) == "All done!"
    assert [m["iteration"] for m in messenger.messages] == [0, 1, 2]

    # Rebuild the circuits the program drew and work out which outcomes an ideal machine could
    # give; a noisy one also gives some of the others.
    random.seed(2024)
    seeds = [random.randint(0, 1000) for _ in range(3)]
    outside_ideal = 0
    smallest_support = 32
    for seed, message in zip(seeds, messenger.messages, strict=True):
        circuit = random_circuit(num_qubits=5, depth=4, measure=True, seed=seed)
        ideal = Statevector(circuit.remove_final_measurements(inplace=False)).probabilities_dict()
        possible = {state for state, p in ideal.items() if p > 1e-9}
        smallest_support = min(smallest_support, len(possible))
        counts = message["counts"]
        inside = sum(n for state, n in counts.items() if state in possible)
        # The rebuilt circuit is the one that ran: its outcomes are far likelier than chance.
        assert max(counts, key=counts.get) in possible
        assert inside > 2 * len(possible) / 32 * sum(counts.values())
        outside_ideal += sum(n for state, n in counts.items() if state not in possible)
    assert smallest_support == 1
    assert outside_ideal >= 10


def test_five_qubit_program_is_refused_on_one_qubit_device_before_queueing(
    service: RuntimeService,
) -> None:
    program = service.program("sample-program")
    assert program.backend_requirements["min_num_qubits"] == 5
    refusal = r"at least 5 qubits; backend '[^']*fake_armonk[^']*' has 1\b"
    with pytest.raises(BackendRequirementsError, match=refusal):
        service.run(
            "sample-program", inputs={"iterations": 1}, options={"backend_name": "fake_armonk"}
        )
    assert service.jobs(limit=None) == []  # refused before anything was stored
    with pytest.raises(BackendRequirementsError, match=refusal):
        program.check_backend(service.backend("fake_armonk"))
    program.check_backend(service.backend("fake_manila"))  # 5 qubits: accepted


def test_unknown_fake_device_lists_the_known_ones() -> None:
    with pytest.raises(PluginError, match="fake_manila"):
        make_backend("fake_nowhere")
