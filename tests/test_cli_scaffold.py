"""``qrt new``: the scaffolded program package is complete, passes its own tests, and runs as a job.

Installing is simulated the way qrt's tests fake every distribution: the project folder goes on
``PYTHONPATH`` with a ``*.dist-info`` carrying the entry points read from its ``pyproject.toml``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

from qrt_core.cli import ExitCode
from qrt_core.metadata import load_metadata_file
from qrt_core.testing import write_distribution


def _install_fake(project, site):
    """What ``pip install -e project`` leaves behind that qrt looks at: the entry points."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    write_distribution(site, pyproject["name"], version=pyproject["version"], entry_points=pyproject["entry-points"])
    return os.pathsep.join([str(project), str(site), os.environ.get("PYTHONPATH", "")])


def test_new_writes_a_complete_program_package(tmp_path, qrt_cli):
    result = qrt_cli("new", "my-prog", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr
    project = tmp_path / "my-prog"
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "my_prog/__init__.py",
        "my_prog/program.json",
        "my_prog/program.py",
        "pyproject.toml",
        "tests/test_program.py",
    ]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["qrt.programs"] == {"my-prog": "my_prog.program:main"}
    metadata = load_metadata_file(project / "my_prog" / "program.json")
    assert metadata.name == "my-prog" and metadata.parameters["properties"]["iterations"]["default"] == 3
    for path in project.rglob("*"):
        assert "{{" not in path.name and (path.is_dir() or "{{" not in path.read_text())
    assert "pip install -e" in result.stdout and "qrt run my-prog" in result.stdout


@pytest.mark.parametrize(
    ("name", "message"),
    [("9lives", "not a usable program name"), ("json", "already importable"), ("class", "Python keyword")],
)
def test_new_refuses_unusable_names(tmp_path, qrt_cli, name, message):
    result = qrt_cli("new", name, "--directory", str(tmp_path))
    assert result.returncode == ExitCode.INVALID
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / name).exists()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, qrt_cli):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = qrt_cli("new", "taken", "--directory", str(tmp_path))
    assert result.returncode == ExitCode.INVALID and "not empty" in result.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]


def test_scaffolded_program_passes_its_tests_and_runs_with_qrt_run(tmp_path, qrt_cli, qrt_home):
    assert qrt_cli("new", "scaffolded", "--directory", str(tmp_path)).returncode == 0
    project = tmp_path / "scaffolded"
    pythonpath = _install_fake(project, tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": pythonpath, "QRT_HOME": str(qrt_home)}

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", str(project), "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout

    run = qrt_cli("run", "scaffolded", "-i", "iterations=2", "-i", "shots=50", env={"PYTHONPATH": pythonpath})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Interim result 2" in run.stdout and "100 shots" in run.stdout
