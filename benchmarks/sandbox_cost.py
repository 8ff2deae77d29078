"""What the sandbox costs per submission: before (a given revision) and after, side by side.

For each variant, in a process of its own: the start of one sandbox child running one task
(median of --starts), the full hidden suite of code checks on the reference and on the
unsolved kit (`grader grade --no-notebooks` minus printing; median of --checks), and a
one-cell notebook run in the sandbox (median of --notebooks): the wall time from run_tasks to
the executed notebook, and the kernel's own start as the driver measured it inside the sandbox.
The variants take turns, --rounds times; each figure is the median over the rounds.

Variants: BEFORE (default: the fork point of this branch and main; exported from git into a
temporary folder, run with this checkout's virtual environment and compiled extension) and
this checkout in each sandbox mode the machine provides (namespaces, landlock, none).

    python benchmarks/sandbox_cost.py [--before REV] [--rounds 3] [--starts 5] [--checks 1] [--notebooks 2]
                                      [--modes namespaces,landlock,none]

Prints a table, then one line per variant: `variant=V child_start=S checks_reference=S
checks_unsolved=S notebook=S kernel_start=S` (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
PROJECT = HERE.parent.parent


# ----------------------------------------------------------------------------- measuring (in each variant's process)
def _limits(mode: str | None):
    """Limits for `mode` with whatever fields this version of the grader has."""
    from grader.sandbox import Limits

    wanted = {"sandbox": mode, "allow_weak_sandbox": True} if mode else {}
    fields = getattr(Limits, "__dataclass_fields__", {})
    return Limits(**{k: v for k, v in wanted.items() if k in fields})


def _tiny_cifar(folder: Path) -> Path:
    import numpy as np

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, size=(10, 3072), dtype=np.uint8), "labels": list(range(10))}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}, protocol=2))
    return folder


def measure(mode: str | None, starts: int, checks: int, notebooks: int, scratch: Path) -> dict:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from grader import examples
    from grader.check import engine
    from grader.execute import DRIVER
    from grader.grade import grade_submission
    from grader.sandbox import Task, run_tasks
    from grader.submission import assemble_workdir

    limits = _limits(mode)
    out: dict = {}
    ref = examples.build(scratch / "reference")
    kit = examples.build(scratch / "unsolved", strip=True)
    work = assemble_workdir(ref / "cs231n", examples.reference_package(), [], scratch / "work").path

    times = []
    for _ in range(starts):
        t0 = time.perf_counter()
        report: dict = {}
        (r,) = run_tasks(work, [Task("import:layers", "import_module", {"module": "layers"}, {}, 30.0)],
                         drivers=engine.DRIVERS_PATH, limits=limits, report=report)
        times.append(time.perf_counter() - t0)
        assert r.status == "ok", r.error
    out["child_start"] = statistics.median(times)
    iso = report.get("isolation", {})
    # before the allowlist: namespaces with a mount over each hidden place
    out["mode"] = iso.get("mode") or ("hide-list" if iso.get("mounts") == "private" else "?")

    for name, sub in (("reference", ref), ("unsolved", kit)):
        times = []
        for _ in range(checks):
            t0 = time.perf_counter()
            results = grade_submission(sub, out_dir=scratch / f"out-{name}", notebooks=False, limits=limits)
            times.append(time.perf_counter() - t0)
        out[f"checks_{name}"] = statistics.median(times)
        out[f"score_{name}"] = f"{results['score']:g}/{results['max_score']:g}"

    nb_work = assemble_workdir(ref / "cs231n", examples.reference_package(), [], scratch / "nb-work").path
    _tiny_cifar(nb_work / "_data" / "cifar-10-batches-py")
    (nb_work / "_notebooks").mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("import numpy as np\nprint(np.ones(3).sum())")]),
                   nb_work / "_notebooks" / "0.ipynb")
    params = {"notebook": "_notebooks/0.ipynb", "package": "cs231n", "data": "_data/cifar-10-batches-py", "env": {},
              "threads": 1, "startup_timeout": 120, "cell_timeout": 60, "notebook_timeout": 120,
              "interrupt_grace": 5, "export_timeout": 30, "variable": None, "classes": [],
              "max_output_bytes": 1 << 26, "max_cell_output_bytes": 1 << 20, "max_output_total_bytes": 1 << 24}
    walls, kernels = [], []
    for _ in range(notebooks):
        t0 = time.perf_counter()
        (r,) = run_tasks(nb_work, [Task("notebook:0", "execute_notebook", params, {}, 300.0)], drivers=DRIVER,
                         limits=limits)
        walls.append(time.perf_counter() - t0)
        assert r.status == "ok" and r.info.get("kernel") == "running", (r.error, r.info, r.stdout[-2000:])
        kernels.append(float(r.info["startup_seconds"]))
    out["notebook"] = statistics.median(walls)
    out["kernel_start"] = statistics.median(kernels)
    return out


# ----------------------------------------------------------------------------- the comparison (this process)
def _export(rev: str, dest: Path) -> None:
    """The tree of `rev`, with this checkout's compiled extension (not in git)."""
    archive = subprocess.run(["git", "-C", str(PROJECT), "archive", rev], check=True, capture_output=True).stdout
    tar = dest.with_suffix(".tar")
    tar.write_bytes(archive)
    with tarfile.open(tar) as tf:
        tf.extractall(dest)
    tar.unlink()
    for ext in (PROJECT / "grader").glob("_im2col*.so"):
        shutil.copy2(ext, dest / "grader" / ext.name)


def _run(label: str, source: Path, mode: str | None, args, scratch: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(source))  # before the editable install's finder
    env.pop("GRADER_SANDBOX", None)
    cmd = [sys.executable, str(HERE), "--measure", "--starts", str(args.starts), "--checks", str(args.checks),
           "--notebooks", str(args.notebooks), "--scratch", str(scratch)] + (["--mode", mode] if mode else [])
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(source))
    if done.returncode != 0:
        print(f"{label}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
        return {}
    line = done.stdout.strip().splitlines()[-1]
    return json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=None, help="the revision to compare with [merge-base of HEAD and main]")
    parser.add_argument("--modes", default="namespaces,landlock,none")
    parser.add_argument("--rounds", type=int, default=3, help="each variant once per round; medians over rounds")
    parser.add_argument("--starts", type=int, default=5, help="child starts per round (median)")
    parser.add_argument("--checks", type=int, default=1, help="code-check runs per submission and round")
    parser.add_argument("--notebooks", type=int, default=2, help="notebook runs per round (median)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.mode, args.starts, args.checks, args.notebooks, Path(args.scratch))))
        return

    before = args.before or subprocess.run(["git", "-C", str(PROJECT), "merge-base", "HEAD", "main"], check=True,
                                           capture_output=True, text=True).stdout.strip()
    results: dict[str, list[dict]] = {}
    modes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="sandbox-cost-") as tmp:
        tmp = Path(tmp)
        _export(before, tmp / "before")
        variants = [(f"before ({before[:7]})", tmp / "before", None)]
        variants += [(f"after, {m}", PROJECT, m) for m in args.modes.split(",") if m]
        # rounds, each running every variant once: a load that drifts over the run (a shared
        # machine) weighs on every variant alike; the medians over the rounds are reported
        for round_ in range(args.rounds):
            for k, (label, source, mode) in enumerate(variants):
                scratch = tmp / f"scratch-{round_}-{k}"
                scratch.mkdir()
                result = _run(label, source, mode, args, scratch)
                if result:
                    results.setdefault(label, []).append(result)
                    modes[label] = result["mode"]
                print(f"round {round_ + 1}, {label}: {result}", flush=True)
    keys = ("child_start", "checks_reference", "checks_unsolved", "notebook", "kernel_start")
    table = {label: {k: statistics.median(r[k] for r in runs) for k in keys} for label, runs in results.items()}
    print(f"\n{'variant':<22} {'mode':<11} " + " ".join(f"{k:>16}" for k in keys))
    for label, row in table.items():
        print(f"{label:<22} {modes[label]:<11} " + " ".join(f"{row[k]:>15.2f}s" for k in keys))
    for label, row in table.items():
        print(f"variant={label.replace(' ', '_')} " + " ".join(f"{k}={row[k]:.2f}" for k in keys))


if __name__ == "__main__":
    main()
