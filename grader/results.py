"""results.json: building, validating, writing, and the readable table for stdout (docs/results.md).

`isolation` records what the sandbox achieved for the grading (mode, namespaces, filesystem view,
uid, network, limits; see grader.sandbox.isolation)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InternalError

TEST_STATUSES = ("passed", "failed", "error", "skipped")
RUN_STATUSES = ("graded", "error", "timeout")
VISIBILITIES = ("visible", "hidden", "after_published")
TOP_KEYS = ("submission", "profile", "status", "score", "max_score", "execution_time", "tests", "accuracy",
            "isolation")
# Sections after the required keys: the course and edition graded against and why (course); each
# notebook's account: found, made from the kit or not, executed, failed cells, what was scored (notebooks).
OPTIONAL_KEYS = ("course", "notebooks")
TEST_KEYS = ("name", "status", "score", "max_score", "rel_error", "output", "visibility")
# Keys a test may carry after TEST_KEYS (results written before they existed lack them):
# warnings: what the assignment does not ask, shown in the feedback (docs/grading-policy.md).
OPTIONAL_TEST_KEYS = ("warnings",)


class ResultsError(InternalError, ValueError):
    """A results dict that does not follow results.json's format (docs/results.md)."""


@dataclass
class TestRecord:
    """One test of results.json, as the check engine, the notebook scoring and grading make it.

    warnings: what the assignment does not ask but the function does ("kind: text"), written to
    results.json. function and not_implemented are for the grader's own use (the public checks'
    table, the cross-test notes); they are not written to results.json."""

    __test__ = False  # not a pytest class

    name: str
    status: str  # passed | failed | error | skipped
    score: float
    max_score: float
    rel_error: float | None
    output: str
    visibility: str = "visible"
    warnings: list = field(default_factory=list)
    function: str = field(default="", compare=False)
    not_implemented: bool = field(default=False, compare=False)

    def to_json(self) -> dict:
        return {**{k: getattr(self, k) for k in TEST_KEYS}, "warnings": list(self.warnings)}


def make_results(submission: str, profile: str, status: str, tests: list, seconds: float,
                 accuracy: dict | None = None, isolation: dict | None = None) -> dict:
    """The results dict in results.json's key order; score and max_score summed from the tests
    (TestRecords or their dicts). isolation: what the sandbox achieved for this grading
    (grader.sandbox.isolation; the weakest of its runs), None when no student code ran."""
    tests = [t.to_json() if isinstance(t, TestRecord) else t for t in tests]
    return {
        "submission": submission,
        "profile": profile,
        "status": status,
        "score": round(sum(t["score"] for t in tests), 4),
        "max_score": round(sum(t["max_score"] for t in tests), 4),
        "execution_time": round(seconds, 3),
        "tests": tests,
        "accuracy": accuracy,
        "isolation": isolation,
    }


def function_points(results: dict) -> dict[str, list[float]]:
    """{checked function: [score, max_score]} summed over its tests (the name before any '[case]')."""
    points: dict[str, list[float]] = {}
    for t in results["tests"]:
        p = points.setdefault(t["name"].split("[")[0], [0.0, 0.0])
        p[0] += t["score"]
        p[1] += t["max_score"]
    return {fn: [round(got, 4), round(most, 4)] for fn, (got, most) in points.items()}


def validate(results: dict) -> None:
    """Raise ResultsError unless `results` has the keys and types of results.json (docs/results.md)."""
    keys = tuple(results) if isinstance(results, dict) else None
    if keys is None or keys[:len(TOP_KEYS)] != TOP_KEYS or any(k not in OPTIONAL_KEYS for k in keys[len(TOP_KEYS):]):
        raise ResultsError(f"top-level keys must be {TOP_KEYS} then any of {OPTIONAL_KEYS}, got {keys or results!r}")
    if "course" in results and not isinstance(results["course"], dict):
        raise ResultsError("course must be an object")
    if "notebooks" in results and not (isinstance(results["notebooks"], list) and all(
            isinstance(n, dict) and isinstance(n.get("file"), str) and isinstance(n.get("status"), str)
            for n in results["notebooks"])):
        raise ResultsError("notebooks must be a list of objects, each with a file and a status")
    if not isinstance(results["submission"], str) or not isinstance(results["profile"], str):
        raise ResultsError("submission and profile must be strings")
    if results["status"] not in RUN_STATUSES:
        raise ResultsError(f"status {results['status']!r} not in {RUN_STATUSES}")
    for key in ("score", "max_score", "execution_time"):
        if not isinstance(results[key], (int, float)) or not math.isfinite(results[key]):
            raise ResultsError(f"{key} must be a finite number")
    names = set()
    for t in results["tests"]:
        keys = tuple(t) if isinstance(t, dict) else ()
        if keys[:len(TEST_KEYS)] != TEST_KEYS or any(k not in OPTIONAL_TEST_KEYS for k in keys[len(TEST_KEYS):]):
            raise ResultsError(f"test keys must be {TEST_KEYS} then any of {OPTIONAL_TEST_KEYS}, got {keys}")
        if "warnings" in t and (not isinstance(t["warnings"], list)
                                or not all(isinstance(w, str) for w in t["warnings"])):
            raise ResultsError(f"{t['name']}: warnings must be a list of strings")
        if t["name"] in names:
            raise ResultsError(f"duplicate test name {t['name']}")
        names.add(t["name"])
        if t["status"] not in TEST_STATUSES or t["visibility"] not in VISIBILITIES:
            raise ResultsError(f"{t['name']}: bad status or visibility")
        if not (0 <= t["score"] <= t["max_score"]):
            raise ResultsError(f"{t['name']}: score {t['score']} outside [0, {t['max_score']}]")
        if t["rel_error"] is not None and not (isinstance(t["rel_error"], float) and math.isfinite(t["rel_error"])):
            raise ResultsError(f"{t['name']}: rel_error must be a finite float or null")
        if not isinstance(t["output"], str):
            raise ResultsError(f"{t['name']}: output must be a string")
    acc = results["accuracy"]
    if acc is not None and (not isinstance(acc, dict) or set(acc) != {"split", "value", "points_fraction", "formula"}):
        raise ResultsError("accuracy must be null or {split, value, points_fraction, formula}")
    if acc is not None:
        if not isinstance(acc["split"], str) or not isinstance(acc["formula"], str):
            raise ResultsError("accuracy split and formula must be strings")
        for key in ("value", "points_fraction"):
            if not isinstance(acc[key], (int, float)) or isinstance(acc[key], bool) or not math.isfinite(acc[key]):
                raise ResultsError(f"accuracy {key} must be a finite number")
        if not 0 <= acc["value"] <= 1:
            raise ResultsError(f"accuracy value {acc['value']} is not a fraction in [0, 1]")
    iso = results["isolation"]
    if iso is not None and (not isinstance(iso, dict) or not isinstance(iso.get("mode"), str)
                            or not isinstance(iso.get("full"), bool) or not isinstance(iso.get("missing"), list)):
        raise ResultsError("isolation must be null or {mode, full, missing, ...}")


def write_results(results: dict, out_dir: Path) -> Path:
    """Write out_dir/results.json atomically (a reader never sees half a file)."""
    validate(results)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=out_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, allow_nan=False)
        f.write("\n")
    target = out_dir / "results.json"
    os.replace(tmp, target)
    return target


_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}


def render_table(results: dict, width: int = 120) -> str:
    """A plain-text table of the tests (no colour: safe in logs and pipes)."""
    name_w = min(max((len(t["name"]) for t in results["tests"]), default=4), 52)
    lines = [
        f"{results['submission']} (profile {results['profile']}): {results['status']}, "
        f"score {results['score']:g} / {results['max_score']:g}, {results['execution_time']:.1f} s",
        f"{'status':<6} {'score':>11} {'rel_err':>8}  {'test':<{name_w}}  output",
    ]
    room = max(width - (6 + 1 + 11 + 1 + 8 + 2 + name_w + 2), 20)
    for t in results["tests"]:
        score = f"{t['score']:.2f}/{t['max_score']:.2f}"
        err = "" if t["rel_error"] is None else f"{t['rel_error']:.1e}"
        out = t["output"].replace("\n", " ")
        if len(out) > room:
            out = out[: room - 3] + "..."
        lines.append(f"{_MARK[t['status']]:<6} {score:>11} {err:>8}  {t['name']:<{name_w}}  {out}")
        for w in t.get("warnings") or []:
            w = w.replace("\n", " ")
            text = f"warning: {w}"
            lines.append(f"{'':<6} {'':>11} {'':>8}  {'':<{name_w}}  "
                         + (text if len(text) <= room else text[: room - 3] + "..."))
    counts = {s: sum(t["status"] == s for t in results["tests"]) for s in TEST_STATUSES}
    warned = sum(bool(t.get("warnings")) for t in results["tests"])
    lines.append(", ".join([f"{n} {s}" for s, n in counts.items() if n]
                           + ([f"{warned} with warnings"] if warned else [])))
    if results["accuracy"] is not None:
        a = results["accuracy"]
        lines.append(f"accuracy ({a['split']}): {a['value']:.4f} -> {a['points_fraction']:.2f} of the points ({a['formula']})")
    if results.get("isolation") is not None:
        from .sandbox.isolation import describe

        lines.append(f"sandbox: {describe(results['isolation'])}")
    for nb in results.get("notebooks") or []:  # one line per notebook, last
        lines.append(notebook_line(nb, width))
    return "\n".join(lines)


def notebook_line(nb: dict, width: int = 120) -> str:
    """One line per notebook of results.json's `notebooks` section."""
    if not nb.get("found"):
        what = "not found"
    else:
        kind = {"kit": "made from the kit", "other": "not the kit's (run untouched)"}.get(nb.get("origin"), "")
        if nb.get("executed"):
            failed = nb.get("failed_cells") or []
            ran = f"{nb.get('cells_ran')}/{nb.get('code_cells')} cells ran"
            ran += f", failed: {', '.join(str(c['index']) for c in failed[:10])}" if failed else ", none failed"
        else:
            ran = f"not executed ({nb.get('why_not_executed')})"
        what = ", ".join(x for x in (kind, ran) if x)
    scored = nb.get("scored")
    score = (f"; accuracy {scored['value']:.4f} -> {scored['score']:g}/{scored['points']:g}" if scored
             else f"; {nb.get('scoring')}" if nb.get("scoring") else "")
    line = f"notebook {nb['file']}: {what}{score}"
    return line if len(line) <= width + 60 else line[: width + 57] + "..."
