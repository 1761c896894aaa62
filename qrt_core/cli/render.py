"""How ``qrt`` shows things: rich tables for programs, parameters, jobs and plugins, and readable
interim results (a counts histogram becomes sorted bars). Imported only by commands that print."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.pretty import Pretty
from rich.table import Table
from rich.text import Text

__all__ = [
    "make_console",
    "dump_json",
    "is_counts",
    "counts_bars",
    "render_message",
    "schema_table",
    "schema_summary",
    "format_duration",
    "format_time",
    "kv_table",
    "new_table",
]

#: Outcomes shown for a counts histogram; the rest are summed in one line.
TOP_OUTCOMES = 8
BAR_WIDTH = 30


def make_console(stderr: bool = False) -> Console:
    """A console that wraps at the terminal's width, or at 100 columns when output is piped."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = 100
    return console


def new_table(title: str | None = None, *, title_style: str = "bold") -> Table:
    """A table in qrt's style: a title on the left, a rule under the header, no side borders."""
    return Table(
        title=title, title_justify="left", title_style=title_style, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )


def dump_json(data: Any) -> str:
    """``data`` as indented JSON, encoded the way the runtime encodes results."""
    from ..serialization.encoder import RuntimeEncoder

    return json.dumps(data, cls=RuntimeEncoder, indent=2, sort_keys=False)


def dump_plain_json(data: Any) -> str:
    """``data`` (plain JSON types only) as indented JSON; needs no serialization machinery."""
    return json.dumps(data, indent=2, default=str)


# -- interim results and results ---------------------------------------------------------------


def is_counts(value: Any) -> bool:
    """Whether ``value`` looks like a counts histogram: bitstring (or hex) keys, integer counts."""
    if not isinstance(value, Mapping) or not value:
        return False
    for key, count in value.items():
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int) or count < 0:
            return False
        bits = key.replace(" ", "")
        if not bits or not (set(bits) <= {"0", "1"} or (bits.startswith("0x") and len(bits) > 2)):
            return False
    return True


def counts_bars(counts: Mapping[str, int], top: int = TOP_OUTCOMES) -> Text:
    """The ``top`` most frequent outcomes as bars, most frequent first, then a line for the rest."""
    total = sum(counts.values()) or 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = ordered[:top]
    peak = shown[0][1] or 1
    key_width = max(len(key) for key, _ in shown)
    count_width = max(len(str(count)) for _, count in shown)
    text = Text()
    for index, (key, count) in enumerate(shown):
        eighths = round(count / peak * BAR_WIDTH * 8)
        bar = "█" * (eighths // 8) + ("" if eighths % 8 == 0 else "▏▎▍▌▋▊▉"[eighths % 8 - 1])
        if index:
            text.append("\n")
        text.append(key.ljust(key_width), style="bold")
        text.append(" ")
        text.append(bar.ljust(BAR_WIDTH + 1), style="cyan")
        text.append(f"{str(count).rjust(count_width)}  {100 * count / total:5.1f}%")
    rest = ordered[top:]
    if rest:
        text.append(f"\n… {len(rest)} more outcomes, {sum(c for _, c in rest)} shots")
    text.append(f"\n{len(counts)} outcomes, {sum(counts.values())} shots", style="dim")
    return text


def _value(value: Any) -> RenderableType:
    if is_counts(value):
        return counts_bars(value)
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, float) and math.isfinite(value):
        return Text(f"{value:.6g}")
    return Pretty(value, max_length=20, max_string=200)


def render_message(message: Any) -> RenderableType:
    """An interim result or a final result, readable at a glance: a dict becomes key/value rows,
    counts become bars, anything else is pretty-printed."""
    if isinstance(message, Mapping) and message and not is_counts(message):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for key, value in message.items():
            grid.add_row(escape(str(key)), _value(value))
        return grid
    return _value(message)


# -- schemas and metadata ----------------------------------------------------------------------


def _type_of(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = " | ".join(map(str, kind))
    if kind == "array" and isinstance(prop.get("items"), Mapping) and "type" in prop["items"]:
        kind = f"array of {prop['items']['type']}"
    if kind is None and "enum" in prop:
        kind = "one of " + ", ".join(json.dumps(v) for v in prop["enum"])
    return str(kind or "any")


def _constraints(prop: Mapping[str, Any]) -> str:
    parts = []
    for key, label in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in prop:
            parts.append(f"{label} {prop[key]}")
    if "enum" in prop and "type" in prop:
        parts.append("one of " + ", ".join(json.dumps(v) for v in prop["enum"]))
    return ", ".join(parts)


def schema_table(schema: Mapping[str, Any], *, title: str | None = None) -> Table | None:
    """A table of an object schema's properties (name, type, required, description, default);
    ``None`` when the schema has no properties."""
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if not properties:
        return None
    required = set(schema.get("required") or ())
    table = new_table(title)
    with_defaults = any(isinstance(p, Mapping) and "default" in p for p in properties.values())
    columns = ("Name", "Type", "Required", "Description") + (("Default",) if with_defaults else ())
    for column in columns:
        table.add_column(column, overflow="fold")
    for name in sorted(properties, key=lambda n: (n not in required, n)):
        prop = properties[name] if isinstance(properties[name], Mapping) else {}
        description = str(prop.get("description", ""))
        constraints = _constraints(prop)
        if constraints:
            description = f"{description} ({constraints})" if description else constraints
        cells = [escape(name), escape(_type_of(prop)), "yes" if name in required else "no", escape(description)]
        if with_defaults:
            cells.append(escape(json.dumps(prop["default"])) if "default" in prop else "")
        table.add_row(*cells)
    return table


def schema_summary(title: str, schema: Mapping[str, Any]) -> RenderableType:
    """A section for ``interim results`` or ``returns``: description, type, and properties."""
    parts: list[RenderableType] = [Text(title, style="bold")]
    meaningful = {k: v for k, v in (schema or {}).items() if k != "$schema"}
    if not meaningful:
        parts.append(Text("  none", style="dim"))
        return Group(*parts)
    if "description" in meaningful:
        parts.append(Text(f"  {meaningful['description']}"))
    if "type" in meaningful:
        parts.append(Text(f"  Type: {_type_of(meaningful)}"))
    table = schema_table(meaningful)
    if table is not None:
        parts.append(table)
    return Group(*parts)


def kv_table(rows: Iterable[tuple[str, Any]]) -> Table:
    """Two columns, label and value, no borders."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, (Text, Table, Group)) else escape(str(value)))
    return grid


# -- times -------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``0.42s``, ``12.3s``, ``4m05s``, ``2h03m``; empty for ``None``."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_time(value: Any) -> str:
    """A timestamp (datetime, ISO 8601 text or epoch seconds) in local time, to the second."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
