"""The solution-marker parser and stripper."""

import ast

import pytest

from grader.strip import END_MARKER, START_MARKER, MarkerError, find_blocks, solution_lines, strip_solutions

SOURCE = f"""def f(x):
    out = None
    # TODO: double x.
    {START_MARKER}
    out = 2 * x
    secret = 42
    {END_MARKER}
    return out


def g(y):
    {START_MARKER}
    return y + 1
    {END_MARKER}
"""


def test_strip_replaces_every_block_and_keeps_markers():
    stripped = strip_solutions(SOURCE)
    assert "2 * x" not in stripped and "secret" not in stripped and "y + 1" not in stripped
    assert stripped.count(START_MARKER) == 2 and stripped.count(END_MARKER) == 2
    assert "# TODO: double x." in stripped and "return out" in stripped
    namespace = {}
    exec(compile(ast.parse(stripped), "<kit>", "exec"), namespace)  # the kit still parses and runs
    assert namespace["f"](3) is None and namespace["g"](3) is None


def test_find_blocks_and_solution_lines():
    assert [(b.start, b.end) for b in find_blocks(SOURCE)] == [(4, 7), (12, 14)]
    assert [ln.strip() for ln in solution_lines(SOURCE)] == ["out = 2 * x", "secret = 42", "return y + 1"]


def test_strip_is_idempotent():
    once = strip_solutions(SOURCE)
    assert strip_solutions(once) == once


@pytest.mark.parametrize(
    "text, line, problem",
    [
        (f"{START_MARKER}\nx = 1\n", 1, "never closed"),
        (f"x = 1\n{END_MARKER}\n", 2, "without a START"),
        (f"{START_MARKER}\n  {START_MARKER}\n{END_MARKER}\n", 2, "nested"),
        ("# *****START OF YOUR CODE (DO NOT DELETE THIS LINE)*****\n", 1, "malformed"),
    ],
)
def test_bad_markers_name_file_and_line(text, line, problem):
    with pytest.raises(MarkerError) as info:
        strip_solutions(text, where="layers.py")
    assert info.value.line == line and problem in str(info.value)
    assert str(info.value).startswith(f"layers.py:{line}:")
