"""The ``qrt`` click group, its global options, and how an error becomes a short message and an
exit code (a traceback only with ``--debug``)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from .exit_codes import CliUsageError, ExitCode, exit_code_for
from .state import CliState

__all__ = ["cli", "run_cli"]

DEBUG_ENV = "QRT_DEBUG"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__
    from ..plugins import get_plugin_host

    click.echo(f"qrt {__version__} (Python {sys.version.split()[0]})")
    for info in get_plugin_host().plugins(include_builtins=False):
        origin = f"{info.distribution} {info.version}" if info.distribution else info.module
        click.echo(f"  plugin {info.name}: {origin}")
    ctx.exit(0)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="QRT_HOME",
    help="Where qrt keeps its job store (default: $QRT_HOME, else ~/.qrt).",
)
@click.option("--debug", is_flag=True, envvar=DEBUG_ENV, help="Show full tracebacks on errors.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show qrt's version and its plugins' versions, then exit.",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, debug: bool) -> None:
    """qrt: run quantum programs as jobs on your own machine.

    \b
    Exit codes: 0 success, 1 job ended in ERROR (or qrt failed), 2 invalid usage or inputs,
    3 job cancelled, 4 program, job or backend not found.
    """
    ctx.obj = CliState(home=home, debug=debug)


def _register_commands() -> None:
    # The command modules import only click at module level, so --help stays quick.
    from . import jobs, programs, run, scaffold

    for module in (programs, run, jobs, scaffold):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def _debug_requested(args: Sequence[str]) -> bool:
    if "--debug" in args:
        return True
    return os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "false", "no")


def _error(message: str) -> None:
    click.echo(click.style("Error: ", fg="red", bold=True) + message, err=True)


def run_cli(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (see :class:`ExitCode`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    try:
        result = cli.main(args=args, prog_name="qrt", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return ExitCode.INVALID
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("\nInterrupted.", err=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # Output piped into e.g. `head`, which stopped reading: not an error of ours.
        sys.stderr.close()
        return ExitCode.OK
    except Exception as exc:
        code = exit_code_for(exc)
        if debug:
            traceback.print_exc()
        from ..exceptions import QRTError

        if isinstance(exc, (QRTError, CliUsageError)):
            _error(str(exc))
        else:
            _error(f"qrt failed unexpectedly: {type(exc).__name__}: {exc}")
            if not debug:
                click.echo("Run again with --debug to see the traceback.", err=True)
        return int(code)
    return int(result or 0)
