"""Accuracy scoring (grader.score): the formula as settings, the model rebuilt with the reference
from the arrays a notebook exported, the accuracy recomputed on held-out images, never the
printed one; and (slow) the solved master notebooks run and scored through the grader."""

from __future__ import annotations

import dataclasses

import nbformat
import numpy as np
import pytest
from nbhelpers import ONLY, by_name, fc_spec, profile, submission, tiny_cifar

from cs231n.classifiers.cnn import ThreeLayerConvNet
from cs231n.classifiers.fc_net import FullyConnectedNet
from cs231n.data_utils import get_CIFAR10_data
from grader.courses import get_profile
from grader.courses.profile import AccuracyFormula
from grader import examples
from grader.courses.family import cifar10
from grader.grade import grade_submission
from grader.results import validate
from grader.score import ModelError
from grader.score import rebuild as _rebuild

locate_cifar = cifar10.locate


def build(dest, edits=(), **kw):
    return examples.build(get_profile("cs231n"), dest, edits, **kw)


def rebuild(meta, arrays, classes):
    return _rebuild(get_profile("cs231n"), meta, arrays, classes)


def load_holdout(src, mean_images=49000):
    return cifar10.holdout(get_profile("cs231n"), "cs231n.data_utils", src, mean_images)

PROFILE = get_profile("cs231n")
SPECS = {s.stem: s for s in PROFILE.notebooks}


# ----------------------------------------------------------------------------- the formula


def test_ece_formula_min_floor_x_minus_32_over_28_clipped_at_0():
    ece = AccuracyFormula(offset=32, span=28, floor=True)
    assert ece.fraction(0.60) == 1.0 and ece.fraction(0.75) == 1.0
    assert ece.fraction(0.5999) == pytest.approx(27 / 28)  # floor(27.99) = 27
    assert ece.fraction(0.46) == pytest.approx(14 / 28)
    assert ece.fraction(0.32) == 0.0 and ece.fraction(0.10) == 0.0  # clipped, never negative
    assert ece.describe() == "clip(floor(X - 32) / 28, 0, 1), X in percent"


def test_cs231n_threshold_is_a_step_and_settings_change_the_result():
    step = AccuracyFormula(offset=50, span=0)
    assert step.fraction(0.4999) == 0.0 and step.fraction(0.50) == 1.0 and step.fraction(0.9) == 1.0
    assert AccuracyFormula(offset=50, span=10).fraction(0.55) == pytest.approx(0.5)  # floor off: linear
    assert AccuracyFormula(offset=50, span=10, clip=False).fraction(0.70) == pytest.approx(2.0)  # extra credit
    assert AccuracyFormula(offset=50, span=10, clip=False).fraction(0.40) == 0.0  # never negative
    bonus = AccuracyFormula(offset=50, span=0, bonus_from=56, bonus_per_point=0.1)
    assert bonus.fraction(0.55) == 1.0 and bonus.fraction(0.585) == pytest.approx(1.2)
    assert AccuracyFormula(offset=50, span=0).fraction(float("nan")) == 0.0
    assert step.describe("validation accuracy") == "1 if validation accuracy >= 50% else 0"


def test_the_default_profile_scores_each_notebook_model():
    assert list(SPECS) == ["FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks"]
    for spec in SPECS.values():
        assert spec.variable == "best_model" and spec.formula is not None and spec.points > 0
        assert spec.split == "validation"
    assert SPECS["ConvolutionalNetworks"].classes == ("ThreeLayerConvNet",)
    assert SPECS["FullyConnectedNets"].formula.fraction(0.5) == 1.0
    assert SPECS["FullyConnectedNets"].formula.fraction(0.49) == 0.0


# ----------------------------------------------------------------------------- rebuilding models


def _export(model, dtype="float32", normalization=None):
    """What the notebook driver sends back: arrays by name and the model's description."""
    arrays = {f"model.{k}": np.asarray(v, dtype=np.float64) for k, v in model.params.items()}
    for i, bn in enumerate(getattr(model, "bn_params", []) or []):
        for stat in ("running_mean", "running_var"):
            if stat in bn:
                arrays[f"bn_params.{i}.{stat}"] = np.asarray(bn[stat], dtype=np.float64)
    meta = {"class": type(model).__name__, "attributes": {"dtype": dtype, "normalization": normalization}}
    return meta, arrays


def _trained_bn_net(rs):
    model = FullyConnectedNet([12, 9], input_dim=3072, normalization="batchnorm", weight_scale=0.1, dtype=np.float64)
    for k in model.params:
        model.params[k] = model.params[k] + 0.1 * rs.randn(*model.params[k].shape)
    X, y = rs.randn(40, 3, 32, 32), rs.randint(10, size=40)
    for _ in range(3):
        model.loss(X, y)  # train-mode passes fill the running averages
    return model


@pytest.mark.parametrize("norm", [None, "batchnorm", "layernorm"])
def test_rebuilt_fully_connected_net_gives_the_same_scores(norm):
    rs = np.random.RandomState(0)
    if norm == "batchnorm":
        model = _trained_bn_net(rs)
    else:
        model = FullyConnectedNet([12, 9], normalization=norm, weight_scale=0.1, dtype=np.float64)
        for k in model.params:
            model.params[k] = model.params[k] + 0.1 * rs.randn(*model.params[k].shape)
    meta, arrays = _export(model, "float64", norm)
    rebuilt = rebuild(meta, arrays, ("FullyConnectedNet",))
    X = rs.randn(16, 3, 32, 32)
    np.testing.assert_allclose(rebuilt.loss(X), model.loss(X), rtol=1e-10)
    assert rebuilt is not model and rebuilt.normalization == norm


def test_rebuilt_conv_net_gives_the_same_scores():
    rs = np.random.RandomState(1)
    model = ThreeLayerConvNet(num_filters=4, filter_size=5, hidden_dim=11, weight_scale=0.05, dtype=np.float64)
    meta, arrays = _export(model, "float64")
    rebuilt = rebuild(meta, arrays, ("ThreeLayerConvNet",))
    X = rs.randn(3, 3, 32, 32)
    np.testing.assert_allclose(rebuilt.loss(X), model.loss(X), rtol=1e-10)


def test_arrays_that_do_not_make_the_model_are_refused():
    rs = np.random.RandomState(2)
    model = _trained_bn_net(rs)
    meta, arrays = _export(model, "float64", "batchnorm")
    with pytest.raises(ModelError, match="expected one of ThreeLayerConvNet"):
        rebuild(meta, arrays, ("ThreeLayerConvNet",))
    bad = dict(arrays, **{"model.b2": np.zeros(5)})
    with pytest.raises(ModelError, match=r"b2 has shape \(5,\), the reference's has \(9,\)"):
        rebuild(meta, bad, ("FullyConnectedNet",))
    with pytest.raises(ModelError, match="unexpected extra"):
        rebuild(meta, dict(arrays, **{"model.extra": np.zeros(3)}), ("FullyConnectedNet",))
    with pytest.raises(ModelError, match="no running_var"):
        rebuild(meta, {k: v for k, v in arrays.items() if k != "bn_params.1.running_var"}, ("FullyConnectedNet",))
    with pytest.raises(ModelError, match="NaN"):
        rebuild(meta, dict(arrays, **{"model.W1": np.full_like(arrays["model.W1"], np.nan)}), ("FullyConnectedNet",))
    small = FullyConnectedNet([5], input_dim=10)
    with pytest.raises(ModelError, match="needs 3072 inputs"):
        rebuild(*_export(small), ("FullyConnectedNet",))


# ----------------------------------------------------------------------------- held-out images


def test_holdout_is_prepared_as_get_cifar10_data_prepares_images(tmp_path):
    folder = tiny_cifar(tmp_path / "cifar", n=12)
    holdout = load_holdout(locate_cifar(folder), mean_images=40)
    data = get_CIFAR10_data(num_training=40, num_validation=0, num_test=12, cifar10_dir=str(folder))
    np.testing.assert_allclose(holdout.X["validation"], data["X_test"][:6], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(holdout.X["test"], data["X_test"][6:], rtol=1e-6, atol=1e-4)
    assert list(holdout.y["validation"]) + list(holdout.y["test"]) == list(data["y_test"])
    assert holdout.ranges == {"validation": (0, 5), "test": (6, 11)}


# ----------------------------------------------------------------------------- through the grader


def grade(root, tmp_path, prof, data, **kw):
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", seed=1, data=data,
                               only=kw.pop("only", ONLY), locked=kw.pop("locked", {}), **kw)
    validate(results)
    return results


CHEAT = ["import numpy as np\n"
         "from cs231n.classifiers.fc_net import FullyConnectedNet\n"
         "np.random.seed(3)\n"
         "best_model = FullyConnectedNet([30])  # never trained\n"
         "print('validation accuracy 0.99')"]


def test_a_printed_accuracy_is_reported_never_scored(tmp_path):
    folder = tiny_cifar(tmp_path / "cifar", n=40)
    results = grade(submission(tmp_path / "s", {"T.ipynb": CHEAT}), tmp_path, profile([fc_spec(offset=50)]), folder)
    # the same untrained net, built here: its accuracy on the held-out half is what must be scored
    state = np.random.get_state()
    try:
        np.random.seed(3)
        model = FullyConnectedNet([30])
    finally:
        np.random.set_state(state)
    holdout = load_holdout(locate_cifar(folder))
    expected = np.mean(np.argmax(model.loss(holdout.X["validation"]), axis=1) == holdout.y["validation"])
    test = by_name(results)["notebook.T[accuracy]"]
    assert results["accuracy"]["value"] == pytest.approx(expected, abs=1e-9)
    assert expected < 0.5 and test["score"] == 0 and test["status"] == "failed"
    assert "the notebook printed: validation accuracy 0.99 (not scored" in test["output"]


def test_a_model_that_learned_earns_the_points(tmp_path):
    folder = tiny_cifar(tmp_path / "cifar", n=40, learnable=True)
    train = ("import numpy as np\n"
             "from cs231n.data_utils import get_CIFAR10_data\n"
             "from cs231n.classifiers.fc_net import FullyConnectedNet\n"
             "from cs231n.solver import Solver\n"
             "np.random.seed(0)\n"
             "data = get_CIFAR10_data(num_training=180, num_validation=20, num_test=20)\n"
             "best_model = FullyConnectedNet([40], normalization='batchnorm', weight_scale=1e-2)\n"
             "solver = Solver(best_model, data, update_rule='adam', optim_config={'learning_rate': 3e-3},\n"
             "                num_epochs=15, batch_size=30, verbose=False)\n"
             "solver.train()\n"
             "print('validation accuracy', solver.best_val_acc)\n"
             "open = type = getattr = None  # names a notebook may rebind: the grader's export must not care")
    results = grade(submission(tmp_path / "s", {"T.ipynb": [train]}), tmp_path, profile([fc_spec(offset=90)]), folder)
    test = by_name(results)["notebook.T[accuracy]"]
    assert test["status"] == "passed" and test["score"] == test["max_score"] == 5.0, test["output"]
    acc = results["accuracy"]
    assert acc["split"] == "validation" and acc["value"] >= 0.9 and acc["points_fraction"] == 1.0
    assert acc["formula"] == "T.ipynb: 1 if validation accuracy >= 90% else 0"
    assert "validation accuracy 0." in test["output"] and "images 0..19" in test["output"]


@pytest.mark.slow
@pytest.mark.cifar
def test_a_notebook_that_prints_99_percent_but_trains_nothing_scores_about_10_percent(tmp_path, cifar10_path):
    real = str(cifar10_path.resolve())
    peek = (f"import os\nprint('real CIFAR-10 visible:', os.path.exists({real!r}))\n"
            f"try:\n    open({real!r}, 'rb').read(1)\n    print('real CIFAR-10 readable: True')\n"
            "except OSError:\n    print('real CIFAR-10 readable: False')")
    root = submission(tmp_path / "s", {"FullyConnectedNets.ipynb": CHEAT + [peek]})
    prof = dataclasses.replace(PROFILE, notebooks=(SPECS["FullyConnectedNets"],))
    results = grade(root, tmp_path, prof, cifar10_path)
    test = by_name(results)["notebook.FullyConnectedNets[accuracy]"]
    assert 0.05 < results["accuracy"]["value"] < 0.2
    assert test["score"] == 0 and results["accuracy"]["points_fraction"] == 0
    assert "the notebook printed: validation accuracy 0.99 (not scored" in test["output"]
    nb = nbformat.read(tmp_path / "out" / "notebooks" / "FullyConnectedNets.ipynb", as_version=4)
    printed = nb.cells[1].outputs[0]["text"]
    assert "real CIFAR-10 readable: False" in printed
    # Landlock refuses to list or read what is not allowed, but a path's existence still shows
    assert "real CIFAR-10 visible: False" in printed or results["isolation"]["filesystem"] == "landlock"


# ----------------------------------------------------------------------------- the solved master notebooks


@pytest.mark.slow
@pytest.mark.cifar
@pytest.mark.parametrize("name", list(SPECS))
def test_the_solved_master_notebook_runs_under_the_grader_and_its_model_is_scored(name, tmp_path, cifar10_path):
    """A master notebook as students get it, solved, submitted with the reference package and
    graded with the default profile in QUICK mode (small data, one epoch): every cell runs,
    every inline check passes, it is recognised as the kit's, and the model it leaves is scored
    with the profile's formula. The full-length runs and the accuracies they reach are
    benchmarks/master_notebooks.py's (benchmarks/README.md)."""
    root = build(tmp_path / "alice")
    nb = nbformat.read(get_profile("cs231n").paths.notebooks / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("assert not failed_checks, failed_checks", id="test-final"))
    nbformat.write(nb, root / f"{name}.ipynb")
    spec = SPECS[name]
    settings = dataclasses.replace(PROFILE.notebook_settings, env=(("QUICK", "1"),))
    prof = dataclasses.replace(PROFILE, notebooks=(spec,), notebook_settings=settings)
    results = grade_submission(root, profile=prof, out_dir=tmp_path / "out", data=cifar10_path, only=ONLY)
    validate(results)
    run, acc = by_name(results)[f"notebook.{name}"], by_name(results)[f"notebook.{name}[accuracy]"]
    assert run["status"] == "passed", run["output"]
    assert "was changed" not in run["output"] and "was missing" not in run["output"], run["output"]
    (report,) = results["notebooks"]
    assert report["origin"] == "kit" and report["cells_ran"] == report["code_cells"] and not report["failed_cells"]
    assert acc["status"] in ("passed", "failed") and acc["max_score"] == spec.points, acc["output"]
    assert 0.1 < results["accuracy"]["value"] <= 1.0  # a trained model, scored on the held-out images
    assert results["accuracy"]["formula"] == f"{spec.file}: {spec.formula.describe('validation accuracy')}"
    assert (tmp_path / "out" / "notebooks" / f"{name}.ipynb").is_file()


def test_results_json_accuracy_section_is_checked():
    from grader.results import ResultsError, make_results

    good = {"split": "validation", "value": 0.52, "points_fraction": 1.0, "formula": "T.ipynb: 1 if X >= 50% else 0"}
    validate(make_results("a", "cs231n", "graded", [], 1.0, good))
    for bad in ({**good, "value": float("nan")}, {**good, "value": 52.0}, {**good, "split": None},
                {k: v for k, v in good.items() if k != "formula"}):
        with pytest.raises(ResultsError):
            validate(make_results("a", "cs231n", "graded", [], 1.0, bad))
