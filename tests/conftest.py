"""Shared fixtures for qrt's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qrt_core.plugins import PluginHost, reset_plugin_host


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
