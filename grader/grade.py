"""Grade one submission: open it, assemble a private workdir, run every check, write results.json.

Pipeline (each a small step below): open -> find the package -> assemble the workdir ->
run the checks in the sandbox and compare in this process -> execute the notebooks in the
sandbox and score their models' accuracy here (grader.execute, grader.score) -> write.
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
from .execute import CifarSource, DataError, execution_summary, locate_cifar, run_notebooks
from .integrity import load_manifest
from .paths import CIFAR10_ENV, default_cifar10, reference_dir
from .results import make_results, render_table, write_results
from .sandbox import Limits
from .sandbox.isolation import combine
from .submission import SubmissionError, assemble_workdir, find_package, open_submission

__all__ = ["DataError", "grade_submission", "render_table", "submission_name", "seed_for"]

NO_DATA = ("CIFAR-10 not found: pass --data PATH (the cifar-10-python.tar.gz archive or the folder it "
           f"unpacks to) or set {CIFAR10_ENV}, then grade again")


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
    data: Path | str | None = None,
    seed: int | None = None,
    json_output: bool = False,
    oracle=None,
    limits: Limits | None = None,
    only=None,
    locked: dict | None = None,
) -> dict:
    """Grade `submission` (a folder or a .zip) and write out_dir/results.json; returns the dict.

    profile: a profile name, or a Profile object (tests pass modified ones).
    seed: of the hidden inputs (default: from the submission's name).
    notebooks: execute the profile's notebooks in the sandbox and score their models' accuracy
    (tests `notebook.<Name>` and `notebook.<Name>[accuracy]`, the `accuracy` section); the
    executed notebooks are written to out_dir/notebooks/. data: CIFAR-10 (the archive or its
    folder); None: $CIFAR10_PATH or the project's default location; when none is found the
    notebooks are not executed and their tests say "skipped" and how to fix it.
    json_output: accepted for the CLI's convenience; this function never prints either way.
    oracle: where expected values come from (default: the trusted reference, run here).
    only: qualified names (e.g. {"layers.affine_forward", "optim.adam"}) to restrict grading to.
    locked: the kit's locked-cell manifest {notebook: entries} (default: the kit's own).
    Raises SandboxError / UnknownProfile / DataError for set-up problems (not the student's fault).
    """
    started = time.monotonic()
    prof = get_profile(profile) if isinstance(profile, str) else profile
    name = submission_name(submission)
    seed = seed_for(name) if seed is None else int(seed)
    with_notebooks = bool(notebooks and prof.notebooks)
    cifar, no_data = _cifar(data) if with_notebooks else (None, "")
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
            tests, accuracy = run.tests, None
            isolation = {"checks": run.report.get("isolation")}
            if with_notebooks:
                nb_tests, accuracy = notebook_step(prof, root, package, work.path, Path(out_dir), cifar, no_data,
                                                   limits=limits, locked=locked, isolation=isolation)
                tests = tests + nb_tests
            results = make_results(name, prof.name, run.status, tests, time.monotonic() - started, accuracy,
                                   combine(isolation))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_results(results, Path(out_dir))
    return results


def _cifar(data: Path | str | None) -> tuple[CifarSource | None, str]:
    """(CIFAR-10, "") or (None, why it is absent). Data given explicitly but unusable raises DataError;
    the default location ($CIFAR10_PATH, the project's) missing only skips the notebooks."""
    if data is not None:
        return locate_cifar(data), ""
    default = default_cifar10()
    if default is None:
        return None, NO_DATA
    try:
        return locate_cifar(default), ""
    except DataError as exc:
        return None, f"{NO_DATA} ({exc})"


def notebook_step(prof: Profile, root: Path, package: Path | None, workdir: Path, out_dir: Path,
                  cifar: CifarSource | None, no_data: str, *, limits: Limits | None = None,
                  locked: dict | None = None, isolation: dict | None = None) -> tuple[list[dict], dict | None]:
    """Execute the profile's notebooks, score their models: (tests, the accuracy section).

    Per notebook: `notebook.<Name>` (max score 0: did it run, which cells failed, which locked
    cells were restored) and, when the profile scores its model, `notebook.<Name>[accuracy]`
    carrying the points. The results.json `accuracy` section is that of the first notebook (in
    the profile's order) whose model was scored; null when none was. `isolation`, if given, gets
    the notebooks' sandbox record under "notebooks"."""
    from .score import load_holdout, score_notebook

    settings = prof.notebook_settings
    runs = run_notebooks(prof.notebooks, root=root, package_dir=package, workdir=workdir, package=prof.package,
                         out_dir=out_dir, settings=settings, data=cifar,
                         locked=load_manifest() if locked is None else locked, limits=limits)
    holdout = None
    if cifar is not None and any(r.status == "executed" and r.spec.formula is not None for r in runs):
        holdout = load_holdout(cifar, settings.mean_images)
    if isolation is not None:
        isolation["notebooks"] = next((r.isolation for r in runs if r.isolation), None)
    tests: list[dict] = []
    section = None
    for run in runs:
        if run.status == "skipped":
            run.message = f"not executed: {no_data}"
        status, output = execution_summary(run)
        tests.append({"name": f"notebook.{run.spec.stem}", "status": status, "score": 0.0, "max_score": 0.0,
                      "rel_error": None, "output": output, "visibility": "visible"})
        if run.spec.formula is None or not run.spec.variable:
            continue
        warnings = []
        if cifar is not None and run.status == "executed" and run.isolation.get("filesystem") not in (
                "allowlist", "landlock"):
            warnings.append("warning: the sandbox could not hide the real test images from the notebook on this "
                            "machine (no allowlist of what it may read), so they were not guaranteed unseen")
        scored = score_notebook(run, holdout, skip_reason=no_data, warnings=warnings)
        tests.append(scored.test)
        if section is None and scored.section is not None:
            section = scored.section
    return tests, section
