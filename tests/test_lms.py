"""`grader export grades`: a batch's grades in Canvas's and Moodle's import formats (docs/lms.md),
students matched through a roster, late penalties from the submission time."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.batch import open_ledger
from grader.cli import cli
from grader.lms import CANVAS_FIXED, ExportError, LatePolicy, export_grades, parse_time, read_roster

DUE = "2026-02-10T23:59:00-08:00"


def _batch(tmp_path: Path) -> Path:
    """A batch's ledger: ann (on time), ben (1 hour late), cat (5 days late, time only in the
    roster), zoe (graded, but not in the roster), err (grading error)."""
    out, subs = tmp_path / "batch", tmp_path / "subs"
    out.mkdir()
    times = {"ann": "2026-02-10T22:00:00-08:00", "ben": "2026-02-11T00:59:00-08:00",
             "zoe": "2026-02-10T20:00:00-08:00", "err": "2026-02-10T21:00:00-08:00"}
    scores = {"ann": 90.0, "ben": 80.0, "cat": 100.0, "zoe": 70.0, "err": 0.0}
    db = open_ledger(out)
    with db:
        for name, score in scores.items():
            (subs / name).mkdir(parents=True)
            if name in times:
                (subs / name / "submission_metadata.json").write_text(json.dumps({"created_at": times[name]}))
            status = "error" if name == "err" else "graded"
            db.execute("INSERT INTO submissions (name, source, fingerprint, status, score, max_score, message) "
                       "VALUES (?, ?, 'f', ?, ?, 100, ?)",
                       (name, str(subs / name), status, score, "could not be opened" if status == "error" else ""))
    db.close()
    return out


def _roster(tmp_path: Path, rows=None) -> Path:
    path = tmp_path / "roster.csv"
    rows = rows or [
        ["submission", "Name", "ID", "SIS User ID", "SIS Login ID", "Section", "Email", "submitted_at"],
        ["ann", "Ann Lee", "101", "S101", "alee", "A", "ann@example.edu", ""],
        ["ben", "Ben Ng", "102", "S102", "bng", "A", "ben@example.edu", ""],
        ["cat", "Cat Oh", "103", "S103", "coh", "B", "cat@example.edu", "2026-02-15T12:00:00-08:00"],
        ["err", "Eve Roe", "104", "S104", "eroe", "B", "eve@example.edu", ""],
        ["dan", "Dan Poe", "105", "S105", "dpoe", "B", "dan@example.edu", ""],  # never submitted
    ]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


POLICY = LatePolicy(parse_time(DUE), grace_minutes=15, per_day_percent=10, cap_percent=30)


def _read(path: Path) -> list[list[str]]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_canvas_import_format_with_a_missing_and_an_extra_student(tmp_path):
    out = _batch(tmp_path)
    report = export_grades(out, fmt="canvas", roster=_roster(tmp_path), assignment="Assignment 2",
                           assignment_id="4242", policy=POLICY)
    rows = _read(report.path)
    assert rows[0] == [*CANVAS_FIXED, "Assignment 2 (4242)"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "100"
    grades = {r[2]: r for r in rows[2:]}  # by SIS User ID
    assert list(grades) == ["S101", "S102", "S103", "S104", "S105"]  # every roster student, in roster order
    assert grades["S101"] == ["Ann Lee", "101", "S101", "alee", "A", "90"]
    assert grades["S102"][-1] == "72"  # 80 less 10% (1 hour late, past the 15 minute grace)
    assert grades["S103"][-1] == "70"  # 100 less the 30% cap (5 days late, the roster's time)
    assert grades["S104"][-1] == "0"  # a grading error is a 0, said in the plain export
    assert grades["S105"][-1] == ""  # no submission: an empty cell, Canvas leaves the grade alone
    assert report.missing == ["Dan Poe"] and report.unmatched == ["zoe"]
    unmatched = _read(report.unmatched_path)
    assert unmatched[1][0] == "zoe" and unmatched[1][-1] == "not in the roster"
    text = report.summary()
    assert "Dan Poe" in text and "zoe" in text and "Add them to the roster" in text


def test_moodle_import_format_maps_by_id_number_or_email(tmp_path):
    out = _batch(tmp_path)
    roster = _roster(tmp_path, [["Submission", "First name", "Last name", "ID number", "Email address"],
                                ["ann", "Ann", "Lee", "S101", "ann@example.edu"],
                                ["ben", "Ben", "Ng", "S102", "ben@example.edu"]])
    report = export_grades(out, fmt="moodle", roster=roster, assignment="Assignment 2", policy=POLICY)
    rows = _read(report.path)
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Assignment 2",
                       "Assignment 2 (feedback)"]
    assert rows[1][:5] == ["Ann", "Lee", "S101", "ann@example.edu", "90"]
    assert rows[2][:5] == ["Ben", "Ng", "S102", "ben@example.edu", "72"]
    assert "late 1 day(s): -10%" in rows[2][5] and "raw 80 / 100" in rows[2][5]
    assert sorted(report.unmatched) == ["cat", "err", "zoe"]


def test_the_plain_csv_shows_raw_penalty_and_final(tmp_path):
    out = _batch(tmp_path)
    report = export_grades(out, fmt="csv", roster=_roster(tmp_path), points=10, policy=POLICY)
    rows = {r["submission"]: r for r in csv.DictReader(report.path.open())}
    assert (rows["ben"]["raw"], rows["ben"]["days_late"], rows["ben"]["penalty_percent"], rows["ben"]["final"],
            rows["ben"]["points"]) == ("80", "1", "10", "72", "7.2")
    assert rows["ann"]["penalty_percent"] == "0" and rows["ann"]["submitted_at"].startswith("2026-02-10T22:00")
    assert rows["cat"]["days_late"] == "5" and rows["cat"]["penalty_percent"] == "30"
    assert rows["err"]["note"].startswith("grading error")
    assert rows["dan"]["note"] == "no submission"


def test_late_policy_from_a_settings_file_and_its_mistakes(tmp_path):
    settings = tmp_path / "course.json"
    settings.write_text(json.dumps({"late": {"due": DUE, "grace_minutes": 15, "per_day_percent": 10,
                                             "cap_percent": 30}}))
    policy = LatePolicy.from_options(settings=settings, per_day=20)
    assert policy.per_day_percent == 20 and policy.cap_percent == 30
    assert policy.penalty_percent(parse_time("2026-02-11T00:10:00-08:00")) == 0  # within the grace period
    assert policy.penalty_percent(parse_time("2026-02-11T00:20:00-08:00")) == 20
    assert policy.penalty_percent(parse_time("2026-02-12T08:20:00Z")) == 30  # 2 days: 40%, capped
    with pytest.raises(ExportError, match="time zone"):
        LatePolicy.from_options(due="2026-02-10T23:59", per_day=10)
    with pytest.raises(ExportError, match="needs a due date"):
        LatePolicy.from_options(per_day=10)


def test_roster_mistakes_are_clear(tmp_path):
    with pytest.raises(ExportError, match="no 'submission' column"):
        read_roster(_roster(tmp_path, [["name", "id"], ["Ann", "1"]]))
    with pytest.raises(ExportError, match="identifier column"):
        read_roster(_roster(tmp_path, [["submission", "name"], ["ann", "Ann"]]))
    with pytest.raises(ExportError, match="both name submission 'ann'"):
        read_roster(_roster(tmp_path, [["submission", "id"], ["ann", "1"], ["ann", "2"]]))


def test_cli_export_grades(tmp_path):
    out = _batch(tmp_path)
    roster = _roster(tmp_path)
    result = CliRunner().invoke(cli, ["export", "grades", str(out), "--format", "canvas", "--roster", str(roster),
                                      "--due", DUE, "--per-day", "10", "--grace-minutes", "15", "--cap", "30"])
    assert result.exit_code == 1, result.output  # zoe matches no roster row: said, and not silently dropped
    assert "zoe" in result.output and "Dan Poe" in result.output
    assert (out / "grades-canvas.csv").is_file() and (out / "grades-canvas.unmatched.csv").is_file()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        db.execute("DELETE FROM submissions WHERE name = 'zoe'")
    result = CliRunner().invoke(cli, ["export", "grades", str(out), "--format", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert not (out / "grades-moodle.unmatched.csv").exists()
    result = CliRunner().invoke(cli, ["export", "grades", str(tmp_path), "--format", "csv", "--roster", str(roster)])
    assert result.exit_code == 2 and "gradebook.sqlite" in result.output
