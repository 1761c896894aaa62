"""Connecting the service process to Ray: join the instance this process already uses, join a
cluster by address, or start a local instance that lives as long as the executor."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

__all__ = ["RayConnection"]

#: ``ray.init`` defaults: the workers' output belongs to the jobs (the runner captures it), not to
#: the service's terminal, and Ray's start-up chatter would clutter ``qrt run``'s output.
_INIT_DEFAULTS: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
#: ... and for an instance qrt starts itself, which nobody asked a dashboard of.
_LOCAL_DEFAULTS: dict[str, Any] = {**_INIT_DEFAULTS, "include_dashboard": False}


def _check_reachable(address: str) -> None:
    """Fail fast on a ``host:port`` nobody listens on: ``ray.init`` would retry for minutes."""
    target = address.split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return  # "local", "auto" and the like: ray.init answers quickly
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc.strerror or exc})") from None


class _Host:
    """A ``ray.init`` made by this module, on a thread that lives until the last user leaves."""

    def __init__(self, address: str, options: dict[str, Any]) -> None:
        self.users = 0
        self._address = address
        self._options = options
        self._up = threading.Event()
        self._release = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="qrt-ray-host", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._up.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    def _run(self) -> None:
        import ray

        try:
            _check_reachable(self._address)
            ray.init(address=self._address, **self._options)
        except BaseException as exc:  # noqa: BLE001 - raised again by start()
            self._error = exc
            self._up.set()
            return
        self._up.set()
        self._release.wait()
        ray.shutdown()

    def stop(self) -> None:
        self._release.set()
        self._thread.join()


_hosts_lock = threading.Lock()
_host: _Host | None = None


class RayConnection:
    """One executor's use of this process's link to Ray.

    ``address=None`` starts a new local Ray instance sized to the machine (unless
    ``$RAY_ADDRESS`` names a cluster); ``"auto"`` or ``"host:port"`` / ``"ray://..."`` joins one.
    When this process is already connected, that connection is shared: one this module made is
    closed when its last user closes; one made by someone else (``ray.init`` in user code) is left
    alone.

    Ray's node processes are started with a parent-death signal tied to the *thread* that started
    them, so ``ray.init`` runs on a thread of its own that stays alive until the connection is
    closed; run from a short-lived caller thread, it would take a local instance down with it.
    """

    def __init__(self, address: str | None = None, **init_options: Any) -> None:
        self.address = address
        self.init_options = init_options
        self._host: _Host | None = None

    def open(self) -> None:
        """Connect (blocks until Ray is usable); raises what ``ray.init`` raised."""
        import ray

        global _host
        with _hosts_lock:
            if self._host is not None:
                return
            if ray.is_initialized():
                if _host is not None:
                    _host.users += 1
                    self._host = _host
                return
            address = self.address or os.environ.get("RAY_ADDRESS") or "local"
            defaults = _LOCAL_DEFAULTS if address == "local" else _INIT_DEFAULTS
            host = _Host(address, {**defaults, **self.init_options})
            host.start()
            host.users = 1
            _host = self._host = host

    def close(self) -> None:
        """Leave the connection; the last user of one this module made shuts it down."""
        global _host
        with _hosts_lock:
            host, self._host = self._host, None
            if host is None:
                return
            host.users -= 1
            if host.users > 0:
                return
            if _host is host:
                _host = None
            host.stop()  # under the lock: nobody may join an instance that is going away
