"""Grade one submission: open it, know its course, assemble a workdir, check, run notebooks, write.

Steps (each a small function below): open -> course and edition (given, or detected from the
files) -> find the packages -> assemble the workdir -> run every check in the sandbox and compare
in this process -> execute the notebooks in the sandbox and score their models' accuracy here
(grader.execute, grader.score) -> write results.json. Every failure of the submission becomes
a status in results.json; only a broken grader set-up raises (a SetupError).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from .check.oracle import ReferenceOracle
from .check.points import error_tests
from .check.run import run_checks
from .courses import get_profile, profiles
from .courses.profile import Profile
from .detect import Detection, detect
from .errors import SetupError
from . import python2
from .execute import execution_summary, run_notebooks
from .integrity import load_manifest
from .results import TestRecord, make_results, render_table, write_results
from .sandbox import Limits
from .sandbox.isolation import combine
from .submission import SubmissionError, assemble_workdir, find_packages, open_submission

__all__ = ["grade_submission", "render_table", "submission_name", "seed_for"]


def submission_name(path: Path) -> str:
    """The name a submission is known by: its folder name, or its archive's name without .zip."""
    path = Path(path)
    return path.stem if path.suffix.lower() == ".zip" else path.name


def seed_for(name: str, secret: str = "") -> int:
    """The hidden inputs' seed of a submission: a hash of its name and of the course's reference
    (`secret`), stable across runs and machines, unpredictable without the reference."""
    return int.from_bytes(hashlib.sha256(f"{secret}\0{name}".encode("utf-8")).digest()[:4], "big")


def reference_digest(profile: Profile) -> str:
    """A hash of the profile's reference tree (its Python files), e.g. the hidden seeds' secret."""
    h = hashlib.sha256(profile.name.encode())
    root = profile.paths.reference
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def resolve_course(root: Path, profile: str | Profile | None, edition: str | None) -> tuple[Profile | None, Detection]:
    """The profile (as the edition grades) for the submission at `root`: given, or detected.

    A given profile keeps its edition if given, else the edition is detected among its own.
    Returns (None, detection) when no course matches."""
    if isinstance(profile, Profile):
        return profile, Detection(profile.name, profile.edition.name if profile.edition else None, ["given"])
    if profile is not None and edition is not None:
        return get_profile(profile, edition), Detection(profile, edition, ["given"])
    det = detect(root, profiles() if profile is None else [get_profile(profile)], within=profile)
    if det.profile is None:
        return None, det
    return get_profile(det.profile, det.edition), det


def grade_submission(
    submission: Path,
    *,
    profile: str | Profile | None = None,
    edition: str | None = None,
    out_dir: Path,
    notebooks: bool = True,
    data: Path | str | None = None,
    seed: int | None = None,
    oracle=None,
    limits: Limits | None = None,
    only=None,
    locked: dict | None = None,
) -> dict:
    """Grade `submission` (a folder or a .zip) and write out_dir/results.json; returns the dict.

    profile: a profile name or a Profile object (tests pass modified ones); None: detected from
    the submission's files, as is the edition when not given (results.json's `course` says
    which and why). seed: of the hidden inputs (default: from the submission's name and the
    reference). notebooks: execute the profile's notebooks in the sandbox and score their models'
    accuracy; data: the data set (archive or folder; None: the profile's default location, and
    when none is found the notebooks are not executed and their tests say so).
    oracle: where expected values come from (default: the trusted reference, run here).
    only: qualified names (e.g. {"layers.affine_forward"}) to restrict grading to.
    locked: the kit's locked-cell manifest {notebook: entries} (default: the kit's own).
    Raises SetupError for set-up problems (not the student's fault).
    """
    started = time.monotonic()
    name = submission_name(submission)
    scratch = Path(tempfile.mkdtemp(prefix="grader-grade-"))
    try:
        try:
            root = open_submission(Path(submission), scratch)
        except SubmissionError as exc:
            results = _unopened(name, profile, edition, f"submission could not be graded: {exc}", started, only)
        else:
            prof, det = resolve_course(root, profile, edition)
            if prof is None:
                results = make_results(name, "", "error", [], time.monotonic() - started)
                results["course"] = dict(det.as_json(), error="no known course matches this submission: "
                                                              + "; ".join(det.evidence))
            else:
                results = _grade(prof, det, root, name, scratch, Path(out_dir), notebooks=notebooks, data=data,
                                 seed=seed, oracle=oracle, limits=limits, only=only, locked=locked,
                                 started=started, given=profile is not None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_results(results, Path(out_dir))
    return results


def _unopened(name, profile, edition, message, started, only) -> dict:
    """results.json of a submission that could not be opened: every test of the (given or
    default) profile as an error."""
    prof = profile if isinstance(profile, Profile) else get_profile(profile, edition)
    tests = error_tests(prof, message, 0, only=only)
    results = make_results(name, prof.name, "error", tests, time.monotonic() - started)
    results["course"] = Detection(prof.name, prof.edition.name if prof.edition else None,
                                  ["the submission could not be opened"]).as_json(detected=False)
    return results


def _grade(prof: Profile, det: Detection, root: Path, name: str, scratch: Path, out_dir: Path, *, notebooks, data,
           seed, oracle, limits, only, locked, started, given) -> dict:
    seed = seed_for(name, reference_digest(prof)) if seed is None else int(seed)
    course = det.as_json(detected=det.evidence != ["given"])
    course["edition_description"] = prof.edition.description if prof.edition else "this project's kit: every function"
    found = find_packages(root, prof)
    if not any(found.values()):
        anchors = ", ".join(prof.anchor_files)
        message = (f"submission could not be graded: {root.name}: no {prof.package} package found "
                   f"(none of {anchors} anywhere inside)")
        tests = error_tests(prof, message, seed, only=only)
        results = make_results(name, prof.name, "error", tests, time.monotonic() - started)
        results["course"] = course
        return results
    try:
        work = assemble_workdir(prof, found, scratch / "work")
    except SubmissionError as exc:
        tests = error_tests(prof, f"submission could not be graded: {exc}", seed, only=only)
        results = make_results(name, prof.name, "error", tests, time.monotonic() - started)
        results["course"] = course
        return results
    oracle = oracle or ReferenceOracle(prof)
    given = given_fixes(prof, work)
    run = run_checks(prof, work.path, seed=seed, oracle=oracle, limits=limits, only=only)
    tests, accuracy = list(run.tests) + given + python_reports(work), None
    isolation = {"checks": run.report.get("isolation")}
    nb_report = None
    if notebooks and prof.notebooks:
        nb_report = []
        nb_tests, accuracy = notebook_step(prof, root, found[prof.package], work.path, out_dir, data,
                                           limits=limits, locked=locked, isolation=isolation,
                                           from_kit=det.from_kit, report=nb_report)
        tests += nb_tests
    results = make_results(name, prof.name, run.status, tests, time.monotonic() - started, accuracy,
                           combine(isolation))
    results["course"] = course
    if nb_report is not None:
        results["notebooks"] = nb_report
    return results


def given_fixes(prof: Profile, work) -> list[TestRecord]:
    """Lines of the course's GIVEN code that cannot run as they are (a Python 2 kit's, a year's
    kit bug), replaced in the working copy by the form profile.given_fixes names; a
    `given.<file>` entry (no points) lists each replacement. Only exact given lines are touched:
    what the student wrote runs as written."""
    out = []
    for rel, lines in prof.given_fixes.items():
        if rel not in work.from_student:
            continue
        path = work.path / rel
        text = path.read_bytes().decode("utf-8", "replace")
        fixes = {" ".join(old.split()): new for old, new in lines.items()}  # runs of blanks compared as one
        changed, new_lines = [], []
        for number, line in enumerate(text.splitlines(keepends=True), start=1):
            code, hash_, comment = line.rstrip("\r\n").partition("#")
            key = " ".join(code.split())
            if key and key in fixes:
                indent = code[: len(code) - len(code.lstrip())]
                tail = f"  #{comment}" if hash_ and "'" not in comment and '"' not in comment else ""
                new_lines.append(f"{indent}{fixes[key]}{tail}\n")
                changed.append(f"line {number}: {key} -> {fixes[key]}")
            else:
                new_lines.append(line)
        if changed:
            path.write_text("".join(new_lines), encoding="utf-8")
            out.append(TestRecord(f"given.{rel}", "passed", 0.0, 0.0, None,
                                  f"{len(changed)} line(s) of the course's given code run in a fixed form (Python 3, or "
                                  f"a known bug of the kit corrected; the course's lines, not yours): " + "; ".join(changed[:8]), "visible"))
    return out


def python_reports(work) -> list[TestRecord]:
    """A `python.<file>` entry (no points) for each file of the student's that does not parse under
    Python 3, or uses Python 2 names that fail when run: where, and what would fix it (grader.python2)."""
    out = []
    for rel in [*work.from_student, *work.extra]:
        try:
            text = (work.path / rel).read_bytes().decode("utf-8-sig", "replace")  # (a BOM is valid Python)
        except OSError:
            continue
        folder = (work.path / rel).parent
        found = python2.report(text, rel, siblings={p.stem for p in folder.glob("*.py")} - {"__init__"})
        if found is not None:
            out.append(TestRecord(f"python.{rel}", found[0], 0.0, 0.0, None, found[1], "visible"))
    return out


def _dataset_source(prof: Profile, data) -> tuple[object | None, str]:
    """(the data set's source, "") or (None, why it is absent). Data given explicitly but
    unusable raises; the default location missing only skips the notebooks."""
    ds = prof.dataset
    if ds is None:  # the course's notebooks need no data
        return None, ""
    no_data = (f"{ds.name} not found: pass --data PATH (the archive or the folder it unpacks to) or set {ds.env}, "
               "then grade again")
    if data is not None:
        return ds.locate(Path(data)), ""
    default = ds.default()
    if default is None:
        return None, no_data
    try:
        return ds.locate(default), ""
    except SetupError as exc:
        return None, f"{no_data} ({exc})"


def notebook_step(prof: Profile, root: Path, package: Path | None, workdir: Path, out_dir: Path, data, *,
                  limits: Limits | None = None, locked: dict | None = None, from_kit: bool = False,
                  isolation: dict | None = None, report: list | None = None) -> tuple[list[TestRecord], dict | None]:
    """Execute the profile's notebooks, score their models: (tests, the accuracy section).

    Per notebook: `notebook.<Name>` (max score 0: found or not, made from this project's kit or
    not, did it run, which cells failed, which locked cells were restored, what is scored) and,
    when a model is scored, `notebook.<Name>[accuracy]` carrying the points (a notebook whose
    listed target cannot be justified gets it skipped, worth 0, saying why). The results.json
    `accuracy` section is that of the first notebook (in the profile's order) whose model was
    scored; null when none was. `report`, when given, receives each notebook's account
    (grader.execute.run_report) for results.json's `notebooks` section; `isolation`, when
    given, gets the notebooks' sandbox record under "notebooks"."""
    from .execute import run_report
    from .score import score_notebook

    source, no_data = _dataset_source(prof, data)
    runs = run_notebooks(prof, root=root, package_dir=package, workdir=workdir, out_dir=out_dir, data=source,
                         locked=load_manifest(prof) if locked is None else locked, limits=limits, from_kit=from_kit)
    holdout = None
    if source is not None and any(r.status == "executed" and r.spec.scored and not r.forfeit for r in runs):
        holdout = prof.dataset.holdout(prof, source)
    if isolation is not None:
        isolation["notebooks"] = next((r.isolation for r in runs if r.isolation), None)
    tests: list[TestRecord] = []
    section = None
    for run in runs:
        if run.status == "skipped":
            run.message = f"not executed: {no_data}"
        status, output = execution_summary(run, prof)
        tests.append(TestRecord(f"notebook.{run.listed.stem}", status, 0.0, 0.0, None, output, "visible"))
        accuracy = None
        if run.spec.scored or run.forfeit:
            warnings = []
            if source is not None and run.status == "executed" and run.isolation.get("filesystem") not in (
                    "allowlist", "landlock"):
                warnings.append("warning: the sandbox could not hide the real test images from the notebook on this "
                                "machine (no allowlist of what it may read), so they were not guaranteed unseen")
            scored = score_notebook(prof, run, holdout, skip_reason=no_data, warnings=warnings)
            tests.append(scored.test)
            if scored.section is not None:
                accuracy = {"value": scored.section["value"], "points_fraction": scored.section["points_fraction"],
                            "score": scored.test.score}
            if section is None and scored.section is not None:
                section = scored.section
        elif run.unscored and run.listed.scored:
            tests.append(TestRecord(f"notebook.{run.listed.stem}[accuracy]", "skipped", 0.0, 0.0, None,
                                    f"not scored: {run.unscored}", "visible"))
        if report is not None:
            report.append(run_report(run, prof, accuracy))
    return tests, section
