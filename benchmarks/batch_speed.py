"""Throughput of `grader batch` (code checks, no notebooks) with 1 worker and with N, in one run.

The class: every mutant and alternative implementation of the default course's catalogue, the reference and
the unsolved kit (41 submissions), built in a temporary folder. Prints, per worker count, the
wall time, submissions per minute and the speedup over one worker, then one line
`workers=N seconds=S per_minute=R speedup=X`.

    python benchmarks/batch_speed.py [--workers 2] [--limit K]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grader import examples
from grader.courses import get_profile

PROFILE = get_profile()
from grader.batch import batch_grade, default_workers


def make_class(folder: Path, limit: int | None) -> int:
    builders = [("reference", lambda d: examples.build(PROFILE, d)), ("unsolved", lambda d: examples.build(PROFILE, d, strip=True))]
    builders += [(v.name, lambda d, v=v: examples.build(PROFILE, d, v.edits)) for v in PROFILE.mutants + PROFILE.alternatives]
    for name, make in builders[:limit]:
        make(folder / name)
    return len(builders[:limit])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers(), help="the parallel run's workers")
    parser.add_argument("--limit", type=int, default=None, help="grade only the first K submissions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-speed-") as tmp:
        tmp = Path(tmp)
        n = make_class(tmp / "class", args.limit)
        timings = {}
        for workers in sorted({1, args.workers}):
            t0 = time.perf_counter()
            summary = batch_grade(tmp / "class", out_dir=tmp / f"out-{workers}", workers=workers, notebooks=False,
                                  echo=lambda line: None)
            timings[workers] = time.perf_counter() - t0
            statuses = sorted(set(summary.statuses.values()))
            print(f"{n} submissions, {workers} worker(s): {timings[workers]:.1f} s, "
                  f"{60 * n / timings[workers]:.1f} per minute (statuses: {', '.join(statuses)})")
        best = max(timings)
        print(f"workers={best} seconds={timings[best]:.1f} per_minute={60 * n / timings[best]:.1f} "
              f"speedup={timings[1] / timings[best]:.2f}")


if __name__ == "__main__":
    main()
