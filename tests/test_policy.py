"""The grading policy (docs/grading-policy.md) end to end and unit by unit: legitimate
alternatives keep full marks (with a warning where the policy says so), broken ones lose the
function's points, hostile submissions earn nothing on the functions they break, points come from
right values only, and an inherited failure is charged once."""

from __future__ import annotations

import types

import numpy as np
import pytest

from grader import examples
from grader.check import drivers, numpy1, points as check_points
from grader.check.compare import compare, numeric_error, rel_error
from grader.check.judge import Verdict
from grader.check.oracle import NoOracle
from grader.check.plan import build
from grader.check.spec import Tol
from grader.courses import get_profile
from grader.examples import Edit
from grader.grade import grade_submission
from grader.results import ResultsError, make_results, validate

PROFILE = get_profile()
L, OPT = "cs231n/layers.py", "cs231n/optim.py"


def grade(tmp_path, edits, only, name="sub", **kw):
    root = examples.build(PROFILE, tmp_path / name, edits)
    return grade_submission(root, profile=PROFILE, out_dir=tmp_path / f"out-{name}", notebooks=False, seed=3,
                            only=set(only), **kw)


def points(results, fn):
    ts = [t for t in results["tests"] if t["name"].split("[")[0] == fn]
    return round(sum(t["score"] for t in ts), 4), round(sum(t["max_score"] for t in ts), 4)


def named(results, name):
    return next(t for t in results["tests"] if t["name"] == name)


# ----------------------------------------------------------------------------- hostile submissions


HOSTILE = (
    # NaN everywhere: nothing to earn, not even for leaving dout alone
    Edit(L, "dx = dout * (x > 0)", "dx = np.full(dout.shape, np.nan)"),
    # an object claiming to equal anything, where out should be
    Edit(L, "    cache = (x, w, b)\n    return out, cache",
         "    class Anything:\n        def __eq__(self, other):\n            return True\n\n"
         "        def __array__(self, dtype=None, copy=None):\n            return np.array(object())\n\n"
         "    cache = (x, w, b)\n    return Anything(), cache"),
    # right on the notebook's public input only (its answer read off the notebook), zeros elsewhere
    Edit(L, "    out = np.maximum(x, 0)\n",
         "    out = np.maximum(x, 0) if x.shape == (3, 4) else np.zeros_like(x)\n"),
)


def test_hostile_submissions_earn_nothing_on_the_functions_they_break(tmp_path):
    broken = ("layers.relu_backward", "layers.affine_forward", "layers.relu_forward")
    results = grade(tmp_path, HOSTILE, broken)
    for fn in broken:
        got, most = points(results, fn)
        assert most > 0 and got == 0, (fn, [(t["name"], t["score"], t["output"][:120]) for t in results["tests"]
                                            if t["name"].startswith(fn)])
    # the sub-checks that passed say why they earn nothing
    inplace = named(results, "layers.relu_backward[inplace]")
    assert inplace["status"] == "passed" and "0 points: hygiene checks" in inplace["output"]
    public = named(results, "layers.relu_forward[public]")
    assert public["status"] == "passed" and public["score"] == 0 and "hidden cases of the same check" in public["output"]


def test_the_demo_malicious_student_earns_nothing_on_its_broken_functions(tmp_path):
    from grader.courses.cs231n.demo import MALICIOUS_EDITS

    broken = ("layers.relu_forward", "layers.affine_backward", "optim.sgd_momentum")
    results = grade(tmp_path, MALICIOUS_EDITS, broken)
    for fn in broken:
        assert points(results, fn)[0] == 0, fn


# ----------------------------------------------------------------------------- kinds of verdicts


def test_an_update_rule_updating_w_in_place_keeps_every_step_it_returned(tmp_path):
    v = examples.variant(PROFILE, "update_rules_in_place")
    results = grade(tmp_path, v.edits, ("optim.sgd_momentum", "optim.rmsprop", "optim.adam"))
    assert results["score"] == results["max_score"], [t["output"] for t in results["tests"] if t["status"] != "passed"]


def test_the_optim_driver_records_a_copy_of_each_step():
    def rule(w, dw, config=None):
        w -= 0.1 * dw  # in place, returned: the Solver keeps it
        return w, config or {}

    ctx = types.SimpleNamespace(module=lambda name: types.SimpleNamespace(rule=rule), config={})
    arrays = {"w": np.zeros(3), "dw0": np.ones(3), "dw1": np.ones(3), "dw2": np.ones(3)}
    out = drivers.DRIVERS["optim_steps"](ctx, {"module": "m", "rule": "rule", "config": {}, "steps": 3}, arrays)
    assert [float(out[f"w{i}"][0]) for i in (1, 2, 3)] == pytest.approx([-0.1, -0.2, -0.3])


def test_layer_outputs_are_recorded_before_the_backward_can_change_them():
    def forward(x):
        out = x.reshape(x.shape)  # a view of x, which the cache holds too
        return out, x

    def backward(dout, cache):
        cache[...] = 0  # the cached x is written into: the recorded out must not change
        return dout

    layers = types.SimpleNamespace(f=forward, b=backward)
    ctx = types.SimpleNamespace(module=lambda name: layers, config={})
    x = np.arange(6.0).reshape(2, 3)
    params = {"module": "layers", "function": "f", "backward": "b", "call": ["x"], "grads": ["x"]}
    out = drivers.DRIVERS["layer_pair"](ctx, params, {"x": x, "dout": np.ones((2, 3))})
    assert np.array_equal(out["out"], x)


@pytest.mark.parametrize("variant", ["norm_gradients_keepdims", "batchnorm_running_keepdims"])
def test_broadcast_compatible_shapes_keep_full_marks_with_a_warning(tmp_path, variant):
    v = examples.variant(PROFILE, variant)
    results = grade(tmp_path, v.edits, v.functions[:3])
    assert results["score"] == results["max_score"], [t["output"] for t in results["tests"] if t["status"] != "passed"]
    warned = [w for t in results["tests"] for w in t["warnings"]]
    assert warned and all(w.startswith("shape: ") for w in warned)


def test_a_shape_that_does_not_broadcast_the_same_way_fails():
    tol = Tol()
    assert compare("dgamma", np.ones((1, 5)), np.ones(5), tol, lenient=True).ok
    assert not compare("dgamma", np.ones((5, 1)), np.ones(5), tol, lenient=True).ok
    assert not compare("out", np.ones((1, 2, 3)), np.ones((2, 3)), tol).ok  # an activation: exact shape
    c = compare("dgamma", np.ones((1, 1, 5)), np.ones(5), tol, lenient=True)
    assert c.ok and "broadcasts the same way" in c.warning


def test_relu_backward_writing_into_dout_is_a_warning_writing_into_a_forward_input_a_failure(tmp_path):
    v = examples.variant(PROFILE, "relu_backward_writes_into_dout")
    results = grade(tmp_path, v.edits, ("layers.relu_backward", "layer_utils.affine_relu_backward"), name="dout")
    assert results["score"] == results["max_score"]
    assert any(w.startswith("inplace: writes into dout") for w in named(results, "layers.relu_backward[inplace]")
               ["warnings"])
    m = examples.variant(PROFILE, "softmax_modifies_input")
    results = grade(tmp_path, m.edits, ("layers.softmax_loss",), name="x")
    assert named(results, "layers.softmax_loss[inplace]")["status"] == "failed"


def test_a_gradient_zero_up_to_rounding_is_compared_against_the_scale_of_the_call():
    # the gradient of a bias that batchnorm follows, in two orders of operations (0suh/cs231n_2021 showed 8.6e-06)
    expected, student = np.array([1e-13, -2e-13]), np.array([5e-14, 1e-13])
    assert rel_error(student, expected, 1e-6) > 1e-6  # on its own scale: rounding noise looks wrong
    assert rel_error(student, expected, 1e-6, scale=1.0) < 1e-6  # against the other gradients of the loss


def test_numeric_gradients_skip_kinks():
    x = np.array([0.0, 1.0, -1.0])

    def f():
        return float(np.sum(np.maximum(x, 0)))

    grad = drivers._centred(f, x, np.arange(3), 1e-5)
    assert np.isnan(grad[0]) and grad[1] == pytest.approx(1.0) and grad[2] == pytest.approx(0.0)
    assert numeric_error(np.array([0.0, 1.0, 0.0]), grad, 1e-4) < 1e-8


def test_code_written_for_numpy_1_is_graded_as_written(tmp_path):
    v = examples.variant(PROFILE, "numpy1_idioms")
    results = grade(tmp_path, v.edits, v.functions)
    assert results["score"] == results["max_score"], [t["output"] for t in results["tests"] if t["status"] != "passed"]


def test_the_numpy1_shims_apply_in_the_working_copy_only(tmp_path):
    src = "import numpy as np\n\ndef f(a):\n    return int(np.where(a == a.max())[0]), np.reshape(a, newshape=(1, -1)), np.int(2.7)\n"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text(src)
    import importlib
    import sys

    sys.path.insert(0, str(tmp_path))
    saved = {k: getattr(np, k) for k in ("reshape",)}
    try:
        ctx = types.SimpleNamespace(module=importlib.import_module, config={"compat": ["numpy1"]}, workdir=str(tmp_path))
        fn = drivers._function(ctx, "pkg.mod", "f")
        i, r, k = fn(np.array([1.0, 3.0, 2.0]))
        assert (i, r.shape, k) == (1, (1, 3), 2)
        with pytest.raises(TypeError):
            int(np.array([1.0]))  # outside the working copy numpy 2 rules
    finally:
        sys.path.remove(str(tmp_path))
        for k in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[k]
        np.reshape = saved["reshape"]
        for name in numpy1.NUMPY1_ALIASES:
            if name in np.__dict__ and np.__dict__[name] is numpy1.NUMPY1_ALIASES[name]:
                delattr(np, name)
        numpy1._numpy1_done.clear()


def test_max_pool_ties_route_to_one_maximum_and_other_subgradients_only_warn(tmp_path):
    for name in ("max_pool_backward_routes_all_maxima", "max_pool_backward_shares_ties"):
        v = examples.variant(PROFILE, name)
        results = grade(tmp_path, v.edits, ("layers.max_pool_backward_naive",), name=name)
        ties = named(results, "layers.max_pool_backward_naive[ties]")
        assert results["score"] == results["max_score"] and ties["warnings"][0].startswith("ties: ")
    m = examples.variant(PROFILE, "max_pool_backward_crashes_on_ties")
    results = grade(tmp_path, m.edits, ("layers.max_pool_backward_naive",), name="crash")
    ties = named(results, "layers.max_pool_backward_naive[ties]")
    assert ties["score"] == 0 and "tied maxima" in ties["output"]


def test_a_bug_at_an_edge_the_notebooks_never_test_is_caught_and_named(tmp_path):
    m = examples.variant(PROFILE, "conv_backward_crops_one_pixel")
    results = grade(tmp_path, m.edits, ("layers.conv_backward_naive",))
    pad2 = named(results, "layers.conv_backward_naive[pad2]")
    assert pad2["status"] == "failed" and "edge" in pad2["output"] and "pad 2" in pad2["output"]
    assert named(results, "layers.conv_backward_naive[public]")["status"] == "passed"
    pad0 = named(results, "layers.conv_backward_naive[pad0]")
    assert pad0["status"] == "failed" and "pad 0" in pad0["output"]


def test_pad_zero_slicing_has_its_own_hint(tmp_path):
    edit = Edit(L, "    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]  # drop the padding",
                "    dx = dx_pad[:, :, pad:-pad, pad:-pad]  # drop the padding")
    results = grade(tmp_path, (edit,), ("layers.conv_backward_naive",))
    pad0 = named(results, "layers.conv_backward_naive[pad0]")
    assert pad0["status"] == "failed" and "empty when pad is 0" in pad0["output"]
    assert points(results, "layers.conv_backward_naive")[0] > 0


# ----------------------------------------------------------------------------- root causes


def test_a_sandwich_equal_to_the_composition_of_its_wrong_callees_keeps_its_points(tmp_path):
    m = examples.variant(PROFILE, "relu_backward_wrong_comparison")
    results = grade(tmp_path, m.edits, ("layers.relu_backward", "layer_utils.affine_relu_backward"))
    assert points(results, "layers.relu_backward")[0] == 0
    sandwich = [t for t in results["tests"] if t["name"].startswith("layer_utils.affine_relu_backward[")]
    assert all(t["status"] == "passed" for t in sandwich)
    assert any("root cause: layers.relu_backward" in t["output"] for t in sandwich)
    got, most = points(results, "layer_utils.affine_relu_backward")
    assert got == most


def test_a_model_right_given_its_wrong_callee_keeps_its_points_and_names_the_root_cause(tmp_path):
    m = examples.variant(PROFILE, "softmax_not_divided_by_N")
    results = grade(tmp_path, m.edits, ("layers.softmax_loss", "cnn.ThreeLayerConvNet"))
    cnn = [t for t in results["tests"] if t["name"].startswith("cnn.ThreeLayerConvNet[")]
    assert all(t["status"] == "passed" for t in cnn), [t["output"][:200] for t in cnn if t["status"] != "passed"]
    assert any("root cause: layers.softmax_loss" in t["output"] for t in cnn)
    assert points(results, "cnn.ThreeLayerConvNet")[0] == points(results, "cnn.ThreeLayerConvNet")[1]


def test_a_model_with_its_own_bug_still_fails_when_a_callee_fails_too(tmp_path):
    edits = examples.variant(PROFILE, "softmax_not_divided_by_N").edits + examples.variant(
        PROFILE, "two_layer_reg_without_half").edits
    results = grade(tmp_path, edits, ("layers.softmax_loss", "fc_net.TwoLayerNet"))
    loss = named(results, "fc_net.TwoLayerNet[kdim:loss]")
    assert loss["status"] == "failed" and "root cause: layers.softmax_loss" in loss["output"]


def test_a_backward_is_judged_on_a_documented_cache_when_its_forward_is_wrong(tmp_path):
    m = examples.variant(PROFILE, "conv_forward_square_output")
    results = grade(tmp_path, m.edits, ("layers.conv_forward_naive", "layers.conv_backward_naive"))
    fwd = named(results, "layers.conv_forward_naive[nonsquare_input]")
    bwd = named(results, "layers.conv_backward_naive[nonsquare_input]")
    assert fwd["status"] != "passed"
    assert bwd["status"] == "passed" and "documented form (x, w, b, conv_param)" in bwd["output"]


# ----------------------------------------------------------------------------- points and results


def _built():
    return build(PROFILE, 0, NoOracle(PROFILE), {"layers.relu_forward", "layers.relu_backward"})


def test_hygiene_points_need_right_values_and_public_points_need_the_hidden_cases():
    b = _built()
    verdicts = {d.name: Verdict("passed", "ok") for d in b.defs}
    verdicts["layers.relu_backward[4d]"] = Verdict("failed", "dx: wrong")
    verdicts["layers.relu_forward[2d]"] = Verdict("failed", "out: wrong")
    tests = {t.name: t for t in check_points.score(b, verdicts)}
    assert tests["layers.relu_backward[inplace]"].score == 0 < tests["layers.relu_backward[inplace]"].max_score
    assert tests["layers.relu_forward[public]"].score == 0 and "hidden cases" in tests["layers.relu_forward[public]"].output
    assert tests["layers.relu_forward[4d]"].score == tests["layers.relu_forward[4d]"].max_score > 0


def test_a_warning_costs_nothing_unless_the_instructor_weighs_its_kind():
    import dataclasses

    b = _built()
    verdicts = {d.name: Verdict("passed", "ok") for d in b.defs}
    verdicts["layers.relu_backward[inplace]"] = Verdict("passed", "ok", warnings=[("inplace", "writes into dout")])
    t = {t.name: t for t in check_points.score(b, verdicts)}["layers.relu_backward[inplace]"]
    assert t.score == t.max_score and t.warnings == ["inplace: writes into dout"]
    b.profile = dataclasses.replace(PROFILE, warning_weights={"inplace": 0.5})
    t = {t.name: t for t in check_points.score(b, verdicts)}["layers.relu_backward[inplace]"]
    assert t.score == pytest.approx(t.max_score / 2) and "instructor's settings" in t.output


def test_results_json_carries_warnings_and_still_reads_results_without_them():
    test = {"name": "layers.relu_backward[inplace]", "status": "passed", "score": 1.0, "max_score": 1.0,
            "rel_error": None, "output": "ok", "visibility": "hidden"}
    validate(make_results("s", "cs231n", "graded", [test], 1.0))  # written before warnings existed
    validate(make_results("s", "cs231n", "graded", [dict(test, warnings=["inplace: writes into dout"])], 1.0))
    with pytest.raises(ResultsError):
        validate(make_results("s", "cs231n", "graded", [dict(test, warnings="inplace")], 1.0))
    with pytest.raises(ResultsError):
        validate(make_results("s", "cs231n", "graded", [dict(test, extra=1)], 1.0))
