"""Fixtures for the Ray executor's tests: a real local Ray instance per module, loopback only,
and small programs installed as fake distributions."""

from __future__ import annotations

import os

# Before Ray starts: every node binds 127.0.0.1 instead of the machine's network address.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from qrt_ray_testing import forget_dead_cluster, write_programs  # noqa: E402

from qrt_core.testing import on_sys_path  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_qrt_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test touches the user's ~/.qrt."""
    home = tmp_path_factory.mktemp("qrt-home")
    monkeypatch.setenv("QRT_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = write_programs(tmp_path_factory.mktemp("programs"))
    with on_sys_path(root):
        yield root


@pytest.fixture(scope="module")
def local_ray(programs: Path) -> Iterator[dict]:
    """One local Ray instance (2 CPUs) for the whole module; the executors join it."""
    import ray

    context = ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield {
            "address": context.address_info["address"],
            "node_id": ray.get_runtime_context().get_node_id(),
        }
    finally:
        ray.shutdown()
        forget_dead_cluster(context.address_info["address"])
