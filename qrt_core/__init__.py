"""qrt: a self-hosted runtime for quantum programs.

Programs are installed packages exposing ``main(backend, user_messenger, **kwargs)`` through the
``qrt.programs`` entry-point group; :class:`RuntimeService` lists them, runs them as jobs and keeps
every job in an embedded store. Importing this package is cheap: qiskit and numpy are imported only
where they are needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .exceptions import (
    BackendNotFoundError,
    BackendRequirementsError,
    DecodeError,
    InputValidationError,
    InvalidMetadataError,
    JobNotFoundError,
    JobTimeoutError,
    PluginError,
    ProgramLoadError,
    ProgramNotFoundError,
    QRTError,
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
)
from .hookspecs import hookimpl

__version__ = "0.1.0"

# Public names that live in modules with heavier imports; resolved on first attribute access.
_LAZY = {
    "RuntimeService": ".service",
    "RuntimeProgram": ".program",
    "ParameterNamespace": ".program",
    "RuntimeJob": ".jobs.job",
    "RuntimeOptions": ".jobs.options",
    "UserMessenger": ".serialization.messenger",
    "RuntimeEncoder": ".serialization.encoder",
    "RuntimeDecoder": ".serialization.decoder",
    "ResultDecoder": ".serialization.result_decoder",
    "Codec": ".serialization.codec",
    "LazyType": ".serialization.codec_table",
}

__all__ = [
    "__version__",
    "hookimpl",
    "QRTError",
    "ProgramNotFoundError",
    "InvalidMetadataError",
    "ProgramLoadError",
    "BackendNotFoundError",
    "BackendRequirementsError",
    "InputValidationError",
    "JobNotFoundError",
    "RuntimeJobFailureError",
    "RuntimeInvalidStateError",
    "JobTimeoutError",
    "DecodeError",
    "PluginError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qrt_core' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from .jobs.job import RuntimeJob
    from .jobs.options import RuntimeOptions
    from .program import ParameterNamespace, RuntimeProgram
    from .serialization.codec import Codec
    from .serialization.codec_table import LazyType
    from .serialization.decoder import RuntimeDecoder
    from .serialization.encoder import RuntimeEncoder
    from .serialization.messenger import UserMessenger
    from .serialization.result_decoder import ResultDecoder
    from .service import RuntimeService
