"""The ``ray`` executor on a real local Ray instance, mostly through ``RuntimeService``: the sample
program end to end, logs and ordered interim results, failures (raise, crash, memory limit, time
limit), cancel (queued, running, from another process), a program missing on the workers, what
closing the service does to unfinished jobs, and the executor contract seen by a bare sink."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
from qiskit.providers import JobStatus
from qrt_ray_testing import PROGRAMS, RecordingSink, is_loopback, pid_alive, wait_until

from qrt_core import RuntimeInvalidStateError, RuntimeJobFailureError, RuntimeService
from qrt_core.executors import JobSpec
from qrt_core.testing import on_sys_path, write_program


@pytest.fixture(scope="module")
def service(local_ray, tmp_path_factory):
    service = RuntimeService(home=tmp_path_factory.mktemp("home"), executor="ray", max_workers=2)
    yield service
    service.close(wait=False)


def _start(service, program, **inputs):
    """Run ``program`` and wait for its first interim result (it is running then)."""
    started = threading.Event()
    job = service.run(program, inputs=inputs, callback=lambda job_id, message: started.set())
    assert started.wait(180), f"{program} never published"
    return job


def _fails(service, program, reason, **inputs):
    job = service.run(program, inputs=inputs)
    with pytest.raises(RuntimeJobFailureError):
        job.result(timeout=180)
    assert job.status() is JobStatus.ERROR
    assert job.metrics()["failure_reason"] == reason
    return job, job.error_message()


def test_sample_program_end_to_end(service, local_ray):
    received = []
    job = service.run(
        "sample-program", inputs={"iterations": 3}, callback=lambda *args: received.append(args)
    )
    assert job.result(timeout=120) == "All done!"
    assert job.status() is JobStatus.DONE
    interim = job.interim_results()
    assert [message["iteration"] for message in interim] == [0, 1, 2]
    assert all(sum(message["counts"].values()) == 1024 for message in interim)
    assert received == [(job.job_id(), message) for message in interim]
    metrics = job.metrics()
    assert metrics["executor"] == "ray"
    assert [h["status"] for h in metrics["status_history"]] == ["QUEUED", "RUNNING", "DONE"]
    worker = metrics["worker"]
    assert worker["node_id"] == local_ray["node_id"]
    assert is_loopback(worker["node_address"])
    assert worker["hostname"] and worker["worker_pid"] > 0


def test_logs_and_many_interim_results_in_order(service):
    job = service.run("ray-chatty", inputs={"count": 500})
    assert job.result(timeout=180) == {"count": 500, "backend": "aer_simulator"}
    assert job.interim_results() == [{"index": index} for index in range(500)]
    logs = job.logs()
    assert "hello from a Ray worker" in logs
    assert "a warning from chatty" in logs


def test_a_raising_program_fails_its_job_and_keeps_its_worker(service):
    job, message = _fails(service, "ray-raise", "error")
    assert "ValueError: boom on a Ray worker" in message
    assert "Traceback (most recent call last)" in message
    assert pid_alive(job.metrics()["worker"]["worker_pid"])


def test_timeout_stops_the_job_and_its_worker(service):
    job = _start(service, "ray-overtime")
    with pytest.raises(
        RuntimeJobFailureError, match="ran longer than its maximum execution time of 1 second"
    ):
        job.result(timeout=180)
    metrics = job.metrics()
    assert metrics["failure_reason"] == "timeout"
    assert metrics["usage"]["seconds"] < 5
    wait_until(
        lambda: not pid_alive(metrics["worker"]["worker_pid"]), what="the timed-out worker to stop"
    )


@pytest.mark.parametrize("program", ["ray-osexit", "ray-abort"])
def test_a_crashing_program_fails_only_its_job(service, program):
    job, message = _fails(service, program, "crash")
    assert "died while running it" in message
    wait_until(
        lambda: not pid_alive(job.metrics()["worker"]["worker_pid"]),
        what="the crashed worker to be gone",
    )
    assert service.run("ray-chatty", inputs={"count": 1}).result(timeout=180)["count"] == 1


def test_a_memory_limit_fails_only_the_job_that_exceeds_it(local_ray, tmp_path):
    with RuntimeService(
        home=tmp_path, executor="ray", max_workers=1, worker_memory_limit="256MiB"
    ) as service:
        job, message = _fails(service, "ray-hog", "memory", megabytes=2048)
        assert "memory limit of 256 MiB" in message
        assert service.run("ray-hog", inputs={"megabytes": 16}).result(timeout=180) == 16


def test_cancel_queued_and_running_jobs(local_ray, tmp_path):
    with RuntimeService(home=tmp_path, executor="ray", max_workers=1) as service:
        running = _start(service, "ray-sleeper")
        queued = service.run("ray-chatty", inputs={"count": 1})
        assert queued.status() is JobStatus.QUEUED
        queued.cancel()
        assert queued.status() is JobStatus.CANCELLED
        assert [h["status"] for h in queued.metrics()["status_history"]] == ["QUEUED", "CANCELLED"]
        assert running.status() is JobStatus.RUNNING
        pid = running.metrics()["worker"]["worker_pid"]
        running.cancel()
        assert running.status() is JobStatus.CANCELLED
        wait_until(lambda: not pid_alive(pid), what="the cancelled job's worker to be killed")
        # the slot is free again
        assert service.run("ray-chatty", inputs={"count": 2}).result(timeout=180)["count"] == 2


def test_cancel_from_another_process(service):
    job = _start(service, "ray-sleeper")
    pid = job.metrics()["worker"]["worker_pid"]
    code = (
        "from qrt_core import RuntimeService\n"
        f"RuntimeService(home={str(service.home)!r}).job({job.job_id()!r}).cancel()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    job.wait_for_final_state(30)
    assert job.status() is JobStatus.CANCELLED
    wait_until(lambda: not pid_alive(pid), what="the cancelled job's worker to be killed")


def test_close_without_waiting_cancels_unfinished_jobs(local_ray, tmp_path):
    service = RuntimeService(home=tmp_path, executor="ray", max_workers=1)
    running = _start(service, "ray-sleeper")
    queued = service.run("ray-chatty", inputs={"count": 1})
    started = time.monotonic()
    service.close(wait=False)
    assert time.monotonic() - started < 30
    later = RuntimeService(home=tmp_path)
    assert later.job(running.job_id()).status() is JobStatus.CANCELLED
    assert later.job(queued.job_id()).status() is JobStatus.CANCELLED


def test_close_waits_for_unfinished_jobs(local_ray, tmp_path):
    service = RuntimeService(home=tmp_path, executor="ray", max_workers=1)
    first = service.run("ray-sleeper", inputs={"seconds": 0.5})
    second = service.run("ray-chatty", inputs={"count": 3})
    service.close(wait=True)
    later = RuntimeService(home=tmp_path)
    assert later.job(first.job_id()).result(timeout=5) == "woke up"
    assert later.job(second.job_id()).interim_results() == [{"index": i} for i in range(3)]


def test_a_program_missing_on_the_workers_is_named(local_ray, tmp_path):
    # The service finds the program; the workers use only what is installed on their node.
    source, metadata = PROGRAMS["ray-raise"]
    write_program(
        tmp_path / "only-here",
        "ray-elsewhere",
        textwrap.dedent(source),
        metadata,
        package="qrtray_elsewhere",
    )
    with (
        on_sys_path(tmp_path / "only-here", pythonpath=False),
        RuntimeService(
            home=tmp_path / "home", executor="ray", executor_options={"sync_sys_path": False}
        ) as service,
    ):
        job = service.run("ray-elsewhere")
        with pytest.raises(RuntimeJobFailureError) as info:
            job.result(timeout=180)
    message = str(info.value)
    assert "Program 'ray-elsewhere' cannot be run on Ray node" in message
    assert "'qrtray_elsewhere.qrtray_elsewhere'" in message
    assert "Install the program's package on every node" in message


def test_the_executor_contract_with_a_recording_sink(local_ray):
    from qrt_ray import RayExecutor

    def spec(job_id: str, program: str, inputs: str = "{}") -> JobSpec:
        package = "qrtray_" + program.replace("-", "_")
        return JobSpec(
            job_id=job_id,
            program_id=program,
            entry_point=f"{package}.program:main",
            inputs=inputs,
            backend_name="aer_simulator",
            max_execution_time=60,
        )

    sink = RecordingSink()
    executor = RayExecutor(sink, max_workers=1)
    executor.submit(spec("chatty", "ray-chatty", '{"count": 3}'))
    executor.submit(spec("sleeper", "ray-sleeper"))
    assert sink.wait_final("chatty")[0] == "finished"
    events = sink.of("chatty")
    assert events[0][0] == "started" and events[-1][0] == "finished"
    assert [e[2] for e in events if e[0] == "interim"] == [f'{{"index": {i}}}' for i in range(3)]
    assert sum(e[0] in ("finished", "failed", "cancelled") for e in events) == 1
    assert not executor.cancel("chatty")  # finished: not held any more
    assert not executor.cancel("no-such-job")
    wait_until(
        lambda: any(e[0] == "interim" for e in sink.of("sleeper")), what="the sleeper to run"
    )
    assert executor.describe()["executor"] == "ray"
    executor.shutdown(wait=False)
    assert sink.of("sleeper")[-1] == ("cancelled", "sleeper")
    with pytest.raises(RuntimeInvalidStateError, match="shut down"):
        executor.submit(spec("late", "ray-chatty"))
