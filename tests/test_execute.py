"""Notebook execution in the sandbox (grader.execute, grader/nbdriver.py) and locked-cell integrity
(grader.integrity): small synthetic notebooks and a tiny synthetic CIFAR-10 built in tmp_path."""

from __future__ import annotations

import dataclasses

import json
import os
import tarfile

import nbformat
import pytest
from click.testing import CliRunner
from nbhelpers import ONLY, by_name, fc_spec, make_notebook, profile, submission, tiny_cifar, write_notebook

from grader.courses.profile import NotebookSettings, NotebookSpec
from grader.cli import cli
from grader.courses import get_profile
from grader.courses.family.cifar10 import DataError
from grader.courses.family.cifar10 import locate as locate_cifar
from grader.courses.family.cifar10 import staged_folder
from grader.execute import NotebookRun, _collect, find_notebook, load_notebook
from grader.grade import grade_submission
from grader.integrity import checksum, load_manifest, locked_cells, restore_locked

KIT = get_profile("cs231n").paths.kit
MASTERS = get_profile("cs231n").paths.notebooks


def child_data_folder(src):
    return staged_folder(get_profile("cs231n"), "cs231n.data_utils", src)
from grader.results import validate
from grader.sandbox import TaskResult

MODEL_CELL = ("from cs231n.classifiers.fc_net import FullyConnectedNet\n"
              "best_model = FullyConnectedNet([7], weight_scale=1e-2)")


def grade(root, tmp_path, prof, **kw):
    kw.setdefault("data", tiny_cifar(tmp_path / "cifar"))
    kw.setdefault("locked", {})
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", seed=1, only=ONLY, **kw)
    validate(json.loads((tmp_path / "out" / "results.json").read_text()))
    return results


def executed(tmp_path, name="T.ipynb") -> nbformat.NotebookNode:
    return nbformat.read(tmp_path / "out" / "notebooks" / name, as_version=4)


def texts(cell) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.get("outputs", []))


def function_tests_graded(results) -> bool:
    funcs = [t for t in results["tests"] if t["name"].startswith("layers.relu_forward")]
    return bool(funcs) and all(t["status"] == "passed" for t in funcs)


# ----------------------------------------------------------------------------- loading, no execution


def test_invalid_json_is_a_status_with_a_message(tmp_path):
    path = tmp_path / "A.ipynb"
    path.write_text('{"cells": [ {"cell_type": "code", ')
    nb, status, message = load_notebook(path, 1 << 20)
    assert nb is None and status == "invalid"
    assert "not valid JSON" in message and "line 1" in message


def test_empty_file_json_without_cells_and_notebook_without_code(tmp_path):
    (tmp_path / "E.ipynb").write_bytes(b"")
    (tmp_path / "J.ipynb").write_text('{"metadata": {}}')
    write_notebook(tmp_path / "M.ipynb", [("markdown", "# only text", (), None)])
    assert load_notebook(tmp_path / "E.ipynb", 1 << 20)[1:] == (
        "empty", "E.ipynb is an empty file (0 bytes): nothing to execute")
    assert load_notebook(tmp_path / "J.ipynb", 1 << 20)[1] == "invalid"
    assert load_notebook(tmp_path / "M.ipynb", 1 << 20)[1:] == (
        "empty", "M.ipynb has no code cells: nothing to execute")


def test_a_notebook_nbformat_rejects_keeps_its_cells(tmp_path):
    raw = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
           "cells": [{"cell_type": "code", "source": ["x = 1\n", "print(x)"], "metadata": {"tags": ["locked"]},
                      "outputs": "not a list", "id": "a1"}]}
    (tmp_path / "R.ipynb").write_text(json.dumps(raw))
    nb, status, note = load_notebook(tmp_path / "R.ipynb", 1 << 20)
    assert status == "ok" and "does not follow the notebook format" in note
    cell = nb.cells[0]
    assert cell.source == "x = 1\nprint(x)" and cell.id == "a1" and cell.metadata.tags == ["locked"]


def test_find_notebook_beside_the_package_first_checkpoints_ignored(tmp_path):
    write_notebook(tmp_path / "a" / "T.ipynb", ["1"])
    write_notebook(tmp_path / "deep" / "er" / "kit" / "T.ipynb", ["2"])
    write_notebook(tmp_path / ".ipynb_checkpoints" / "T.ipynb", ["3"])
    (tmp_path / "deep" / "er" / "kit" / "cs231n").mkdir()
    kit = tmp_path / "deep" / "er" / "kit"
    assert find_notebook(tmp_path, "T.ipynb", kit) == kit / "T.ipynb"
    assert find_notebook(tmp_path, "T.ipynb", None) == tmp_path / "a" / "T.ipynb"
    assert find_notebook(tmp_path, "t.IPYNB", None) == tmp_path / "a" / "T.ipynb"
    assert find_notebook(tmp_path, "U.ipynb", None) is None


# ----------------------------------------------------------------------------- locked cells


def _kit():
    return make_notebook([
        ("code", "import numpy as np\nSETUP = 1", ("locked",), "s0"),
        ("code", "answer = None  # yours", (), "s1"),
        ("code", "check(answer)", ("locked",), "s2"),
        ("markdown", "Question", (), "s3"),
        ("code", "final(best_model)", ("locked",), "s4"),
    ])


def test_restore_locked_puts_back_altered_and_deleted_cells():
    entries = locked_cells(_kit())
    nb = make_notebook([
        ("code", "import numpy as np\nSETUP = 2  # edited", ("locked",), "s0"),
        ("code", "answer = 42", (), "s1"),
        ("markdown", "Question", (), "s3"),
        ("code", "final(best_model)\n\n", ("locked",), "s4"),  # trailing whitespace only: unchanged
    ])
    repairs = restore_locked(nb, entries)
    assert [(r.kind, r.cell_id, r.index) for r in repairs] == [("altered", "s0", 0), ("deleted", "s2", 2)]
    assert [c.source for c in nb.cells] == ["import numpy as np\nSETUP = 1", "answer = 42", "check(answer)",
                                            "Question", "final(best_model)\n\n"]
    assert "locked" in nb.cells[2].metadata.tags
    assert repairs[1].describe() == "locked cell 2 (s2) was missing: re-inserted"
    assert restore_locked(nb, entries) == []  # repaired: nothing left to do


def test_locked_cells_found_by_content_when_ids_differ():
    entries = locked_cells(_kit())
    nb = make_notebook([
        ("code", "import numpy as np\r\nSETUP = 1", (), "x0"),  # windows newlines, tags lost
        ("code", "answer = 1", (), "x1"),
        ("code", "check(answer)", (), "x2"),
        ("code", "final(best_model)", (), "x4"),
    ])
    assert restore_locked(nb, entries) == []
    assert [c.id for c in nb.cells] == ["x0", "x1", "x2", "x4"]


def test_the_kit_records_every_locked_cell_of_its_notebooks():
    manifest = load_manifest(kit=KIT)
    kits = sorted(KIT.glob("*.ipynb"))
    assert kits and sorted(manifest) == sorted(p.name for p in kits)
    for path in kits:
        kit = nbformat.read(path, as_version=4)
        entries = manifest[path.name]
        assert entries == locked_cells(kit), f"{path.name}: regenerate the kit (grader build-template)"
        assert len(entries) >= 3 and all(e["sha256"] == checksum(e["source"]) for e in entries)
        master = nbformat.read(MASTERS / path.name, as_version=4)
        master_locked = {c.id: checksum(c.source) for c in master.cells if "locked" in c.metadata.get("tags", [])}
        assert {e["id"]: e["sha256"] for e in entries} == master_locked


def test_a_tampered_kit_notebook_is_restored_from_the_kit_manifest():
    kit = nbformat.read(KIT / "FullyConnectedNets.ipynb", as_version=4)
    nb = nbformat.read(KIT / "FullyConnectedNets.ipynb", as_version=4)
    final = next(i for i, c in enumerate(nb.cells) if "val_acc = accuracy(best_model" in c.source)
    data = next(i for i, c in enumerate(nb.cells) if "get_CIFAR10_data(" in c.source)
    nb.cells[final].source = "print('validation accuracy 0.99')"
    del nb.cells[data]
    repairs = restore_locked(nb, load_manifest(kit=KIT)["FullyConnectedNets.ipynb"])
    assert sorted((r.kind, r.index) for r in repairs) == [("altered", final), ("deleted", data)]
    assert [c.source for c in nb.cells] == [c.source for c in kit.cells]


# ----------------------------------------------------------------------------- CIFAR-10 for the child


def test_locate_cifar_folder_archive_and_errors(tmp_path):
    folder = tiny_cifar(tmp_path / "d" / "cifar-10-batches-py", n=3)
    assert locate_cifar(tmp_path / "d") == locate_cifar(folder)
    assert locate_cifar(folder).kind == "dir" and locate_cifar(folder).folder == folder.resolve()
    archive = tmp_path / "t" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(folder, arcname="cifar-10-batches-py")
    src = locate_cifar(tmp_path / "t")
    assert (src.kind, src.location, src.folder) == ("tar", archive.resolve(), archive.parent.resolve())
    child = child_data_folder(src)
    assert (child / "data_batch_1").read_bytes() == (folder / "data_batch_1").read_bytes()
    with pytest.raises(DataError, match="no such file"):
        locate_cifar(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no CIFAR-10 there"):
        locate_cifar(tmp_path / "empty")


def test_the_childs_test_batch_is_a_stand_in(tmp_path):
    folder = tiny_cifar(tmp_path / "cifar", n=4)
    child = child_data_folder(locate_cifar(folder))
    assert sorted(p.name for p in child.iterdir()) == sorted(
        ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)])
    assert (child / "test_batch").read_bytes() == (folder / "data_batch_5").read_bytes()
    assert (child / "test_batch").read_bytes() != (folder / "test_batch").read_bytes()


# ----------------------------------------------------------------------------- grading without execution


def test_submission_without_notebooks_gets_errors_not_a_crash(tmp_path):
    prof = profile([fc_spec("FullyConnectedNets.ipynb"), NotebookSpec("Extra.ipynb", variable=None)])
    results = grade(submission(tmp_path / "s"), tmp_path, prof)
    tests = by_name(results)
    assert tests["notebook.FullyConnectedNets"]["status"] == "error"
    assert "FullyConnectedNets.ipynb was not found in the submission" in tests["notebook.FullyConnectedNets"]["output"]
    acc = tests["notebook.FullyConnectedNets[accuracy]"]
    assert (acc["status"], acc["score"], acc["max_score"]) == ("error", 0.0, 5.0)
    assert "notebook.Extra" in tests and "notebook.Extra[accuracy]" not in tests
    assert results["accuracy"] is None and results["status"] == "graded" and function_tests_graded(results)


def test_invalid_empty_and_codeless_notebooks_each_get_a_clear_status(tmp_path):
    specs = [fc_spec(n) for n in ("Bad.ipynb", "Empty.ipynb", "Blank.ipynb")]
    blank = nbformat.writes(make_notebook([])).encode()
    root = submission(tmp_path / "s", {"Bad.ipynb": b'{"cells": [', "Empty.ipynb": b"", "Blank.ipynb": blank})
    tests = by_name(grade(root, tmp_path, profile(specs)))
    assert tests["notebook.Bad"]["status"] == "error" and "not valid JSON" in tests["notebook.Bad"]["output"]
    assert "empty file" in tests["notebook.Empty"]["output"] and tests["notebook.Empty"]["status"] == "error"
    assert "no code cells" in tests["notebook.Blank"]["output"] and tests["notebook.Blank"]["status"] == "error"
    for stem in ("Bad", "Empty", "Blank"):
        assert tests[f"notebook.{stem}[accuracy]"]["status"] == "error"
        assert tests[f"notebook.{stem}[accuracy]"]["score"] == 0


def test_without_cifar_notebooks_are_skipped_with_an_actionable_message(tmp_path, monkeypatch):
    prof = profile([fc_spec()])
    prof = dataclasses.replace(prof, dataset=dataclasses.replace(prof.dataset, default=lambda: None))
    root = submission(tmp_path / "s", {"T.ipynb": ["print('hi')", MODEL_CELL]})
    results = grade(root, tmp_path, prof, data=None)
    tests = by_name(results)
    for name in ("notebook.T", "notebook.T[accuracy]"):
        assert tests[name]["status"] == "skipped"
        assert "CIFAR-10 not found" in tests[name]["output"]
        assert "--data PATH" in tests[name]["output"] and "CIFAR10_PATH" in tests[name]["output"]
    assert tests["notebook.T[accuracy]"]["max_score"] == 5.0 and results["accuracy"] is None
    written = executed(tmp_path)
    assert written.metadata.grader["executed"] is False and written.cells[0].source == "print('hi')"


def test_no_notebooks_grades_the_code_only(tmp_path):
    root = submission(tmp_path / "s", {"T.ipynb": ["1/0"]})
    results = grade(root, tmp_path, profile([fc_spec()]), notebooks=False)
    assert not [t for t in results["tests"] if t["name"].startswith("notebook.")]
    assert not (tmp_path / "out" / "notebooks").exists()


def test_a_failed_sandbox_run_still_writes_the_notebook(tmp_path):
    nb = make_notebook(["print(1)"])
    run = NotebookRun(fc_spec(), "pending")
    crash = TaskResult("notebook:T.ipynb", "crash", {}, {}, "the child process died during this task", False,
                       "kernel says bye", 3.0)
    _collect(run, nb, crash, tmp_path / "T.ipynb")
    assert run.status == "failed" and "child process died" in run.message and "kernel says bye" in run.message
    written = nbformat.read(tmp_path / "T.ipynb", as_version=4)
    assert written.metadata.grader["executed"] is False and written.cells[0].source == "print(1)"


def test_cli_refuses_missing_data_with_exit_code_2(tmp_path):
    root = submission(tmp_path / "s")
    args = ["grade", str(root), "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--data" in result.output and "no such file or folder" in result.output


# ----------------------------------------------------------------------------- execution in the sandbox


def test_errors_are_recorded_per_cell_and_later_cells_still_run(tmp_path):
    cells = ["print('start')", "raise ValueError('boom at cell one')", "print('after the error')", MODEL_CELL,
             "for i in range(300):\n    print('y' * 1000)"]
    prof = profile([fc_spec()], max_cell_output_bytes=50_000)
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path, prof)
    test = by_name(results)["notebook.T"]
    assert test["status"] == "failed"
    assert "5 of 5 code cells ran" in test["output"] and "cell 1: ValueError: boom at cell one" in test["output"]
    nb = executed(tmp_path)
    assert "after the error" in texts(nb.cells[2]) and nb.cells[2].execution_count == 3
    flood = texts(nb.cells[4])  # 300 kB printed, capped at 50 kB
    assert "[grader: further output dropped: over 50000 bytes]" in flood and 10_000 < len(flood) < 60_000
    assert by_name(results)["notebook.T[accuracy]"]["status"] == "failed"  # an untrained net: scored, no points
    assert function_tests_graded(results)


def test_an_infinite_loop_times_out_its_cell_and_the_function_checks_are_still_graded(tmp_path):
    cells = ["x = 1", "while True:\n    x += 1", "print('still running')", MODEL_CELL]
    prof = profile([fc_spec()], cell_timeout=2)
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path, prof)
    test = by_name(results)["notebook.T"]
    assert test["status"] == "failed" and "cell 1 timed out: no result after 2 s" in test["output"]
    nb = executed(tmp_path)
    assert "the grader stopped this cell after 2 s" in texts(nb.cells[1])
    assert texts(nb.cells[2]) == "still running\n"  # the stopped cell's late messages did not land here
    assert "error" not in by_name(results)["notebook.T[accuracy]"]["status"]  # the model was still read
    assert function_tests_graded(results) and results["status"] == "graded"


def test_the_nbclient_output_reader_the_driver_waits_for_after_a_timeout_exists():
    """nbdriver._settle_output_poll finds nbclient's per-cell output reader by name; an nbclient
    release that renames it must fail here, not silently mix a stopped cell's output into the next."""
    from nbclient import NotebookClient

    assert callable(getattr(NotebookClient, "_async_poll_output_msg", None))


def test_a_dead_kernel_is_detected_and_reported(tmp_path):
    cells = ["print('alive')", "import os\nos._exit(3)", "print('never')"]
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path, profile([fc_spec()]))
    test = by_name(results)["notebook.T"]
    assert test["status"] == "error" and "the kernel died" in test["output"]
    assert "cell 1: the kernel died while running it" in test["output"] and "1 cell not run" in test["output"]
    nb = executed(tmp_path)
    assert "alive" in texts(nb.cells[0]) and texts(nb.cells[2]) == ""
    assert "no model to score" in by_name(results)["notebook.T[accuracy]"]["output"]
    assert function_tests_graded(results)


def test_a_kernel_that_cannot_start_is_reported(tmp_path):
    prof = profile([fc_spec()], env=(("PYTHONPATH", str(tmp_path / "nothing")),), startup_timeout=20)
    results = grade(submission(tmp_path / "s", {"T.ipynb": ["print(1)"]}), tmp_path, prof)
    test = by_name(results)["notebook.T"]
    assert test["status"] == "error" and "the kernel failed to start" in test["output"]
    assert "1 cell not run (the kernel did not start)" in test["output"]
    assert executed(tmp_path).cells[0].source == "print(1)"
    assert function_tests_graded(results)


@pytest.mark.slow
def test_a_kernel_ignoring_interrupts_is_reported_hung(tmp_path):
    cells = ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", "print('never')"]
    prof = profile([fc_spec()], cell_timeout=2, interrupt_grace=2)
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path, prof)
    test = by_name(results)["notebook.T"]
    assert test["status"] == "error" and "the kernel hung" in test["output"]
    assert "did not respond within 2 s of an interrupt" in test["output"]
    assert executed(tmp_path).cells[0].outputs  # the timeout is recorded in the written notebook


@pytest.mark.slow
def test_the_notebook_budget_stops_the_remaining_cells(tmp_path):
    cells = ["import time\ntime.sleep(4)", "time.sleep(30)", "print('late')"]
    prof = profile([fc_spec()], cell_timeout=60, notebook_timeout=8)
    test = by_name(grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path, prof))["notebook.T"]
    assert test["status"] == "failed"
    assert "cell 1 timed out" in test["output"] and "(the rest of the notebook's time budget)" in test["output"]
    assert "1 cell not run (the notebook's time budget (8 s) was used up)" in test["output"]
    assert "late" not in texts(executed(tmp_path).cells[2])


def test_the_notebook_sees_only_the_stand_in_test_batch_and_no_network(tmp_path):
    real = tiny_cifar(tmp_path / "real" / "cifar-10-batches-py")
    probe = (
        "import os, socket\n"
        f"print('real data visible:', os.path.exists({str(real)!r}))\n"
        "try:\n"
        f"    open(os.path.join({str(real)!r}, 'test_batch'), 'rb').read(1)\n"
        "    print('real data readable: True')\n"
        "except OSError:\n"
        "    print('real data readable: False')\n"
        "d = os.environ['CIFAR10_PATH']\n"
        "read = lambda name: open(os.path.join(d, name), 'rb').read()\n"
        "same = read('test_batch') == read('data_batch_5')\n"
        "print('stand-in test batch:', same)\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "    print('network: reachable')\n"
        "except OSError:\n"
        "    print('network: none')\n"
        "import grader\n"
        "print('grader modules:', sorted(n for n in os.listdir(os.path.dirname(grader.__file__)) if n.endswith('.py')))"
    )
    root = submission(tmp_path / "s", {"T.ipynb": [probe]})
    results = grade(root, tmp_path, profile([fc_spec(variable=None, formula=None)]), data=real)
    out = texts(executed(tmp_path).cells[0])
    assert "real data readable: False" in out
    # Landlock refuses to list or read what is not allowed, but a path's existence still shows
    assert "real data visible: False" in out or results["isolation"]["filesystem"] == "landlock"
    assert "stand-in test batch: True" in out
    assert "network: none" in out
    assert "grader modules: ['__init__.py']" in out  # the stub, never the real grader
    assert by_name(results)["notebook.T"]["status"] == "passed"


def test_the_kernel_gets_the_configured_blas_threads(tmp_path):
    probe = ("import os, numpy, threadpoolctl\n"
             "blas = threadpoolctl.threadpool_info()\n"
             "print('threads', os.environ['OMP_NUM_THREADS'], sorted({p['num_threads'] for p in blas if p['user_api'] == 'blas'}))")
    root = submission(tmp_path / "s", {"T.ipynb": [probe]})
    grade(root, tmp_path, profile([fc_spec(variable=None, formula=None)], threads=1))
    assert texts(executed(tmp_path).cells[0]) == "threads 1 [1]\n"
    grade(root, tmp_path, profile([fc_spec(variable=None, formula=None)]))  # default: every core
    cores = len(os.sched_getaffinity(0))
    assert texts(executed(tmp_path).cells[0]).startswith(f"threads {cores} [")


def test_an_altered_locked_cell_is_restored_before_execution(tmp_path):
    kit = make_notebook([("code", "x = 1", ("locked",), "k0"), ("code", "y = x", (), "k1"),
                         ("code", "print('x is', x)", ("locked",), "k2")])
    locked = {"T.ipynb": locked_cells(kit)}
    cells = [("code", "x = 1000", ("locked",), "k0"), ("code", "y = x", (), "k1")]  # k0 edited, k2 deleted
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}), tmp_path,
                    profile([fc_spec(variable=None, formula=None)]), locked=locked)
    test = by_name(results)["notebook.T"]
    assert "locked cell 0 (k0) was changed: restored" in test["output"]
    assert "locked cell 2 (k2) was missing: re-inserted" in test["output"]
    nb = executed(tmp_path)
    assert [c.source for c in nb.cells] == ["x = 1", "y = x", "print('x is', x)"]
    assert "x is 1\n" == texts(nb.cells[2])


def test_settings_have_sensible_defaults():
    s = NotebookSettings()
    assert 10 <= s.startup_timeout <= 300 and s.cell_timeout <= s.notebook_timeout <= s.total_timeout
    assert s.memory_bytes >= 4 << 30  # the Dropout notebook's augmented float64 training set needs it
