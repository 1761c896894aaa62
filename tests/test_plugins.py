"""The plugin host: built-ins through the public hooks, entry-point plugins, and failures that
stay contained to the plugin that caused them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qrt_core import BackendNotFoundError, PluginError, RuntimeService, hookimpl
from qrt_core.builtin.aer import AER_BACKENDS
from qrt_core.plugins import BUILTIN_PLUGINS, PluginHost
from qrt_core.testing import on_sys_path, write_plugin

GOOD_BACKEND_PLUGIN = """
from qrt_core import hookimpl

class Toy:
    name = "toy"
    num_qubits = 3

@hookimpl
def qrt_register_backends(register):
    register("qrtt_toy", Toy, description="A toy backend")
"""


class ExtraBackends:
    """A plugin object registered at run time."""

    def __init__(self, name: str, override: bool = False):
        self.name = name
        self.override = override

    @hookimpl
    def qrt_register_backends(self, register):
        register(self.name, lambda: f"instance of {self.name}", description="extra", override=self.override)


def test_builtins_are_plugins_registered_through_the_hooks(plugin_host):
    infos = {info.name: info for info in plugin_host.plugins()}
    assert set(BUILTIN_PLUGINS) <= set(infos)
    assert infos["qrt.aer"].builtin
    assert infos["qrt.aer"].hooks == ("qrt_register_backends",)
    assert plugin_host.plugins(include_builtins=False) == [
        info for info in infos.values() if not info.builtin
    ]
    backends = plugin_host.table("backends")
    assert backends["aer_simulator"].plugin == "qrt.aer"


def test_aer_backend_names_match_the_installed_provider():
    from qiskit_aer import AerProvider

    assert {b.name for b in AerProvider().backends()} == set(AER_BACKENDS)


def test_backends_are_created_only_when_asked_for(plugin_host):
    service = RuntimeService(plugin_host=plugin_host)
    assert "aer_simulator" in service.backends()
    assert "qasm_simulator" in service.backends()
    backend = service.backend("aer_simulator")
    assert backend.name == "aer_simulator"
    assert service.backend("aer_simulator") is not backend
    with pytest.raises(BackendNotFoundError) as info:
        service.backend("aer_simulatr")
    assert info.value.available[0] == "aer_simulator"


def test_a_plugin_registered_in_a_fixture_is_visible_then_gone(plugin_host):
    generation = plugin_host.generation
    assert "qrtt_extra" not in plugin_host.table("backends")
    name = plugin_host.register(ExtraBackends("qrtt_extra"), name="qrtt-extra")
    try:
        assert plugin_host.table("backends")["qrtt_extra"].plugin == "qrtt-extra"
        assert plugin_host.generation > generation
        assert RuntimeService(plugin_host=plugin_host).backend("qrtt_extra") == "instance of qrtt_extra"
        with pytest.raises(PluginError, match="already registered"):
            plugin_host.register(ExtraBackends("other"), name="qrtt-extra")
    finally:
        plugin_host.unregister(name)
    assert "qrtt_extra" not in plugin_host.table("backends")


def test_a_duplicate_name_names_both_plugins_and_override_replaces(plugin_host):
    plugin_host.register(ExtraBackends("aer_simulator"), name="qrtt-dup")
    problems = [p for p in plugin_host.problems() if p.plugin == "qrtt-dup"]
    assert len(problems) == 1 and problems[0].kind == "duplicate"
    assert "'qrtt-dup' registers backend 'aer_simulator', which plugin 'qrt.aer' already registered" in problems[0].message
    assert plugin_host.table("backends")["aer_simulator"].plugin == "qrt.aer"
    plugin_host.unregister("qrtt-dup")

    plugin_host.register(ExtraBackends("aer_simulator", override=True), name="qrtt-override")
    assert plugin_host.table("backends")["aer_simulator"].plugin == "qrtt-override"
    assert not [p for p in plugin_host.problems() if p.plugin == "qrtt-override"]


def test_a_hook_that_raises_loses_only_its_own_entries(plugin_host):
    class Raising:
        @hookimpl
        def qrt_register_backends(self, register):
            register("qrtt_before_raise", object)
            raise RuntimeError("cannot talk to the device")

    plugin_host.register(Raising(), name="qrtt-raising")
    table = plugin_host.table("backends")
    assert "aer_simulator" in table
    problem = next(p for p in plugin_host.problems() if p.plugin == "qrtt-raising")
    assert problem.kind == "hook"
    assert "RuntimeError: cannot talk to the device" in problem.message


def test_entry_point_plugins_broken_blocked_and_good(tmp_path, monkeypatch):
    write_plugin(tmp_path, "qrtt-good", GOOD_BACKEND_PLUGIN, module="qrtt_good_plugin")
    write_plugin(tmp_path, "qrtt-broken", "import qrtt_not_a_module\n", module="qrtt_broken_plugin")
    write_plugin(tmp_path, "qrtt-blocked", GOOD_BACKEND_PLUGIN.replace("qrtt_toy", "qrtt_blocked"),
                 module="qrtt_blocked_plugin")
    monkeypatch.setenv("QRT_DISABLE_PLUGINS", "qrtt-blocked, something-else")
    with on_sys_path(tmp_path, pythonpath=False):
        host = PluginHost()
        infos = {info.name: info for info in host.plugins()}
        problems = {p.plugin: p for p in host.problems()}
        backends = host.table("backends")
    assert infos["qrtt-good"].distribution == "qrtt-good-dist"
    assert infos["qrtt-good"].version == "1.0.0"
    assert not infos["qrtt-good"].builtin
    assert "qrtt_toy" in backends and "aer_simulator" in backends
    assert "qrtt_blocked" not in backends
    assert problems["qrtt-broken"].kind == "import"
    assert "No module named 'qrtt_not_a_module'" in problems["qrtt-broken"].message
    assert problems["qrtt-broken"].distribution == "qrtt-broken-dist"
    assert problems["qrtt-blocked"].kind == "disabled"
    assert "QRT_DISABLE_PLUGINS" in problems["qrtt-blocked"].message
    for name in ("qrtt_good_plugin",):
        sys.modules.pop(name, None)


def test_builtins_can_be_disabled_too(monkeypatch):
    monkeypatch.setenv("QRT_DISABLE_PLUGINS", "qrt.aer")
    host = PluginHost()
    assert "aer_simulator" not in host.table("backends")
    with pytest.raises(BackendNotFoundError):
        RuntimeService(plugin_host=host).backend("aer_simulator")


def test_importing_qrt_core_is_light_and_loads_no_plugins():
    code = (
        "import sys, qrt_core, qrt_core.plugins as p;"
        "print(sorted(m for m in ('qiskit', 'qiskit_aer', 'numpy', 'pluggy_loaded') if m in sys.modules));"
        "print(p._HOST is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"]
