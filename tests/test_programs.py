"""Program discovery through real entry points, without importing program modules."""

from __future__ import annotations

import sys

import pytest

from qrt_core import (
    InputValidationError,
    ProgramLoadError,
    ProgramNotFoundError,
    RuntimeService,
)
from qrt_core.testing import on_sys_path, write_distribution, write_program

MAIN = """
def main(backend, user_messenger, **kwargs):
    return kwargs
"""

V2 = {
    "description": "A test program.",
    "max_execution_time": 60,
    "spec": {
        "backend_requirements": {"min_num_qubits": 2},
        "parameters": {
            "properties": {
                "shots": {"type": "integer", "minimum": 1, "description": "Shots per circuit."},
                "label": {"type": "string"},
            },
            "required": ["shots"],
        },
    },
}


@pytest.fixture
def site(tmp_path):
    """A folder on sys.path for fake distributions, removed after the test."""
    root = tmp_path / "site"
    root.mkdir()
    with on_sys_path(root, pythonpath=False):
        yield root
    for name in [m for m in sys.modules if m.startswith("qrtt_")]:
        del sys.modules[name]


def scan():
    service = RuntimeService()
    return {p.name: p for p in service.programs()}, {b.name: b for b in service.broken_programs()}


def test_installed_sample_program_is_listed():
    programs, _ = scan()
    program = programs["sample-program"]
    assert program.distribution == "qrt-sample-program"
    assert program.entry_point == "sample_program.sample_program:main"
    assert program.max_execution_time == 300
    assert program.backend_requirements == {"min_num_qubits": 5}


def test_good_and_broken_programs_are_listed_apart(site):
    write_program(site, "qrtt-good", MAIN, V2, package="qrtt_good")
    write_program(site, "qrtt-v1", MAIN, {"parameters": [{"name": "n", "type": "int", "required": True}]},
                  package="qrtt_v1", metadata_filename="qrtt_v1_metadata.json")
    write_program(site, "qrtt-nometa", MAIN, None, package="qrtt_nometa")
    write_program(site, "qrtt-notjson", MAIN, "{oops", package="qrtt_notjson")
    write_program(site, "qrtt-invalid", MAIN, {"max_execution_time": -3}, package="qrtt_invalid")
    write_program(site, "qrtt-misnamed", MAIN, '{"name": "something-else"}', package="qrtt_misnamed")
    write_distribution(site, "qrtt-ghost-dist", entry_points={"qrt.programs": {"qrtt-ghost": "qrtt_ghost.mod:main"}})

    programs, broken = scan()
    assert {"qrtt-good", "qrtt-v1", "sample-program"} <= set(programs)
    assert programs["qrtt-v1"].metadata.format == "v1"
    assert programs["qrtt-v1"].parameters().metadata["required"] == ["n"]
    assert "no metadata file (qrtt_nometa.json or qrtt_nometa_metadata.json)" in broken["qrtt-nometa"].reason
    assert "not valid JSON" in broken["qrtt-notjson"].reason
    assert "$.max_execution_time: must be a positive integer" in broken["qrtt-invalid"].reason
    assert "'something-else'" in broken["qrtt-misnamed"].reason
    assert "does not match the entry point name 'qrtt-misnamed'" in broken["qrtt-misnamed"].reason
    assert "'qrtt_ghost' cannot be found" in broken["qrtt-ghost"].reason
    assert broken["qrtt-ghost"].distribution == "qrtt-ghost-dist"
    with pytest.raises(ProgramNotFoundError, match="installed but broken: .*not valid JSON"):
        RuntimeService().program("qrtt-notjson")


def test_listing_does_not_import_program_modules(site):
    marker = site / "imported.txt"
    side_effect = f"open({str(marker)!r}, 'a').write('imported')\n"
    write_program(site, "qrtt-sidefx", side_effect + MAIN, V2, package="qrtt_sidefx",
                  package_init=side_effect)
    programs, broken = scan()
    assert "qrtt-sidefx" in programs, broken
    assert not marker.exists()
    assert "qrtt_sidefx" not in sys.modules and "qrtt_sidefx.qrtt_sidefx" not in sys.modules
    main = programs["qrtt-sidefx"].load_main()  # loading to run does import it
    assert main(None, None, a=1) == {"a": 1}
    assert marker.read_text() == "importedimported"


def test_a_program_in_a_package_init(site):
    write_distribution(
        site,
        "qrtt-pkg-dist",
        files={"qrtt_pkg/__init__.py": MAIN, "qrtt_pkg/qrtt_pkg.json": '{"name": "qrtt-pkg"}'},
        entry_points={"qrt.programs": {"qrtt-pkg": "qrtt_pkg:main"}},
    )
    programs, broken = scan()
    assert programs["qrtt-pkg"].version == "1.0.0", broken  # the distribution's version


def test_two_distributions_with_the_same_program_name(site):
    write_program(site, "qrtt-twice", MAIN, V2, package="qrtt_twice_a")
    write_distribution(
        site, "qrtt-twice-other",
        files={"qrtt_twice_b/__init__.py": "", "qrtt_twice_b/m.py": MAIN, "qrtt_twice_b/m.json": '{"name": "qrtt-twice"}'},
        entry_points={"qrt.programs": {"qrtt-twice": "qrtt_twice_b.m:main"}},
    )
    programs, broken = scan()
    assert "qrtt-twice" in programs
    assert "also provided by" in broken["qrtt-twice"].reason


def test_unknown_program_lists_names_closest_first(site):
    write_program(site, "qrtt-alpha", MAIN, V2, package="qrtt_alpha")
    with pytest.raises(ProgramNotFoundError) as info:
        RuntimeService().program("sample-progam")
    assert info.value.available[0] == "sample-program"
    assert "qrtt-alpha" in info.value.available
    assert "No program named 'sample-progam'" in str(info.value)


def test_runtime_program_mirrors_ibm(site):
    write_program(site, "qrtt-full", MAIN, {**V2, "version": "2.1"}, package="qrtt_full")
    program = RuntimeService().program("qrtt-full")
    assert program.program_id == program.name == "qrtt-full"
    assert program.version == "2.1"
    assert program.distribution_version == "1.0.0"
    assert program.is_public is True
    assert program.description == "A test program."
    data = program.to_dict()
    assert data["spec"]["parameters"]["required"] == ["shots"]
    assert data["distribution"] == "qrtt-full-dist"
    text = str(program)
    assert text.splitlines()[0] == "qrtt-full:"
    assert "  Max execution time: 60" in text
    assert "    - min_num_qubits: 2" in text
    assert "        - shots:" in text and "Required: True" in text
    assert "  Returns:\n    none" in text


def test_parameter_namespace_validates_the_whole_schema(site):
    write_program(site, "qrtt-params", MAIN, V2, package="qrtt_params")
    ns = RuntimeService().program("qrtt-params").parameters()
    assert ns.shots is None and ns.label is None
    with pytest.raises(AttributeError, match="parameters are: label, shots"):
        ns.nope  # noqa: B018
    with pytest.raises(InputValidationError, match=r"\$\.shots: is required"):
        ns.validate()
    ns.shots = 0
    ns.label = 5
    with pytest.raises(InputValidationError) as info:
        ns.validate()
    assert dict(info.value.errors) == {
        "$.label": "5 is not of type 'string'",
        "$.shots": "0 is less than the minimum of 1",
    }
    ns.shots, ns.label = 10, "ok"
    ns.validate()
    assert ns.to_inputs() == {"shots": 10, "label": "ok"}
    table = str(ns)
    assert "shots" in table and "Shots per circuit." in table and "| True" in table


def test_main_signature_is_checked_when_loaded(site):
    write_program(site, "qrtt-badsig", "def main(backend):\n    return 1\n", V2, package="qrtt_badsig")
    write_program(site, "qrtt-boom", "raise RuntimeError('broken at import')\n" + MAIN, V2, package="qrtt_boom")
    service = RuntimeService()
    with pytest.raises(ProgramLoadError, match="first two positional parameters"):
        service.program("qrtt-badsig").load_main()
    with pytest.raises(ProgramLoadError, match="RuntimeError: broken at import"):
        service.program("qrtt-boom").load_main()


def test_listing_programs_does_not_import_qiskit():
    import subprocess

    code = (
        "import sys; from qrt_core import RuntimeService; s = RuntimeService();"
        "names = [p.name for p in s.programs()]; assert 'sample-program' in names, names;"
        "heavy = [m for m in ('qiskit', 'qiskit_aer', 'numpy', 'sample_program.sample_program') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_metadata_verdicts_are_cached_on_disk_and_follow_edits(site, tmp_path):
    import json
    import os

    from qrt_core.metadata_cache import CACHE_FILE, MetadataCache
    from qrt_core.programs import discover_programs

    write_program(site, "qrtt-cached", MAIN, V2, package="qrtt_cached")
    meta_file = site / "qrtt_cached" / "qrtt_cached.json"
    cache_dir = tmp_path / "cache"
    first = discover_programs(MetadataCache(cache_dir))
    assert "qrtt-cached" in first.programs
    saved = json.loads((cache_dir / CACHE_FILE).read_text())
    assert str(meta_file) in saved["entries"]

    # A new process (a new cache object) reads the verdict back and gets the same program.
    again = discover_programs(MetadataCache(cache_dir)).programs["qrtt-cached"]
    assert again.parameters().metadata == first.programs["qrtt-cached"].parameters().metadata

    # Editing the file invalidates the verdict, even within the same second.
    broken = dict(V2, spec={"parameters": {"type": "nonsense"}})
    meta_file.write_text(json.dumps({"name": "qrtt-cached", **broken}))
    stat = meta_file.stat()
    os.utime(meta_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    for _ in range(2):  # the error verdict is cached too, and reported the same way
        catalog = discover_programs(MetadataCache(cache_dir))
        reasons = {b.name: b.reason for b in catalog.broken}
        assert "$.spec.parameters.type: not a valid JSON Schema" in reasons["qrtt-cached"]
