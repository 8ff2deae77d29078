"""grade_submission end to end, with the real sandbox: the reference scores full marks, the
unsolved kit zero, and submissions in any reasonable shape are found and graded (every
catalogued bug and alternative of every profile: tests/test_profiles.py)."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import pytest

from grader import examples
from grader.check.spec import CheckSpec
from grader.courses import get_profile
from grader.examples import Edit
from grader.grade import grade_submission, render_table, seed_for, submission_name
from grader.results import TOP_KEYS, validate

PROFILE = get_profile("cs231n")
EDITABLE = PROFILE.editable


def build(dest, edits=(), **kw):
    return examples.build(PROFILE, dest, edits, **kw)


def grade(root: Path, tmp: Path, **kw) -> dict:
    """The code checks only: these submissions carry no notebooks (tests/test_execute.py grades those)."""
    kw.setdefault("notebooks", False)
    kw.setdefault("profile", PROFILE)
    return grade_submission(root, out_dir=tmp / "out", seed=kw.pop("seed", 5), **kw)


def with_solver_behaviour(profile, **changes):
    """The profile with the Solver's behaviour checks on (as a course whose students edit it would)."""
    specs = tuple(dataclasses.replace(s, options=dict(s.options, behaviour=True))
                  if isinstance(s, CheckSpec) and s.check == "solver" else s for s in profile.specs)
    return dataclasses.replace(profile, specs=specs, **changes)


def by_function(results: dict) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for t in results["tests"]:
        groups.setdefault(t["name"].split("[")[0], []).append(t)
    return groups


@pytest.fixture(scope="session")
def reference_graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    root = build(tmp / "alice")
    results = grade_submission(root, out_dir=tmp / "out", notebooks=False)  # the course is detected
    return results, tmp / "out"


def test_reference_scores_full_marks(reference_graded):
    results, _ = reference_graded
    bad = [t for t in results["tests"] if t["status"] != "passed"]
    assert not bad, bad[:5]
    assert results["status"] == "graded"
    assert results["score"] == pytest.approx(results["max_score"]) and results["max_score"] > 50


def test_results_json_is_written_exactly_as_design_says(reference_graded):
    results, out = reference_graded
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == results
    assert tuple(on_disk)[:len(TOP_KEYS)] == TOP_KEYS and tuple(on_disk)[len(TOP_KEYS):] == ("course",)
    validate(on_disk)
    assert on_disk["submission"] == "alice" and on_disk["profile"] == "cs231n" and on_disk["accuracy"] is None
    assert on_disk["course"]["detected"] and on_disk["course"]["edition"] is None  # the course's own kit
    assert {t["visibility"] for t in on_disk["tests"]} == {"visible", "hidden"}
    iso = on_disk["isolation"]  # what the sandbox achieved, e.g. {"mode": "namespaces", "full": true, ...}
    assert iso["mode"] in ("namespaces", "landlock") and iso["full"] == (iso["missing"] == [])


def test_every_function_of_the_profile_has_a_test(reference_graded):
    results, _ = reference_graded
    assert set(by_function(results)) == set(PROFILE.functions())


def test_render_table_lists_every_test(reference_graded):
    results, _ = reference_graded
    table = render_table(results)
    assert table.splitlines()[0].startswith("alice (profile cs231n): graded, score")
    assert sum(line.startswith("PASS") for line in table.splitlines()) == len(results["tests"])


def test_unsolved_submission_scores_zero_with_not_implemented_errors(tmp_path):
    results = grade(build(tmp_path / "kit", strip=True), tmp_path)
    assert results["score"] == 0 and results["status"] == "graded"
    assert set(by_function(results)) == set(PROFILE.functions())
    for t in results["tests"]:
        assert t["status"] == "error", t
        assert "not implemented" in t["output"], t


def _zip(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return archive


SOME = {"layers.affine_forward", "layers.conv_backward_naive", "optim.adam", "cnn.ThreeLayerConvNet", "solver.Solver"}


def _all_passed(results: dict, functions=SOME) -> None:
    assert set(functions) <= set(by_function(results))
    assert all(t["status"] == "passed" for t in results["tests"]), [t for t in results["tests"] if t["status"] != "passed"]


def test_zip_with_the_package_nested_two_folders_deep(tmp_path):
    folder = build(tmp_path / "src", nest=("bob", "assignment2"))
    archive = _zip(folder, tmp_path / "bob.zip")
    results = grade(archive, tmp_path, only=SOME)
    assert results["submission"] == "bob"
    _all_passed(results)


def test_folder_nested_two_folders_deep(tmp_path):
    _all_passed(grade(build(tmp_path / "carol", nest=("course", "assignment2")), tmp_path, only=SOME))


def test_only_the_edited_files(tmp_path):
    """Given files (solver.py, fast layers) come from the reference."""
    _all_passed(grade(build(tmp_path / "dave", files=EDITABLE), tmp_path, only=SOME))


def test_missing_files_score_zero_never_full_marks(tmp_path):
    results = grade(build(tmp_path / "erin", files=("cs231n/layers.py",)), tmp_path, only=SOME)
    groups = by_function(results)
    assert all(t["status"] == "passed" for t in groups["layers.affine_forward"])
    for t in groups["optim.adam"] + groups["cnn.ThreeLayerConvNet"]:
        assert t["status"] == "error" and "not implemented" in t["output"]


def test_a_syntax_error_costs_only_its_module(tmp_path):
    root = build(tmp_path / "frank", (Edit("cs231n/optim.py", "    next_w = w + v\n", "    next_w = w + v)\n"),))
    results = grade(root, tmp_path, only={"layers.affine_forward", "optim.adam", "fc_net.TwoLayerNet"})
    groups = by_function(results)
    assert all(t["status"] == "passed" for t in groups["layers.affine_forward"] + groups["fc_net.TwoLayerNet"])
    for t in groups["optim.adam"]:
        assert t["status"] == "error" and "SyntaxError" in t["output"] and "optim.py:" in t["output"]


def test_a_broken_zip_is_an_error_with_every_test_listed(tmp_path):
    archive = tmp_path / "gina.zip"
    archive.write_bytes(b"PK\x03\x04 this is not a zip")
    results = grade(archive, tmp_path)
    assert results["status"] == "error" and results["score"] == 0
    assert set(by_function(results)) == set(PROFILE.functions())
    assert all(t["status"] == "error" and "could not be graded" in t["output"] for t in results["tests"])
    validate(json.loads((tmp_path / "out" / "results.json").read_text()))


def test_a_submission_without_the_package_is_an_error(tmp_path):
    (tmp_path / "hank").mkdir()
    (tmp_path / "hank" / "notes.txt").write_text("nothing here")
    results = grade(tmp_path / "hank", tmp_path, only={"optim.adam"})
    assert results["status"] == "error" and all("no cs231n package" in t["output"] for t in results["tests"])


def test_printed_success_and_nan_earn_nothing(tmp_path):
    root = build(tmp_path / "ivan", (
        Edit("cs231n/layers.py", "import numpy as np\n", "import numpy as np\n\nprint('All tests PASSED: score 100/100')\n"),
        Edit("cs231n/layers.py", "    out = x_rows @ w + b  # (N, M)\n", "    out = (x_rows @ w + b) * np.nan  # (N, M)\n")))
    results = grade(root, tmp_path, only={"layers.affine_forward"})
    checks = [t for t in results["tests"] if t["name"].startswith("layers.affine_forward[") and "inplace" not in t["name"]]
    assert checks and all(t["status"] == "failed" and "NaN" in t["output"] for t in checks)


def test_a_crash_costs_only_its_own_function(tmp_path):
    root = build(tmp_path / "judy", (Edit("cs231n/layers.py", "    out = np.maximum(x, 0)\n",
                                          "    import os\n    os._exit(0)\n"),))
    results = grade(root, tmp_path, only={"layers.relu_forward", "layers.affine_forward"})
    groups = by_function(results)
    assert all(t["status"] == "passed" for t in groups["layers.affine_forward"])
    assert all(t["status"] == "error" for t in groups["layers.relu_forward"])
    assert any("crashed" in t["output"] for t in groups["layers.relu_forward"])


@pytest.mark.slow
def test_a_hang_costs_only_its_own_checks(tmp_path):
    fast = dataclasses.replace(PROFILE, task_timeout=1.0)
    root = build(tmp_path / "kim", (Edit("cs231n/layers.py", "    dx = dout * (x > 0)  # the gradient passes only where the input was positive\n",
                                         "    while True:\n        pass\n"),))
    results = grade(root, tmp_path, profile=fast, only={"layers.relu_forward", "layers.affine_forward"})
    groups = by_function(results)
    assert all(t["status"] == "passed" for t in groups["layers.affine_forward"] + groups["layers.relu_forward"])
    assert all(t["status"] == "error" and "timed out" in t["output"] for t in groups["layers.relu_backward"])


def test_a_module_hanging_on_import_costs_only_what_imports_it(tmp_path):
    fast = dataclasses.replace(PROFILE, import_timeout=2.0)
    root = build(tmp_path / "lee", (Edit("cs231n/optim.py", "import numpy as np\n", "import numpy as np\n\nwhile True:\n    pass\n"),))
    results = grade(root, tmp_path, profile=fast, only={"layers.affine_forward", "optim.adam", "solver.Solver"})
    groups = by_function(results)
    assert all(t["status"] == "passed" for t in groups["layers.affine_forward"])
    for t in groups["optim.adam"] + groups["solver.Solver"]:
        assert t["status"] == "error" and "importing cs231n/optim.py timed out" in t["output"]


def test_seed_comes_from_the_submission_name():
    assert submission_name(Path("x/alice.zip")) == "alice" and submission_name(Path("x/alice")) == "alice"
    assert seed_for("alice") == seed_for("alice") != seed_for("bob")
    assert seed_for("alice", "reference A") != seed_for("alice", "reference B")  # unpredictable without it


def test_hidden_inputs_differ_between_submissions_but_public_ones_do_not(tmp_path):
    """Two students get different hidden inputs: a grade cannot be copied from another's run."""
    from grader.check import oracle as check_oracle, plan as check_plan

    oracle = check_oracle.ReferenceOracle(get_profile())
    a = check_plan.build(PROFILE, seed_for("alice"), oracle, only={"layers.affine_forward"})
    b = check_plan.build(PROFILE, seed_for("bob"), oracle, only={"layers.affine_forward"})
    for p, q in zip(a.plans, b.plans):
        same = all((p.task.arrays[k] == q.task.arrays[k]).all() if p.task.arrays[k].shape == q.task.arrays[k].shape
                   else False for k in p.task.arrays)
        assert same == (p.tests[0].visibility == "visible"), p.task.name


def test_solver_behaviour_checks_when_the_profile_asks_for_them(tmp_path):
    """The Solver is given in cs231n; a profile where students edit it also checks histories,
    best parameters restored and bad arguments (here on the reference: all pass)."""
    profile = with_solver_behaviour(PROFILE)
    results = grade(build(tmp_path / "mia"), tmp_path, profile=profile, only={"solver.Solver"})
    names = {t["name"] for t in results["tests"]}
    assert {"solver.Solver[histories]", "solver.Solver[best_params]", "solver.Solver[bad_args]"} <= names
    assert all(t["status"] == "passed" for t in results["tests"]), results["tests"]


def test_solver_behaviour_catches_a_solver_that_keeps_the_last_parameters(tmp_path):
    """With solver.py editable (a profile may say so), a Solver that does not restore the best
    parameters and accepts unknown options fails exactly those checks."""
    profile = with_solver_behaviour(PROFILE, editable=PROFILE.editable + ("cs231n/solver.py",))
    root = build(tmp_path / "ned", (
        Edit("cs231n/solver.py", "        self.model.params = self.best_params\n", ""),
        Edit("cs231n/solver.py", "        if unknown:\n", "        if False:\n")))
    results = grade(root, tmp_path, profile=profile, only={"solver.Solver"})
    status = {t["name"]: t["status"] for t in results["tests"]}
    assert status["solver.Solver[best_params]"] == "failed"
    assert status["solver.Solver[bad_args]"] == "failed"
    assert status["solver.Solver[histories]"] == "passed"


def test_results_validation_rejects_extra_or_missing_keys(reference_graded):
    results, _ = reference_graded
    broken = dict(results, extra=1)
    with pytest.raises(ValueError):
        validate(broken)
    t = dict(results["tests"][0])
    del t["visibility"]
    with pytest.raises(ValueError):
        validate(dict(results, tests=[t]))
    with pytest.raises(ValueError):
        validate(dict(results, status="passed"))


# ----------------------------------------------------------------------------- editions from the files


def _official_tree(root, year_files, *, a1_functions: bool, keep_ratio: bool):
    """A submission's files as an official kit lays them out (bodies do not matter: nothing runs)."""
    pkg = root / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    layers = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
              "batchnorm_forward", "batchnorm_backward", "dropout_forward", "conv_forward_naive"]
    if a1_functions:
        layers.append("svm_loss")
    (pkg / "layers.py").write_text("".join(f"def {f}(*a):\n    pass\n" for f in layers))
    (pkg / "optim.py").write_text("".join(f"def {f}(w, dw, config=None):\n    pass\n"
                                          for f in ("sgd", "sgd_momentum", "rmsprop", "adam")))
    for name in ("solver.py", "layer_utils.py", "__init__.py"):
        (pkg / name).write_text("")
    arg = "dropout_keep_ratio" if keep_ratio else "dropout"
    fc = f"class FullyConnectedNet:\n    def __init__(self, hidden_dims, input_dim=3072, {arg}=1, normalization=None):\n        pass\n"
    if a1_functions:
        fc += "class TwoLayerNet:\n    def __init__(self, input_dim=3072):\n        pass\n"
    (pkg / "classifiers" / "fc_net.py").write_text(fc)
    for rel in year_files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("{}" if rel.endswith(".ipynb") else "")
    return root


@pytest.mark.parametrize("year_files, a1, keep, edition", [
    (("FullyConnectedNets.ipynb", "PyTorch.ipynb"), True, False, "2018-2020"),
    (("FullyConnectedNets.ipynb", "PyTorch.ipynb"), False, True, "2021-2024"),
    # 2025: optim.py ships solved, and the RNN notebook is often missing (a large file)
    (("cs231n/rnn_layers_pytorch.py", "PyTorch.ipynb"), False, True, "2025+"),
    (("cs231n/rnn_layers_pytorch.py", "RNN_Captioning_pytorch.ipynb"), False, True, "2025+"),
])
def test_the_edition_is_detected_from_an_official_kits_files(tmp_path, year_files, a1, keep, edition):
    from grader.grade import resolve_course

    root = _official_tree(tmp_path / "s", year_files, a1_functions=a1, keep_ratio=keep)
    prof, det = resolve_course(root, "cs231n", None)
    assert det.edition == edition, det.evidence
    assert prof.edition.name == edition and not det.from_kit
