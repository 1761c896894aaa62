"""The ``ray`` executor beside the ``process`` executor on this machine: 40 sample-program jobs
(``iterations=2``) as one batch, per-job overhead, and where Ray's extra cost comes from.

Both executors run as many jobs at once as this machine has CPUs (at most four, the ``process``
default). Ray runs a local instance on loopback only. Per-job overhead is the submit -> result
time of a trivial program, one job at a time, on warm workers. The breakdown times Ray's own steps
on the same instance: an empty task, an empty streaming task (the shape of a qrt job), event
delivery from a running task, and a fresh worker's imports.
"""

from __future__ import annotations

import os

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # before Ray starts: loopback only

import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

from qrt_core import RuntimeService  # noqa: E402
from qrt_core.testing import on_sys_path, write_program  # noqa: E402

BATCH = 40
ITERATIONS = 2
SEQUENTIAL = 20
EVENTS = 5000
WORKERS = max(1, min(4, os.cpu_count() or 1))

TRIVIAL = "def main(backend, user_messenger, **kwargs):\n    return 'ok'\n"
PUBLISHER = (
    "def main(backend, user_messenger, **kwargs):\n"
    "    for index in range(kwargs['count']):\n"
    "        user_messenger.publish(index)\n"
    "    return kwargs['count']\n"
)
META = {
    "description": "benchmark program",
    "max_execution_time": 600,
    "spec": {"parameters": {"type": "object"}},
}


def ms(value: float) -> str:
    return f"{value * 1000:10.1f} ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_executor(name: str, home: Path, options: dict) -> dict[str, float]:
    """Warm up, then the batch, the sequential trivial jobs and one chatty job, through ``name``."""
    figures: dict[str, float] = {}
    started = time.perf_counter()
    service = RuntimeService(
        home=home, executor=name, executor_options=options, max_workers=WORKERS
    )
    warm = [service.run("bench-trivial") for _ in range(WORKERS)]
    for job in warm:
        job.result(timeout=300)
    figures["warm_up"] = time.perf_counter() - started

    started = time.perf_counter()
    jobs = [service.run("sample-program", inputs={"iterations": ITERATIONS}) for _ in range(BATCH)]
    results = [job.result(timeout=600) for job in jobs]
    figures["batch"] = time.perf_counter() - started
    assert results == ["All done!"] * BATCH, results
    running = [job.metrics()["usage"]["seconds"] for job in jobs]
    figures["in_job"] = statistics.mean(running)

    latencies = []
    for _ in range(SEQUENTIAL):
        started = time.perf_counter()
        service.run("bench-trivial").result(timeout=60)
        latencies.append(time.perf_counter() - started)
    figures["trivial_p50"] = percentile(latencies, 0.5)
    figures["trivial_p95"] = percentile(latencies, 0.95)

    started = time.perf_counter()
    job = service.run("bench-publisher", inputs={"count": EVENTS})
    assert job.result(timeout=300) == EVENTS
    figures["events"] = time.perf_counter() - started
    assert job.interim_results() == list(range(EVENTS))

    if name == "ray":
        figures.update(ray_breakdown())
    started = time.perf_counter()
    service.close()
    figures["close"] = time.perf_counter() - started
    return figures


def ray_breakdown() -> dict[str, float]:
    """Ray's own steps, timed on the instance the executor started."""
    import ray

    @ray.remote(num_cpus=1)
    def empty() -> None:
        return None

    @ray.remote(num_cpus=1, num_returns="streaming")
    def one_event():
        yield 0

    @ray.remote(num_cpus=1, num_returns="streaming")
    def events(count: int, batch: int):
        for start in range(0, count, batch):
            yield list(range(start, min(count, start + batch)))

    @ray.remote(num_cpus=1)
    def imports() -> tuple[float, float]:
        started = time.perf_counter()
        import qiskit  # noqa: F401
        import qiskit_aer  # noqa: F401

        from qrt_core.backends import get_backend
        from qrt_core.runner import run_job  # noqa: F401

        get_backend("aer_simulator")
        return time.time(), time.perf_counter() - started

    def round_trips(make, repeats: int = 30) -> float:
        make()  # a warm worker first
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            make()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    figures = {
        "empty_task": round_trips(lambda: ray.get(empty.remote())),
        "stream_task": round_trips(lambda: [ray.get(ref) for ref in one_event.remote()]),
    }
    for batch in (1, 100):
        started = time.perf_counter()
        received = sum(len(ray.get(ref)) for ref in events.remote(EVENTS, batch))
        assert received == EVENTS
        figures[f"events_batch_{batch}"] = time.perf_counter() - started
    # A runtime environment no worker has yet forces a new worker process: its start and imports.
    fresh = imports.options(runtime_env={"env_vars": {"QRT_BENCH_FRESH": uuid.uuid4().hex}})
    started_wall, started = time.time(), time.perf_counter()
    import_done_at, import_seconds = ray.get(fresh.remote())
    figures["fresh_worker"] = time.perf_counter() - started
    figures["fresh_worker_imports"] = import_seconds
    figures["fresh_worker_start"] = import_done_at - import_seconds - started_wall
    return figures


def direct_sample_seconds() -> float:
    """The sample program's ``main`` called in this process: the work a job does."""
    from qrt_core.backends import get_backend
    from qrt_core.serialization.messenger import UserMessenger
    from sample_program.sample_program import main

    class Quiet(UserMessenger):
        def _deliver(self, text: str, final: bool) -> None:
            pass

    backend = get_backend("aer_simulator")
    main(backend, Quiet(), iterations=ITERATIONS)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        main(backend, Quiet(), iterations=ITERATIONS)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "programs"
        write_program(root, "bench-trivial", TRIVIAL, META, package="bench_ray_trivial")
        write_program(root, "bench-publisher", PUBLISHER, META, package="bench_ray_publisher")
        with on_sys_path(root):
            direct = direct_sample_seconds()
            process = run_executor("process", Path(tmp) / "home-process", {})
            ray_figures = run_executor("ray", Path(tmp) / "home-ray", {"num_cpus": 1})
    report(direct, process, ray_figures)


def report(direct: float, process: dict[str, float], ray_: dict[str, float]) -> None:
    print(
        f"{BATCH} sample-program jobs (iterations={ITERATIONS}), {WORKERS} at a time, on {os.cpu_count()} CPUs"
    )
    print(f"  {'':46} {'process':>13} {'ray':>13} {'ray/process':>12}")

    def row(label: str, key: str, unit=ms) -> None:
        print(
            f"  {label:46} {unit(process[key])} {unit(ray_[key])} {ray_[key] / process[key]:11.2f}x"
        )

    row("start-up (service to first job on each worker)", "warm_up")
    row(f"batch of {BATCH}, wall time", "batch")
    for figures in (process, ray_):
        figures["per_job_batch"] = figures["batch"] * WORKERS / BATCH
        figures["outside_job"] = figures["per_job_batch"] - figures["in_job"]
    row("  per job (wall x workers / jobs)", "per_job_batch")
    row("  of which running the program (RUNNING)", "in_job")
    row("  of which overhead (queue, dispatch, events)", "outside_job")
    row("trivial job, submit -> result p50", "trivial_p50")
    row("trivial job, submit -> result p95", "trivial_p95")
    row(f"one job publishing {EVENTS:,} interim results", "events")
    row("service.close()", "close")
    print(
        f"  sample main() called directly, alone: {direct * 1000:.1f} ms (jobs run {WORKERS} at a time, so slower)"
    )
    print(
        f"  throughput: process {BATCH / process['batch']:.1f} jobs/s, ray {BATCH / ray_['batch']:.1f} jobs/s"
    )
    print()
    print("Where Ray's overhead comes from (same Ray instance, medians)")

    def line(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:46} {ms(seconds)}{note}")

    line("empty task, submit -> ray.get", ray_["empty_task"])
    line("empty streaming task (a qrt job's shape)", ray_["stream_task"])
    line("trivial job: ray p50 minus process p50", ray_["trivial_p50"] - process["trivial_p50"])
    for batch, label in ((1, "one per yield"), (100, "100 per yield")):
        seconds = ray_[f"events_batch_{batch}"]
        line(f"{EVENTS:,} events, {label}", seconds, f"  ({EVENTS / seconds:,.0f} events/s)")
    line("fresh worker: submit -> result", ray_["fresh_worker"])
    line("  of which process start until task code runs", ray_["fresh_worker_start"])
    line("  of which imports (qiskit, Aer, qrt runner)", ray_["fresh_worker_imports"])
    print(
        "  (a killed worker - timeout, cancel, crash - is replaced by a fresh one on the next job)"
    )


if __name__ == "__main__":
    sys.exit(main())
