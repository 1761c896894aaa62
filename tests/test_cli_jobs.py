"""``qrt run``, ``jobs``, ``job``, ``logs`` and ``cancel``, run as real child processes against a
real job store: live interim results, bad inputs, failures, Ctrl-C, and a cancel from a second
terminal."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from qrt_core.cli import ExitCode
from qrt_core.testing import on_sys_path, write_program

PROGRAMS = {
    "adder": (
        "def main(backend, user_messenger, a, b=0):\n    return a + b\n",
        {
            "spec": {
                "parameters": {
                    "properties": {"a": {"type": "integer", "minimum": 0}, "b": {"type": "integer"}},
                    "required": ["a"],
                }
            }
        },
    ),
    "chatty": (
        """
import logging

def main(backend, user_messenger, n=1, label="x"):
    for i in range(n):
        print(f"chatty line {i}")
        user_messenger.publish({"round": i, "counts": {"00": 30 + i, "11": 70 - i, "01": 1}})
    logging.getLogger("chatty").warning("chatty finished %s", label)
    return {"label": label, "rounds": n}
""",
        {},
    ),
    "crasher": ("def main(backend, user_messenger):\n    raise RuntimeError('boom from crasher')\n", {}),
    "waiter": (
        """
import threading

def main(backend, user_messenger):
    print("waiting now", flush=True)
    user_messenger.publish({"waiting": True})
    threading.Event().wait(120)  # until cancelled
    return "woke up"
""",
        {},
    ),
}


@pytest.fixture
def programs(tmp_path):
    root = tmp_path / "site"
    for name, (source, metadata) in PROGRAMS.items():
        write_program(root, name, source, metadata, package=f"cli_{name}")
    with on_sys_path(root):
        yield root


class LineReader:
    """Reads a child's stdout line by line in a thread, so the test can wait with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line with {text!r} within {timeout}s; output so far:\n{''.join(self.seen)}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"output ended without {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return line


def _start(qrt_home, *args, own_group=False):
    env = {**os.environ, "QRT_HOME": str(qrt_home), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "qrt_core", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=own_group,
    )


def test_run_shows_job_interim_results_as_bars_and_the_result(qrt_cli):
    result = qrt_cli("run", "sample-program", "-i", "iterations=2")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("Job ") and "program sample-program" in out and "backend aer_simulator" in out
    assert out.index("Interim result 1") < out.index("Interim result 2") < out.index("Result")
    assert "iteration" in out and "█" in out and "1024 shots" in out
    assert "Status: DONE" in out and out.rstrip().endswith("All done!")


def test_run_json_inputs_from_stdin_then_list_and_retrieve(programs, qrt_cli):
    result = qrt_cli("run", "chatty", "--inputs", "-", "-i", "label=from-cli", "--json", input='{"n": 2, "label": 1}')
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    job_id = document["job_id"]
    assert document["status"] == "DONE"
    assert document["result"] == {"label": "from-cli", "rounds": 2}  # -i wins over the file
    assert [m["round"] for m in document["interim_results"]] == [0, 1]

    listing = qrt_cli("jobs")
    assert job_id in listing.stdout and "DONE" in listing.stdout and "chatty" in listing.stdout
    assert [j["job_id"] for j in json.loads(qrt_cli("jobs", "--program", "chatty", "--status", "done", "--json").stdout)] == [job_id]
    assert json.loads(qrt_cli("jobs", "--status", "ERROR", "--json").stdout) == []

    shown = qrt_cli("job", job_id)
    assert shown.returncode == 0 and "DONE" in shown.stdout and "from-cli" in shown.stdout
    assert json.loads(qrt_cli("job", job_id, "--result", "--json").stdout) == {"label": "from-cli", "rounds": 2}
    assert len(json.loads(qrt_cli("job", job_id, "--interim", "--json").stdout)) == 2
    assert isinstance(json.loads(qrt_cli("job", job_id, "--metrics", "--json").stdout), dict)
    logs = qrt_cli("logs", job_id).stdout
    assert "chatty line 0" in logs and "chatty line 1" in logs and "chatty finished from-cli" in logs
    assert "chatty line 1" in qrt_cli("logs", job_id, "--follow").stdout
    assert "chatty line 0" in qrt_cli("job", job_id, "--logs").stdout

    again = qrt_cli("cancel", job_id)
    assert again.returncode == ExitCode.INVALID and "already ended" in again.stderr


def test_invalid_inputs_list_every_error_and_nothing_runs(programs, qrt_cli):
    result = qrt_cli("run", "adder", "-i", "a=-1", "-i", "b=text")
    assert result.returncode == ExitCode.INVALID
    assert "$.a" in result.stderr and "$.b" in result.stderr and "2 errors" in result.stderr
    assert "Traceback" not in result.stderr and "Job " not in result.stdout
    missing = qrt_cli("run", "adder")
    assert missing.returncode == ExitCode.INVALID and "$.a: is required" in missing.stderr
    assert json.loads(qrt_cli("jobs", "--json").stdout) == []
    assert qrt_cli("run", "adder", "-i", "noequals").returncode == ExitCode.INVALID


def test_unknown_program_backend_and_job_exit_4(programs, qrt_cli):
    assert qrt_cli("run", "addr").returncode == ExitCode.NOT_FOUND
    wrong_backend = qrt_cli("run", "adder", "-i", "a=1", "--backend", "aer_simulatr")
    assert wrong_backend.returncode == ExitCode.NOT_FOUND and "aer_simulator" in wrong_backend.stderr
    assert qrt_cli("job", "no-such-job").returncode == ExitCode.NOT_FOUND


def test_a_failing_program_exits_1_with_its_error(programs, qrt_cli):
    result = qrt_cli("run", "crasher")
    assert result.returncode == ExitCode.JOB_ERROR
    assert "Status: ERROR" in result.stdout
    assert "boom from crasher" in result.stderr and "qrt logs" in result.stderr
    as_json = qrt_cli("run", "crasher", "--json")
    assert as_json.returncode == ExitCode.JOB_ERROR
    document = json.loads(as_json.stdout)
    assert document["status"] == "ERROR" and "boom from crasher" in document["error_message"]


def test_ctrl_c_cancels_the_job_and_exits_3(programs, qrt_home, qrt_cli):
    process = _start(qrt_home, "run", "waiter")
    try:
        reader = LineReader(process.stdout)
        job_id = reader.wait_for("Job ").split()[1]
        reader.wait_for("Interim result 1")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == ExitCode.CANCELLED
        stderr = process.stderr.read()
        assert f"cancelling job {job_id}" in stderr and f"Job {job_id} cancelled." in stderr
    finally:
        if process.poll() is None:
            process.kill()
    assert json.loads(qrt_cli("job", job_id, "--json").stdout)["status"] == "CANCELLED"


def test_ctrl_c_in_a_terminal_signals_the_whole_process_group(programs, qrt_home, qrt_cli):
    # A terminal sends SIGINT to every process of the foreground group, job workers included:
    # the job must still end CANCELLED (not ERROR), and no worker may print a traceback.
    process = _start(qrt_home, "run", "waiter", own_group=True)
    try:
        reader = LineReader(process.stdout)
        job_id = reader.wait_for("Job ").split()[1]
        reader.wait_for("Interim result 1")
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == ExitCode.CANCELLED
        stderr = process.stderr.read()
        assert f"Job {job_id} cancelled." in stderr and "Traceback" not in stderr
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert json.loads(qrt_cli("job", job_id, "--json").stdout)["status"] == "CANCELLED"


def test_cancel_from_another_terminal_while_a_third_follows_the_logs(programs, qrt_home, qrt_cli):
    process = _start(qrt_home, "run", "waiter")
    follower = result_waiter = None
    try:
        reader = LineReader(process.stdout)
        job_id = reader.wait_for("Job ").split()[1]
        reader.wait_for("Interim result 1")
        follower = _start(qrt_home, "logs", job_id, "--follow")
        LineReader(follower.stdout).wait_for("waiting now")
        assert follower.poll() is None  # still following: the job is running
        result_waiter = _start(qrt_home, "job", job_id, "--result")

        cancelled = qrt_cli("cancel", job_id)
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"Job {job_id} cancelled." in cancelled.stdout
        assert process.wait(timeout=60) == ExitCode.CANCELLED
        assert "was cancelled" in process.stderr.read()
        assert follower.wait(timeout=60) == 0  # the job ended, so following stops
        assert result_waiter.wait(timeout=60) == ExitCode.CANCELLED
        assert "was cancelled; it has no result" in result_waiter.stderr.read()
    finally:
        for child in (process, follower, result_waiter):
            if child is not None and child.poll() is None:
                child.kill()
