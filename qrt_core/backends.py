"""Backends by name: the table plugins fill through ``qrt_register_backends``; instances are made
only when asked for."""

from __future__ import annotations

from typing import Any

from .exceptions import BackendNotFoundError, PluginError
from .plugins import PluginHost, get_plugin_host

__all__ = ["backend_names", "describe_backends", "get_backend"]


def backend_names(host: PluginHost | None = None) -> list[str]:
    """Names of every registered backend, sorted. Constructs nothing."""
    return sorted((host or get_plugin_host()).table("backends"))


def describe_backends(host: PluginHost | None = None) -> list[dict[str, Any]]:
    """Name, description and registering plugin of every backend. Constructs nothing."""
    table = (host or get_plugin_host()).table("backends")
    return [
        {"name": name, "description": reg.description, "plugin": reg.plugin}
        for name, reg in sorted(table.items())
    ]


def get_backend(name: str, host: PluginHost | None = None) -> Any:
    """A new instance of backend ``name`` (raises :class:`BackendNotFoundError` listing the names)."""
    table = (host or get_plugin_host()).table("backends")
    registration = table.get(name)
    if registration is None:
        raise BackendNotFoundError(name, table)
    try:
        backend = registration.value()
    except Exception as exc:
        raise PluginError(
            f"Backend {name!r} (from plugin {registration.plugin!r}) could not be created: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if backend is None:
        raise PluginError(f"Backend factory for {name!r} (plugin {registration.plugin!r}) returned None.")
    return backend
