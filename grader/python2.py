"""Python 2 in a submission: what keeps a file from running under the grader's Python 3.

The grader grades code as its student wrote it, under Python 3: it never translates a file,
nor runs a changed version of it. A module that does not parse costs the functions that need
it (its own, and those of the modules importing it); every other module is graded. This
module only explains, reading the file's text in the parent (ast and regular expressions:
nothing is imported or run): which Python 2 constructs it holds, at which line, and what would
make it parse (or run). The report is the `python.<file>` entry of results.json (no points).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

MAX_BYTES = 2 << 20
MAX_ITEMS = 12

# (pattern on a line with its strings and comments blanked, what it is, what to write instead)
SYNTAX = (
    (re.compile(r"(?:^|:)\s*print\s*>>"), "print >> statement", "use print(..., file=f)"),
    (re.compile(r"(?:^|:)\s*print\b(?!\s*\()(?!\s*$)(?!\s*[=.\[,)])"), "print statement", "use print(...)"),
    (re.compile(r"^\s*print\s*$"), "print statement", "use print()"),
    (re.compile(r"^\s*exec\s+(?!\()\S"), "exec statement", "use exec(...)"),
    (re.compile(r"^\s*except\s+[^:]*[^:\s]\s*,\s*\w+\s*:"), "except X, e", "use except X as e:"),
    (re.compile(r"^\s*raise\s+\w[\w.]*\s*,"), "raise E, message", "use raise E(message)"),
    (re.compile(r"`"), "backquotes", "use repr(...)"),
    (re.compile(r"<>"), "<> operator", "use !="),
    (re.compile(r"(?<![\w.])0[0-7]+\b(?!\.)"), "octal literal 0NNN", "use 0oNNN"),
    (re.compile(r"(?<![\w.])\d+[lL]\b"), "long literal with L", "drop the L"),
)
# Names that parse but fail when run (NameError or AttributeError under Python 3).
RUNTIME = (
    (re.compile(r"\bxrange\s*\("), "xrange", "use range"),
    (re.compile(r"\braw_input\s*\("), "raw_input", "use input"),
    (re.compile(r"\bunicode\s*\("), "unicode", "use str"),
    (re.compile(r"\.iteritems\s*\("), ".iteritems()", "use .items()"),
    (re.compile(r"\.has_key\s*\("), ".has_key(k)", "use k in d"),
    (re.compile(r"\bcPickle\b"), "cPickle", "use pickle"),
)


def _code_lines(text: str) -> list[str]:
    """The file's lines with string literals and comments blanked out (so a `print x` inside a
    docstring is not a statement). Falls back to the raw lines where Python 3's tokenizer gives up."""
    lines = text.splitlines()
    blank = [list(line) for line in lines]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT):
                (r0, c0), (r1, c1) = tok.start, tok.end
                for r in range(r0, r1 + 1):
                    if r - 1 >= len(blank):
                        break
                    row = blank[r - 1]
                    start = c0 if r == r0 else 0
                    end = c1 if r == r1 else len(row)
                    for c in range(start, min(end, len(row))):
                        row[c] = " "
                if tok.type == tokenize.STRING and c0 < len(blank[r0 - 1]):
                    blank[r0 - 1][c0] = "S"  # a string stays an operand: `print 'a', x` is still a statement
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # Python 2 source may not tokenize to the end: what was blanked stays blanked
    return ["".join(row) for row in blank]


def _scan(lines: list[str], rules) -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(lines, start=1):
        for pattern, what, fix in rules:
            if pattern.search(line):
                found.append((number, what, fix))
                break
    return found


def _summarise(items: list[tuple[int, str, str]]) -> list[str]:
    """'print statement at lines 12, 40 and 3 more: use print(...)', one per construct."""
    by: dict[tuple[str, str], list[int]] = {}
    for number, what, fix in items:
        by.setdefault((what, fix), []).append(number)
    out = []
    for (what, fix), numbers in by.items():
        shown = ", ".join(map(str, numbers[:4])) + (f" and {len(numbers) - 4} more" if len(numbers) > 4 else "")
        out.append(f"{what} at line{'s' if len(numbers) > 1 else ''} {shown}: {fix}")
    return out[:MAX_ITEMS]


def _implicit_imports(lines: list[str], siblings) -> list[tuple[int, str, str]]:
    """`import x` / `from x import y` where x is a module beside the file: Python 2 found it
    there (an implicit relative import); Python 3 looks for a top-level module x."""
    found = []
    for number, line in enumerate(lines, start=1):
        m = re.match(r"\s*(?:import\s+(\w+)\s*(?:as\s+\w+\s*)?$|from\s+(\w+)\s+import\b)", line)
        name = m and (m.group(1) or m.group(2))
        if name and name in siblings:
            found.append((number, f"implicit relative import of {name}",
                          f"use from . import {name} (or from .{name} import ...)"))
    return found


def report(text: str, name: str, siblings=()) -> tuple[str, str] | None:
    """None when the file parses under Python 3 and uses no Python 2-only name; else
    (status, message): "error" when it does not parse, "failed" when it parses but names
    something Python 3 lacks or imports a module beside it the Python 2 way. siblings: the
    names of the modules in the file's folder."""
    text = text[:MAX_BYTES]
    lines = _code_lines(text)
    runtime = _summarise(_scan(lines, RUNTIME) + _implicit_imports(lines, set(siblings)))
    try:
        ast.parse(text)
    except SyntaxError as exc:
        first = f"Python 3 stops at line {exc.lineno}: {str(exc.msg).rstrip('.?')}"
        fixes = _summarise(_scan(lines, SYNTAX)) + runtime
        what = "; ".join(fixes) if fixes else "no Python 2 construct recognised: see the error above"
        return ("error", f"{name} does not parse under Python 3, so its functions (and those of the modules "
                         f"importing it) could not be run. {first}. To make it parse and run: {what}. (The grader "
                         f"runs each file as written; it does not convert Python 2.)")
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return ("error", f"{name} could not be read as Python source: {exc}")
    if runtime:
        return ("failed", f"{name} parses under Python 3 but uses Python 2 constructs that fail when they run: "
                          + "; ".join(runtime) + ".")
    return None
