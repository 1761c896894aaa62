"""Edge cases of the jobs engine: a hosting process with many open files, store connections of
threads that have ended, a hosting process killed but not yet reaped, result streams and waits that
outlive the service, what a cancelled program leaves behind, a thread a job leaves in its worker,
workers that cannot start, and output that is not valid Unicode."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest
from jobs_helpers import PROGRAMS, _meta, pid_alive, spawn_python, wait_until
from qiskit.providers import JobStatus

from qrt_core import RuntimeJobFailureError, RuntimeService
from qrt_core.jobs.store import INTERRUPTED_MESSAGE
from qrt_core.testing import on_sys_path
from qrt_core.testing import write_programs as _write_programs

_EXTRA_PROGRAMS = {
    "edge-gated": (
        """
        def main(backend, user_messenger, **kwargs):
            user_messenger.publish(0)
            with open(kwargs["gate"], encoding="utf-8") as gate:  # blocks until the test opens it
                gate.read()
            for index in range(1, kwargs["count"]):
                user_messenger.publish(index)
            return "done"
        """,
        _meta({"properties": {"gate": {"type": "string"}, "count": {"type": "integer"}}}),
    ),
    "edge-leaver": (
        """
        import threading

        def main(backend, user_messenger, **kwargs):
            def later():
                with open(kwargs["wake"], encoding="utf-8") as wake:  # opened by the next job
                    wake.read()
                user_messenger.publish("left behind")
                with open(kwargs["done"], "w", encoding="utf-8"):
                    pass

            threading.Thread(target=later, daemon=True).start()
            return "first"
        """,
        _meta({"properties": {"wake": {"type": "string"}, "done": {"type": "string"}}}),
    ),
    "edge-follower": (
        """
        def main(backend, user_messenger, **kwargs):
            with open(kwargs["wake"], "w", encoding="utf-8"):
                pass  # wakes the thread the previous job left in this worker
            with open(kwargs["done"], encoding="utf-8") as done:  # it has published by now
                done.read()
            user_messenger.publish("own")
            return "second"
        """,
        _meta(
            {"properties": {"wake": {"type": "string"}, "done": {"type": "string"}}},
            max_execution_time=30,
        ),
    ),
    "edge-surrogate": (
        """
        def main(backend, user_messenger, **kwargs):
            name = b"caf\\xe9.qpy".decode("utf-8", "surrogateescape")  # as os.listdir gives it
            print("reading", name)
            if kwargs.get("fail"):
                raise FileNotFoundError(name)
            return "ok"
        """,
        _meta({"properties": {"fail": {"type": "boolean"}}}),
    ),
    "edge-spawner": (
        """
        import subprocess, sys, time

        def main(backend, user_messenger, **kwargs):
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
            user_messenger.publish(child.pid)
            time.sleep(300)
        """,
        _meta(max_execution_time=300),
    ),
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    root = tmp_path_factory.mktemp("programs")
    _write_programs(root, {**PROGRAMS, **_EXTRA_PROGRAMS}, package_prefix="qrtedge_")
    with on_sys_path(root):
        yield root


def test_crash_reported_when_the_host_has_many_open_files(programs, tmp_path):
    # Servers raise their file limit and hold many descriptors: the pool's descriptors then lie
    # above 1024, where select() cannot watch them.
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with RuntimeService(home=tmp_path, max_workers=1) as service:
            job = service.run("fail-osexit")
            job.wait_for_final_state(60)
            assert job.status() is JobStatus.ERROR
            assert "os._exit(7)" in job.error_message()
            assert service.run("echo").result(timeout=60)["inputs"] == {}
    finally:
        for fd in spare:
            os.close(fd)


def test_threads_that_ended_leave_no_store_connections_open(programs, tmp_path):
    with RuntimeService(home=tmp_path, executor="inline") as service:
        job = service.run("echo")
        job.result(timeout=60)

        def look() -> None:
            assert service.job(job.job_id()).status() is JobStatus.DONE

        look()
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(30):
            thread = threading.Thread(target=look)
            thread.start()
            thread.join()
        # a thread per request must not cost descriptors that are never given back
        assert len(os.listdir("/proc/self/fd")) - before < 10


_HOST = """
import sys
from qrt_core import RuntimeJobFailureError, RuntimeService
service = RuntimeService(home={home!r}, max_workers=1)
job = service.run("sleeper", inputs={{"seconds": 300}})
print(job.job_id(), flush=True)
sys.stdin.read()
"""


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def test_jobs_of_a_killed_host_not_yet_reaped_are_recovered(programs, tmp_path):
    host = spawn_python(_HOST.format(home=str(tmp_path)))
    try:
        line = host.stdout.readline()
        assert line, host.stderr.read()
        job_id = line.strip()
        os.kill(host.pid, signal.SIGKILL)
        # its parent (this test) has not reaped it yet: it is a zombie, which runs nothing
        wait_until(lambda: _state(host.pid) == "Z", what="the killed host to become a zombie")
        later = RuntimeService(home=tmp_path)
        job = later.job(job_id)
        assert job.status() is JobStatus.ERROR
        assert INTERRUPTED_MESSAGE in job.error_message()
        later.close()
    finally:
        if host.poll() is None:
            host.kill()
        host.wait(30)


def test_stream_delivers_everything_after_the_service_closed(programs, tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    service = RuntimeService(home=tmp_path / "home", max_workers=1)
    seen: list[int] = []
    first, closed, ended = threading.Event(), threading.Event(), threading.Event()

    def on_message(job_id, message):
        seen.append(message)
        if message == 0:
            with open(gate, "w", encoding="utf-8"):
                pass  # lets the program publish the rest
            first.set()
            assert closed.wait(60)
        if message == 4:
            ended.set()

    job = service.run("edge-gated", inputs={"gate": str(gate), "count": 5})
    job.stream_results(on_message)
    assert first.wait(60)
    service.close()  # waits for the job; the stream is still delivering message 0
    closed.set()
    assert ended.wait(30), f"the stream stopped after {seen}"
    assert seen == [0, 1, 2, 3, 4]
    job.cancel_result_streaming()


def test_waiting_for_a_job_survives_the_service_closing(programs, tmp_path):
    host = RuntimeService(home=tmp_path, max_workers=1)
    other = RuntimeService(home=tmp_path)
    try:
        started = threading.Event()
        running = host.run(
            "sleeper", inputs={"seconds": 300}, callback=lambda job_id, message: started.set()
        )
        assert started.wait(60)
        follower = other.job(running.job_id())
        polling, outcome = threading.Event(), []

        def wait() -> None:
            follower.status()  # this thread now reads the store
            polling.set()
            try:
                follower.wait_for_final_state(60)
                outcome.append(follower.status())
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome.append(exc)

        thread = threading.Thread(target=wait)
        thread.start()
        assert polling.wait(30)
        other.close()
        running.cancel()
        thread.join(60)
        assert outcome == [JobStatus.CANCELLED]
    finally:
        other.close()
        host.close(wait=False)


def test_cancel_stops_what_the_program_started(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        children: list[int] = []
        started = threading.Event()

        def on_message(job_id, pid):
            children.append(pid)
            started.set()

        job = service.run("edge-spawner", callback=on_message)
        assert started.wait(60)
        assert pid_alive(children[0])
        job.cancel()
        assert job.status() is JobStatus.CANCELLED
        wait_until(
            lambda: not pid_alive(children[0]),
            timeout=10,
            what="the program's child process to stop",
        )


def test_a_thread_left_by_a_job_does_not_publish_into_the_next_one(programs, tmp_path):
    gates = {"wake": str(tmp_path / "wake"), "done": str(tmp_path / "done")}
    for path in gates.values():
        os.mkfifo(path)
    with RuntimeService(home=tmp_path / "home", max_workers=1) as service:
        first = service.run("edge-leaver", inputs=gates)
        assert first.result(timeout=60) == "first"
        second = service.run("edge-follower", inputs=gates)  # same warm worker
        assert second.result(timeout=60) == "second"
        assert second.interim_results() == ["own"]
        assert first.interim_results() == []


def test_jobs_fail_when_no_worker_can_be_started(programs, tmp_path, monkeypatch):
    # The interpreter was removed or replaced underneath a running service (an upgrade).
    monkeypatch.setattr(sys, "executable", str(tmp_path / "gone" / "python"))
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        job = service.run("echo")
        with pytest.raises(RuntimeJobFailureError, match="cannot be started"):
            job.result(timeout=30)
        assert job.status() is JobStatus.ERROR


def test_output_that_is_not_valid_unicode_does_not_stall_the_job(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        printed = service.run("edge-surrogate")
        assert printed.result(timeout=30) == "ok"
        assert "reading caf\\udce9.qpy" in printed.logs()
        failed = service.run("edge-surrogate", inputs={"fail": True})
        failed.wait_for_final_state(30)
        assert failed.status() is JobStatus.ERROR
        assert "caf\\udce9.qpy" in failed.error_message()
