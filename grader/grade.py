"""Grade one submission: open it, assemble a private workdir, run every check, write results.json.

Pipeline (each a small step below): open -> find the package -> assemble the workdir ->
run the checks in the sandbox and compare in this process -> (notebooks: a later step) -> write.
Every failure becomes a status in results.json; only a broken grader set-up raises.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from .check import engine
from .check.profiles import get_profile
from .check.spec import Profile
from .paths import reference_dir
from .results import make_results, render_table, write_results
from .sandbox import Limits
from .submission import SubmissionError, assemble_workdir, find_package, open_submission

__all__ = ["grade_submission", "render_table", "submission_name", "seed_for"]


def submission_name(path: Path) -> str:
    """The name a submission is known by: its folder name, or its archive's name without .zip."""
    path = Path(path)
    return path.stem if path.suffix.lower() == ".zip" else path.name


def seed_for(name: str) -> int:
    """The hidden inputs' seed of a submission: a hash of its name (stable across runs and machines)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")


def grade_submission(
    submission: Path,
    *,
    profile: str | Profile = "cs231n",
    out_dir: Path,
    notebooks: bool = True,
    seed: int | None = None,
    json_output: bool = False,
    oracle=None,
    limits: Limits | None = None,
    only=None,
) -> dict:
    """Grade `submission` (a folder or a .zip) and write out_dir/results.json; returns the dict.

    profile: a profile name, or a Profile object (tests pass modified ones).
    seed: of the hidden inputs (default: from the submission's name). notebooks: notebook
    execution and accuracy scoring are a later step; for now `accuracy` is always null.
    json_output: accepted for the CLI's convenience; this function never prints either way.
    oracle: where expected values come from (default: the trusted reference, run here).
    only: qualified names (e.g. {"layers.affine_forward", "optim.adam"}) to restrict grading to.
    Raises SandboxError / UnknownProfile for set-up problems (not the student's fault).
    """
    started = time.monotonic()
    prof = get_profile(profile) if isinstance(profile, str) else profile
    name = submission_name(submission)
    seed = seed_for(name) if seed is None else int(seed)
    scratch = Path(tempfile.mkdtemp(prefix="grader-grade-"))
    try:
        try:
            root = open_submission(Path(submission), scratch)
            package = find_package(root, prof.package, prof.anchor_files)
            if package is None:
                raise SubmissionError("{path}: no {package} package found (none of {anchors} anywhere inside)",
                                      submission, package=prof.package, anchors=", ".join(prof.anchor_files))
            work = assemble_workdir(package, reference_dir() / prof.package, prof.editable, scratch / "work")
        except SubmissionError as exc:
            tests = engine.error_tests(prof, f"submission could not be graded: {exc}", seed, only=only)
            results = make_results(name, prof.name, "error", tests, time.monotonic() - started)
        else:
            oracle = oracle or engine.ReferenceOracle(prof.package)
            run = engine.run_checks(prof, work.path, seed=seed, oracle=oracle, limits=limits, only=only)
            results = make_results(name, prof.name, run.status, run.tests, time.monotonic() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_results(results, Path(out_dir))
    return results
