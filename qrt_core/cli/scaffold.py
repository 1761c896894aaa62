"""``qrt new``: write a ready-to-install program package from the templates in
``qrt_core/templates/program``."""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from typing import Any

import click

from .exit_codes import CliUsageError
from .state import pass_state

__all__ = ["COMMANDS", "scaffold_program", "TEMPLATE_SUFFIX"]

TEMPLATE_SUFFIX = ".tmpl"
#: The folder name in the templates that becomes the program's package.
PACKAGE_PLACEHOLDER = "__package__"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _template_root() -> Any:
    from importlib.resources import files

    return files("qrt_core") / "templates" / "program"


def _walk(folder: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_walk(entry, (*prefix, entry.name)))
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append(((*prefix, entry.name), entry))
    return found


def scaffold_program(name: str, directory: str | Path = ".") -> Path:
    """Create ``directory/name``: a program package named ``name`` with its metadata, README and
    tests. Returns the new folder; refuses a bad name or a folder that exists and is not empty."""
    if not _NAME.match(name):
        raise CliUsageError(
            f"{name!r} is not a usable program name: use letters, digits, '-' and '_', starting with a letter."
        )
    package = name.lower().replace("-", "_")
    if keyword.iskeyword(package):
        raise CliUsageError(f"{name!r} cannot be a program name: {package!r} is a Python keyword.")
    import importlib.util

    if importlib.util.find_spec(package) is not None:
        raise CliUsageError(
            f"A module named {package!r} is already importable here, and the program's package would clash "
            "with it; choose another name."
        )
    target = Path(directory) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliUsageError(f"{target} already exists and is not empty; choose another name or --directory.")

    from .. import __version__

    values = {"name": name, "package": package, "dist": name.lower(), "qrt_version": __version__}
    for parts, entry in _walk(_template_root()):
        rel = [package if part == PACKAGE_PLACEHOLDER else part for part in parts]
        rel[-1] = rel[-1][: -len(TEMPLATE_SUFFIX)]
        text = entry.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        path = target.joinpath(*rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


@click.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the NAME folder.",
)
@pass_state
def new_command(_state: Any, name: str, directory: Path) -> int:
    """Create a new program package NAME: main, metadata with schemas, README and tests."""
    target = scaffold_program(name, directory)
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    click.echo(f"Created program {name!r} in {target}:")
    for rel in files:
        click.echo(f"  {rel}")
    click.echo("\nNext:")
    click.echo(f"  pip install -e {target}")
    click.echo(f"  pytest {target}")
    click.echo(f"  qrt run {name} -i iterations=2")
    return 0


COMMANDS = [new_command]
