"""Running jobs end to end: the sample program, results, interim results, logs, metrics, decoders,
retrieval from another process, listing, deleting, and the checks made before a job is queued."""

from __future__ import annotations

import json
import threading

import pytest
from jobs_helpers import run_python
from qiskit.providers import JobStatus

from qrt_core import (
    BackendNotFoundError,
    BackendRequirementsError,
    InputValidationError,
    JobNotFoundError,
    ProgramNotFoundError,
    QRTError,
    ResultDecoder,
    RuntimeInvalidStateError,
    RuntimeOptions,
    RuntimeService,
)
from qrt_core.jobs.store import JobStore


@pytest.fixture(scope="module")
def service(programs, home):
    service = RuntimeService(home=home, max_workers=2)
    yield service
    service.close(wait=False)


def test_sample_program_end_to_end(service):
    received = []
    done = threading.Event()

    def interim(job_id, message):
        received.append((job_id, message))
        if len(received) == 3:
            done.set()

    job = service.run(
        "sample-program", inputs={"iterations": 3}, options={"backend_name": "aer_simulator"}, callback=interim
    )
    assert job.status() in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
    assert job.result(timeout=120) == "All done!"
    assert job.status() is JobStatus.DONE
    # result() returns once the callback has seen every interim result
    assert done.is_set()
    interim_results = job.interim_results()
    assert [m["iteration"] for m in interim_results] == [0, 1, 2]
    assert all(sum(m["counts"].values()) == 1024 for m in interim_results)
    assert received == [(job.job_id(), m) for m in interim_results]
    assert job.interim_results(since=2) == interim_results[2:]
    assert job.program_id == "sample-program"
    assert job.backend_name == "aer_simulator"
    assert job.inputs == {"iterations": 3}
    assert job.error_message() is None
    metrics = job.metrics()
    assert metrics["program_id"] == "sample-program"
    assert metrics["backend"] == "aer_simulator"
    assert metrics["interim_results"] == 3
    assert metrics["timestamps"]["created"] <= metrics["timestamps"]["running"] <= metrics["timestamps"]["finished"]
    assert metrics["usage"]["seconds"] > 0
    assert [h["status"] for h in metrics["status_history"]] == ["QUEUED", "RUNNING", "DONE"]
    assert metrics["worker"]["worker_pid"] > 0


def test_final_message_is_the_result_and_never_an_interim_one(service):
    job = service.run("final-only")
    assert job.result(timeout=60) == {"answer": 42}
    assert job.interim_results() == ["step"]


def test_logs_hold_stdout_stderr_and_logging(service):
    job = service.run("echo", inputs={"count": 2, "label": "x"})
    result = job.result(timeout=60)
    assert result == {"inputs": {"count": 2, "label": "x"}, "backend": "aer_simulator"}
    logs = job.logs()
    assert "hello from echo\n" in logs
    assert "WARNING echo: a warning from echo" in logs
    assert "an info from echo" not in logs  # the default log level is WARNING, as IBM's was
    verbose = service.run("echo", options=RuntimeOptions(log_level="INFO"))
    verbose.wait_for_final_state(60)
    assert "INFO echo: an info from echo" in verbose.logs()


def test_parameter_namespace_is_accepted_without_leaking_internals(service):
    params = service.program("echo").parameters()
    params.count = 1
    params.label = "ns"
    job = service.run("echo", inputs=params)
    assert job.result(timeout=60)["inputs"] == {"count": 1, "label": "ns"}


def test_result_decoders(service):
    class Tagged(ResultDecoder):
        @classmethod
        def decode(cls, data):
            return ("tagged", super().decode(data))

    job = service.run("echo", inputs={"count": 1}, result_decoder=Tagged)
    assert job.result(timeout=60)[0] == "tagged"
    assert job.interim_results() == [("tagged", {"index": 0})]
    assert job.result(decoder=ResultDecoder)["inputs"] == {"count": 1}
    pair = service.run("echo", inputs={"count": 1}, result_decoder=(Tagged, ResultDecoder))
    assert pair.result(timeout=60)["inputs"] == {"count": 1}
    assert pair.interim_results() == [("tagged", {"index": 0})]
    named = service.run("echo", inputs={"count": 1}, result_decoder="default")
    assert named.result(timeout=60, decoder="default")["inputs"] == {"count": 1}
    with pytest.raises(QRTError, match="default"):
        service.run("echo", result_decoder="no-such-decoder")


def test_inputs_are_validated_before_anything_is_stored(service, home):
    before = len(JobStore(home).list(limit=None))
    with pytest.raises(InputValidationError) as info:
        service.run("echo", inputs={"count": -1, "label": 5, "values": [1, "two"]})
    paths = [path for path, _msg in info.value.errors]
    assert paths == ["$.count", "$.label", "$.values[1]"]
    with pytest.raises(InputValidationError) as info:
        service.run("sample-program", inputs={})
    assert info.value.errors[0][0] == "$.iterations"
    with pytest.raises(InputValidationError) as info:
        service.run("echo", inputs={"label": object()})
    assert info.value.errors[0][0] == "$.label"
    with pytest.raises(InputValidationError):
        service.run("echo", inputs=[1, 2])
    with pytest.raises(ProgramNotFoundError):
        service.run("no-such-program")
    with pytest.raises(BackendNotFoundError) as info:
        service.run("echo", options={"backend_name": "aer_simulatr"})
    assert info.value.available[0] == "aer_simulator"
    with pytest.raises(BackendRequirementsError) as info:
        service.run("big-needs")
    assert "1000" in str(info.value) and "aer_simulator" in str(info.value)
    with pytest.raises(QRTError, match="may only lower"):
        service.run("echo", options={"max_execution_time": 3600})
    with pytest.raises(QRTError, match="accepted options"):
        service.run("echo", options={"bakend": "x"})
    with pytest.raises(QRTError, match="log_level"):
        service.run("echo", options={"log_level": "LOUD"})
    assert len(JobStore(home).list(limit=None)) == before


def test_retrieval_listing_and_deletion_from_another_process(service, home):
    first = service.run("echo", inputs={"count": 1})
    second = service.run("final-only")
    first.wait_for_final_state(60)
    second.wait_for_final_state(60)
    out = run_python(
        f"""
        import json
        from qrt_core import RuntimeService
        service = RuntimeService(home={str(home)!r})
        job = service.job({first.job_id()!r})
        listed = [j.job_id() for j in service.jobs(program_id="final-only", limit=None, pending=False)]
        print(json.dumps({{
            "status": job.status().name,
            "result": job.result(),
            "interim": job.interim_results(),
            "logs": job.logs(),
            "listed": listed,
        }}))
        """
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["status"] == "DONE"
    assert seen["result"]["inputs"] == {"count": 1}
    assert seen["interim"] == [{"index": 0}]
    assert "hello from echo" in seen["logs"]
    assert second.job_id() in seen["listed"] and first.job_id() not in seen["listed"]

    newest = service.jobs(limit=2)
    assert [j.job_id() for j in newest] == [second.job_id(), first.job_id()]
    assert [j.job_id() for j in service.jobs(limit=2, descending=False)][0] != second.job_id()
    assert all(j.status() is JobStatus.DONE for j in service.jobs(status=JobStatus.DONE, limit=None))
    assert service.jobs(pending=True, program_id="echo", limit=None) == []
    assert [j.job_id() for j in service.jobs(created_after=second.creation_date, limit=None)] == [second.job_id()]

    service.delete_job(first.job_id())
    with pytest.raises(JobNotFoundError):
        service.job(first.job_id())
    with pytest.raises(JobNotFoundError):
        service.delete_job(first.job_id())


def test_stream_results_from_another_process(service, home):
    # A third process tails the running job, then cancels it; its stream ends with the job.
    job = service.run("streamer", inputs={"count": 50})
    out = run_python(
        f"""
        import threading
        from qrt_core import RuntimeService
        service = RuntimeService(home={str(home)!r})
        job = service.job({job.job_id()!r})
        seen, got_all = [], threading.Event()
        def on_message(job_id, message):
            seen.append(message)
            if len(seen) == 50:
                got_all.set()
        job.stream_results(on_message)
        assert got_all.wait(60)
        job.cancel()
        job._stream.join(30)
        print(seen == list(range(50)), job._stream.is_alive(), job.status().name)
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "CANCELLED"]
    job.wait_for_final_state(30)
    assert job.status() is JobStatus.CANCELLED
    assert job.interim_results() == list(range(50))


def test_stream_results_rules(service):
    job = service.run("sleeper", inputs={"seconds": 60})
    seen = threading.Event()
    job.stream_results(lambda job_id, message: seen.set())
    with pytest.raises(RuntimeInvalidStateError):
        job.stream_results(print)
    assert seen.wait(60)
    job.cancel_result_streaming()
    job.cancel()
    with pytest.raises(RuntimeInvalidStateError):
        job.stream_results(print)


def test_inline_executor_runs_in_this_process(programs, tmp_path):
    with RuntimeService(home=tmp_path, executor="inline") as service:
        job = service.run("echo", inputs={"count": 2})
        assert job.result(timeout=60)["inputs"] == {"count": 2}
        assert job.interim_results() == [{"index": 0}, {"index": 1}]
        assert "hello from echo" in job.logs()
        assert job.metrics()["executor"] == "inline"
        failed = service.run("fail-raise")
        failed.wait_for_final_state(60)
        assert "boom from the program" in failed.error_message()


def test_unknown_executor_is_reported(programs, tmp_path):
    service = RuntimeService(home=tmp_path, executor="nowhere")
    with pytest.raises(QRTError, match="inline, process"):
        service.run("echo")
    service.close()
    with pytest.raises(RuntimeInvalidStateError):
        service.run("echo")
