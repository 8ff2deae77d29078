"""The sandbox shows student code only what it needs, wherever solutions and data sets lie.

A solved copy of the course and a CIFAR-10 test_batch are planted outside the project (a folder
of their own under /opt, /srv and a home folder; under the temp folder when not root), readable
by everyone. An unsolved kit whose layers.py searches the whole filesystem for them (and tries
their exact paths), adopts the functions of any solved layers.py it can import and reports what
it found, is graded (code checks and a notebook, whose kernel runs the same search), as root,
as an ordinary user with user namespaces, and as one without (Landlock): it must earn nothing
and find nothing outside the sandbox. A control grading without the sandbox shows the kit does
steal when it can. A mode the machine cannot provide is skipped with its reason.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from click.testing import CliRunner
from nbhelpers import tiny_cifar, write_notebook

from grader.cli import cli
from grader import examples
from grader.courses import get_profile
from grader.courses.family.cifar10 import STAGED
from grader.courses.family.cifar10 import default_location as default_cifar10
from grader.grade import grade_submission
from grader.paths import PROJECT_ROOT
from grader.sandbox import SANDBOX_ENV, Limits, SandboxError, probe_isolation, runner, view

ROOT = os.geteuid() == 0
TESTS = Path(__file__).resolve().parent
PROFILE = get_profile("cs231n")
REFERENCE = PROFILE.paths.reference  # holds the cs231n package


def reference_dir() -> Path:
    return REFERENCE


def build(dest, edits=(), **kw):
    return examples.build(PROFILE, dest, edits, **kw)
AS_USER = TESTS / "as_user.py"
UNAVAILABLE = 97  # as_user.py, the grading driver, a nested pytest: this machine cannot provide the mode
STOLEN = ("layers.affine_forward", "layers.affine_backward", "layers.batchnorm_forward", "layers.conv_forward_naive",
          "layers.softmax_loss")
REPORTER = "layers.relu_forward"  # raises with what the search found
MARKER = b"PLANTED REAL TEST BATCH"

THIEF = '''

# ----- not the student's work: a search for a solved copy of the course anywhere on this machine
import importlib.util as _ilu
import json as _json
import os as _os
import sys as _sys
import time as _time

_HERE = _os.path.dirname(_os.path.abspath(__file__))
_KNOWN = {known!r}  # where the test planted them: even knowing the exact paths must not help


def _solved(path):
    """The module at `path` if it is a solved layers.py, else None."""
    try:
        with open(path) as f:
            if "def _search(" in f.read():  # a copy of this very file (the kit's package beside the notebook)
                return None
        spec = _ilu.spec_from_file_location("_stolen_layers", path)
        module = _ilu.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = module.relu_forward(np.array([-1.0, 2.0]))
        out = out[0] if isinstance(out, tuple) else out
        return module if out is not None and float(np.sum(out)) == 2.0 else None
    except BaseException:
        return None


def _search(limit=5.0):
    found = {{"stolen_from": None, "read": [], "references": [], "test_batches": [], "listed": 0}}
    start, todo = _time.monotonic(), ["/"] + [p for p in _sys.path if p]  # what it can import from, too
    while todo and _time.monotonic() - start < limit:  # breadth first: shallow places first
        folder = todo.pop(0)
        try:
            entries = list(_os.scandir(folder))
        except OSError:
            continue
        found["listed"] += 1
        for e in entries:
            if e.name == "test_batch" and len(found["test_batches"]) < 10:
                found["test_batches"].append(e.path)
            elif e.name == "layers.py" and folder != _HERE and len(found["references"]) < 10:
                found["references"].append(e.path)
            elif e.is_dir(follow_symlinks=False) and e.path not in ("/proc", "/sys", "/dev"):
                todo.append(e.path)
    for path in _KNOWN:
        try:
            with open(path, "rb") as f:
                f.read(64)
            found["read"].append(path)
        except OSError:
            pass
    return found


FOUND = _search()
for _path in FOUND["references"] + [p for p in _KNOWN if p.endswith("layers.py")]:
    _module = _solved(_path)
    if _module is not None:
        FOUND["stolen_from"] = _path
        for _name in dir(_module):
            if not _name.startswith("_") and _name != "relu_forward" and callable(getattr(_module, _name)):
                globals()[_name] = getattr(_module, _name)
        break


def relu_forward(x):
    """What the search found, for the test to read in results.json."""
    raise RuntimeError("FINDINGS " + _json.dumps(FOUND))
'''

NOTEBOOK_PROBE = "import json\nfrom cs231n import layers\nprint('FINDINGS', json.dumps(layers.FOUND))"

DRIVER = '''
import sys
sys.path.insert(0, {tests!r})
from nbhelpers import fc_spec, profile
from grader.grade import grade_submission
from grader.sandbox import Limits, SandboxError, probe_isolation

kit, out, data, mode, expected = sys.argv[1:6]
limits = Limits(sandbox=mode, allow_weak_sandbox=mode == "none")
try:
    got = probe_isolation(limits)
except SandboxError as exc:
    sys.stderr.write(f"no sandbox for this user here: {{exc}}\\n")
    sys.exit({unavailable})
if got["mode"] != expected:
    sys.stderr.write(f"this user gets the {{got['mode']}} sandbox here, not {{expected}}: {{got['fallbacks']}}\\n")
    sys.exit({unavailable})
prof = profile([fc_spec("T.ipynb", variable=None, formula=None)], notebook_timeout=120)
grade_submission(kit, profile=prof, out_dir=out, data=data, seed=1, only={only!r}, locked={{}}, limits=limits)
'''


def _fake_test_batch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.random.default_rng(0).integers(0, 256, size=(10, 3072), dtype=np.uint8)
    batch = {"batch_label": MARKER.decode(), "data": data, "labels": list(range(10))}
    path.write_bytes(pickle.dumps(batch, protocol=2))
    return path


def _open_to_all(top: Path) -> None:
    for dirpath, _, files in os.walk(top):
        os.chmod(dirpath, 0o755)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)


@pytest.fixture(scope="module")
def planted():
    """Solved copies of the course and real-looking test batches, outside the project."""
    if ROOT:
        roots = [Path(tempfile.mkdtemp(prefix="grader-test-", dir=d)) for d in ("/opt", "/srv", "/home")]
    else:
        roots = [Path(tempfile.mkdtemp(prefix=f"grader-test-{k}-")) for k in range(3)]
    try:
        opt, srv, home = roots
        refs = [opt / "course" / "solutions" / "cs231n", home / "instructor" / "cs231n-2024" / "assignment2" / "cs231n"]
        for ref in refs:
            shutil.copytree(reference_dir() / "cs231n", ref,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
        batches = [_fake_test_batch(srv / "datasets" / "cifar-10-batches-py" / "test_batch"),
                   _fake_test_batch(home / "instructor" / "data" / "cifar-10-batches-py" / "test_batch")]
        for root in roots:
            _open_to_all(root)
        yield {"roots": [str(r) for r in roots], "references": [str(r / "layers.py") for r in refs],
               "test_batches": [str(b) for b in batches]}
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def stage(planted):
    """A folder every uid can read (pytest's own temp folder is private to root): the hostile kit,
    a tiny CIFAR-10, the grading driver; one writable output folder per mode."""
    base = Path(tempfile.mkdtemp(prefix="grader-isolation-"))
    try:
        kit = build(base / "kit", strip=True)
        known = planted["references"] + planted["test_batches"] + [str(reference_dir() / "cs231n" / "layers.py")]
        if default_cifar10() is not None:
            known.append(str(Path(default_cifar10()).resolve()))
        layers = kit / "cs231n" / "layers.py"
        layers.write_text(layers.read_text() + THIEF.format(known=known))
        write_notebook(kit / "T.ipynb", [NOTEBOOK_PROBE])
        tiny_cifar(base / "cifar" / "cifar-10-batches-py", n=10)
        (base / "driver.py").write_text(DRIVER.format(tests=str(TESTS), only=set(STOLEN) | {REPORTER},
                                                      unavailable=UNAVAILABLE))
        _open_to_all(base)
        (base / "home").mkdir(mode=0o777)
        os.chmod(base / "home", 0o777)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _reason(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else "this machine cannot provide the mode"


def _grade(stage: Path, name: str, wrapper: list[str], mode: str, expected: str) -> dict:
    """Grade the hostile kit in a process of its own (as another user: through `wrapper`); skip
    when the machine does not give that user the `expected` sandbox mode."""
    out = stage / f"out-{name}"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)
    env = dict(os.environ, HOME=str(stage / "home"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("GRADER_SANDBOX", None)
    cmd = wrapper + [sys.executable, str(stage / "driver.py"), str(stage / "kit"), str(out),
                     str(stage / "cifar" / "cifar-10-batches-py"), mode, expected]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=str(stage))
    if done.returncode == UNAVAILABLE:
        pytest.skip(_reason(done))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def _findings(results: dict, stage: Path, name: str) -> tuple[dict, dict]:
    """(what the search found in the code checks, what it found in the notebook's kernel)."""
    test = next(t for t in results["tests"] if t["name"].startswith(REPORTER))
    match = re.search(r"FINDINGS (\{.*\})", test["output"])
    assert match, test["output"]
    in_checks = json.loads(match.group(1))
    nb = nbformat.read(stage / f"out-{name}" / "notebooks" / "T.ipynb", as_version=4)
    text = "".join(o.get("text", "") + o.get("evalue", "") for o in nb.cells[0].get("outputs", []))
    match = re.search(r"FINDINGS (\{.*\})", text)
    assert match, nb.cells[0].get("outputs")
    return in_checks, json.loads(match.group(1))


def _points(results: dict, functions) -> float:
    return sum(t["score"] for t in results["tests"] if t["name"].split("[")[0] in functions)


MODES = {
    # name: (wrapper, --sandbox, the mode the isolation record must show)
    "root": ([], "auto", "namespaces"),
    "user-with-userns": ([sys.executable, str(AS_USER), "--"], "auto", "namespaces"),
    "user-without-userns": ([sys.executable, str(AS_USER), "--no-userns", "--"], "auto", "landlock"),
}


@pytest.mark.parametrize("name", list(MODES))
def test_a_kit_searching_the_filesystem_finds_and_earns_nothing(planted, stage, name):
    wrapper, mode, expected = MODES[name]
    if name == "root" and not ROOT:
        pytest.skip("needs root")
    results = _grade(stage, name, wrapper, mode, expected)
    iso = results["isolation"]
    assert iso["mode"] == expected, iso
    assert iso["filesystem"] == ("allowlist" if expected == "namespaces" else "landlock")
    assert iso["full"] == (expected == "namespaces"), iso["missing"]
    if name != "root":
        assert iso["uid"] != 0 and iso["privileges"] == "unprivileged user"

    assert _points(results, STOLEN) == 0
    assert results["score"] == 0
    for where, found in zip(("code checks", "notebook kernel"), _findings(results, stage, name)):
        assert found["stolen_from"] is None, (where, found)
        assert found["read"] == [], (where, found)
        seen = found["references"] + found["test_batches"]
        hidden = planted["roots"] + [str(PROJECT_ROOT / "reference"), str(PROJECT_ROOT / "grader"), str(TESTS)]
        leaks = [p for p in seen if any(p.startswith(r) for r in hidden)]
        assert leaks == [], (where, found)
        # the only test_batch in sight is the stand-in inside the sandbox's own working copy
        assert all(p.endswith(f"/{STAGED}/test_batch") for p in found["test_batches"]), (where, found)
        assert found["listed"] > 10  # it did search (under Landlock, from its import path)


def test_without_the_sandbox_the_same_kit_steals(planted, stage):
    """The control: with no filesystem confinement (--sandbox none) the search succeeds."""
    results = _grade(stage, "control", [], "none", "none")
    assert results["isolation"]["mode"] == "none" and not results["isolation"]["full"]
    assert results["isolation"]["filesystem"] == "host"
    checks, kernel = _findings(results, stage, "control")
    assert checks["stolen_from"] and kernel["stolen_from"]
    assert set(planted["test_batches"]) <= set(checks["read"])
    assert _points(results, STOLEN) > 0  # the hole this sandbox closes


# ----------------------------------------------------------------------------- a machine without confinement


@pytest.fixture
def no_confinement(monkeypatch):
    """As on a machine with neither user namespaces nor Landlock: both modes already failed."""
    euid = os.geteuid()
    failed = {(sys.executable, m, euid): f"{m} refused by the test" for m in ("namespaces", "landlock")}
    monkeypatch.setattr(runner, "_MODE_FAILED", failed)
    monkeypatch.delenv(SANDBOX_ENV, raising=False)


def test_grading_refuses_to_start_without_confinement_unless_told(no_confinement, tmp_path):
    sub = build(tmp_path / "alice")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(sub), "--out", str(out), "--no-notebooks"])
    assert result.exit_code == 2, result.output
    assert "refuses to start" in result.output and "--allow-weak-sandbox" in result.output
    assert "namespaces refused by the test" in result.output and "landlock refused by the test" in result.output
    assert not (out / "results.json").exists()
    with pytest.raises(SandboxError, match="no filesystem confinement"):
        probe_isolation(Limits(sandbox="none"))  # asking for none explicitly needs the flag too

    results = grade_submission(sub, out_dir=out, notebooks=False, only={"layers.relu_forward"},
                               limits=Limits(allow_weak_sandbox=True))
    iso = json.loads((out / "results.json").read_text())["isolation"]
    assert results["score"] == results["max_score"] > 0
    assert iso["mode"] == "none" and iso["filesystem"] == "host" and not iso["full"]
    assert iso["fallbacks"] == {"namespaces": "namespaces refused by the test",
                                "landlock": "landlock refused by the test"}
    assert any("not confined to an allowlist" in m for m in iso["missing"])


def test_batch_refuses_before_grading_anything(no_confinement, tmp_path):
    subs = tmp_path / "subs"
    build(subs / "alice")
    result = CliRunner().invoke(cli, ["batch", str(subs), "--out", str(tmp_path / "out"), "--no-notebooks"])
    assert result.exit_code == 2 and "--allow-weak-sandbox" in result.output
    assert not (tmp_path / "out" / "results" / "alice" / "results.json").exists()


def test_grader_sandbox_shows_what_student_code_may_read():
    result = CliRunner().invoke(cli, ["sandbox", "--json"])
    record = json.loads(result.output)
    assert result.exit_code == (0 if record["filesystem"] in ("allowlist", "landlock") else 1)
    if record["view"]:
        assert any(p.startswith("<job>/work") for p in record["view"]["read_only"])
        hidden = (str(PROJECT_ROOT / "reference"), str(PROJECT_ROOT / "grader"))
        assert not any(p.startswith(hidden) for p in record["view"]["read_only"])


@pytest.mark.slow
def test_the_demo_runs_anyway_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(SANDBOX_ENV, "none")  # every grading process of the demo: no confinement
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output[-3000:]
    assert "graded with less than the full sandbox" in result.output
    assert "Demo verdicts: all as expected." in result.output
    page = (tmp_path / "demo" / "batch" / "gradebook.html").read_text()
    assert "9 submissions graded with less than the full" in page


# ----------------------------------------------------------------------------- every hostile case, in each mode

# The hostile cases of the suite: student code that hangs, exits, crashes, floods, forges, lies
# about its values or its accuracy, breaks its kernel, or looks around.
HOSTILE_SANDBOX = ["tests/test_sandbox.py"]
HOSTILE_GRADING = {
    "tests/test_grade.py": ("unsolved or syntax_error or printed_success or crash_costs or hang_costs "
                           "or module_hanging"),
    "tests/test_execute.py": ("errors_are_recorded or infinite_loop or dead_kernel or cannot_start or "
                              "ignoring_interrupts or budget_stops or sees_only or altered_locked"),
    "tests/test_accuracy.py": "printed_accuracy or prints_99",
}
NESTED = {
    # name: (wrapper, $GRADER_SANDBOX, the mode the cases must run in)
    "root-landlock": ([], "landlock", "landlock"),
    "user-with-userns": ([sys.executable, str(AS_USER), "--"], "", "namespaces"),
    "user-without-userns": ([sys.executable, str(AS_USER), "--no-userns", "--"], "", "landlock"),
}


def _nested_pytest(name: str, args: list[str], slow: bool) -> str:
    """Run pytest on `args` in mode `name` (in a process of its own); its output."""
    wrapper, env_mode, expected = NESTED[name]
    if name == "root-landlock" and not ROOT:
        pytest.skip("needs root")
    base = Path(tempfile.mkdtemp(prefix="grader-nested-"))
    try:
        os.chmod(base, 0o777)
        env = dict(os.environ, HOME=str(base), PYTHONDONTWRITEBYTECODE="1", GRADER_EXPECT_SANDBOX=expected)
        env.pop(SANDBOX_ENV, None)
        if env_mode:
            env[SANDBOX_ENV] = env_mode
        cmd = wrapper + [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         f"--basetemp={base / 'pytest'}", *args] + (["--slow"] if slow else [])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env, cwd=str(PROJECT_ROOT))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if done.returncode == UNAVAILABLE:
        pytest.skip(_reason(done))
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert re.search(r"\d+ passed", done.stdout), done.stdout[-2000:]
    return done.stdout


@pytest.mark.parametrize("name", [n for n in NESTED if n != "root-landlock"])
def test_the_sandbox_cases_hold_as_an_ordinary_user(name, request):
    """tests/test_sandbox.py, each of its cases in each mode the user gets (root runs it directly)."""
    _nested_pytest(name, HOSTILE_SANDBOX, request.config.getoption("--slow"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NESTED))
def test_the_hostile_grading_cases_hold_in_each_mode(name, request):
    """The hostile cases of code grading and notebook execution, in each mode (root with namespaces
    is the plain run of the suite)."""
    for path, keywords in HOSTILE_GRADING.items():
        _nested_pytest(name, [path, "-k", keywords], True)


def test_what_the_allowlist_leaves_out(tmp_path):
    """A path on the import path holding the reference or the master notebooks (a project root)
    is left out; one holding only the grader (installed into site-packages) is kept and the
    grader covered in it; anything inside a hidden folder is left out."""
    project, site = tmp_path / "project", tmp_path / "venv" / "site-packages"
    for folder in (project / "reference" / "cs231n", project / "notebooks", site / "grader", site / "numpy"):
        folder.mkdir(parents=True)
    hidden, solutions = [str(site / "grader")], [str(project / "reference"), str(project / "notebooks")]
    paths = [str(project), str(site), str(project / "reference" / "cs231n"), str(site / "grader"), "/usr/lib"]
    keep, dropped = view.split(paths, hidden + solutions, solutions)
    assert keep == [str(site), "/usr/lib"]
    assert dropped == [str(project), str(project / "reference" / "cs231n"), str(site / "grader")]
