"""The solved master notebooks at full length, graded by `grader grade` on real CIFAR-10.

Each master notebook (notebooks/<course>/, solutions included) is submitted with the reference
package, as a student who solved everything would, and graded with its course profile: the
notebook runs in the sandbox without QUICK mode, the grader recomputes its model's accuracy on
its held-out images and scores it. Prints one line per notebook (the accuracy the notebook
printed, the grader's, the target, the points, the wall time) and ends with `all_met=true`
when every model reached its target.

    python benchmarks/master_notebooks.py [--profile NAME] [--data PATH] [--only NAME ...] [--all-checks] [--quick]

(About 25 minutes for the four cs231n notebooks on 2 idle cores; CI runs them in QUICK mode,
tests/test_accuracy.py.) --all-checks also runs every function check (slower); by default one.
--quick runs them in QUICK mode (small data, short runs), as CI does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from grader import examples
from grader.courses import get_profile
from grader.grade import grade_submission


def grade_master(prof, spec, data: Path, tmp: Path, all_checks: bool) -> dict:
    root = examples.build(prof, tmp / spec.stem / "submission")
    shutil.copy(prof.paths.notebooks / spec.file, root / spec.file)
    one = dataclasses.replace(prof, notebooks=(spec,))
    only = None if all_checks else {prof.functions()[0]}
    t0 = time.perf_counter()
    results = grade_submission(root, profile=one, out_dir=tmp / spec.stem / "out", data=data, only=only)
    seconds = time.perf_counter() - t0
    tests = {t["name"]: t for t in results["tests"]}
    run, acc = tests[f"notebook.{spec.stem}"], tests.get(f"notebook.{spec.stem}[accuracy]")
    (report,) = results["notebooks"]
    output = acc["output"] if acc else ""
    printed = output.split("the notebook printed: ")[-1].split(" (not scored")[0] if "notebook printed: " in output else ""
    return {"notebook": spec.stem, "run": run["status"], "printed_lines": printed,
            "accuracy": (results["accuracy"] or {}).get("value"), "target": spec.formula.target(),
            "score": acc["score"] if acc else 0.0, "points": spec.points, "seconds": seconds,
            "failed_cells": [c["index"] for c in report["failed_cells"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=None, help="course profile [the default course]")
    parser.add_argument("--data", type=Path, default=None, help="CIFAR-10 archive or folder [$CIFAR10_PATH]")
    parser.add_argument("--only", nargs="*", default=None, help="notebook names (e.g. Dropout)")
    parser.add_argument("--all-checks", action="store_true", help="grade every function too (slower)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="QUICK mode (small data, short runs)")
    args = parser.parse_args()
    prof = get_profile(args.profile)
    if args.quick:
        settings = prof.notebook_settings
        prof = dataclasses.replace(prof, notebook_settings=dataclasses.replace(settings, env=(*settings.env, ("QUICK", "1"))))
    data = args.data or prof.dataset.default()
    if data is None:
        sys.exit("CIFAR-10 not found: pass --data PATH or set CIFAR10_PATH")
    specs = [s for s in prof.notebooks if s.scored and (not args.only or s.stem in args.only)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="master-notebooks-") as tmp:
        for spec in specs:
            row = grade_master(prof, spec, Path(data), Path(tmp), args.all_checks)
            rows.append(row)
            acc = "none" if row["accuracy"] is None else f"{100 * row['accuracy']:.1f}%"
            print(f"{row['notebook']:24s} run {row['run']:7s} printed [{row['printed_lines']}] "
                  f"grader {acc} (target {row['target']:g}%) points {row['score']:g}/{row['points']:g} "
                  f"{row['seconds'] / 60:.1f} min" + (f" failed cells {row['failed_cells']}" if row["failed_cells"]
                                                       else ""), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    met = all(r["score"] >= r["points"] for r in rows)
    print(f"notebooks={len(rows)} total_minutes={sum(r['seconds'] for r in rows) / 60:.1f} "
          f"all_met={'true' if met else 'false'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
