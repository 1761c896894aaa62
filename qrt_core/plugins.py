"""The plugin host: finds plugins (built-in modules and the ``qrt.plugins`` entry points), calls
their hooks once, and keeps what they registered in tables that the rest of qrt reads.

A plugin that fails to import, raises in a hook, or registers a name already taken is recorded as a
:class:`PluginProblem` with its name and reason, and the other plugins keep working.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .exceptions import PluginError

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "PluginInfo",
    "PluginProblem",
    "Registration",
    "get_plugin_host",
    "reset_plugin_host",
]

ENTRY_POINT_GROUP = "qrt.plugins"
DISABLE_ENV = "QRT_DISABLE_PLUGINS"

#: Built-in plugins: ordinary plugin modules, registered through the same hooks as third-party ones.
BUILTIN_PLUGINS: dict[str, str] = {
    "qrt.codecs": "qrt_core.builtin.codecs",
    "qrt.result_decoders": "qrt_core.builtin.result_decoders",
    "qrt.aer": "qrt_core.builtin.aer",
    "qrt.executors": "qrt_core.builtin.executors",
}

TABLES = ("codecs", "result_decoders", "backends", "executors")


@dataclass(frozen=True)
class PluginInfo:
    """A plugin that is loaded: its name, where it came from, and the hooks it implements."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    hooks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": list(self.hooks),
        }


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be used, fully or in part, and why.

    ``kind`` is ``"import"`` (failed to import), ``"hook"`` (a hook raised), ``"duplicate"``
    (registered a name already taken) or ``"disabled"`` (blocked by ``QRT_DISABLE_PLUGINS``).
    """

    plugin: str
    kind: str
    message: str
    distribution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "kind": self.kind,
            "message": self.message,
            "distribution": self.distribution,
        }

    def error(self) -> PluginError:
        return PluginError(self.message)


@dataclass(frozen=True)
class Registration:
    """One thing a plugin registered: its name, the value, and the plugin that registered it."""

    name: str
    value: Any
    plugin: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _disabled_from_env() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class PluginHost:
    """Owns a pluggy manager for project ``qrt`` and the tables built from its hooks.

    Loading is lazy and idempotent: nothing happens at construction; the first call that needs a
    table loads the plugins. ``register``/``unregister`` add or remove plugins at run time (tests,
    embedding) and invalidate the tables.
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        builtins: bool = True,
        disabled: Iterable[str] | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self._use_entry_points = entry_points
        self._use_builtins = builtins
        self.disabled: set[str] = set(disabled) if disabled is not None else _disabled_from_env()
        self._lock = threading.RLock()
        self._loaded = False
        self._infos: dict[str, PluginInfo] = {}
        self._load_problems: list[PluginProblem] = []
        self._tables: dict[str, dict[str, Registration]] | None = None
        self._table_problems: list[PluginProblem] = []
        #: Increases whenever the tables are rebuilt; caches keyed on it stay correct.
        self.generation = 0

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> PluginHost:
        """Import the built-ins and the ``qrt.plugins`` entry points (once)."""
        with self._lock:
            if self._loaded:
                return self
            self._loaded = True
            if self._use_builtins:
                for name, module in BUILTIN_PLUGINS.items():
                    self._load_one(
                        name, module, loader=None, dist="qrt-core", version=_qrt_version(), builtin=True
                    )
            if self._use_entry_points:
                for ep in self._entry_points():
                    dist = getattr(ep, "dist", None)
                    self._load_one(
                        ep.name,
                        ep.value,
                        loader=ep.load,
                        dist=dist.name if dist is not None else None,
                        version=dist.version if dist is not None else None,
                        builtin=False,
                    )
            self._invalidate()
        return self

    @staticmethod
    def _entry_points() -> list[Any]:
        import importlib_metadata

        seen: set[tuple[str, str]] = set()
        result = []
        for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            key = (ep.name, ep.value)
            if key not in seen:  # the same distribution can be on sys.path twice
                seen.add(key)
                result.append(ep)
        return result

    def _load_one(
        self,
        name: str,
        target: str,
        *,
        loader: Callable[[], Any] | None,
        dist: str | None,
        version: str | None,
        builtin: bool,
    ) -> None:
        if name in self.disabled or (dist is not None and dist in self.disabled):
            self._load_problems.append(
                PluginProblem(name, "disabled", f"Plugin {name!r} is disabled by {DISABLE_ENV}.", dist)
            )
            return
        if name in self._infos:
            self._load_problems.append(
                PluginProblem(
                    name,
                    "duplicate",
                    f"Plugin name {name!r} ({target}) is already used by {self._infos[name].module}; skipped.",
                    dist,
                )
            )
            return
        try:
            if loader is None:
                import importlib

                plugin = importlib.import_module(target)
            else:
                plugin = loader()
            self.pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin is reported, never fatal
            where = f" (distribution {dist})" if dist else ""
            self._load_problems.append(
                PluginProblem(
                    name,
                    "import",
                    f"Plugin {name!r}{where} failed to load from {target}: {_short_error(exc)}",
                    dist,
                )
            )
            return
        self._infos[name] = PluginInfo(
            name=name,
            module=target,
            distribution=dist,
            version=version,
            builtin=builtin,
            hooks=self._hooks_of(name),
        )

    def _hooks_of(self, name: str) -> tuple[str, ...]:
        plugin = self.pm.get_plugin(name)
        return tuple(
            caller.name
            for caller in (self.pm.get_hookcallers(plugin) or [])
            if caller.name in hookspecs.HOOK_NAMES
        )

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (a module or an instance with ``@hookimpl`` methods) now."""
        with self._lock:
            self.load()
            if name is None:
                name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{id(plugin):x}"
            if name in self.disabled:
                raise PluginError(f"Plugin {name!r} is disabled by {DISABLE_ENV}.")
            if self.pm.has_plugin(name) or name in self._infos:
                raise PluginError(f"A plugin named {name!r} is already registered.")
            if self.pm.is_registered(plugin):
                raise PluginError(
                    f"This plugin object is already registered as {self.pm.get_name(plugin)!r} "
                    "(installed plugins are loaded through their qrt.plugins entry point)."
                )
            self.pm.register(plugin, name=name)
            self._infos[name] = PluginInfo(
                name=name,
                module=getattr(plugin, "__name__", type(plugin).__module__),
                hooks=self._hooks_of(name),
            )
            self._invalidate()
            return name

    def unregister(self, name: str) -> None:
        """Remove a plugin registered by name; its registrations disappear from the tables."""
        with self._lock:
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin, name=name)
            self._infos.pop(name, None)
            self._invalidate()

    # -- introspection -----------------------------------------------------------------------

    def plugins(self, *, include_builtins: bool = True) -> list[PluginInfo]:
        """The plugins loaded, built-ins first, in the order they were loaded."""
        self.load()
        return [info for info in self._infos.values() if include_builtins or not info.builtin]

    def problems(self) -> list[PluginProblem]:
        """Every plugin problem found so far: failed imports, raising hooks, duplicate names."""
        self._build()
        return [*self._load_problems, *self._table_problems]

    # -- tables ------------------------------------------------------------------------------

    def table(self, kind: str) -> dict[str, Registration]:
        """What the plugins registered for ``kind`` (one of ``codecs``, ``result_decoders``,
        ``backends``, ``executors``), by name."""
        if kind not in TABLES:
            raise ValueError(f"Unknown table {kind!r}; expected one of {', '.join(TABLES)}.")
        return self._build()[kind]

    def _invalidate(self) -> None:
        self._tables = None

    def _build(self) -> dict[str, dict[str, Registration]]:
        tables = self._tables
        if tables is not None:
            return tables
        with self._lock:
            if self._tables is not None:
                return self._tables
            self.load()
            problems: list[PluginProblem] = []
            tables = {
                "codecs": self._collect("qrt_register_codecs", _codec_keys, problems),
                "result_decoders": self._collect("qrt_register_result_decoders", _named_keys, problems),
                "backends": self._collect("qrt_register_backends", _named_keys, problems),
                "executors": self._collect("qrt_register_executors", _named_keys, problems),
            }
            self._table_problems = problems
            self._tables = tables
            self.generation += 1
            return tables

    def _collect(
        self,
        hook_name: str,
        keys_of: Callable[..., tuple[str, list[str], Registration]],
        problems: list[PluginProblem],
    ) -> dict[str, Registration]:
        """Call one hook plugin by plugin, so one failing plugin loses only its own entries."""
        table: dict[str, Registration] = {}
        owners: dict[str, str] = {}  # secondary key (e.g. a codec's python type) -> plugin
        caller = getattr(self.pm.hook, hook_name)
        what = hook_name.removeprefix("qrt_register_").rstrip("s").replace("_", " ")
        for impl in caller.get_hookimpls():
            plugin_name = impl.plugin_name
            dist = self._infos[plugin_name].distribution if plugin_name in self._infos else None

            def register(*args: Any, _plugin: str = plugin_name, _dist: Any = dist, **kwargs: Any) -> None:
                override = bool(kwargs.pop("override", False))
                name, secondary, reg = keys_of(_plugin, *args, **kwargs)
                taken_by = None
                if not override:
                    if name in table:
                        taken_by = table[name].plugin
                    else:
                        taken_by = next((owners[key] for key in secondary if key in owners), None)
                if taken_by is not None:
                    problems.append(
                        PluginProblem(
                            _plugin,
                            "duplicate",
                            f"Plugin {_plugin!r} registers {what} {name!r}, which plugin "
                            f"{taken_by!r} already registered; ignored (pass override=True to replace it).",
                            _dist,
                        )
                    )
                    return
                table[name] = reg
                for key in secondary:
                    owners[key] = _plugin

            try:
                impl.function(*[{"register": register}[arg] for arg in impl.argnames])
            except Exception as exc:
                tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
                problems.append(
                    PluginProblem(
                        plugin_name,
                        "hook",
                        f"Plugin {plugin_name!r} raised in {hook_name}: {tb}",
                        dist,
                    )
                )
        return table


def _named_keys(
    plugin: str, name: str, value: Any, description: str = "", **extra: Any
) -> tuple[str, list[str], Registration]:
    if not isinstance(name, str) or not name:
        raise PluginError(f"registered names must be non-empty strings, got {name!r}")
    return name, [], Registration(name, value, plugin, description, extra)


def _codec_keys(plugin: str, codec: Any) -> tuple[str, list[str], Registration]:
    name = getattr(codec, "type_name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"a codec needs a non-empty string type_name, got {codec!r}")
    types = codec.python_type if isinstance(codec.python_type, tuple) else (codec.python_type,)
    secondary = [f"type:{getattr(t, '__module__', '')}.{getattr(t, '__qualname__', t)}" for t in types]
    return name, secondary, Registration(name, codec, plugin)


_HOST: PluginHost | None = None
_HOST_LOCK = threading.Lock()


def get_plugin_host() -> PluginHost:
    """The process-wide plugin host (created on first use; loading happens on first need)."""
    global _HOST
    host = _HOST
    if host is None:
        with _HOST_LOCK:
            if _HOST is None:
                _HOST = PluginHost()
            host = _HOST
    return host


def reset_plugin_host(host: PluginHost | None = None) -> PluginHost | None:
    """Replace the process-wide host (``None``: a fresh one on next use); returns the old one."""
    global _HOST
    with _HOST_LOCK:
        old, _HOST = _HOST, host
    return old


def _qrt_version() -> str:
    from . import __version__

    return __version__
