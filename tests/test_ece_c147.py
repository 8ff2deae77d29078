"""The UCLA ECE C147/C247 course (profile ece-c147): its markers, its editions (homeworks and
terms, told apart by their code), the workdir a submission of any term gets, its support code, its
scored models, its master notebooks (valid, reproducible, and, slow, executed and scored by the
course's formulas), `grader grade` detecting it and `grader demo` with its example class.
The contract every profile keeps (full marks, zero, mutants, alternatives, kit) is
tests/test_profiles.py's."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader import examples
from grader.courses import get_profile, profiles
from grader.courses.profile import NotebookSettings
from grader.detect import detect
from grader.grade import grade_submission
from grader.strip import MarkerError, find_blocks, strip_solutions
from grader.submission import assemble_workdir, find_packages

PROFILE = get_profile("ece-c147")
NOTEBOOKS = PROFILE.paths.notebooks
MASTERS = {"two_layer_nn": ("best_net", "TwoLayerNet"), "FC_nets": (None, None),
           "Dropout": ("model", "FullyConnectedNet"), "CNN": ("model", "ThreeLayerConvNet")}


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    """The reference as a solved submission (nndl/ with its copy of the default course's maths, utils/)."""
    return examples.build(PROFILE, tmp_path_factory.mktemp("ece") / "alice")


def _run(root: Path, code: str) -> str:
    """Run `code` in a fresh interpreter with `root` (a solved submission) first on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


# ----------------------------------------------------------------------------- markers


def test_the_course_markers_strip_between_the_rule_lines():
    text = textwrap.dedent('''\
        def f(x):
            out = None
            # ================================================================ #
            # YOUR CODE HERE:
            #   Compute out.
            # ================================================================ #
            out = 2 * x
            # ================================================================ #
            # END YOUR CODE HERE
            # ================================================================ #
            return out
        ''')
    stripped = strip_solutions(text, markers=PROFILE.markers)
    assert "out = 2 * x" not in stripped and "    pass\n" in stripped
    assert stripped.count("# ====") == 4 and "#   Compute out." in stripped  # rules and instructions stay
    with pytest.raises(MarkerError):  # a mistyped marker never leaves a solution in place
        find_blocks(text.replace("# YOUR CODE HERE:", "# YOUR CODE HERE"), markers=PROFILE.markers)


# ----------------------------------------------------------------------------- editions


def _edition(name):
    return PROFILE.for_edition(name)


def test_each_homework_grades_its_own_functions():
    hw3, hw4, hw5 = (set(_edition(n).functions()) for n in ("hw3", "hw4-2018-2019", "hw5"))
    assert {"neural_net.TwoLayerNet", "fc_net.TwoLayerNet", "layers.affine_forward"} <= hw3
    assert not hw3 & {"layers.dropout_forward", "optim.adam", "cnn.ThreeLayerConvNet"}
    assert {"layers.batchnorm_forward", "layers.dropout_forward", "optim.sgd_nesterov_momentum",
            "fc_net.FullyConnectedNet"} <= hw4 and "neural_net.TwoLayerNet" not in hw4
    assert hw5 == {q for q in PROFILE.functions() if q.startswith(("conv_layers.", "cnn."))}
    fc3 = next(s for s in _edition("hw3").specs if getattr(s, "cls", "") == "FullyConnectedNet")
    assert {c.name for c in fc3.configs} == {"public", "none", "deep_plain", "float32"}  # no batchnorm, no dropout


def test_the_keep_probability_terms_count_kept_units_and_give_the_net_one_minus_p():
    drop = next(s for s in PROFILE.specs if getattr(s, "check", "") == "dropout_forward" and s.points)
    assert drop.options["keep"] is False
    for name in ("hw4-2020-2023-2025", "hw4-2021-2024"):
        prof = _edition(name)
        check = next(s for s in prof.specs if getattr(s, "check", "") == "dropout_forward" and s.points)
        assert check.options["keep"] is True
        assert prof.complement == {"fc_net.FullyConnectedNet": ("dropout",)}
    from grader.check.drivers import _renamed

    class Ctx:
        config = {"complement": {"fc_net.FullyConnectedNet": ["dropout"]}}

    assert _renamed(Ctx, "nndl.fc_net", "FullyConnectedNet", {"dropout": 0.25, "reg": 0.5}) == {"dropout": 0.75, "reg": 0.5}
    assert _renamed(Ctx, "nndl.fc_net", "FullyConnectedNet", {"dropout": 0}) == {"dropout": 1}


def _homework(root: Path, files: dict[str, str]) -> Path:
    """A submission folder of skeleton modules: {"nndl/layers.py": "def affine_forward(x, w, b): ..."}."""
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(body))
    return root


LAYERS3 = "def affine_forward(x, w, b): pass\ndef affine_backward(d, c): pass\ndef relu_forward(x): pass\n" \
          "def relu_backward(d, c): pass\ndef softmax_loss(x, y): pass\n"
LAYERS4 = LAYERS3 + "def batchnorm_forward(x, g, b, p): pass\ndef batchnorm_backward(d, c): pass\n" \
                    "def dropout_forward(x, p): pass\ndef dropout_backward(d, c): pass\n"
OPTIM4 = "def sgd(w, dw, config=None): pass\ndef sgd_momentum(w, dw, config=None): pass\n" \
         "def sgd_nesterov_momentum(w, dw, config=None): pass\ndef rmsprop(w, dw, config=None): pass\n" \
         "def adam(w, dw, config=None): pass\n"
TWO_LAYER = "class TwoLayerNet(object):\n    def __init__(self, input_dim=3072, hidden_dims=100, num_classes=10, " \
            "dropout=0, weight_scale=1e-3, reg=0.0): pass\n    def loss(self, X, y=None): pass\n"


def _fc(default, two_layer=True):
    return (TWO_LAYER if two_layer else "") + f"""class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3072, num_classes=10, dropout={default}, use_batchnorm=False,
                 reg=0.0, weight_scale=1e-2, dtype=None, seed=None): pass
    def loss(self, X, y=None): pass
"""


@pytest.mark.parametrize("files,edition", [
    ({"nndl/layers.py": LAYERS3, "nndl/layer_utils.py": "", "nndl/fc_net.py": _fc(0), "nndl/optim.py": "def sgd(w, dw, config=None): pass\n",
      "nndl/neural_net.py": "class TwoLayerNet(object):\n    def __init__(self, input_size, hidden_size, output_size, std=1e-4): pass\n"
                            "    def loss(self, X, y=None, reg=0.0): pass\n    def train(self, X, y, X_val, y_val): pass\n"
                            "    def predict(self, X): pass\n",
      "cs231n/solver.py": ""}, "hw3"),
    ({"nndl/__init__.py": "", "nndl/layers.py": LAYERS4, "nndl/layer_utils.py": "", "nndl/fc_net.py": _fc(0, two_layer=False),
      "nndl/optim.py": OPTIM4, "cs231n/solver.py": ""}, "hw4-2018-2019"),
    ({"nndl/layers.py": LAYERS4, "nndl/layer_utils.py": "", "nndl/fc_net.py": _fc(1), "nndl/optim.py": OPTIM4,
      "utils/solver.py": ""}, "hw4-2020-2023-2025"),
    ({"nndl/layers.py": LAYERS4, "nndl/layer_utils.py": "", "nndl/fc_net.py": _fc(0), "nndl/optim.py": OPTIM4,
      "cs231n/solver.py": ""}, "hw4-2021-2024"),
    ({"nndl/layers.py": LAYERS4, "nndl/layer_utils.py": "", "nndl/optim.py": OPTIM4, "nndl/conv_layer_utils.py": "",
      "nndl/conv_layers.py": "def conv_forward_naive(x, w, b, p): pass\ndef conv_backward_naive(d, c): pass\n"
                             "def max_pool_forward_naive(x, p): pass\ndef max_pool_backward_naive(d, c): pass\n"
                             "def spatial_batchnorm_forward(x, g, b, p): pass\ndef spatial_batchnorm_backward(d, c): pass\n",
      "nndl/cnn.py": "class ThreeLayerConvNet(object):\n    def __init__(self, input_dim=(3, 32, 32), use_batchnorm=False): pass\n"
                     "    def loss(self, X, y=None): pass\n",
      "utils/fast_layers.py": ""}, "hw5"),
])
def test_a_homework_folder_is_recognised_by_its_code(tmp_path, files, edition):
    root = _homework(tmp_path / "sub", files)
    det = detect(root, profiles())
    assert (det.profile, det.edition) == ("ece-c147", edition), det.evidence


def test_a_solved_submission_of_the_kit_is_this_course_and_not_cs231n(solved):
    det = detect(solved, profiles())
    assert det.profile == "ece-c147" and det.edition is None, det.evidence


# ----------------------------------------------------------------------------- the workdir and the support code


def test_the_support_package_is_there_under_every_name_a_term_gives_it(tmp_path, solved):
    work = assemble_workdir(PROFILE, find_packages(solved, PROFILE), tmp_path / "work")
    for name in ("utils", "cs231n"):
        assert (work.path / name / "solver.py").is_file() and (work.path / name / "fast_layers.py").is_file()
    assert (work.path / "nnml" / "layers.py").is_file()  # the student package under its other name too
    assert "nndl/_canonical_cs231n/layers.py" in work.extra  # (an extra module of the example, never the student's)  # (an extra module of the example)


def test_the_given_fast_conv_takes_the_kits_float_padding_and_the_solver_the_students_rules(solved):
    out = _run(solved, """
        import numpy as np
        from utils.fast_layers import conv_forward_fast, conv_backward_fast
        from utils.solver import Solver
        x, w, b = np.random.randn(2, 3, 8, 8), np.random.randn(4, 3, 5, 5), np.random.randn(4)
        a, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": (5 - 1) / 2})
        c, _ = conv_forward_fast(x, w, b, {"stride": 1, "pad": 2})
        assert a.shape == (2, 4, 8, 8) and np.array_equal(a, c)
        conv_backward_fast(np.ones_like(a), cache)
        try:
            conv_forward_fast(x, w, b, {"stride": 1, "pad": 1.5})
        except ValueError as exc:
            print("refused:", exc)
        from nndl.fc_net import FullyConnectedNet
        data = {"X_train": np.random.randn(20, 6), "y_train": np.arange(20) % 3,
                "X_val": np.random.randn(5, 6), "y_val": np.arange(5) % 3}
        model = FullyConnectedNet([8], input_dim=6, num_classes=3)
        Solver(model, data, update_rule="sgd_nesterov_momentum", num_epochs=1, verbose=False).train()
        print("nesterov from nndl.optim")
        """)
    assert "refused: conv padding 1.5 is not a whole number" in out and "nesterov from nndl.optim" in out


# ----------------------------------------------------------------------------- scored models


def test_the_two_layer_net_is_scored_on_image_rows_channels_last(solved):
    from grader.score import accuracy, rebuild

    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3, 32, 32)).astype(np.float32)
    arrays = {"model.W1": rng.standard_normal((50, 3072)) * 1e-2, "model.b1": rng.standard_normal(50),
              "model.W2": rng.standard_normal((10, 50)), "model.b2": rng.standard_normal(10)}
    model = rebuild(PROFILE, {"class": "TwoLayerNet", "attributes": {}}, arrays, ("TwoLayerNet",))
    rows = X.transpose(0, 2, 3, 1).reshape(12, -1)  # what the notebook trains on
    hidden = np.maximum(0, rows @ arrays["model.W1"].T + arrays["model.b1"])
    y = np.argmax(hidden @ arrays["model.W2"].T + arrays["model.b2"], axis=1)
    assert accuracy(model, X, y) == 1.0
    from grader.score import ModelError

    with pytest.raises(ModelError, match="one row per unit"):  # CS231n's orientation is not this net
        rebuild(PROFILE, {"class": "TwoLayerNet"}, {**arrays, "model.W1": arrays["model.W1"].T}, ("TwoLayerNet",))


def test_a_batch_normalized_conv_net_is_rebuilt_with_its_running_averages():
    from grader.score import rebuild

    rng = np.random.default_rng(1)
    F, H = 4, 6
    arrays = {"model.W1": rng.standard_normal((F, 3, 3, 3)), "model.b1": np.zeros(F),
              "model.W2": rng.standard_normal((F * 16 * 16, H)), "model.b2": np.zeros(H),
              "model.W3": rng.standard_normal((H, 10)), "model.b3": np.zeros(10),
              "model.gamma1": np.ones(F), "model.beta1": np.zeros(F), "model.gamma2": np.ones(H),
              "model.beta2": np.zeros(H)}
    for i, n in enumerate((F, H)):
        arrays[f"bn_params.{i}.running_mean"] = rng.standard_normal(n)
        arrays[f"bn_params.{i}.running_var"] = rng.uniform(0.5, 2, n)
    model = rebuild(PROFILE, {"class": "ThreeLayerConvNet", "attributes": {"use_batchnorm": True}}, arrays,
                    ("ThreeLayerConvNet",))
    assert model.use_batchnorm and np.array_equal(model.bn_params[1]["running_var"], arrays["bn_params.1.running_var"])
    assert model.loss(rng.standard_normal((2, 3, 32, 32))).shape == (2, 10)


# ----------------------------------------------------------------------------- judging, generally


def test_a_zero_bias_of_a_broadcasting_shape_is_the_same_parameter():
    from grader.check.judge import _broadcasts

    assert _broadcasts((1, 50), (50,)) and _broadcasts((), (50,)) and _broadcasts((50,), (50,))
    assert not _broadcasts((50, 1), (50,)) and not _broadcasts((49,), (50,)) and not _broadcasts((2, 50), (50,))


def test_a_gradient_zero_up_to_rounding_is_judged_at_the_scale_of_the_others():
    from grader.check.compare import compare
    from grader.check.spec import GRAD_TOL

    expected, noisy = np.full(5, 1e-17), np.full(5, 9e-14)  # the gradient of a bias batchnorm follows
    assert not compare("db1", noisy, expected, GRAD_TOL).ok
    assert compare("db1", noisy, expected, GRAD_TOL, scale=0.4).ok
    assert not compare("db1", np.full(5, 1e-3), expected, GRAD_TOL, scale=0.4).ok  # a real gradient is not noise


# ----------------------------------------------------------------------------- the master notebooks


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def test_the_masters_pass_the_notebook_check():
    from grader.notebooks import check

    problems = check(PROFILE)
    assert problems == [], [str(p) for p in problems]


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_a_master_notebook_is_tagged_and_marked_as_the_kit_needs(name):
    nb = _read(name)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "locked" in _tags(code[0]) and "QUICK" in code[0].source and "def report(" in code[0].source
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    blocks = 0
    for index, cell in enumerate(nb.cells):
        found = find_blocks(cell.source, f"{name} cell {index}", PROFILE.markers)
        assert not (found and ({"locked"} & _tags(cell) or cell.cell_type == "markdown")), index
        blocks += len(found)
    assert blocks >= 1 and any("solution" in _tags(c) for c in nb.cells)
    variable, _ = MASTERS[name]
    if variable:  # the final model: reset outside the block, assigned inside, evaluated by a locked cell
        final = [c for c in code if find_blocks(c.source, name, PROFILE.markers)][-1]
        assert f"{variable} = None" in final.source.split("# YOUR CODE HERE:")[0]
        after = nb.cells[nb.cells.index(final) + 1]
        assert "locked" in _tags(after) and variable in after.source and "report_min" in after.source


@pytest.mark.slow
@pytest.mark.cifar
def test_the_solved_masters_run_in_quick_mode_and_get_scored_by_the_course_formulas(solved, tmp_path, cifar10_path):
    """The master notebooks, solved, submitted with the reference and graded with QUICK set in the
    kernel: each runs top to bottom, and the three scored ones get the accuracy the grader
    recomputes under the course's formula (short runs: the targets are not reached here; the
    full-length figures are in benchmarks/README.md)."""
    import shutil

    root = shutil.copytree(solved, tmp_path / "ada")
    for name in MASTERS:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", root / f"{name}.ipynb")
    prof = dataclasses.replace(PROFILE, notebook_settings=NotebookSettings(env=(("QUICK", "1"),), threads=1,
                                                                            cell_timeout=600, notebook_timeout=900))
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", data=cifar10_path,
                               only={"layers.relu_forward"})
    tests = {t["name"]: t for t in results["tests"]}
    for name in MASTERS:
        run = tests[f"notebook.{name}"]
        assert run["status"] == "passed", run["output"]
        executed = nbformat.read(tmp_path / "out" / "notebooks" / f"{name}.ipynb", as_version=4)
        outputs = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "TOO LARGE" not in outputs and "Error" not in outputs, outputs[-2000:]
    for name, formula in (("two_layer_nn", "floor(validation accuracy - 28) / 22"),
                          ("Dropout", "floor(validation accuracy - 32) / 28"),
                          ("CNN", "1 if validation accuracy >= 65%")):
        acc = tests[f"notebook.{name}[accuracy]"]
        assert "recomputed by the grader" in acc["output"] and formula in acc["output"], acc["output"]
        assert acc["max_score"] == 4.0
    assert results["accuracy"]["formula"].startswith("two_layer_nn.ipynb")


# ----------------------------------------------------------------------------- the command line


def test_the_committed_kit_is_the_build_of_the_reference_and_masters():
    r = subprocess.run([sys.executable, "-m", "grader", "build-template", "--profile", "ece-c147", "--check"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def test_grade_detects_the_course_and_demo_grades_its_class(tmp_path, solved):
    r = subprocess.run([sys.executable, "-m", "grader", "grade", str(solved), "--out", str(tmp_path / "out"),
                        "--json", "--no-notebooks"], capture_output=True, text=True, timeout=900)
    results = json.loads(r.stdout)
    assert r.returncode == 0 and results["profile"] == "ece-c147" and results["course"]["detected"]
    assert results["score"] == results["max_score"] == 88.0


@pytest.mark.slow
def test_the_demo_of_the_course_reaches_every_expected_verdict(tmp_path):
    r = subprocess.run([sys.executable, "-m", "grader", "demo", "--profile", "ece-c147", "--out", str(tmp_path / "demo")],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0 and "Demo verdicts: all as expected." in r.stdout, r.stdout[-3000:]
