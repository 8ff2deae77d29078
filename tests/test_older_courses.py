"""The older courses, CS231n 2016-2017 (`cs231n-2017`) and CS231n 2015 (`cs231n-2015`): their
master notebooks are their builder's output; their editions and courses are told apart from
the files alone; Python 2 files are reported per file with what would fix them, while the other
modules are graded; the given lines of a Python 2 kit run in their fixed form, reported; a model
kept as a plain dict is scored; and (slow) each master notebook runs in QUICK mode with the
reference and gets its model scored."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader import examples, python2
from grader.courses import get_profile, profiles
from grader.courses.profile import NotebookSettings
from grader.detect import detect
from grader.examples import Edit
from grader.grade import grade_submission

ROOT = Path(__file__).resolve().parent.parent


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


# ----------------------------------------------------------------------------- detection


@pytest.mark.parametrize("name,edition", [("cs231n-2017", "2016"), ("cs231n-2017", "2017"), ("cs231n-2015", None)])
def test_a_solved_submission_is_recognised_as_its_course_and_edition(name, edition, tmp_path):
    prof = get_profile(name, edition)
    root = examples.build(prof, tmp_path / "s")
    if edition == "2017":
        (root / "TensorFlow.ipynb").write_text("{}")
    for carried in (root / prof.package).glob("_canonical_*"):  # the default course's modules it carries
        shutil.rmtree(carried)
    det = detect(root, profiles())
    assert (det.profile, det.edition) == (name, edition), det.evidence


# ----------------------------------------------------------------------------- Python 2


def test_a_python2_file_is_reported_with_its_lines_and_fixes():
    text = ("import numpy as np\n"
            "import im2col\n"
            "def f(x):\n"
            "    if x:  print 'a', x\n"
            "    '''print x in a docstring'''\n"
            "    for i in xrange(3):\n"
            "        pass\n"
            "    try:\n"
            "        pass\n"
            "    except ValueError, e:\n"
            "        pass\n")
    status, message = python2.report(text, "pkg/f.py", siblings={"im2col"})
    assert status == "error" and "does not parse under Python 3" in message
    for part in ("print statement at line 4: use print(...)", "except X, e at line 10", "xrange at line 6: use range",
                 "implicit relative import of im2col"):
        assert part in message, message
    assert python2.report("def f():\n    return [i for i in xrange(3)]\n", "g.py")[0] == "failed"
    assert python2.report("def f():\n    print('x')\n    return range(3)\n", "h.py") is None


def test_a_module_that_does_not_parse_costs_its_own_functions_only(tmp_path):
    prof = get_profile("cs231n-2015")
    edit = Edit("cs231n/classifier_trainer.py", "                print('starting iteration ', it)\n",
                "                print 'starting iteration ', it\n")
    root = examples.build(prof, tmp_path / "py2", (edit,))
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", notebooks=False, seed=3)
    tests = by_name(results)
    report = tests["python.cs231n/classifier_trainer.py"]
    assert report["status"] == "error" and report["max_score"] == 0
    assert "print statement at line" in report["output"] and "use print(...)" in report["output"]
    trainer = [t for n, t in tests.items() if n.startswith("classifier_trainer.")]
    assert trainer and all(t["status"] == "error" for t in trainer)
    assert any("Python 2 print statement" in t["output"] for t in trainer)
    others = [t for n, t in tests.items() if not n.startswith(("classifier_trainer.", "python."))]
    assert others and all(t["status"] == "passed" for t in others)


def test_the_given_lines_of_a_python2_kit_run_fixed_and_are_reported(tmp_path):
    """A 2016 submission holding its kit's given Python 2 lines (and the kit's bn_param bug) grades
    in full: those lines are the course's, not the student's."""
    prof = get_profile("cs231n-2017", "2016")
    fc = "cs231n/classifiers/fc_net.py"
    edits = (
        Edit(fc, "        for k, v in self.params.items():\n", "        for k, v in self.params.iteritems():\n"),
        Edit(fc, "            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]\n",
             "            self.bn_params = [{'mode': 'train'} for i in xrange(self.num_layers - 1)]\n"),
        Edit(fc, "                bn_param['mode'] = mode\n", "                bn_param[mode] = mode\n"),
    )
    root = examples.build(prof, tmp_path / "kit2016", edits)
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", notebooks=False, seed=3,
                               only={"fc_net.FullyConnectedNet"})
    tests = by_name(results)
    given = tests["given.cs231n/classifiers/fc_net.py"]
    assert "3 line(s)" in given["output"] and "bn_param['mode'] = mode" in given["output"], given["output"]
    assert "python.cs231n/classifiers/fc_net.py" not in tests
    bad = [(n, t["output"]) for n, t in tests.items() if t["status"] != "passed"]
    assert not bad, bad


def test_a_file_saved_with_a_byte_order_mark_is_valid_python(tmp_path):
    """Some Windows editors start a file with a UTF-8 BOM; Python reads such a source as it is:
    no python.<file> report, full marks (a real 2024 ECE submission's cnn.py)."""
    prof = get_profile("cs231n-2017", "2017")
    root = examples.build(prof, tmp_path / "bom")
    path = root / "cs231n" / "layers.py"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", notebooks=False, seed=3,
                               only={"layers.affine_forward"})
    tests = by_name(results)
    assert "python.cs231n/layers.py" not in tests
    assert all(t["status"] == "passed" for t in tests.values()), tests


# ----------------------------------------------------------------------------- a dict model


def test_a_dict_model_is_rebuilt_and_scored_with_the_course_layout():
    from grader.reference import load_reference
    from grader.score import ModelError, accuracy

    prof = get_profile("cs231n-2015")
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((3072, 7)), rng.standard_normal((7, 10))
    arrays = {"model.W1": W1, "model.b1": np.zeros(7), "model.W2": W2, "model.b2": np.zeros(10)}
    model = prof.models["dict"].rebuild(load_reference(prof), {"class": "dict"}, arrays)
    X = rng.standard_normal((20, 3, 32, 32))
    rows = X.transpose(0, 2, 3, 1).reshape(20, -1)  # the 2015 notebooks' (32, 32, 3) order
    expected = np.argmax(np.maximum(rows @ W1, 0) @ W2, axis=1)
    assert accuracy(model, X, expected) == 1.0
    with pytest.raises(ModelError, match="W1 must be"):
        prof.models["dict"].rebuild(load_reference(prof), {}, dict(arrays, **{"model.W1": W1[:100]}))


def test_the_two_layer_formula_gives_extra_credit_above_56_percent():
    spec = get_profile("cs231n-2015").notebooks[0]
    f = spec.formula
    assert (f.fraction(0.49), f.fraction(0.50), f.fraction(0.56), f.fraction(0.585)) == pytest.approx((0, 1, 1, 1.2))


# ----------------------------------------------------------------------------- the master notebooks, QUICK


MASTERS = [("cs231n-2017", "FullyConnectedNets"), ("cs231n-2017", "BatchNormalization"), ("cs231n-2017", "Dropout"),
           ("cs231n-2017", "ConvolutionalNetworks"), ("cs231n-2015", "two_layer_net"), ("cs231n-2015", "layers"),
           ("cs231n-2015", "convnet")]


@pytest.mark.slow
@pytest.mark.cifar
@pytest.mark.parametrize("name,notebook", MASTERS, ids=[f"{a}-{b}" for a, b in MASTERS])
def test_the_solved_master_notebook_runs_quick_and_is_scored(name, notebook, tmp_path, cifar10_path):
    """Each master notebook, solved, in QUICK mode, with the reference: every cell runs, every
    inline check passes, and a scored notebook's model is scored by the grader's formula."""
    prof = get_profile(name)
    spec = next(nb for nb in prof.notebooks if nb.stem == notebook)
    prof = dataclasses.replace(prof, notebooks=(spec,), notebook_settings=NotebookSettings(env=(("QUICK", "1"),)))
    root = examples.build(prof, tmp_path / "alice")
    shutil.copy(get_profile(name).paths.notebooks / f"{notebook}.ipynb", root / f"{notebook}.ipynb")
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", data=cifar10_path,
                               only={"layers.relu_forward"})
    tests = by_name(results)
    run = tests[f"notebook.{notebook}"]
    assert run["status"] == "passed", run["output"]
    executed = json.loads((tmp_path / "out" / "notebooks" / f"{notebook}.ipynb").read_text())
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    printed = "".join("".join(o.get("text", "")) for o in outputs)
    assert "TOO LARGE" not in printed and "BELOW TARGET" not in printed, printed[-2000:]
    if spec.scored:
        acc = tests[f"notebook.{notebook}[accuracy]"]
        assert "recomputed by the grader" in acc["output"], acc["output"]
        assert results["accuracy"]["formula"].startswith(spec.file)
