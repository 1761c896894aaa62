"""Finding installed programs: the ``qrt.programs`` entry points, the metadata JSON beside each
program's module, read without importing the module. Broken programs are listed with a reason."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .exceptions import InvalidMetadataError, ProgramNotFoundError
from .metadata_cache import MetadataCache
from .program import RuntimeProgram

__all__ = ["ENTRY_POINT_GROUP", "BrokenProgram", "ProgramCatalog", "discover_programs", "find_program", "locate_module"]

ENTRY_POINT_GROUP = "qrt.programs"


@dataclass(frozen=True)
class BrokenProgram:
    """A registered program that cannot be used, and why."""

    name: str
    reason: str
    entry_point: str
    distribution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reason": self.reason,
            "entry_point": self.entry_point,
            "distribution": self.distribution,
        }


@dataclass(frozen=True)
class ProgramCatalog:
    """The result of one scan: usable programs by name, and the broken ones."""

    programs: dict[str, RuntimeProgram]
    broken: list[BrokenProgram]

    def get(self, program_id: str) -> RuntimeProgram:
        try:
            return self.programs[program_id]
        except KeyError:
            reasons = {b.name: b.reason for b in self.broken}
            raise ProgramNotFoundError(program_id, self.programs, reasons) from None


class _NotFound(Exception):
    pass


def locate_module(module_name: str) -> Path:
    """The source file of ``module_name``, found without executing it or its parent packages."""
    module = sys.modules.get(module_name)
    if module is not None and getattr(module, "__file__", None):
        return Path(module.__file__)
    parts = module_name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level lookup imports nothing
    except (ImportError, ValueError) as exc:
        raise _NotFound(f"module {parts[0]!r} cannot be found: {exc}") from None
    if spec is None:
        raise _NotFound(f"module {parts[0]!r} cannot be found on sys.path (needed for {module_name!r})")
    for index in range(1, len(parts)):
        if spec is None:
            break
        locations = spec.submodule_search_locations
        if not locations:
            raise _NotFound(f"{'.'.join(parts[:index])!r} is not a package, so {module_name!r} cannot be found")
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: index + 1]), list(locations))
    if spec is None:
        raise _NotFound(f"module {module_name!r} cannot be found")
    if not spec.origin or spec.origin in ("built-in", "frozen", "namespace"):
        raise _NotFound(f"module {module_name!r} has no source file (namespace or built-in module)")
    return Path(spec.origin)


def metadata_candidates(module_file: Path, module_name: str) -> list[Path]:
    """Where a program's metadata may live: ``<stem>.json`` or ``<stem>_metadata.json`` beside it."""
    stem = module_file.stem
    if stem == "__init__":
        stem = module_name.rsplit(".", 1)[-1]
    folder = module_file.parent
    return [folder / f"{stem}.json", folder / f"{stem}_metadata.json"]


def _entry_points() -> list[Any]:
    import importlib_metadata

    return list(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))


_MEMORY_CACHE = MetadataCache()


def discover_programs(cache: MetadataCache | None = None) -> ProgramCatalog:
    """Scan the ``qrt.programs`` entry points. Never imports a program module.

    ``cache`` keeps metadata verdicts between scans (default: this process's in-memory cache).
    """
    cache = cache or _MEMORY_CACHE
    programs: dict[str, RuntimeProgram] = {}
    broken: list[BrokenProgram] = []
    seen: set[tuple[str, str]] = set()
    for ep in _entry_points():
        if (ep.name, ep.value) in seen:  # the same distribution on sys.path twice
            continue
        seen.add((ep.name, ep.value))
        dist = getattr(ep, "dist", None)
        try:
            program = _program_from_entry_point(ep, dist, cache)
        except (_NotFound, InvalidMetadataError) as exc:
            broken.append(BrokenProgram(ep.name, str(exc), ep.value, _dist_name(dist)))
            continue
        if program.name in programs:
            other = programs[program.name]
            broken.append(
                BrokenProgram(
                    ep.name,
                    f"program {ep.name!r} is also provided by {other.distribution or other.entry_point}; "
                    "this one is ignored",
                    ep.value,
                    _dist_name(dist),
                )
            )
            continue
        programs[program.name] = program
    cache.save()
    return ProgramCatalog(dict(sorted(programs.items())), broken)


def _dist_name(dist: Any) -> str | None:
    try:
        return None if dist is None else dist.name
    except Exception:  # unreadable METADATA: report the program without it
        return None


def _program_from_entry_point(ep: Any, dist: Any, cache: MetadataCache) -> RuntimeProgram:
    module_name, _, attr = ep.value.partition(":")
    module_name = module_name.strip()
    if not module_name or not attr.strip():
        raise _NotFound(f"entry point {ep.value!r} must have the form 'package.module:main'")
    module_file = locate_module(module_name)
    candidates = metadata_candidates(module_file, module_name)
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        names = " or ".join(path.name for path in candidates)
        raise InvalidMetadataError(f"no metadata file ({names}) beside {module_file}", source=str(module_file))
    metadata = cache.load(found)
    if metadata.name != ep.name:
        raise InvalidMetadataError(
            f"metadata name {metadata.name!r} in {found} does not match the entry point name {ep.name!r}",
            source=str(found),
        )
    return RuntimeProgram(
        metadata,
        entry_point=f"{module_name}:{attr.strip()}",
        dist=dist,
        metadata_path=str(found),
        module_path=str(module_file),
    )


def find_program(program_id: str) -> RuntimeProgram:
    """Find one installed program by name (a fresh scan)."""
    return discover_programs().get(program_id)
