"""Job executors: what runs a queued job somewhere and reports its events back to the service.

See :mod:`qrt_core.executors.base` for the contract a third-party executor implements.
"""

from .base import Executor, JobSink, JobSpec

__all__ = ["Executor", "JobSink", "JobSpec"]
