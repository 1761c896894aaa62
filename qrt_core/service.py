"""``RuntimeService``: the one object users talk to — installed programs, backends, plugins, and
jobs (run, retrieve, list, delete). Job machinery starts only when a job is touched."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backends import backend_names, describe_backends, get_backend
from .exceptions import PluginError, ProgramNotFoundError
from .metadata_cache import MetadataCache
from .plugins import PluginHost, PluginInfo, PluginProblem, get_plugin_host
from .program import RuntimeProgram
from .programs import BrokenProgram, ProgramCatalog, discover_programs

if TYPE_CHECKING:  # pragma: no cover
    from .jobs.job import RuntimeJob
    from .jobs.manager import JobManager

__all__ = ["RuntimeService", "default_home"]

HOME_ENV = "QRT_HOME"


def default_home() -> Path:
    """``$QRT_HOME``, or ``~/.qrt``: where the job store lives."""
    raw = os.environ.get(HOME_ENV)
    return Path(raw).expanduser() if raw else Path.home() / ".qrt"


class RuntimeService:
    """Programs, backends and jobs, in the shape of IBM's runtime service.

    ``RuntimeService(home=None, executor="process", executor_options=None, max_workers=None,
    worker_memory_limit=None, plugin_host=None)``. Listing programs or backends opens no store and
    starts no worker; the first job-related call does. Use it as a context manager (or call
    :meth:`close`) to shut the workers down.
    """

    def __init__(
        self,
        *,
        home: str | os.PathLike[str] | None = None,
        executor: str = "process",
        executor_options: dict[str, Any] | None = None,
        max_workers: int | None = None,
        worker_memory_limit: int | str | None = None,
        plugin_host: PluginHost | None = None,
    ) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.executor_name = executor
        self.executor_options = dict(executor_options or {})
        self.max_workers = max_workers
        self.worker_memory_limit = worker_memory_limit
        self._host = plugin_host
        self._catalog: ProgramCatalog | None = None
        self._metadata_cache: MetadataCache | None = None
        self._jobs: JobManager | None = None
        self._lock = threading.RLock()
        self._closed = False

    # -- plugins -----------------------------------------------------------------------------

    @property
    def plugin_host(self) -> PluginHost:
        return self._host if self._host is not None else get_plugin_host()

    def plugins(self, *, include_builtins: bool = True) -> list[PluginInfo]:
        """Loaded plugins with their distribution, version and the hooks they implement."""
        return self.plugin_host.plugins(include_builtins=include_builtins)

    def plugin_problems(self) -> list[PluginProblem]:
        """Plugins that failed to load, raised in a hook, or registered a name already taken."""
        return self.plugin_host.problems()

    # -- programs ----------------------------------------------------------------------------

    def _programs_catalog(self, refresh: bool = False) -> ProgramCatalog:
        with self._lock:
            if self._catalog is None or refresh:
                if self._metadata_cache is None:
                    self._metadata_cache = MetadataCache(self.home / "cache")
                self._catalog = discover_programs(self._metadata_cache)
            return self._catalog

    def programs(self, refresh: bool = False, limit: int | None = None, skip: int = 0) -> list[RuntimeProgram]:
        """Installed programs, sorted by name (broken ones are in :meth:`broken_programs`)."""
        programs = list(self._programs_catalog(refresh).programs.values())[skip:]
        return programs if limit is None else programs[:limit]

    def broken_programs(self, refresh: bool = False) -> list[BrokenProgram]:
        """Registered programs that cannot be used, each with the reason."""
        return list(self._programs_catalog(refresh).broken)

    def program(self, program_id: str, refresh: bool = False) -> RuntimeProgram:
        """One program by name; :class:`ProgramNotFoundError` lists the names that exist."""
        try:
            return self._programs_catalog(refresh).get(program_id)
        except ProgramNotFoundError:
            if refresh:
                raise
            return self._programs_catalog(True).get(program_id)  # installed since the last scan?

    def pprint_programs(self, refresh: bool = False, detailed: bool = False, limit: int = 20, skip: int = 0) -> None:
        """Print the programs: names and descriptions, or everything with ``detailed=True``."""
        for program in self.programs(refresh=refresh, limit=limit, skip=skip):
            if detailed:
                print(str(program))
            else:
                print(f"{program.program_id}:\n  Name: {program.name}\n  Description: {program.description}")

    # -- backends ----------------------------------------------------------------------------

    def backends(self) -> list[str]:
        """Names of the available backends. Constructs none of them."""
        return backend_names(self.plugin_host)

    def describe_backends(self) -> list[dict[str, Any]]:
        return describe_backends(self.plugin_host)

    def backend(self, name: str = "aer_simulator") -> Any:
        """A new instance of the named backend (:class:`BackendNotFoundError` lists the names)."""
        return get_backend(name, self.plugin_host)

    # -- result decoders ---------------------------------------------------------------------

    def result_decoders(self) -> list[str]:
        return sorted(self.plugin_host.table("result_decoders"))

    def result_decoder(self, name: str) -> type:
        """The :class:`ResultDecoder` class registered under ``name``."""
        table = self.plugin_host.table("result_decoders")
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise PluginError(f"No result decoder named {name!r}. Registered decoders: {known}.")
        return table[name].value

    # -- jobs (delegated to the job manager, created on first use) -------------------------------

    @property
    def job_manager(self) -> JobManager:
        with self._lock:
            if self._closed:
                from .exceptions import RuntimeInvalidStateError

                raise RuntimeInvalidStateError("This RuntimeService is closed; create a new one.")
            if self._jobs is None:
                from .jobs.manager import JobManager

                self._jobs = JobManager(
                    self,
                    home=self.home,
                    executor=self.executor_name,
                    executor_options=self.executor_options,
                    max_workers=self.max_workers,
                    worker_memory_limit=self.worker_memory_limit,
                )
            return self._jobs

    def run(
        self,
        program_id: str,
        inputs: Any = None,
        options: Any = None,
        callback: Any = None,
        result_decoder: Any = None,
    ) -> RuntimeJob:
        """Validate and queue a job; returns its :class:`RuntimeJob` at once."""
        return self.job_manager.run(
            program_id, inputs=inputs, options=options, callback=callback, result_decoder=result_decoder
        )

    def job(self, job_id: str) -> RuntimeJob:
        """A job from the store, by id (from any process)."""
        return self.job_manager.job(job_id)

    def jobs(
        self,
        limit: int | None = 10,
        skip: int = 0,
        pending: bool | None = None,
        program_id: str | None = None,
        status: Any = None,
        created_after: Any = None,
        created_before: Any = None,
        descending: bool = True,
    ) -> list[RuntimeJob]:
        """Jobs from the store, newest first by default."""
        return self.job_manager.jobs(
            limit=limit,
            skip=skip,
            pending=pending,
            program_id=program_id,
            status=status,
            created_after=created_after,
            created_before=created_before,
            descending=descending,
        )

    def delete_job(self, job_id: str) -> None:
        """Remove a finished job and everything stored about it."""
        self.job_manager.delete_job(job_id)

    def close(self, wait: bool = True) -> None:
        """Shut the workers down (see the jobs guide for what happens to unfinished jobs)."""
        with self._lock:
            manager, self._jobs = self._jobs, None
            self._closed = True
        if manager is not None:
            manager.close(wait=wait)

    def __enter__(self) -> RuntimeService:
        return self

    def __exit__(self, exc_type: Any, *exc_info: Any) -> None:
        # Ctrl-C inside the block means "stop": cancel what is unfinished instead of waiting.
        self.close(wait=exc_type is None or not issubclass(exc_type, KeyboardInterrupt))

    def __repr__(self) -> str:
        return f"<RuntimeService home={str(self.home)!r} executor={self.executor_name!r}>"
