"""``qrt programs``, ``qrt program``, ``qrt backends`` and ``qrt plugins``: what is installed.
None of them imports qiskit."""

from __future__ import annotations

import click

from .state import CliState, pass_state

__all__ = ["COMMANDS"]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.command("programs")
@json_option
@click.option("--refresh", is_flag=True, help="Re-read every program's metadata (ignore the cache).")
@pass_state
def programs_command(state: CliState, as_json: bool, refresh: bool) -> int:
    """List the installed programs (and, apart, the broken ones with the reason)."""
    service = state.service()
    programs = service.programs(refresh=refresh)
    broken = service.broken_programs()
    if as_json:
        from .render import dump_plain_json

        click.echo(
            dump_plain_json(
                {
                    "programs": [
                        {
                            "name": p.name,
                            "version": p.version,
                            "description": p.description,
                            "max_execution_time": p.max_execution_time,
                            "distribution": p.distribution,
                        }
                        for p in programs
                    ],
                    "broken": [b.to_dict() for b in broken],
                }
            )
        )
        return 0

    from rich.markup import escape

    from .render import make_console, new_table

    console = make_console()
    if programs:
        table = new_table("Programs")
        table.add_column("Name", style="bold cyan", no_wrap=True)
        table.add_column("Version")
        table.add_column("Description", overflow="fold")
        table.add_column("Max time", justify="right")
        for program in programs:
            table.add_row(
                escape(program.name),
                escape(program.version or ""),
                escape(program.description),
                f"{program.max_execution_time}s",
            )
        console.print(table)
    else:
        console.print("No programs are installed. Create one with [bold]qrt new NAME[/bold].")
    if broken:
        table = new_table("Broken programs (not usable)", title_style="bold red")
        table.add_column("Name", style="bold", no_wrap=True)
        table.add_column("Distribution")
        table.add_column("Reason", overflow="fold")
        for item in broken:
            table.add_row(escape(item.name), escape(item.distribution or ""), escape(item.reason))
        console.print(table)
    return 0


@click.command("program")
@click.argument("name")
@json_option
@pass_state
def program_command(state: CliState, name: str, as_json: bool) -> int:
    """Show one program: its metadata, parameters, interim results and return values."""
    program = state.service().program(name)
    if as_json:
        from .render import dump_plain_json

        click.echo(dump_plain_json(program.to_dict()))
        return 0

    from rich.markup import escape
    from rich.text import Text

    from .render import kv_table, make_console, schema_summary, schema_table

    console = make_console()
    console.print(Text(program.name, style="bold cyan"), Text(program.version or "", style="dim"))
    if program.description:
        console.print(escape(program.description))
    rows = [
        ("Max execution time", f"{program.max_execution_time}s"),
        ("Entry point", program.entry_point),
    ]
    if program.distribution:
        rows.append(("Distribution", f"{program.distribution} {program.distribution_version or ''}".strip()))
    requirements = program.backend_requirements
    rows.append(
        (
            "Backend requirements",
            ", ".join(f"{k}: {v}" for k, v in requirements.items()) if requirements else "none",
        )
    )
    if program.metadata_path:
        rows.append(("Metadata", program.metadata_path))
    console.print(kv_table(rows))
    console.print()
    parameters = program.to_dict()["spec"]["parameters"]
    table = schema_table(parameters, title="Parameters")
    if table is not None:
        console.print(table)
    else:
        console.print(Text("Parameters", style="bold"))
        console.print(Text("  none", style="dim"))
    console.print(schema_summary("Interim results", program.interim_results))
    console.print(schema_summary("Returns", program.return_values))
    return 0


@click.command("backends")
@json_option
@pass_state
def backends_command(state: CliState, as_json: bool) -> int:
    """List the backends programs can run on (none is constructed)."""
    backends = state.service().describe_backends()
    if as_json:
        from .render import dump_plain_json

        click.echo(dump_plain_json(backends))
        return 0
    from rich.markup import escape

    from .render import make_console, new_table

    table = new_table("Backends")
    table.add_column("Name", style="bold cyan", no_wrap=True)
    table.add_column("Description", overflow="fold")
    table.add_column("Plugin")
    for backend in backends:
        table.add_row(escape(backend["name"]), escape(backend["description"] or ""), escape(backend["plugin"]))
    make_console().print(table)
    return 0


@click.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include qrt's built-in plugins.")
@json_option
@pass_state
def plugins_command(state: CliState, show_all: bool, as_json: bool) -> int:
    """List the installed plugins: distribution, version and the hooks each implements."""
    service = state.service()
    plugins = service.plugins(include_builtins=show_all)
    problems = service.plugin_problems()
    if as_json:
        from .render import dump_plain_json

        click.echo(
            dump_plain_json(
                {
                    "plugins": [p.to_dict() for p in plugins],
                    "problems": [p.to_dict() for p in problems],
                }
            )
        )
        return 0
    from rich.markup import escape

    from .render import make_console, new_table

    console = make_console()
    if plugins:
        table = new_table("Plugins")
        table.add_column("Name", style="bold cyan", no_wrap=True)
        table.add_column("Distribution")
        table.add_column("Version")
        table.add_column("Hooks", overflow="fold")
        for plugin in plugins:
            name = f"{plugin.name} (built-in)" if plugin.builtin else plugin.name
            table.add_row(
                escape(name),
                escape(plugin.distribution or plugin.module),
                escape(plugin.version or ""),
                escape(", ".join(plugin.hooks)),
            )
        console.print(table)
    else:
        hint = "" if show_all else " Use --all to see the built-in ones."
        console.print(f"No plugins are installed.{hint}")
    if problems:
        table = new_table("Plugin problems", title_style="bold red")
        table.add_column("Plugin", style="bold", no_wrap=True)
        table.add_column("Problem")
        table.add_column("Message", overflow="fold")
        for problem in problems:
            table.add_row(escape(problem.plugin), problem.kind, escape(problem.message))
        console.print(table)
    return 0


COMMANDS = [programs_command, program_command, backends_command, plugins_command]
