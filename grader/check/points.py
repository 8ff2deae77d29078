"""Points: each function's points shared among its tests by weight; a test earns its share only
when it passed. The rounding remainder goes to a function's last test, so a function's tests
always add up to its points."""

from __future__ import annotations

import math

from ..results import TestRecord
from .judge import Verdict
from .oracle import NoOracle
from .plan import Builder, build


def score(b: Builder, verdicts: dict[str, Verdict]) -> list[TestRecord]:
    weights: dict[str, float] = {}
    last: dict[str, str] = {}
    for d in b.defs:
        weights[d.function] = weights.get(d.function, 0.0) + d.weight
        last[d.function] = d.name
    given: dict[str, float] = {}  # rounded points handed out so far, per function
    tests = []
    for d in b.defs:
        v = verdicts.get(d.name) or Verdict("error", "no result (grader bug)")
        points = b.points.get(d.function, 0.0)
        if d.name == last[d.function]:
            max_score = round(points - given.get(d.function, 0.0), 4)
        else:
            max_score = round(points * d.weight / weights[d.function], 4)
        given[d.function] = given.get(d.function, 0.0) + max_score
        rel = v.rel_error if v.rel_error is None or math.isfinite(v.rel_error) else None
        tests.append(TestRecord(d.name, v.status, max_score if v.status == "passed" else 0.0, max_score, rel,
                                v.output, d.visibility, function=d.function, not_implemented=bool(v.not_implemented)))
    return tests


def error_tests(profile, message: str, seed: int = 0, oracle=None, only=None) -> list[TestRecord]:
    """Every test of the profile as an error (a submission that could not be opened)."""
    b = build(profile, seed, oracle or NoOracle(profile), only)
    return score(b, {d.name: Verdict("error", message) for d in b.defs})
