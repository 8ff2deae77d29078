"""`grader demo`: build a course's kit, make its small class of example submissions, grade them all.

Each example (the profile's `examples`) carries what a correct grader must conclude about it, so
the demo is also an end-to-end self-test: it returns False when any verdict is not the expected one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from .batch import RESULTS_FOLDER, batch_grade
from .courses.profile import Example, Profile
from .errors import SetupError


def _verdict(example: Example, results: dict) -> list[str]:
    """What is wrong with the grader's conclusion about `example` (empty when it is right)."""
    problems = []
    full = results["status"] == "graded" and results["score"] == results["max_score"]
    if full != example.full_marks:
        problems.append(f"expected {'full' if example.full_marks else 'partial'} marks, got {results['score']:g}")
    failing = {t["name"].split("[")[0] for t in results["tests"] if t["status"] != "passed"}
    problems += [f"{fn} was not failed" for fn in example.broken if fn not in failing]
    return problems


def _first_hint(results: dict) -> str:
    for t in results["tests"]:
        if t["status"] != "passed":
            return f"{t['name']}: {t['output'].splitlines()[0] if t['output'] else t['status']}"
    return ""


def run_demo(*, out_dir: Path, profile: Profile, echo: Callable[[str], None] = print) -> bool:
    """Build the kit and grade the profile's example class into out_dir; True when every verdict is right."""
    from .template import build_template

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    submissions, batch_out = out_dir / "submissions", out_dir / "batch"
    graded = batch_out / RESULTS_FOLDER
    submissions.mkdir(parents=True)
    if not profile.examples:
        raise SetupError(f"profile {profile.name!r} has no example class to demonstrate")

    echo(f"1. Building the student kit of {profile.title} from its reference ...")
    report = build_template(profile=profile, out=out_dir / "kit")
    echo(f"   {report.summary()}")

    echo(f"2. Making a class of {len(profile.examples)} example submissions in {submissions} ...")
    for ex in profile.examples:
        ex.make(profile, submissions / ex.name)

    echo("3. Batch-grading the class (`grader batch`: each submission in its own grading process, "
         "student code only in sandboxed children) ...")
    # the demo's submissions are the project's own: it runs whatever sandbox this machine allows
    # (`grader grade` and `grader batch` refuse a weak one unless told otherwise), and says which
    summary = batch_grade(submissions, out_dir=batch_out, profile=profile.name, notebooks=False,
                          echo=lambda line: echo(f"   {line}"), allow_weak_sandbox=True)
    ok = summary.found == len(profile.examples)
    rows = []
    for ex in profile.examples:
        results = json.loads((graded / ex.name / "results.json").read_text(encoding="utf-8"))
        problems = _verdict(ex, results)
        ok &= not problems
        rows.append((ex, results, problems))
        echo(f"   {ex.name:<8} {'as expected' if not problems else 'UNEXPECTED: ' + '; '.join(problems)}")

    echo("\nGradebook (first failing test of each submission):")
    for ex, results, _ in rows:
        echo(f"  {ex.name:<8} {results['score']:6.1f}  {ex.story}")
        if hint := _first_hint(results):
            echo(f"           {hint[:150]}")
    planted = [p for p in out_dir.rglob("results.json") if p.parent.parent != graded]
    if planted:
        ok = False
        echo(f"\nUNEXPECTED: results.json files outside the results folder: {planted}")
    pages = [ex.name for ex in profile.examples if not (summary.feedback / f"{ex.name}.html").is_file()]
    if pages:
        ok = False
        echo(f"\nUNEXPECTED: no feedback page for {', '.join(pages)}")
    echo(f"\nresults.json of each submission: {graded}/NAME/results.json; gradebook: {summary.gradebook}; "
         f"class report: {summary.report}; each student's feedback page: {summary.feedback}/NAME.html")
    weak = sorted(ex.name for ex, results, _ in rows if not (results.get("isolation") or {}).get("full", False))
    if weak:
        echo(f"\nNote: graded with less than the full sandbox on this machine: {', '.join(weak)} (see `grader "
             "sandbox`). The demo runs anyway: its submissions are the project's own; `grader grade` and `grader "
             "batch` refuse a sandbox that cannot confine student code to an allowlist unless given "
             "--allow-weak-sandbox.")
    echo("Demo verdicts: " + ("all as expected." if ok else "SOME UNEXPECTED (see above)."))
    return ok
