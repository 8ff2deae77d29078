"""Grade real public submissions listed in a manifest; count the failures judged real and false.

    python benchmarks/calibrate.py --corpus DIR [--manifest benchmarks/calibration/manifest.json]
                                   [--only REPO ...] [--course NAME] [--out DIR] [--workers N]

The manifest (committed) lists each submission as its public repository, commit and folder;
the corpus (never committed) is a folder of bare git mirrors of those repositories, one per
repository, named OWNER+NAME (or OWNER+NAME/repo; the --corpus default is $GRADER_CORPUS). Each submission's
folder is extracted at its commit into a temporary folder and graded with `grader grade`
(code checks; the course and edition detected, as a TA would run it).

judgements.json (committed beside the manifest) records, per "owner/name:function" (or
"owner/name/folder:function" when a repository holds several submissions), whether a failure is
a real bug of the student ("real") or a false failure of the grader ("false"), with the evidence
(the student's line). A failure nobody judged yet is "unjudged" (and counted on the
last line only when there is one). The last line:

    submissions=N functions=M failed=F real=R false=X [unjudged=U]

Warnings (what the assignment does not ask, costing no points: docs/grading-policy.md) are
counted per submission on its line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "calibration" / "manifest.json"
JUDGEMENTS = HERE / "calibration" / "judgements.json"


def mirror(corpus: Path, repository: str) -> Path:
    """The git directory of `repository` in the corpus (OWNER+NAME, OWNER+NAME/repo, or the .git of a
    clone there)."""
    path = corpus / repository.replace("/", "+")
    for candidate in (path, path / "repo", path / ".git", path / "repo" / ".git"):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise SystemExit(f"{repository}: no git mirror at {path} (fetch the repository into the corpus folder)")


KEPT = (".py", ".ipynb", ".pyx", ".txt", ".md", ".sh", ".cfg", ".toml")


def extract(git_dir: Path, commit: str, folder: str, dest: Path) -> Path:
    """The submission's code and notebooks at its commit, written under dest (read from git;
    nothing run). Data files are left out (snapshots lack the large ones anyway)."""
    git = ["git", "--git-dir", str(git_dir)]
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", commit, "--", folder], capture_output=True, check=True).stdout
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.split()
        name = path.decode("utf-8", "replace")
        if kind != b"blob" or mode == b"120000" or not name.endswith(KEPT):
            continue
        blob = subprocess.run(git + ["cat-file", "blob", sha.decode()], capture_output=True)
        if blob.returncode == 0:  # a blob the snapshot lacks is skipped
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.stdout)
    return dest / folder


def grade(entry: dict, corpus: Path, out: Path, notebooks: bool, several: bool = False) -> dict:
    name = entry["repository"].replace("/", "+")
    if several:  # a repository holding several submissions (one per homework): one name each
        name += "+" + entry["folder"].replace("/", "_")
    with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
        root = extract(mirror(corpus, entry["repository"]), entry["commit"], entry["folder"], Path(tmp) / "src")
        sub = Path(tmp) / name
        shutil.move(str(root), sub)
        cmd = [sys.executable, "-m", "grader", "grade", str(sub), "--out", str(out / name), "--json"]
        if not notebooks:
            cmd.append("--no-notebooks")
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.monotonic() - started
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"entry": entry, "error": (proc.stderr or proc.stdout)[-2000:], "seconds": seconds}
    return {"entry": entry, "results": results, "seconds": seconds}


def failed_functions(results: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for t in results["tests"]:
        if t["status"] != "passed" and not t["name"].startswith(("notebook.", "python.", "given.")):
            out.setdefault(t["name"].split("[")[0], []).append(t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=os.environ.get("GRADER_CORPUS"))
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    parser.add_argument("--only", nargs="*", default=None, help="repositories (owner/name) to grade")
    parser.add_argument("--course", default=None, help="only the manifest entries of this course")
    parser.add_argument("--out", type=Path, default=None, help="keep every results.json here")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--notebooks", action="store_true", help="also execute the notebooks (slow)")
    parser.add_argument("--table", type=Path, default=None,
                        help="also write the calibration table (markdown, for benchmarks/README.md) to this file")
    args = parser.parse_args()
    if args.corpus is None:
        parser.error("--corpus DIR (or $GRADER_CORPUS): the folder of the repositories' git mirrors")
    entries = json.loads(args.manifest.read_text())
    entries = [e for e in entries if (not args.only or e["repository"] in args.only)
               and (not args.course or e["course"] == args.course)]
    judged = json.loads(args.judgements.read_text()) if args.judgements.is_file() else {}
    out = args.out or Path(tempfile.mkdtemp(prefix="calibration-"))
    count = {}
    for e in entries:
        count[e["repository"]] = count.get(e["repository"], 0) + 1
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        graded = list(pool.map(lambda e: grade(e, args.corpus, out, args.notebooks, count[e["repository"]] > 1),
                               entries))

    totals = {"functions": 0, "failed": 0, "real": 0, "false": 0, "unjudged": 0}
    rows = ["| repository | commit | edition | score | failed function | verdict | evidence |", "|---|---|---|---|---|---|---|"]
    for g in graded:
        e = g["entry"]
        head = f"{e['repository']}@{e['commit'][:8]}/{e['folder']} ({e['course']} {e.get('edition_year', '?')})"
        if "error" in g:
            print(f"{head}: the grader failed: {g['error'][-300:]}")
            totals["unjudged"] += 1
            continue
        r = g["results"]
        course = r.get("course") or {}
        functions = {t["name"].split("[")[0] for t in r["tests"] if not t["name"].startswith(("notebook.", "python.", "given."))}
        fails = failed_functions(r)
        totals["functions"] += len(functions)
        totals["failed"] += len(fails)
        warned = {t["name"].split("[")[0] for t in r["tests"] if t.get("warnings")}
        print(f"{head}: profile {r['profile'] or '-'} edition {course.get('edition') or 'kit'}, score "
              f"{r['score']:g}/{r['max_score']:g}, {len(fails)} of {len(functions)} functions failed, "
              f"{len(warned)} with warnings, {g['seconds']:.0f} s")
        for t in r["tests"]:
            if t["name"].startswith(("python.", "given.")):
                kind, _, file = t["name"].partition(".")
                print(f"    {kind:<8} {file}: {t['output'][:200]}")
        lead = f"| {e['repository']} | {e['commit'][:8]} | {course.get('edition') or 'kit'} | {r['score']:g}/{r['max_score']:g} |"
        if not fails:
            rows.append(f"{lead} none | | |")
        for fn, tests in sorted(fails.items()):
            # a repository with several submissions (homeworks) judges each under OWNER/NAME/FOLDER
            j = judged.get(f"{e['repository']}/{e['folder']}:{fn}") or judged.get(f"{e['repository']}:{fn}")
            verdict = j["verdict"] if j else "unjudged"
            totals[verdict if verdict in ("real", "false") else "unjudged"] += 1
            why = (j["why"] if j else tests[0]["output"][:160]).replace("|", "\\|")
            rows.append(f"{lead} `{fn}` | {verdict} | {why} |")
            lead = "| | | | |"
            first = tests[0]
            print(f"    {verdict:<8} {fn}: {first['name']}: {first['output'][:160]}"
                  + (f"  [{j['why']}]" if j else ""))
    print(f"results: {out}")
    if args.table:
        args.table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"submissions={len(graded)} functions={totals['functions']} failed={totals['failed']} "
          f"real={totals['real']} false={totals['false']}"
          + (f" unjudged={totals['unjudged']}" if totals["unjudged"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
