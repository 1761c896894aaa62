"""Program metadata: v2 and v1 formats, and every rule reported with its JSON path."""

from __future__ import annotations

import json

import pytest

from qrt_core import InvalidMetadataError
from qrt_core.metadata import DEFAULT_SCHEMA, load_metadata_file, parse_metadata


def test_the_sample_programs_metadata_parses_as_v2(sample_metadata_path):
    meta = load_metadata_file(sample_metadata_path)
    assert meta.format == "v2"
    assert meta.name == "sample-program"
    assert meta.max_execution_time == 300
    assert meta.backend_requirements == {"min_num_qubits": 5}
    assert meta.parameters["required"] == ["iterations"]
    assert meta.return_values["type"] == "string"
    assert set(meta.interim_results["properties"]) == {"iteration", "counts"}


@pytest.fixture
def sample_metadata_path():
    from pathlib import Path

    import sample_program

    return Path(sample_program.__file__).parent / "sample_program.json"


def test_v1_metadata_is_converted_to_schemas():
    meta = parse_metadata(
        {
            "name": "circuit-runner",
            "description": "Runs circuits.",
            "max_execution_time": 18000,
            "version": "1.0",
            "backend_requirements": {"min_num_qubits": 2},
            "parameters": [
                {"name": "circuits", "description": "Circuits to run.", "type": "QuantumCircuit", "required": True},
                {"name": "shots", "description": "Shots.", "type": "int", "required": False},
            ],
            "return_values": [{"name": "-", "description": "Result.", "type": "dict"}],
            "interim_results": [{"name": "iteration", "description": "Iteration.", "type": "int"}],
        }
    )
    assert meta.format == "v1"
    assert meta.version == "1.0"
    assert meta.backend_requirements == {"min_num_qubits": 2}
    assert meta.parameters["$schema"] == DEFAULT_SCHEMA
    assert meta.parameters["required"] == ["circuits"]
    assert meta.parameters["properties"]["shots"] == {"type": "integer", "description": "Shots."}
    assert meta.parameters["properties"]["circuits"]["x-python-type"] == "QuantumCircuit"
    assert meta.return_values["type"] == "object"
    assert meta.return_values["description"] == "Result."
    assert meta.interim_results["properties"]["iteration"]["type"] == "integer"


def test_every_broken_rule_is_reported_with_its_json_path():
    with pytest.raises(InvalidMetadataError) as info:
        parse_metadata(
            {
                "max_execution_time": 0,
                "spec": {
                    "backend_requirements": {"min_num_qubits": -1},
                    "parameters": {"type": "objekt", "properties": {"n": {"minimum": "zero"}}},
                    "return_values": [],
                },
            }
        )
    paths = [path for path, _ in info.value.errors]
    assert "$.name" in paths
    assert "$.max_execution_time" in paths
    assert "$.spec.backend_requirements.min_num_qubits" in paths
    assert "$.spec.parameters.type" in paths
    assert "$.spec.parameters.properties.n.minimum" in paths
    assert "$.spec.return_values" in paths
    assert "$.spec.parameters.properties.n.minimum" in str(info.value)


@pytest.mark.parametrize(
    "value", [True, 1.5, "300", -5, 0],
)
def test_max_execution_time_must_be_a_positive_integer(value):
    with pytest.raises(InvalidMetadataError, match=r"\$\.max_execution_time: must be a positive integer"):
        parse_metadata({"name": "p", "max_execution_time": value})


def test_schema_dialect_follows_dollar_schema():
    # "prefixItems" as a list is valid in 2020-12; in draft-04 "items" must be an object or array
    meta = parse_metadata(
        {
            "name": "p",
            "spec": {
                "parameters": {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "properties": {"xs": {"type": "array", "prefixItems": [{"type": "integer"}]}},
                }
            },
        }
    )
    assert meta.parameters["$schema"].endswith("2020-12/schema")
    with pytest.raises(InvalidMetadataError, match="exclusiveMinimum"):
        parse_metadata(
            {
                "name": "p",
                "spec": {
                    "parameters": {
                        "$schema": "http://json-schema.org/draft-04/schema#",
                        "properties": {"n": {"exclusiveMinimum": 3}},
                    }
                },
            }
        )


def test_version_may_be_absent_and_defaults_are_applied():
    meta = parse_metadata({"name": "p"})
    assert meta.version is None
    assert meta.max_execution_time == 300
    assert meta.is_public is True
    assert meta.parameters == {}


def test_unreadable_files_name_the_file(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InvalidMetadataError, match=r"p\.json is not valid JSON: .* line 1"):
        load_metadata_file(bad)
    with pytest.raises(InvalidMetadataError, match="Cannot read metadata file"):
        load_metadata_file(tmp_path / "missing.json")
    (tmp_path / "list.json").write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(InvalidMetadataError, match="must be a JSON object"):
        load_metadata_file(tmp_path / "list.json")
