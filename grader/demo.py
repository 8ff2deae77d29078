"""`grader demo`: build the kit, make a small class of example submissions, grade them all.

Each example carries what a correct grader must conclude about it, so the demo is also an
end-to-end self-test: it returns False when any verdict is not the expected one.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import examples
from .examples import Edit
from .batch import RESULTS_FOLDER, batch_grade
from .paths import PROJECT_ROOT, reference_dir

# A hostile submission: every trick must cost it points and nothing more.
MALICIOUS_EDITS = (
    # hangs: the deadline kills it, only relu_forward's checks are lost
    Edit("layers.py", "    out = np.maximum(x, 0)\n", "    while True:\n        pass\n"),
    # exits the interpreter "successfully" in the middle of a check
    Edit("layers.py", "    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)\n",
         "    import os\n    os._exit(0)\n"),
    # prints success, plants a fake results.json wherever it can, and returns garbage
    Edit("optim.py", "def sgd_momentum(w, dw, config=None):\n",
         "def sgd_momentum(w, dw, config=None):\n"
         "    import pathlib\n"
         "    print('PASSED ' * 1000)\n"
         "    for d in (pathlib.Path.cwd(), *pathlib.Path.cwd().parents):\n"
         "        try:\n"
         "            (d / 'results.json').write_text('{\"score\": 100, \"max_score\": 100}')\n"
         "        except OSError:\n"
         "            pass\n"
         "    return float('nan'), config\n"),
)


@dataclass(frozen=True)
class Example:
    name: str
    story: str
    make: Callable[[Path], Path]  # builds the submission under the given folder, returns its path
    full_marks: bool  # the verdict a correct grader reaches
    broken: tuple[str, ...] = ()  # functions that must fail


def _mutant(name: str) -> Callable[[Path], Path]:
    variant = {v.name: v for v in examples.MUTANTS + examples.ALTERNATIVES}[name]
    return lambda dest: examples.build(dest, variant.edits)


def _zipped(dest: Path) -> Path:
    """The reference, zipped two folders deep, as a student's upload often is."""
    folder = examples.build(dest.with_name(dest.name + "-src"), nest=("hw2", "assignment2"))
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    shutil.rmtree(folder)
    return archive


CLASS = (
    Example("alice", "the reference solution", lambda d: examples.build(d), True),
    Example("bob", "loops instead of vectorised code (correct)", _mutant("loops_affine_conv_pool"), True),
    Example("carol", "a zip with the package two folders deep", _zipped, True),
    Example("dave", "the unsolved kit", lambda d: examples.build(d, strip=True), False),
    Example("erin", "dropout not inverted", _mutant("dropout_not_inverted"), False, ("layers.dropout_forward",)),
    Example("frank", "adam without incrementing t first", _mutant("adam_t_not_incremented_first"), False, ("optim.adam",)),
    Example("grace", "batchnorm running averages keep the last batch", _mutant("batchnorm_running_last_batch"), False,
            ("layers.batchnorm_forward",)),
    Example("heidi", "L2 regularisation without the 0.5 factor", _mutant("fc_reg_without_half"), False,
            ("fc_net.FullyConnectedNet",)),
    Example("mallory", "malicious: hangs, exits, prints PASSED, plants results.json, returns NaN",
            lambda d: examples.build(d, MALICIOUS_EDITS), False,
            ("layers.relu_forward", "layers.affine_backward", "optim.sgd_momentum")),
)


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


def run_demo(*, out_dir: Path, echo: Callable[[str], None] = print) -> bool:
    """Build the kit and grade the example class into out_dir; True when every verdict is right."""
    from .template import build_template, default_expectations_writer

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    submissions, batch_out = out_dir / "submissions", out_dir / "batch"
    graded = batch_out / RESULTS_FOLDER
    submissions.mkdir(parents=True)

    echo("1. Building the student kit from the reference ...")
    report = build_template(reference=reference_dir(), notebooks=PROJECT_ROOT / "notebooks", out=out_dir / "kit",
                            expectations_writer=default_expectations_writer())
    echo(f"   {report.summary()}")

    echo(f"2. Making a class of {len(CLASS)} example submissions in {submissions} ...")
    for ex in CLASS:
        ex.make(submissions / ex.name)

    echo("3. Batch-grading the class (`grader batch`: each submission in its own grading process, "
         "student code only in sandboxed children) ...")
    # the demo's submissions are the project's own: it runs whatever sandbox this machine allows
    # (`grader grade` and `grader batch` refuse a weak one unless told otherwise), and says which
    summary = batch_grade(submissions, out_dir=batch_out, notebooks=False, echo=lambda line: echo(f"   {line}"),
                          allow_weak_sandbox=True)
    ok = summary.found == len(CLASS)
    rows = []
    for ex in CLASS:
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
    echo(f"\nresults.json of each submission: {graded}/NAME/results.json; gradebook: {summary.gradebook}; "
         f"class report: {summary.report}")
    weak = sorted(ex.name for ex, results, _ in rows
                  if not (results.get("isolation") or {}).get("full", False))
    if weak:
        echo(f"\nNote: graded with less than the full sandbox on this machine: {', '.join(weak)} (see `grader "
             "sandbox`). The demo runs anyway: its submissions are the project's own; `grader grade` and `grader "
             "batch` refuse a sandbox that cannot confine student code to an allowlist unless given "
             "--allow-weak-sandbox.")
    echo("Demo verdicts: " + ("all as expected." if ok else "SOME UNEXPECTED (see above)."))
    return ok
