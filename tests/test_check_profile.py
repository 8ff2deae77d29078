"""The cs231n profile: it covers every student function of the reference, and the engine derives
well-formed, deterministic tasks and test names from it."""

import ast
import json
import re

import numpy as np
import pytest

from grader.check import oracle as check_oracle, plan as check_plan
from grader.courses import UnknownProfile, get_profile
from grader.check.spec import qualnames
from grader.strip import START_MARKER

PROFILE = get_profile("cs231n")


def marked_functions() -> set[str]:
    """module.function / module.Class of every definition holding a solution block in the reference."""
    found = set()
    root = PROFILE.paths.reference
    for rel in PROFILE.editable:
        text = (root / rel).read_text(encoding="utf-8")
        marker_lines = [i for i, line in enumerate(text.splitlines(), start=1) if START_MARKER in line]
        module = rel[:-3].rsplit("/", 1)[-1]
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if any(node.lineno <= i <= node.end_lineno for i in marker_lines):
                    found.add(f"{module}.{node.name}")
    return found


@pytest.fixture(scope="module")
def built():
    return check_plan.build(PROFILE, seed=12345, oracle=check_oracle.ReferenceOracle(get_profile()))


def test_every_marked_function_of_the_reference_has_a_description():
    marked = marked_functions()
    assert len(marked) >= 25  # layers, models and update rules
    missing = marked - set(PROFILE.functions())
    assert not missing, f"student functions without checks: {sorted(missing)}"


def test_every_function_gets_tests_with_points(built):
    names = {d.function for d in built.defs}
    assert names == set(PROFILE.functions())
    for fn in names:
        assert built.points[fn] > 0
    assert len({d.name for d in built.defs}) == len(built.defs), "test names must be unique"


def test_test_names_are_qualified_names_with_a_case(built):
    for d in built.defs:
        assert re.fullmatch(r"[a-z_]+\.[A-Za-z_0-9]+\[[A-Za-z0-9_:.]+\]", d.name), d.name
        assert d.name.startswith(d.function + "[")


def test_task_params_are_json_and_arrays_are_plain_numbers(built):
    for p in built.plans:
        json.dumps(p.task.params)
        for arr in p.task.arrays.values():
            assert isinstance(arr, np.ndarray) and arr.dtype.kind in "biuf"


def test_public_cases_are_fixed_and_hidden_cases_follow_the_seed():
    oracle = check_oracle.ReferenceOracle(get_profile())
    a, b = (check_plan.build(PROFILE, seed=s, oracle=oracle) for s in (1, 2))
    pub = [(p, q) for p, q in zip(a.plans, b.plans) if p.tests[0].visibility == "visible"]
    hid = [(p, q) for p, q in zip(a.plans, b.plans) if p.tests[0].visibility == "hidden"]
    assert pub and hid
    for p, q in pub:
        assert p.task.name == q.task.name
        for k in p.task.arrays:
            assert np.array_equal(p.task.arrays[k], q.task.arrays[k]), p.task.name
    differ = sum(any(not np.array_equal(p.task.arrays[k], q.task.arrays.get(k, np.empty(0))) for k in p.task.arrays)
                 for p, q in hid)
    assert differ >= 0.9 * len(hid)


def test_the_same_seed_draws_the_same_inputs():
    oracle = check_oracle.ReferenceOracle(get_profile())
    a, b = (check_plan.build(PROFILE, seed=7, oracle=oracle) for _ in range(2))
    for p, q in zip(a.plans, b.plans):
        assert all(np.array_equal(p.task.arrays[k], q.task.arrays[k]) for k in p.task.arrays)


def test_hidden_cases_cover_awkward_shapes(built):
    names = {d.name for d in built.defs}
    for name in ("layers.affine_forward[kdim]", "layers.conv_backward_naive[stride2]",
                 "layers.conv_forward_naive[nonsquare_input]",
                 "layers.conv_backward_naive[nonsquare_filter]", "layers.conv_backward_naive[pad0]",
                 "layers.conv_backward_naive[pad2]", "layers.conv_backward_naive[stride3]",
                 "layers.max_pool_backward_naive[overlap]", "layers.max_pool_backward_naive[stride_gap]",
                 "layers.max_pool_forward_naive[nonsquare_pool]", "layers.spatial_groupnorm_backward[G1]",
                 "layers.spatial_groupnorm_backward[G_equals_C]", "layers.affine_backward[N1]", "layers.affine_backward[float32]",
                 "layers.max_pool_backward_naive[ties]", "fc_net.FullyConnectedNet[batchnorm:grads]",
                 "fc_net.FullyConnectedNet[layernorm:grads]", "fc_net.FullyConnectedNet[dropout:loss]",
                 "optim.adam[steps]", "optim.adam[defaults]", "solver.Solver[ThreeLayerConvNet]"):
        assert name in names
    conv = [p for p in built.plans if p.task.name == "layers.conv_forward_naive[nonsquare_filter]"][0]
    F, C, HH, WW = conv.task.arrays["w"].shape
    assert HH != WW


def test_public_expected_values_match_the_course_check_values(built):
    """The oracle run on the public inputs gives the notebooks' check values (docs/courses/cs231n.md) (the profile's public
    inputs are the notebooks' ones)."""
    oracle = built.oracle
    task = {p.task.name: p.task for p in built.plans}
    out, _ = oracle.expected(task["layers.affine_forward[public]"])
    assert np.allclose(out["out"], [[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    out, _ = oracle.expected(task["layers.conv_forward_naive[public]"])
    assert np.allclose(out["out"][0, 0], [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]])
    out, _ = oracle.expected(task["fc_net.TwoLayerNet[public]"])
    assert float(out["r0.loss"]) == pytest.approx(3.4702243556)
    assert float(out["r1.loss"]) == pytest.approx(26.5948426952)
    out, _ = oracle.expected(task["optim.adam[public]"])
    assert out["w1"][0, 0] == pytest.approx(-0.40094747) and out["w1"][3, 4] == pytest.approx(0.59801459)
    assert float(out["c.t"]) == 6


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(UnknownProfile, match="unknown profile 'nope'"):
        get_profile("nope")


def test_qualnames_follow_design_names():
    names = PROFILE.functions()
    for expected in ("layers.affine_backward", "optim.adam", "fc_net.FullyConnectedNet", "cnn.ThreeLayerConvNet",
                     "solver.Solver", "layers.conv_backward_naive"):
        assert expected in names
    assert all(len(qualnames(s)) >= 1 for s in PROFILE.specs)
