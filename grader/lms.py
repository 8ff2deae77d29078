"""Grades out of a batch into an LMS: Canvas's and Moodle's gradebook import CSVs, or a plain CSV
(`grader export grades`, docs/lms.md).

A roster (CSV) maps each submission name (as `grader batch` names it) to a student. Every roster
student gets a row (an empty grade when there is no submission, said so); every graded
submission that no roster row names is listed and written to OUT.unmatched.csv, never dropped.

Late penalties are course settings (due date, grace period, percent per day late, cap), applied
from each submission's time: its Gradescope submission_metadata.json ("created_at"), or the
roster's `submitted_at` column (which wins when filled in). Each student's raw score, penalty and
final score are written (the plain CSV has them all; Canvas and Moodle get the final score, and
Moodle a feedback text saying how it was computed).
"""

from __future__ import annotations

import csv
import json
import math
import re
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .errors import SetupError

FORMATS = ("canvas", "moodle", "csv")
CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_FIXED = ("First name", "Last name", "ID number", "Email address")
# roster column -> the names it may go by (case, spaces and dashes ignored)
ROSTER_COLUMNS = {
    "submission": ("submission", "submission name", "folder", "gradescope name"),
    "name": ("name", "student", "student name", "full name"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "id": ("id", "canvas id", "user id", "student id"),
    "sis_user_id": ("sis user id", "sis id"),
    "sis_login_id": ("sis login id", "login", "login id", "username"),
    "idnumber": ("idnumber", "id number"),
    "email": ("email", "email address", "e-mail"),
    "section": ("section",),
    "submitted_at": ("submitted at", "submitted", "submission time", "time"),
}


class ExportError(SetupError):
    """Grades that cannot be exported as asked (the message says what to fix)."""


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text).strip().lower())


def parse_time(text: str, where: str = "") -> datetime:
    """An ISO 8601 date and time with its time zone (a trailing Z is UTC)."""
    value = str(text).strip()
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ExportError(f"{where}{value!r} is not an ISO 8601 date and time "
                          "(e.g. 2026-02-10T23:59:00-08:00)") from None
    if t.tzinfo is None:
        raise ExportError(f"{where}{value!r} has no time zone: add one (e.g. -08:00 or Z) so that lateness is "
                          "not guessed")
    return t


# ----------------------------------------------------------------------------- late penalties


@dataclass(frozen=True)
class LatePolicy:
    """due: the due time; grace_minutes after it cost nothing; then per_day_percent of the score
    per started day late, at most cap_percent."""

    due: datetime | None = None
    grace_minutes: float = 0.0
    per_day_percent: float = 0.0
    cap_percent: float = 100.0

    @classmethod
    def from_options(cls, *, settings: Path | None = None, due: str | None = None, grace_minutes: float | None = None,
                     per_day: float | None = None, cap: float | None = None) -> "LatePolicy":
        """From a course settings JSON file ({"due", "grace_minutes", "per_day_percent",
        "cap_percent"}, or those keys under "late"), each overridden by its command-line option."""
        values: dict = {}
        if settings is not None:
            try:
                data = json.loads(Path(settings).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ExportError(f"{settings}: not a readable JSON settings file ({exc})") from exc
            data = data.get("late", data) if isinstance(data, dict) else None
            if not isinstance(data, dict):
                raise ExportError(f"{settings}: expected an object with due, grace_minutes, per_day_percent, cap_percent")
            unknown = set(data) - {"due", "grace_minutes", "per_day_percent", "cap_percent"}
            if unknown:
                raise ExportError(f"{settings}: unknown settings {sorted(unknown)}")
            values.update(data)
        for key, value in (("due", due), ("grace_minutes", grace_minutes), ("per_day_percent", per_day),
                           ("cap_percent", cap)):
            if value is not None:
                values[key] = value
        due_time = parse_time(values["due"], "due date: ") if values.get("due") else None
        policy = cls(due_time, float(values.get("grace_minutes", 0.0)), float(values.get("per_day_percent", 0.0)),
                     float(values.get("cap_percent", 100.0)))
        if policy.grace_minutes < 0 or policy.per_day_percent < 0 or not 0 <= policy.cap_percent <= 100:
            raise ExportError("late policy: grace and per-day percent must be >= 0, the cap within 0..100")
        if due_time is None and (policy.per_day_percent or policy.grace_minutes):
            raise ExportError("late policy: a per-day penalty or a grace period needs a due date (--due)")
        return policy

    @property
    def active(self) -> bool:
        return self.due is not None and self.per_day_percent > 0

    def days_late(self, submitted: datetime) -> int:
        """Started days late after the grace period (0 when on time)."""
        if self.due is None:
            return 0
        late = submitted - self.due - timedelta(minutes=self.grace_minutes)
        if late <= timedelta(0):
            return 0
        return math.ceil(late.total_seconds() / 86400.0)

    def penalty_percent(self, submitted: datetime | None) -> float:
        if not self.active or submitted is None:
            return 0.0
        return min(self.cap_percent, self.days_late(submitted) * self.per_day_percent)

    def describe(self) -> str:
        if not self.active:
            return "no late penalty"
        return (f"due {self.due.isoformat()}, {self.grace_minutes:g} min grace, {self.per_day_percent:g}% per day "
                f"late, at most {self.cap_percent:g}%")


# ----------------------------------------------------------------------------- roster and grades


@dataclass
class Student:
    row: int
    fields: dict

    def get(self, key: str) -> str:
        return str(self.fields.get(key) or "").strip()

    @property
    def display(self) -> str:
        if self.get("name"):
            return self.get("name")
        first, last = self.get("first_name"), self.get("last_name")
        return f"{last}, {first}".strip(", ") if (first or last) else self.get("submission")


def read_roster(path: Path) -> list[Student]:
    """The roster's rows; its header must name a `submission` column (see ROSTER_COLUMNS)."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportError(f"{path}: not a readable CSV roster ({exc})") from exc
    if not header:
        raise ExportError(f"{path}: the roster is empty (it needs a header row with a 'submission' column)")
    names = {alias: key for key, aliases in ROSTER_COLUMNS.items() for alias in aliases}
    columns = {}
    for i, h in enumerate(header):
        key = names.get(_key(h))
        if key is not None and key not in columns:
            columns[key] = i
    if "submission" not in columns:
        raise ExportError(f"{path}: no 'submission' column in the roster header {header} (it holds each student's "
                          "submission name as `grader batch` named it)")
    if not any(k in columns for k in ("id", "sis_user_id", "sis_login_id", "email", "idnumber")):
        raise ExportError(f"{path}: the roster needs a student identifier column (id, sis_user_id, sis_login_id, "
                          "email or idnumber)")
    students, seen = [], {}
    for n, raw in enumerate(rows, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        fields = {key: (raw[i] if i < len(raw) else "") for key, i in columns.items()}
        s = Student(n, fields)
        sub = s.get("submission")
        if sub and sub in seen:
            raise ExportError(f"{path}: rows {seen[sub]} and {n} both name submission {sub!r}")
        if sub:
            seen[sub] = n
        students.append(s)
    return students


@dataclass
class Graded:
    name: str
    status: str
    score: float
    max_score: float
    source: str
    submitted: datetime | None = None
    message: str = ""


def _metadata_time(source: Path) -> datetime | None:
    """created_at of a Gradescope submission_metadata.json inside the submission (folder or zip)."""
    text = None
    try:
        if source.is_dir():
            found = next(iter(sorted(source.rglob("submission_metadata.json"))), None)
            text = found.read_text(encoding="utf-8") if found else None
        elif zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as zf:
                member = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "submission_metadata.json"), None)
                text = zf.read(member).decode("utf-8") if member and zf.getinfo(member).file_size < (1 << 20) else None
    except (OSError, ValueError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    if not text:
        return None
    try:
        created = json.loads(text).get("created_at")
        return parse_time(created) if created else None
    except (ValueError, AttributeError, ExportError):
        return None


def read_batch(batch_dir: Path) -> list[Graded]:
    """The graded submissions of a batch (its ledger, gradebook.sqlite)."""
    ledger = Path(batch_dir) / "gradebook.sqlite"
    if not ledger.is_file():
        raise ExportError(f"{ledger} not found: give the --out folder of a `grader batch`")
    try:
        with sqlite3.connect(ledger.resolve().as_uri() + "?mode=ro", uri=True) as db:
            rows = db.execute("SELECT name, status, score, max_score, source, message FROM submissions "
                              "ORDER BY name").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"{ledger}: not a usable gradebook ledger ({exc})") from exc
    out = []
    for name, status, score, max_score, source, message in rows:
        g = Graded(name, status, float(score or 0.0), float(max_score or 0.0), source or "", None,
                   (message or "").splitlines()[0][:200] if message else "")
        if source:
            g.submitted = _metadata_time(Path(source))
        out.append(g)
    return out


# ----------------------------------------------------------------------------- export


@dataclass
class Line:
    """One student's grade as exported."""

    student: Student | None
    graded: Graded | None
    raw: float | None = None
    penalty: float = 0.0  # percent
    days_late: int = 0
    final: float | None = None
    points: float | None = None  # the final score on the export's scale
    submitted: datetime | None = None
    note: str = ""


@dataclass
class ExportReport:
    path: Path
    fmt: str
    lines: list[Line] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # roster students without a submission
    unmatched: list[str] = field(default_factory=list)  # submissions no roster row names
    unmatched_path: Path | None = None
    policy: str = ""
    late: int = 0

    @property
    def problems(self) -> bool:
        return bool(self.unmatched)

    def summary(self) -> str:
        graded = sum(1 for ln in self.lines if ln.graded is not None)
        out = [f"{self.path}: {self.fmt} grades of {graded} students ({self.policy}; {self.late} late)"]
        if self.missing:
            out.append(f"{len(self.missing)} roster student(s) have no submission (exported with an empty grade): "
                       + ", ".join(self.missing))
        if self.unmatched:
            out.append(f"{len(self.unmatched)} submission(s) match no roster row (not in {self.path.name}; listed in "
                       f"{self.unmatched_path}): {', '.join(self.unmatched)}. Add them to the roster and export again.")
        return "\n".join(out)


def _match(students: list[Student], graded: list[Graded]) -> tuple[list[tuple[Student, Graded | None]], list[Graded]]:
    by_name = {g.name: g for g in graded}
    loose = {}
    for g in graded:
        loose.setdefault(_loose(g.name), g)
    used, pairs = set(), []
    for s in students:
        sub = s.get("submission")
        g = by_name.get(sub) or loose.get(_loose(sub)) if sub else None
        if g is not None and g.name in used:
            g = None
        if g is not None:
            used.add(g.name)
        pairs.append((s, g))
    return pairs, [g for g in graded if g.name not in used]


def _loose(name: str) -> str:
    """A submission name as `grader batch` would have made it from a folder name (and lower case)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._").lower()


def compute(pairs, policy: LatePolicy, points: float | None) -> list[Line]:
    lines = []
    for student, g in pairs:
        line = Line(student, g)
        if g is not None:
            line.raw = round(g.score, 4)
            when = student.get("submitted_at") if student is not None else ""
            line.submitted = parse_time(when, f"roster row {student.row}: ") if when else g.submitted
            line.days_late = policy.days_late(line.submitted) if (policy.active and line.submitted) else 0
            line.penalty = policy.penalty_percent(line.submitted)
            line.final = round(g.score * (1 - line.penalty / 100.0), 4)
            scale = (points / g.max_score) if (points and g.max_score) else 1.0
            line.points = round(line.final * scale, 2)
            notes = []
            if g.status != "graded":
                notes.append(f"grading {g.status}: {g.message}" if g.message else f"grading {g.status}")
            if policy.active and line.submitted is None:
                notes.append("submission time unknown: no late penalty applied")
            line.note = "; ".join(notes)
        else:
            line.note = "no submission"
        lines.append(line)
    return lines


def _feedback_text(line: Line, max_score: float) -> str:
    if line.graded is None:
        return "no submission"
    text = f"raw {line.raw:g} / {max_score:g}"
    if line.penalty:
        text += f"; late {line.days_late} day(s): -{line.penalty:g}%; final {line.final:g}"
    if line.note:
        text += f"; {line.note}"
    return text


def write_canvas(path: Path, lines: list[Line], *, assignment: str, assignment_id: str | None, points: float) -> None:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment column "Name (id)" (an existing assignment) or "Name" (a new one), with a
    "Points Possible" row first."""
    column = f"{assignment} ({assignment_id})" if assignment_id else assignment
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*CANVAS_FIXED, column])
        w.writerow(["Points Possible", "", "", "", "", f"{points:g}"])
        for ln in lines:
            s = ln.student
            w.writerow([s.display, s.get("id"), s.get("sis_user_id"), s.get("sis_login_id"), s.get("section"),
                        "" if ln.points is None else f"{ln.points:g}"])


def write_moodle(path: Path, lines: list[Line], *, assignment: str, max_score: float) -> None:
    """Moodle's CSV grade import: user fields to map from (ID number or email address), the
    grade item column and its feedback column (Moodle maps both at import)."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*MOODLE_FIXED, assignment, f"{assignment} (feedback)"])
        for ln in lines:
            s = ln.student
            first, last = s.get("first_name"), s.get("last_name")
            if not (first or last) and s.get("name"):
                first, _, last = s.get("name").partition(" ")
            w.writerow([first, last, s.get("idnumber") or s.get("sis_user_id") or s.get("id"), s.get("email"),
                        "" if ln.points is None else f"{ln.points:g}", _feedback_text(ln, max_score)])


PLAIN_COLUMNS = ("submission", "student", "id", "sis_user_id", "sis_login_id", "idnumber", "email", "section",
                 "status", "raw", "max_score", "submitted_at", "days_late", "penalty_percent", "final", "points", "note")


def _plain_row(ln: Line, unmatched: bool = False) -> list:
    s, g = ln.student, ln.graded
    fields = [s.get(k) if s else "" for k in ("id", "sis_user_id", "sis_login_id", "idnumber", "email", "section")]
    return [g.name if g else (s.get("submission") if s else ""), s.display if s else "", *fields,
            g.status if g else "", "" if ln.raw is None else f"{ln.raw:g}", f"{g.max_score:g}" if g else "",
            ln.submitted.isoformat() if ln.submitted else "", ln.days_late, f"{ln.penalty:g}",
            "" if ln.final is None else f"{ln.final:g}", "" if ln.points is None else f"{ln.points:g}",
            "not in the roster" if unmatched else ln.note]


def write_plain(path: Path, lines: list[Line]) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(PLAIN_COLUMNS)
        for ln in lines:
            w.writerow(_plain_row(ln))


def export_grades(batch_dir: Path, *, fmt: str, roster: Path, out: Path | None = None, assignment: str | None = None,
                  assignment_id: str | None = None, points: float | None = None,
                  policy: LatePolicy = LatePolicy()) -> ExportReport:
    """Write the batch's grades in `fmt` (canvas, moodle, csv); see the module docstring."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    batch_dir = Path(batch_dir)
    graded = read_batch(batch_dir)
    students = read_roster(roster)
    pairs, unmatched = _match(students, graded)
    max_score = max((g.max_score for g in graded), default=0.0) or 100.0
    scale = points if points else max_score
    lines = compute(pairs, policy, scale)
    extra = compute([(None, g) for g in unmatched], policy, scale)
    if assignment is None:
        assignment = _course_title(batch_dir, graded) or "Assignment"
    out = Path(out) if out else batch_dir / f"grades-{fmt}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "canvas":
        write_canvas(out, lines, assignment=assignment, assignment_id=assignment_id, points=scale)
    elif fmt == "moodle":
        write_moodle(out, lines, assignment=assignment, max_score=max_score)
    else:
        write_plain(out, lines)
    report = ExportReport(out, fmt, lines, policy=policy.describe(),
                          missing=[ln.student.display for ln in lines if ln.graded is None],
                          unmatched=[g.name for g in unmatched],
                          late=sum(1 for ln in lines + extra if ln.penalty > 0))
    side = out.with_name(out.stem + ".unmatched.csv")
    if unmatched:
        with side.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(PLAIN_COLUMNS)
            for ln in extra:
                w.writerow(_plain_row(ln, unmatched=True))
        report.unmatched_path = side
    else:
        side.unlink(missing_ok=True)
    return report


def _course_title(batch_dir: Path, graded: list[Graded]) -> str:
    for g in graded:
        try:
            results = json.loads((batch_dir / "results" / g.name / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if results.get("profile"):
            from .courses import get_profile

            try:
                return get_profile(results["profile"]).title
            except SetupError:
                return str(results["profile"])
    return ""


__all__ = ["LatePolicy", "export_grades", "read_roster", "ExportError"]
