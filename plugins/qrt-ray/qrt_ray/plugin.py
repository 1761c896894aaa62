"""The qrt plugin: registers the ``ray`` executor. Ray itself is imported only when a service
actually uses the executor, so listing plugins stays fast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qrt_core import hookimpl

__all__ = ["qrt_register_executors"]


def _ray_executor(sink: Any, **options: Any) -> Any:
    from .executor import RayExecutor

    return RayExecutor(sink, **options)


@hookimpl
def qrt_register_executors(register: Callable[..., None]) -> None:
    register(
        "ray",
        _ray_executor,
        description="Ray tasks on a local Ray instance or a cluster (executor_options: address, runtime_env, ...)",
    )
