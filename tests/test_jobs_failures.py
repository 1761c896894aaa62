"""Every way a program can fail fails only its own job: raise, sys.exit, os._exit, os.abort,
exhausting the worker memory limit, running too long, and a callback that raises."""

from __future__ import annotations

import logging
import threading

import pytest
from jobs_helpers import pid_alive, wait_until
from qiskit.providers import JobStatus

from qrt_core import QRTError, RuntimeJobFailureError, RuntimeService


@pytest.fixture(scope="module")
def service(programs, tmp_path_factory):
    service = RuntimeService(home=tmp_path_factory.mktemp("home"), max_workers=1)
    yield service
    service.close(wait=False)


def _fails(service, program, reason, **run):
    job = service.run(program, **run)
    with pytest.raises(RuntimeJobFailureError) as info:
        job.result(timeout=60)
    assert job.status() is JobStatus.ERROR
    message = job.error_message()
    assert message and message in str(info.value)
    assert job.metrics()["failure_reason"] == reason
    return job, message


def _still_works(service):
    assert service.run("echo", inputs={"count": 1}).result(timeout=60)["inputs"] == {"count": 1}


def test_raise_fails_the_job_with_the_traceback(service):
    job, message = _fails(service, "fail-raise", "error")
    assert "ValueError: boom from the program" in message
    assert "Traceback (most recent call last)" in message
    assert "in compute" in message and "program.py" in message
    assert "runner.py" not in message  # the program's frames, not qrt's
    assert job.interim_results() == ["before"]
    pid = job.metrics()["worker"]["worker_pid"]
    _still_works(service)
    assert pid_alive(pid)  # an exception does not cost the worker


def test_sys_exit(service):
    _job, message = _fails(service, "fail-exit", "error")
    assert "sys.exit(3)" in message and "program.py" in message
    _still_works(service)


def test_os_exit_replaces_the_worker(service):
    job, message = _fails(service, "fail-osexit", "crash")
    assert "os._exit(7)" in message
    assert "program.py" in message and "in main" in message
    wait_until(lambda: not pid_alive(job.metrics()["worker"]["worker_pid"]), what="the worker to be gone")
    _still_works(service)


def test_abort_replaces_the_worker(service):
    _job, message = _fails(service, "fail-abort", "crash")
    assert "SIGABRT" in message
    assert "program.py" in message  # the crash handler's stack of the program
    _still_works(service)


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_memory_limit_fails_only_that_job(programs, tmp_path, monkeypatch, how):
    limit = {}
    if how == "environment":
        monkeypatch.setenv("QRT_WORKER_MEMORY_LIMIT", "200MiB")
    else:
        limit["worker_memory_limit"] = 200 * 1024 * 1024
    with RuntimeService(home=tmp_path, max_workers=1, **limit) as service:
        _job, message = _fails(service, "hog", "memory", inputs={"megabytes": 2048})
        assert "memory limit of 200 MiB" in message
        assert "MemoryError" in message
        assert service.run("hog", inputs={"megabytes": 20}).result(timeout=60) == 20
        _still_works(service)


def test_bad_memory_limit_is_reported(programs, tmp_path):
    with pytest.raises(QRTError, match="GiB"):
        RuntimeService(home=tmp_path, worker_memory_limit="lots").run("echo")


def test_timeout_stops_the_job(service):
    job, message = _fails(service, "sleeper", "timeout", inputs={"seconds": 60}, options={"max_execution_time": 1})
    assert "ran longer than its maximum execution time of 1 second" in message
    metrics = job.metrics()
    assert metrics["usage"]["seconds"] < 5
    assert metrics["max_execution_time"] == 1
    _still_works(service)


def test_raising_callback_is_logged_and_the_stream_goes_on(service, caplog):
    seen = []

    def callback(job_id, message):
        seen.append(message["index"])
        if message["index"] == 1:
            raise RuntimeError("callback trouble")

    with caplog.at_level(logging.ERROR, logger="qrt_core.jobs"):
        job = service.run("echo", inputs={"count": 4}, callback=callback)
        job.result(timeout=60)
    assert seen == [0, 1, 2, 3]
    assert job.status() is JobStatus.DONE
    assert any("callback trouble" in (r.exc_text or "") or "raised" in r.getMessage() for r in caplog.records)


def test_failure_of_one_job_leaves_the_others_running(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=2) as service:
        seen = threading.Event()
        long = service.run("sleeper", inputs={"seconds": 60}, callback=lambda j, m: seen.set())
        assert seen.wait(60)
        crash = service.run("fail-abort")
        crash.wait_for_final_state(60)
        assert crash.status() is JobStatus.ERROR
        assert long.status() is JobStatus.RUNNING
        long.cancel()
        assert long.status() is JobStatus.CANCELLED
