"""Strip marked solutions out of course code: the first step of the pipeline.

A solution block is the lines strictly between a START and an END marker line. Stripping keeps
both marker lines (students write between them) and replaces the block by `pass` at the
marker's indentation, so the function still parses and returns its scaffolding's defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

START_MARKER = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END_MARKER = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"

_START_RE = re.compile(r"^(\s*)" + re.escape(START_MARKER) + r"\s*$")
_END_RE = re.compile(r"^(\s*)" + re.escape(END_MARKER) + r"\s*$")


class MarkerError(ValueError):
    """Unbalanced, nested or unterminated solution markers, located by file and line."""

    def __init__(self, where: str, line: int, problem: str):
        self.where, self.line, self.problem = where, line, problem
        super().__init__(f"{where}:{line}: {problem}")


@dataclass(frozen=True)
class Block:
    """One solution block: 1-based line numbers of its START and END markers."""

    start: int
    end: int
    indent: str


def find_blocks(text: str, where: str = "<text>") -> list[Block]:
    """Every solution block of `text`; raises MarkerError on nesting or a missing marker."""
    blocks: list[Block] = []
    open_at: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _START_RE.match(line):
            if open_at is not None:
                raise MarkerError(where, number, f"START marker nested inside the block opened at line {open_at[0]}")
            open_at = (number, m.group(1))
        elif _END_RE.match(line):
            if open_at is None:
                raise MarkerError(where, number, "END marker without a START marker")
            blocks.append(Block(open_at[0], number, open_at[1]))
            open_at = None
        elif "START OF YOUR CODE" in line or "END OF YOUR CODE" in line:
            raise MarkerError(where, number, "malformed solution marker (it must be the exact marker line)")
    if open_at is not None:
        raise MarkerError(where, open_at[0], "START marker never closed by an END marker")
    return blocks


def strip_solutions(text: str, where: str = "<text>", replacement: str = "pass") -> str:
    """`text` with the inside of every solution block replaced by `replacement` (one line, indented)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0  # 0-based index of the next line not yet copied
    for block in find_blocks(text, where):
        out.extend(lines[cursor : block.start])  # up to and including the START marker
        out.append(f"{block.indent}{replacement}\n")
        cursor = block.end - 1  # resume at the END marker
    out.extend(lines[cursor:])
    return "".join(out)


def solution_lines(text: str, where: str = "<text>") -> list[str]:
    """The non-blank lines inside solution blocks (what must never reach the kit)."""
    lines = text.splitlines()
    found = []
    for block in find_blocks(text, where):
        found.extend(ln for ln in lines[block.start : block.end - 1] if ln.strip())
    return found


def strip_file(path: Path) -> str:
    return strip_solutions(path.read_text(encoding="utf-8"), where=str(path))
