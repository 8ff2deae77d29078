"""Command-line interface: a thin layer over the keyword-only API of the pipeline modules.

Exit codes (design.md): 0 success, 1 some submission or check failed or errored, 2 usage or setup error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_OK, EXIT_FAILED, EXIT_SETUP = 0, 1, 2


class SetupError(click.ClickException):
    """A problem with how the grader was invoked or installed (exit code 2)."""

    exit_code = EXIT_SETUP


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cs231n-grader")
def cli() -> None:
    """Autograder and assignment checker for the CS231n assignment-2 family."""


@cli.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--profile", default="cs231n", show_default=True, help="Course variant to grade against.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Folder for results.json [grader-out/NAME].")
@click.option("--no-notebooks", is_flag=True, help="Grade the code only; do not execute notebooks.")
@click.option("--json", "as_json", is_flag=True, help="Print results.json instead of a table.")
@click.option("--seed", type=int, default=None, help="Seed of the hidden inputs [derived from the submission name].")
def grade(submission: Path, profile: str, out_dir: Path | None, no_notebooks: bool, as_json: bool, seed: int | None) -> None:
    """Grade one SUBMISSION (a folder or a .zip) with the full hidden suite; writes results.json."""
    from .grade import grade_submission, render_table

    if not submission.exists():
        raise SetupError(f"submission not found: {submission}")
    out_dir = out_dir or Path("grader-out") / submission.stem
    results = grade_submission(submission, profile=profile, out_dir=out_dir, notebooks=not no_notebooks, seed=seed)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(render_table(results))
        click.echo(f"results written to {out_dir / 'results.json'}")
    sys.exit(EXIT_OK if _all_passed(results) else EXIT_FAILED)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
def demo(out_dir: Path) -> None:
    """Grade a small class of example submissions end to end and print what happened."""
    from .demo import run_demo

    ok = run_demo(out_dir=out_dir, echo=click.echo)
    sys.exit(EXIT_OK if ok else EXIT_FAILED)


def _all_passed(results: dict) -> bool:
    return results.get("status") == "graded" and all(t["status"] == "passed" for t in results.get("tests", []))


def main() -> None:
    cli(prog_name="grader")


if __name__ == "__main__":
    main()
