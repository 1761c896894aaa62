"""``RuntimeProgram`` (an installed program and its metadata) and ``ParameterNamespace`` (its inputs,
one attribute per parameter, validated against the full JSON Schema)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from .exceptions import BackendRequirementsError, InputValidationError, ProgramLoadError
from .metadata import ProgramMetadata, json_path, validator_class

__all__ = ["RuntimeProgram", "ParameterNamespace", "schema_errors"]


def schema_errors(schema: Mapping[str, Any], data: Any, validator_cache: dict | None = None) -> list[tuple[str, str]]:
    """Every violation of ``schema`` by ``data`` as ``(json_path, message)``, sorted by path."""
    if not schema:
        return []
    validator = None if validator_cache is None else validator_cache.get("validator")
    if validator is None:
        validator = validator_class(schema)(dict(schema))
        if validator_cache is not None:
            validator_cache["validator"] = validator
    errors = []
    for error in validator.iter_errors(data):
        parts = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            # Point at the missing key itself, which is what a person looks for.
            missing = [key for key in error.validator_value if key not in error.instance]
            for key in missing:
                errors.append((json_path([*parts, key]), "is required but missing"))
            continue
        errors.append((json_path(parts), error.message))
    return sorted(set(errors))


class RuntimeProgram:
    """An installed runtime program: metadata, where it came from, and how to load its ``main``."""

    def __init__(
        self,
        metadata: ProgramMetadata,
        *,
        entry_point: str,
        dist: Any = None,
        metadata_path: str | None = None,
        module_path: str | None = None,
    ) -> None:
        self._metadata = metadata
        self.entry_point = entry_point
        self._dist = dist  # an importlib.metadata Distribution, read lazily (parsing it costs)
        self.metadata_path = metadata_path
        self.module_path = module_path
        self._validator_cache: dict[str, Any] = {}

    @property
    def distribution(self) -> str | None:
        """The name of the installed distribution that provides the program."""
        try:
            return None if self._dist is None else self._dist.name
        except Exception:
            return None

    @property
    def distribution_version(self) -> str | None:
        try:
            return None if self._dist is None else self._dist.version
        except Exception:
            return None

    # -- IBM's attributes --------------------------------------------------------------------

    @property
    def program_id(self) -> str:
        return self._metadata.name

    @property
    def name(self) -> str:
        return self._metadata.name

    @property
    def description(self) -> str:
        return self._metadata.description

    @property
    def max_execution_time(self) -> int:
        return self._metadata.max_execution_time

    @property
    def version(self) -> str:
        """The metadata's ``version``; the distribution's version when the metadata gives none."""
        return self._metadata.version or self.distribution_version or "0"

    @property
    def backend_requirements(self) -> dict[str, Any]:
        return dict(self._metadata.backend_requirements)

    @property
    def is_public(self) -> bool:
        return self._metadata.is_public

    @property
    def return_values(self) -> dict[str, Any]:
        return dict(self._metadata.return_values)

    @property
    def interim_results(self) -> dict[str, Any]:
        return dict(self._metadata.interim_results)

    @property
    def spec(self) -> dict[str, Any]:
        return self._metadata.spec

    @property
    def metadata(self) -> ProgramMetadata:
        return self._metadata

    @property
    def creation_date(self) -> datetime | None:
        return self._file_time()

    @property
    def update_date(self) -> datetime | None:
        return self._file_time()

    def _file_time(self) -> datetime | None:
        if not self.metadata_path:
            return None
        import os

        try:
            return datetime.fromtimestamp(os.stat(self.metadata_path).st_mtime, tz=timezone.utc)
        except OSError:
            return None

    def parameters(self) -> ParameterNamespace:
        """A fresh namespace with one attribute per input parameter (all ``None``)."""
        return ParameterNamespace(self._metadata.parameters, program=self)

    # -- checks ------------------------------------------------------------------------------

    def validate_inputs(self, data: Mapping[str, Any]) -> None:
        """Check JSON-compatible ``data`` against ``spec.parameters``; raise
        :class:`InputValidationError` listing every error with its JSON path."""
        errors = schema_errors(self._metadata.parameters, data, self._validator_cache)
        if errors:
            raise InputValidationError(self.name, errors)

    def check_backend(self, backend: Any) -> None:
        """Raise :class:`BackendRequirementsError` when ``backend`` does not meet the program's
        ``backend_requirements`` (``min_num_qubits``)."""
        needed = self._metadata.backend_requirements.get("min_num_qubits")
        if needed is None:
            return
        available = getattr(backend, "num_qubits", None)
        if available is None:
            config = getattr(backend, "configuration", None)
            available = getattr(config(), "n_qubits", None) if callable(config) else None
        backend_name = getattr(backend, "name", None)
        backend_name = backend_name() if callable(backend_name) else backend_name
        if available is not None and available < needed:
            raise BackendRequirementsError(
                f"Program {self.name!r} needs a backend with at least {needed} qubits; "
                f"backend {backend_name!r} has {available}."
            )

    def load_main(self) -> Callable[..., Any]:
        """Import the program's module and return ``main``, after checking it can be called as
        ``main(backend, user_messenger, **inputs)``."""
        import importlib

        module_name, _, attr = self.entry_point.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise ProgramLoadError(
                f"Program {self.name!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
        target: Any = module
        for part in (attr or "main").split("."):
            target = getattr(target, part, None)
            if target is None:
                raise ProgramLoadError(f"Program {self.name!r}: module {module_name!r} has no {attr!r}.")
        check_main_signature(target, self.name)
        return target

    # -- presentation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "name": self.name,
            "description": self.description,
            "max_execution_time": self.max_execution_time,
            "version": self.version,
            "is_public": self.is_public,
            "backend_requirements": self.backend_requirements,
            "spec": {
                "backend_requirements": self.backend_requirements,
                "parameters": self._metadata.parameters,
                "return_values": self.return_values,
                "interim_results": self.interim_results,
            },
            "entry_point": self.entry_point,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "metadata_format": self._metadata.format,
        }

    def __repr__(self) -> str:
        return f"<RuntimeProgram {self.name!r} version={self.version!r}>"

    def __str__(self) -> str:
        lines = [
            f"{self.program_id}:",
            f"  Name: {self.name}",
            f"  Description: {self.description}",
            f"  Version: {self.version}",
        ]
        if self.distribution:
            lines.append(f"  Distribution: {self.distribution} {self.distribution_version or ''}".rstrip())
        date = self.update_date
        if date is not None:
            lines.append(f"  Update date: {date.isoformat(timespec='seconds')}")
        lines.append(f"  Max execution time: {self.max_execution_time}")
        lines.append("  Backend requirements:")
        if self.backend_requirements:
            lines.extend(f"    - {key}: {value}" for key, value in self.backend_requirements.items())
        else:
            lines.append("    none")
        for title, schema in (
            ("Input parameters", self._metadata.parameters),
            ("Interim results", self.interim_results),
            ("Returns", self.return_values),
        ):
            lines.append(f"  {title}:")
            lines.extend(_describe_schema(schema))
        return "\n".join(lines)


def check_main_signature(main: Any, program: str) -> None:
    """Raise :class:`ProgramLoadError` unless ``main`` takes two leading positional parameters."""
    if not callable(main):
        raise ProgramLoadError(f"Program {program!r}: 'main' is not callable.")
    try:
        params = list(inspect.signature(main).parameters.values())
    except (TypeError, ValueError):
        return  # builtins and C callables: nothing to check
    positional = 0
    for param in params:
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return
        if param.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    if positional < 2:
        shown = ", ".join(str(p) for p in params)
        raise ProgramLoadError(
            f"Program {program!r}: main({shown}) must accept backend and user_messenger as its first "
            "two positional parameters: def main(backend, user_messenger, **kwargs)."
        )


_SCHEMA_KEYS_SHOWN = ("description", "type", "minimum", "maximum", "enum", "default", "items")


def _describe_schema(schema: Mapping[str, Any]) -> list[str]:
    if not schema or set(schema) <= {"$schema"}:
        return ["    none"]
    lines = []
    for key in ("description", "type"):
        if key in schema:
            lines.append(f"    {key.capitalize()}: {schema[key]}")
    properties = schema.get("properties") or {}
    if properties:
        required = set(schema.get("required") or ())
        lines.append("    Properties:")
        for name in sorted(properties):
            prop = properties[name] if isinstance(properties[name], Mapping) else {}
            lines.append(f"        - {name}:")
            for key in _SCHEMA_KEYS_SHOWN:
                if key in prop:
                    value = prop[key] if key != "items" else json.dumps(prop[key])
                    lines.append(f"            {key.capitalize()}: {value}")
            lines.append(f"            Required: {name in required}")
    return lines or ["    none"]


class ParameterNamespace:
    """A program's inputs as attributes: one per parameter in the schema, ``None`` until set.

    ``validate()`` checks the values set against the whole JSON Schema (types, ranges, required).
    ``to_inputs()`` returns only the parameters that were set — never the namespace's internals.
    """

    __slots__ = ("__metadata", "__program", "__values")

    def __init__(self, schema: Mapping[str, Any], program: RuntimeProgram | None = None) -> None:
        object.__setattr__(self, "_ParameterNamespace__metadata", dict(schema))
        object.__setattr__(self, "_ParameterNamespace__program", program)
        values = {name: None for name in (schema.get("properties") or {})}
        object.__setattr__(self, "_ParameterNamespace__values", values)

    @property
    def metadata(self) -> dict[str, Any]:
        """The parameters' JSON Schema."""
        return self.__metadata

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_ParameterNamespace__values")
        if name in values:
            return values[name]
        known = ", ".join(sorted(values)) or "none"
        raise AttributeError(f"No parameter named {name!r}; the parameters are: {known}.")

    def __setattr__(self, name: str, value: Any) -> None:
        self.__values[name] = value

    def __delattr__(self, name: str) -> None:
        self.__values[name] = None

    def __dir__(self) -> list[str]:
        return sorted({*self.__values, "metadata", "validate", "to_inputs"})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterNamespace):
            return NotImplemented
        return self.to_inputs() == other.to_inputs() and self.metadata == other.metadata

    __hash__ = None  # type: ignore[assignment]

    def to_inputs(self) -> dict[str, Any]:
        """The parameters that were set (not ``None``), as a plain dict for ``service.run``."""
        return {name: value for name, value in self.__values.items() if value is not None}

    def validate(self) -> None:
        """Raise :class:`InputValidationError` listing every schema violation with its JSON path.

        Values are checked in their JSON-encoded form, as the runtime sees them.
        """
        from .serialization.encoder import RuntimeEncoder

        data = json.loads(json.dumps(self.to_inputs(), cls=RuntimeEncoder))
        program = self.__program
        if program is not None:
            program.validate_inputs(data)
            return
        errors = schema_errors(self.__metadata, data)
        if errors:
            raise InputValidationError("(parameters)", errors)

    def __repr__(self) -> str:
        return f"ParameterNamespace({self.to_inputs()!r})"

    def __str__(self) -> str:
        props = self.__metadata.get("properties") or {}
        required = set(self.__metadata.get("required") or ())
        rows = [("Name", "Value", "Type", "Required", "Description")]
        for name, value in self.__values.items():
            prop = props.get(name, {}) if isinstance(props.get(name, {}), Mapping) else {}
            rows.append(
                (
                    name,
                    "None" if value is None else repr(value),
                    str(prop.get("type", "")),
                    str(name in required),
                    str(prop.get("description", "")),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        out = []
        for index, row in enumerate(rows):
            out.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                out.append("-+-".join("-" * w for w in widths))
        return "ParameterNamespace (Values):\n" + "\n".join(out)
