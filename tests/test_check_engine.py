"""The check engine (grader/check/), judged on hand-made sandbox results (no child processes):
the parent decides from numbers only, and every kind of failure becomes a test status."""

import numpy as np
import pytest

from grader.check import oracle as check_oracle, plan as check_plan, points as check_points, run as check_run
from grader.courses import get_profile
from grader.courses.family.checks import route_once
from grader.sandbox import TaskResult

PROFILE = get_profile("cs231n")


@pytest.fixture(scope="module")
def built():
    return check_plan.build(PROFILE, seed=99, oracle=check_oracle.ReferenceOracle(get_profile()))


def plan(built, name):
    return next(p for p in built.plans if p.task.name == name)


def result(name, outputs, info=None, status="ok", error=None, not_implemented=False):
    return TaskResult(name, status, outputs, info or {}, error, not_implemented, "", 0.01)


def reference_result(built, name):
    """What a perfect student would send: the reference's own outputs."""
    p = plan(built, name)
    out, info = built.oracle.expected(p.task)
    return p, result(name, {k: v.copy() for k, v in out.items()}, info)


@pytest.mark.parametrize("name", ["layers.affine_forward[kdim]", "layers.conv_backward_naive[stride2]",
                                  "optim.adam[steps]", "layers.softmax_loss[odd]",
                                  "layers.batchnorm_forward[running]"])
def test_the_reference_outputs_pass(built, name):
    p, r = reference_result(built, name)
    verdicts = check_run.judge_plan(built, p, r)
    assert verdicts and all(v.status == "passed" for v in verdicts.values()), verdicts


def test_nan_fails_even_where_the_reference_is_nan_free(built):
    p, r = reference_result(built, "layers.affine_forward[kdim]")
    r.outputs["out"][0, 0] = np.nan
    (v,) = check_run.judge_plan(built, p, r).values()
    assert v.status == "failed" and "NaN" in v.output


def test_a_claim_of_success_in_info_earns_nothing(built):
    p = plan(built, "layers.affine_forward[kdim]")
    r = result(p.task.name, {}, {"status": "passed", "passed": True, "score": 100})
    (v,) = check_run.judge_plan(built, p, r).values()
    assert v.status == "failed" and "missing" in v.output


def test_wrong_shape_fails_with_both_shapes_named(built):
    p, r = reference_result(built, "layers.affine_backward[kdim]")
    x = p.task.arrays["x"]
    r.outputs["dx"] = r.outputs["dx"].reshape(x.shape[0], -1)
    (v,) = check_run.judge_plan(built, p, r).values()
    assert v.status == "failed"
    assert str(tuple(x.shape)).replace(" ", "") in v.output.replace(" ", "")
    assert "forgot to reshape dx" in v.output


def test_not_implemented_is_an_error_that_says_so(built):
    p = plan(built, "layers.relu_forward[2d]")
    r = result(p.task.name, {}, status="error", error="NotImplementedByStudent: relu_forward: out is None",
               not_implemented=True)
    (v,) = check_run.judge_plan(built, p, r).values()
    assert v.status == "error" and v.output.startswith("not implemented")


@pytest.mark.parametrize("status,word", [("timeout", "timed out"), ("crash", "crashed")])
def test_timeouts_and_crashes_are_errors_of_every_test_of_the_task(built, status, word):
    p = plan(built, "fc_net.FullyConnectedNet[batchnorm]")
    r = result(p.task.name, {}, status=status, error="details")
    verdicts = check_run.judge_plan(built, p, r)
    assert len(verdicts) == 4 and all(v.status == "error" and v.output.startswith(word) for v in verdicts.values())


def test_a_judging_bug_becomes_an_error_not_an_exception(built):
    p = plan(built, "layers.affine_forward[kdim]")
    r = result(p.task.name, {"out": "not an array"})
    (v,) = check_run.judge_plan(built, p, r).values()
    assert v.status in ("failed", "error")


def test_dropout_statistics_are_computed_in_the_parent(built):
    p = plan(built, "layers.dropout_forward[stats]")
    x = p.task.arrays["x"]
    rng = np.random.default_rng(0)
    out = {}
    for j, keep in enumerate(p.task.params["ps"]):
        out[f"train{j}"] = x * (rng.random(x.shape) < keep) / keep
        out[f"test{j}"] = x.copy()
    out["again0"], out["other0"] = out["train0"].copy(), x * (rng.random(x.shape) < 0.25) / 0.25
    info = {"mutated": [], "dtype": {"float32_train": "float32", "float32_test": "float32"}}
    v = check_run.judge_plan(built, p, result(p.task.name, out, info))
    assert all(t.status == "passed" for t in v.values()), v
    # the same masks without the 1/p scaling: caught, and named
    for j, keep in enumerate(p.task.params["ps"]):
        out[f"train{j}"] = out[f"train{j}"] * keep
    info["dtype"]["float32_train"] = "float64"
    v = check_run.judge_plan(built, p, result(p.task.name, out, info))
    assert v["layers.dropout_forward[dtype]"].status == "failed"
    assert v["layers.dropout_forward[inverted]"].status == "failed"
    assert "not inverted" in v["layers.dropout_forward[inverted]"].output
    assert v["layers.dropout_forward[keep_fraction]"].status == "passed"


def test_route_once_accepts_any_single_maximum_warns_on_other_subgradients_and_rejects_the_rest():
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.array([[[[2.0]]]])
    first = np.array([[[[2.0, 0.0], [0.0, 0.0]]]])
    last = np.array([[[[0.0, 0.0], [0.0, 2.0]]]])
    every = np.array([[[[2.0, 2.0], [0.0, 2.0]]]])
    shared = np.array([[[[2 / 3, 2 / 3], [0.0, 2 / 3]]]])
    off_max = np.array([[[[0.0, 0.0], [2.0, 0.0]]]])
    arrays, values = {"x": x, "dout": dout}, {"pool_param": pool}
    for dx in (first, last):
        c = route_once(arrays, {"dx": dx}, values)
        assert c.ok and not c.warning
    # ties the notebooks never test: other subgradients are accepted with a warning (docs/grading-policy.md)
    c = route_once(arrays, {"dx": every}, values)
    assert c.ok and c.warning_kind == "ties" and "every element equal to its maximum" in c.warning
    c = route_once(arrays, {"dx": shared}, values)
    assert c.ok and c.warning_kind == "ties" and "shares" in c.warning
    c = route_once(arrays, {"dx": off_max}, values)
    assert not c.ok and "does not go to its maxima" in c.problem


def test_scores_split_each_functions_points_over_its_tests(built):
    verdicts = {d.name: check_plan.Verdict("passed", "") for d in built.defs}
    tests = check_points.score(built, verdicts)
    per_fn = {}
    for d, t in zip(built.defs, tests):
        per_fn[d.function] = per_fn.get(d.function, 0) + t.max_score
        assert t.score == t.max_score > 0
    for fn, total in per_fn.items():
        assert total == pytest.approx(built.points[fn], abs=1e-3)
    assert sum(per_fn.values()) == pytest.approx(100, abs=0.01)
    assert built.points["layers.batchnorm_forward"] == 4  # value checks + running averages


def test_blocked_modules_follow_imports():
    probes = {"cs231n.layers": result("import:cs231n.layers", {}, status="timeout", error="timed out after 2 s")}
    blocked = check_run._blocked(PROFILE, probes)
    assert set(blocked) == {"cs231n.layers", "cs231n.layer_utils", "cs231n.classifiers.fc_net", "cs231n.classifiers.cnn"}
    assert "cs231n/layers.py timed out" in blocked["cs231n.classifiers.fc_net"]


def test_error_tests_list_every_test_as_an_error():
    tests = check_points.error_tests(PROFILE, "broken zip")
    assert tests and all(t.status == "error" and t.output == "broken zip" and t.score == 0 for t in tests)


def test_the_oracle_never_serves_another_seeds_expected_values():
    oracle = check_oracle.ReferenceOracle(get_profile())
    a = check_plan.build(PROFILE, seed=1, oracle=oracle, only={"layers.affine_forward"})
    b = check_plan.build(PROFILE, seed=2, oracle=oracle, only={"layers.affine_forward"})
    pa, pb = (next(p for p in x.plans if p.task.name == "layers.affine_forward[2d]") for x in (a, b))
    ea, _ = oracle.expected(pa.task)
    eb, _ = oracle.expected(pb.task)
    xa, w, bias = (pb.task.arrays[k] for k in ("x", "w", "b"))
    assert np.allclose(eb["out"], xa.reshape(len(xa), -1) @ w + bias)
    assert ea["out"].shape != eb["out"].shape or not np.allclose(ea["out"], eb["out"])


def test_a_loss_of_the_wrong_shape_fails_cleanly(built):
    p, r = reference_result(built, "fc_net.TwoLayerNet[kdim]")
    r.outputs["r0.loss"] = np.ones(3)
    v = check_run.judge_plan(built, p, r)
    assert v["fc_net.TwoLayerNet[kdim:loss]"].status == "failed"
    assert "shape (3,)" in v["fc_net.TwoLayerNet[kdim:loss]"].output
