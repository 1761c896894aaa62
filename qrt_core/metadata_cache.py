"""A cache of checked program metadata, keyed by the file's path, size and modification time, so
listing programs re-validates a metadata file only when it changed.

Checking JSON Schemas against their meta-schemas is by far the costliest part of listing programs;
the verdict (valid, or the errors found) is kept in memory and in ``$QRT_HOME/cache``, so a new
process listing the same programs reads one small file instead of re-checking every schema.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from .exceptions import InvalidMetadataError
from .metadata import ProgramMetadata, parse_metadata, read_metadata_json

__all__ = ["MetadataCache", "CACHE_FILE"]

CACHE_FILE = "program-metadata.json"
_FORMAT = 1


def _cache_tag() -> str:
    """Verdicts depend on the checking code: a new qrt or jsonschema version invalidates them."""
    import importlib_metadata

    from . import __version__

    try:
        jsonschema_version = importlib_metadata.version("jsonschema")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover
        jsonschema_version = "?"
    return f"{_FORMAT}/{__version__}/{jsonschema_version}"


class MetadataCache:
    """Checked metadata by ``(path, size, mtime_ns)``; optionally persisted under ``directory``."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self._loaded = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.directory is None:
            return
        try:
            data = json.loads((self.directory / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("tag") == _cache_tag() and isinstance(data.get("entries"), dict):
            self._entries = data["entries"]

    def load(self, path: Path) -> ProgramMetadata:
        """Parse and check the metadata file at ``path``, reusing an earlier verdict if unchanged."""
        try:
            stat = path.stat()
        except OSError as exc:
            raise InvalidMetadataError(f"Cannot read metadata file {path}: {exc.strerror or exc}", source=str(path)) from None
        key = str(path)
        stamp = [stat.st_size, stat.st_mtime_ns]
        with self._lock:
            self._load()
            entry = self._entries.get(key)
        if entry is not None and entry.get("stamp") == stamp:
            if entry.get("error") is not None:
                raise InvalidMetadataError(entry["error"], [tuple(e) for e in entry.get("errors", [])], source=key)
            # Known good and unchanged: rebuild without re-checking the schemas.
            return parse_metadata(entry["data"], source=key, check_schemas=False)
        data = read_metadata_json(path)
        try:
            metadata = parse_metadata(data, source=key)
        except InvalidMetadataError as exc:
            message = str(exc).split("\n  at ", 1)[0]
            self._remember(key, {"stamp": stamp, "error": message, "errors": exc.errors})
            raise
        self._remember(key, {"stamp": stamp, "data": data})
        return metadata

    def _remember(self, key: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = entry
            self._dirty = True

    def save(self) -> None:
        """Write the verdicts to disk if anything changed (best effort: a read-only home is fine)."""
        with self._lock:
            if not self._dirty or self.directory is None:
                return
            payload = json.dumps({"tag": _cache_tag(), "entries": self._entries})
            self._dirty = False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f".{CACHE_FILE}.{os.getpid()}.tmp"
            tmp.write_text(payload, encoding="utf-8")
            os.replace(tmp, self.directory / CACHE_FILE)
        except OSError:
            pass
