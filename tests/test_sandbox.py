"""The sandbox runs hostile student code in child processes; only plain float64 numbers come back."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import random
import signal
import subprocess
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.courses import get_profile
from grader.courses.profile import CoursePaths, Package
from grader.sandbox import SANDBOX_ENV, Limits, SandboxError, Task, TaskResult, probe_isolation, run_tasks
from grader.sandbox import runner, view
from grader.submission import assemble_workdir

DRIVERS = Path(__file__).with_name("sandbox_drivers.py")
ROOT = os.geteuid() == 0

STUDENT = '''
import os
import sys
import time

import numpy as np


def double(x):
    print("student says hi")
    return (2 * x).astype(np.float32)


def pair(x):
    return x + 1, [[1, 2], [3, 4]]


def hang(x):
    while True:
        pass


def exit_hard(x):
    os._exit(0)


def exit_soft(x):
    sys.exit(0)


def allocate(x):
    big = np.ones(10 * 2**30 // 8)  # 10 GB
    return big.sum()


class Liar(np.ndarray):
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.ones(self.shape)


def liar(x):
    return np.array([1.0, np.nan, 3.0]).view(Liar)


def words(x):
    return "PASSED"


def complex_result(x):
    return x + 1j


def shout(x):
    for _ in range(10**6):
        print("PASSED")
    return x


def forge(index):
    """Plant a result for the NEXT task, once the parent has sent it."""
    if os.fork() == 0:
        time.sleep(0.2)
        out = os.path.join(os.getcwd(), "..", "out")
        with open(os.path.join(out, f"{index + 1}.json"), "w") as f:
            json = '{"index": %d, "token": "%s", "status": "ok", "error": null, "not_implemented": false, "info": {}}'
            f.write(json % (index + 1, "0" * 32))
        np.savez(os.path.join(out, f"{index + 1}.npz"), out=np.array(42.0))
        os._exit(0)
    return 0.0


def slow_one(x):
    time.sleep(0.7)
    return np.ones(1)


def spawn(marker):
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", marker])
    return 0.0


def spawn_daemon(marker):
    """Double fork + setsid: the grandchild leaves the process group."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", marker])
        os._exit(0)
    os.waitpid(pid, 0)
    return 0.0


def write_big(n):
    with open("big.bin", "wb") as f:  # in the child's private home
        f.write(b"x" * n)
    return 0.0


def todo(x):
    raise NotImplementedError("implement me")


def read_file(path):
    with open(path, "rb") as f:
        return float(len(f.read()))


def returns_none(x):
    pass


def raises(x):
    y = x + 1
    raise ValueError("bad shape %s" % (y.shape,))  # RAISE-LINE


def probe(reference, grader_dir, lib, allowed, secrets):
    """What can student code see and do? 1.0 = yes; counts for the walk and the reads."""
    import socket

    def listable(path):
        try:
            return bool(os.listdir(path))
        except OSError:
            return False

    flags = {}
    flags["reference_visible"] = float(listable(reference))
    flags["grader_dir_visible"] = float(listable(grader_dir))
    try:
        with open(os.path.join(lib, "job.json"), "a"):
            pass
        flags["lib_writable"] = 1.0
    except OSError:
        flags["lib_writable"] = 0.0
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        flags["network"] = 1.0
    except OSError:
        flags["network"] = 0.0
    import grader

    flags["grader_is_stub"] = float(os.path.getsize(grader.__file__) == 0)
    try:
        import grader.paths  # noqa: F401

        flags["real_grader_importable"] = 1.0
    except ImportError:
        flags["real_grader_importable"] = 0.0
    flags["uid"] = float(os.getuid())
    try:
        with open(os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "planted.py"), "w"):
            pass
        flags["venv_writable"] = 1.0
    except OSError:
        flags["venv_writable"] = 0.0
    flags["visible_processes"] = float(sum(p.isdigit() for p in os.listdir("/proc"))) if listable("/proc") else -1.0
    # everything this process can list, from the root down: anything outside the allowlist?
    job = os.path.dirname(os.getcwd())
    allowed = list(allowed) + [job]
    inside = lambda p: any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed)  # noqa: E731
    outside, todo = [], ["/"]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            if e.path == "/proc":
                continue
            if e.is_dir(follow_symlinks=False):
                todo.append(e.path)
            elif e.is_symlink():  # in an allowed folder, or on the way to the interpreter
                if not inside(e.path) and not inside(os.path.realpath(e.path)):
                    outside.append(e.path)
            elif not inside(e.path):
                outside.append(e.path)
    print("outside the allowlist:", outside[:20])
    flags["outside_allowlist"] = float(len(outside))
    readable = []
    for path in secrets:
        try:
            with open(path, "rb") as f:
                f.read(1)
            readable.append(path)
        except OSError:
            pass
    print("secrets read:", readable)
    flags["secrets_read"] = float(len(readable))
    return [flags[k] for k in sorted(flags)]
'''

PROBE_KEYS = sorted(["reference_visible", "grader_dir_visible", "lib_writable", "network", "grader_is_stub",
                     "real_grader_importable", "uid", "venv_writable", "visible_processes", "outside_allowlist",
                     "secrets_read"])
SANDBOX_MODES = ("namespaces", "landlock")


@functools.lru_cache(maxsize=None)
def unavailable(mode: str) -> str | None:
    """Why this machine cannot run the sandbox in `mode` (None: it can)."""
    try:
        probe_isolation(Limits(sandbox=mode))
        return None
    except SandboxError as exc:
        return str(exc).split(". Its output:")[0]


@pytest.fixture(autouse=True, params=SANDBOX_MODES)
def sandbox_mode(request, monkeypatch) -> str:
    """Every case of this file, in each sandbox mode this machine provides."""
    why = unavailable(request.param)
    if why:
        pytest.skip(f"the {request.param} sandbox is not available here: {why}")
    monkeypatch.setenv(SANDBOX_ENV, request.param)
    return request.param


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workdir")
    pkg = root / "cs231n"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "student.py").write_text(STUDENT)
    (pkg / "broken.py").write_text("import numpy as np\n\ndef f(x)\n    return x\n")
    (root / "grader").mkdir()
    (root / "grader" / "__init__.py").write_text("")
    return root


def call(fn: str, timeout: float = 5.0, module: str = "student", **kwargs) -> Task:
    arrays = {"x": np.arange(6.0).reshape(2, 3)} if not kwargs else {}
    params = {"module": module, "fn": fn, "args": ["x"] if not kwargs else [], "kwargs": kwargs}
    return Task(name=f"student.{fn}", driver="call", params=params, arrays=arrays, timeout=timeout)


def run(workdir: Path, tasks: list[Task], **kw) -> list[TaskResult]:
    return run_tasks(workdir, tasks, drivers=DRIVERS, **kw)


def test_normal_call_returns_float64_and_records_what_the_student_returned(workdir):
    pair = Task("student.pair", "call_pair", {"module": "student", "fn": "pair", "args": ["x"], "note": "hi"},
                {"x": np.ones((2, 2))})
    r, p = run(workdir, [call("double"), pair])
    assert r.status == "ok" and r.error is None and not r.not_implemented
    assert type(r.outputs["out"]) is np.ndarray and r.outputs["out"].dtype == np.float64
    np.testing.assert_array_equal(r.outputs["out"], 2 * np.arange(6.0).reshape(2, 3))
    assert r.info["dtypes"] == {"out": "float32"} and r.info["shapes"] == {"out": [2, 3]}
    assert r.stdout == "student says hi\n"
    assert p.status == "ok" and p.info["note"] == "hi"
    np.testing.assert_array_equal(p.outputs["second"], [[1.0, 2.0], [3.0, 4.0]])
    assert p.info["dtypes"] == {"first": "float64", "second": "list"}


def test_hang_times_out_and_the_next_task_still_runs(workdir):
    t0 = time.monotonic()
    hang, after = run(workdir, [call("hang", timeout=0.5), call("double")])
    assert hang.status == "timeout" and "timed out after 0.5 s" in hang.error
    assert after.status == "ok"
    assert time.monotonic() - t0 < 10


def test_exit_mid_task_is_a_crash_and_the_rest_still_runs(workdir):
    hard, soft, after = run(workdir, [call("exit_hard"), call("exit_soft"), call("double")])
    assert hard.status == "crash" and "exited with code 0" in hard.error and "os._exit" in hard.error
    assert soft.status == "crash" and "sys.exit(0)" in soft.error and "cs231n/student.py" in soft.error
    assert after.status == "ok" and after.outputs["out"][1, 2] == 10.0


def test_allocating_10_gb_hits_the_memory_limit(workdir):
    big, after = run(workdir, [call("allocate"), call("double")])
    assert big.status in ("error", "crash")
    if big.status == "error":
        assert big.error.startswith("MemoryError") and "cs231n/student.py" in big.error
    assert after.status == "ok"


def test_hostile_values_come_back_as_plain_float64(workdir):
    liar, words, cplx = run(workdir, [call("liar"), call("words"), call("complex_result")])
    out = liar.outputs["out"]
    assert type(out) is np.ndarray and out.dtype == np.float64
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 3.0  # the NaN is kept, not "fixed"
    assert not np.array_equal(out, [1.0, 2.0, 3.0])  # no __eq__ trickery survives
    assert words.status == "error" and "not numeric" in words.error and words.outputs == {}
    assert cplx.status == "error" and "not numeric" in cplx.error


def test_printing_passed_a_million_times_is_capped(workdir):
    (r,) = run(workdir, [call("shout", timeout=20)], limits=Limits(stdout_bytes=1000))
    assert r.status == "ok"
    assert len(r.stdout) < 1200 and "earlier bytes of output not shown" in r.stdout
    assert r.stdout.rstrip().endswith("PASSED")


def test_a_result_forged_for_the_next_task_is_not_accepted(workdir):
    forge = Task("forge", "call", {"module": "student", "fn": "forge", "kwargs": {"index": 0}})
    honest = Task("slow", "call", {"module": "student", "fn": "slow_one", "args": ["x"]}, {"x": np.zeros(1)})
    first, second = run(workdir, [forge, honest])
    assert first.status == "ok"
    assert second.status == "ok"
    np.testing.assert_array_equal(second.outputs["out"], [1.0])  # not the planted 42


def _sleepers(marker: str) -> list[int]:
    """Host pids of `sleep <marker>` processes that are still alive (zombies count as dead)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\0" + marker.encode() + b"\0":
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "no-namespaces"])
def test_a_forked_grandchild_is_killed_with_the_group(workdir, namespaces, monkeypatch):
    monkeypatch.setattr(runner, "_DROP_FAILED", {})  # a fallback decided here must not leak into other tests
    marker = f"{60 + random.random():.9f}"
    control = subprocess.Popen(["sleep", marker])  # the scan must see a live one
    try:
        deadline = time.monotonic() + 5
        while not _sleepers(marker) and time.monotonic() < deadline:
            time.sleep(0.02)  # until the control has exec'd
        assert _sleepers(marker) == [control.pid]
    finally:
        control.kill()
        control.wait()
    tasks = [call("spawn", marker=marker), call("spawn_daemon", marker=marker)]
    report: dict = {}
    results = run(workdir, tasks, report=report, limits=Limits(namespaces=namespaces))
    assert [r.status for r in results] == ["ok", "ok"]
    assert (report["isolation"]["pids"] == "private") <= namespaces
    survivors = _sleepers(marker)
    # a setsid daemon escapes the process group; the pid namespace, or else the supervisor (a
    # subreaper the daemon was reparented to), still gets it
    for pid in survivors:  # our own leftover, by pid
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_syntax_error_not_implemented_and_exceptions_are_located(workdir):
    broken, todo, none, raises, after = run(
        workdir, [call("f", module="broken"), call("todo"), call("returns_none"), call("raises"), call("double")]
    )
    assert broken.status == "error" and broken.error.startswith("SyntaxError") and "cs231n/broken.py:3" in broken.error
    assert todo.status == "error" and todo.not_implemented and "NotImplementedError: implement me" in todo.error
    assert none.status == "error" and none.not_implemented and "returned None: not implemented (out)" in none.error
    line = STUDENT.splitlines().index(next(s for s in STUDENT.splitlines() if "RAISE-LINE" in s)) + 1
    assert raises.status == "error" and not raises.not_implemented
    assert raises.error.startswith("ValueError: bad shape (2, 3)")
    assert f"cs231n/student.py:{line} in raises" in raises.error
    assert after.status == "ok"


def test_total_budget_and_unknown_driver(workdir):
    first, unknown, skipped = run(
        workdir, [call("hang", timeout=30), Task("x", "no_such_driver"), call("double")], total_timeout=0.8
    )
    assert first.status == "timeout" and "total time budget" in first.error
    assert unknown.status == "timeout" and skipped.status == "timeout" and "not run" in skipped.error


def test_unknown_driver_is_an_error(workdir):
    (r,) = run(workdir, [Task("x", "no_such_driver")])
    assert r.status == "error" and "unknown driver" in r.error


def test_what_student_code_can_see(workdir, sandbox_mode, tmp_path_factory):
    grader_dir = Path(runner.__file__).resolve().parent.parent
    # the interpreter, its packages, the system libraries, a few /etc and /dev files, the job
    allowed = [os.path.realpath(p) for p in view.interpreter_paths()] + view.interpreter_paths()
    allowed += list(view.SYSTEM_DIRS) + [os.path.realpath(p) for p in view.ETC_FILES] + list(view.ETC_FILES)
    allowed += ["/dev", "/tmp", "/var/tmp", "/etc/passwd", "/etc/group", "/etc/hosts"]
    secret = tmp_path_factory.mktemp("secret") / "solution.py"  # readable by anyone, outside the allowlist
    secret.write_text("SOLVED = True\n")
    for p in (secret, secret.parent):
        p.chmod(0o755)
    secrets = [str(secret), str(get_profile().paths.reference / "cs231n" / "layers.py"), str(grader_dir / "paths.py"),
               str(Path(__file__).resolve())]
    report: dict = {}
    (r,) = run(workdir, [call("probe", reference=str(get_profile().paths.reference), grader_dir=str(grader_dir),
                              lib="../lib", allowed=allowed, secrets=secrets, timeout=60)], report=report)
    assert r.status == "ok", r.error
    flags = dict(zip(PROBE_KEYS, r.outputs["out"]))
    iso = report["isolation"]
    assert report["children"] == 1 and iso["mode"] == sandbox_mode
    assert flags["grader_is_stub"] == 1.0 and flags["real_grader_importable"] == 0.0
    assert flags["reference_visible"] == 0.0 and flags["grader_dir_visible"] == 0.0
    assert flags["secrets_read"] == 0.0, r.stdout
    assert flags["outside_allowlist"] == 0.0, r.stdout
    assert flags["lib_writable"] == 0.0 and flags["venv_writable"] == 0.0
    assert flags["network"] == 0.0
    if sandbox_mode == "namespaces":
        assert iso["filesystem"] == "allowlist" and iso["pids"] == "private" and iso["network"] == "isolated"
        assert 0 < flags["visible_processes"] <= 3  # the sandbox's own processes, not the host's
    else:
        assert iso["filesystem"] == "landlock" and iso["landlock_abi"] >= 1
        assert flags["visible_processes"] == -1.0  # /proc cannot even be listed
    if ROOT and report["privileges"] == "dropped":
        assert flags["uid"] == iso["uid"] != 0
    # nothing on the child's import path lies outside what it may read
    shown = iso["view"]["read_only"]
    assert iso["sys_path"] and all(any(p == a or p.startswith(a + "/") for a in shown) for p in iso["sys_path"]
                                   if os.path.exists(p) or p.startswith("<job>")), iso["sys_path"]


def test_a_hidden_folder_inside_an_allowed_one_stays_hidden(workdir, sandbox_mode):
    """E.g. the grader installed (not editable) into site-packages: its folder is covered."""
    import nbformat  # a package in site-packages the child itself does not need

    hidden = Path(nbformat.__file__).resolve().parent
    target = hidden / "__init__.py"
    task = Task("read", "call", {"module": "student", "fn": "read_file", "kwargs": {"path": str(target)}})
    report: dict = {}
    visible, (r,) = run(workdir, [task]), run(workdir, [task], limits=Limits(hide_paths=(str(hidden),)), report=report)
    assert visible[0].status == "ok" and visible[0].outputs["out"] > 0  # allowed: site-packages
    assert r.status == "error" and ("Permission denied" in r.error or "No such file" in r.error), r.error
    assert str(hidden) not in report["isolation"]["view"]["read_only"]


def test_an_absent_editable_file_runs_as_the_kit_version(tmp_path):
    ref = tmp_path / "ref" / "cs231n"
    ref.mkdir(parents=True)
    (ref / "__init__.py").write_text("")
    (ref / "layers.py").write_text(textwrap.dedent("""\
        def triple(x):
            out = None
            # TODO: triple x
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            out = 3 * x
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            return out
        """))
    profile = dataclasses.replace(get_profile(), editable=("cs231n/layers.py",), packages=(Package("cs231n"),),
                                  paths=CoursePaths(ref.parent, ref.parent, ref.parent, ref.parent))
    work = assemble_workdir(profile, {}, tmp_path / "work")
    task = Task("layers.triple", "call", {"module": "layers", "fn": "triple", "args": ["x"]}, {"x": np.ones(2)})
    (r,) = run(work.path, [task])
    assert work.missing == ["cs231n/layers.py"]
    assert r.status == "error" and r.not_implemented and "returned None" in r.error


# ----------------------------------------------------------------------------- parent-side validation
def _npz_bytes(tmp_path: Path, **arrays) -> bytes:
    path = tmp_path / "x.npz"
    np.savez(path, **arrays)
    return path.read_bytes()


def test_parent_rejects_pickles_strings_and_lying_headers(tmp_path):
    ok = runner._load_outputs(_npz_bytes(tmp_path, a=np.arange(3, dtype=np.int8)), 1 << 20)
    assert ok["a"].dtype == np.float64 and list(ok["a"]) == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="not numeric"):
        runner._load_outputs(_npz_bytes(tmp_path, a=np.array([{"x": 1}], dtype=object)), 1 << 20)
    with pytest.raises(ValueError, match="not numeric"):
        runner._load_outputs(_npz_bytes(tmp_path, a=np.array(["PASSED"])), 1 << 20)
    # a header claiming 10^12 elements backed by 8 bytes: refused before any allocation
    path = tmp_path / "lie.npz"
    with zipfile.ZipFile(path, "w") as zf:
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
        header = header + " " * (117 - len(header)) + "\n"
        zf.writestr("a.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 8)
    with pytest.raises(ValueError, match="claims more data"):
        runner._load_outputs(path.read_bytes(), 1 << 20)


def test_parent_never_follows_links_or_blocks_on_fifos(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"index": 0}))
    (tmp_path / "link.json").symlink_to(secret)
    with pytest.raises(OSError):
        runner._read_untrusted(tmp_path / "link.json", 1000)
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(ValueError, match="not a regular file"):
        runner._read_untrusted(tmp_path / "fifo.json", 1000)
    (tmp_path / "big.json").write_bytes(b"x" * 2000)
    with pytest.raises(ValueError, match="too large"):
        runner._read_untrusted(tmp_path / "big.json", 1000)


@pytest.mark.skipif(not ROOT, reason="privileges are only dropped when the grader runs as root")
def test_falls_back_loudly_when_the_child_cannot_start_unprivileged(workdir, monkeypatch, caplog, sandbox_mode):
    monkeypatch.setattr(runner, "_DROP_FAILED", {})
    privileges = probe_isolation(Limits(sandbox=sandbox_mode))["privileges"]
    if privileges != "dropped":
        pytest.skip(f"the {sandbox_mode} sandbox does not drop privileges here: {privileges}")
    prepare = runner._prepare_job

    def unusable_home(workdir, drivers, package, limits, uid):
        job, config = prepare(workdir, drivers, package, limits, uid)
        if uid is not None:  # the unprivileged child cannot even enter its home
            os.chown(job / "home", 0, 0)
            os.chmod(job / "home", 0)
        return job, config

    monkeypatch.setattr(runner, "_prepare_job", unusable_home)
    report: dict = {}
    (r,) = run(workdir, [call("double")], report=report)
    assert r.status == "ok"
    assert report["privileges"].startswith("root: kept (the child could not start as uid")
    assert "WITHOUT dropping privileges" in caplog.text


def test_file_size_limit_is_an_error_not_a_kill(workdir):
    write = Task("write", "call", {"module": "student", "fn": "write_big", "kwargs": {"n": 2 << 20}})
    big, after = run(workdir, [write, call("double")], limits=Limits(file_size_bytes=1 << 20))
    assert big.status == "error" and "File too large" in big.error
    assert after.status == "ok"


@pytest.mark.slow  # a full CPU second, several wall seconds on a loaded machine
def test_cpu_limit_kills_the_task_and_the_next_one_runs(workdir):
    spin, after = run(workdir, [call("hang", timeout=20), call("double")], limits=Limits(cpu_seconds=1))
    assert spin.status == "crash" and "CPU time limit (1 s)" in spin.error and "SIGXCPU" in spin.error
    assert after.status == "ok"


@pytest.mark.skipif(not ROOT, reason="needs root to switch uid")
def test_kill_uid_reaches_a_daemon_outside_the_process_group():
    uid = runner._choose_uid()
    marker = f"{60 + random.random():.9f}"
    daemon = subprocess.Popen(["sleep", marker], user=uid, group=uid, extra_groups=[], start_new_session=True)
    deadline = time.monotonic() + 5
    while not _sleepers(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _sleepers(marker) == [daemon.pid]
    runner._kill_uid(uid)
    assert daemon.wait(timeout=5) == -9
