"""The hooks a qrt plugin can implement.

Every hook hands the plugin a ``register`` callback; qrt calls each hook once per plugin when it
builds its tables (at first use, and again after a plugin is registered or unregistered), never per
encoded object or per job. A plugin implements a hook with ``@qrt_core.hookimpl``.

Registering a name that another plugin already registered is reported as a :class:`PluginError`
naming both plugins and the second registration is ignored, unless it passes ``override=True``.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT_NAME = "qrt"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["hookspec", "hookimpl", "PROJECT_NAME"]


@hookspec
def qrt_register_codecs(register: Callable[..., None]) -> None:
    """Add JSON codecs to :class:`~qrt_core.RuntimeEncoder` and :class:`~qrt_core.RuntimeDecoder`.

    Parameters:
        register: ``register(codec, override=False)``, where ``codec`` is a
            :class:`qrt_core.Codec`: ``Codec(type_name, python_type, encode, decode)``.
            ``type_name`` is the wire tag (``{"__type__": type_name, "__value__": ...}``);
            ``python_type`` is a type or a tuple of types the encoder matches (by walking the
            object's type MRO); ``encode(obj)`` returns a JSON-encodable value; ``decode(value)``
            rebuilds the object.

    Returns:
        Nothing; results are passed to ``register``.

    Called once per plugin each time the codec table is built (not firstresult).
    """


@hookspec
def qrt_register_result_decoders(register: Callable[..., None]) -> None:
    """Add named :class:`~qrt_core.ResultDecoder` classes, usable as ``job.result(decoder="name")``.

    Parameters:
        register: ``register(name, decoder_class, override=False)``; ``decoder_class`` is a
            subclass of :class:`qrt_core.ResultDecoder`.

    Returns:
        Nothing; results are passed to ``register``.

    Called once per plugin each time the decoder table is built (not firstresult).
    """


@hookspec
def qrt_register_backends(register: Callable[..., None]) -> None:
    """Add backends that programs can run on, by name.

    Parameters:
        register: ``register(name, factory, description="", override=False, num_qubits=None)``;
            ``factory()`` takes no arguments and returns a Qiskit backend. It is called lazily,
            only when that backend is asked for, so registering is cheap: import heavy packages
            inside it. ``num_qubits``, when given, lets qrt check a program's
            ``backend_requirements`` (and ``qrt backends`` show the size) without building the
            backend; otherwise the backend is built to ask it.

    Returns:
        Nothing; results are passed to ``register``.

    Called once per plugin each time the backend table is built (not firstresult).
    """


@hookspec
def qrt_register_executors(register: Callable[..., None]) -> None:
    """Add job executors, chosen with ``RuntimeService(executor="name")``.

    Parameters:
        register: ``register(name, factory, description="", override=False)``; ``factory`` is
            called as ``factory(sink, max_workers=..., **executor_options)`` and returns a
            :class:`qrt_core.executors.Executor`. ``sink`` is the
            :class:`qrt_core.executors.JobSink` the executor reports every event of a job to.

    Returns:
        Nothing; results are passed to ``register``.

    Called once per plugin each time the executor table is built (not firstresult).
    """


HOOK_NAMES: tuple[str, ...] = (
    "qrt_register_codecs",
    "qrt_register_result_decoders",
    "qrt_register_backends",
    "qrt_register_executors",
)
