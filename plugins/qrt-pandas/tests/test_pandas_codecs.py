"""Round trips of pandas objects through qrt's RuntimeEncoder/RuntimeDecoder: awkward frames, exact
values, malformed payloads, a million rows, and the ``"dataframe"`` result decoder."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_index_equal, assert_series_equal
from qrt_pandas.decoders import DataFrameDecoder

from qrt_core import DecodeError, RuntimeDecoder, RuntimeEncoder, RuntimeService


def round_trip(obj: Any) -> Any:
    return json.loads(json.dumps(obj, cls=RuntimeEncoder), cls=RuntimeDecoder)


def awkward_frame() -> pd.DataFrame:
    rows = pd.MultiIndex.from_tuples(
        [("a", 1), ("a", 2), ("b", np.nan), ("b", 2)], names=["key", None]
    )
    frame = pd.DataFrame(
        {
            "float": [1.5, np.nan, -0.0, -np.inf],
            "int16": np.array([1, -2, 3, 32767], dtype="int16"),
            "uint64": np.array([0, 1, 2, 2**64 - 1], dtype="uint64"),
            "complex": [1 + 2j, complex(np.nan, 1), 3j, -1],
            "bool": [True, False, True, False],
            "str": ["x", None, "ü €", ""],
            "object": np.array([1, "a", None, 2.5], dtype=object),
            "naive": pd.to_datetime(
                ["2020-01-01", None, "2021-05-05 12:00:00.123456", "1970-01-01"], format="ISO8601"
            ),
            "tz": pd.date_range("2020-03-29", periods=4, freq="h", tz="Europe/Paris"),
            "fixed_tz": pd.date_range(
                "2020-01-01", periods=4, freq="D", tz=dt.timezone(dt.timedelta(hours=-3))
            ),
            "delta": pd.to_timedelta([1, None, 3, -4], unit="s"),
            "category": pd.Categorical(
                ["u", "v", None, "u"], categories=["v", "u", "w"], ordered=True
            ),
            "Int64": pd.array([1, None, 3, 4], dtype="Int64"),
            "boolean": pd.array([True, None, False, True], dtype="boolean"),
            "Float32": pd.array([0.5, None, 1.0, 2.0], dtype="Float32"),
            "period": pd.period_range("2020-01", periods=4, freq="M"),
            "interval": pd.interval_range(0, 4),
            "float16": np.array([0.5, np.nan, 1, 2], dtype="float16"),
            "string_na": pd.array(["a", None, "c", "d"], dtype="string"),
            "sparse": pd.arrays.SparseArray([0.0, 0.0, 1.5, np.nan]),
        },
        index=rows,
    )
    frame.columns = pd.MultiIndex.from_tuples(
        [("group", name) for name in frame.columns], names=["level", "column"]
    )
    return frame


def test_an_awkward_frame_comes_back_exactly() -> None:
    frame = awkward_frame()
    out = round_trip(frame)
    assert_frame_equal(out, frame, check_exact=True)
    assert out.index.names == ["key", None] and out.columns.names == ["level", "column"]
    assert np.signbit(out[("group", "float")].iloc[2])  # -0.0 kept its sign
    assert str(out[("group", "tz")].dtype) == "datetime64[us, Europe/Paris]"
    assert out[("group", "fixed_tz")].dt.tz.utcoffset(None) == dt.timedelta(hours=-3)


def test_frame_in_a_nested_result_with_other_wire_types() -> None:
    frame = pd.DataFrame({"z": [1j, 2], "when": [dt.datetime(2024, 1, 2, 3, 4, 5), None]})
    series = pd.Series([0.1, 0.2], name="p")
    payload = {
        "frames": [frame, {"series": series}],
        "index": pd.Index([3, 1, 2], name="i"),
        "n": 3,
    }
    out = round_trip(payload)
    assert_frame_equal(out["frames"][0], frame)
    assert_series_equal(out["frames"][1]["series"], series)
    assert_index_equal(out["index"], payload["index"])
    assert out["n"] == 3


def test_object_columns_carry_values_through_the_other_codecs() -> None:
    frame = pd.DataFrame(
        {
            "mixed": np.array(
                [1 + 1j, dt.datetime(2020, 5, 17), {"a": [1, 2]}, None, [3, 4]], dtype=object
            )
        }
    )
    out = round_trip(frame)
    assert out["mixed"].dtype == object
    assert out["mixed"].tolist() == frame["mixed"].tolist()
    markers = pd.Series(["a", pd.NA, pd.NaT], dtype=object)
    assert round_trip(markers).tolist() == ["a", None, None]  # missing markers travel as null
    pairs = pd.Series([[1, 2], [3, 4]], name="pairs")  # equal-length lists stay one per row
    assert_series_equal(round_trip(pairs), pairs)


def test_labels_and_names_of_many_kinds() -> None:
    frame = pd.DataFrame(
        [[1, 2, 3], [4, 5, 6]], columns=[0, "a", "a"], index=pd.Index([7, 7], name=("x", "y"))
    )
    out = round_trip(frame)
    assert_frame_equal(out, frame)
    assert out.index.name == ("x", "y") and list(out.columns) == [0, "a", "a"]

    timed = pd.DataFrame(
        {"v": range(3)}, index=pd.date_range("2020-01-01", periods=3, freq="D", name="when")
    )
    out = round_trip(timed)
    assert_frame_equal(out, timed)
    assert out.index.freqstr == "D"

    series = pd.Series([1 + 1j, 2], name=("a", 1), index=pd.Index(["x", "y"], name="n"))
    assert_series_equal(round_trip(series), series)

    stepped = pd.Series([1.0, 2.0], index=pd.RangeIndex(10, 30, 10, name="r"))
    assert_series_equal(round_trip(stepped), stepped, check_index_type=True)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame(columns=["a", "b"]),
        pd.DataFrame(index=pd.Index([1, 2], name="only-index")),
        pd.DataFrame(
            {"f": pd.Series([], dtype="float32"), "t": pd.Series([], dtype="datetime64[ns]")}
        ),
        pd.DataFrame({"c": pd.Categorical([], categories=["x"])}),
    ],
    ids=["nothing", "columns-only", "index-only", "typed-no-rows", "empty-category"],
)
def test_empty_frames_keep_their_shape_labels_and_dtypes(frame: pd.DataFrame) -> None:
    out = round_trip(frame)
    assert_frame_equal(out, frame, check_exact=True)
    assert list(out.dtypes) == list(frame.dtypes)


def test_attrs_travel_too() -> None:
    frame = pd.DataFrame({"a": [1]})
    frame.attrs["source"] = "fake_manila"
    assert round_trip(frame).attrs == {"source": "fake_manila"}


def test_numbers_travel_as_exact_bytes_not_nan_tokens() -> None:
    frame = pd.DataFrame({"x": [np.nan, np.inf, 0.1 + 0.2]})
    text = json.dumps(frame, cls=RuntimeEncoder)
    assert "NaN" not in text and "Infinity" not in text
    tagged = json.loads(text)
    assert tagged["__type__"] == "pandas.DataFrame"
    assert round_trip(frame)["x"].iloc[2] == 0.1 + 0.2


def good_payload() -> dict[str, Any]:
    return json.loads(json.dumps(pd.DataFrame({"x": [1.0, 2.0]}), cls=RuntimeEncoder))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda v: v["data"][0].update(b64="!!not base64!!"), "bad base64"),
        (lambda v: v["data"][0].update(b64="AAAA"), "not a whole number"),
        (lambda v: v["data"][0].update(dtype="|O"), "cannot be stored as raw bytes"),
        (lambda v: v["data"][0].update(dtype="no-such-dtype"), "unknown numpy dtype"),
        (lambda v: v["data"].append(v["data"][0]), "2 columns of data for 1 column labels"),
        (lambda v: v["index"].update(stop=5), "column 0 has 2 values for an index of length 5"),
        (lambda v: v["index"].update(kind="nonsense"), "unknown index kind"),
        (
            lambda v: v["data"][0].update(dtype="extension", name="os.system"),
            "unknown pandas dtype",
        ),
        (lambda v: v.update(data="x"), "must be a list"),
    ],
)
def test_malformed_payloads_raise_decode_error_naming_the_tag(mutate: Any, message: str) -> None:
    payload = good_payload()
    mutate(payload["__value__"])
    with pytest.raises(DecodeError, match="pandas.DataFrame") as info:
        json.loads(json.dumps(payload), cls=RuntimeDecoder)
    assert message in str(info.value)


def test_a_million_rows(capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    rows = 1_000_000
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "float": rng.random(rows),
            "int": np.arange(rows),
            "complex": rng.random(rows) + 1j * rng.random(rows),
            "time": pd.date_range("2020-01-01", periods=rows, freq="s"),
            "label": pd.Categorical(rng.choice(["up", "down", "flat"], rows)),
            "text": rng.choice(["alpha", "beta", "gamma"], rows),
        }
    )
    start = time.perf_counter()
    text = json.dumps(frame, cls=RuntimeEncoder)
    encoded = time.perf_counter()
    out = json.loads(text, cls=RuntimeDecoder)
    decoded = time.perf_counter()
    assert_frame_equal(out, frame, check_exact=True)
    figures = {
        "encode_s": encoded - start,
        "decode_s": decoded - encoded,
        "megabytes": len(text) / 1e6,
    }
    for name, value in figures.items():
        record_property(name, round(value, 3))
    with capsys.disabled():
        print(
            f"\n1,000,000 rows x 6 columns: encode {figures['encode_s']:.2f} s, "
            f"decode {figures['decode_s']:.2f} s, {figures['megabytes']:.0f} MB of JSON"
        )


def test_registering_the_codecs_imports_no_pandas(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from qrt_core import RuntimeDecoder, RuntimeEncoder, RuntimeService
        text = json.dumps({"z": 1j}, cls=RuntimeEncoder)
        assert json.loads(text, cls=RuntimeDecoder) == {"z": 1j}
        service = RuntimeService()
        print(json.dumps({
            "pandas": "pandas" in sys.modules,
            "plugins": [p.name for p in service.plugins(include_builtins=False)],
            "problems": [p.message for p in service.plugin_problems()],
            "decoders": service.result_decoders(),
        }))
        """
    )
    env = {**os.environ, "QRT_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["pandas"] is False
    assert "pandas" in report["plugins"]
    assert "dataframe" in report["decoders"]
    assert not [message for message in report["problems"] if "'pandas'" in message]


def test_the_dataframe_decoder_is_registered_by_name() -> None:
    service = RuntimeService()
    assert service.result_decoder("dataframe") is DataFrameDecoder


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})),
        ({"a": [1, 2], "b": [0.5, 1.5]}, pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})),
        ({"a": 1, "b": 2}, pd.DataFrame({"a": [1], "b": [2]})),
        ([[1, 2], [3, 4]], pd.DataFrame([[1, 2], [3, 4]])),
        ([], pd.DataFrame()),
        (pd.Series([1, 2], name="s"), pd.DataFrame({"s": [1, 2]})),
    ],
    ids=["records", "columns", "one-record", "rows", "empty", "series"],
)
def test_the_dataframe_decoder_accepts_tabular_shapes(result: Any, expected: pd.DataFrame) -> None:
    out = DataFrameDecoder.decode(json.dumps(result, cls=RuntimeEncoder))
    assert_frame_equal(out, expected)


def test_the_dataframe_decoder_refuses_a_non_table_clearly() -> None:
    with pytest.raises(DecodeError, match="list of records"):
        DataFrameDecoder.decode(json.dumps("All done!"))
    with pytest.raises(DecodeError, match="list of records"):
        DataFrameDecoder.decode(json.dumps([1, 2, 3]))
