"""Grade a course's solved master notebooks at full length: what their models reach, as the grader scores them.

    python benchmarks/full_notebooks.py --profile ece-c147 [--only NAME ...] [--data PATH] [--out DIR]

Each master notebook of the profile (notebooks/<course>/) is put beside the course's reference,
built as a solved submission (grader.examples.build), and graded with `grader grade`'s pipeline:
executed in the sandbox without QUICK, its model rebuilt from its weights and its accuracy
recomputed on the held-out half of the real test batch, under the notebook's formula. One line
per notebook:

    NAME: notebook printed VAL, grader's ACC on SPLIT (other half OTHER) -> FRACTION of POINTS, M min

(NAME: executed, not scored, M min for a notebook without a scored model). The exit status is 1
when a scored notebook misses full points.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from grader import examples  # noqa: E402
from grader.courses import get_profile  # noqa: E402
from grader.courses.family.cifar10 import default_location  # noqa: E402
from grader.grade import grade_submission  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--only", nargs="*", default=None, help="notebook stems (e.g. Dropout)")
    parser.add_argument("--data", type=Path, default=None, help="CIFAR-10 (default: $CIFAR10_PATH or ../shared/cifar10)")
    parser.add_argument("--out", type=Path, default=None, help="keep results.json and the executed notebooks here")
    args = parser.parse_args()
    prof = get_profile(args.profile)
    data = args.data or default_location()
    if data is None:
        parser.error("CIFAR-10 not found: --data PATH or $CIFAR10_PATH")
    out = args.out or Path(tempfile.mkdtemp(prefix="full-notebooks-"))
    specs = [nb for nb in prof.notebooks if not args.only or nb.stem in args.only]
    missed = False
    for spec in specs:
        work = Path(tempfile.mkdtemp(prefix=f"full-{spec.stem}-"))
        try:
            root = examples.build(prof, work / "solved")
            shutil.copy(prof.paths.notebooks / spec.file, root / spec.file)
            one = dataclasses.replace(prof, notebooks=(spec,))
            started = time.monotonic()
            results = grade_submission(root, profile=one, out_dir=out / spec.stem, data=data,
                                       only={prof.functions()[0]})
            minutes = (time.monotonic() - started) / 60
        finally:
            shutil.rmtree(work, ignore_errors=True)
        tests = {t["name"]: t for t in results["tests"]}
        run = tests[f"notebook.{spec.stem}"]
        if run["status"] != "passed":
            print(f"{spec.stem}: {run['status']}: {run['output'][:500]} ({minutes:.1f} min)")
            missed = True
            continue
        if not spec.scored:
            print(f"{spec.stem}: executed, not scored, {minutes:.1f} min")
            continue
        acc = tests[f"notebook.{spec.stem}[accuracy]"]
        printed = re.findall(r"validation accuracy [0-9.]+", acc["output"].split("the notebook printed:")[-1])
        m = re.search(r"(validation|test) accuracy ([0-9.]+) recomputed .*?\((validation|test) half: ([0-9.]+)\) -> "
                      r"([0-9.]+) of ([0-9.]+) points", acc["output"])
        if m is None:
            print(f"{spec.stem}: {acc['status']}: {acc['output'][:500]} ({minutes:.1f} min)")
            missed = True
            continue
        split, value, other, other_value, fraction, points = m.groups()
        print(f"{spec.stem}: notebook printed {printed[-1].split()[-1] if printed else '?'}, grader's "
              f"{float(value):.4f} on {split} (other half {float(other_value):.4f}) -> {fraction} of {points} points, "
              f"{minutes:.1f} min")
        missed |= float(fraction) < 1.0
    print(f"results: {out}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
