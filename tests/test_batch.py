"""`grader batch`: a class of submissions into a gradebook, in parallel, resumable; every
submission ends with a row and a status whatever its grading process does."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader import batch
from grader.batch import BatchError, batch_grade, find_submissions
from grader import examples
from grader.courses import get_profile

PROFILE = get_profile("cs231n")
MUTANTS = PROFILE.mutants


def build(dest, edits=(), **kw):
    return examples.build(PROFILE, dest, edits, **kw)
from grader.results import validate

QUIET = dict(notebooks=False, echo=lambda line: None)


def _class(root: Path) -> Path:
    """alice (the reference), dave (the unsolved kit), erin (dropout not inverted), a zip that is
    not one, and a stray text file."""
    subs = root / "subs"
    build(subs / "alice")
    build(subs / "dave", strip=True)
    build(subs / "erin", {m.name: m for m in MUTANTS}["dropout_not_inverted"].edits)
    (subs / "zed.zip").write_bytes(b"this is not a zip archive")
    (subs / "notes.txt").write_text("not a submission")
    return subs


def _rows(out: Path) -> dict[str, dict]:
    with (out / "gradebook.csv").open(newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_find_submissions_folders_and_zips_with_unique_names(tmp_path):
    (tmp_path / "alice").mkdir()
    with zipfile.ZipFile(tmp_path / "alice.zip", "w") as zf:
        zf.writestr("cs231n/layers.py", "x = 1\n")
    (tmp_path / "bob smith").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "readme.md").write_text("hi")
    (tmp_path / "link").symlink_to(tmp_path / "alice")
    entries, notes = find_submissions(tmp_path)
    assert [(e.name, e.path.name) for e in entries] == [("alice", "alice"), ("alice-2", "alice.zip"),
                                                       ("bob_smith", "bob smith")]
    assert any("readme.md" in n for n in notes) and any("link" in n and "symbolic" in n for n in notes)
    with pytest.raises(BatchError, match="not a folder of submissions"):
        find_submissions(tmp_path / "readme.md")


def test_fingerprint_changes_with_content_not_with_time(tmp_path):
    sub = tmp_path / "s"
    (sub / "cs231n").mkdir(parents=True)
    (sub / "cs231n" / "layers.py").write_text("a = 1\n")
    first = batch.fingerprint(sub)
    (sub / "cs231n" / "layers.py").touch()
    assert batch.fingerprint(sub) == first
    (sub / "cs231n" / "layers.py").write_text("a = 2\n")
    assert batch.fingerprint(sub) != first


def test_a_class_is_graded_into_a_gradebook_and_resumed(tmp_path):
    subs, out = _class(tmp_path), tmp_path / "out"
    summary = batch_grade(subs, out_dir=out, workers=2, **QUIET)
    assert summary.found == 4 and sorted(summary.graded) == ["alice", "dave", "erin", "zed"]
    assert summary.statuses == {"alice": "graded", "dave": "graded", "erin": "graded", "zed": "error"}
    assert not summary.all_graded
    for name in summary.statuses:
        validate(json.loads((out / "results" / name / "results.json").read_text()))
    rows = _rows(out)
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) == 100.0
    assert float(rows["dave"]["score"]) == 0.0
    assert 90 < float(rows["erin"]["percent"]) < 100
    dropout = next(k for k in rows["erin"] if k.startswith("layers.dropout_forward ("))
    assert float(rows["erin"][dropout]) < float(dropout.split("(")[1].rstrip(")")) == float(rows["alice"][dropout])
    assert rows["zed"]["status"] == "error" and "not a readable zip archive" in rows["zed"]["message"]
    page = (out / "gradebook.html").read_text()
    assert all(f">{name}</a>" in page for name in ("alice", "dave", "erin", "zed"))

    # --resume: nothing changed, nothing regraded; then one submission changes and only it is
    again = batch_grade(subs, out_dir=out, resume=True, **QUIET)
    assert again.graded == [] and sorted(again.skipped) == ["alice", "dave", "erin", "zed"]
    shutil.rmtree(subs / "dave")
    build(subs / "dave")  # dave finished his work
    again = batch_grade(subs, out_dir=out, resume=True, **QUIET)
    assert again.graded == ["dave"] and again.statuses["dave"] == "graded"
    assert float(_rows(out)["dave"]["score"]) == 100.0
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 4


def test_a_class_download_zip_is_unpacked_and_graded(tmp_path):
    folder = tmp_path / "src"
    build(folder / "alice")
    inner = build(folder / "bob-src")
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        for path in sorted(inner.rglob("*.py")):
            zf.write(path, path.relative_to(inner).as_posix())
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as zf:  # one top folder, as bulk downloads have
        for path in sorted((folder / "alice").rglob("*.py")):
            zf.write(path, ("hw2/" + path.relative_to(folder).as_posix()))
        zf.write(tmp_path / "bob.zip", "hw2/bob.zip")
    summary = batch_grade(tmp_path / "class.zip", out_dir=tmp_path / "out", **QUIET)
    assert summary.statuses == {"alice": "graded", "bob": "graded"}
    assert float(_rows(tmp_path / "out")["bob"]["score"]) == 100.0
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BatchError, match="a zip of them"):
        batch_grade(tmp_path / "notes.txt", out_dir=tmp_path / "out2", **QUIET)


def test_a_submission_over_its_deadline_gets_a_timeout_row_and_the_batch_goes_on(tmp_path):
    subs = tmp_path / "subs"
    build(subs / "alice")
    build(subs / "bob")
    summary = batch_grade(subs, out_dir=tmp_path / "out", workers=2, timeout=1.0, **QUIET)
    assert summary.statuses == {"alice": "timeout", "bob": "timeout"}
    results = json.loads((tmp_path / "out" / "results" / "alice" / "results.json").read_text())
    validate(results)
    assert results["status"] == "timeout" and results["score"] == 0
    assert all(t["status"] == "error" and "did not finish within 1 s" in t["output"] for t in results["tests"])
    assert _rows(tmp_path / "out")["bob"]["status"] == "timeout"


def test_a_grading_process_that_dies_is_an_error_row_not_a_lost_submission(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    build(subs / "alice")
    suicide = "import os, signal, sys; sys.stderr.write('boom\\n'); sys.stderr.flush(); os.kill(os.getpid(), signal.SIGKILL)"
    monkeypatch.setattr(batch, "grade_command", lambda job: [sys.executable, "-c", suicide])
    summary = batch_grade(subs, out_dir=tmp_path / "out", **QUIET)
    assert summary.statuses == {"alice": "error"}
    row = _rows(tmp_path / "out")["alice"]
    assert "killed by signal 9: boom" in row["message"]


def test_a_grader_crash_is_an_error_row_and_an_old_results_json_is_never_reused(tmp_path, monkeypatch):
    subs, out = tmp_path / "subs", tmp_path / "out"
    build(subs / "alice")
    batch_grade(subs, out_dir=out, **QUIET)
    assert _rows(out)["alice"]["status"] == "graded"
    crash = "raise RuntimeError('internal grader bug')"  # an uncaught exception exits with code 1, like a failed test
    monkeypatch.setattr(batch, "grade_command", lambda job: [sys.executable, "-c", crash])
    summary = batch_grade(subs, out_dir=out, **QUIET)
    assert summary.statuses == {"alice": "error"}
    assert "without a usable results.json" in _rows(out)["alice"]["message"]
    assert "internal grader bug" in _rows(out)["alice"]["message"]


def test_ctrl_c_stops_the_running_gradings_and_keeps_the_ledger(tmp_path):
    subs = tmp_path / "subs"
    for name in ("a", "b", "c"):
        (subs / name / "cs231n").mkdir(parents=True)
    marker = tmp_path / "sleeper-started"
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import signal, sys\n"
        # as in a terminal: a background job (CI under nohup) inherits SIGINT ignored, and then
        # Python installs no KeyboardInterrupt handler
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from grader import batch\n"
        f"sleeper = 'import pathlib, time; pathlib.Path(%r).touch(); time.sleep(300)' % {str(marker)!r}\n"
        "batch.grade_command = lambda job: [sys.executable, '-c', sleeper]\n"
        f"batch.batch_grade({str(subs)!r}, out_dir={str(tmp_path / 'out')!r}, workers=2, notebooks=False)\n"
    )
    proc = subprocess.Popen([sys.executable, str(driver)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), proc.stderr.read() if proc.poll() is not None else "the driver is still running"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)  # not the sleepers' 300 s
    assert "KeyboardInterrupt" in err
    assert (tmp_path / "out" / "gradebook.sqlite").is_file()
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(marker).encode() in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            pass
    assert left == []  # the grading processes were stopped, not orphaned


def test_a_broken_ledger_is_a_setup_error(tmp_path):
    subs = tmp_path / "subs"
    build(subs / "alice")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "gradebook.sqlite").write_bytes(b"garbage" * 100)
    with pytest.raises(BatchError, match="not a usable gradebook ledger"):
        batch_grade(subs, out_dir=tmp_path / "out", **QUIET)


def test_cli_batch_exit_codes(tmp_path):
    subs = tmp_path / "subs"
    build(subs / "alice")
    cmd = [sys.executable, "-m", "grader", "batch", str(subs), "--out", str(tmp_path / "out"), "--no-notebooks"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "alice" in done.stdout and "1 graded" in done.stdout
    (subs / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "1 error, 1 graded" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "grader", "batch", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_an_unreachable_scheduler_is_a_setup_error(tmp_path):
    pytest.importorskip("distributed")
    subs = tmp_path / "subs"
    build(subs / "alice")
    with pytest.raises(BatchError, match="could not reach the Dask scheduler"):
        batch_grade(subs, out_dir=tmp_path / "out", scheduler="tcp://127.0.0.1:1", **QUIET)


@pytest.mark.slow
def test_a_class_graded_on_a_dask_cluster_matches_local_grading(tmp_path):
    distributed = pytest.importorskip("distributed")
    subs = tmp_path / "subs"
    build(subs / "alice")
    build(subs / "erin", {m.name: m for m in MUTANTS}["dropout_not_inverted"].edits)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = batch_grade(subs, out_dir=tmp_path / "dask", scheduler=cluster.scheduler_address, **QUIET)
    local = batch_grade(subs, out_dir=tmp_path / "local", workers=1, **QUIET)
    assert summary.statuses == local.statuses == {"alice": "graded", "erin": "graded"}
    dask_rows, local_rows = _rows(tmp_path / "dask"), _rows(tmp_path / "local")
    for name in ("alice", "erin"):
        assert dask_rows[name]["score"] == local_rows[name]["score"]
        # the worker's grading process records the sandbox it got, as a local one does
        on_dask, local = (json.loads((tmp_path / out / "results" / name / "results.json").read_text())["isolation"]
                          for out in ("dask", "local"))
        assert on_dask["mode"] == local["mode"] and on_dask["full"] == local["full"] and on_dask["view"]
