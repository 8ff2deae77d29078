"""A course is one folder: a tiny course that exists only in tests/fixtures/courses/tiny/ (two
layers, one notebook) is discovered through $GRADER_COURSES, builds its kit, runs `grader check`
and grades end to end from the command line, with nothing changed outside its folder; and a
profile that does not hold together is refused with a message naming the profile, the entry
and the problem."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).with_name("fixtures") / "courses"
TINY = FIXTURES / "tiny"


def grader(*args: str, courses: Path = FIXTURES, cwd: Path | None = None, timeout: float = 300):
    env = dict(os.environ, GRADER_COURSES=str(courses))
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "kit"
    r = grader("build-template", "--profile", "tiny", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "leak check passed" in r.stdout
    return out


def test_the_course_is_listed(kit):
    r = grader("profiles", "--json")
    assert r.returncode == 0, r.stderr
    tiny = next(p for p in json.loads(r.stdout) if p["name"] == "tiny")
    assert tiny["packages"] == ["tinynet"] and tiny["functions"] == 4 and tiny["points"] == 10
    assert Path(tiny["folder"]) == TINY.resolve()


def test_its_kit_holds_the_stripped_package_the_notebook_and_the_public_checks(kit):
    layers = (kit / "tinynet" / "layers.py").read_text()
    assert "out = x * a  # (N, D)" not in layers and layers.count("    pass\n") == 4
    assert (kit / "Tiny.ipynb").is_file() and (kit / "README.md").read_text().startswith("# A tiny course")
    manifest = json.loads((kit / "public_checks" / "manifest.json").read_text())
    assert manifest["profile"] == "tiny" and manifest["package"] == "tinynet"
    assert grader("build-template", "--profile", "tiny", "--out", str(kit), "--check").returncode == 0


def test_grader_check_runs_its_public_checks(kit, tmp_path):
    r = grader("check", str(kit), "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and data["counts"]["not_implemented"] == 4 and data["profile"] == "tiny"
    solved = shutil.copytree(kit, tmp_path / "solved")
    shutil.copyfile(TINY / "reference" / "tinynet" / "layers.py", solved / "tinynet" / "layers.py")
    r = grader("check", "--json", cwd=solved)
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["status"] == "passed" and data["counts"]["passed"] == 4, r.stdout


def test_a_submission_is_recognised_and_graded_end_to_end(kit, tmp_path):
    sub = shutil.copytree(kit, tmp_path / "ada")
    shutil.copyfile(TINY / "reference" / "tinynet" / "layers.py", sub / "tinynet" / "layers.py")
    shutil.copyfile(TINY / "notebooks" / "Tiny.ipynb", sub / "Tiny.ipynb")
    shutil.rmtree(sub / "public_checks")  # recognised by its code, not by the kit's data
    r = grader("grade", str(sub), "--out", str(tmp_path / "out"), "--json")
    results = json.loads(r.stdout)
    assert r.returncode == 0, results["tests"]
    assert results["profile"] == "tiny" and results["course"]["detected"] and results["course"]["edition"] is None
    assert results["score"] == results["max_score"] == 10
    run = next(t for t in results["tests"] if t["name"] == "notebook.Tiny")
    assert run["status"] == "passed" and "3 of 3 code cells ran" in run["output"]
    executed = json.loads((tmp_path / "out" / "notebooks" / "Tiny.ipynb").read_text())
    assert "sum of squares: 338.0" in "".join(executed["cells"][3]["outputs"][0]["text"])


def test_its_demo_class_grades_as_expected(tmp_path):
    r = grader("demo", "--profile", "tiny", "--out", str(tmp_path / "demo"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Demo verdicts: all as expected." in r.stdout


def _broken_course(root: Path, change: str) -> Path:
    """A copy of the tiny course whose profile gets `change` applied (text substitution)."""
    folder = root / "broken"
    shutil.copytree(TINY, folder)
    init = folder / "__init__.py"
    text = init.read_text()
    old, new = change.split(" => ")
    assert old in text
    init.write_text(text.replace(old, new).replace('name="tiny"', 'name="broken"'))
    return root


@pytest.mark.parametrize("change,entry,problem", [
    ('("scale_da_not_summed",)}), => ("no_such_hint",)}),', "the description of layers.scale_forward",
     "hint 'no_such_hint' does not exist"),
    ('editable=(L,), => editable=(L, "tinynet/missing.py"),', "editable tinynet/missing.py", "no such file"),
    ('total_points=10.0, => total_points=12.0,', "total_points", "add up to 10, not 12"),
    ('module_deps={MODULE: ()}, => module_deps={MODULE: ("tinynet.nowhere",)},', "module_deps tinynet.layers",
     "tinynet.nowhere"),
])
def test_a_profile_that_does_not_hold_together_is_refused(tmp_path, change, entry, problem):
    courses = _broken_course(tmp_path / "courses", change)
    r = grader("build-template", "--profile", "broken", "--out", str(tmp_path / "kit"), courses=courses)
    assert r.returncode == 2
    assert f"profile 'broken': {entry}" in r.stderr and problem in r.stderr, r.stderr


def test_an_unknown_profile_is_a_usage_error():
    r = grader("grade", str(TINY), "--profile", "nope")
    assert r.returncode == 2 and "unknown profile 'nope'" in r.stderr and "tiny" in r.stderr


def test_a_submission_of_no_known_course_gets_a_clear_status(tmp_path):
    (tmp_path / "zoe").mkdir()
    (tmp_path / "zoe" / "essay.py").write_text(textwrap.dedent("def hello():\n    return 'not a course'\n"))
    r = grader("grade", str(tmp_path / "zoe"), "--out", str(tmp_path / "out"), "--json", "--no-notebooks")
    results = json.loads(r.stdout)
    assert r.returncode == 1 and results["status"] == "error" and results["tests"] == []
    assert "no known course matches" in results["course"]["error"]


def test_a_course_built_on_another_borrows_its_given_files_and_reuses_its_maths(tmp_path):
    """A second course whose reference delegates the same maths to the first course's reference
    (`_canonical`), inside its solution blocks, and takes a given file from it (`borrows`): its
    kit shows neither, and a solved submission grades in full."""
    courses = tmp_path / "courses"
    twin = courses / "twin"
    shutil.copytree(TINY, twin)
    layers = twin / "reference" / "tinynet" / "layers.py"
    text = layers.read_text()
    text = text.replace("    out = x * a  # (N, D)\n",
                        "    from _canonical.tinynet import layers as canonical\n"
                        "    out, _ = canonical.scale_forward(x, a)  # the first course's maths\n")
    layers.write_text(text)
    init = twin / "__init__.py"
    init.write_text(init.read_text().replace('name="tiny"', 'name="twin"').replace(
        "    total_points=10.0,", '    total_points=10.0,\n    builds_on=("tiny",),\n'
        '    borrows={"tinynet/given.py": "tiny:tinynet/__init__.py"},'))
    shutil.copytree(TINY, courses / "tiny")
    kit = tmp_path / "kit"
    r = grader("build-template", "--profile", "twin", "--out", str(kit), courses=courses)
    assert r.returncode == 0, r.stderr
    assert "_canonical" not in (kit / "tinynet" / "layers.py").read_text()
    assert (kit / "tinynet" / "given.py").is_file()  # borrowed, shipped as given code
    sub = shutil.copytree(kit, tmp_path / "sol")
    shutil.copyfile(TINY / "reference" / "tinynet" / "layers.py", sub / "tinynet" / "layers.py")
    r = grader("grade", str(sub), "--profile", "twin", "--no-notebooks", "--json", "--out", str(tmp_path / "out"),
               courses=courses)
    results = json.loads(r.stdout)
    assert r.returncode == 0 and results["score"] == 10, [t for t in results["tests"] if t["status"] != "passed"]
