"""Program metadata: parsing IBM's v2 (JSON Schema) and v1 (flat lists) formats into one validated
:class:`ProgramMetadata`, with every broken rule reported by its JSON path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .exceptions import InvalidMetadataError

__all__ = ["ProgramMetadata", "parse_metadata", "load_metadata_file", "read_metadata_json", "DEFAULT_SCHEMA", "json_path"]

DEFAULT_SCHEMA = "https://json-schema.org/draft/2019-09/schema"
#: Used when a program's metadata gives no ``max_execution_time`` (IBM's default).
DEFAULT_MAX_EXECUTION_TIME = 300

# v1 metadata named Python types; map the common ones onto JSON Schema types.
_V1_TYPES = {
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "str": "string",
    "string": "string",
    "bool": "boolean",
    "boolean": "boolean",
    "dict": "object",
    "list": "array",
    "none": "null",
}


def json_path(parts: Any) -> str:
    """Render a sequence of keys/indexes as a JSON path: ``$.spec.parameters[0].type``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True)
class ProgramMetadata:
    """A program's metadata in one shape, whichever format it was written in."""

    name: str
    description: str = ""
    max_execution_time: int = DEFAULT_MAX_EXECUTION_TIME
    version: str | None = None
    is_public: bool = True
    backend_requirements: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    return_values: dict[str, Any] = field(default_factory=dict)
    interim_results: dict[str, Any] = field(default_factory=dict)
    #: ``"v2"`` (JSON Schemas under ``spec``) or ``"v1"`` (IBM's older flat lists).
    format: str = "v2"
    source: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def spec(self) -> dict[str, Any]:
        return {
            "backend_requirements": self.backend_requirements,
            "parameters": self.parameters,
            "return_values": self.return_values,
            "interim_results": self.interim_results,
        }


def load_metadata_file(path: str | Path) -> ProgramMetadata:
    """Read and parse a metadata JSON file; errors name the file."""
    return parse_metadata(read_metadata_json(path), source=str(path))


def read_metadata_json(path: str | Path) -> Any:
    """The JSON content of a metadata file; :class:`InvalidMetadataError` naming the file if unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidMetadataError(f"Cannot read metadata file {path}: {exc.strerror or exc}", source=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidMetadataError(
            f"Metadata file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            source=str(path),
        ) from None
    return data


def parse_metadata(data: Any, *, source: str | None = None, check_schemas: bool = True) -> ProgramMetadata:
    """Validate ``data`` (v1 or v2) and return it as :class:`ProgramMetadata`.

    Raises :class:`InvalidMetadataError` listing every rule broken, each with its JSON path.
    ``check_schemas=False`` skips checking the schemas against their meta-schemas (the costly
    part), for data already checked unchanged.
    """
    where = f" in {source}" if source else ""
    if not isinstance(data, Mapping):
        raise InvalidMetadataError(f"Metadata{where} must be a JSON object, got {type(data).__name__}", source=source)
    errors: list[tuple[str, str]] = []

    name = data.get("name")
    if name is None:
        errors.append(("$.name", "is required"))
    elif not isinstance(name, str) or not name.strip():
        errors.append(("$.name", f"must be a non-empty string, got {name!r}"))

    description = data.get("description", "")
    if not isinstance(description, str):
        errors.append(("$.description", f"must be a string, got {type(description).__name__}"))
        description = ""

    met = data.get("max_execution_time", DEFAULT_MAX_EXECUTION_TIME)
    if isinstance(met, bool) or not isinstance(met, int) or met <= 0:
        errors.append(("$.max_execution_time", f"must be a positive integer (seconds), got {met!r}"))
        met = DEFAULT_MAX_EXECUTION_TIME

    version = data.get("version")
    if version is not None and not isinstance(version, (str, int, float)):
        errors.append(("$.version", f"must be a string, got {type(version).__name__}"))
        version = None

    is_public = data.get("is_public", True)
    if not isinstance(is_public, bool):
        errors.append(("$.is_public", f"must be true or false, got {is_public!r}"))
        is_public = True

    spec = data.get("spec")
    is_v1 = spec is None and any(
        isinstance(data.get(key), list) for key in ("parameters", "return_values", "interim_results")
    ) or (spec is None and "backend_requirements" in data)
    if is_v1:
        fmt = "v1"
        requirements = data.get("backend_requirements", {})
        req_path = "$.backend_requirements"
        parameters = _v1_parameters(data.get("parameters", []), errors)
        return_values = _v1_fields(data.get("return_values", []), "$.return_values", errors)
        interim = _v1_fields(data.get("interim_results", []), "$.interim_results", errors)
        schema_paths = {}
    else:
        fmt = "v2"
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            errors.append(("$.spec", f"must be an object, got {type(spec).__name__}"))
            spec = {}
        requirements = spec.get("backend_requirements", {})
        req_path = "$.spec.backend_requirements"
        parameters = spec.get("parameters", {})
        return_values = spec.get("return_values", {})
        interim = spec.get("interim_results", {})
        schema_paths = {
            "parameters": parameters,
            "return_values": return_values,
            "interim_results": interim,
        }
        for key, schema in schema_paths.items():
            if check_schemas:
                _check_schema(schema, ("spec", key), errors)
            elif not isinstance(schema, (Mapping, bool)):
                errors.append((json_path(("spec", key)), "must be a JSON Schema (an object)"))

    if requirements is None:
        requirements = {}
    if not isinstance(requirements, Mapping):
        errors.append((req_path, f"must be an object, got {type(requirements).__name__}"))
        requirements = {}
    else:
        min_q = requirements.get("min_num_qubits")
        if min_q is not None and (isinstance(min_q, bool) or not isinstance(min_q, int) or min_q < 0):
            errors.append((f"{req_path}.min_num_qubits", f"must be a non-negative integer, got {min_q!r}"))

    if errors:
        label = f"program {name!r}" if isinstance(name, str) else "a program"
        raise InvalidMetadataError(f"Invalid metadata for {label}{where}:", errors, source=source)

    return ProgramMetadata(
        name=name,
        description=description,
        max_execution_time=met,
        version=None if version is None else str(version),
        is_public=is_public,
        backend_requirements=dict(requirements),
        parameters=_with_default_schema(parameters),
        return_values=_with_default_schema(return_values),
        interim_results=_with_default_schema(interim),
        format=fmt,
        source=source,
        raw=dict(data),
    )


def _with_default_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if schema and "$schema" not in schema:
        schema["$schema"] = DEFAULT_SCHEMA
    return schema


@lru_cache(maxsize=16)
def _meta_validator(dialect: str) -> Any:
    """One validator per dialect, reused: checking a schema is then a plain ``iter_errors``."""
    from jsonschema import validators

    cls = validators.validator_for({"$schema": dialect}, default=validators.Draft201909Validator)
    return cls(cls.META_SCHEMA)


def validator_class(schema: Mapping[str, Any]) -> Any:
    """The jsonschema validator class for ``schema`` (draft 2019-09 unless ``$schema`` says otherwise)."""
    from jsonschema import validators

    return validators.validator_for(dict(schema), default=validators.Draft201909Validator)


def _check_schema(schema: Any, where: tuple[str, ...], errors: list[tuple[str, str]]) -> None:
    if not isinstance(schema, (Mapping, bool)):
        errors.append((json_path(where), f"must be a JSON Schema (an object), got {type(schema).__name__}"))
        return
    if isinstance(schema, bool) or not schema:
        return
    dialect = schema.get("$schema", DEFAULT_SCHEMA)
    if not isinstance(dialect, str):
        errors.append((json_path((*where, "$schema")), "must be a string naming a JSON Schema dialect"))
        return
    for error in _meta_validator(dialect).iter_errors(schema):
        errors.append((json_path((*where, *error.absolute_path)), f"not a valid JSON Schema: {error.message}"))


def _v1_type(name: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        return {}
    mapped = _V1_TYPES.get(name.strip().lower())
    return {"type": mapped} if mapped else {"x-python-type": name}


def _v1_parameters(items: Any, errors: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(items, list):
        errors.append(("$.parameters", f"must be a list of parameters, got {type(items).__name__}"))
        return {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for index, item in enumerate(items):
        path = f"$.parameters[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
            errors.append((path, "must be an object with a non-empty string 'name'"))
            continue
        prop = _v1_type(item.get("type"))
        if item.get("description"):
            prop["description"] = str(item["description"])
        properties[item["name"]] = prop
        if item.get("required"):
            required.append(item["name"])
    schema: dict[str, Any] = {"$schema": DEFAULT_SCHEMA, "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _v1_fields(items: Any, path: str, errors: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(items, list):
        errors.append((path, f"must be a list, got {type(items).__name__}"))
        return {}
    if not items:
        return {}
    properties: dict[str, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            errors.append((f"{path}[{index}]", "must be an object with a string 'name'"))
            continue
        prop = _v1_type(item.get("type"))
        if item.get("description"):
            prop["description"] = str(item["description"])
        properties[item["name"]] = prop
    # A single unnamed value ("-") describes the whole value, as IBM's docs used it.
    if len(properties) == 1 and "-" in properties:
        return {"$schema": DEFAULT_SCHEMA, **properties["-"]}
    return {"$schema": DEFAULT_SCHEMA, "properties": properties}
