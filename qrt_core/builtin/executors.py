"""Built-in plugin: the local executors, ``process`` (warm worker processes, the default) and
``inline`` (threads of the calling process, for debugging)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hookspecs import hookimpl


def _process(sink: Any, **options: Any) -> Any:
    from ..executors.process import ProcessExecutor

    return ProcessExecutor(sink, **options)


def _inline(sink: Any, **options: Any) -> Any:
    from ..executors.inline import InlineExecutor

    return InlineExecutor(sink, **options)


@hookimpl
def qrt_register_executors(register: Callable[..., None]) -> None:
    register("process", _process, description="Warm worker processes, one job each at a time (isolated)")
    register("inline", _inline, description="Threads of the calling process, for debugging (not isolated)")
