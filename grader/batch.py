"""`grader batch`: grade every submission of a class into a gradebook, in parallel.

Steps: find the submissions (each folder or .zip directly under SUBMISSIONS), fingerprint them,
skip those the ledger already graded unchanged (--resume), grade the rest, each in its own
`grader grade` process with a deadline (local worker threads, or tasks on a Dask cluster with
--scheduler), record each outcome in the ledger as it arrives, and write the gradebook.

Every submission ends with a row and a status, whatever happened to its grading process: a
crash or a deadline becomes a results.json with status "error" or "timeout" (every test an
error saying why), and the batch goes on. The ledger (gradebook.sqlite, one row per submission)
is written only by this process, one transaction per outcome, so an interrupted batch loses at
most the submissions in flight; --resume grades only those. gradebook.csv is rewritten from the
ledger at the end: one row per submission, its status, score and accuracy, and the points of
each checked function; gradebook.html (grader/report.py) shows the same for people, and
feedback/NAME.html (grader/feedback.py) is each student's page.

Regrades (grader/regrade.py, docs/regrades.md): the ledger records per grading the grader
version and hashes of the profile and the reference (the `gradings` table keeps every grading);
--resume also regrades the stale gradings. A previous results.json moves to
results/NAME/history/ before its submission is graded again, and results/NAME/delta.json says
what changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import EXIT_INTERNAL, EXIT_SETUP, SetupError
from . import regrade
from .feedback import write_feedback_pages
from .report import write_class_report
from .results import ResultsError, function_points, make_results, validate, write_results

LEDGER = "gradebook.sqlite"
GRADEBOOK = "gradebook.csv"
RESULTS_FOLDER = "results"
UNPACKED = "class"  # where a class zip is extracted, under OUT
FINISHED = ("graded", "error", "timeout")
IGNORED = ("__MACOSX",)
STDERR_TAIL = 2000
LOST = "lost"  # the report's code when the worker itself failed
STOPPED = "stopped"  # the code when the batch stopped before the grading started (never recorded)
TERM_GRACE = 10.0  # seconds between SIGTERM (the grading process cleans up its sandboxes) and SIGKILL

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    max_score REAL,
    accuracy REAL,
    seconds REAL,
    finished TEXT,
    message TEXT,
    functions TEXT
)
"""
# What each grading depended on (grader.regrade), added to ledgers written before them.
KEY_COLUMNS = ("profile", "grader_version", "profile_hash", "reference_hash")
GRADINGS = """
CREATE TABLE IF NOT EXISTS gradings (
    name TEXT NOT NULL,
    finished TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    max_score REAL,
    profile TEXT,
    grader_version TEXT,
    profile_hash TEXT,
    reference_hash TEXT,
    reason TEXT,
    previous TEXT
)
"""


class BatchError(SetupError):
    """A batch that cannot start (bad folder, unusable ledger, no Dask); the message says what to fix."""


@dataclass(frozen=True)
class Entry:
    """One submission found under SUBMISSIONS."""

    name: str  # unique, safe as a folder name
    path: Path
    fingerprint: str


@dataclass
class Outcome:
    """How one submission's grading ended."""

    name: str
    results: dict
    seconds: float
    message: str = ""


@dataclass
class BatchSummary:
    found: int
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # --resume: unchanged and already finished
    stale: list[str] = field(default_factory=list)  # --resume: regraded because their grading was stale
    feedback: Path | None = None  # the folder of the feedback pages
    statuses: dict[str, str] = field(default_factory=dict)  # every submission in the ledger
    ledger: Path | None = None
    gradebook: Path | None = None
    report: Path | None = None

    @property
    def all_graded(self) -> bool:
        return all(s == "graded" for s in self.statuses.values())


# ----------------------------------------------------------------------------- finding submissions


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "submission"


def fingerprint(path: Path) -> str:
    """sha256 over a zip's bytes, or over a folder's relative paths and file contents (symlinks
    by their target text, not followed)."""
    h = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix().encode()
        if p.is_symlink():
            h.update(b"L" + rel + b"\0" + os.readlink(p).encode() + b"\0")
        elif p.is_file():
            h.update(b"F" + rel + b"\0")
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0")
    return h.hexdigest()


def find_submissions(root: Path) -> tuple[list[Entry], list[str]]:
    """The submissions directly under `root` (folders and .zip files), and notes on what was
    passed over. Names come from the folder or file name; clashes get a numeric suffix."""
    root = Path(root)
    if not root.is_dir():
        raise BatchError(f"{root}: not a folder of submissions (each submission a folder or a .zip inside it)")
    entries, notes, taken = [], [], set()
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED:
            continue
        if path.is_symlink():
            notes.append(f"{path.name}: a symbolic link, passed over")
            continue
        if path.is_file() and path.suffix.lower() != ".zip":
            notes.append(f"{path.name}: neither a folder nor a .zip, passed over")
            continue
        base = _safe_name(path.stem if path.is_file() else path.name)
        name, k = base, 2
        while name in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name)
        entries.append(Entry(name, path, fingerprint(path)))
    return entries, notes


# ----------------------------------------------------------------------------- the ledger


def open_ledger(out_dir: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(Path(out_dir) / LEDGER)
        db.execute(SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(submissions)")}
        for column in KEY_COLUMNS:
            if column not in have:
                db.execute(f"ALTER TABLE submissions ADD COLUMN {column} TEXT")
        db.execute(GRADINGS)
        db.commit()
    except sqlite3.DatabaseError as exc:
        raise BatchError(f"{Path(out_dir) / LEDGER}: not a usable gradebook ledger ({exc}); "
                         "move it away or choose another --out") from exc
    return db


def why_grade(db: sqlite3.Connection, entry: Entry, out_dir: Path) -> str:
    """Why `entry` must be graded ("" when the ledger's grading of it still holds): new, changed,
    unfinished, or stale (graded by another grader version, profile or reference; grader.regrade)."""
    row = db.execute("SELECT fingerprint, status, profile, grader_version, profile_hash, reference_hash "
                     "FROM submissions WHERE name = ?", (entry.name,)).fetchone()
    if row is None:
        return "new"
    if row[0] != entry.fingerprint:
        return "the submission changed"
    if row[1] not in FINISHED or not (out_dir / RESULTS_FOLDER / entry.name / "results.json").is_file():
        return "unfinished"
    edition = None
    try:
        results = json.loads((out_dir / RESULTS_FOLDER / entry.name / "results.json").read_text(encoding="utf-8"))
        course = results.get("course") if isinstance(results.get("course"), dict) else {}
        edition = course.get("edition")
    except (OSError, ValueError):
        return "unfinished"
    now = regrade.grading_keys(row[2], edition)
    what = [w for w, old, new in zip(("the grader", "the profile", "the reference"), row[3:6], now) if old != new]
    return f"regrade: {' and '.join(what)} changed" if what else ""


def _finished_unchanged(db: sqlite3.Connection, entry: Entry, out_dir: Path) -> bool:
    return why_grade(db, entry, out_dir) == ""


def record(db: sqlite3.Connection, entry: Entry, outcome: Outcome, *, reason: str = "", previous: str = "") -> None:
    r = outcome.results
    acc = r["accuracy"]["value"] if isinstance(r.get("accuracy"), dict) else None
    version, p_hash, r_hash = regrade.keys_of(r)
    finished = time.strftime("%Y-%m-%dT%H:%M:%S")
    with db:
        db.execute(
            "INSERT OR REPLACE INTO submissions (name, source, fingerprint, status, score, max_score, accuracy, "
            "seconds, finished, message, functions, profile, grader_version, profile_hash, reference_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.name, str(entry.path), entry.fingerprint, r["status"], r["score"], r["max_score"], acc,
             round(outcome.seconds, 3), finished, outcome.message[:STDERR_TAIL],
             json.dumps(function_points(r)), r.get("profile") or "", version, p_hash, r_hash),
        )
        db.execute("INSERT INTO gradings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (entry.name, finished, r["status"], r["score"], r["max_score"], r.get("profile") or "", version,
                    p_hash, r_hash, reason, previous))


def write_gradebook(db: sqlite3.Connection, path: Path) -> Path:
    """gradebook.csv from the ledger: one row per submission, a score column per function."""
    rows = db.execute("SELECT name, status, score, max_score, accuracy, seconds, message, functions "
                      "FROM submissions ORDER BY name").fetchall()
    functions: dict[str, float] = {}  # function: its max points, in the order tests list them
    for row in rows:
        for fn, (_, most) in json.loads(row[7] or "{}").items():
            functions.setdefault(fn, most)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "status", "score", "max_score", "percent", "accuracy", "seconds", "message"]
                   + [f"{fn} ({most:g})" for fn, most in functions.items()])
        for name, status, score, max_score, acc, seconds, message, fns in rows:
            per = json.loads(fns or "{}")
            percent = round(100 * score / max_score, 2) if max_score else 0.0
            w.writerow([name, status, score, max_score, percent, "" if acc is None else acc, seconds,
                        (message or "").splitlines()[0][:200] if message else ""]
                       + [per[fn][0] if fn in per else "" for fn in functions])
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- grading one submission


@dataclass(frozen=True)
class GradeJob:
    """What one `grader grade` process needs; plain data, so it can travel to a Dask worker."""

    name: str
    path: str
    out_dir: str
    profile: str | None  # None: each grading detects its course
    edition: str | None
    notebooks: bool
    data: str | None
    timeout: float
    kernel_threads: int
    sandbox: str | None = None  # the --sandbox mode (None: the worker's $GRADER_SANDBOX, else auto)
    allow_weak_sandbox: bool = False


def grade_command(job: GradeJob) -> list[str]:
    cmd = [sys.executable, "-m", "grader", "grade", job.path, "--out", job.out_dir, "--json"]
    if job.profile:
        cmd += ["--profile", job.profile]
    if job.edition:
        cmd += ["--edition", job.edition]
    if not job.notebooks:
        cmd.append("--no-notebooks")
    if job.data:
        cmd += ["--data", job.data]
    if job.sandbox:
        cmd += ["--sandbox", job.sandbox]
    if job.allow_weak_sandbox:
        cmd.append("--allow-weak-sandbox")
    return cmd


class Gradings:
    """The grading processes of one local batch, so that stopping the batch stops them all: once
    stop() has run, no new one starts (checked under the same lock that registers them)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stopping = False

    def start(self, cmd: list[str], env: dict) -> subprocess.Popen | None:
        with self._lock:
            if self._stopping:
                return None
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True)
            self._running.add(proc)
            return proc

    def finished(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(proc)

    def stop(self) -> None:
        """SIGTERM every running grading process (in their own sessions, they did not get the
        terminal's SIGINT), so the worker threads return promptly."""
        with self._lock:
            self._stopping = True
            for proc in self._running:
                try:
                    proc.send_signal(signal.SIGTERM)
                except OSError:
                    pass


def run_grade_process(job: GradeJob, gradings: Gradings | None = None) -> tuple[int | str | None, str, float]:
    """Run `grader grade` for one submission with a deadline: (exit code, None on timeout or
    STOPPED; the tail of its stderr; seconds). At the deadline it gets SIGTERM (its sandboxes are
    torn down), then SIGKILL for its whole process group."""
    gradings = gradings or Gradings()
    env = dict(os.environ, GRADER_KERNEL_THREADS=str(job.kernel_threads))
    Path(job.out_dir, "results.json").unlink(missing_ok=True)  # only this run's may be read back
    started = time.monotonic()
    proc = gradings.start(grade_command(job), env)
    if proc is None:
        return STOPPED, "the batch was stopped before this submission's grading started", 0.0
    try:
        _, err = proc.communicate(timeout=job.timeout)
        code: int | str | None = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=TERM_GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            _, err = proc.communicate()
    finally:
        _kill_group(proc.pid)  # anything it left in its group
        gradings.finished(proc)
    return code, err.decode("utf-8", "replace")[-STDERR_TAIL:], time.monotonic() - started


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(job: GradeJob, gradings: Gradings | None = None) -> dict:
    """Grade one submission in its own process; returns {"code", "stderr", "seconds"}. Runs in a
    local worker thread or on a Dask worker (the grader must be installed there, and the
    submission and output folders shared)."""
    code, err, seconds = run_grade_process(job, gradings)
    return {"code": code, "stderr": err, "seconds": seconds}


def outcome_of(job: GradeJob, report: dict, profile) -> Outcome:
    """The submission's results from what its grading process left behind; a results.json the
    process did not finish (crash, deadline) is replaced by one in which every test says why."""
    code, err, seconds = report.get("code"), str(report.get("stderr", "")), float(report.get("seconds", 0.0))
    path = Path(job.out_dir) / "results.json"
    if code in (0, 1):
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
            validate(results)
            why = "" if results["status"] == "graded" else next(
                (t["output"] for t in results["tests"] if t["status"] == "error"), results["status"])
            return Outcome(job.name, results, seconds, message=why)
        except (OSError, ValueError, ResultsError) as exc:
            status, why = "error", (f"the grading process ended (exit code {code}) without a usable results.json "
                                    f"({type(exc).__name__}): {_last_line(err)}")
    elif code is None:
        status, why = "timeout", f"grading did not finish within {job.timeout:g} s; the grading process was killed"
    elif code == EXIT_SETUP:
        status, why = "error", f"the grader could not grade this submission: {_last_line(err)}"
    elif code == EXIT_INTERNAL:
        status, why = "error", f"the grader failed on this submission (an internal error): {_last_line(err)}"
    elif code == LOST:
        status, why = "error", f"the worker grading this submission failed: {_last_line(err)}"
    elif isinstance(code, int) and code < 0:
        status, why = "error", f"the grading process was killed by signal {-code}: {_last_line(err)}"
    else:
        status, why = "error", f"the grading process failed (exit code {code}): {_last_line(err)}"
    from .check.points import error_tests

    results = make_results(job.name, profile.name, status, error_tests(profile, why), seconds)
    write_results(results, Path(job.out_dir))
    return Outcome(job.name, results, seconds, message=why + ("\n" + err if err else ""))


def _last_line(text: str) -> str:
    lines = [s for s in text.strip().splitlines() if s.strip()]
    return lines[-1][:500] if lines else "(no message)"


# ----------------------------------------------------------------------------- the batch


def _unpack_class(archive: Path, dest: Path, echo) -> Path:
    """A class download given as one zip: its submissions, extracted under OUT (fingerprints are
    of content, so --resume still recognises unchanged submissions)."""
    from .submission import SubmissionError, extract_class

    if not zipfile.is_zipfile(archive):
        raise BatchError(f"{archive}: SUBMISSIONS must be a folder of submissions or a zip of them")
    try:
        root = extract_class(archive, dest)
    except SubmissionError as exc:
        raise BatchError(str(exc)) from exc
    echo(f"unpacked {archive.name} into {root}")
    return root


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def batch_grade(
    submissions: Path,
    *,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    profile: str | None = None,
    edition: str | None = None,
    notebooks: bool = True,
    data: Path | None = None,
    timeout: float | None = None,
    echo: Callable[[str], None] = print,
    sandbox: str | None = None,
    allow_weak_sandbox: bool = False,
) -> BatchSummary:
    """Grade every submission under `submissions` into out_dir (results/NAME/results.json, the
    ledger and gradebook.csv). workers: parallel gradings on this machine (default: one per core;
    notebook kernels then share the cores). scheduler: a Dask scheduler address; the gradings run
    on its workers instead. resume: keep finished, unchanged submissions from an earlier run.
    timeout: wall seconds per submission (default: the profile's notebook budget, or 30 min
    with notebooks off). sandbox, allow_weak_sandbox: as `grader grade` --sandbox and
    --allow-weak-sandbox; with local workers the sandbox is tried once before any grading, and a
    machine where only a weak one is possible stops the batch unless allow_weak_sandbox (on a
    Dask cluster each worker's grading process decides, and records what it got).
    Raises BatchError when the batch cannot start."""
    from .courses import get_profile

    prof = get_profile(profile, edition)  # None: the default profile's settings (each grading detects its own)
    out_dir = Path(out_dir)
    (out_dir / RESULTS_FOLDER).mkdir(parents=True, exist_ok=True)
    submissions = Path(submissions)
    if submissions.is_file():
        submissions = _unpack_class(submissions, out_dir / UNPACKED, echo)
    entries, notes = find_submissions(submissions)
    for note in notes:
        echo(f"note: {note}")
    db = open_ledger(out_dir)
    summary = BatchSummary(found=len(entries), ledger=out_dir / LEDGER)
    try:
        if not resume:
            with db:
                db.execute("DELETE FROM submissions")
        regrade.clear_cache()  # profiles and references may have changed since an earlier batch in this process
        todo, reasons = [], {}
        for e in entries:
            why = why_grade(db, e, out_dir) if resume else "graded again (no --resume)"
            if not why:
                summary.skipped.append(e.name)
            else:
                todo.append(e)
                reasons[e.name] = why
        summary.stale = sorted(n for n, why in reasons.items() if why.startswith("regrade:"))
        if timeout is None:
            s = prof.notebook_settings
            timeout = (s.total_timeout + 1800.0) if notebooks and prof.notebooks else 1800.0
        n_workers = max(1, workers or default_workers())
        threads = max(1, default_workers() // n_workers) if not scheduler else 1
        if todo and not scheduler:
            echo(f"sandbox: {check_sandbox(sandbox, allow_weak_sandbox)}")
        # nothing is lost: a previous results.json moves to results/NAME/history/ before its regrade
        previous = {e.name: regrade.archive(out_dir / RESULTS_FOLDER / e.name)
                    or regrade.latest(out_dir / RESULTS_FOLDER / e.name) for e in todo}
        jobs = {e.name: GradeJob(e.name, str(e.path.resolve()), str((out_dir / RESULTS_FOLDER / e.name).resolve()),
                                 profile, edition, notebooks, str(Path(data).resolve()) if data else None,
                                 float(timeout), threads, sandbox, allow_weak_sandbox)
                for e in todo}
        by_name = {e.name: e for e in todo}
        echo(f"{len(entries)} submissions found; {len(summary.skipped)} already graded and unchanged; "
             + (f"{len(summary.stale)} stale (graded by another grader, profile or reference); " if summary.stale
                else "")
             + f"grading {len(todo)} " + (f"on the Dask cluster at {scheduler}" if scheduler else
                                          f"with {n_workers} worker(s)"))
        run = _run_dask if scheduler else _run_local
        for report_name, report in run(list(jobs.values()), n_workers, scheduler):
            outcome = outcome_of(jobs[report_name], report, prof)
            before = previous.get(report_name)
            record(db, by_name[report_name], outcome, reason=reasons.get(report_name, ""),
                   previous=before.relative_to(out_dir).as_posix() if before else "")
            regrade.write_delta(out_dir / RESULTS_FOLDER / report_name, before, outcome.results,
                                reasons.get(report_name, ""))
            summary.graded.append(report_name)
            r = outcome.results
            echo(f"  {report_name:<24} {r['status']:<8} {r['score']:7.1f} / {r['max_score']:g}  {outcome.seconds:6.1f} s"
                 + (f"  {_last_line(outcome.message)[:100]}" if outcome.message else ""))
        summary.statuses = dict(db.execute("SELECT name, status FROM submissions ORDER BY name").fetchall())
        summary.gradebook = write_gradebook(db, out_dir / GRADEBOOK)
        summary.feedback = write_feedback_pages(out_dir, list(summary.statuses), echo=echo)
        summary.report = write_class_report(out_dir, list(summary.statuses), profile=profile or "detected per submission")
    finally:
        db.close()
    return summary


def check_sandbox(sandbox: str | None, allow_weak_sandbox: bool) -> str:
    """What the sandbox gives student code on this machine, in one line; BatchError when it cannot
    start, or only a weak one can and that was not accepted."""
    from .sandbox import Limits, SandboxError, probe_isolation
    from .sandbox.isolation import describe

    try:
        return describe(probe_isolation(Limits(sandbox=sandbox, allow_weak_sandbox=allow_weak_sandbox)))
    except SandboxError as exc:
        raise BatchError(str(exc)) from exc


def _run_local(jobs: list[GradeJob], workers: int, _scheduler=None):
    """(name, report) for each job as it finishes, `workers` at a time."""
    if not jobs:
        return
    gradings = Gradings()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = {pool.submit(grade_one, job, gradings): job.name for job in jobs}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    name = pending.pop(fut)
                    yield name, _report(fut)
        except BaseException:  # Ctrl-C or a failure recording an outcome: stop, the ledger keeps what finished
            pool.shutdown(wait=False, cancel_futures=True)
            gradings.stop()
            raise


def _run_dask(jobs: list[GradeJob], _workers: int, scheduler: str):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise BatchError("--scheduler needs dask.distributed: pip install -e '.[dask]' (on this machine "
                         "and on every worker)") from exc
    if not jobs:
        return
    futures: dict = {}
    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"could not reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        # pure=False: a resubmitted submission is graded again, not served from Dask's cache
        futures = {client.submit(grade_one, job, key=f"grade-{job.name}-{time.time_ns()}", pure=False): job.name
                   for job in jobs}
        for fut in as_completed(futures):
            yield futures[fut], _report(fut)
    finally:
        client.cancel(list(futures))  # those still queued or running, when the batch stops early
        client.close()


def _report(fut) -> dict:
    """A worker's report; a worker that failed (lost, or grade_one raised) reports LOST."""
    try:
        report = fut.result()
        return report if isinstance(report, dict) else {"code": LOST, "stderr": f"bad report {report!r}"[:500]}
    except Exception as exc:  # noqa: BLE001 (any failure of the worker becomes that submission's error)
        return {"code": LOST, "stderr": f"{type(exc).__name__}: {exc}", "seconds": 0.0}
