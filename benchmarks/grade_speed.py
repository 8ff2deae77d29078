"""Wall time of the full hidden suite (`grader grade` minus printing) on a few submissions.

Submissions: the reference, two classic-bug mutants, an alternative implementation (loops) and
the unsolved kit, each built in a temporary folder from the reference (the default course's catalogue).
Prints one line per submission and ends with `median_seconds=X` (target: <= 20 s on 2 cores).

    python benchmarks/grade_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from grader import examples as mutants
from grader.courses import get_profile
from grader.grade import grade_submission

PROFILE = get_profile()


def submissions(tmp: Path) -> list[tuple[str, Path]]:
    pick = {v.name: v for v in PROFILE.mutants + PROFILE.alternatives}
    out = [("reference", mutants.build(PROFILE, tmp / "reference"))]
    for name in ("dropout_not_inverted", "fc_reg_without_half", "loops_affine_conv_pool"):
        out.append((name, mutants.build(PROFILE, tmp / name, pick[name].edits)))
    out.append(("unsolved", mutants.build(PROFILE, tmp / "unsolved", strip=True)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="grade each submission this many times")
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory(prefix="grade-speed-") as tmp:
        tmp = Path(tmp)
        for name, path in submissions(tmp):
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                r = grade_submission(path, out_dir=tmp / "out" / name)
                dt = time.perf_counter() - t0
                times.append(dt)
                print(f"{name:28s} {dt:6.2f} s  score {r['score']:.2f}/{r['max_score']:.2f}  tests {len(r['tests'])}",
                      flush=True)
    print(f"submissions={len(times)} min_seconds={min(times):.2f} max_seconds={max(times):.2f} "
          f"median_seconds={statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
