"""Command-line interface: a thin layer over the keyword-only API of the pipeline modules.

Exit codes (grader.errors): 0 success, 1 some submission or check failed, 2 usage or set-up
error, 3 an internal error of the grader. Every GraderError is reported once, here.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path

import click

from .errors import EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, GraderError, SetupError

SANDBOX_MODES = ("auto", "namespaces", "landlock", "none")  # grader.sandbox.MODES (not imported: a fast --help)
PROFILE_HELP = "Course profile (see `grader profiles`) [the default course]."
EDITION_HELP = "The course's edition (a name or a year, see `grader profiles`) [the course's own kit]."


def _distribution() -> str:
    """The name this package is installed under (for --version)."""
    from importlib.metadata import packages_distributions

    return (packages_distributions().get("grader") or ["grader"])[0]


class _Group(click.Group):
    """Every GraderError reported once, with its exit code; anything unexpected is an internal
    error (exit 3, with the traceback on stderr)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - the last resort: say it is the grader's bug
            traceback.print_exc()
            click.echo("error: an internal error of the grader (a bug); the traceback is above", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=_distribution())
def cli() -> None:
    """Autograder and assignment checker for the CS231n assignment-2 family."""


def sandbox_options(fn):
    """--sandbox and --allow-weak-sandbox (grade, batch)."""
    fn = click.option("--allow-weak-sandbox", "allow_weak", is_flag=True,
                      help="Grade even where student code cannot be confined to an allowlist of files (neither "
                           "namespaces nor Landlock here); results.json records the weaker isolation.")(fn)
    fn = click.option("--sandbox", "sandbox", type=click.Choice(SANDBOX_MODES), default=None,
                      help="How student code is confined: namespaces (a minimal root of allowed files), landlock "
                           "(the same allowlist by Landlock), none (limits only), auto (the strongest available) "
                           "[$GRADER_SANDBOX, else auto].")(fn)
    return fn


def _profile(name: str | None, edition: str | None = None):
    from .courses import get_profile

    return get_profile(name, edition)


@cli.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Print the profiles as JSON.")
def profiles_command(as_json: bool) -> None:
    """List the course profiles and their editions."""
    from .courses import profiles

    rows = []
    for prof in profiles():
        rows.append({
            "name": prof.name, "title": prof.title, "default": prof.default,
            "packages": [p.name for p in prof.packages], "functions": len(prof.functions()),
            "points": prof.max_points(), "folder": str(prof.paths.profile),
            "editions": [{"name": e.name, "years": list(e.years), "description": e.description,
                          "points": prof.for_edition(e.name).max_points()} for e in prof.editions],
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']}{' (default)' if r['default'] else ''}: {r['title']}; packages "
                   f"{', '.join(r['packages'])}; {r['functions']} graded functions, {r['points']:g} points")
        for e in r["editions"]:
            years = ", ".join(map(str, e["years"]))
            click.echo(f"  edition {e['name']}{f' ({years})' if years else ''}: {e['description']} "
                       f"[{e['points']:g} points]")


@cli.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--profile", default=None, help=PROFILE_HELP.replace("[the default course]",
                                                                   "[detected from the submission]"))
@click.option("--edition", default=None, help=EDITION_HELP.replace("[the course's own kit]",
                                                                   "[detected from the submission]"))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for results.json [grader-out/NAME].")
@click.option("--no-notebooks", is_flag=True, help="Grade the code only; do not execute notebooks.")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="The data set for the notebooks (CIFAR-10: the cifar-10-python.tar.gz archive or the folder it "
                   "unpacks to) [$CIFAR10_PATH].")
@click.option("--json", "as_json", is_flag=True, help="Print results.json instead of a table.")
@click.option("--seed", type=int, default=None, help="Seed of the hidden inputs [derived from the submission name].")
@click.option("--html", "html", is_flag=True,
              help="Also write the student's feedback page, OUT/feedback.html (hidden tests show their verdict only).")
@sandbox_options
def grade(submission: Path, profile: str | None, edition: str | None, out_dir: Path | None, no_notebooks: bool,
          data: Path | None, as_json: bool, seed: int | None, html: bool, sandbox: str | None,
          allow_weak: bool) -> None:
    """Grade one SUBMISSION (a folder or a .zip) with the full hidden suite; writes results.json.

    Without --profile, the course and its edition are detected from the submission's files
    (results.json's `course` says which and why). Unless --no-notebooks, the submission's
    notebooks are executed in the sandbox (written to OUT/notebooks/) and their trained models'
    accuracy is recomputed on held-out images. Student code sees only an allowlist of files (see
    `grader sandbox`); where that cannot be enforced, grading refuses to start (exit code 2)
    unless --allow-weak-sandbox.
    """
    from .grade import grade_submission, render_table
    from .sandbox import Limits

    if not submission.exists():
        raise SetupError(f"submission not found: {submission}")
    if data is not None and not data.exists():
        raise SetupError(f"--data {data}: no such file or folder (give the archive or the folder it unpacks to)")
    if edition is not None and profile is None:
        raise SetupError("--edition needs --profile")
    out_dir = out_dir or Path("grader-out") / submission.stem
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    results = grade_submission(submission, profile=profile, edition=edition, out_dir=out_dir,
                               notebooks=not no_notebooks, data=data, seed=seed,
                               limits=Limits(sandbox=sandbox, allow_weak_sandbox=allow_weak))
    if html:
        from .feedback import write_feedback

        page = write_feedback(results, out_dir / "feedback.html", notebooks=out_dir / "notebooks")
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(render_table(results))
        click.echo(f"results written to {out_dir / 'results.json'}" + (f"; feedback page: {page}" if html else ""))
    sys.exit(EXIT_OK if _all_passed(results) else EXIT_FAILED)


@cli.command("build-template")
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--edition", default=None, help=EDITION_HELP)
@click.option("--reference", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder holding the course's reference packages [the profile's reference/ folder].")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of the kit [the profile's student_template/ folder].")
@click.option("--check", is_flag=True,
              help="Compare --out with a fresh build; exit 1 if they differ, naming the first difference. Files "
                   "are compared byte for byte, the stored expected numbers within 8 grid steps of 2^-44 of each "
                   "array's scale (another machine's BLAS changes their last bits).")
def build_template_command(profile: str | None, edition: str | None, reference: Path | None, out_dir: Path | None,
                           check: bool) -> None:
    """Strip the solutions of the reference and the notebooks into the student kit."""
    from .template import build_template, check_template

    prof = _profile(profile, edition)
    out_dir = out_dir or prof.paths.kit
    if not prof.paths.notebooks.is_dir():
        raise SetupError(f"master notebooks not found: {prof.paths.notebooks} (build-template runs in a checkout of "
                         "the project)")
    if not check:
        report = build_template(profile=prof, reference=reference, out=out_dir)
        click.echo(report.summary())
        sys.exit(EXIT_OK)
    diffs = check_template(profile=prof, reference=reference, committed=out_dir)
    if diffs:
        click.echo(f"{out_dir} differs from a fresh build:")
        for line in diffs:
            click.echo(f"  {line}")
        click.echo("run `grader build-template" + (f" --profile {prof.name}" if profile else "") + "` to regenerate it")
        sys.exit(EXIT_FAILED)
    click.echo(f"{out_dir} is in sync with the reference and the notebooks")
    sys.exit(EXIT_OK)


@cli.group("notebooks")
def notebooks_group() -> None:
    """Check and normalize a course's master notebooks (the .ipynb files an instructor edits)."""


@notebooks_group.command("check")
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.argument("notebooks", nargs=-1, type=click.Path(path_type=Path))
def notebooks_check(profile: str | None, notebooks: tuple[Path, ...]) -> None:
    """Check NOTEBOOKS [the course's master notebooks]: valid nbformat, solution markers balanced
    and only in cells that may hold solutions, known tags, unique cell ids, no outputs, the same
    setup cell in every notebook, accuracy targets as the profile scores them.

    Each problem names the notebook, the cell's index and id; exit 1 when there is any.
    """
    from .notebooks import check, master_paths

    prof = _profile(profile)
    problems = check(prof, list(notebooks) or None)
    checked = len(notebooks) or len(master_paths(prof))
    for problem in problems:
        click.echo(str(problem))
    fixable = sum(p.fixable for p in problems)
    if problems:
        hint = f"; {fixable} fixed by `grader notebooks normalize`" if fixable else ""
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {checked} notebook"
                   f"{'s' if checked != 1 else ''}{hint}")
        sys.exit(EXIT_FAILED)
    click.echo(f"{checked} notebook{'s' if checked != 1 else ''} of {prof.name} checked: no problems")
    sys.exit(EXIT_OK)


@notebooks_group.command("normalize")
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.argument("notebooks", nargs=-1, type=click.Path(path_type=Path))
def notebooks_normalize(profile: str | None, dry_run: bool, notebooks: tuple[Path, ...]) -> None:
    """Rewrite NOTEBOOKS [the course's master notebooks] as masters are committed: outputs and
    execution counts cleared, editor metadata dropped, nbformat 4.5. Every cell keeps its id; a
    cell without one gets a new one (never its neighbours'), or the kit's id of a locked cell
    with its exact text.
    """
    from .notebooks import NotebookError, master_paths, normalize

    prof = _profile(profile)
    paths = list(notebooks) or master_paths(prof)
    if not paths:
        raise SetupError(f"no master notebooks in {prof.paths.notebooks}")
    for path in paths:
        if not path.is_file():
            raise SetupError(f"{path}: no such notebook")
    failed = False
    for path in paths:
        try:
            done = normalize(path, profile=prof, write=not dry_run)
        except NotebookError as exc:
            click.echo(f"{exc}", err=True)
            failed = True
            continue
        click.echo(("would change " if dry_run and done.changed else "") + done.describe())
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@cli.command("check")
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@click.option("--only", "only", multiple=True, metavar="NAME",
              help="Check one function only: module.function, or just the function's name (repeatable).")
def check_command(directory: Path, as_json: bool, only: tuple[str, ...]) -> None:
    """Run the public checks on the student kit in DIRECTORY [the current folder].

    Needs no reference solution and no network: the expected answers ship inside the kit
    (public_checks/, which also names the course). Your code runs in a sandboxed child process,
    as in grading.
    """
    from .check.public import as_json as run_json
    from .check.public import check_kit, print_rich, render_plain
    from .sandbox import Limits, SandboxError

    try:
        # the student's own code on their own machine: whatever sandbox the machine allows will do
        run, where = check_kit(directory, only=only, limits=Limits(allow_weak_sandbox=True))
    except SandboxError as exc:
        raise SetupError(f"the sandbox could not run: {exc}") from exc
    if as_json:
        click.echo(json.dumps(run_json(run, where), indent=2))
    elif sys.stdout.isatty():
        from rich.console import Console

        print_rich(run, Console())
    else:
        click.echo(render_plain(run))
    sys.exit(EXIT_OK if run.passed else EXIT_FAILED)


@cli.command()
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("grader-batch"), show_default=True,
              help="Folder for results/NAME/results.json, gradebook.csv, gradebook.html and the gradebook.sqlite "
                   "ledger.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once on this machine [one per core].")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (e.g. tcp://host:8786) instead of local workers; the grader must be "
                   "installed on its workers and SUBMISSIONS and --out visible to them at the same paths.")
@click.option("--resume", is_flag=True,
              help="Keep submissions the ledger already graded that did not change and whose grading is not stale "
                   "(same grader, profile and reference); regrade the others, keeping their previous results in "
                   "results/NAME/history/ and their changes in the class report and feedback pages.")
@click.option("--profile", default=None, help=PROFILE_HELP.replace("[the default course]",
                                                                   "[detected per submission]"))
@click.option("--edition", default=None, help=EDITION_HELP.replace("[the course's own kit]",
                                                                   "[detected per submission]"))
@click.option("--no-notebooks", is_flag=True, help="Grade the code only; do not execute notebooks.")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="The data set for the notebooks (archive or folder) [$CIFAR10_PATH].")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Wall seconds per submission [the profile's notebook budget + 30 min; 30 min with --no-notebooks].")
@sandbox_options
def batch(submissions: Path, out_dir: Path, workers: int | None, scheduler: str | None, resume: bool,
          profile: str | None, edition: str | None, no_notebooks: bool, data: Path | None,
          timeout: float | None, sandbox: str | None, allow_weak: bool) -> None:
    """Grade every submission (each folder or .zip directly inside SUBMISSIONS, or inside the zip
    SUBMISSIONS, e.g. a course site's bulk download) into a gradebook.

    Each submission is graded by its own `grader grade` process with a deadline; whatever
    happens to it, it ends with a row and a status in OUT/gradebook.csv and the ledger.
    """
    from .batch import batch_grade

    if not submissions.exists():
        raise SetupError(f"submissions folder not found: {submissions}")
    if data is not None and not data.exists():
        raise SetupError(f"--data {data}: no such file or folder")
    if edition is not None and profile is None:
        raise SetupError("--edition needs --profile")
    if profile is not None:
        _profile(profile, edition)  # an unknown profile or edition stops the batch before it starts
    summary = batch_grade(submissions, out_dir=out_dir, workers=workers, scheduler=scheduler, resume=resume,
                          profile=profile, edition=edition, notebooks=not no_notebooks, data=data, timeout=timeout,
                          echo=click.echo, sandbox=sandbox, allow_weak_sandbox=allow_weak)
    counts = sorted(Counter(summary.statuses.values()).items())
    click.echo(f"gradebook: {summary.gradebook} ({', '.join(f'{n} {s}' for s, n in counts) or 'empty'}); "
               f"report: {summary.report}; feedback pages: {summary.feedback}/NAME.html; ledger: {summary.ledger}")
    sys.exit(EXIT_OK if summary.all_graded else EXIT_FAILED)


@cli.group("export")
def export_group() -> None:
    """Export to where courses grade: a Gradescope autograder, grades for an LMS."""


@export_group.command("gradescope")
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--edition", default=None, help=EDITION_HELP)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=Path("autograder.zip"),
              show_default=True, help="The bundle to upload as the assignment's autograder.")
@click.option("--data", "data", type=click.Path(path_type=Path, exists=True), default=None,
              help="The data set's archive, shipped inside the zip [the profile's default location, $CIFAR10_PATH].")
@click.option("--data-url", default=None, metavar="URL",
              help="Instead of shipping the data set, setup.sh downloads it from URL when Gradescope builds the image.")
@click.option("--data-sha256", default=None, metavar="HEX", help="With --data-url: the archive's sha256, checked.")
@click.option("--no-notebooks", is_flag=True, help="Grade the code only (no notebooks executed, no data set shipped).")
@click.option("--hidden-visibility", type=click.Choice(["after_published", "after_due_date", "hidden", "visible"]),
              default="after_published", show_default=True,
              help="Gradescope visibility of the hidden tests (their verdict only, never their inputs or expected "
                   "values); public tests are always visible.")
@sandbox_options
def export_gradescope(profile: str | None, edition: str | None, out: Path, data: Path | None, data_url: str | None,
                      data_sha256: str | None, no_notebooks: bool, hidden_visibility: str, sandbox: str | None,
                      allow_weak: bool) -> None:
    """Write the zip Gradescope's programming assignments take as their autograder (setup.sh,
    run_autograder, the grader, the course and its data; docs/gradescope.md)."""
    from .gradescope import build_bundle

    if data and data_url:
        raise SetupError("give --data or --data-url, not both")
    report = build_bundle(_profile(profile, edition), out, data=data, data_url=data_url, data_sha256=data_sha256,
                          notebooks=not no_notebooks, hidden_visibility=hidden_visibility, sandbox=sandbox,
                          allow_weak_sandbox=allow_weak)
    click.echo(report.summary())
    click.echo("upload it on the assignment's Configure Autograder page (docs/gradescope.md)")
    sys.exit(EXIT_OK)


@export_group.command("grades")
@click.argument("batch_dir", required=False, default=Path("grader-batch"), type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["canvas", "moodle", "csv"]), required=True,
              help="canvas: Canvas's gradebook import CSV; moodle: Moodle's CSV grade import; csv: every column.")
@click.option("--roster", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="CSV mapping each submission name to a student (docs/lms.md).")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The file to write [BATCH_DIR/grades-FORMAT.csv].")
@click.option("--assignment", default=None, help="The grade column's name in the LMS [the course's title].")
@click.option("--assignment-id", default=None, help="Canvas: the assignment's id, to update that column.")
@click.option("--points", type=float, default=None, help="Scale grades to this many points [the course's maximum].")
@click.option("--settings", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Course settings JSON: due, grace_minutes, per_day_percent, cap_percent (docs/lms.md).")
@click.option("--due", default=None, help="Due date and time, ISO 8601 with its time zone (e.g. 2026-02-10T23:59-08:00).")
@click.option("--grace-minutes", type=float, default=None, help="Minutes after the due time without penalty.")
@click.option("--per-day", "per_day", type=float, default=None, help="Percent of the score taken per day late (or part).")
@click.option("--cap", type=float, default=None, help="At most this percent taken.")
def export_grades(batch_dir: Path, fmt: str, roster: Path, out: Path | None, assignment: str | None,
                  assignment_id: str | None, points: float | None, settings: Path | None, due: str | None,
                  grace_minutes: float | None, per_day: float | None, cap: float | None) -> None:
    """Write a batch's grades (BATCH_DIR, the --out of `grader batch`) in an LMS's import format.

    Every roster student and every graded submission appears: students without a submission
    get an empty grade, submissions no roster row names are listed (and written to a
    separate file), never dropped silently. Late penalties: raw, penalty and final per student.
    """
    from .lms import LatePolicy, export_grades as run_export

    policy = LatePolicy.from_options(settings=settings, due=due, grace_minutes=grace_minutes, per_day=per_day,
                                     cap=cap)
    report = run_export(batch_dir, fmt=fmt, roster=roster, out=out, assignment=assignment,
                        assignment_id=assignment_id, points=points, policy=policy)
    click.echo(report.summary())
    sys.exit(EXIT_OK if not report.problems else EXIT_FAILED)


@cli.group("gradescope")
def gradescope_group() -> None:
    """Try a Gradescope bundle locally; what the bundle runs (setup.sh and run_autograder call
    `check` and `run`)."""


@gradescope_group.command("try")
@click.argument("bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("submission", type=click.Path(path_type=Path, exists=True))
@click.option("--metadata", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="A submission_metadata.json to give the run [a made-up one].")
@click.option("--keep", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Lay the /autograder root out in this folder and keep it (results/stdout has the log).")
@click.option("--json", "as_json", is_flag=True, help="Print the results.json Gradescope would get.")
def gradescope_try(bundle: Path, submission: Path, metadata: Path | None, keep: Path | None, as_json: bool) -> None:
    """Run BUNDLE's run_autograder on SUBMISSION as Gradescope would (a temporary /autograder
    root; this environment's grader instead of the image's) and show what students would see."""
    from .gradescope import try_bundle

    meta = json.loads(metadata.read_text(encoding="utf-8")) if metadata else None
    results = try_bundle(bundle, submission, metadata=meta, keep=keep)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(results["output"])
        for t in results["tests"]:
            if t["status"] != "passed":
                click.echo(f"  {t['status']:<6} [{t['visibility']}] {t['name']}: {t['output'][:150]}")
        passed = sum(t["status"] == "passed" for t in results["tests"])
        click.echo(f"Gradescope score {results['score']:g}; {passed} of {len(results['tests'])} tests passed; "
                   "results.json valid against Gradescope's documented format")
    sys.exit(EXIT_OK)


@gradescope_group.command("run")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("/autograder"),
              show_default=True, help="Gradescope's autograder folder (source/, submission/, results/).")
def gradescope_run(root: Path) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json in Gradescope's format."""
    from .gradescope import run

    run(root, echo=click.echo)
    sys.exit(EXIT_OK)


@gradescope_group.command("check")
@click.option("--source", type=click.Path(path_type=Path, file_okay=False), required=True)
def gradescope_check(source: Path) -> None:
    """setup.sh's last step: the installed grader loads the bundle's course and finds its data."""
    from .gradescope import check_source

    click.echo(check_source(source))
    sys.exit(EXIT_OK)


@cli.command()
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
def demo(profile: str | None, out_dir: Path) -> None:
    """Grade a small class of example submissions end to end and print what happened."""
    from .demo import run_demo

    ok = run_demo(out_dir=out_dir, profile=_profile(profile), echo=click.echo)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


@cli.command("sandbox")
@click.option("--sandbox", "sandbox", type=click.Choice(SANDBOX_MODES), default=None,
              help="The mode to try [$GRADER_SANDBOX, else auto].")
@click.option("--json", "as_json", is_flag=True, help="Print the isolation record as JSON.")
def sandbox_command(sandbox: str | None, as_json: bool) -> None:
    """Show how student code is confined on this machine: the mode, namespaces, uid, network,
    limits and the files it may read. Exit code 0 when its filesystem view is an allowlist,
    1 when only a weak sandbox is possible, 2 when the sandbox cannot start."""
    from .sandbox import Limits, SandboxError, probe_isolation
    from .sandbox.isolation import describe

    try:
        record = probe_isolation(Limits(sandbox=sandbox, allow_weak_sandbox=True))
    except SandboxError as exc:
        raise SetupError(f"the sandbox could not start: {exc}") from exc
    if as_json:
        click.echo(json.dumps(record, indent=2))
    else:
        click.echo(f"sandbox: {describe(record)}")
        for key in ("requested", "namespaces", "filesystem", "pids", "network", "uid", "privileges", "landlock_abi"):
            click.echo(f"  {key:<13} {record.get(key)}")
        click.echo(f"  {'limits':<13} {record.get('limits')}")
        for mode, why in record.get("fallbacks", {}).items():
            click.echo(f"  not {mode}: {why}")
        if record.get("view"):
            indent = "\n" + " " * 27
            click.echo("  student code may read:   " + indent.join(record["view"]["read_only"]))
            click.echo("  and write:               " + indent.join(record["view"]["writable"]))
        else:
            click.echo("  student code may read every file this user can read")
    sys.exit(EXIT_OK if record.get("filesystem") in ("allowlist", "landlock") else EXIT_FAILED)


@cli.command()
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--only", "only", multiple=True, metavar="FUNCTION",
              help="Mutate this function only: module.function, or just its name (repeatable).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for mutants.json and mutants.html [grader-mutate/PROFILE].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Mutants graded at once, each in its own worker process [one per core].")
@click.option("--seed", type=int, default=None, help="Seed of the hidden inputs every mutant is graded with [1].")
@click.option("--probe-seeds", type=click.IntRange(min=1), default=None,
              help="Other seeds' inputs the equivalence probe compares survivors on [5].")
@click.option("--min-kill-rate", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 when a function's kill rate is below this [0.95].")
def mutate(profile: str | None, only: tuple[str, ...], out_dir: Path | None, workers: int | None, seed: int | None,
           probe_seeds: int | None, min_kill_rate: float | None) -> None:
    """Measure the hidden suite: grade mutants of the reference and report the ones it misses.

    Mutants are made from the solution blocks of the profile's editable files by operators that
    model real mistakes, plus the profile's catalogue of classic bugs; each is graded in the
    sandbox by the checks of its function and of the functions calling it. Survivors are probed
    for equivalence with the reference. Writes OUT/mutants.json and OUT/mutants.html. Exit 1 when
    a function's kill rate is below --min-kill-rate or a survivor is neither equivalent nor
    accepted in the profile (accepted_mutants).
    """
    from .mutate.pipeline import MIN_KILL_RATE, mutate_profile, passed
    from .mutate.report import terminal_summary
    from .mutate.run import DEFAULT_PROBE_SEEDS, DEFAULT_SEED, default_workers

    prof = _profile(profile)
    out_dir = out_dir or Path("grader-mutate") / prof.name
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    min_rate = MIN_KILL_RATE if min_kill_rate is None else min_kill_rate
    bar = _MutationProgress()
    try:
        summary = mutate_profile(prof, out_dir=out_dir, only=only, workers=workers or default_workers(),
                                 seed=DEFAULT_SEED if seed is None else seed,
                                 probe_seeds=probe_seeds or DEFAULT_PROBE_SEEDS, min_rate=min_rate,
                                 on_start=bar.start, progress=bar.advance)
    finally:
        bar.stop()
    click.echo(terminal_summary(summary, min_rate))
    click.echo(f"report: {out_dir / 'mutants.html'}; data: {out_dir / 'mutants.json'}")
    sys.exit(EXIT_OK if passed(summary, min_rate) else EXIT_FAILED)


class _MutationProgress:
    """A progress bar on stderr (a line every tenth of the way when stderr is not a terminal)."""

    def __init__(self):
        self.total = self.done = 0
        self.killed = 0
        self.bar = self.task = None

    def start(self, total: int) -> None:
        self.total = total
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("mutants"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.description}"), TimeElapsedColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("", total=total)
        else:
            click.echo(f"grading {total} mutants", err=True)

    def advance(self, outcome) -> None:
        self.done += 1
        self.killed += outcome.status == "killed"
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{self.killed} killed")
        elif self.total and self.done * 10 // self.total != (self.done - 1) * 10 // self.total:
            click.echo(f"  {self.done}/{self.total} graded, {self.killed} killed", err=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _exit_on_sigterm(signum, frame) -> None:
    """SIGTERM (a batch's deadline) unwinds like an exception, so the sandboxes are killed on the way out."""
    raise SystemExit(128 + signum)


def _all_passed(results: dict) -> bool:
    return results.get("status") == "graded" and all(t["status"] == "passed" for t in results.get("tests", []))


def main() -> None:
    cli(prog_name="grader")


if __name__ == "__main__":
    main()
