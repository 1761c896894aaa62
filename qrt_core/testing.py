"""Helpers for tests of programs and plugins: fake installed distributions made on the fly, and
waiting on a condition with a deadline.

A fake distribution is a folder on ``sys.path`` holding a package and a ``<name>.dist-info`` with
``METADATA`` and ``entry_points.txt`` — exactly what ``pip install`` leaves behind, so qrt finds it
through the real entry-point machinery without installing anything.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "write_distribution",
    "write_program",
    "write_programs",
    "write_plugin",
    "on_sys_path",
    "wait_until",
    "pid_alive",
]


def _dist_dir_name(dist: str, version: str) -> str:
    return f"{dist.replace('-', '_')}-{version}.dist-info"


def write_distribution(
    root: str | os.PathLike[str],
    dist: str,
    *,
    version: str = "1.0.0",
    files: Mapping[str, str] | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write a fake installed distribution under ``root``; returns ``root``.

    ``files`` maps relative paths to file contents (dedented). ``entry_points`` maps a group to
    ``{name: "module:attr"}``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    info = root / _dist_dir_name(dist, version)
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    lines = []
    for group, items in (entry_points or {}).items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {target}" for name, target in items.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return root


def write_program(
    root: str | os.PathLike[str],
    name: str,
    source: str,
    metadata: Mapping[str, Any] | str | None = None,
    *,
    package: str | None = None,
    module: str | None = None,
    version: str = "1.0.0",
    metadata_filename: str | None = None,
    package_init: str = "",
) -> Path:
    """Write a fake program distribution: ``<package>/<module>.py`` defining ``main`` (``source``),
    its metadata JSON beside it (a dict, raw text, or ``None`` for no file), and the
    ``qrt.programs`` entry point ``name = package.module:main``."""
    package = package or name.replace("-", "_")
    module = module or package
    if metadata is None:
        meta_text = None
    elif isinstance(metadata, str):
        meta_text = metadata
    else:
        meta_text = json.dumps({"name": name, **dict(metadata)}, indent=2)
    files = {f"{package}/__init__.py": package_init, f"{package}/{module}.py": source}
    if meta_text is not None:
        files[f"{package}/{metadata_filename or module + '.json'}"] = meta_text
    return write_distribution(
        root,
        f"{name}-dist",
        version=version,
        files=files,
        entry_points={"qrt.programs": {name: f"{package}.{module}:main"}},
    )


def write_plugin(
    root: str | os.PathLike[str],
    name: str,
    source: str,
    *,
    module: str | None = None,
    dist: str | None = None,
    version: str = "1.0.0",
) -> Path:
    """Write a fake plugin distribution: module ``source`` and a ``qrt.plugins`` entry point."""
    module = module or name.replace("-", "_")
    return write_distribution(
        root,
        dist or f"{name}-dist",
        version=version,
        files={f"{module}.py": source},
        entry_points={"qrt.plugins": {name: module}},
    )


@contextmanager
def on_sys_path(path: str | os.PathLike[str], *, pythonpath: bool = True) -> Iterator[Path]:
    """Put ``path`` first on ``sys.path`` (and ``PYTHONPATH``, for worker processes) for a while."""
    path = str(Path(path))
    old_env = os.environ.get("PYTHONPATH")
    sys.path.insert(0, path)
    if pythonpath:
        os.environ["PYTHONPATH"] = path + (os.pathsep + old_env if old_env else "")
    import importlib

    importlib.invalidate_caches()
    try:
        yield Path(path)
    finally:
        try:
            sys.path.remove(path)
        except ValueError:
            pass
        if pythonpath:
            if old_env is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old_env
        importlib.invalidate_caches()


def write_programs(
    root: str | os.PathLike[str],
    programs: Mapping[str, tuple[str, Mapping[str, Any]]],
    *,
    package_prefix: str = "",
) -> Path:
    """Write each ``{name: (source, metadata)}`` under ``root`` as its own fake distribution, in a
    package named ``package_prefix`` + the name in snake case with module ``program``; returns
    ``root``. ``source`` is dedented."""
    for name, (source, metadata) in programs.items():
        package = package_prefix + name.replace("-", "_")
        write_program(root, name, textwrap.dedent(source), metadata, package=package, module="program")
    return Path(root)


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something true and return that, or raise
    ``AssertionError`` after ``timeout`` seconds (for conditions no event signals, such as a row
    appearing in another process's store)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)  # the polling interval, bounded by the deadline above
        delay = min(delay * 2, 0.2)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, which has exited, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
