"""The ``qrt`` commands that show what is installed (programs, program, backends, plugins,
--version, --help), run as real child processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from qrt_core import __version__
from qrt_core.cli import ExitCode
from qrt_core.testing import on_sys_path, write_plugin, write_program

GOOD_METADATA = {
    "description": "Adds two numbers.",
    "max_execution_time": 42,
    "version": "2.5.0",
    "spec": {
        "parameters": {
            "properties": {
                "a": {"type": "integer", "minimum": 0, "description": "First addend."},
                "b": {"type": "integer", "default": 1, "description": "Second addend."},
            },
            "required": ["a"],
        },
        "interim_results": {"properties": {"partial": {"type": "integer", "description": "So far."}}},
        "return_values": {"type": "integer", "description": "The sum."},
    },
}

PLUGIN_SOURCE = """
from qrt_core import hookimpl

@hookimpl
def qrt_register_backends(register):
    register("cli_test_backend", lambda: None, description="A backend for the CLI tests")
"""


@pytest.fixture
def installed(tmp_path):
    """A good program, a program without metadata, a plugin, and a plugin that fails to import."""
    root = tmp_path / "site"
    write_program(root, "adder", "def main(backend, user_messenger, a, b=1):\n    return a + b\n", GOOD_METADATA)
    write_program(root, "no-metadata", "def main(backend, user_messenger):\n    pass\n", None)
    write_plugin(root, "cli-test-plugin", PLUGIN_SOURCE, dist="qrt-cli-test-plugin", version="3.1.4")
    write_plugin(root, "cli-broken-plugin", "raise ImportError('this plugin is broken on purpose')\n")
    with on_sys_path(root):
        yield root


def test_help_lists_every_command_and_the_exit_codes(qrt_cli):
    result = qrt_cli("--help")
    assert result.returncode == 0
    for command in ("programs", "program", "run", "jobs", "job", "logs", "cancel", "backends", "plugins", "new"):
        assert f"  {command} " in result.stdout
    assert "3 job cancelled" in result.stdout


@pytest.mark.parametrize(
    "args", [["--help"], ["programs"], ["plugins", "--all"], ["program", "sample-program"], ["backends"]]
)
def test_listing_commands_do_not_import_qiskit(args, installed, qrt_home):
    probe = textwrap.dedent(
        """
        import sys
        from qrt_core.cli import main
        code = main(sys.argv[1:])
        heavy = sorted(m for m in ("qiskit", "qiskit_aer") if m in sys.modules)
        sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
        sys.exit(code)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY=\n" in result.stderr


def test_programs_lists_good_and_broken_programs(installed, qrt_cli):
    result = qrt_cli("programs")
    assert result.returncode == 0, result.stderr
    adder_line = next(line for line in result.stdout.splitlines() if "adder" in line)
    assert "2.5.0" in adder_line and "Adds two numbers." in adder_line and "42s" in adder_line
    broken = result.stdout[result.stdout.index("Broken programs") :]
    assert "no-metadata" in broken and "no metadata file" in broken


def test_programs_json(installed, qrt_cli):
    result = qrt_cli("programs", "--json")
    data = json.loads(result.stdout)
    adder = next(p for p in data["programs"] if p["name"] == "adder")
    assert adder == {
        "name": "adder",
        "version": "2.5.0",
        "description": "Adds two numbers.",
        "max_execution_time": 42,
        "distribution": "adder-dist",
    }
    assert [b["name"] for b in data["broken"]] == ["no-metadata"]


def test_program_shows_parameters_interim_results_and_returns(installed, qrt_cli):
    result = qrt_cli("program", "adder")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    row_a = next(line for line in out.splitlines() if "First addend" in line)
    assert "integer" in row_a and "yes" in row_a and ">= 0" in row_a
    row_b = next(line for line in out.splitlines() if "Second addend" in line)
    assert "no" in row_b and row_b.rstrip(" │").endswith("1")
    assert out.index("Interim results") < out.index("So far.") < out.index("Returns") < out.index("The sum.")


def test_program_json_is_the_full_metadata(installed, qrt_cli):
    data = json.loads(qrt_cli("program", "adder", "--json").stdout)
    assert data["spec"]["parameters"]["required"] == ["a"]
    assert data["max_execution_time"] == 42


def test_unknown_program_is_one_sentence_and_exit_code_4(installed, qrt_cli):
    result = qrt_cli("program", "addr")
    assert result.returncode == ExitCode.NOT_FOUND
    assert result.stderr.startswith("Error: No program named 'addr' is installed. Installed programs: adder")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(installed, qrt_cli):
    result = qrt_cli("--debug", "program", "addr")
    assert result.returncode == ExitCode.NOT_FOUND
    assert "Traceback (most recent call last)" in result.stderr


def test_usage_errors_exit_2(qrt_cli):
    assert qrt_cli("no-such-command").returncode == ExitCode.INVALID
    assert qrt_cli("run").returncode == ExitCode.INVALID
    assert qrt_cli("jobs", "--limit", "0").returncode == ExitCode.INVALID


def test_backends(installed, qrt_cli):
    text = qrt_cli("backends").stdout
    assert "aer_simulator " in text and "cli_test_backend" in text
    data = json.loads(qrt_cli("backends", "--json").stdout)
    assert {"name": "cli_test_backend", "description": "A backend for the CLI tests", "plugin": "cli-test-plugin"} in data


def test_plugins_shows_distribution_version_hooks_and_problems(installed, qrt_cli):
    result = qrt_cli("plugins")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "cli-test-plugin" in line)
    assert "qrt-cli-test-plugin" in line and "3.1.4" in line and "qrt_register_backends" in line
    assert "qrt.aer" not in result.stdout  # built-ins only with --all
    problems = result.stdout[result.stdout.index("Plugin problems") :]
    assert "cli-broken-plugin" in problems and "broken on purpose" in problems

    everything = qrt_cli("plugins", "--all").stdout
    assert "qrt.aer (built-in)" in everything

    data = json.loads(qrt_cli("plugins", "--all", "--json").stdout)
    names = {p["name"]: p for p in data["plugins"]}
    assert names["cli-test-plugin"]["version"] == "3.1.4" and not names["cli-test-plugin"]["builtin"]
    assert names["qrt.aer"]["builtin"]
    assert any(p["plugin"] == "cli-broken-plugin" and p["kind"] == "import" for p in data["problems"])


def test_version_names_qrt_and_its_plugins(installed, qrt_cli):
    result = qrt_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"qrt {__version__}")
    assert "plugin cli-test-plugin: qrt-cli-test-plugin 3.1.4" in result.stdout
