"""qrt-fake-backends: IBM's fake devices from qiskit-ibm-runtime as noisy Aer simulators for qrt.

The plugin itself is :mod:`qrt_fake_backends.plugin` (the ``qrt.plugins`` entry point); the names it
serves are in :data:`qrt_fake_backends.devices.FAKE_DEVICES`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
