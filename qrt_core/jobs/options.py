"""``RuntimeOptions``: how one job runs (backend, time limit, log level), given to
:meth:`RuntimeService.run` as the dataclass or as a plain dict with the same keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..exceptions import QRTError

__all__ = ["RuntimeOptions", "LOG_LEVELS", "DEFAULT_BACKEND"]

DEFAULT_BACKEND = "aer_simulator"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass
class RuntimeOptions:
    """Options of one job.

    ``backend_name``: the backend ``main`` receives (default ``aer_simulator``).
    ``max_execution_time``: seconds the job may run; it may only lower the program's own limit.
    ``log_level``: the lowest level of the program's ``logging`` records kept in the job's log
    (default ``INFO``).
    """

    backend_name: str = DEFAULT_BACKEND
    max_execution_time: float | None = None
    log_level: str | None = None

    def validate(self) -> RuntimeOptions:
        """Check every field; raise :class:`QRTError` naming the field and what is accepted."""
        if not isinstance(self.backend_name, str) or not self.backend_name:
            raise QRTError(f"options.backend_name must be a backend name (a string), got {self.backend_name!r}.")
        met = self.max_execution_time
        if met is not None and (isinstance(met, bool) or not isinstance(met, (int, float)) or met <= 0):
            raise QRTError(f"options.max_execution_time must be a positive number of seconds, got {met!r}.")
        if self.log_level is not None:
            level = str(self.log_level).upper()
            if level not in LOG_LEVELS:
                raise QRTError(f"options.log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}.")
            self.log_level = level
        return self

    @classmethod
    def coerce(cls, options: RuntimeOptions | Mapping[str, Any] | None) -> RuntimeOptions:
        """``options`` as a validated :class:`RuntimeOptions` (a copy; ``None`` gives the defaults).

        A dict may use IBM's key ``backend`` for ``backend_name``; any other unknown key is an error.
        """
        if options is None:
            return cls().validate()
        if isinstance(options, RuntimeOptions):
            return cls(**asdict(options)).validate()
        if not isinstance(options, Mapping):
            raise QRTError(
                f"options must be a dict or a RuntimeOptions, got {type(options).__name__}."
            )
        data = dict(options)
        if "backend" in data and "backend_name" not in data:
            data["backend_name"] = data.pop("backend")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise QRTError(
                f"Unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                f"accepted options: {', '.join(sorted(known))}."
            )
        if data.get("backend_name") is None:
            data.pop("backend_name", None)
        return cls(**data).validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
