"""qrt-ray: run qrt jobs on a Ray cluster (``RuntimeService(executor="ray")``).

:class:`RayExecutor` is imported on first use, so importing this package does not import Ray.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RayExecutor"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "RayExecutor":
        from .executor import RayExecutor

        return RayExecutor
    raise AttributeError(f"module 'qrt_ray' has no attribute {name!r}")
