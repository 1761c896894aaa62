"""``qrt jobs``, ``qrt job``, ``qrt logs`` and ``qrt cancel``: jobs in the store, from any
terminal, while they run or long after."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import click

from .exit_codes import CliUsageError, ExitCode
from .run import FINAL, exit_code_for_status, status_name
from .state import CliState, pass_state

__all__ = ["COMMANDS"]

STATUSES = ("QUEUED", "RUNNING", "DONE", "ERROR", "CANCELLED")
#: How often ``qrt logs --follow`` looks for new output.
FOLLOW_INTERVAL_S = 0.2


def _job_summary(job: Any) -> dict[str, Any]:
    created = job.creation_date
    return {
        "job_id": job.job_id(),
        "program_id": job.program_id,
        "status": status_name(job),
        "backend": job.backend_name,
        # An ISO 8601 string, which is what scripts reading --json want.
        "creation_date": created.isoformat() if isinstance(created, datetime) else created,
    }


def _duration(metrics: Any) -> float | None:
    """Seconds the job ran (``usage.seconds`` of its metrics), when it has finished."""
    usage = metrics.get("usage") if isinstance(metrics, dict) else None
    seconds = usage.get("seconds") if isinstance(usage, dict) else None
    return float(seconds) if isinstance(seconds, (int, float)) else None


@click.command("jobs")
@click.option("--program", "program_id", help="Only jobs of this program.")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False), help="Only jobs in this status.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many jobs to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def jobs_command(state: CliState, program_id: str | None, status: str | None, limit: int, as_json: bool) -> int:
    """List jobs, newest first."""
    with state.service() as service:
        jobs = service.jobs(limit=limit, program_id=program_id, status=status.upper() if status else None)
        rows = []
        for job in jobs:
            row = _job_summary(job)
            row["duration"] = _duration(job.metrics())
            rows.append(row)
    if as_json:
        from .render import dump_json

        click.echo(dump_json(rows))
        return ExitCode.OK

    from .render import format_duration, format_time, make_console, new_table

    console = make_console()
    if not rows:
        console.print("No jobs yet. Start one with [bold]qrt run PROGRAM[/bold].")
        return ExitCode.OK
    table = new_table("Jobs")
    for column in ("Job ID", "Program", "Status", "Backend", "Created", "Duration"):
        table.add_column(column, no_wrap=column in ("Job ID", "Created", "Status"))
    colours = {"DONE": "green", "ERROR": "red", "CANCELLED": "yellow", "RUNNING": "cyan"}
    for row in rows:
        table.add_row(
            row["job_id"],
            row["program_id"],
            f"[{colours.get(row['status'], 'white')}]{row['status']}[/]",
            row["backend"] or "",
            format_time(row["creation_date"]),
            format_duration(row["duration"]),
        )
    console.print(table)
    return ExitCode.OK


@click.command("job")
@click.argument("job_id")
@click.option("--result", "part", flag_value="result", help="Only the result (waits for it).")
@click.option("--interim", "part", flag_value="interim", help="Only the interim results, in order.")
@click.option("--logs", "part", flag_value="logs", help="Only what the program printed or logged.")
@click.option("--metrics", "part", flag_value="metrics", help="Only the timestamps and durations.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def job_command(state: CliState, job_id: str, part: str | None, as_json: bool) -> int:
    """Show a job: its status, timings and result (or one part of it)."""
    from rich.padding import Padding
    from rich.text import Text

    from .render import dump_json, format_time, kv_table, make_console, render_message

    console = make_console()
    with state.service() as service:
        job = service.job(job_id)
        if part == "result":
            return _show_result(job, job_id, as_json, console)
        if part == "interim":
            messages = job.interim_results()
            if as_json:
                click.echo(dump_json(messages))
            for index, message in enumerate([] if as_json else messages, start=1):
                console.print(Text(f"Interim result {index}", style="bold magenta"))
                console.print(Padding(render_message(message), (0, 0, 0, 2), expand=False))
            return ExitCode.OK
        if part == "logs":
            logs = job.logs()
            click.echo(dump_json(logs) if as_json else logs, nl=as_json or not logs.endswith("\n"))
            return ExitCode.OK
        if part == "metrics":
            metrics = job.metrics()
            if as_json:
                click.echo(dump_json(metrics))
            else:
                console.print(render_message(metrics))
            return ExitCode.OK

        summary = _job_summary(job)
        status = summary["status"]
        summary["metrics"] = job.metrics()
        summary["inputs"] = job.inputs
        summary["interim_count"] = len(job.interim_results())
        summary["error_message"] = job.error_message() if status == "ERROR" else None
        summary["result"] = job.result() if status == "DONE" else None
        if as_json:
            click.echo(dump_json(summary))
            return ExitCode.OK
        metrics = summary["metrics"] if isinstance(summary["metrics"], dict) else {}
        rows = [
            ("Job", summary["job_id"]),
            ("Program", f"{summary['program_id']} {metrics.get('program_version') or ''}".strip()),
            ("Status", status),
            ("Backend", summary["backend"] or ""),
            ("Created", format_time(summary["creation_date"])),
            *_timing_rows(metrics),
            ("Interim results", summary["interim_count"]),
        ]
        console.print(kv_table(rows))
        console.print(Text("Inputs", style="bold"))
        console.print(Padding(render_message(summary["inputs"]), (0, 0, 0, 2), expand=False))
        if status == "DONE":
            console.print(Text("Result", style="bold green"))
            console.print(Padding(render_message(summary["result"]), (0, 0, 0, 2), expand=False))
        elif status == "ERROR":
            console.print(Text("Error", style="bold red"))
            console.print(Padding(Text(summary["error_message"] or ""), (0, 0, 0, 2), expand=False))
    return ExitCode.OK


def _timing_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """History, queue time, run time and worker, from a job's metrics."""
    from .render import format_duration, format_time

    rows = []
    history = metrics.get("status_history") or []
    if history:
        steps = []
        for step in history:
            at = step.get("at")
            when = format_time(at)
            steps.append(f"{step.get('status')} {when[11:]}".strip())
        rows.append(("History", " → ".join(steps)))
    usage = metrics.get("usage") or {}
    if usage.get("queued_seconds") is not None:
        rows.append(("Queued", format_duration(usage["queued_seconds"])))
    if usage.get("seconds") is not None:
        rows.append(("Ran", format_duration(usage["seconds"])))
    worker = metrics.get("worker") or {}
    if isinstance(worker, dict) and worker:
        rows.append(("Worker", ", ".join(f"{k} {v}" for k, v in worker.items())))
    return rows


def _show_result(job: Any, job_id: str, as_json: bool, console: Any) -> int:
    from .render import dump_json, render_message

    job.wait_for_final_state()
    status = status_name(job)
    if status == "DONE":
        result = job.result()
        if as_json:
            click.echo(dump_json(result))
        else:
            console.print(render_message(result))
    elif status == "ERROR":
        click.echo(click.style(f"Job {job_id} failed: ", fg="red", bold=True) + (job.error_message() or ""), err=True)
    else:
        click.echo(f"Job {job_id} was cancelled; it has no result.", err=True)
    return exit_code_for_status(status)


@click.command("logs")
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output until the job ends.")
@pass_state
def logs_command(state: CliState, job_id: str, follow: bool) -> int:
    """Print what a job's program printed and logged."""
    with state.service() as service:
        job = service.job(job_id)
        if not follow:
            logs = job.logs()
            click.echo(logs, nl=bool(logs) and not logs.endswith("\n"))
            return ExitCode.OK
        shown = 0
        pause = threading.Event()  # never set: its wait() is an interruptible pause
        while True:
            final = status_name(job) in FINAL
            logs = job.logs()
            if len(logs) > shown:
                click.echo(logs[shown:], nl=False)
                shown = len(logs)
            if final:
                return ExitCode.OK
            pause.wait(FOLLOW_INTERVAL_S)


@click.command("cancel")
@click.argument("job_id")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until the job has stopped.")
@pass_state
def cancel_command(state: CliState, job_id: str, wait: bool) -> int:
    """Cancel a queued or running job (from any terminal)."""
    from ..exceptions import RuntimeInvalidStateError

    with state.service() as service:
        job = service.job(job_id)
        try:
            job.cancel()
        except RuntimeInvalidStateError as exc:
            raise CliUsageError(f"Job {job_id} cannot be cancelled: it has already ended ({status_name(job)}).") from exc
        if wait:
            deadline = time.monotonic() + 30
            try:
                job.wait_for_final_state(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                click.echo(f"Cancel of job {job_id} requested; it has not stopped yet.")
                return ExitCode.OK
        click.echo(f"Job {job_id} cancelled.")
    return ExitCode.OK


COMMANDS = [jobs_command, job_command, logs_command, cancel_command]
