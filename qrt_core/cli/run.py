"""``qrt run``: check the inputs, submit the job, show it live (status, elapsed time, each interim
result as it arrives, then the result), and cancel it on Ctrl-C."""

from __future__ import annotations

import json
import queue
import sys
import time
from pathlib import Path
from typing import Any

import click

from .exit_codes import CliUsageError, ExitCode
from .state import CliState, pass_state

__all__ = ["COMMANDS", "parse_input_pairs", "read_inputs_file", "exit_code_for_status"]

FINAL = ("DONE", "ERROR", "CANCELLED")
#: How long ``qrt run`` waits for a job to stop after cancelling it on Ctrl-C.
CANCEL_WAIT_S = 30.0


def parse_input_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``("iterations=3", "name=bob")`` → ``{"iterations": 3, "name": "bob"}``: each value is read
    as JSON when it parses, else taken as a string."""
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliUsageError(f"Input {pair!r} must have the form key=value, e.g. -i iterations=3.")
        try:
            inputs[key] = json.loads(raw)
        except ValueError:
            inputs[key] = raw
    return inputs


def read_inputs_file(source: str) -> dict[str, Any]:
    """The JSON object in file ``source`` (``-``: standard input)."""
    where = "standard input" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliUsageError(f"Cannot read inputs from {where}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliUsageError(f"Inputs in {where} are not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise CliUsageError(f"Inputs in {where} must be a JSON object of name: value, got {type(data).__name__}.")
    return data


def exit_code_for_status(status: str) -> int:
    """The exit code a job's final status gives ``qrt``."""
    return {"DONE": ExitCode.OK, "CANCELLED": ExitCode.CANCELLED}.get(status, ExitCode.JOB_ERROR)


def status_name(job: Any) -> str:
    """A job's status as a plain string (``QUEUED``, ``RUNNING``, ``DONE`` ...)."""
    status = job.status()
    return getattr(status, "name", str(status))


class LiveJobView:
    """Prints a running job: interim results as permanent output, and on a terminal a live status
    line (spinner, status, elapsed time) below them; piped, one line per status change."""

    def __init__(self, console: Any, job_id: str, started: float) -> None:
        self.console = console
        self.job_id = job_id
        self.started = started
        self.status = "QUEUED"
        self.count = 0
        self._live: Any = None

    def __enter__(self) -> LiveJobView:
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(self._status_line(), console=self.console, transient=True, refresh_per_second=8)
            self._live.__enter__()
        else:
            self.console.print(f"Status: {self.status}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def _status_line(self) -> Any:
        from rich.spinner import Spinner

        from .render import format_duration

        elapsed = format_duration(time.monotonic() - self.started)
        plural = "" if self.count == 1 else "s"
        return Spinner("dots", text=f"{self.status}  {elapsed}  ({self.count} interim result{plural})")

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            if self._live is None and status not in FINAL:
                self.console.print(f"Status: {status}")
        self.tick()

    def tick(self) -> None:
        if self._live is not None:
            self._live.update(self._status_line())

    def interim(self, message: Any) -> None:
        from rich.padding import Padding
        from rich.text import Text

        from .render import format_duration, render_message

        self.count += 1
        elapsed = format_duration(time.monotonic() - self.started)
        self.console.print(Text(f"Interim result {self.count}", style="bold magenta"), Text(f"+{elapsed}", style="dim"))
        self.console.print(Padding(render_message(message), (0, 0, 0, 2), expand=False))
        self.tick()


@click.command("run")
@click.argument("name")
@click.option("-i", "--input", "pairs", multiple=True, metavar="KEY=VALUE",
              help="An input; the value is read as JSON when it parses (3, true, [1,2]), else as a string. Repeatable.")
@click.option("--inputs", "inputs_file", metavar="FILE|-", help="A JSON object of inputs, from a file or - for stdin.")
@click.option("--backend", default="aer_simulator", show_default=True, help="The backend to run on (see qrt backends).")
@click.option("--max-execution-time", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Stop the job after S seconds (may only lower the program's own limit).")
@click.option("--executor", default="process", show_default=True,
              help="Where the job runs: process (isolated worker) or inline (this process, for debugging).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document at the end instead of live output.")
@pass_state
def run_command(
    state: CliState,
    name: str,
    pairs: tuple[str, ...],
    inputs_file: str | None,
    backend: str,
    max_execution_time: float | None,
    executor: str,
    as_json: bool,
) -> int:
    """Run program NAME as a job and follow it live until it ends (Ctrl-C cancels it).

    \b
    Examples:
      qrt run sample-program -i iterations=3
      echo '{"iterations": 2}' | qrt run sample-program --inputs -
    """
    inputs = read_inputs_file(inputs_file) if inputs_file else {}
    inputs.update(parse_input_pairs(pairs))

    service = state.service(executor=executor)
    try:
        return _run(service, name, inputs, backend, max_execution_time, executor, as_json)
    finally:
        # This process hosts the job: whatever ends `qrt run` (even an error of its own) must not
        # leave it behind, so unfinished work is cancelled rather than waited for.
        service.close(wait=False)


def _run(
    service: Any,
    name: str,
    inputs: dict[str, Any],
    backend: str,
    max_execution_time: float | None,
    executor: str,
    as_json: bool,
) -> int:
    # Everything that can be checked is checked before a job exists.
    program = service.program(name)
    program.validate_inputs(inputs)
    available = service.backends()
    if backend not in available:
        from ..exceptions import BackendNotFoundError

        raise BackendNotFoundError(backend, available)
    executors = sorted(service.plugin_host.table("executors"))
    if executor not in executors:
        raise CliUsageError(f"No executor named {executor!r}. Registered executors: {', '.join(executors)}.")
    options: dict[str, Any] = {"backend_name": backend}
    if max_execution_time is not None:
        if max_execution_time > program.max_execution_time:
            raise CliUsageError(
                f"--max-execution-time {max_execution_time:g} is above the limit of program "
                f"{name!r} ({program.max_execution_time:g} seconds); it may only lower it."
            )
        options["max_execution_time"] = max_execution_time

    messages: queue.Queue[Any] = queue.Queue()
    started = time.monotonic()
    job = service.run(name, inputs=inputs, options=options, callback=lambda _id, msg: messages.put(msg))
    job_id = job.job_id()
    if as_json:
        return _follow_quietly(job, job_id)
    from rich.markup import escape

    from .render import make_console

    console = make_console()
    console.print(f"Job [bold]{job_id}[/bold]  program [cyan]{escape(name)}[/cyan]  backend {escape(backend)}")
    try:
        with LiveJobView(console, job_id, started) as view:
            status = _follow(job, view, messages)
    except KeyboardInterrupt:
        return _cancel_after_interrupt(job, job_id)
    return _report_end(job, job_id, status, console, started)


def _follow(job: Any, view: LiveJobView, messages: queue.Queue[Any]) -> str:
    """Show interim results until the job is final; returns the final status."""
    while True:
        try:
            view.interim(messages.get(timeout=0.1))
            continue
        except queue.Empty:
            pass
        status = status_name(job)
        view.set_status(status)
        if status in FINAL:
            break
    # The store is the record: anything the callback had not delivered yet is shown from it.
    while True:
        try:
            view.interim(messages.get_nowait())
        except queue.Empty:
            break
    for message in job.interim_results()[view.count:]:
        view.interim(message)
    return status


def _report_end(job: Any, job_id: str, status: str, console: Any, started: float) -> int:
    from rich.padding import Padding
    from rich.text import Text

    from .render import format_duration, render_message

    elapsed = format_duration(time.monotonic() - started)
    style = {"DONE": "green", "CANCELLED": "yellow"}.get(status, "red")
    console.print(Text("Status: ") + Text(status, style=f"bold {style}") + Text(f" after {elapsed}"))
    if status == "DONE":
        console.print(Text("Result", style="bold green"))
        console.print(Padding(render_message(job.result()), (0, 0, 0, 2), expand=False))
    elif status == "ERROR":
        message = job.error_message() or "no error message was recorded"
        click.echo(click.style(f"Job {job_id} failed: ", fg="red", bold=True) + message, err=True)
        click.echo(f"Its output: qrt logs {job_id}", err=True)
    else:
        click.echo(f"Job {job_id} was cancelled.", err=True)
    return exit_code_for_status(status)


def _cancel_after_interrupt(job: Any, job_id: str) -> int:
    from ..exceptions import RuntimeInvalidStateError

    click.echo(f"\nInterrupted: cancelling job {job_id}…", err=True)
    try:
        job.cancel()
    except RuntimeInvalidStateError:
        status = status_name(job)  # it ended on its own meanwhile
        click.echo(f"Job {job_id} had already ended: {status}.", err=True)
        return exit_code_for_status(status)
    try:
        job.wait_for_final_state(timeout=CANCEL_WAIT_S)
    except Exception:  # still stopping; the store will record it
        pass
    click.echo(f"Job {job_id} cancelled.", err=True)
    return ExitCode.CANCELLED


def _follow_quietly(job: Any, job_id: str) -> int:
    from .render import dump_json

    try:
        job.wait_for_final_state()
    except KeyboardInterrupt:
        job.cancel()
        job.wait_for_final_state(timeout=CANCEL_WAIT_S)
    status = status_name(job)
    document: dict[str, Any] = {
        "job_id": job_id,
        "program_id": job.program_id,
        "backend": job.backend_name,
        "status": status,
        "interim_results": job.interim_results(),
        "result": job.result() if status == "DONE" else None,
        "error_message": job.error_message() if status == "ERROR" else None,
    }
    click.echo(dump_json(document))
    return exit_code_for_status(status)


COMMANDS = [run_command]
