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

import grader.grade
from grader.courses.profile import Edition, NotebookSettings, NotebookSpec
from grader.cli import cli
from grader.courses import get_profile
from grader.courses.family.cifar10 import DataError
from grader.courses.family.cifar10 import locate as locate_cifar
from grader.courses.family.cifar10 import staged_folder
from grader.execute import NotebookRun, _collect, find_notebook, load_notebook, prepare, resolve_spec
from grader.grade import grade_submission
from grader.integrity import Origin, checksum, load_manifest, locked_cells, restore_locked

KIT = get_profile("cs231n").paths.kit
MASTERS = get_profile("cs231n").paths.notebooks


def child_data_folder(src):
    return staged_folder(get_profile("cs231n"), "cs231n.data_utils", src)
from grader.results import render_table, validate
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
    write_notebook(tmp_path / "b" / "Q5_PyTorch.ipynb", ["4"])
    write_notebook(tmp_path / "b" / "Q5_PyTorch_old_copy.ipynb", ["5"])
    assert find_notebook(tmp_path, "PyTorch.ipynb", None) == tmp_path / "b" / "Q5_PyTorch.ipynb"  # renamed
    assert find_notebook(tmp_path, "T.ipynb", None) == tmp_path / "a" / "T.ipynb"  # the exact name first
    assert find_notebook(tmp_path, "Torch.ipynb", None) is None  # a name is matched as a word of another


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


# ----------------------------------------------------------------------------- notebooks that are not the kit's


def edition_profile(master_specs, edition_specs, **settings):
    """A profile whose masters are `master_specs`, graded as an edition "2099" listing `edition_specs`."""
    prof = profile(master_specs, **settings)
    edition = Edition("2099", years=(2099,), notebooks=tuple(edition_specs))
    return dataclasses.replace(prof, editions=(edition,)).for_edition("2099")


KIT_T = make_notebook([("code", "import kit_only_module", ("locked",), "k0"), ("code", "print('kit check')", ("locked",), "k1")])


def test_an_official_notebook_runs_untouched_scored_as_its_edition_says(tmp_path):
    prof = edition_profile([fc_spec("T.ipynb", offset=50)], [fc_spec("T.ipynb", offset=0, points=3.0)])
    root = submission(tmp_path / "s", {"T.ipynb": ["print('official cell')", MODEL_CELL]}, ours=False)
    results = grade(root, tmp_path, prof, locked={"T.ipynb": locked_cells(KIT_T)})
    run, acc = by_name(results)["notebook.T"], by_name(results)["notebook.T[accuracy]"]
    assert run["status"] == "passed" and "2 of 2 code cells ran" in run["output"]
    assert "not made from this project's kit (no metadata of this project's kit, and 0 of the kit's 2 locked cells" \
        in run["output"] and "run untouched" in run["output"] and "locked cell" not in run["output"].split("run untouched")[1]
    assert "Scored: best_model (FullyConnectedNet), 1 if validation accuracy >= 0% else 0, 3 points" in run["output"]
    assert [c.source for c in executed(tmp_path).cells] == ["print('official cell')", MODEL_CELL]  # nothing spliced in
    assert (acc["score"], acc["max_score"]) == (3.0, 3.0)
    (report,) = results["notebooks"]
    assert report["origin"] == "other" and report["executed"] and report["failed_cells"] == []
    assert report["scored"]["points"] == 3.0 and report["scored"]["score"] == 3.0
    assert report["locked_cells_restored"] is None
    line = render_table(results).splitlines()[-1]
    assert line.startswith("notebook T.ipynb: not the kit's (run untouched), 2/2 cells ran, none failed; accuracy 0.")
    assert line.endswith(" -> 3/3")


def test_the_same_notebook_made_from_the_kit_is_checked_and_scored_as_the_master(tmp_path):
    prof = edition_profile([fc_spec("T.ipynb", offset=50)], [fc_spec("T.ipynb", offset=0, points=3.0)])
    root = submission(tmp_path / "s", {"T.ipynb": ["print('my cell')", MODEL_CELL]})  # kit metadata
    results = grade(root, tmp_path, prof, locked={"T.ipynb": locked_cells(KIT_T)})
    run, acc = by_name(results)["notebook.T"], by_name(results)["notebook.T[accuracy]"]
    assert "made from this project's kit (its metadata names cs231n's kit notebook T.ipynb)" in run["output"]
    assert "locked cell 0 (k0) was missing: re-inserted" in run["output"]
    assert "ModuleNotFoundError" in run["output"]  # the kit's own (restored) cell ran
    assert acc["max_score"] == 5.0 and acc["score"] == 0.0  # the master's target: 50%, an untrained net
    assert results["notebooks"][0]["origin"] == "kit"


def test_a_kit_notebook_that_lost_its_metadata_is_recognised_by_its_locked_cells(tmp_path):
    cells = [("code", "import kit_only_module", ("locked",), "k0"), ("code", "print('kit check')", (), "zz"), MODEL_CELL]
    root = submission(tmp_path / "s", {"T.ipynb": cells}, ours=False)
    results = grade(root, tmp_path, profile([fc_spec(offset=0)]), locked={"T.ipynb": locked_cells(KIT_T)})
    run = by_name(results)["notebook.T"]
    assert "no kit metadata, but 2 of the kit's 2 locked cells of T.ipynb are in it" in run["output"]
    assert by_name(results)["notebook.T[accuracy]"]["score"] == 5.0


def test_without_a_known_edition_an_official_notebook_runs_and_nothing_is_scored(tmp_path):
    root = submission(tmp_path / "s", {"T.ipynb": [MODEL_CELL]}, ours=False)
    results = grade(root, tmp_path, profile([fc_spec(offset=0)]))
    run, acc = by_name(results)["notebook.T"], by_name(results)["notebook.T[accuracy]"]
    assert run["status"] == "passed" and "1 of 1 code cells ran" in run["output"]
    assert (acc["status"], acc["score"], acc["max_score"]) == ("skipped", 0.0, 0.0)
    assert "the course's edition is not known" in acc["output"] and results["accuracy"] is None
    assert results["notebooks"][0]["scored"] is None and "edition is not known" in results["notebooks"][0]["scoring"]


def test_resolve_spec_rules():
    master, official = fc_spec("T.ipynb", offset=50), fc_spec("T.ipynb", offset=0, points=3.0)
    ours, other = Origin(True, "metadata"), Origin(False, "no metadata")
    kit_prof = profile([master])
    assert resolve_spec(kit_prof, master, ours) == (master, "", "")
    spec, unscored, forfeit = resolve_spec(kit_prof, master, other)
    assert not spec.scored and "edition is not known" in unscored and forfeit == ""
    spec, unscored, forfeit = resolve_spec(kit_prof, master, other, from_kit=True)  # a kit submission
    assert spec == master and unscored == "" and "made from this project's kit" in forfeit
    no_editions = dataclasses.replace(kit_prof, editions=())
    assert resolve_spec(no_editions, master, other) == (master, "", "")  # the profile is the course
    ed = edition_profile([master], [official])
    assert resolve_spec(ed, official, other) == (official, "", "")
    assert resolve_spec(ed, official, ours) == (master, "", "")


def test_a_notebook_the_course_does_not_execute_is_reported_when_found(tmp_path):
    specs = [fc_spec(variable=None, formula=None, points=0.0),
             NotebookSpec("PyTorch.ipynb", not_executed="a PyTorch notebook, not graded here"),
             NotebookSpec("Absent.ipynb", not_executed="not graded here")]
    root = submission(tmp_path / "s", {"T.ipynb": ["print(1)"], "PyTorch.ipynb": ["import torch"]}, ours=False)
    results = grade(root, tmp_path, profile(specs))
    tests = by_name(results)
    assert tests["notebook.PyTorch"]["status"] == "skipped" and tests["notebook.PyTorch"]["max_score"] == 0
    assert "found at PyTorch.ipynb; not executed: a PyTorch notebook, not graded here" in tests["notebook.PyTorch"]["output"]
    assert "notebook.Absent" not in tests and [n["file"] for n in results["notebooks"]] == ["T.ipynb", "PyTorch.ipynb"]
    assert results["notebooks"][1]["why_not_executed"].endswith("a PyTorch notebook, not graded here")
    assert not (tmp_path / "out" / "notebooks" / "PyTorch.ipynb").exists()


COLAB_SETUP = """# This mounts your Google Drive to the Colab VM.
from google.colab import drive
drive.mount('/content/drive')
FOLDERNAME = 'cs231n/assignments/assignment2/'
assert FOLDERNAME is not None, "[!] Enter the foldername."
import sys
sys.path.append('/content/drive/My Drive/{}'.format(FOLDERNAME))
%cd /content/drive/My\\ Drive/$FOLDERNAME/cs231n/datasets/
!bash get_datasets.sh
%cd /content/drive/My\\ Drive/$FOLDERNAME"""
OLD_IMPORTS = """from __future__ import print_function
from builtins import range
from past.builtins import xrange
from future import standard_library
standard_library.install_aliases()
from imageio import imread
from PIL import Image
print('old imports ok', list(xrange(3)))"""
HARD_CODED_DATA = """import os, pickle
d = 'cs231n/datasets/cifar-10-batches-py'
with open(os.path.join(d, 'data_batch_1'), 'rb') as f:
    batch = pickle.load(f, encoding='latin1')
print('batch', len(batch['labels']), open(os.path.join(d, 'test_batch'), 'rb').read() == open(os.path.join(d, 'data_batch_5'), 'rb').read())"""


IMAGES = """from imageio import imread
print(imread('notebook_images/kitten.png').shape, imread('cs231n/notebook_images/puppy.png').shape)"""


def test_an_official_colab_notebook_runs_as_it_is(tmp_path):
    import imageio.v2 as imageio
    import numpy as np

    root = submission(tmp_path / "s", {"T.ipynb": [COLAB_SETUP, OLD_IMPORTS, HARD_CODED_DATA, IMAGES]}, ours=False)
    for rel, shape in (("notebook_images/kitten.png", (4, 6, 3)), ("cs231n/notebook_images/puppy.png", (5, 2, 3))):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        imageio.imwrite(root / rel, np.zeros(shape, dtype=np.uint8))
    raw = json.loads((root / "T.ipynb").read_text())  # as Colab saves it: nbformat 4.0, its ids in the metadata
    raw["nbformat_minor"] = 0
    for k, cell in enumerate(raw["cells"]):
        cell["metadata"] = {"id": f"colab{k}", "colab": {"base_uri": "https://localhost:8080/"}}
        del cell["id"]
    raw["metadata"] = {"colab": {"provenance": []}, "accelerator": "GPU"}
    (root / "T.ipynb").write_text(json.dumps(raw))
    results = grade(root, tmp_path, profile([fc_spec(variable=None, formula=None)]))
    run = by_name(results)["notebook.T"]
    assert run["status"] == "passed" and "4 of 4 code cells ran" in run["output"], run["output"]
    nb = executed(tmp_path)
    assert "[grader] Google Drive is not available while grading" in texts(nb.cells[0])
    assert texts(nb.cells[1]) == "old imports ok [0, 1, 2]\n"
    assert texts(nb.cells[2]) == "batch 20 True\n"  # the staged batches, the stand-in test batch
    assert texts(nb.cells[3]).startswith("(4, 6, 3) (5, 2, 3)\n")  # the images beside the notebook, in its package
    assert [c.id for c in nb.cells] == ["colab0", "colab1", "colab2", "colab3"]


def test_a_failing_colab_cell_is_reported_and_the_run_goes_on(tmp_path):
    cells = ["from google.colab import auth\nauth.authenticate_user()", "!pip install --quiet nothing-here 2>&1 | tail -1",
             "%cd /content/drive/MyDrive\nprint('still here')", MODEL_CELL]
    results = grade(submission(tmp_path / "s", {"T.ipynb": cells}, ours=False), tmp_path, profile([fc_spec()]))
    report = results["notebooks"][0]
    assert report["executed"] and report["cells_ran"] == 4
    assert [c["index"] for c in report["failed_cells"]] == [0] and "ImportError" in report["failed_cells"][0]["error"]
    assert "still here" in texts(executed(tmp_path).cells[2])


def test_the_course_requirements_are_all_available_to_the_kernel():
    from grader.execute import missing_requirements

    prof = get_profile("cs231n")
    assert {"imageio", "PIL", "past.builtins", "google.colab"} <= set(prof.requirements)
    assert missing_requirements(prof) == []
    assert missing_requirements(dataclasses.replace(prof, requirements=("no_such_module_xyz",))) == ["no_such_module_xyz"]


def test_each_notebooks_kernel_is_shut_down_before_the_next_notebook_runs(tmp_path):
    first = ["import os\nopen(os.path.join(os.environ['HOME'], 'kernel.pid'), 'w').write(str(os.getpid()))"]
    second = ["import os\npid = int(open(os.path.join(os.environ['HOME'], 'kernel.pid')).read())\n"
              "try:\n    os.kill(pid, 0)\n    print('previous kernel alive')\n"
              "except ProcessLookupError:\n    print('previous kernel gone')"]
    specs = [fc_spec("A.ipynb", variable=None, formula=None), fc_spec("B.ipynb", variable=None, formula=None)]
    grade(submission(tmp_path / "s", {"A.ipynb": first, "B.ipynb": second}), tmp_path, profile(specs))
    assert texts(executed(tmp_path, "B.ipynb").cells[0]) == "previous kernel gone\n"


def test_a_kit_notebook_saved_by_colab_or_vs_code_is_still_the_kits(tmp_path):
    """Colab writes nbformat 4.0 (no cell ids: its own in the cell metadata) and its state; VS
    Code writes 4.2 with widget state; both keep the notebook's other metadata, and attachments."""
    from grader.courses import get_profile as profile_named

    prof = profile_named("cs231n")
    entries = load_manifest(kit=KIT)
    for minor, extra in ((0, {"colab": {"provenance": []}, "accelerator": "GPU"}),
                         (2, {"vscode": {"interpreter": {"hash": "ab12"}},
                              "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})):
        raw = json.loads((KIT / "Dropout.ipynb").read_text())
        raw["nbformat_minor"] = minor
        raw["metadata"].update(extra)
        for k, cell in enumerate(raw["cells"]):
            cell.pop("id")
            if minor == 0:
                cell["metadata"]["id"] = f"colab{k}"
        raw["cells"][0]["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo="}}
        root = tmp_path / f"s{minor}"
        root.mkdir()
        (root / "Dropout.ipynb").write_text(json.dumps(raw))
        run = NotebookRun(prof.master_spec("Dropout.ipynb"), "pending")
        nb = prepare(run, root, None, prof.notebook_settings, entries, prof)
        assert run.origin.ours and "its metadata names cs231n's kit notebook Dropout.ipynb" in run.origin.evidence
        assert run.repairs == [] and run.spec == prof.master_spec("Dropout.ipynb")
        assert nb.nbformat_minor == 5 and len({c.id for c in nb.cells}) == len(nb.cells)
        nbformat.validate(nb)
        del raw["metadata"]["grader"]  # metadata lost too: the locked cells still tell
        (root / "Dropout.ipynb").write_text(json.dumps(raw))
        run = NotebookRun(prof.master_spec("Dropout.ipynb"), "pending")
        prepare(run, root, None, prof.notebook_settings, entries, prof)
        n = len(entries["Dropout.ipynb"])
        assert run.origin.ours and f"{n} of the kit's {n} locked cells" in run.origin.evidence


def test_a_notebook_runs_on_the_numpy_its_course_was_written_for(tmp_path):
    """The code checks give a course with the "numpy1" shim numpy 1's int() of a one-element array
    and its removed names; the notebook's kernel gets the same, in the notebook and in the
    student's modules (a 2019 max-pool backward `int(row)` failed two official cells without it)."""
    root = submission(tmp_path / "s", {"T.ipynb": [
        "import numpy as np\nprint('in the notebook', int(np.array([3])), np.float(2))",
        "from cs231n.helpers import first_max\nprint('in the package', first_max(np.array([[1.0, 5.0], [2.0, 0.0]])))",
    ]}, ours=False)
    (root / "cs231n" / "helpers.py").write_text(
        "import numpy as np\n\ndef first_max(a):\n    r, c = np.where(a == np.max(a))\n    return int(r), int(c)\n")
    prof = profile([fc_spec(variable=None, formula=None)])
    assert "numpy1" in prof.compat_shims
    results = grade(root, tmp_path, prof)
    report = results["notebooks"][0]
    assert report["executed"] and report["failed_cells"] == [], report["failed_cells"]
    nb = executed(tmp_path)
    assert texts(nb.cells[0]) == "in the notebook 3 2.0\n" and texts(nb.cells[1]) == "in the package (0, 1)\n"
    import numpy as np

    with pytest.raises(TypeError):
        int(np.array([3]))  # the grading process keeps numpy 2's rules
