"""The ``ray`` executor's default: with no address it starts a local Ray instance of its own, and
closing the service stops that instance (and every worker of it) again."""

from __future__ import annotations

import pytest
from qrt_ray_testing import is_loopback, pid_alive, wait_until

from qrt_core import RuntimeJobFailureError, RuntimeService


def test_a_local_instance_is_started_and_stopped(programs, tmp_path):
    import ray

    assert not ray.is_initialized()
    service = RuntimeService(home=tmp_path, executor="ray", executor_options={"num_cpus": 1})
    job = service.run("ray-chatty", inputs={"count": 2})
    assert job.result(timeout=120) == {"count": 2, "backend": "aer_simulator"}
    worker = job.metrics()["worker"]
    assert is_loopback(worker["node_address"])
    assert ray.is_initialized()
    service.close(wait=True)
    assert not ray.is_initialized()
    wait_until(lambda: not pid_alive(worker["worker_pid"]), what="the instance's workers to stop")


def test_an_address_nobody_answers_at_fails_the_jobs_quickly(programs, tmp_path):
    import socket

    with socket.socket() as probe:  # a loopback port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    with RuntimeService(
        home=tmp_path, executor="ray", executor_options={"address": address}
    ) as service:
        job = service.run("ray-chatty", inputs={"count": 1})
        with pytest.raises(RuntimeJobFailureError) as info:
            job.result(timeout=30)
        assert f"could not connect to Ray at '{address}'" in str(info.value)
        assert "nothing answers" in str(info.value)
        # later jobs fail at once with the same reason
        with pytest.raises(RuntimeJobFailureError, match="could not connect"):
            service.run("ray-chatty", inputs={"count": 1}).result(timeout=5)


def test_two_services_share_the_local_instance_until_the_last_closes(programs, tmp_path):
    import ray

    first = RuntimeService(home=tmp_path, executor="ray", executor_options={"num_cpus": 1})
    second = RuntimeService(home=tmp_path, executor="ray", executor_options={"num_cpus": 1})
    assert first.run("ray-chatty", inputs={"count": 1}).result(timeout=120)["count"] == 1
    job = second.run("ray-chatty", inputs={"count": 2})
    assert job.result(timeout=120)["count"] == 2
    first.close()
    assert ray.is_initialized()
    assert second.run("ray-chatty", inputs={"count": 3}).result(timeout=180)["count"] == 3
    second.close()
    assert not ray.is_initialized()
