"""The ``ray`` executor on a two-node Ray cluster on this machine (Ray's ``Cluster`` helper, one CPU
per node): every job of a batch finishes, and the jobs ran on both nodes, over loopback only."""

from __future__ import annotations

import pytest
from qiskit.providers import JobStatus
from qrt_ray_testing import forget_dead_cluster, is_loopback

from qrt_core import RuntimeService


@pytest.fixture(scope="module")
def cluster(programs):
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        connect=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
        forget_dead_cluster(cluster.address)


def test_jobs_spread_over_both_nodes_and_none_is_lost(cluster, tmp_path):
    import ray

    nodes = [node for node in ray.nodes() if node["Alive"]]
    assert len(nodes) == 2
    assert all(is_loopback(node["NodeManagerAddress"]) for node in nodes)
    with RuntimeService(home=tmp_path, executor="ray") as service:
        jobs = [service.run("sample-program", inputs={"iterations": 1}) for _ in range(8)]
        results = [job.result(timeout=180) for job in jobs]
        assert results == ["All done!"] * 8
        assert all(job.status() is JobStatus.DONE for job in jobs)
        assert all(len(job.interim_results()) == 1 for job in jobs)
        workers = [job.metrics()["worker"] for job in jobs]
    assert {worker["node_id"] for worker in workers} == {node["NodeID"] for node in nodes}
    assert all(is_loopback(worker["node_address"]) for worker in workers)
    stored = RuntimeService(home=tmp_path).jobs(limit=None, program_id="sample-program")
    assert sorted(job.job_id() for job in stored) == sorted(job.job_id() for job in jobs)
    assert all(job.status() is JobStatus.DONE for job in stored)
