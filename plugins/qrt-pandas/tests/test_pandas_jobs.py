"""pandas values through real jobs: a program that returns and publishes DataFrames, and results
decoded into DataFrames by the ``"dataframe"`` decoder, chosen by name."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from qrt_core import RuntimeService
from qrt_core.testing import on_sys_path, write_program

JOB_TIMEOUT = 120

FRAME_PROGRAM = """
import numpy as np
import pandas as pd


def frame(shots):
    index = pd.MultiIndex.from_product([["q0", "q1"], [0, 1]], names=["qubit", "outcome"])
    return pd.DataFrame(
        {
            "count": np.array([shots, 0, shots // 2, shots - shots // 2], dtype="int32"),
            "amplitude": [1 + 0j, 0j, 0.5 + 0.5j, np.nan],
            "when": pd.date_range("2024-01-01", periods=4, freq="min", tz="UTC"),
        },
        index=index,
    )


def main(backend, user_messenger, shots=8):
    user_messenger.publish({"partial": frame(shots).iloc[:2]})
    return frame(shots)
"""

RECORDS_PROGRAM = """
def main(backend, user_messenger, n=3):
    for i in range(n):
        user_messenger.publish({"iteration": i, "energy": -1.0 * i})
    return [{"iteration": i, "energy": -1.0 * i, "backend": backend.name} for i in range(n)]
"""


def expected_frame(shots: int) -> pd.DataFrame:
    index = pd.MultiIndex.from_product([["q0", "q1"], [0, 1]], names=["qubit", "outcome"])
    return pd.DataFrame(
        {
            "count": np.array([shots, 0, shots // 2, shots - shots // 2], dtype="int32"),
            "amplitude": [1 + 0j, 0j, 0.5 + 0.5j, np.nan],
            "when": pd.date_range("2024-01-01", periods=4, freq="min", tz="UTC"),
        },
        index=index,
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RuntimeService]:
    site = tmp_path / "site"
    metadata = {"description": "A test program.", "max_execution_time": 60}
    write_program(site, "qrtpd-frame", FRAME_PROGRAM, metadata, package="qrtpd_frame")
    write_program(site, "qrtpd-records", RECORDS_PROGRAM, metadata, package="qrtpd_records")
    with on_sys_path(site), RuntimeService(home=tmp_path / "home", max_workers=1) as svc:
        yield svc
    for module in [m for m in sys.modules if m.startswith("qrtpd_")]:
        del sys.modules[module]


def test_a_program_returns_a_dataframe_through_a_job(service: RuntimeService) -> None:
    job = service.run("qrtpd-frame", inputs={"shots": 10})
    result = job.result(timeout=JOB_TIMEOUT)
    assert_frame_equal(result, expected_frame(10), check_exact=True)
    [interim] = job.interim_results()
    assert_frame_equal(interim["partial"], expected_frame(10).iloc[:2], check_exact=True)
    # A job read back from the store decodes the same.
    assert_frame_equal(service.job(job.job_id()).result(), expected_frame(10), check_exact=True)


def test_result_decoder_chosen_by_name(service: RuntimeService) -> None:
    expected = pd.DataFrame(
        {"iteration": [0, 1, 2], "energy": [0.0, -1.0, -2.0], "backend": ["aer_simulator"] * 3}
    )
    job = service.run("qrtpd-records", inputs={"n": 3})
    plain = job.result(timeout=JOB_TIMEOUT)
    assert plain[1] == {"iteration": 1, "energy": -1.0, "backend": "aer_simulator"}
    assert_frame_equal(job.result(decoder="dataframe"), expected)
    interim = job.interim_results(decoder="dataframe")
    assert len(interim) == 3
    assert_frame_equal(interim[2], pd.DataFrame({"iteration": [2], "energy": [-2.0]}))

    by_default = service.run("qrtpd-records", inputs={"n": 3}, result_decoder="dataframe")
    assert_frame_equal(by_default.result(timeout=JOB_TIMEOUT), expected)
