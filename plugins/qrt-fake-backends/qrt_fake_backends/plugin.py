"""The qrt plugin: registers every fake device as a backend whose factory builds a noisy Aer
simulator from the device's calibration data (``AerSimulator.from_backend``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qrt_core import PluginError, hookimpl

from .devices import FAKE_DEVICES

__all__ = ["make_backend", "qrt_register_backends"]


def make_backend(name: str) -> Any:
    """A new noisy ``AerSimulator`` modelled on the fake device ``name`` (e.g. ``"fake_manila"``)."""
    try:
        class_name, _ = FAKE_DEVICES[name]
    except KeyError:
        known = ", ".join(sorted(FAKE_DEVICES))
        raise PluginError(f"No fake device named {name!r}. Fake devices: {known}.") from None
    # Imported here: qiskit-ibm-runtime takes about a second to import, and listing must stay fast.
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime import fake_provider

    device_class = getattr(fake_provider, class_name, None)
    if device_class is None:
        raise PluginError(
            f"Fake device {name!r} needs qiskit_ibm_runtime.fake_provider.{class_name}, which the "
            "installed qiskit-ibm-runtime does not have; install a version that ships it."
        )
    return AerSimulator.from_backend(device_class())


def _factory(name: str) -> Callable[[], Any]:
    def make() -> Any:
        return make_backend(name)

    make.__qualname__ = f"fake_backend[{name}]"
    return make


@hookimpl
def qrt_register_backends(register: Callable[..., None]) -> None:
    for name, (_class_name, num_qubits) in FAKE_DEVICES.items():
        register(
            name,
            _factory(name),
            description=f"Noisy Aer simulator of IBM's {name} ({num_qubits} qubits)",
            num_qubits=num_qubits,
        )
