"""Shared fixtures for qrt's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import write_programs

from qrt_core.plugins import PluginHost, reset_plugin_host
from qrt_core.testing import on_sys_path


@pytest.fixture(autouse=True)
def _isolated_qrt_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's ~/.qrt: every test gets its own QRT_HOME."""
    home = tmp_path_factory.mktemp("qrt-home")
    monkeypatch.setenv("QRT_HOME", str(home))
    return home


@pytest.fixture
def plugin_host() -> Iterator[PluginHost]:
    """A fresh process-wide plugin host for one test; the previous one is restored after."""
    host = PluginHost()
    old = reset_plugin_host(host)
    try:
        yield host
    finally:
        reset_plugin_host(old)


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The jobs tests' programs (tests/jobs_helpers.py), installed as fake distributions for one
    test module."""
    root = write_programs(tmp_path_factory.mktemp("programs"))
    with on_sys_path(root):
        yield root


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A job store folder shared by one test module."""
    return tmp_path_factory.mktemp("home")
