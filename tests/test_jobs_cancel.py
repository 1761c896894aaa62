"""Cancelling jobs: queued, running, from another process, after they ended; and what closing the
service does to unfinished jobs."""

from __future__ import annotations

import threading

import pytest
from jobs_helpers import pid_alive, run_python, wait_until
from qiskit.providers import JobStatus

from qrt_core import RuntimeInvalidStateError, RuntimeService


@pytest.fixture(scope="module")
def service(programs, home):
    service = RuntimeService(home=home, max_workers=1)
    yield service
    service.close(wait=False)


def _start_sleeper(service, seconds=120):
    started = threading.Event()
    job = service.run("sleeper", inputs={"seconds": seconds}, callback=lambda job_id, message: started.set())
    assert started.wait(60), "the sleeper never started"
    return job


def test_cancel_running_and_queued_jobs(service):
    running = _start_sleeper(service)
    queued = service.run("echo", inputs={"count": 1})
    assert queued.status() is JobStatus.QUEUED
    # output is readable while the job runs
    wait_until(lambda: "sleeping now" in running.logs(), what="the running job's output")
    assert running.status() is JobStatus.RUNNING
    queued.cancel()
    assert queued.status() is JobStatus.CANCELLED
    assert running.status() is JobStatus.RUNNING
    worker = running.metrics()["worker"]["worker_pid"]
    running.cancel()
    assert running.status() is JobStatus.CANCELLED
    wait_until(lambda: not pid_alive(worker), what="the cancelled job's worker to stop")

    history = [h["status"] for h in queued.metrics()["status_history"]]
    assert history == ["QUEUED", "CANCELLED"]  # it never started
    assert queued.logs() == "" and queued.interim_results() == []
    with pytest.raises(RuntimeInvalidStateError, match="cancelled"):
        running.result(timeout=10)
    with pytest.raises(RuntimeInvalidStateError, match="already CANCELLED"):
        running.cancel()
    # the worker was replaced: the next job runs
    assert service.run("echo", inputs={"count": 0}).result(timeout=60)["inputs"] == {"count": 0}


def test_cancelling_a_finished_job_is_an_error(service):
    job = service.run("echo")
    job.result(timeout=60)
    with pytest.raises(RuntimeInvalidStateError, match="already DONE"):
        job.cancel()


def test_cancel_from_another_process(service, home):
    job = _start_sleeper(service)
    out = run_python(
        f"""
        from qrt_core import RuntimeService
        RuntimeService(home={str(home)!r}).job({job.job_id()!r}).cancel()
        print("requested")
        """
    )
    assert out.returncode == 0, out.stderr
    job.wait_for_final_state(30)
    assert job.status() is JobStatus.CANCELLED
    assert service.run("echo").result(timeout=60)["inputs"] == {}


def test_close_without_waiting_cancels_unfinished_jobs(programs, tmp_path):
    service = RuntimeService(home=tmp_path, max_workers=1)
    running = _start_sleeper(service)
    queued = service.run("echo")
    service.close(wait=False)
    assert running.status() is JobStatus.CANCELLED
    assert queued.status() is JobStatus.CANCELLED
    with pytest.raises(RuntimeInvalidStateError):
        service.run("echo")


def test_close_waits_for_unfinished_jobs(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        first = service.run("echo", inputs={"count": 2})
        second = service.run("final-only")
    # leaving the block waited for both; results stay readable after the service closed
    assert first.status() is JobStatus.DONE and second.status() is JobStatus.DONE
    assert first.interim_results() == [{"index": 0}, {"index": 1}]
    assert second.result() == {"answer": 42}


def test_inline_cancel_and_timeout(programs, tmp_path):
    with RuntimeService(home=tmp_path, executor="inline") as service:
        job = _start_sleeper(service, seconds=30)
        job.cancel()
        assert job.status() is JobStatus.CANCELLED
        timed = service.run("sleeper", inputs={"seconds": 30}, options={"max_execution_time": 1})
        timed.wait_for_final_state(30)
        assert timed.status() is JobStatus.ERROR
        assert "maximum execution time of 1 second" in timed.error_message()
