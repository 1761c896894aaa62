"""Jobs: what running a program as a job costs, side by side with the naive alternatives.

1. A trivial program, submit -> result, on warm workers; against a fresh ``python`` process per job
   running the same ``main`` with an Aer backend (how a naive local mode runs it). Target >= 50x
   faster at p50.
2. One job publishing 10,000 small interim results: all stored, in order. Target >= 20,000 msg/s.
3. The sample program through ``service.run`` against calling its ``main`` directly in this
   process. Target: overhead <= 5 %.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qrt_core import RuntimeService
from qrt_core.testing import on_sys_path, write_program

TRIVIAL_JOBS = 200
FRESH_PROCESSES = 10
MESSAGES = 10_000
SAMPLE_ITERATIONS = 10
SAMPLE_REPEATS = 9

SCHEMA = {"$schema": "https://json-schema.org/draft/2019-09/schema"}
TRIVIAL = "def main(backend, user_messenger, **kwargs):\n    return 'ok'\n"
PUBLISHER = (
    "def main(backend, user_messenger, **kwargs):\n"
    "    for index in range(kwargs['count']):\n"
    "        user_messenger.publish({'i': index})\n"
    "    return kwargs['count']\n"
)
FRESH = (
    "import sys\n"
    "from qiskit_aer import AerSimulator\n"
    "from qrt_core import UserMessenger\n"
    "from bench_trivial.program import main\n"
    "main(AerSimulator(), UserMessenger())\n"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(value: float) -> str:
    return f"{value * 1000:9.2f} ms"


def write_programs(root: Path) -> None:
    meta = {"max_execution_time": 600, "spec": {"parameters": SCHEMA}}
    write_program(root, "bench-trivial", TRIVIAL, meta, package="bench_trivial", module="program")
    write_program(root, "bench-publisher", PUBLISHER, meta, package="bench_publisher", module="program")


def bench_trivial(service: RuntimeService, root: Path) -> tuple[list[float], list[float]]:
    for _ in range(10):  # warm both workers and the host
        service.run("bench-trivial").result()
    jobs = []
    for _ in range(TRIVIAL_JOBS):
        start = time.perf_counter()
        service.run("bench-trivial").result()
        jobs.append(time.perf_counter() - start)
    fresh = []
    for _ in range(FRESH_PROCESSES):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", FRESH], check=True, capture_output=True)
        fresh.append(time.perf_counter() - start)
    return jobs, fresh


def bench_interim(service: RuntimeService) -> tuple[float, bool]:
    start = time.perf_counter()
    job = service.run("bench-publisher", inputs={"count": MESSAGES})
    assert job.result() == MESSAGES
    elapsed = time.perf_counter() - start
    stored = job.interim_results()
    return elapsed, stored == [{"i": i} for i in range(MESSAGES)]


def bench_sample(service: RuntimeService) -> tuple[list[float], list[float]]:
    from qiskit_aer import AerSimulator

    from qrt_core import UserMessenger
    from sample_program.sample_program import main

    class Quiet(UserMessenger):
        def _deliver(self, text: str, final: bool) -> None:
            pass

    inputs = {"iterations": SAMPLE_ITERATIONS}
    service.run("sample-program", inputs=inputs).result()  # warm the worker's transpiler
    main(AerSimulator(), Quiet(), **dict(inputs))
    direct, jobs = [], []
    for _ in range(SAMPLE_REPEATS):
        start = time.perf_counter()
        main(AerSimulator(), Quiet(), **dict(inputs))
        direct.append(time.perf_counter() - start)
        start = time.perf_counter()
        service.run("sample-program", inputs=inputs).result()
        jobs.append(time.perf_counter() - start)
    return direct, jobs


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "programs"
        write_programs(root)
        with on_sys_path(root), RuntimeService(home=Path(tmp) / "home", max_workers=2) as service:
            jobs, fresh = bench_trivial(service, root)
            interim_seconds, in_order = bench_interim(service)
            direct, sample_jobs = bench_sample(service)

    print(f"Trivial program, submit -> result ({TRIVIAL_JOBS} jobs on warm workers, {FRESH_PROCESSES} fresh processes)")
    print(f"  {'':28} {'p50':>12} {'p95':>12}")
    print(f"  {'service.run (warm workers)':28} {ms(percentile(jobs, 0.5))} {ms(percentile(jobs, 0.95))}")
    print(f"  {'fresh python per job':28} {ms(percentile(fresh, 0.5))} {ms(percentile(fresh, 0.95))}")
    print(f"  ratio at p50: {percentile(fresh, 0.5) / percentile(jobs, 0.5):.0f}x faster (target >= 50x)")
    print()
    rate = MESSAGES / interim_seconds
    print(f"One job publishing {MESSAGES:,} interim results")
    print(f"  submit -> result {interim_seconds * 1000:.0f} ms, {rate:,.0f} msg/s (target >= 20,000), stored in order: {in_order}")
    print()
    d50, j50 = statistics.median(direct), statistics.median(sample_jobs)
    print(f"Sample program, {SAMPLE_ITERATIONS} iterations (median of {SAMPLE_REPEATS})")
    print(f"  main() called directly   {ms(d50)}")
    print(f"  service.run -> result    {ms(j50)}")
    print(f"  overhead {(j50 / d50 - 1) * 100:+.1f} % (target <= 5 %)")


if __name__ == "__main__":
    main()
