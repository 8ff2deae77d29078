"""Points: each function's points shared among its tests by weight, earned by right values only
(docs/grading-policy.md).

- A value test earns its share when it passed. A public value test (the notebook's own inputs,
  which a student can read the answer of) earns it only when every hidden value test of its
  group (the same thing checked on other inputs, e.g. a model's loss in every configuration)
  passed too: an answer that is right only where the answer is known is not earned.
- A hygiene test (inputs left unchanged, dtype kept, a bad mode refused) earns its share only
  when every value test of its function passed: good manners never add points to wrong values.
- A warning (what the assignment does not ask: see judge.py's kinds) costs nothing, unless the
  profile's instructor settings (Profile.warning_weights) give its kind a weight: then the test
  loses that fraction of its share.

The rounding remainder goes to a function's last test, so a function's tests always add up to its
points. Each test's output says why it earned less than its share.
"""

from __future__ import annotations

import math

from ..results import TestRecord
from .judge import Verdict
from .oracle import NoOracle
from .plan import HYGIENE, Builder, build


def _explain(d, v: Verdict, hidden_bad: dict, values_bad: dict) -> str | None:
    """Why a passed test earns nothing, or None when it earns its share."""
    if v.status != "passed":
        return None
    if d.kind == HYGIENE:
        bad = values_bad.get(d.function)
        if bad:
            return f"0 points: hygiene checks earn points only when the function's values are right ({bad} failed)"
    elif d.visibility == "visible":
        bad = hidden_bad.get((d.function, d.group))
        if bad:
            return (f"0 points: the public case earns its points only when the hidden cases of the same check pass "
                    f"({bad} failed)")
    return None


def score(b: Builder, verdicts: dict[str, Verdict]) -> list[TestRecord]:
    weights: dict[str, float] = {}
    last: dict[str, str] = {}
    hidden_bad: dict[tuple[str, str], str] = {}
    values_bad: dict[str, str] = {}
    for d in b.defs:
        weights[d.function] = weights.get(d.function, 0.0) + d.weight
        last[d.function] = d.name
        v = verdicts.get(d.name)
        if d.kind != HYGIENE and (v is None or v.status != "passed"):
            values_bad.setdefault(d.function, d.name)
            if d.visibility != "visible":
                hidden_bad.setdefault((d.function, d.group), d.name)
    penalties = dict(getattr(b.profile, "warning_weights", None) or {})
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
        output = v.output
        earned = max_score if v.status == "passed" else 0.0
        why = _explain(d, v, hidden_bad, values_bad)
        if why:
            earned = 0.0
            output = f"{output}. {why}" if output else why
        kinds = sorted({kind for kind, _ in v.warnings})
        lost = min(1.0, sum(float(penalties.get(k, 0.0)) for k in kinds))
        if earned and lost > 0:
            earned = round(earned * (1.0 - lost), 4)
            output += f". The instructor's settings weigh warnings of kind {', '.join(k for k in kinds if penalties.get(k))}: " \
                      f"{lost:.0%} of this test's points lost"
        warnings = [f"{kind}: {text}" for kind, text in v.warnings]
        tests.append(TestRecord(d.name, v.status, earned, max_score, rel, output, d.visibility, warnings=warnings,
                                function=d.function, not_implemented=bool(v.not_implemented)))
    return tests


def error_tests(profile, message: str, seed: int = 0, oracle=None, only=None) -> list[TestRecord]:
    """Every test of the profile as an error (a submission that could not be opened)."""
    b = build(profile, seed, oracle or NoOracle(profile), only)
    return score(b, {d.name: Verdict("error", message) for d in b.defs})
