"""`grader check` and the kit's public expectations: run on copies of the committed student kit,
with the reference out of reach (loading any reference fails the test)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from grader.check import oracle as check_oracle, plan as check_plan
from grader.courses import get_profile
from grader.check.public import (
    ARRAYS,
    CHECK_STEPS,
    EXPECTATIONS_DIR,
    GRID_BITS,
    MANIFEST,
    ZERO_BELOW,
    PublicRun,
    StoredExpectations,
    StoredOracle,
    check_tolerance,
    diff_expectations,
    grid_step,
    print_rich,
    public_plans,
    quantise_outputs,
    quantised,
    write_npz,
    write_public_expectations,
)
from grader.cli import cli
from grader.strip import END_MARKER, START_MARKER
from grader.template import find_leaks

PROFILE = get_profile("cs231n")
COMMITTED = PROFILE.paths.kit
REFERENCE_PKG = PROFILE.paths.reference / "cs231n"


def _copy_kit(dest: Path) -> Path:
    shutil.copytree(COMMITTED, dest, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints"))
    return dest


def _with_reference(kit: Path) -> Path:
    """The kit with every editable file replaced by the reference's (a student who solved it all)."""
    for rel in PROFILE.editable:
        shutil.copyfile(PROFILE.paths.reference / rel, kit / rel)
    return kit


def _function_block(text: str, name: str) -> tuple[int, int]:
    """(start, end) offsets of the text between `name`'s START and END marker lines."""
    at = text.index(f"\ndef {name}(")
    start = text.index(START_MARKER, at)
    start = text.index("\n", start) + 1
    end = text.rindex("\n", 0, text.index(END_MARKER, start)) + 1
    return start, end


def _solve(kit: Path, name: str, module: str = "layers.py") -> None:
    """Copy the reference's solution of one function into the kit, by text substitution."""
    ref = (REFERENCE_PKG / module).read_text(encoding="utf-8")
    path = kit / "cs231n" / module
    mine = path.read_text(encoding="utf-8")
    rs, re_ = _function_block(ref, name)
    ks, ke = _function_block(mine, name)
    assert mine[ks:ke].strip() == "pass"
    path.write_text(mine[:ks] + ref[rs:re_] + mine[ke:], encoding="utf-8")


@pytest.fixture(scope="module")
def no_reference():
    """Loading any course's reference fails, for the whole module."""

    def refuse(*args, **kwargs):
        raise AssertionError("the public checks loaded a reference")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("grader.reference.ReferenceTree.__init__", refuse)
        yield


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def _check_json(*args: str) -> tuple[int, dict]:
    code, out = _check(*args, "--json")
    return code, json.loads(out)


@pytest.fixture(scope="module")
def empty_kit(tmp_path_factory, no_reference) -> tuple[Path, int, dict]:
    kit = _copy_kit(tmp_path_factory.mktemp("empty") / "kit")
    code, data = _check_json(str(kit))
    return kit, code, data


@pytest.fixture(scope="module")
def stored() -> StoredExpectations:
    return StoredExpectations.load(COMMITTED / EXPECTATIONS_DIR)


# ----------------------------------------------------------------------------- the stored expectations


def test_expectations_are_deterministic_plain_numbers(tmp_path):
    files = [write_public_expectations(tmp_path / name, profile=PROFILE) for name in ("a", "b")]
    for fa, fb in zip(*files):
        assert fa.read_bytes() == fb.read_bytes(), fa.name  # one machine, one build: the same bytes
    manifest, npz = files[0]
    assert manifest.read_bytes() == (COMMITTED / EXPECTATIONS_DIR / MANIFEST).read_bytes()  # no computed number
    # the committed kit may come from another machine: its expected numbers agree within the stated tolerance
    assert diff_expectations(npz, COMMITTED / EXPECTATIONS_DIR / ARRAYS) is None
    with zipfile.ZipFile(npz) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(npz, allow_pickle=False) as z:
        assert len(z.files) > 50
        for key in z.files:
            assert z[key].dtype.kind in "biuf", key
            assert key.split("/")[0] in ("in", "out")
    grid = json.loads(manifest.read_text(encoding="utf-8"))["expected_values"]
    assert (grid["grid_bits"], grid["zero_below"], grid["check_steps"]) == (GRID_BITS, ZERO_BELOW, CHECK_STEPS)


def test_expected_values_are_on_a_grid_tied_to_their_scale(stored):
    """Every stored expected array is a multiple of its grid step, its zeros are +0.0, and the
    arrays that are zero up to rounding (whose sign the BLAS kernel decides) are exact zeros."""
    for task, outputs in stored.outputs.items():
        for key, v in outputs.items():
            assert v.dtype == np.float64 and np.all(np.isfinite(v)), (task, key)
            assert not np.any(np.signbit(v) & (v == 0)), (task, key)
            peak = float(np.max(np.abs(v))) if v.size else 0.0
            if peak:
                # half a step: the largest entry may have rounded up to the next power of two
                steps = v / (grid_step(peak) / 2)
                assert np.array_equal(steps, np.rint(steps)), (task, key)
    # the gradient of a bias that batchnorm follows is zero up to rounding: exactly 0 in the kit
    bn = stored.outputs["fc_net.FullyConnectedNet[public_batchnorm]"]
    for key in ("r0.g.b1", "r0.g.b2", "r1.g.b1", "r1.g.b2"):
        assert bn[key].shape in ((20,), (30,)) and not np.any(bn[key]), key
    assert not np.any(stored.outputs["layer_utils.conv_bn_relu_backward[public]"]["db"])
    # small but real values keep all their digits (ThreeLayerConvNet's scores are 1e-9 of its task's scale)
    scores = stored.outputs["cnn.ThreeLayerConvNet[public]"]["scores"]
    assert 0 < np.max(np.abs(scores)) < 1e-6 and np.count_nonzero(scores) == scores.size


def test_quantising_rounds_to_the_grid_and_zeroes_what_is_rounding():
    a = np.array([1.0, -0.75, 3e-15, -3e-15, 1e-13, 1 / 3])
    q = quantised(a)
    step = 2.0**-GRID_BITS  # max|a| = 1.0 = 2^0 * 1, so 2^(1 - 1) <= 1 < 2^1: e = 1, step 2^(1 - 44)
    assert grid_step(1.0) == 2 * step and grid_step(0.99) == step and grid_step(0.0) == 0.0
    assert q[0] == 1.0 and q[1] == -0.75  # on the grid already: exact
    assert q[2] == 0.0 and q[3] == 0.0 and not np.signbit(q[3])  # below half a step: +0.0
    assert abs(q[4] - 1e-13) <= step and q[4] != 0
    assert abs(q[5] - 1 / 3) <= step and q[5] != 1 / 3
    assert np.all(np.abs(q - a) <= grid_step(1.0) / 2)
    np.testing.assert_array_equal(quantised(np.zeros((2, 3))), np.zeros((2, 3)), strict=True)
    assert quantised(np.float64(2.5)).shape == () and float(quantised(np.float64(2.5))) == 2.5
    # a task: an array below ZERO_BELOW of the task's scale is rounding noise, stored as zeros;
    # a small array well above it keeps its own grid (its own relative precision)
    task = quantise_outputs({"loss": 2.3, "g.W": np.array([1e-3, -2e-3]), "g.b": np.array([4.4e-16, -6.9e-18]),
                             "scores": np.array([4.4e-7, -1.3e-8])})
    assert task["loss"].shape == () and task["loss"] == quantised(2.3)
    np.testing.assert_array_equal(task["g.b"], [0.0, 0.0], strict=True)
    np.testing.assert_allclose(task["scores"], [4.4e-7, -1.3e-8], rtol=1e-12)
    with pytest.raises(ValueError, match="g.W"):
        quantise_outputs({"g.W": np.array([1.0, np.nan])})


def _npz_file(path: Path, arrays: dict) -> Path:
    write_npz(path, {k: np.asarray(v) for k, v in arrays.items()})
    return path


def test_check_compares_expected_numbers_within_the_stated_tolerance(tmp_path):
    """--check's comparison of two expectations.npz: outputs within CHECK_STEPS grid steps of the
    array's scale, inputs exactly, and the first difference named with both values and the tolerance."""
    w = np.array([[0.5, -0.25, 1 / 3], [2e-16, 0.0, -1.5]])
    base = {"in/t[public]/x": np.linspace(-1, 1, 6).reshape(2, 3), "out/t[public]/out": quantised(w)}
    fresh = _npz_file(tmp_path / "fresh.npz", base)
    step = grid_step(1.5)
    assert check_tolerance(1.5) == CHECK_STEPS * step <= 2.0**-40 * 1.5

    def committed(name, **changes):
        return _npz_file(tmp_path / f"{name}.npz", {**base, **changes})

    assert diff_expectations(fresh, committed("same")) is None
    moved = base["out/t[public]/out"].copy()
    moved[1, 0], moved[0, 2] = -step, moved[0, 2] + 3 * step  # a noise entry's sign, a few last bits
    assert diff_expectations(fresh, committed("close", **{"out/t[public]/out": moved})) is None
    moved[1, 2] -= 20 * step
    why = diff_expectations(fresh, committed("far", **{"out/t[public]/out": moved}))
    assert why.startswith(f"out/t[public]/out[1, 2]: committed {-1.5 - 20 * step!r}, fresh -1.5, ")
    assert "tolerance" in why and f"{CHECK_STEPS} grid steps of 2^-{GRID_BITS}" in why and "1.5" in why
    # inputs are compared exactly: one ulp, or -0.0 for 0.0, is a difference
    x = base["in/t[public]/x"].copy()
    x[0, 1] = np.nextafter(x[0, 1], 2)
    why = diff_expectations(fresh, committed("ulp", **{"in/t[public]/x": x}))
    assert why.startswith("in/t[public]/x[0, 1]: committed ") and "(compared exactly)" in why
    signed = {"in/z": np.array([0.0, 1.0])}
    assert "in/z[0]" in diff_expectations(_npz_file(tmp_path / "z1.npz", signed),
                                          _npz_file(tmp_path / "z2.npz", {"in/z": np.array([-0.0, 1.0])}))
    # keys, dtypes and shapes
    assert diff_expectations(fresh, committed("extra", **{"out/t[public]/db": np.ones(2)})) == (
        "out/t[public]/db: in the committed kit but not in a fresh build")
    assert "committed float64 (3, 2), fresh float64 (2, 3)" in diff_expectations(
        fresh, committed("shape", **{"out/t[public]/out": quantised(w.T)}))
    # the same arrays written another way (numpy's own savez: other dates, another order) are not the kit's file
    other = tmp_path / "savez.npz"
    np.savez(other, **{k: v for k, v in reversed(base.items())})
    assert "not written as `grader build-template` writes them" in diff_expectations(fresh, other)


def test_check_reads_a_committed_npz_as_untrusted_data(tmp_path):
    fresh = _npz_file(tmp_path / "fresh.npz", {"out/t/out": np.ones(3)})
    hostile = tmp_path / "hostile.npz"
    np.savez(hostile, **{"out/t/out": np.array([{"a": 1}, None], dtype=object)})  # needs pickle to load
    why = diff_expectations(fresh, hostile)
    assert why.startswith("the committed file is not a readable npz") and "pickle" in why.lower()
    broken = tmp_path / "broken.npz"
    broken.write_bytes(fresh.read_bytes()[:40])
    assert diff_expectations(fresh, broken).startswith("the committed file is not a readable npz")


def test_only_public_inputs_go_into_the_kit(stored):
    manifest = stored.manifest
    tests = [d for t in manifest["tasks"] for d in t["tests"]]
    assert tests and all(d["visibility"] == "visible" for d in tests)
    assert all("[public" in d["name"] for d in tests)
    # every function the profile describes has a public check: none is hidden-only
    assert manifest["no_public_checks"] == []
    assert stored.functions() == PROFILE.functions()
    # none of the hidden inputs the engine draws (for the seed the writer builds with, or another) is stored
    kept = {hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
            for arrays in stored.inputs.values() for a in arrays.values()}
    for seed in (0, 12345):
        b = check_plan.build(PROFILE, seed, StoredOracle(stored))
        public = {p.task.name for p in public_plans(b)}
        assert public == set(stored.tasks)
        for p in b.plans:
            if p.task.name not in public:
                for a in p.task.arrays.values():
                    if a.size > 4:
                        assert hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() not in kept, p.task.name


def test_no_reference_code_in_the_kit_data():
    text = (COMMITTED / EXPECTATIONS_DIR / MANIFEST).read_text(encoding="utf-8")
    assert "def " not in text and "import" not in text and "@" not in text.replace('"@', "")
    assert find_leaks(COMMITTED, PROFILE, notebooks=PROFILE.paths.notebooks) == []


def test_stored_oracle_gives_the_references_answers(stored):
    """The stored answers are the reference's on this machine, put on their grid, up to the
    tolerance that covers another machine's BLAS (the kit may have been built elsewhere)."""
    ref = check_oracle.ReferenceOracle(get_profile())
    b = check_plan.build(PROFILE, 0, StoredOracle(stored))
    plans = public_plans(b)
    stored.adopt(plans)
    for p in plans:
        if not p.expected:  # judged without answers (statistics): none stored
            assert stored.outputs[p.task.name] == {}, p.task.name
            continue
        want, want_info = ref.expected(p.task)
        got, got_info = StoredOracle(stored).expected(p.task)
        assert set(got) == set(want) and got_info == json.loads(json.dumps(want_info)), p.task.name
        here = quantise_outputs(want)
        for k in want:
            assert got[k].shape == np.shape(want[k]), (p.task.name, k)
            scale = max(float(np.max(np.abs(here[k]), initial=0)), float(np.max(np.abs(got[k]), initial=0)))
            gap = float(np.max(np.abs(got[k] - here[k]), initial=0))
            assert gap <= check_tolerance(scale), (p.task.name, k, gap, check_tolerance(scale))
            # against the raw answer: that, plus half a grid step, or the answer is zero up to rounding
            raw = np.asarray(want[k], dtype=np.float64)
            if np.any(got[k]) or np.any(here[k]):
                assert np.max(np.abs(got[k] - raw)) <= check_tolerance(scale) + grid_step(scale) / 2, (p.task.name, k)
            else:
                task_scale = max(float(np.max(np.abs(np.asarray(v, dtype=np.float64)), initial=0)) for v in want.values())
                assert np.max(np.abs(raw), initial=0) < ZERO_BELOW * task_scale, (p.task.name, k)


def test_public_judges_need_only_the_stored_answers(stored):
    """Every public plan is judged with the StoredOracle alone (no reference in the kit): fed the
    reference's own results, run in this process by the same drivers, every public test passes."""
    from grader.sandbox import TaskResult

    ref = check_oracle.ReferenceOracle(get_profile())
    b = check_plan.build(PROFILE, 0, StoredOracle(stored))
    plans = public_plans(b)
    stored.adopt(plans)
    assert {d.function for p in plans for d in p.tests} == set(PROFILE.functions())
    for p in plans:
        state = np.random.get_state()
        try:
            with ref.tree.active():
                out = ref.drivers[p.task.driver](ref, dict(p.task.params),
                                                 {k: np.array(v) for k, v in p.task.arrays.items()})
        finally:
            np.random.set_state(state)
        info = out.pop("info", {}) or {}
        outputs = {k: np.array(v, dtype=np.float64) for k, v in out.items() if v is not None}
        verdicts = p.judge(TaskResult(p.task.name, "ok", outputs, json.loads(json.dumps(info)), None, False, "", 0.0))
        assert set(verdicts) == {d.name for d in p.tests}
        bad = {k: v.output for k, v in verdicts.items() if v.status != "passed"}
        assert not bad, bad


def test_public_cases_are_the_notebooks_checks(stored):
    """The public model cases reproduce the notebooks' check values (the reference's answers on them)."""
    out = stored.outputs
    assert float(out["fc_net.FullyConnectedNet[public]"]["r0.loss"]) == pytest.approx(2.3004790897684924, abs=1e-10)
    assert float(out["fc_net.FullyConnectedNet[public_batchnorm]"]["r0.loss"]) == pytest.approx(2.2611955101340957,
                                                                                               abs=1e-10)
    assert float(out["fc_net.FullyConnectedNet[public_layernorm]"]["r0.loss"]) == pytest.approx(2.2378310041, abs=1e-9)
    assert float(out["cnn.ThreeLayerConvNet[public]"]["r0.loss"]) == pytest.approx(np.log(10), abs=1e-3)
    assert float(out["fc_net.TwoLayerNet[public]"]["r1.loss"]) == pytest.approx(26.5948426952, abs=1e-9)
    # dropout and the Solver are judged by statistics: their inputs are stored, no answers
    for name in ("layers.dropout_forward[public:stats]", "layers.dropout_backward[public:pair]",
                 "solver.Solver[public:FullyConnectedNet]"):
        assert stored.inputs[name] and out[name] == {}, name
    x = stored.inputs["layers.dropout_forward[public:stats]"]["x"]
    assert x.shape == (100, 200) and abs(float(x.mean()) - 10) < 0.05


# ----------------------------------------------------------------------------- grader check


def test_unsolved_kit_fails_every_check_as_not_implemented(empty_kit):
    """Every editable function (every function the profile describes) is reported, and as not
    implemented, sandwich layers (given code calling unwritten layers) and the Solver included."""
    _, code, data = empty_kit
    assert code == 1 and data["status"] == "failed"
    assert data["tests"] and all(t["status"] == "error" and t["not_implemented"] for t in data["tests"])
    assert all(t["output"].startswith("not implemented") for t in data["tests"])
    functions = {t["function"] for t in data["tests"]}
    assert functions == set(PROFILE.functions())
    assert functions == set(StoredExpectations.load(COMMITTED / EXPECTATIONS_DIR).functions())
    assert data["counts"] == {"passed": 0, "failed": 0, "error": 0, "not_implemented": len(data["tests"])}
    assert data["unchecked"] == []


def test_json_output_shape(empty_kit):
    kit, _, data = empty_kit
    assert set(data) == {"kit", "package", "expectations", "profile", "status", "counts", "seconds", "tests", "unchecked"}
    assert Path(data["kit"]) == kit.resolve() and Path(data["package"]).name == "cs231n"
    for t in data["tests"]:
        assert set(t) == {"name", "function", "status", "rel_error", "output", "not_implemented", "warnings"}
        assert t["name"].startswith(t["function"] + "[")
    assert data["unchecked"] == []


def test_reference_passes_every_public_check_in_a_fresh_process(tmp_path, no_reference):
    """A separate process with no reference anywhere: every check passes, within the time budget,
    and the trusted process never imports a cs231n package nor loads a reference itself."""
    kit = _with_reference(_copy_kit(tmp_path / "kit"))
    code = ("import json, sys\nfrom grader.cli import main\nimport grader.reference\n"
            "sys.argv = ['grader', 'check', '--json']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    rc = e.code\n"
            "print(json.dumps({'rc': rc, 'cs231n': any(m.split('.')[0] == 'cs231n' for m in sys.modules),\n"
            "                  'references': len(grader.reference._TREES)}))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=kit / "cs231n", env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    tail = json.loads(lines[-1])
    data = json.loads("\n".join(lines[:-1]))
    bad = [(t["name"], t["output"]) for t in data["tests"] if t["status"] != "passed"]
    assert tail == {"rc": 0, "cs231n": False, "references": 0} and bad == []
    assert data["status"] == "passed" and len(data["tests"]) > 20
    assert Path(data["kit"]) == kit.resolve()  # found from inside the package folder
    assert data["seconds"] < 10


def test_solving_one_function_turns_exactly_its_check_green(tmp_path, no_reference):
    kit = _copy_kit(tmp_path / "kit")
    _solve(kit, "affine_forward")
    code, data = _check_json(str(kit))
    assert code == 1
    passed = {t["name"] for t in data["tests"] if t["status"] == "passed"}
    assert passed == {"layers.affine_forward[public]"}
    rest = [t for t in data["tests"] if t["name"] not in passed]
    assert rest and all(t["not_implemented"] for t in rest)


def test_only_restricts_the_run_and_shows_the_hint(tmp_path, no_reference):
    kit = _with_reference(_copy_kit(tmp_path / "kit"))
    # a classic bug: dx returned flat instead of in x's shape
    layers = kit / "cs231n" / "layers.py"
    text = layers.read_text(encoding="utf-8")
    s, e = _function_block(text, "affine_backward")
    body = text[s:e]
    assert "reshape(x.shape)" in body, body
    layers.write_text(text[:s] + body.replace(".reshape(x.shape)", "") + text[e:], encoding="utf-8")
    code, data = _check_json(str(kit), "--only", "affine_backward")
    assert code == 1 and [t["name"] for t in data["tests"]] == ["layers.affine_backward[public]"]
    assert data["tests"][0]["status"] == "failed" and "Likely bug" in data["tests"][0]["output"]
    assert data["unchecked"] == []
    code, out = _check(str(kit), "--only", "layers.affine_forward")  # plain table: not a terminal
    assert code == 0 and "\x1b[" not in out
    rows = [ln for ln in out.splitlines() if ln.startswith("layers.")]
    assert len(rows) == 1 and re.match(r"layers\.affine_forward\s+pass\s+\d\.\de-\d+\s+out: rel error", rows[0])
    assert "1 passed (of 1 public checks)" in out


def test_only_unknown_or_hidden_name_is_a_usage_error(empty_kit, tmp_path):
    kit, _, _ = empty_kit
    code, out = _check(str(kit), "--only", "affine_fwd")
    assert code == 2 and "valid names" in out and "layers.affine_forward" in out and "optim.adam" in out
    # cs231n has no hidden-only function; a kit of a profile that has one names it as such
    other = _copy_kit(tmp_path / "kit")
    path = other / EXPECTATIONS_DIR / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["no_public_checks"] = ["layers.secret_forward"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    code, out = _check(str(other), "--only", "secret_forward")
    assert code == 2 and "layers.secret_forward has no public check" in out and "hidden inputs only" in out


def test_setup_problems_exit_2_and_say_where_they_looked(tmp_path, no_reference):
    code, out = _check(str(tmp_path))
    assert code == 2 and str(tmp_path.resolve()) in out and "public_checks" in out and "grader check PATH" in out
    kit = _copy_kit(tmp_path / "kit")
    shutil.rmtree(kit / "cs231n")
    code, out = _check(str(kit))
    assert code == 2 and "no cs231n package" in out


def test_expectations_from_another_grader_version_are_a_setup_error(tmp_path, no_reference):
    kit = _copy_kit(tmp_path / "kit")
    path = kit / EXPECTATIONS_DIR / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["tasks"][0]["params"]["call"] = ["w", "x", "b"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    code, out = _check(str(kit))
    assert code == 2 and "another version of the grader" in out and manifest["tasks"][0]["name"] in out


def test_terminal_table_is_coloured():
    from rich.console import Console

    from grader.results import TestRecord

    run = PublicRun([
        TestRecord("layers.affine_forward[public]", "passed", 0.0, 0.0, 3e-12, "out: rel error 3.00e-12",
                   function="layers.affine_forward"),
        TestRecord("layers.relu_forward[public]", "error", 0.0, 0.0, None, "not implemented: relu_forward: out is None",
                   function="layers.relu_forward", not_implemented=True),
    ], 1.0, [])
    buf = io.StringIO()
    print_rich(run, Console(file=buf, force_terminal=True, width=120))
    text = buf.getvalue()
    assert "\x1b[" in text and "layers.affine_forward" in text and "todo" in text
    assert "1 passed, 1 not implemented (of 2 public checks)" in re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_damaged_expectations_are_a_setup_error(tmp_path, no_reference):
    kit = _copy_kit(tmp_path / "kit")
    npz = kit / EXPECTATIONS_DIR / ARRAYS
    npz.write_bytes(npz.read_bytes()[:1000])
    code, out = _check(str(kit))
    assert code == 2 and "not usable public checks" in out and ARRAYS in out
