"""The README of a family course's student kit, from its profile and what the build wrote."""

from __future__ import annotations

from pathlib import PurePosixPath

from ...template import LOCKED, MARKDOWN_PLACEHOLDER


def kit_readme(profile, report) -> str:
    """The kit's README.md: what to edit, how to check, the data, the notebooks, submitting."""
    pkg = profile.package
    editable = [f"`{rel}`" for rel in profile.editable]
    given = [f"`{p}`" for p in report.copied if not p.endswith("__init__.py")]
    notebooks = [f"`{nb.name}`" for nb in report.notebooks]
    lines = [
        f"# {profile.title}: student kit",
        "",
        f"This folder is your assignment: the `{pkg}/` package you complete and the notebooks that",
        "walk you through it. Keep its layout: the notebooks import the package from beside them, and",
        "the grader looks for the files where they are now.",
        "",
        "## What to edit",
        "",
        f"Your code goes between {profile.markers.label},",
        "following the instructions just above them: replace the `pass` that stands there now.",
        "Do not change the marker lines, the function",
        "signatures, or the code around the markers. The files with such places:",
        "",
        *(f"- {name}" for name in editable),
        "- the notebooks: the code cells with marker lines, and the answer cells of the inline",
        f"  questions (`{MARKDOWN_PLACEHOLDER}`). Cells tagged `{LOCKED}` are given: the grader restores",
        "  them if they are changed or deleted.",
        "",
        "Do not edit the given files:",
        "",
        *(f"- {name}" for name in given),
    ]
    if report.expectations:
        shown = sorted({PurePosixPath(p).parts[0] for p in report.expectations})
        lines += ["", "Nor the public check data the grader reads:", "", *(f"- `{p}`" for p in shown)]
    lines += [
        "",
        "## Install the grader",
        "",
        "```bash",
        "python -m venv .venv && . .venv/bin/activate",
        "pip install cs231n-grader   # or the wheel / address your course gives you",
        "pip install jupyter         # to work in the notebooks",
        "```",
        "",
        "It gives you the `grader` command and the compiled im2col that the given fast layers",
        "use (without it they fall back to a slower numpy version and say so with a warning).",
        "",
        "## Check your work",
        "",
        "In this folder:",
        "",
        "```bash",
        "grader check              # every function: status, error size and a hint",
        "grader check --only NAME  # one function: layers.affine_forward, or just affine_forward",
        "grader check --json       # the same, as JSON",
        "```",
        "",
        "The checks are the public subset of the grader's tests: they need no network and no",
        "solution, and take a few seconds. A function you have not written yet shows as not",
        "implemented. Passing them is necessary, not sufficient: grading adds hidden inputs,",
        "gradient checks and the accuracy of your trained models.",
        "",
        "## CIFAR-10",
        "",
        'Download the "CIFAR-10 python version" (`cifar-10-python.tar.gz`) from',
        "https://www.cs.toronto.edu/~kriz/cifar.html and point the environment variable",
        "`CIFAR10_PATH` at the archive or at the folder it unpacks to, before starting Jupyter:",
        "",
        "```bash",
        "export CIFAR10_PATH=/path/to/cifar-10-python.tar.gz",
        "jupyter notebook",
        "```",
        "",
        "Do not put the data in this folder (and do not submit it). The first part of each notebook",
        "(the checks of every function) runs without the data.",
    ]
    variables = sorted({nb.variable for nb in profile.notebooks if nb.scored})
    scored = ([f"The last training cell of each leaves its model in {', '.join(f'`{v}`' for v in variables)},",
               "whose accuracy the grader recomputes itself on images the notebook never sees."] if variables else [])
    if notebooks:
        lines += [
            "",
            "## Notebooks",
            "",
            "In this order:",
            "",
            *(f"{i}. {name}" for i, name in enumerate(notebooks, start=1)),
            "",
            "Run each top to bottom.",
            *scored,
        ]
    lines += [
        "",
        "## Submitting",
        "",
        "Submit this folder (or a .zip of it) as your course asks, with the notebooks run and",
        "saved.",
    ]
    return "\n".join(lines) + "\n"
