"""How ``qrt`` reads inputs from the command line and shows results: ``-i key=value`` parsing,
``--inputs`` files, and counts histograms drawn as sorted bars."""

from __future__ import annotations

import pytest
from rich.console import Console

from qrt_core.cli import ExitCode
from qrt_core.cli.exit_codes import CliUsageError
from qrt_core.cli.render import counts_bars, is_counts, render_message, schema_table
from qrt_core.cli.run import parse_input_pairs


def _text(renderable) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_input_values_are_json_when_they_parse_else_strings():
    assert parse_input_pairs(("iterations=3", "ratio=0.5", "flag=true", "items=[1, 2]", "label=run-7", "empty=", "eq=a=b")) == {
        "iterations": 3,
        "ratio": 0.5,
        "flag": True,
        "items": [1, 2],
        "label": "run-7",
        "empty": "",
        "eq": "a=b",
    }
    with pytest.raises(CliUsageError, match="key=value"):
        parse_input_pairs(("novalue",))


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
)
def test_bad_inputs_files_exit_2_before_anything_runs(tmp_path, qrt_cli, content, message):
    path = tmp_path / "inputs.json"
    path.write_text(content)
    result = qrt_cli("run", "sample-program", "--inputs", str(path))
    assert result.returncode == ExitCode.INVALID and message in result.stderr
    missing = qrt_cli("run", "sample-program", "--inputs", str(tmp_path / "nope.json"))
    assert missing.returncode == ExitCode.INVALID and "Cannot read inputs" in missing.stderr


def test_counts_are_recognised():
    assert is_counts({"00": 5, "11": 3})
    assert is_counts({"0x0": 5, "0x3": 3})
    assert is_counts({"01 10": 2})
    assert not is_counts({"iteration": 1})
    assert not is_counts({"00": 1.5})
    assert not is_counts({"00": True})
    assert not is_counts({})


def test_counts_bars_are_sorted_and_cut_to_the_top_outcomes():
    counts = {format(i, "04b"): i + 1 for i in range(12)}  # 12 outcomes, 78 shots
    lines = counts_bars(counts, top=3).plain.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["1011", "1010", "1001"]
    assert lines[0].split()[-2:] == ["12", "15.4%"]
    assert lines[3] == "… 9 more outcomes, 45 shots"
    assert lines[4] == "12 outcomes, 78 shots"
    # The longest bar belongs to the most frequent outcome.
    assert lines[0].count("█") > lines[2].count("█")


def test_a_message_with_counts_renders_as_rows_and_bars():
    text = _text(render_message({"iteration": 0, "counts": {"00": 70, "11": 30}}))
    assert "iteration  0" in text
    assert "00 █" in text and "70   70.0%" in text and "2 outcomes, 100 shots" in text
    assert _text(render_message("All done!")).strip() == "All done!"


def test_schema_table_marks_required_and_defaults():
    schema = {
        "properties": {
            "b": {"type": "integer", "default": 2, "maximum": 9, "description": "Bee."},
            "a": {"type": "array", "items": {"type": "number"}},
        },
        "required": ["b"],
    }
    text = _text(schema_table(schema))
    row_b = next(line for line in text.splitlines() if "Bee." in line)
    assert "integer" in row_b and "yes" in row_b and "<= 9" in row_b and "2" in row_b
    assert "array of number" in text
    assert text.index("Bee.") < text.index("array of number")  # required parameters first
