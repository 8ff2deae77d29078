"""Naming the likely bug when a check fails.

A hint recomputes, in the parent, what a known buggy variant would have returned on the same
inputs (plain numpy, never student code) and says so when the student's numbers match it; a few
hints read the shape of the failure instead (a factor, a shape, an error message). Hints only
explain a failure: they never change a score. A course's classic bugs are its profile's hints
(a name -> function registry); the generic ones here apply to every course.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .compare import best_ratio, rel_error


@dataclass
class Evidence:
    """What a hint may look at: the student's outputs, the expected ones, the inputs."""

    function: str  # qualified name, e.g. "layers.affine_backward"
    case: str
    key: str | None  # the output that failed (None: the whole result)
    actual: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    error: str | None = None


GENERIC: dict[str, Callable[[Evidence], str | None]] = {}


def _hint(fn):
    GENERIC[fn.__name__] = fn
    return fn


def matches(actual, variant, tol: float = 1e-6) -> bool:
    """Whether the student's array equals a variant's (NaN where the variant has NaN counts)."""
    if actual is None or variant is None:
        return False
    a = np.asarray(actual, dtype=np.float64)
    v = np.asarray(variant, dtype=np.float64)
    if a.shape != v.shape:
        return False
    na, nv = ~np.isfinite(a), ~np.isfinite(v)
    if na.any() or nv.any():
        if not np.array_equal(na, nv):
            return False
        a, v = a[~na], v[~nv]
    return rel_error(a, v, 1e-6) <= tol


def diagnose(names, ev: Evidence, registry=None) -> str | None:
    """The first hint among `names` (looked up in `registry`, a profile's hints), then the generic
    ones, that recognises the failure."""
    hints = {**GENERIC, **(registry or {})}
    for name in (*names, *GENERIC):
        try:
            text = hints[name](ev)
        except Exception:  # noqa: BLE001 - a hint that cannot apply says nothing
            text = None
        if text:
            return text
    return None


# ----------------------------------------------------------------------------- generic


PY2_NAMES = {"xrange": "range", "raw_input": "input", "unicode": "str", "cPickle": "pickle", "basestring": "str"}


@_hint
def python2(ev: Evidence) -> str | None:
    """Python 2 code under the grader's Python 3: a file that does not parse, or a name Python 3 lacks."""
    err = ev.error or ""
    m = re.search(r"at ([\w/.-]+\.py):\d+", err)
    where = f" (see python.{m.group(1)} for every line to change)" if m else ""
    if "SyntaxError" in err and "Missing parentheses in call to 'print'" in err:
        return f"a Python 2 print statement: the grader runs Python 3, write print(...){where}"
    m2 = re.search(r"NameError: name '(\w+)' is not defined", err)
    if m2 and m2.group(1) in PY2_NAMES:
        return f"{m2.group(1)} is Python 2: the grader runs Python 3, use {PY2_NAMES[m2.group(1)]}"
    if "'float' object cannot be interpreted as an integer" in err or re.search(r"slice indices must be integers", err):
        return ("a size or index computed with / is a float under Python 3 (Python 2's / floors integers): "
                "use // where an integer is meant")
    m3 = re.search(r"ModuleNotFoundError: No module named '(\w+)'", err)
    if m3:
        return (f"if {m3.group(1)} is a module of your package, Python 3 needs `from . import {m3.group(1)}` "
                f"(Python 2's implicit relative import){where}")
    if re.search(r"\b(SyntaxError|TabError|IndentationError)\b", err):
        return f"the file does not parse under Python 3 (the grader runs Python 3){where}"
    return None


@_hint
def generic_error(ev: Evidence) -> str | None:
    err = ev.error or ""
    if "NameError" in err:
        return "reads a name that is not defined (a typo, or a variable of another function)"
    if "UnboundLocalError" in err:
        return "uses a variable before assigning it on this path"
    return None


@_hint
def generic_shape(ev: Evidence) -> str | None:
    a, e = ev.actual.get(ev.key), ev.expected.get(ev.key)
    if a is None or e is None or np.shape(a) == np.shape(e):
        return None
    if np.size(a) == np.size(e):
        if np.ndim(a) == 2 and np.ndim(e) == 2 and np.shape(a) == np.shape(e)[::-1]:
            return f"{ev.key} is transposed"
        return f"{ev.key} has the right number of entries in the wrong shape: a missing reshape?"
    return None


@_hint
def generic_factor(ev: Evidence) -> str | None:
    a, e = ev.actual.get(ev.key), ev.expected.get(ev.key)
    if a is None or e is None:
        return None
    k = best_ratio(a, e)
    if k is None or abs(k - 1) < 1e-3 or abs(k) < 1e-9 or not matches(a, k * np.asarray(e), 1e-5):
        return None
    if abs(k + 1) < 1e-6:
        return f"{ev.key} has the wrong sign"
    n = ev.arrays.get("x", ev.arrays.get("X"))
    n = None if n is None else np.shape(n)[0]
    if n and (abs(k - n) < 1e-6 * n or abs(k - 1 / n) < 1e-6 / n):
        return f"{ev.key} is {k:.4g} times the expected value: averaged over the batch (N = {n}) once too often or never"
    return f"{ev.key} is {k:.6g} times the expected value"


@_hint
def generated_mutant(ev: Evidence) -> str | None:
    """Tried last. A profile that registers grader.mutate.hints.mutant_hint under this name
    replaces it: it names the generated mutant whose result the failure equals. Unregistered:
    nothing."""
    return None


# ----------------------------------------------------------------------------- across cases


def across_cases(names, rows: list[tuple[str, dict, str]], registry=None) -> dict[str, str]:
    """Hints that need all the cases of one function: (case, case params, status) rows in, test case
    -> hint out. `names` are hints of `registry` taking the rows (e.g. right at stride 1 only)."""
    hints: dict[str, str] = {}
    for name in names:
        try:
            found = (registry or {})[name](rows) or {}
        except Exception:  # noqa: BLE001 - a hint that cannot apply says nothing
            found = {}
        for case, text in found.items():
            hints.setdefault(case, text)
    return hints
