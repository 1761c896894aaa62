"""qrt's pytest plugin: its fixtures used directly here, and in a separate pytest run (pytester)
where the plugin is loaded through its ``pytest11`` entry point, as a program author gets it."""

from __future__ import annotations

import os
import textwrap

import pytest

from qrt_core import BackendNotFoundError, InputValidationError, ProgramNotFoundError
from qrt_core.plugins import get_plugin_host
from qrt_core.testing import on_sys_path, write_program

pytest_plugins = ["pytester"]

ECHO_SOURCE = """
import logging

def main(backend, user_messenger, x, z=None, fail=False):
    print("hello from echo")
    logging.getLogger("echo").warning("x is %s", x)
    for step in range(2):
        user_messenger.publish({"step": step})
    if fail:
        raise ValueError("echo was asked to fail")
    return {"x": x, "z": z, "backend": backend.name}
"""

ECHO_METADATA = {
    "spec": {
        "parameters": {
            "properties": {"x": {"type": "integer", "minimum": 0}, "z": {}, "fail": {"type": "boolean"}},
            "required": ["x"],
        }
    }
}

FINAL_SOURCE = """
def main(backend, user_messenger):
    user_messenger.publish("interim")
    user_messenger.publish({"answer": 42}, final=True)
"""


@pytest.fixture
def echo_programs(tmp_path):
    root = tmp_path / "site"
    write_program(root, "echo", ECHO_SOURCE, ECHO_METADATA, package="echo_pkg", module="echo")
    write_program(root, "final-pub", FINAL_SOURCE, {}, package="final_pkg", module="final")
    with on_sys_path(root):
        yield root


def test_run_program_by_name_round_trips_inputs_and_records_everything(echo_programs, run_program):
    run = run_program("echo", inputs={"x": 2, "z": 1 + 2j})
    assert run.inputs == {"x": 2, "z": 1 + 2j}
    assert run.result == {"x": 2, "z": 1 + 2j, "backend": "aer_simulator"}
    assert run.interim_results == [{"step": 0}, {"step": 1}]
    assert run.raw_interim_results == ['{"step": 0}', '{"step": 1}']
    assert "hello from echo" in run.logs and "WARNING:echo:x is 2" in run.logs
    assert run.program is not None and run.program.name == "echo"


def test_run_program_by_main_finds_its_schema(echo_programs, run_program):
    from echo_pkg.echo import main

    assert run_program(main, inputs={"x": 0}).result["x"] == 0
    with pytest.raises(InputValidationError) as info:
        run_program(main, inputs={"x": -1, "fail": "yes"})
    assert [path for path, _ in info.value.errors] == ["$.fail", "$.x"]


def test_a_parameter_namespace_is_accepted(echo_programs, run_program, qrt_service):
    params = qrt_service.program("echo").parameters()
    params.x = 4
    run = run_program("echo", params)
    assert run.inputs == {"x": 4} and run.result["x"] == 4


def test_a_local_main_runs_without_schema(run_program):
    def main(backend, user_messenger, **kwargs):
        user_messenger.publish(sorted(kwargs))
        return kwargs

    run = run_program(main, inputs={"b": {1, 2}, "a": (1, 2)})
    assert run.program is None
    assert run.result == {"b": {1, 2}, "a": [1, 2]}  # what the wire format makes of them
    assert run.interim_results == [["a", "b"]]


def test_a_final_publish_is_the_result_and_not_an_interim_result(echo_programs, run_program):
    run = run_program("final-pub")
    assert run.result == {"answer": 42}
    assert run.interim_results == ["interim"]


def test_backend_by_name_or_object_and_unknown(echo_programs, run_program, qrt_service):
    assert run_program("echo", {"x": 1}, backend="aer_simulator_statevector").result["backend"] == (
        "aer_simulator_statevector"
    )
    backend = qrt_service.backend("aer_simulator_stabilizer")
    assert run_program("echo", {"x": 1}, backend=backend).result["backend"] == "aer_simulator_stabilizer"
    with pytest.raises(BackendNotFoundError):
        run_program("echo", {"x": 1}, backend="no_such_backend")


def test_program_errors_propagate_and_unknown_programs_say_so(echo_programs, run_program):
    with pytest.raises(ValueError, match="asked to fail"):
        run_program("echo", {"x": 1, "fail": True})
    with pytest.raises(ProgramNotFoundError):
        run_program("ehco")


def test_custom_result_decoder(echo_programs, run_program):
    from qrt_core import ResultDecoder

    class XOnly(ResultDecoder):
        @classmethod
        def decode(cls, data):
            return super().decode(data)["x"]

    run = run_program("echo", {"x": 7}, decoder=XOnly, interim_decoder=ResultDecoder)
    assert run.result == 7 and run.interim_results == [{"step": 0}, {"step": 1}]


def test_the_sample_program_runs_like_a_job(run_program):
    run = run_program("sample-program", inputs={"iterations": 2})
    assert run.result == "All done!"
    assert [m["iteration"] for m in run.interim_results] == [0, 1]
    assert all(sum(m["counts"].values()) == 1024 for m in run.interim_results)


def test_qrt_home_and_service(qrt_home, qrt_service):
    assert os.environ["QRT_HOME"] == str(qrt_home)
    assert qrt_service.home == qrt_home
    assert list(qrt_home.iterdir()) == [] or all(p.name == "cache" for p in qrt_home.iterdir())


class _Backends:
    from qrt_core import hookimpl

    @hookimpl
    def qrt_register_backends(self, register):
        register("fixture_backend", lambda: None, description="registered by a test")


def test_qrt_plugin_registers_for_the_test(qrt_plugin, qrt_service):
    name = qrt_plugin(_Backends(), name="fixture-plugin")
    assert name == "fixture-plugin"
    assert "fixture_backend" in qrt_service.backends()
    assert "fixture-plugin" in [p.name for p in qrt_service.plugins()]


def test_qrt_plugin_left_nothing_behind():
    assert "fixture_backend" not in get_plugin_host().table("backends")
    assert "fixture-plugin" not in [p.name for p in get_plugin_host().plugins()]


AUTHOR_TESTS = """
import pytest
from qrt_core import hookimpl, InputValidationError
from qrt_core.plugins import get_plugin_host


def test_home(qrt_home):
    import os
    assert os.environ["QRT_HOME"] == str(qrt_home)


def test_by_name(run_program):
    run = run_program("echo", inputs={"x": 3})
    assert run.result["x"] == 3 and run.interim_results == [{"step": 0}, {"step": 1}]
    assert "hello from echo" in run.logs


def test_invalid(run_program):
    with pytest.raises(InputValidationError):
        run_program("echo", inputs={"x": -3})


class Plugin:
    @hookimpl
    def qrt_register_backends(self, register):
        register("author_backend", lambda: None)


def test_plugin_then_fail(qrt_plugin, qrt_service):
    qrt_plugin(Plugin(), name="author-plugin")
    assert "author_backend" in qrt_service.backends()
    assert False, "fails on purpose: the plugin must still be unregistered"


def test_plugin_gone():
    assert "author_backend" not in get_plugin_host().table("backends")
"""


def test_fixtures_reach_program_authors_through_the_entry_point(pytester, echo_programs):
    pytester.makepyfile(test_author=textwrap.dedent(AUTHOR_TESTS))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*fails on purpose*"])
