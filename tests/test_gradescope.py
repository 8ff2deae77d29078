"""The Gradescope bundle: built by `grader export gradescope`, run end to end in a temporary root
laid out as Gradescope's (source/, submission/, results/, submission_metadata.json), its
results.json validated against Gradescope's documented format (grader/schemas/)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader import examples
from grader.courses import COURSES_ENV, get_profile
from grader.disclose import HIDDEN_NOTE
from grader.examples import Edit
from grader.gradescope import build_bundle, to_gradescope, validate_gradescope
from grader.paths import PROJECT_ROOT
from grader.results import ResultsError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "courses"
METADATA = {"id": 123456, "created_at": "2026-02-11T10:00:00.000000-08:00",
            "assignment": {"due_date": "2026-02-10T23:59:00.000000-08:00", "title": "Assignment 2", "id": 1},
            "users": [{"email": "student@example.edu", "id": 1234, "name": "Student User"}],
            "previous_submissions": []}
HIDDEN_OUTPUT = re.compile(r"^[a-z ()]+(; worst relative error \d\.\de[+-]\d\d)?(; it calls functions [^;]+)*"
                           r"(\. Likely bug: .+)? \(" + re.escape(HIDDEN_NOTE) + r"\)$")


def _root() -> Path:
    """A temporary /autograder outside /tmp (the sandbox gives its children a private /tmp, which
    would hide a root there whatever else it does)."""
    base = PROJECT_ROOT / ".pytest-gradescope"
    base.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="autograder-", dir=base))
    # readable by every user, as a container may leave it: only the sandbox's hiding keeps it from students
    for folder in (base, root):
        folder.chmod(0o755)
    return root


def _remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    try:
        root.parent.rmdir()  # the last one out removes the folder of roots
    except OSError:
        pass


def _install(bundle: Path) -> Path:
    """Lay the bundle out as Gradescope does: source/ is the zip's contents, run_autograder beside it."""
    root = _root()
    (root / "source").mkdir()
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    return root


def _run(root: Path, submission: Path) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    shutil.copytree(submission, root / "submission")
    (root / "results").mkdir()
    env = {k: v for k, v in os.environ.items() if k != COURSES_ENV}  # the bundle brings its course
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(results)
    return results


def _check_hidden(results: dict) -> None:
    for t in results["tests"]:
        if "hidden" in t["tags"]:
            assert t["visibility"] == "after_published"
            assert HIDDEN_OUTPUT.match(t["output"]), t["output"]
        else:
            assert t["visibility"] == "visible"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    old = os.environ.get(COURSES_ENV)
    os.environ[COURSES_ENV] = str(FIXTURES)
    try:
        prof = get_profile("tiny")
        bundle = build_bundle(prof, tmp_path_factory.mktemp("bundle") / "autograder.zip").path
        yield prof, bundle
    finally:
        if old is None:
            os.environ.pop(COURSES_ENV, None)
        else:
            os.environ[COURSES_ENV] = old


def test_the_bundle_has_gradescope_layout(tiny):
    _, bundle = tiny
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        mode = {n: (zf.getinfo(n).external_attr >> 16) & 0o777 for n in ("setup.sh", "run_autograder")}
        setup = zf.read("setup.sh").decode()
        config = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "gradescope.json", "grader-src/pyproject.toml", "grader-src/setup.py",
            "grader-src/grader/cli.py", "courses/tiny/__init__.py", "courses/tiny/reference/tinynet/layers.py",
            "grader-src/reference/cs231n/cs231n/layers.py"} <= names
    assert all(m & 0o111 for m in mode.values())
    assert not any("__pycache__" in n or n.endswith((".so", ".pyc")) for n in names)
    assert config["profile"] == "tiny" and config["hidden_visibility"] == "after_published"
    # packages from the index at image build; the source made unreadable to the sandbox's users
    assert "pip install -q -e" in setup and 'chmod -R go-rwx "$SOURCE"' in setup
    assert "gradescope check" in setup


def test_the_bundle_grades_reference_kit_and_a_mutant_end_to_end(tiny):
    prof, bundle = tiny
    root = _install(bundle)
    try:
        # setup.sh's own check of the installation, from the bundle's copy of the course
        env = {k: v for k, v in os.environ.items() if k != COURSES_ENV}
        check = subprocess.run([sys.executable, "-m", "grader", "gradescope", "check", "--source",
                                str(root / "source")], env=env, capture_output=True, text=True, timeout=120)
        assert check.returncode == 0 and "ready" in check.stdout, check.stderr
        assert "sandbox " in check.stdout  # what the image's sandbox gives student code
        subs = root / "examples"
        examples.build(prof, subs / "reference")
        examples.build(prof, subs / "kit", strip=True)
        # the mutant also tries to read the bundle: if it could, its public forward test would fail
        probe = Edit("tinynet/layers.py", "    out = x * a  # (N, D)\n",
                     "    try:\n"
                     f"        secret = open({str(root / 'source' / 'gradescope.json')!r}).read()\n"
                     "    except OSError:\n"
                     "        secret = None\n"
                     "    if secret is not None:\n"
                     "        raise RuntimeError('READ-THE-SOURCE ' + secret[:40])\n"
                     "    out = x * a  # (N, D)\n")
        mutant = {m.name: m for m in prof.mutants}["scale_backward_not_summed"]
        examples.build(prof, subs / "mutant", (*mutant.edits, probe))

        ref = _run(root, subs / "reference")
        assert ref["score"] == pytest.approx(10.0)
        assert {t["status"] for t in ref["tests"] if t["max_score"] > 0} == {"passed"}
        assert ref["stdout_visibility"] == "hidden" and ref["extra_data"]["submitted_at"] == METADATA["created_at"]
        _check_hidden(ref)

        kit = _run(root, subs / "kit")
        assert kit["score"] == 0.0
        assert all(t["status"] == "failed" for t in kit["tests"] if t["max_score"] > 0)
        assert any("not implemented" in t["output"] for t in kit["tests"] if "hidden" in t["tags"])
        _check_hidden(kit)

        mut = _run(root, subs / "mutant")
        failed = {t["name"].split("[")[0] for t in mut["tests"] if t["status"] == "failed" and t["max_score"] > 0}
        assert failed == {"layers.scale_backward"}
        assert 0 < mut["score"] < 10
        assert not any("READ-THE-SOURCE" in t["output"] for t in mut["tests"])
        _check_hidden(mut)
        shown = [t for t in mut["tests"] if t["name"] == "layers.scale_backward[public]"][0]
        assert "sum it over the batch" in shown["output"]  # a public test shows everything
    finally:
        _remove(root)


def test_a_broken_setup_still_writes_results(tiny, tmp_path):
    _, bundle = tiny
    root = _install(bundle)
    try:
        (root / "source" / "gradescope.json").write_text("{not json")
        (tmp_path / "sub").mkdir()
        results = _run(root, tmp_path / "sub")
        assert results["score"] == 0 and "set-up" in results["output"] and results["tests"] == []
    finally:
        _remove(root)


def _results(tests):
    return {"submission": "s", "profile": "p", "status": "graded", "score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests), "execution_time": 1.5, "tests": tests, "accuracy": None}


def _t(name, status, score, max_score, output, visibility="visible", rel=None, **extra):
    return dict(name=name, status=status, score=score, max_score=max_score, rel_error=rel, output=output,
                visibility=visibility, **extra)


def test_statuses_and_visibilities_map_onto_gradescope():
    secret = "p=0.25: kept units are x * 1, expected x * 4; output mean 2.493 vs input mean 9.996"
    tests = [_t("m.f[public]", "passed", 1, 1, "out: rel error 1e-12"),
             _t("m.f[hidden]", "failed", 0, 1, f"{secret}. Likely bug: not inverted dropout", "hidden", 0.5),
             _t("m.g[hidden]", "error", 0, 1, "error: ValueError: [0.123, 4.56] LEAK", "hidden"),
             _t("m.g[public]", "skipped", 0, 0, "not executed", warnings=["slow"]),
             _t("m.h[late]", "passed", 1, 1, "fine", "after_published")]
    gs = to_gradescope(_results(tests), metadata=METADATA)
    validate_gradescope(gs)
    by = {t["name"]: t for t in gs["tests"]}
    assert [by[n]["status"] for n in by] == ["passed", "failed", "failed", "failed", "passed"]
    assert by["m.f[public]"]["visibility"] == "visible" and by["m.f[public]"]["output"] == "out: rel error 1e-12"
    assert by["m.f[hidden]"]["visibility"] == "after_published"
    assert "2.493" not in by["m.f[hidden]"]["output"] and "9.996" not in by["m.f[hidden]"]["output"]
    assert "not inverted dropout" in by["m.f[hidden]"]["output"] and "5.0e-01" in by["m.f[hidden]"]["output"]
    assert "LEAK" not in by["m.g[hidden]"]["output"] and "0.123" not in by["m.g[hidden]"]["output"]
    assert "warning: slow" in by["m.g[public]"]["output"]
    assert by["m.h[late]"]["visibility"] == "after_published" and by["m.h[late]"]["output"] == "fine"
    assert gs["score"] == 2 and gs["output_format"] == "text"
    hidden = to_gradescope(_results(tests), hidden_visibility="hidden")
    assert {t["visibility"] for t in hidden["tests"] if "hidden" in t["tags"]} == {"hidden"}


def test_the_schema_rejects_what_gradescope_does_not_document():
    good = to_gradescope(_results([_t("m.f", "passed", 1, 1, "")]))
    validate_gradescope(good)
    for bad in (dict(good, stdout_visibility="sometimes"), dict(good, score="full"),
                dict(good, tests=[dict(good["tests"][0], status="error")]),
                dict(good, tests=[dict(good["tests"][0], visibility="public")]), dict(good, surprise=1)):
        with pytest.raises(ResultsError):
            validate_gradescope(bad)


def test_cli_tries_a_bundle_locally(tiny, tmp_path):
    from click.testing import CliRunner

    from grader.cli import cli

    prof, bundle = tiny
    examples.build(prof, tmp_path / "erin", prof.mutants[0].edits)
    result = CliRunner().invoke(cli, ["gradescope", "try", str(bundle), str(tmp_path / "erin"),
                                      "--keep", str(tmp_path / "root")])
    assert result.exit_code == 0, result.output
    assert "Graded as tiny" in result.output and "layers.scale_backward[public]" in result.output
    assert (tmp_path / "root" / "results" / "results.json").is_file()
    assert "valid against Gradescope's documented format" in result.output


@pytest.mark.slow
def test_the_cs231n_bundle_grades_code_end_to_end(tmp_path):
    prof = get_profile("cs231n")
    bundle = build_bundle(prof, tmp_path / "autograder.zip", notebooks=False).path
    root = _install(bundle)
    try:
        examples.build(prof, tmp_path / "reference")
        examples.build(prof, tmp_path / "kit", strip=True)
        examples.build(prof, tmp_path / "mutant", {m.name: m for m in prof.mutants}["dropout_not_inverted"].edits)
        ref = _run(root, tmp_path / "reference")
        assert ref["score"] == pytest.approx(100.0)
        kit = _run(root, tmp_path / "kit")
        assert kit["score"] == 0.0
        mut = _run(root, tmp_path / "mutant")
        assert {t["name"].split("[")[0] for t in mut["tests"] if t["status"] == "failed"} == {"layers.dropout_forward"}
        for results in (ref, kit, mut):
            _check_hidden(results)
    finally:
        _remove(root)


def test_the_data_set_is_downloaded_at_image_build_when_not_shipped(tmp_path):
    prof = get_profile("cs231n")
    url = "https://data.example.org/cifar-10-python.tar.gz"
    report = build_bundle(prof, tmp_path / "ag.zip", data_url=url, data_sha256="ab" * 32)
    with zipfile.ZipFile(report.path) as zf:
        setup = zf.read("setup.sh").decode()
        config = json.loads(zf.read("gradescope.json"))
        assert not any(n.startswith("data/") for n in zf.namelist())
    assert config["notebooks"] and config["data"] == "data/cifar-10-python.tar.gz"
    assert url in setup and "ab" * 32 in setup and setup.index(url) < setup.index("gradescope check")


@pytest.mark.slow
@pytest.mark.cifar
def test_the_data_set_ships_inside_the_bundle(tmp_path, cifar10_path):
    prof = get_profile("cs231n")
    report = build_bundle(prof, tmp_path / "ag.zip", data=cifar10_path)
    root = tmp_path / "root"
    with zipfile.ZipFile(report.path) as zf:
        config = json.loads(zf.read("gradescope.json"))
        info = zf.getinfo(config["data"])
        assert info.compress_type == zipfile.ZIP_STORED and info.file_size > 100e6
        zf.extractall(root / "source")
    from grader.gradescope import check_source

    assert "ready" in check_source(root / "source")
