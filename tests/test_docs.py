"""The docs stay true: every hook is documented in docs/plugin_hooks.md, and the python code blocks
of docs/*.md and README.md run (a block preceded by ``<!-- not-run -->`` is skipped)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from qrt_core.hookspecs import HOOK_NAMES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]
NOT_RUN = "<!-- not-run -->"
FENCE = re.compile(r"^```(\S*)\s*$")


def code_blocks(path: Path) -> list[tuple[int, str, str, bool]]:
    """``(line, language, code, marked_not_run)`` for every fenced block of ``path``."""
    blocks = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index].strip())
        if not match or lines[index].strip() == "```":
            index += 1
            continue
        start, language = index, match.group(1).lower()
        end = start + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        previous = next((lines[i].strip() for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        code = textwrap.dedent("\n".join(lines[start + 1 : end]))
        blocks.append((start + 1, language, code, previous == NOT_RUN))
        index = end + 1
    return blocks


def hook_sections(text: str) -> dict[str, str]:
    """Level-2 sections of plugin_hooks.md by the hook name their heading starts with."""
    sections: dict[str, str] = {}
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        name = re.match(r"`?(\w+)", heading).group(1)
        sections[name] = heading + "\n" + body
    return sections


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented(hook):
    sections = hook_sections((DOCS / "plugin_hooks.md").read_text(encoding="utf-8"))
    assert hook in sections, f"docs/plugin_hooks.md has no '## {hook}(register)' section"
    section = sections[hook]
    assert section.startswith(f"{hook}(register)"), "the heading shows the hook's signature"
    assert "**register**" in section and "**Returns**" in section and "**Called**" in section
    assert f"def {hook}(" in section, "the section has an example implementing the hook"
    assert "**Built-ins**" in section


def test_no_section_documents_a_hook_that_does_not_exist():
    sections = hook_sections((DOCS / "plugin_hooks.md").read_text(encoding="utf-8"))
    assert set(sections) == set(HOOK_NAMES)


def test_the_block_parser_sees_markers_and_languages(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n\n```python\nx = 1\n```\n\n<!-- not-run -->\n```python\nboom()\n```\n```bash\nls\n```\n")
    assert [(lang, code, skip) for _, lang, code, skip in code_blocks(page)] == [
        ("python", "x = 1", False),
        ("python", "boom()", True),
        ("bash", "ls", False),
    ]


def test_docs_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("writing_programs.md", "writing_plugins.md", "plugin_hooks.md", "cli.md"):
        assert f"docs/{page}" in readme


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, plugin_host, tmp_path, monkeypatch):
    """The python blocks of one page run in order in one namespace (later blocks use earlier
    ones), in a scratch folder, with a fresh plugin host so that plugins they register go away."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for line, language, code, skip in code_blocks(path):
        if skip or language not in ("python", "py"):
            continue
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the python block at {path.relative_to(ROOT)}:{line} failed: {exc!r}") from exc
