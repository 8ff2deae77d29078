"""Strip marked solutions out of course code: the first step of the pipeline.

A solution block is the lines strictly between an opening and a closing marker. Stripping keeps
the markers (students write between them) and replaces the block by `pass` at the marker's
indentation, so the function still parses and returns its scaffolding's defaults.

Courses mark blocks differently (a profile's `markers`): CS231n 2020+ uses one exact line on
each side; other kits open with a comment paragraph closed by a rule line (`# ===== #`) and end
with a rule line above the closing comment. `Markers` describes both forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from .errors import SetupError

START_MARKER = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END_MARKER = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"


@dataclass(frozen=True)
class Markers:
    """How solution blocks are marked.

    start / end: regular expressions of the opening and closing marker lines (matched after the
    indentation). header_end: if set, the block begins after the first line matching it at or
    after the opening marker (the opening marker's comment paragraph and its closing rule stay);
    footer_start: if set, a line matching it just above the closing marker belongs to the
    marker. near: a plain text whose presence on a line that is not a valid marker is an error
    (a mistyped marker must never leave a solution in place)."""

    start: str
    end: str
    header_end: str | None = None
    footer_start: str | None = None
    near: tuple[str, ...] = ()
    label: str = "the marker lines"  # how the kit README names them

    def __post_init__(self):
        object.__setattr__(self, "_start", re.compile(r"^(\s*)" + self.start + r"\s*$"))
        object.__setattr__(self, "_end", re.compile(r"^(\s*)" + self.end + r"\s*$"))
        object.__setattr__(self, "_header", re.compile(r"^\s*" + self.header_end + r"\s*$") if self.header_end else None)
        object.__setattr__(self, "_footer", re.compile(r"^\s*" + self.footer_start + r"\s*$") if self.footer_start else None)


STAR_MARKERS = Markers(
    re.escape(START_MARKER), re.escape(END_MARKER), near=("START OF YOUR CODE", "END OF YOUR CODE"),
    label="the two marker lines (`# *****START ...` and `# *****END ...`, both ending in `DO NOT DELETE/MODIFY "
          "THIS LINE`)")


class MarkerError(SetupError, ValueError):
    """Unbalanced, nested or unterminated solution markers, located by file and line."""

    def __init__(self, where: str, line: int, problem: str):
        self.where, self.line, self.problem = where, line, problem
        super().__init__(f"{where}:{line}: {problem}")


@dataclass(frozen=True)
class Block:
    """One solution block: 1-based line numbers of the last line before it and of the first line
    after it (the markers, or their header and footer lines)."""

    start: int
    end: int
    indent: str


def find_blocks(text: str, where: str = "<text>", markers: Markers = STAR_MARKERS) -> list[Block]:
    """Every solution block of `text`; raises MarkerError on nesting or a missing marker."""
    lines = text.splitlines()
    blocks: list[Block] = []
    open_at: tuple[int, int, str] | None = None  # (marker line, last header line, indent)
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if m := markers._start.match(line):
            if open_at is not None:
                raise MarkerError(where, number, f"START marker nested inside the block opened at line {open_at[0]}")
            marker_line = last = number
            if markers._header is not None:
                ahead = next((j for j in range(number, len(lines)) if markers._header.match(lines[j])), None)
                if ahead is None:
                    raise MarkerError(where, number, "START marker without the rule line that ends its header")
                last = number = ahead + 1
            open_at = (marker_line, last, m.group(1))
        elif markers._end.match(line):
            if open_at is None:
                raise MarkerError(where, number, "END marker without a START marker")
            first = number
            if markers._footer is not None and number - 1 > open_at[1] and markers._footer.match(lines[number - 2]):
                first = number - 1
            blocks.append(Block(open_at[1], first, open_at[2]))
            open_at = None
        elif any(n in line for n in markers.near):
            raise MarkerError(where, number, "malformed solution marker (it must be the exact marker line)")
    if open_at is not None:
        raise MarkerError(where, open_at[0], "START marker never closed by an END marker")
    return blocks


def strip_solutions(text: str, where: str = "<text>", replacement: str = "pass", markers: Markers = STAR_MARKERS) -> str:
    """`text` with the inside of every solution block replaced by `replacement` (one line, indented)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0  # 0-based index of the next line not yet copied
    for block in find_blocks(text, where, markers):
        out.extend(lines[cursor : block.start])  # up to and including the opening marker
        out.append(f"{block.indent}{replacement}\n")
        cursor = block.end - 1  # resume at the closing marker
    out.extend(lines[cursor:])
    return "".join(out)


def solution_lines(text: str, where: str = "<text>", markers: Markers = STAR_MARKERS) -> list[str]:
    """The non-blank lines inside solution blocks (what must never reach the kit)."""
    lines = text.splitlines()
    found = []
    for block in find_blocks(text, where, markers):
        found.extend(ln for ln in lines[block.start : block.end - 1] if ln.strip())
    return found
