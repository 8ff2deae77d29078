"""Real submissions graded with their notebooks, as a new user would: `grader grade` on each.

Reads a manifest (a JSON list of {"repository": "owner/name", "commit": sha, "folder": path in
the repository, ...}), takes each submission out of a bare git mirror of its repository
(MIRRORS/<owner>+<name>/repo or MIRRORS/<owner>+<name>; blobs the mirror lacks, such as a
committed copy of the data set, are left out and listed),
grades it with `python -m grader grade PATH --profile P --data DATA --out OUT/<owner>+<name>`
and prints, per submission, the edition detected, the wall time, the code score and, per
notebook, what happened: found or not, made from this project's kit or not, executed or why
not, which cells failed, what was scored. With --markdown, the same as a table for
benchmarks/README.md.

    python benchmarks/calibrate_notebooks.py MANIFEST --mirrors DIR --data CIFAR10 --out OUT \\
        [--only owner/name ...] [--profile cs231n] [--markdown] [--timeout S]

Nothing of the submissions is kept outside OUT and a temporary folder. On a machine shared with
other jobs, set GRADER_KERNEL_THREADS=1: BLAS threads spinning on busy cores slow the
notebooks' trainings several times.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def mirror_dir(mirrors: Path, repository: str) -> Path:
    base = mirrors / repository.replace("/", "+")
    return base / "repo" if (base / "repo").is_dir() else base


def extract(mirrors: Path, entry: dict, dest: Path) -> tuple[Path, list[str]]:
    """The submission's folder, extracted under dest (keeping its own path), and the files left
    out: blobs the mirror does not hold (large files, e.g. a committed CIFAR-10 copy)."""
    git = ["git", f"--git-dir={mirror_dir(mirrors, entry['repository'])}"]
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", entry["commit"], "--", entry["folder"]],
                             capture_output=True, check=True).stdout
    blobs = []
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, path = item.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":  # files only, no links
            blobs.append((sha.decode(), path.decode("utf-8", "surrogateescape")))
    target = dest / "sub"
    missing = []
    proc = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for sha, path in blobs:
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":  # "<sha> missing"
            missing.append(path)
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)  # the newline after the contents
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    proc.stdin.close()
    proc.wait()
    return target / entry["folder"], missing


def summarize(results: dict) -> dict:
    course = results.get("course") or {}
    code = [t for t in results["tests"] if not t["name"].startswith("notebook.")]
    notebooks = []
    for nb in results.get("notebooks") or []:
        if not nb["found"]:
            what = "not found"
        elif not nb["executed"]:
            what = f"not executed ({nb['why_not_executed']})"
        else:
            failed = [str(c["index"]) for c in nb["failed_cells"]]
            what = (f"{'kit' if nb['origin'] == 'kit' else 'official'}, ran {nb['cells_ran']}/{nb['code_cells']} "
                    f"cells in {nb['seconds']:.0f} s" + (f", failed cells {', '.join(failed)}" if failed else ", none failed"))
        scored = nb["scored"]
        score = (f"{scored['variable']} {100 * scored['value']:.1f}% -> {scored['score']:g}/{scored['points']:g}"
                 if scored else nb["scoring"])
        notebooks.append({"file": nb["file"], "what": what, "scored": score,
                          "failed": [(c["index"], c["error"][:120]) for c in nb["failed_cells"]]})
    return {
        "status": results["status"], "edition": course.get("edition"), "detected": course.get("detected"),
        "score": results["score"], "max_score": results["max_score"],
        "code": (round(sum(t["score"] for t in code), 2), round(sum(t["max_score"] for t in code), 2)),
        "notebooks": notebooks,
    }


def grade(path: Path, out: Path, data: Path, profile: str, timeout: float) -> tuple[dict | None, float, str]:
    cmd = [sys.executable, "-m", "grader", "grade", str(path), "--profile", profile, "--data", str(data),
           "--out", str(out), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except BaseException as exc:  # a timeout, Ctrl-C or SIGTERM: stop the grading the way a batch does
        proc.terminate()  # the grader unwinds and removes its sandboxes
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if isinstance(exc, subprocess.TimeoutExpired):
            return None, time.perf_counter() - t0, f"timed out after {timeout:g} s"
        raise
    seconds = time.perf_counter() - t0
    results_file = out / "results.json"
    if not results_file.is_file():
        return None, seconds, f"exit {proc.returncode}: {stderr.strip()[-500:]}"
    return json.loads(results_file.read_text()), seconds, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of bare git mirrors (owner+name)")
    parser.add_argument("--data", type=Path, required=True, help="CIFAR-10 archive or folder")
    parser.add_argument("--out", type=Path, required=True, help="folder for each submission's results")
    parser.add_argument("--only", nargs="*", default=None, help="repositories to grade (owner/name)")
    parser.add_argument("--profile", default="cs231n")
    parser.add_argument("--timeout", type=float, default=6 * 3600.0, help="seconds per submission")
    parser.add_argument("--markdown", action="store_true", help="print a table for benchmarks/README.md")
    args = parser.parse_args()
    entries = json.loads(args.manifest.read_text())
    if args.only:
        entries = [e for e in entries if e["repository"] in args.only]
    rows = []
    for entry in entries:
        name = entry["repository"].replace("/", "+")
        with tempfile.TemporaryDirectory(prefix="calibrate-nb-") as tmp:
            path, missing = extract(args.mirrors, entry, Path(tmp))
            results, seconds, error = grade(path, args.out / name, args.data, args.profile, args.timeout)
        row = {"repository": entry["repository"], "commit": entry["commit"][:10], "year": entry.get("edition_year"),
               "seconds": round(seconds, 1), "error": error, "not_in_mirror": missing,
               **(summarize(results) if results else {})}
        rows.append(row)
        print(json.dumps(row), flush=True)
    (args.out / "calibration.json").write_text(json.dumps(rows, indent=1))
    if args.markdown:
        print("\n| repository @ commit (year) | edition detected | time | code score | notebook: what ran | scored |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            head = (f"{r['repository']} @ {r['commit']} ({r['year']}) | {r.get('edition')} | "
                    f"{r['seconds'] / 60:.1f} min | " + (f"{r['code'][0]:g} / {r['code'][1]:g}" if "code" in r
                                                         else r["error"]))
            for k, nb in enumerate(r.get("notebooks") or [{"file": "-", "what": r["error"], "scored": ""}]):
                lead = head if k == 0 else " | | | "
                print(f"| {lead} | {nb['file']}: {nb['what']} | {nb['scored']} |")
    sys.exit(0 if all(not r["error"] for r in rows) else 1)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # unwind: clean up, stop the grading
    main()
