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

PROFILE_HELP = "Course profile (see `grader profiles`) [the default course]."
EDITION_HELP = "The course's edition (a name or a year, see `grader profiles`) [the course's own kit]."


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
@click.version_option(package_name="cs231n-grader")
def cli() -> None:
    """Autograder and assignment checker for the CS231n assignment-2 family."""


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
def grade(submission: Path, profile: str | None, edition: str | None, out_dir: Path | None, no_notebooks: bool,
          data: Path | None, as_json: bool, seed: int | None) -> None:
    """Grade one SUBMISSION (a folder or a .zip) with the full hidden suite; writes results.json.

    Without --profile, the course and its edition are detected from the submission's files
    (results.json's `course` says which and why). Unless --no-notebooks, the submission's
    notebooks are executed in the sandbox (written to OUT/notebooks/) and their trained models'
    accuracy is recomputed on held-out images.
    """
    from .grade import grade_submission, render_table

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
                               notebooks=not no_notebooks, data=data, seed=seed)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(render_table(results))
        click.echo(f"results written to {out_dir / 'results.json'}")
    sys.exit(EXIT_OK if _all_passed(results) else EXIT_FAILED)


@cli.command("build-template")
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--edition", default=None, help=EDITION_HELP)
@click.option("--reference", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder holding the course's reference packages [the profile's reference/ folder].")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of the kit [the profile's student_template/ folder].")
@click.option("--check", is_flag=True, help="Compare --out with a fresh build; exit 1 if they differ.")
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
              help="Check one function only, e.g. layers.affine_forward or affine_forward (repeatable).")
def check_command(directory: Path, as_json: bool, only: tuple[str, ...]) -> None:
    """Run the public checks on the student kit in DIRECTORY [the current folder].

    Needs no reference solution and no network: the expected answers ship inside the kit
    (public_checks/, which also names the course). Your code runs in a sandboxed child process,
    as in grading.
    """
    from .check.public import as_json as run_json
    from .check.public import check_kit, print_rich, render_plain
    from .sandbox import SandboxError

    try:
        run, where = check_kit(directory, only=only)
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
@click.option("--resume", is_flag=True, help="Keep submissions the ledger already graded and that did not change.")
@click.option("--profile", default=None, help=PROFILE_HELP.replace("[the default course]",
                                                                   "[detected per submission]"))
@click.option("--edition", default=None, help=EDITION_HELP.replace("[the course's own kit]",
                                                                   "[detected per submission]"))
@click.option("--no-notebooks", is_flag=True, help="Grade the code only; do not execute notebooks.")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="The data set for the notebooks (archive or folder) [$CIFAR10_PATH].")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Wall seconds per submission [the profile's notebook budget + 30 min; 30 min with --no-notebooks].")
def batch(submissions: Path, out_dir: Path, workers: int | None, scheduler: str | None, resume: bool,
          profile: str | None, edition: str | None, no_notebooks: bool, data: Path | None,
          timeout: float | None) -> None:
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
                          echo=click.echo)
    counts = sorted(Counter(summary.statuses.values()).items())
    click.echo(f"gradebook: {summary.gradebook} ({', '.join(f'{n} {s}' for s, n in counts) or 'empty'}); "
               f"report: {summary.report}; ledger: {summary.ledger}")
    sys.exit(EXIT_OK if summary.all_graded else EXIT_FAILED)


@cli.command()
@click.option("--profile", default=None, help=PROFILE_HELP)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
def demo(profile: str | None, out_dir: Path) -> None:
    """Grade a small class of example submissions end to end and print what happened."""
    from .demo import run_demo

    ok = run_demo(out_dir=out_dir, profile=_profile(profile), echo=click.echo)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


def _exit_on_sigterm(signum, frame) -> None:
    """SIGTERM (a batch's deadline) unwinds like an exception, so the sandboxes are killed on the way out."""
    raise SystemExit(128 + signum)


def _all_passed(results: dict) -> bool:
    return results.get("status") == "graded" and all(t["status"] == "passed" for t in results.get("tests", []))


def main() -> None:
    cli(prog_name="grader")


if __name__ == "__main__":
    main()
