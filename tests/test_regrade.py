"""Regrades: after a change to one check, `grader batch --resume` regrades the stale gradings
and shows the deltas (old score, new score, tests whose verdict changed) for the affected
students only; the previous results stay readable."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from grader import courses, examples, regrade
from grader.batch import batch_grade
from grader.courses import COURSES_ENV, get_profile

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "courses"
QUIET = dict(profile="tiny", notebooks=False, workers=2, echo=lambda s: None)


@pytest.fixture
def tiny_copy(tmp_path, monkeypatch):
    """A copy of the tiny course that the test may change, found through $GRADER_COURSES."""
    folder = tmp_path / "courses"
    shutil.copytree(FIXTURES / "tiny", folder / "tiny", ignore=shutil.ignore_patterns("__pycache__"))
    saved = courses._LOADED.pop("tiny", None)
    monkeypatch.setenv(COURSES_ENV, str(folder))
    yield folder / "tiny"
    courses._LOADED.pop("tiny", None)
    if saved is not None:
        courses._LOADED["tiny"] = saved


def _loosen_square_backward(course: Path) -> None:
    """Change one check: square_backward's gradient tolerance becomes 0.5, which a gradient off by
    a factor of 2 (relative error 1/3) passes."""
    init = course / "__init__.py"
    text = init.read_text()
    text = text.replace("from grader.check.spec import VISIBLE, Arg, Case, LayerSpec",
                        "from grader.check.spec import VISIBLE, Arg, Case, LayerSpec, Tol")
    old = 'points={"square_forward": 2, "square_backward": 3}),'
    assert old in text
    text = text.replace(old, 'points={"square_forward": 2, "square_backward": 3}, grad_tol=Tol(0.5, 0.5)),')
    init.write_text(text)


def test_a_changed_check_regrades_and_shows_deltas_for_the_affected_students_only(tiny_copy, tmp_path):
    prof = get_profile("tiny")
    subs, out = tmp_path / "subs", tmp_path / "out"
    mutants = {m.name: m for m in prof.mutants}
    examples.build(prof, subs / "alice")
    examples.build(prof, subs / "erin", mutants["scale_backward_not_summed"].edits)
    examples.build(prof, subs / "sam", mutants["square_backward_no_factor"].edits)
    examples.build(prof, subs / "dave", strip=True)
    first = batch_grade(subs, out_dir=out, **QUIET)
    assert sorted(first.graded) == ["alice", "dave", "erin", "sam"]
    before = {n: json.loads((out / "results" / n / "results.json").read_text()) for n in first.graded}
    assert before["sam"]["score"] < 10

    # nothing changed: nothing is regraded
    again = batch_grade(subs, out_dir=out, resume=True, **QUIET)
    assert again.graded == [] and again.stale == []

    _loosen_square_backward(tiny_copy)
    third = batch_grade(subs, out_dir=out, resume=True, **QUIET)
    assert sorted(third.graded) == sorted(third.stale) == ["alice", "dave", "erin", "sam"]  # all stale, all regraded
    after = {n: json.loads((out / "results" / n / "results.json").read_text()) for n in third.graded}
    assert after["sam"]["score"] > before["sam"]["score"]
    for n in ("alice", "dave", "erin"):
        assert after[n]["score"] == before[n]["score"]

    # the deltas: sam only, with his old and new score and the tests whose verdict changed
    deltas = {n: regrade.read_delta(out / "results" / n) for n in third.graded}
    assert [n for n, d in deltas.items() if d] == ["sam"]
    d = deltas["sam"]
    assert (d["old_score"], d["new_score"]) == (before["sam"]["score"], after["sam"]["score"])
    changed = {c["name"] for c in d["changed"]}
    assert changed and all(name.startswith("layers.square_backward") for name in changed)
    # a check now passing, or a hygiene check whose points now count (its function's values are right)
    assert all(c["new"] == "passed" and (c["old"] == "failed" or c["new_score"] > c["old_score"])
               for c in d["changed"]), d["changed"]
    assert any(c["old"] == "failed" for c in d["changed"])
    assert "the profile changed" in d["reason"]

    report = (out / "gradebook.html").read_text()
    rows = re.findall(r'<tr class="regrade" data-submission="([^"]+)">', report)
    assert rows == ["sam"]
    sam = (out / "feedback" / "sam.html").read_text()
    assert 'id="regrade"' in sam and f">{before['sam']['score']:g}</strong>" in sam
    assert f">{after['sam']['score']:g}</strong>" in sam and "layers.square_backward[public]" in sam
    for n in ("alice", "dave", "erin"):
        assert 'id="regrade"' not in (out / "feedback" / f"{n}.html").read_text()

    # nothing is lost: the previous results stay readable, and the ledger keeps every grading
    (old,) = regrade.history(out / "results" / "sam")
    assert json.loads(old.read_text()) == before["sam"]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT name, profile_hash, reason FROM gradings ORDER BY rowid").fetchall()
        keys = db.execute("SELECT DISTINCT grader_version, profile_hash, reference_hash FROM submissions").fetchall()
    assert len(rows) == 8 and {r[0] for r in rows[4:]} == {"alice", "dave", "erin", "sam"}
    assert len({r[1] for r in rows}) == 2 and all("profile changed" in r[2] for r in rows[4:])
    assert len(keys) == 1 and keys[0] == regrade.grading_keys("tiny")


@pytest.mark.slow
def test_the_grader_version_and_the_reference_make_a_grading_stale(tiny_copy, tmp_path, monkeypatch):
    prof = get_profile("tiny")
    examples.build(prof, tmp_path / "subs" / "alice")
    out = tmp_path / "out"
    batch_grade(tmp_path / "subs", out_dir=out, **QUIET)
    monkeypatch.setattr(regrade, "grader_version", lambda: "99.0+src.other")
    again = batch_grade(tmp_path / "subs", out_dir=out, resume=True, **QUIET)
    assert again.stale == ["alice"]
    assert regrade.read_delta(out / "results" / "alice") is None  # same verdicts: no delta to show
    monkeypatch.undo()
    monkeypatch.setenv(COURSES_ENV, str(tiny_copy.parent))
    layers = tiny_copy / "reference" / "tinynet" / "layers.py"
    layers.write_text(layers.read_text() + "\n# a comment changes the reference's hash\n")
    third = batch_grade(tmp_path / "subs", out_dir=out, resume=True, **QUIET)
    assert third.stale == ["alice"]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        reasons = [r[0] for r in db.execute("SELECT reason FROM gradings ORDER BY rowid")]
    assert "grader changed" in reasons[1] and "reference changed" in reasons[2]
    assert len(regrade.history(out / "results" / "alice")) == 2


def test_a_ledger_from_before_regrades_is_migrated(tmp_path):
    from grader.batch import open_ledger

    with sqlite3.connect(tmp_path / "gradebook.sqlite") as db:
        db.execute("CREATE TABLE submissions (name TEXT PRIMARY KEY, source TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                   "status TEXT NOT NULL, score REAL, max_score REAL, accuracy REAL, seconds REAL, finished TEXT, "
                   "message TEXT, functions TEXT)")
        db.execute("INSERT INTO submissions VALUES ('a', 's', 'f', 'graded', 1, 1, NULL, 1, 't', '', '{}')")
    db = open_ledger(tmp_path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(submissions)")}
    assert {"grader_version", "profile_hash", "reference_hash", "profile"} <= columns
    assert db.execute("SELECT name, grader_version FROM submissions").fetchall() == [("a", None)]
    db.close()
