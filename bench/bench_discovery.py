"""Program discovery: ``RuntimeService().programs()`` over 200 installed program distributions,
side by side with a bare ``importlib.metadata.entry_points(group="qrt.programs")`` scan.

Target: discovery (entry points + locating each module + reading and validating its metadata)
costs at most 3x the bare scan, and imports no program module.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from qrt_core.metadata_cache import MetadataCache
from qrt_core.programs import discover_programs
from qrt_core.testing import on_sys_path, write_program

N_PROGRAMS = 200
REPEATS = 15

MAIN = "import sys\nsys.modules.setdefault('bench_imported', []).append(__name__)\n" \
       "def main(backend, user_messenger, **kwargs):\n    return 'ok'\n"


def metadata(index: int) -> dict:
    sample = Path(__import__("sample_program").__file__).parent / "sample_program.json"
    data = json.loads(sample.read_text())
    data["description"] = f"Benchmark program {index}."
    data.pop("name")
    return data


def timed(fn, repeats: int = REPEATS) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    import importlib.metadata as stdlib_metadata

    with tempfile.TemporaryDirectory() as tmp:
        for index in range(N_PROGRAMS):
            write_program(tmp, f"bench-prog-{index}", MAIN, metadata(index), package=f"bench_prog_{index}")
        with on_sys_path(tmp, pythonpath=False):
            found = discover_programs()
            assert len([n for n in found.programs if n.startswith("bench-prog-")]) == N_PROGRAMS, found.broken
            cache_dir = Path(tmp) / "cache"
            discover_programs(MetadataCache(cache_dir))  # writes the on-disk verdicts
            bare = timed(lambda: list(stdlib_metadata.entry_points(group="qrt.programs")))
            cold = timed(lambda: discover_programs(MetadataCache()), repeats=5)
            disk = timed(lambda: discover_programs(MetadataCache(cache_dir)))
            warm = timed(lambda: discover_programs())
            imported = [m for m in sys.modules if m.startswith("bench_prog_")] + sys.modules.get("bench_imported", [])
    b = statistics.median(bare)
    print(f"{N_PROGRAMS} program distributions on sys.path")
    print(f"{'what':<62}{'median ms':>10}{'ratio':>8}")
    rows = [
        ("importlib.metadata.entry_points(group='qrt.programs')", bare),
        ("programs(), same process (in-memory verdicts)", warm),
        ("programs(), new process ($QRT_HOME/cache verdicts)", disk),
        ("programs(), first ever (every schema checked, no cache)", cold),
    ]
    for label, times in rows:
        t = statistics.median(times)
        print(f"{label:<62}{t * 1e3:>10.1f}{t / b:>7.2f}x")
    print("target: programs() <= 3x the bare scan")
    print(f"program modules imported while listing: {len(imported)}")


if __name__ == "__main__":
    main()
