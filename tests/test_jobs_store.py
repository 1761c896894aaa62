"""The job store under load and across processes: many jobs through few workers, a hosting process
killed with SIGKILL and its jobs recovered by the next service, and the store's own guarantees."""

from __future__ import annotations

import json
import os
import signal
import sqlite3

from jobs_helpers import pid_alive, spawn_python, wait_until
from qiskit.providers import JobStatus

from qrt_core import RuntimeService
from qrt_core.jobs.store import INTERRUPTED_MESSAGE, SCHEMA_VERSION, JobStore


def test_two_hundred_jobs_through_two_workers(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=2) as service:
        jobs = [service.run("echo", inputs={"count": i % 3, "label": f"job-{i}"}) for i in range(200)]
        for index, job in enumerate(jobs):
            assert job.result(timeout=120)["inputs"]["label"] == f"job-{index}"
        workers = {job.metrics()["worker"]["worker_pid"] for job in jobs}
        assert 1 <= len(workers) <= 2  # the second may still be warming up while the first drains the queue
    store = JobStore(tmp_path)
    records = store.list(limit=None)
    assert len(records) == 200 and {r.status for r in records} == {"DONE"}
    assert sum(r.interim_count for r in records) == sum(i % 3 for i in range(200))
    for record in records[:20]:
        assert [seq for seq, _ in store.interim_results(record.job_id)] == list(range(1, record.interim_count + 1))


def test_many_interim_results_are_stored_in_order(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        job = service.run("publisher", inputs={"count": 3000})
        assert job.result(timeout=120) == 3000
        assert job.interim_results() == list(range(3000))
        assert job.interim_results(since=2990) == list(range(2990, 3000))


_HOST_SCRIPT = """
import sys, threading
from qrt_core import RuntimeService
service = RuntimeService(home={home!r}, max_workers=1)
started = threading.Event()
job = service.run("sleeper", inputs={{"seconds": 300}}, callback=lambda j, m: started.set())
queued = service.run("echo")
assert started.wait(120)
print(job.job_id(), queued.job_id(), flush=True)
job.wait_for_final_state()
"""


def test_kill_9_of_the_hosting_process_and_recovery(programs, tmp_path):
    home = tmp_path / "home"
    # A job hosted by this (live) process must be left alone by the recovery.
    with RuntimeService(home=home, max_workers=1) as mine:
        ours = mine.run("sleeper", inputs={"seconds": 300})
        host = spawn_python(_HOST_SCRIPT.format(home=str(home)))
        try:
            line = host.stdout.readline()
            assert line, host.stderr.read()
            running_id, queued_id = line.split()
            worker = RuntimeService(home=home).job(running_id).metrics()["worker"]["worker_pid"]
            os.kill(host.pid, signal.SIGKILL)
            host.wait(30)
        finally:
            if host.poll() is None:
                host.kill()
        # the worker does not outlive the process that hosted it
        wait_until(lambda: not pid_alive(worker), what="the orphaned worker to stop")

        later = RuntimeService(home=home)
        recovered = later.job(running_id)
        assert recovered.status() is JobStatus.ERROR
        assert INTERRUPTED_MESSAGE in recovered.error_message()
        assert later.job(queued_id).status() is JobStatus.ERROR
        assert recovered.metrics()["failure_reason"] == "interrupted"
        assert later.job(ours.job_id()).status() in (JobStatus.QUEUED, JobStatus.RUNNING)
        assert later.jobs(pending=True, limit=None)[0].job_id() == ours.job_id()
        ours.cancel()
        later.close()


def test_store_is_wal_with_a_versioned_schema(tmp_path):
    store = JobStore(tmp_path)
    assert store.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "jobs.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"jobs", "status_history", "interim_results", "logs", "cancel_requests"} <= tables
    conn.close()
    store.close()


def test_job_record_keeps_options_and_worker(programs, tmp_path):
    with RuntimeService(home=tmp_path, max_workers=1) as service:
        job = service.run("echo", options={"max_execution_time": 30, "log_level": "info"})
        job.result(timeout=60)
    record = JobStore(tmp_path).get(job.job_id())
    assert record.options == {"backend_name": "aer_simulator", "max_execution_time": 30.0, "log_level": "INFO"}
    assert record.program_version == "1.0.0"
    assert record.worker["executor"] == "process"
    assert json.loads(record.inputs) == {}
