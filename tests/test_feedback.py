"""Feedback pages (`grader batch` -> feedback/NAME.html, `grader grade --html`): what a student
reads, self-contained, escaped, and with no hidden input or expected value anywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import courses, examples
from grader.batch import batch_grade
from grader.check.oracle import ReferenceOracle
from grader.check.plan import build as build_plans
from grader.courses import COURSES_ENV, get_profile
from grader.examples import Edit
from grader.feedback import render_feedback, svg_chart, training_runs
from grader.grade import reference_digest, seed_for
from grader.gradescope import to_gradescope

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "courses"
INJECTED = "<b id='injected'>bold</b><script>document.title='pwned'</script>"
# square_forward raises with its inputs in the message (an exfiltration attempt) and some HTML
LEAKY = Edit("tinynet/layers.py", "    out = x * x\n",
             f"    raise ValueError({('LEAK ' + INJECTED + ' ')!r} + repr(x.ravel().tolist()))\n")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def tiny_batch(tmp_path_factory):
    """The tiny course's class graded by `grader batch`: alice (the reference), dave (the kit),
    erin (da not summed), lee (leaky: prints its hidden inputs into an exception)."""
    saved = courses._LOADED.pop("tiny", None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(COURSES_ENV, str(FIXTURES))
        prof = get_profile("tiny")
        root = tmp_path_factory.mktemp("feedback")
        subs, out = root / "subs", root / "out"
        examples.build(prof, subs / "alice")
        examples.build(prof, subs / "dave", strip=True)
        examples.build(prof, subs / "erin", prof.mutants[0].edits)
        examples.build(prof, subs / "lee", (LEAKY,))
        summary = batch_grade(subs, out_dir=out, profile="tiny", notebooks=False, workers=2, echo=lambda s: None)
        yield prof, out, summary
    courses._LOADED.pop("tiny", None)
    if saved is not None:
        courses._LOADED["tiny"] = saved


def _results(out: Path, name: str) -> dict:
    return json.loads((out / "results" / name / "results.json").read_text())


def test_a_batch_writes_a_feedback_page_per_student(tiny_batch):
    _, out, summary = tiny_batch
    assert summary.feedback == out / "feedback"
    assert sorted(p.name for p in (out / "feedback").glob("*.html")) == ["alice.html", "dave.html", "erin.html",
                                                                         "lee.html"]
    report = (out / "gradebook.html").read_text()
    for name in ("alice", "dave", "erin", "lee"):
        assert f'href="feedback/{name}.html"' in report
    erin = (out / "feedback" / "erin.html").read_text()
    results = _results(out, "erin")
    assert f"{results['score']:g} / 10" in erin
    assert "sum it over the batch" in erin  # the hint, on the function's row
    hidden = sum(t["visibility"] == "hidden" for t in results["tests"])
    assert len(re.findall(r'<tr class="test hidden-test">', erin)) == hidden > 0
    assert 'id="regrade"' not in erin  # graded once: no regrade section


def _tokens(prof, name: str) -> set[str]:
    """Leading digits of every hidden input and expected value of `name`'s grading (the
    inputs are drawn from its seed, the expected values by the reference)."""
    oracle = ReferenceOracle(prof)
    b = build_plans(prof, seed_for(name, reference_digest(prof)), oracle)
    tokens = set()
    for plan in b.plans:
        if any(t.visibility == "visible" for t in plan.tests):
            continue
        arrays = list(plan.task.arrays.values()) + (list(oracle.expected(plan.task)[0].values()) if plan.expected
                                                    else [])
        for arr in arrays:
            for v in np.asarray(arr, dtype=float).ravel():
                text = repr(float(v))
                if abs(v) >= 0.01 and len(text) >= 8 and "e" not in text:
                    tokens.add(text[:7])
    assert len(tokens) > 20
    return tokens


def test_no_hidden_input_or_expected_value_appears_in_any_page(tiny_batch):
    prof, out, _ = tiny_batch
    raw = _results(out, "lee")
    hidden_raw = [t["output"] for t in raw["tests"] if t["visibility"] == "hidden"]
    assert any("LEAK" in o for o in hidden_raw)  # the channel is real: the grader's own record has it
    pages = {p.name: p.read_text() for p in (out / "feedback").glob("*.html")}
    pages["gradebook.html"] = (out / "gradebook.html").read_text()
    for name in ("alice", "dave", "erin", "lee"):
        pages[f"{name}.gradescope.json"] = json.dumps(to_gradescope(_results(out, name)))
    for name in ("alice", "dave", "erin", "lee"):
        for token in _tokens(prof, name):
            for page, text in pages.items():
                assert token not in text, f"{name}'s hidden value {token} appears in {page}"
    lee = pages["lee.html"]
    public = [t["output"] for t in raw["tests"] if t["visibility"] == "visible" and "LEAK" in t["output"]]
    assert public and "LEAK" in lee  # a public test shows what the student's code said (escaped)
    hidden_rows = re.findall(r'<tr class="test hidden-test">(.*?)</tr>', lee, re.S)
    assert hidden_rows and not any("LEAK" in row for row in hidden_rows)
    assert "<script>document.title" not in lee and "&lt;script&gt;" in lee


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_pages_as_headless_chromium_renders_them(tiny_batch, tmp_path):
    _, out, _ = tiny_batch
    for page in (out / "feedback" / "lee.html", out / "gradebook.html"):
        html = page.read_text()
        # self-contained: nothing fetched (links are relative or anchors; images are data: URIs)
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
        assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', html))
        proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000",
                               "--dump-dom", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        dom = proc.stdout
        assert "<title>" in dom and "pwned" not in dom.split("</title>")[0]  # no student script ran
        assert 'id="injected"' not in dom  # no student element made it into the page
        text = re.sub(r"<[^>]+>", " ", dom.split("</style>")[-1])
        text = re.sub(r"\s+", " ", text)
        if page.name == "lee.html":
            assert "Feedback: lee" in text and "Score:" in text
            assert "hidden test: its inputs and expected values are not shown" in text
            assert "<script>document.title='pwned'</script>" in text.replace("&lt;", "<").replace("&gt;", ">")
        else:
            assert "Gradebook" in text and "lee" in text
    shot = tmp_path / "lee.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p2'}",
                    f"--screenshot={shot}", "--window-size=1200,900", (out / "feedback" / "lee.html").resolve().as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000


SOLVER_LOG = """(Iteration 1 / 40) loss: 2.302585
(Epoch 0 / 2) train acc: 0.100000; val_acc: 0.090000
(Iteration 11 / 40) loss: 1.900000
(Iteration 21 / 40) loss: 1.500000
(Epoch 1 / 2) train acc: 0.400000; val_acc: 0.350000
(Iteration 31 / 40) loss: nan
(Epoch 2 / 2) train acc: 0.550000; val_acc: 0.410000
<script>alert(1)</script> (Iteration 99 / 40) loss: 1e999
(Iteration 1 / 10) loss: 3.000000
(Iteration 6 / 10) loss: 2.000000
"""


def _notebook(path: Path, text) -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "(Iteration 1 / 2) loss: 5"},
        {"cell_type": "code", "metadata": {}, "source": "solver.train()", "execution_count": 1,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_learning_curves_come_from_the_printed_solver_log_as_numbers(tmp_path):
    nb = _notebook(tmp_path / "notebooks" / "FullyConnectedNets.ipynb", SOLVER_LOG.splitlines(keepends=True))
    runs = training_runs(nb)
    assert len(runs) == 2 and runs[0].cell == 1
    assert runs[0].loss == [(1, 2.302585), (11, 1.9), (21, 1.5)]  # nan and 1e999 ignored; 99 started no run
    assert runs[0].train == [(0, 0.1), (1, 0.4), (2, 0.55)] and runs[0].val[-1] == (2, 0.41)
    assert runs[1].loss == [(1, 3.0), (6, 2.0)]
    svg = svg_chart([("loss", runs[0].loss, "#4c72b0")], xlabel="iteration", ylabel="loss")
    assert svg.startswith("<svg") and "<polyline" in svg and "script" not in svg
    results = {"submission": "s", "profile": "tiny", "status": "graded", "score": 1.0, "max_score": 2.0,
               "execution_time": 1.0, "tests": [], "accuracy": {"split": "validation", "value": 0.41,
                                                                 "points_fraction": 0.5, "formula": "x"}}
    page = render_feedback(results, notebooks=tmp_path / "notebooks")
    assert "Learning curves" in page and "final validation accuracy 0.410" in page and "<script>alert" not in page
    assert "41.0%" in page and "50% of the notebook" in page
    (tmp_path / "notebooks" / "Broken.ipynb").write_text("{not json")
    assert training_runs(tmp_path / "notebooks" / "Broken.ipynb") == []


def test_grade_html_writes_the_feedback_page(tmp_path):
    prof_env = dict(os.environ, **{COURSES_ENV: str(FIXTURES)})
    saved = courses._LOADED.pop("tiny", None)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(COURSES_ENV, str(FIXTURES))
            examples.build(get_profile("tiny"), tmp_path / "erin", get_profile("tiny").mutants[0].edits)
    finally:
        courses._LOADED.pop("tiny", None)
        if saved is not None:
            courses._LOADED["tiny"] = saved
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "erin"), "--profile", "tiny",
                           "--no-notebooks", "--html", "--out", str(tmp_path / "out")], env=prof_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    page = (tmp_path / "out" / "feedback.html").read_text()
    assert "Feedback: erin" in page and "feedback page" in proc.stdout
