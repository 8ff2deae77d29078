"""`grader mutate`: mutants of the tiny fixture course are generated, graded in the sandbox and
reported (counts, mutants.json, the HTML report); a variant of that course shows an equivalent
mutant, survivors and an accepted one; the operators make the mistakes they name, as
token-precise edits of solution blocks only."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.courses import ProfileError, validate
from grader.mutate.generate import generate
from grader.mutate.operators import OPERATORS
from grader.mutate.report import acceptance
from grader.strip import STAR_MARKERS, START_MARKER, END_MARKER

FIXTURES = Path(__file__).with_name("fixtures") / "courses"
TINY = FIXTURES / "tiny"
MUTANT_KEYS = {"id", "function", "functions", "operator", "source", "file", "line", "description", "status",
               "killed_by", "stage", "failing", "output", "probe", "accepted", "seconds", "diff"}
FUNCTION_KEYS = {"function", "mutants", "killed", "equivalent", "accepted", "survived", "error", "kill_rate"}


def grader(*args: str, courses: Path = FIXTURES, timeout: float = 600):
    env = dict(os.environ, GRADER_COURSES=str(courses))
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


# ----------------------------------------------------------------------------- the tiny course, end to end


def test_every_mutant_of_the_tiny_course_is_killed_and_reported(tmp_path):
    out = tmp_path / "mutate"
    r = grader("mutate", "--profile", "tiny", "--out", str(out), "--workers", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads((out / "mutants.json").read_text())
    assert data["schema"] == 1 and data["profile"] == "tiny" and data["seed"] == 1
    assert set(data["operators"]) == set(OPERATORS) | {"catalogue"}
    # 28 generated (5 more were duplicates of earlier ones) + the 2 catalogued classic bugs
    assert data["dropped"] == {"invalid": 0, "noop": 0, "duplicate": 5}
    assert {k: data["totals"][k] for k in ("mutants", "equivalent", "killed", "accepted", "survived", "error")} == \
        {"mutants": 30, "equivalent": 0, "killed": 30, "accepted": 0, "survived": 0, "error": 0}
    assert data["totals"]["kill_rate"] == 1.0
    per = {f["function"]: f for f in data["functions"]}
    assert list(per) == ["layers.scale_forward", "layers.scale_backward", "layers.square_forward",
                         "layers.square_backward"]
    assert {f: (v["mutants"], v["killed"]) for f, v in per.items()} == {
        "layers.scale_forward": (5, 5), "layers.scale_backward": (14, 14), "layers.square_forward": (4, 4),
        "layers.square_backward": (7, 7)}
    assert all(set(f) == FUNCTION_KEYS for f in data["functions"])
    mutants = {m["id"]: m for m in data["mutants"]}
    assert all(set(m) == MUTANT_KEYS for m in mutants.values())
    assert len(mutants) == 30
    # the catalogue joins the generated mutants; every kill names the check that made it
    assert mutants["layers.scale_backward:catalogue:scale_backward_not_summed"]["source"] == "catalogue"
    axis = mutants["layers.scale_backward:axis:1"]
    assert axis["status"] == "killed" and axis["killed_by"].startswith("layers.scale_backward[")
    assert axis["stage"] == "own" and "-    da = np.sum(dout * x, axis=0)" in axis["diff"]
    assert "+    da = np.sum(dout * x, axis=1)" in axis["diff"]
    inplace = mutants["layers.square_forward:inplace:1"]
    assert "+    x *= x\n" in inplace["diff"] and inplace["status"] == "killed"
    html = (out / "mutants.html").read_text()
    assert "Mutants of <code>tiny</code>" in html and "100.0%" in html
    assert "layers.scale_backward:axis:1" in html and "Survivors" not in html
    assert "layers.scale_forward" in r.stdout and "100.0%" in r.stdout and "mutants.html" in r.stdout


def _variant_course(root: Path) -> Path:
    """A copy of the tiny course whose reference has an equivalent mutant (a dtype cast that
    changes nothing) and survivors (a factor 1/(1 + 1e-7) the suite's tolerance cannot see), one
    of them accepted."""
    folder = root / "tinymut"
    shutil.copytree(TINY, folder)
    layers = folder / "reference" / "tinynet" / "layers.py"
    text = layers.read_text()
    text = text.replace("    out = x * a  # (N, D)\n", "    eps = 1e-7\n    out = x * a / (1.0 + eps)  # (N, D)\n")
    text = text.replace("    dx = 2.0 * x * dout\n", "    dx = 2.0 * x * dout\n    dx = dx.astype(x.dtype)\n")
    layers.write_text(text)
    init = folder / "__init__.py"
    text = init.read_text().replace('name="tiny"', 'name="tinymut"')
    text = text.replace("    total_points=10.0,\n", "    total_points=10.0,\n    accepted_mutants={\n"
                        '        "layers.scale_forward:division:*": "1 + 1e-7 is below the tolerance on purpose",\n'
                        '        "layers.scale_backward:*": "nothing to accept here: a stale entry",\n    },\n')
    init.write_text(text)
    return root


def test_equivalent_surviving_and_accepted_mutants_are_told_apart(tmp_path):
    courses = _variant_course(tmp_path / "courses")
    out = tmp_path / "mutate"
    r = grader("mutate", "--profile", "tinymut", "--only", "scale_forward", "--only", "layers.square_backward",
               "--out", str(out), "--workers", "2", "--probe-seeds", "3", courses=courses)
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((out / "mutants.json").read_text())
    assert data["only"] == ["layers.scale_forward", "layers.square_backward"] and data["workers"] == 2
    status = {m["id"]: m["status"] for m in data["mutants"]}
    assert {m["function"] for m in data["mutants"]} == {"layers.scale_forward", "layers.square_backward"}
    # skipping the cast changes nothing: equivalent, listed, and out of the kill rate
    assert status["layers.square_backward:statement:2"] == "equivalent"
    # dividing by 1 + 1e-7 or not: 5e-8 apart, within the suite's 1e-6 but not the probe's 1e-9
    survivors = sorted(i for i, s in status.items() if s in ("survived", "accepted"))
    assert survivors == ["layers.scale_forward:division:1", "layers.scale_forward:sign:1",
                         "layers.scale_forward:term:1"]
    assert status["layers.scale_forward:division:1"] == "accepted"
    by_id = {m["id"]: m for m in data["mutants"]}
    assert by_id["layers.scale_forward:division:1"]["accepted"] == "1 + 1e-7 is below the tolerance on purpose"
    assert "differs from the reference" in by_id["layers.scale_forward:sign:1"]["probe"]
    per = {f["function"]: f for f in data["functions"]}
    sf, sb = per["layers.scale_forward"], per["layers.square_backward"]
    assert (sf["equivalent"], sf["accepted"], sf["survived"]) == (0, 1, 2)
    assert sf["kill_rate"] == pytest.approx(sf["killed"] / sf["mutants"])
    assert (sb["equivalent"], sb["survived"]) == (1, 0) and sb["kill_rate"] == 1.0
    assert sb["killed"] == sb["mutants"] - 1
    # the stale entry is reported (scale_backward was not mutated in this run: only the matching one)
    assert data["stale_acceptances"] == []
    html = (out / "mutants.html").read_text()
    assert "Survivors" in html and "Accepted survivors" in html
    assert "+    out = x * a / (1.0 - eps)  # (N, D)" in html  # the sign survivor's diff
    assert "below the tolerance on purpose" in html
    assert "layers.scale_forward:sign:1" in r.stdout and "< 95.0%" in r.stdout


# ----------------------------------------------------------------------------- generation, in process


SOURCE = f'''import numpy as np


def norm_forward(x, gamma, cache, pad, stride):
    out = None
    # {START_MARKER[2:]}
    mu = x.mean(axis=0, keepdims=True)
    var = (x - mu).var(axis=0)
    xn = (x - mu) / np.sqrt(var + 1e-5)
    y = x.T.reshape(-1)
    total = 0
    for i in range(stride, x.shape[0]):
        total += x[i * stride : i + pad].sum()
    if pad > 0:
        total = -total
    out = gamma * xn + total
    z = x.copy()
    z -= mu
    # {END_MARKER[2:]}
    return out, (mu, var)
'''


def _fake_profile(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ops.py").write_text(SOURCE)
    return SimpleNamespace(
        editable=("pkg/ops.py",), paths=SimpleNamespace(reference=tmp_path), markers=STAR_MARKERS, mutants=(),
        functions=lambda: ["ops.norm_forward"], source=lambda rel, text: text)


def test_the_operators_make_the_mistakes_they_name_inside_the_blocks_only(tmp_path):
    gen = generate(_fake_profile(tmp_path))
    by_op: dict[str, list] = {}
    for m in gen.mutants:
        by_op.setdefault(m.operator, []).append(m)
    assert set(by_op) == set(OPERATORS)
    lines = SOURCE.splitlines()
    first = next(i for i, ln in enumerate(lines) if "START" in ln)
    last = next(i for i, ln in enumerate(lines) if "END" in ln)
    for m in gen.mutants:
        new = m.files["pkg/ops.py"].splitlines()
        changed = [i for i, (a, b) in enumerate(zip(lines, new)) if a != b]
        assert changed and first < changed[0] < last, m.id  # only inside the solution block
        ast.parse(m.files["pkg/ops.py"])
        assert m.id.startswith(f"ops.norm_forward:{m.operator}:")

    def described(op):
        return {m.description for m in by_op[op]}

    assert "mean(axis=0) -> mean(axis=1)" in described("axis")
    assert "mean(..., keepdims=True) -> mean(...) without keepdims" in described("axis")
    assert "np.sqrt(var + 1e-5) -> var + 1e-5" in described("statistics")
    assert {"var(...) -> std(...)", "var(...) -> var(..., ddof=1)"} <= described("statistics")
    assert "mean(...) -> sum(...)" in described("division")
    assert "(x - mu) / np.sqrt(var + 1e-5) -> x - mu" in described("division")
    assert "x.T -> x" in described("transpose") and "x.T.reshape(-1) -> x.T" in described("reshape")
    assert "i * stride -> i" in described("factor")
    assert {"i + pad -> i + pad + 1", "stride -> stride + 1", "-1 -> 0"} <= described("off_by_one")
    assert "gamma * xn + total -> gamma * xn - total" in described("sign") and "-total -> total" in described("sign")
    assert "gamma * xn + total -> gamma * xn" in described("term")
    assert "x.copy() -> x" in described("inplace")
    assert "if pad > 0: -> if False:" in described("branch") and "pad > 0 -> pad >= 0" in described("comparison")
    assert "total += x[i * stride : i + pad].sum() skipped" in described("statement")
    assert any(d.startswith("out = gamma * xn + total -> out = 0 * ") for d in described("constant"))
    assert "out = gamma * xn + total -> out = x" in described("input")
    # the edit is token-precise: the sign flip touches one character of one line
    flip = next(m for m in by_op["sign"] if m.description == "gamma * xn + total -> gamma * xn - total")
    assert "-    out = gamma * xn + total\n+    out = gamma * xn - total\n" in flip.diff
    # ids are deterministic
    (tmp_path / "again").mkdir()
    again = generate(_fake_profile(tmp_path / "again"))
    assert [(m.id, m.description) for m in again.mutants] == [(m.id, m.description) for m in gen.mutants]


def test_an_acceptance_names_ids_or_globs_and_needs_a_reason_and_a_graded_function():
    assert acceptance({"f:axis:1": "r"}, "f:axis:1") == ("f:axis:1", "r")
    assert acceptance({"f:axis:*": "r"}, "f:axis:12") == ("f:axis:*", "r")
    assert acceptance({"f:axis:*": "r"}, "f:sign:1") is None
    import dataclasses

    from grader.courses import get_profile

    prof = get_profile("cs231n")
    with pytest.raises(ProfileError, match="accepted_mutants layers.nowhere:axis:1"):
        validate(dataclasses.replace(prof, accepted_mutants={"layers.nowhere:axis:1": "a reason"}))
    with pytest.raises(ProfileError, match="needs the reason"):
        validate(dataclasses.replace(prof, accepted_mutants={"layers.affine_forward:axis:1": " "}))


# ----------------------------------------------------------------------------- hints


def test_a_failure_equal_to_a_generated_mutant_is_named_in_its_hint(tmp_path):
    """A layer norm backward summing over the wrong axis matches no classic bug's hint; the
    generated mutant it equals is named (in plain words, with no reference code)."""
    from grader import examples
    from grader.courses import get_profile
    from grader.grade import grade_submission

    prof = get_profile("cs231n")
    mutant = next(m for m in generate(prof, only={"layers.layernorm_backward"}, catalogue=False).mutants
                  if m.id == "layers.layernorm_backward:axis:1")
    assert mutant.description == "sum(axis=0) -> sum(axis=1)"
    sub = examples.build(prof, tmp_path / "sub", files=list(prof.editable))
    for rel, text in mutant.files.items():
        (sub / rel).write_text(text)
    results = grade_submission(sub, profile=prof, out_dir=tmp_path / "out", notebooks=False, seed=4,
                               only={"layers.layernorm_backward"})
    failed = [t for t in results["tests"] if t["name"].startswith("layers.layernorm_backward[")
              and t["status"] == "failed"]
    assert failed
    hinted = [t["output"] for t in failed if "generated mutant layers.layernorm_backward:axis:1" in t["output"]]
    assert hinted, [t["output"] for t in failed]
    assert "a reduction over the wrong axes" in hinted[0] and "sum(axis" not in hinted[0]


def test_a_mutant_is_also_graded_by_the_functions_calling_it_and_compared_exactly_by_the_probe():
    import numpy as np

    from grader.courses import get_profile
    from grader.mutate.run import dependants, difference
    from grader.sandbox import Task, TaskResult

    callers = dependants(get_profile("cs231n"))
    assert {"layer_utils.affine_relu_forward", "fc_net.TwoLayerNet", "fc_net.FullyConnectedNet",
            "cnn.ThreeLayerConvNet"} <= callers["layers.affine_forward"]
    assert "cnn.ThreeLayerConvNet" in callers["layers.relu_forward"]  # through conv_relu_pool_forward too
    assert callers["optim.adam"] == set()

    task = Task("f[c]", "layer_forward", {}, {"x": np.ones((2, 3))}, 1.0)
    exp = {"out": np.array([1.0, 2.0])}

    def result(out, info=None, status="ok"):
        return TaskResult("f[c]", status, {"out": np.asarray(out, dtype=float)}, info or {}, None, False, "", 0.0)

    assert difference(task, result([1.0, 2.0 + 1e-12]), exp, {}) is None
    assert "rel error" in difference(task, result([1.0, 2.0 + 1e-7]), exp, {})
    assert "shape" in difference(task, result([1.0, 2.0, 3.0]), exp, {})
    assert "non-finite" in difference(task, result([1.0, np.nan]), exp, {})
    assert "info mutated" in difference(task, result([1.0, 2.0], {"mutated": ["x"]}), exp, {"mutated": []})
    assert difference(task, result([1.0, 2.0], status="timeout"), exp, {}).startswith("timeout")


def test_a_course_built_on_another_gets_the_mutants_of_the_code_it_delegates_to(tmp_path):
    """cs231n-2015's affine_backward is `canonical.affine_backward(...)`: its mutants are those of
    the default course's affine_backward, applied to the copy a 2015 submission carries, and its
    own hidden suite must kill them."""
    from grader.courses import get_profile
    from grader.mutate.run import MutantGrader

    prof = get_profile("cs231n-2015")
    own = generate(prof, only={"layers.affine_backward"}, catalogue=False, via_base=False).mutants
    via = [m for m in generate(prof, only={"layers.affine_backward"}, catalogue=False).mutants if ":via:" in m.id]
    base = generate(get_profile("cs231n"), only={"layers.affine_backward"}, catalogue=False).mutants
    assert own == [] and len(via) == len(base) > 5
    assert all(list(m.files) == ["cs231n/_canonical_cs231n/layers.py"] and m.function == "layers.affine_backward"
               for m in via)
    grader = MutantGrader(prof, probe_seeds=1, scratch=tmp_path)
    wrong = next(m for m in via if "axis" in m.operator)
    assert grader.run(wrong).status == "killed"
