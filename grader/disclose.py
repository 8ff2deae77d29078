"""What a student may be shown of a test: the whole output of a visible test; of a hidden one,
its verdict and nothing of its inputs or expected values.

A test's output in results.json is written for the course staff: for a hidden case it may hold
numbers computed from the hidden inputs ("output mean 2.49 vs input mean 9.99", "14.39,
expected 7.19") and text that student code chose (an exception message can print its
arguments). Everything shown to a student (the Gradescope results, the feedback pages) goes
through `shown_output`: a hidden test's text is rebuilt from a fixed vocabulary, the worst
relative error (one number, the size of the error), the classic bug the grader recognised
(the course's own hint text) and the names of the functions it calls that fail.
"""

from __future__ import annotations

import re

HIDDEN_NOTE = "hidden test: its inputs and expected values are not shown"

# How a failed or broken test's output starts (grader.check.judge, grader.execute): the
# verdict a student may see, in fixed words.
_KINDS = (
    ("timed out", "timed out"),
    ("crashed", "crashed (the process running your code died)"),
    ("not implemented", "not implemented"),
    ("error: not run", "not run (a function it needs failed earlier)"),
    ("error", "raised an exception (its message is not shown for a hidden test)"),
)
_HINT = re.compile(r"Likely bug: (.+?)(?=(?: \(it calls functions|\. Likely bug: |$))", re.S)
_CALLS = re.compile(r"\(it calls functions (not implemented|failing its own tests): ([A-Za-z0-9_., ]+?)\)")
_MAX_HINT = 300


def is_hidden(test: dict) -> bool:
    return test.get("visibility") == "hidden"


def verdict_words(test: dict) -> str:
    """The verdict of a test in fixed words (never the text of its output)."""
    status = test.get("status")
    if status == "passed":
        return "passed"
    if status == "skipped":
        return "skipped"
    output = str(test.get("output") or "")
    for prefix, words in _KINDS:
        if output.startswith(prefix):
            return words
    if status == "error":
        return "error"
    return "wrong result"


def hints(test: dict) -> list[str]:
    """The classic bugs the grader named for this test (the course's hint texts)."""
    found = []
    for m in _HINT.finditer(str(test.get("output") or "")):
        text = m.group(1).split(". ")[0].strip().rstrip(".")  # the hint, not the notes after it
        if text and text not in found:
            found.append(text[:_MAX_HINT])
    return found


def calls(test: dict) -> list[str]:
    """"it calls functions ...: names" notes (names of functions, written by the grader)."""
    return [f"it calls functions {kind}: {names}" for kind, names in _CALLS.findall(str(test.get("output") or ""))]


def shown_output(test: dict) -> str:
    """The output of `test` as a student may see it (see the module docstring)."""
    if not is_hidden(test):
        return str(test.get("output") or "")
    parts = [verdict_words(test)]
    rel = test.get("rel_error")
    if isinstance(rel, (int, float)) and test.get("status") != "passed":
        parts.append(f"worst relative error {rel:.1e}")
    parts += calls(test)
    text = "; ".join(parts)
    for h in hints(test):
        text += f". Likely bug: {h}"
    return f"{text} ({HIDDEN_NOTE})"
