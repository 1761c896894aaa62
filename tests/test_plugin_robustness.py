"""Broken plugins next to good ones: a distribution whose import raises, one that registers a codec
tag, a codec type and a backend name already taken, and one blocked by ``QRT_DISABLE_PLUGINS``.
Each is reported by the service and by ``qrt plugins``; the good plugin and the built-ins keep
working, in this process, in job workers and on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from qrt_core import BackendNotFoundError, RuntimeDecoder, RuntimeEncoder, RuntimeService
from qrt_core.plugins import PluginHost, reset_plugin_host
from qrt_core.testing import on_sys_path, write_plugin, write_program

GOOD = """
from fractions import Fraction

from qrt_core import Codec, hookimpl


def _make_backend():
    from qiskit_aer import AerSimulator

    return AerSimulator()


@hookimpl
def qrt_register_codecs(register):
    register(Codec("qrtr.Fraction", Fraction, lambda f: [f.numerator, f.denominator], lambda v: Fraction(*v)))


@hookimpl
def qrt_register_backends(register):
    register("qrtr_good_backend", _make_backend, description="An ideal simulator from a third party")
"""

BROKEN = """
raise RuntimeError("qrtr: the device driver is missing")
"""

TAKEN = """
from qrt_core import Codec, hookimpl


class Marker:
    pass


@hookimpl
def qrt_register_codecs(register):
    # The tag "complex" and the type complex both belong to the built-in codecs.
    register(Codec("complex", Marker, lambda m: 0, lambda v: "hijacked tag"))
    register(Codec("qrtr.complex", complex, lambda c: "hijacked type", lambda v: v))


@hookimpl
def qrt_register_backends(register):
    register("aer_simulator", lambda: "hijacked backend")
    register("qrtr_taken_extra", lambda: "an extra backend", description="A free name, kept")
"""

BLOCKED = """
raise AssertionError("a plugin blocked by QRT_DISABLE_PLUGINS must never be imported")

from qrt_core import hookimpl


@hookimpl
def qrt_register_backends(register):
    register("qrtr_blocked_backend", object)
"""

PROGRAM = """
def main(backend, user_messenger, x):
    user_messenger.publish({"half": x / 2})
    return {"double": x * 2, "z": 1j, "backend": backend.name}
"""

PROGRAM_METADATA = {
    "description": "Doubles a Fraction.",
    "max_execution_time": 60,
    "spec": {"parameters": {"properties": {"x": {"description": "A Fraction"}}, "required": ["x"]}},
}

PLUGINS = {
    "qrtr-good": GOOD,
    "qrtr-broken": BROKEN,
    "qrtr-taken": TAKEN,
    "qrtr-blocked": BLOCKED,
}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The four plugin distributions and a program, on sys.path and PYTHONPATH (for workers and
    the command line), with ``qrtr-blocked`` disabled."""
    root = tmp_path / "site"
    for name, source in PLUGINS.items():
        write_plugin(root, name, source, module=name.replace("-", "_") + "_plugin")
    write_program(root, "qrtr-fractions", PROGRAM, PROGRAM_METADATA, package="qrtr_fractions")
    monkeypatch.setenv("QRT_DISABLE_PLUGINS", "qrtr-blocked")
    with on_sys_path(root):
        yield root
    for module in [m for m in sys.modules if m.startswith("qrtr_")]:
        del sys.modules[module]


@pytest.fixture
def host(site: Path) -> Iterator[PluginHost]:
    """A process-wide plugin host that sees the site (the encoder and decoder use it)."""
    host = PluginHost()
    old = reset_plugin_host(host)
    try:
        yield host
    finally:
        reset_plugin_host(old)


def problems_by_plugin(problems: list[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for problem in problems:
        found.setdefault(problem.plugin, []).append(problem)
    return found


def test_the_service_reports_each_problem_clearly(host: PluginHost) -> None:
    service = RuntimeService(plugin_host=host)
    problems = problems_by_plugin(service.plugin_problems())

    [broken] = problems["qrtr-broken"]
    assert broken.kind == "import"
    assert broken.distribution == "qrtr-broken-dist"
    assert "'qrtr-broken'" in broken.message and "qrtr-broken-dist" in broken.message
    assert "RuntimeError: qrtr: the device driver is missing" in broken.message

    taken = sorted(problems["qrtr-taken"], key=lambda p: p.message)
    assert [p.kind for p in taken] == ["duplicate"] * 3
    messages = "\n".join(p.message for p in taken)
    assert (
        "'qrtr-taken' registers backend 'aer_simulator', which plugin 'qrt.aer' already registered"
        in messages
    )
    assert (
        "'qrtr-taken' registers codec 'complex', which plugin 'qrt.codecs' already registered"
        in messages
    )
    assert (
        "'qrtr-taken' registers codec 'qrtr.complex', which plugin 'qrt.codecs' already registered"
        in messages
    )
    assert all("override=True" in p.message for p in taken)

    [blocked] = problems["qrtr-blocked"]
    assert blocked.kind == "disabled"
    assert "QRT_DISABLE_PLUGINS" in blocked.message
    assert "qrtr_blocked_plugin" not in sys.modules

    assert "qrtr-good" not in problems
    assert not [p for p in service.plugin_problems() if p.plugin.startswith("qrt.")]
    loaded = {info.name: info for info in service.plugins(include_builtins=False)}
    assert {"qrtr-good", "qrtr-taken"} <= set(loaded)
    assert not {"qrtr-broken", "qrtr-blocked"} & set(loaded)
    assert set(loaded["qrtr-good"].hooks) == {"qrt_register_codecs", "qrt_register_backends"}


def test_the_rest_keeps_working_in_this_process(host: PluginHost) -> None:
    service = RuntimeService(plugin_host=host)
    backends = {row["name"]: row["plugin"] for row in service.describe_backends()}
    assert backends["aer_simulator"] == "qrt.aer"
    assert backends["qrtr_good_backend"] == "qrtr-good"
    assert backends["qrtr_taken_extra"] == "qrtr-taken"  # its free name survives its taken one
    assert "qrtr_blocked_backend" not in backends
    assert service.backend("aer_simulator").name == "aer_simulator"
    assert service.backend("qrtr_good_backend").name == "aer_simulator"
    assert service.backend("qrtr_taken_extra") == "an extra backend"

    value = {"f": Fraction(1, 3), "z": 1j}
    text = json.dumps(value, cls=RuntimeEncoder)
    assert '"__type__": "complex"' in text and "hijacked" not in text
    assert json.loads(text, cls=RuntimeDecoder) == value


def test_jobs_run_with_the_good_plugin_despite_the_broken_ones(
    host: PluginHost, tmp_path: Path
) -> None:
    with RuntimeService(plugin_host=host, home=tmp_path / "home", max_workers=1) as service:
        job = service.run(
            "qrtr-fractions",
            inputs={"x": Fraction(1, 3)},
            options={"backend_name": "qrtr_good_backend"},
        )
        assert job.result(timeout=120) == {
            "double": Fraction(2, 3),
            "z": 1j,
            "backend": "aer_simulator",
        }
        assert job.backend_name == "qrtr_good_backend"
        assert job.interim_results() == [{"half": Fraction(1, 6)}]
        with pytest.raises(BackendNotFoundError, match="qrtr_blocked_backend"):
            service.run(
                "qrtr-fractions", inputs={"x": 1}, options={"backend_name": "qrtr_blocked_backend"}
            )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # A wide terminal, so that each problem stays on one line of the table.
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "qrt_core", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def line_with(output: str, *parts: str) -> str:
    lines = [line for line in output.splitlines() if all(part in line for part in parts)]
    assert lines, f"no line of the output has all of {parts}:\n{output}"
    return lines[0]


def test_qrt_plugins_lists_the_good_and_explains_the_bad(site: Path) -> None:
    result = run_cli("plugins")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output  # broken plugins are reported, not fatal
    assert "Traceback" not in output
    line_with(output, "qrtr-good", "qrtr-good-dist", "qrt_register_codecs")
    line_with(output, "qrtr-broken", "import", "RuntimeError: qrtr: the device driver is missing")
    line_with(output, "qrtr-taken", "duplicate", "backend 'aer_simulator'", "'qrt.aer'")
    line_with(output, "qrtr-taken", "duplicate", "codec 'complex'", "'qrt.codecs'")
    line_with(output, "qrtr-blocked", "disabled", "QRT_DISABLE_PLUGINS")


def test_qrt_plugins_json_carries_every_problem(site: Path) -> None:
    result = run_cli("plugins", "--all", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    plugins = {entry["name"]: entry for entry in report["plugins"]}
    assert {"qrt.aer", "qrt.codecs", "qrtr-good", "qrtr-taken"} <= set(plugins)
    assert plugins["qrt.aer"]["builtin"] and not plugins["qrtr-good"]["builtin"]
    assert plugins["qrtr-good"]["distribution"] == "qrtr-good-dist"
    assert not {"qrtr-broken", "qrtr-blocked"} & set(plugins)
    problems = problems_by_plugin_dicts(report["problems"])
    assert [p["kind"] for p in problems["qrtr-broken"]] == ["import"]
    assert "the device driver is missing" in problems["qrtr-broken"][0]["message"]
    assert problems["qrtr-broken"][0]["distribution"] == "qrtr-broken-dist"
    assert sorted(p["kind"] for p in problems["qrtr-taken"]) == ["duplicate"] * 3
    assert [p["kind"] for p in problems["qrtr-blocked"]] == ["disabled"]
    assert "qrtr-good" not in problems

    without_builtins = json.loads(run_cli("plugins", "--json").stdout)
    names = {entry["name"] for entry in without_builtins["plugins"]}
    assert "qrtr-good" in names and not any(name.startswith("qrt.") for name in names)
    assert problems_by_plugin_dicts(without_builtins["problems"]).keys() == problems.keys()


def problems_by_plugin_dicts(problems: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for problem in problems:
        found.setdefault(problem["plugin"], []).append(problem)
    return found
