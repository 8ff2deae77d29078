"""Grade a course's solved master notebook at full length (no QUICK), as a student would submit
it with the reference package: the accuracy the grader recomputes, the points, the time.

    python benchmarks/master_notebooks.py --profile cs231n-2015 --notebook two_layer_net [--data PATH] [--quick]

The submission is the reference (examples.build) plus the master notebook; only the notebook's
own tests and one function check run (the function checks are the contract test's business).
Prints one line per notebook test and a summary line:

    profile=cs231n-2015 notebook=two_layer_net accuracy=0.5412 points=10.6/10 seconds=812
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from grader import examples  # noqa: E402
from grader.courses import get_profile  # noqa: E402
from grader.courses.profile import NotebookSettings  # noqa: E402
from grader.grade import grade_submission  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "cifar10" / "cifar-10-python.tar.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--notebook", required=True, help="the notebook's name without .ipynb")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="QUICK mode (small data, short runs)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the executed notebook and results here")
    args = parser.parse_args()
    prof = get_profile(args.profile)
    spec = next((nb for nb in prof.notebooks if nb.stem == args.notebook), None)
    if spec is None:
        parser.error(f"{args.profile} has no notebook {args.notebook}")
    env = (("QUICK", "1"),) if args.quick else ()
    prof = dataclasses.replace(prof, notebooks=(spec,), notebook_settings=NotebookSettings(env=env))
    work = Path(tempfile.mkdtemp(prefix="master-notebook-"))
    out = args.keep or work / "out"
    try:
        root = examples.build(prof, work / "alice")
        shutil.copy(get_profile(args.profile).paths.notebooks / spec.file, root / spec.file)
        started = time.monotonic()
        results = grade_submission(root, profile=prof, out_dir=out, data=args.data, only={"layers.relu_forward"})
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for t in results["tests"]:
        if t["name"].startswith("notebook."):
            print(f"{t['name']}: {t['status']} {t['score']:g}/{t['max_score']:g}: {t['output'][:400]}")
    acc = (results.get("accuracy") or {}).get("value")
    scored = [t for t in results["tests"] if t["name"].endswith("[accuracy]")]
    points = f"{scored[0]['score']:g}/{scored[0]['max_score']:g}" if scored else "-"
    print(f"profile={args.profile} notebook={args.notebook} accuracy={acc if acc is None else f'{acc:.4f}'} "
          f"points={points} seconds={seconds:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
