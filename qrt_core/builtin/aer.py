"""Built-in plugin: every backend of qiskit-aer's provider, by its name, created only when asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hookspecs import hookimpl

# The names qiskit-aer's AerProvider serves. Listed here so that listing backends does not import
# qiskit_aer or build simulators; a test checks the list against the installed provider.
AER_BACKENDS: dict[str, str] = {
    "aer_simulator": "Aer simulator, automatic method (the default backend)",
    "aer_simulator_statevector": "Aer simulator, statevector method",
    "aer_simulator_density_matrix": "Aer simulator, density-matrix method",
    "aer_simulator_stabilizer": "Aer simulator, stabilizer (Clifford) method",
    "aer_simulator_matrix_product_state": "Aer simulator, matrix-product-state method",
    "aer_simulator_extended_stabilizer": "Aer simulator, extended stabilizer method",
    "aer_simulator_unitary": "Aer simulator, unitary method",
    "aer_simulator_superop": "Aer simulator, superoperator method",
    "qasm_simulator": "Aer's legacy QASM simulator",
    "statevector_simulator": "Aer's legacy statevector simulator",
    "unitary_simulator": "Aer's legacy unitary simulator",
}


def _factory(name: str) -> Callable[[], Any]:
    def make() -> Any:
        from qiskit_aer import AerProvider

        return AerProvider().get_backend(name)

    make.__qualname__ = f"aer_backend[{name}]"
    return make


@hookimpl
def qrt_register_backends(register: Callable[..., None]) -> None:
    for name, description in AER_BACKENDS.items():
        register(name, _factory(name), description=description)
