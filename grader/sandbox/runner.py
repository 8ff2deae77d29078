"""Parent side of the sandbox: run tasks in confined child processes, collect plain numbers.

Trust model (docs/architecture.md, README): this module runs in the trusted grading process. It never imports,
unpickles or evaluates anything a student wrote. Student code runs only in `child.py`, started
with `python -I` in a new session, a minimal environment and a private working folder; the
child confines itself (rlimits; the allowlist view through namespaces or Landlock; unprivileged
uid) before any student code loads. The parent chooses the mode (Limits.sandbox, "auto": the
strongest that starts here, falling back loudly), computes the allowlist (view.py) and records
what held (isolation.py); where only "none" is possible it refuses unless told otherwise.

Job folder (one per run_tasks call), private to this run:

    JOB/            root-owned 0711: the child can traverse it but not list or rename anything
      lib/          child.py, drivers.py, job.json      (parent-owned, read-only to the child)
      work/         copy of the workdir                 (parent-owned, read-only to the child)
      in/<i>.json|npz   task i's inputs, written just before task i is sent (parent-owned)
      out/<i>.json|npz  task i's results                 (child-owned: nothing in it is trusted)
      home/         cwd, HOME and TMPDIR of the child   (child-owned)
      root/         where the child mounts its new root (namespaces mode; empty on the host)

Tasks are sent one at a time over a command pipe with a fresh random token; the child answers
"done <i>" on a status pipe. A result is accepted only for the task being waited on, with its
token, from files the parent deleted before sending the task, read with O_NOFOLLOW, size caps,
no pickles, and numeric dtypes only. Because the student's code shares the child's process,
it can forge the result of the task it is running (never of a later one: that token does not
exist yet); the forged numbers still go through the parent's comparison with the reference.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import random
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Callable
from pathlib import Path

import numpy as np

from ..errors import SetupError
from . import isolation, view

log = logging.getLogger(__name__)

CHILD_PROGRAM = Path(__file__).with_name("child.py")
_NAMESPACE_EXIT_WAIT = 10  # seconds; the kernel normally empties a namespace in milliseconds
# (interpreter, mode) whose child failed to start as an unprivileged uid: why (once per process).
_DROP_FAILED: dict[tuple, str] = {}
# (interpreter, mode, euid) that could not start at all here: why ("auto" then tries the next mode).
_MODE_FAILED: dict[tuple, str] = {}


@dataclass
class Task:
    name: str  # test name, e.g. "layers.affine_backward[kdim]"
    driver: str  # name of a driver function in the drivers module
    params: dict = field(default_factory=dict)  # JSON-able parameters for the driver
    arrays: dict = field(default_factory=dict)  # str -> np.ndarray inputs (sent as .npz, never pickle)
    timeout: float = 10.0  # wall seconds for this task


@dataclass
class TaskResult:
    name: str
    status: str  # "ok" | "error" | "timeout" | "crash"
    outputs: dict  # str -> float64 ndarray, converted by the parent (0-d for scalars)
    info: dict  # small JSON from the driver, plus "dtypes"/"shapes" of what the student returned
    error: str | None
    not_implemented: bool
    stdout: str  # tail of what the student code printed (capped)
    seconds: float


MODES = ("auto", "namespaces", "landlock", "none")
SANDBOX_ENV = "GRADER_SANDBOX"  # the mode when Limits.sandbox is None (else "auto")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process (and the caps the parent applies to its results)."""

    memory_bytes: int = 4 << 30  # RLIMIT_AS
    cpu_seconds: int | None = None  # RLIMIT_CPU per child; None: the tasks' wall budget + 10 s
    file_size_bytes: int = 64 << 20  # RLIMIT_FSIZE (a larger write fails with EFBIG)
    nprocs: int = 64  # RLIMIT_NPROC (processes+threads) once the child runs as its own uid
    nofile: int = 256  # RLIMIT_NOFILE
    stdout_bytes: int = 16 << 10  # tail of the student's output kept per task
    output_bytes: int = 256 << 20  # largest result .npz accepted
    info_bytes: int = 256 << 10  # largest result .json accepted
    startup_timeout: float = 60.0  # seconds for a child to report ready
    drop_privileges: bool = True  # as root: run the child as a fresh unprivileged uid
    namespaces: bool = True  # False: never try namespaces ("auto" then means Landlock, else none)
    isolate_network: bool = True  # new network namespace (root, or a user namespace)
    private_tmp: bool = True  # kept for compatibility: the allowlist view always has a private /tmp
    hide_paths: tuple = ()  # more folders never to show, even inside an allowed one (the reference and grader always)
    # "namespaces": a minimal root holding only the allowlist (root, or a user namespace);
    # "landlock": the same allowlist enforced by Landlock; "none": resource limits only;
    # "auto": the strongest of these the machine allows. None: $GRADER_SANDBOX, else "auto".
    sandbox: str | None = None
    allow_weak_sandbox: bool = False  # run student code even when only "none" is possible


class SandboxError(SetupError):
    """The sandbox itself could not run (a set-up problem, not the student's fault)."""


# ----------------------------------------------------------------------------- files
def _write_npz(path: Path, arrays: dict) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(arr), allow_pickle=False)


def _read_untrusted(path: Path, cap: int) -> bytes:
    """The bytes of a regular file the child wrote; never follows a link, never blocks on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if st.st_size > cap:
            raise ValueError(f"{path.name} is too large ({st.st_size} bytes > {cap})")
        chunks, left = [], cap + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:
            raise ValueError(f"{path.name} grew beyond {cap} bytes")
        return data
    finally:
        os.close(fd)


def _load_outputs(data: bytes, cap: int) -> dict:
    """float64 arrays from an untrusted .npz: headers checked before any allocation, no pickles."""
    outputs: dict = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
        if sum(m.file_size for m in members) > cap or len(members) > 4096:
            raise ValueError("result arrays too large")
        for m in members:
            if not m.filename.endswith(".npy") or m.is_dir():
                raise ValueError(f"unexpected member {m.filename!r}")
            with zf.open(m) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
                if dtype.hasobject or dtype.kind not in "biuf":
                    raise ValueError(f"{m.filename[:-4]} is not numeric (dtype {dtype})")
                if math.prod(shape) * dtype.itemsize > m.file_size:
                    raise ValueError(f"{m.filename[:-4]}: header claims more data than the file holds")
            with zf.open(m) as f:
                arr = np.lib.format.read_array(f, allow_pickle=False)
            outputs[m.filename[:-4]] = np.array(arr, dtype=np.float64)  # plain float64; NaN stays NaN
    return outputs


def _copy_tree(src: Path, dest: Path) -> None:
    """Regular files and folders only (no links, no devices), readable by everyone, writable by us."""
    dest.mkdir(mode=0o755)
    os.chmod(dest, 0o755)
    for entry in os.scandir(src):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            _copy_tree(Path(entry.path), dest / entry.name)
        elif entry.is_file(follow_symlinks=False):
            shutil.copyfile(entry.path, dest / entry.name, follow_symlinks=False)
            os.chmod(dest / entry.name, 0o644)


def _rmtree(path: Path) -> None:
    def unlock(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=unlock)


# ----------------------------------------------------------------------------- uids
def _id_ranges(path: str) -> list[tuple[int, int]]:
    try:
        with open(path) as f:
            return [(int(a), int(a) + int(n)) for a, _, n in (line.split() for line in f)]
    except (OSError, ValueError):
        return [(0, 65536)]


def _uids_in_use() -> set[int]:
    used = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                used.add(os.stat(f"/proc/{pid}").st_uid)
            except OSError:
                pass
    return used


def _choose_uid() -> int:
    """A fresh uid (= gid) no process uses: a child can signal or trace nothing but its own."""
    uids, gids = _id_ranges("/proc/self/uid_map"), _id_ranges("/proc/self/gid_map")
    for lo_want, hi_want in ((2_000_000, 2_000_000_000), (10_000, 65_000)):
        spans = [(max(a, c, lo_want), min(b, d, hi_want)) for a, b in uids for c, d in gids]
        spans = [(lo, hi) for lo, hi in spans if hi - lo > 100]
        if spans:
            used = _uids_in_use()
            for _ in range(20):
                lo, hi = random.choice(spans)
                uid = random.randrange(lo, hi)
                if uid not in used:
                    return uid
    raise SandboxError("no free uid to run the child as")


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid` (catches daemons that left the process group via setsid).

    Only needed without a pid namespace (whose processes all die with its init). The forked
    process calls nothing but plain system calls before _exit, and execs nothing (the
    interpreter may not even be readable by that uid)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the fork)
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # as `uid`: every process of that uid except this one
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# ----------------------------------------------------------------------------- one child
def _exit_message(returncode: int, cpu_seconds: int) -> str:
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = {
            signal.SIGXCPU: f"the CPU time limit ({cpu_seconds} s) was exceeded",
            signal.SIGKILL: "killed (CPU hard limit, out of memory, or killed by student code)",
            signal.SIGSEGV: "segmentation fault",
            signal.SIGABRT: "aborted",
        }.get(sig, "killed by a signal")
        return f"the child process died during this task: {why} ({name})"
    return (f"the child process exited with code {returncode} during this task "
            "(student code called os._exit() or killed its own process)")


class _Child:
    """One running child process and the pipes to it."""

    def __init__(self, job: Path, config: dict, uid: int | None, cpu_seconds: int, limits: Limits):
        self.job, self.uid, self.limits, self.cpu_seconds = job, uid, limits, cpu_seconds
        cmd_r, self.cmd_w = os.pipe()
        self.status_r, status_w = os.pipe()
        config = dict(config, cmd_fd=cmd_r, status_fd=status_w, uid=uid, gid=uid)
        config["limits"] = dict(config["limits"], cpu_seconds=cpu_seconds)
        (job / "lib" / "job.json").write_text(json.dumps(config))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": config["home"],
            "TMPDIR": config["home"],
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(job / "lib" / "child.py"), str(job)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=config["home"], env=env, pass_fds=(cmd_r, status_w), start_new_session=True,
            )
        finally:
            os.close(cmd_r)
            os.close(status_w)
        self.out_r = self.proc.stdout.fileno()
        os.set_blocking(self.out_r, False)
        os.set_blocking(self.status_r, False)
        try:
            self.pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.lines: list[str] = []
        self.partial = b""
        self.status_open = self.out_open = True
        self.tail = bytearray()
        self.out_total = 0
        self.record: dict = {}
        self.init_pidfd: int | None = None
        self.harness: int | None = None

    def watch_namespace(self) -> None:
        """Remember the pid namespace's init (the relay's only child) so kill() can wait for it;
        without a pid namespace, the harness (the supervisor's only child) so kill() can end it first.

        Its exit comes only after the kernel has killed and reaped every process inside, so
        waiting for it means no student process outlives the run. Called right after "ready",
        before any student code ran, while the relay still parents the init."""
        private = self.record.get("pids") == "private"
        if not private and self.record.get("reaper") != "supervisor":
            return
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            if len(children) == 1 and private:
                self.init_pidfd = os.pidfd_open(int(children[0]))
            elif len(children) == 1:
                # no pid namespace: the harness's process group is killed first, the supervisor
                # (our child, a subreaper) then kills whatever left that group and exits
                self.harness = int(children[0])
        except (AttributeError, OSError, ValueError):
            self.init_pidfd = None  # no pidfds or no children file: kill() cannot wait, as before

    # -- pipes
    def _read_output(self) -> None:
        try:
            data = os.read(self.out_r, 1 << 16)
        except BlockingIOError:
            return
        if not data:
            self.out_open = False
            return
        self.out_total += len(data)
        self.tail += data
        if len(self.tail) > 2 * self.limits.stdout_bytes:
            del self.tail[: len(self.tail) - self.limits.stdout_bytes]

    def _read_status(self) -> bool:
        """Read what is there (non-blocking); False when nothing was."""
        try:
            data = os.read(self.status_r, 1 << 16)
        except BlockingIOError:
            return False
        if not data:
            self.status_open = False
            return False
        self.partial += data
        *complete, self.partial = self.partial.split(b"\n")
        self.lines.extend(c.decode("utf-8", "replace") for c in complete)
        if len(self.partial) > 1 << 20:  # garbage without newlines: drop it
            self.partial = b""
        return True

    def take_output(self) -> str:
        """What the child printed since the last call (the tail, with a note of what was cut)."""
        self._read_output_all()
        cap = self.limits.stdout_bytes
        text = bytes(self.tail[-cap:]).decode("utf-8", "replace")
        if self.out_total > cap:
            text = f"[... {self.out_total - cap} earlier bytes of output not shown ...]\n" + text
        self.tail.clear()
        self.out_total = 0
        return text

    def _read_output_all(self) -> None:
        while self.out_open:
            before = self.out_total
            self._read_output()
            if self.out_total == before:
                break

    def exited(self) -> bool:
        """Has the child exited? With a pidfd this does not reap it (its group is killed first)."""
        if self.pidfd is not None:
            poller = select.poll()
            poller.register(self.pidfd, select.POLLIN)
            return bool(poller.poll(0))
        return self.proc.poll() is not None

    def wait_for(self, accept, deadline: float) -> tuple[str, str | None]:
        """Pump the pipes until a status line satisfies `accept`, the child exits, or the deadline.

        Returns ("line", line) | ("died", None) | ("timeout", None)."""
        while True:
            while self.lines:
                line = self.lines.pop(0)
                if accept(line):
                    return "line", line
            if self.exited():
                while self.status_open and self._read_status():
                    pass  # what it said before dying (a grandchild may hold the pipe open: no EOF)
                if any(accept(line) for line in self.lines):
                    continue
                self._read_output_all()
                return "died", None
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None
            poller = select.poll()  # not select(): a busy grading process may hold fds above 1024
            for fd, is_open in ((self.status_r, self.status_open), (self.out_r, self.out_open), (self.pidfd, True)):
                if is_open and fd is not None:
                    poller.register(fd, select.POLLIN)
            wait = left if self.pidfd is not None else min(left, 0.05)
            ready = {fd for fd, _ in poller.poll(math.ceil(wait * 1000))}
            if self.out_r in ready:
                self._read_output()
            if self.status_r in ready:
                self._read_status()

    def send(self, command: dict) -> bool:
        try:
            os.write(self.cmd_w, (json.dumps(command) + "\n").encode())
            return True
        except OSError:  # the child is gone (BrokenPipeError)
            return False

    def kill(self) -> None:
        """SIGKILL the whole process group (and, with a private uid, every process of that uid)."""
        if self.harness is not None:
            try:
                os.killpg(self.harness, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=_NAMESPACE_EXIT_WAIT)  # the supervisor's clean-up
            except subprocess.TimeoutExpired:
                log.warning("sandbox: the supervisor did not finish within %s s", _NAMESPACE_EXIT_WAIT)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        if self.uid is not None and self.record.get("pids") != "private":
            _kill_uid(self.uid)
        if self.init_pidfd is not None:
            # the relay died first; the namespace's init (SIGKILLed with the group or by its
            # parent-death signal) is gone only once everything inside is gone
            poller = select.poll()
            poller.register(self.init_pidfd, select.POLLIN)
            if not poller.poll(_NAMESPACE_EXIT_WAIT * 1000):
                log.warning("sandbox: the pid namespace did not empty within %s s", _NAMESPACE_EXIT_WAIT)

    def close(self) -> None:
        for fd in (self.cmd_w, self.status_r, self.pidfd, self.init_pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.proc.stdout.close()


# ----------------------------------------------------------------------------- the job
def _prepare_job(workdir: Path, drivers: list[Path], context: dict, limits: Limits, uid: int | None) -> tuple[Path, dict]:
    job = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
    try:
        return job, _fill_job(job, workdir, drivers, context, limits, uid)
    except BaseException:
        _rmtree(job)
        raise


def _hidden(limits: Limits) -> tuple[list[str], list[str]]:
    """(folders the child must never see, even inside an allowed one; those of them holding
    solutions, whose holders are never shown either: the reference, the master notebooks)."""
    from grader.courses import solution_folders

    grader_dir = Path(__file__).resolve().parent.parent
    solutions = [p for p in solution_folders() if p.is_dir()]
    hidden = sorted({str(Path(p).resolve()) for p in (grader_dir, *limits.hide_paths)})
    return hidden, sorted({str(Path(p).resolve()) for p in solutions})


def _fill_job(job: Path, workdir: Path, drivers: list[Path], context: dict, limits: Limits, uid: int | None) -> dict:
    os.chmod(job, 0o711)
    (job / "lib").mkdir(mode=0o755)
    shutil.copyfile(CHILD_PROGRAM, job / "lib" / "child.py")
    # the driver files run as one module, in order (later files may use earlier files' helpers)
    (job / "lib" / "drivers.py").write_text("\n\n".join(Path(d).read_text(encoding="utf-8") for d in drivers),
                                            encoding="utf-8")
    for name in ("child.py", "drivers.py"):
        os.chmod(job / "lib" / name, 0o644)
    os.chmod(job / "lib", 0o755)
    _copy_tree(workdir, job / "work")
    (job / "in").mkdir(mode=0o755)
    os.chmod(job / "in", 0o755)
    for name in ("out", "home"):
        (job / name).mkdir(mode=0o700)
        if uid is not None:
            os.chown(job / name, uid, uid)
    (job / "root").mkdir(mode=0o700)  # where the child mounts its new root (namespaces mode)

    limit_values = {k: v for k, v in asdict(limits).items() if isinstance(v, int) and not isinstance(v, bool)}
    try:
        hidden, solutions = _hidden(limits)
        child_view = view.build(str(job), hidden, solutions=solutions)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(f"could not work out what the sandbox child needs to see: {exc}") from exc
    config = {
        "jobdir": str(job),
        "workdir": str(job / "work"),
        "home": str(job / "home"),
        "drivers": str(job / "lib" / "drivers.py"),
        "context": context,
        "view": child_view,
        "isolate_network": limits.isolate_network,
        "limits": limit_values,
    }
    return config


def requested_mode(limits: Limits) -> str:
    """The sandbox mode asked for: Limits.sandbox, else $GRADER_SANDBOX, else "auto"."""
    mode = limits.sandbox or os.environ.get(SANDBOX_ENV) or "auto"
    if mode not in MODES:
        raise SandboxError(f"unknown sandbox mode {mode!r} (choose one of {', '.join(MODES)})")
    return mode


def _chain(limits: Limits) -> tuple[str, list[str]]:
    """(requested mode, the modes to try in order). Limits.namespaces=False caps the mode at
    Landlock ("namespaces" and "auto" then mean "landlock, else none")."""
    requested = requested_mode(limits)
    if requested == "namespaces" and not limits.namespaces:
        requested = "auto"
    if requested != "auto":
        return requested, [requested]
    return requested, (["namespaces"] if limits.namespaces else []) + ["landlock", "none"]


def _weak_refusal(requested: str, fallbacks: dict[str, str]) -> SandboxError:
    if requested == "none":
        return SandboxError("--sandbox none runs student code with no filesystem confinement (it can read every "
                            "file this user can); pass --allow-weak-sandbox as well to accept that")
    reasons = "; ".join(f"{m}: {why}" for m, why in fallbacks.items()) or "none of them is available"
    return SandboxError(
        "no sandbox that confines the filesystem can run on this machine (" + reasons + "). Student code would "
        "see every file this user can read (solutions, data sets, other submissions), so grading refuses to "
        "start. Grade as root, or where unprivileged user namespaces or Landlock (Linux 5.13+) are enabled; or "
        "accept the weaker sandbox explicitly with --allow-weak-sandbox (results.json then records it)")


def _validate(tasks: list[Task]) -> None:
    for task in tasks:
        json.dumps(task.params)  # raises TypeError for anything not JSON-able: an engine bug
        for key, arr in task.arrays.items():
            if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
                raise TypeError(f"task {task.name}: input {key!r} must be a numeric ndarray")


def _result_from_files(job: Path, index: int, token: str, limits: Limits) -> tuple[str, dict, dict, str | None, bool]:
    """(status, outputs, info, error, not_implemented) from the child's files; ValueError if invalid."""
    meta = json.loads(_read_untrusted(job / "out" / f"{index}.json", limits.info_bytes + (64 << 10)))
    if not isinstance(meta, dict) or meta.get("index") != index or meta.get("token") != token:
        raise ValueError("the result file does not belong to this task")
    status = meta.get("status")
    if status not in ("ok", "error", "crash"):
        raise ValueError(f"invalid status {status!r}")
    error = meta.get("error")
    error = None if error is None else str(error)[:4000]
    info = meta.get("info") if isinstance(meta.get("info"), dict) else {}
    outputs = _load_outputs(_read_untrusted(job / "out" / f"{index}.npz", limits.output_bytes), limits.output_bytes)
    return status, outputs, info, error, bool(meta.get("not_implemented"))


def _clear(job: Path, index: int) -> None:
    for sub, ext in (("out", "json"), ("out", "npz"), ("in", "json"), ("in", "npz")):
        try:
            os.unlink(job / sub / f"{index}.{ext}")
        except FileNotFoundError:
            pass


def run_tasks(
    workdir: Path,
    tasks: list[Task],
    *,
    drivers: Path | list[Path],
    context: dict | None = None,
    limits: Limits = Limits(),
    total_timeout: float | None = None,
    report: dict | None = None,
    skip: Callable[[Task, list[TaskResult]], str | None] | None = None,
) -> list[TaskResult]:
    """Run `tasks` in order in sandboxed children; one TaskResult per task, in the same order.

    drivers: the driver file(s), run in the child as one module; context: small JSON the
    drivers see as ctx.config (e.g. {"packages": {canonical name: the working copy's name}}).

    `skip(task, results_so_far)` may return a reason not to run a task (e.g. it calls a function
    that already hung): the task is then recorded as an error "not run: <reason>".

    A hang, crash or limit hit costs only the task that caused it: the child's process group is
    killed and a fresh child runs the remaining tasks. `report`, if given, is filled with what the
    sandbox could enforce on this machine (uid, network, mounts, limits, errors)."""
    _validate(tasks)
    workdir = Path(workdir)
    drivers = [Path(drivers)] if isinstance(drivers, (str, Path)) else [Path(d) for d in drivers]
    context = dict(context or {})
    if not workdir.is_dir():
        raise SandboxError(f"the working copy {workdir} does not exist")
    euid = os.geteuid()
    root = euid == 0
    requested, chain = _chain(limits)
    fallbacks = {m: _MODE_FAILED[(sys.executable, m, euid)] for m in chain[:-1]
                 if (sys.executable, m, euid) in _MODE_FAILED}
    mode = next(m for m in chain if m not in fallbacks)
    if mode == "none" and not limits.allow_weak_sandbox:
        raise _weak_refusal(requested, fallbacks)

    def wants_uid(m: str) -> bool:
        if not (root and limits.drop_privileges) or (sys.executable, m) in _DROP_FAILED:
            return False
        # without the allowlist root, a fresh uid must be able to read the interpreter where it is
        return m == "namespaces" or view.reachable_by_anyone(view.interpreter_paths())

    def privileges(m: str, uid: int | None) -> str:
        if uid is not None:
            return "dropped"
        if not root:
            return "unprivileged user"
        if (sys.executable, m) in _DROP_FAILED:
            return f"root: kept ({_DROP_FAILED[(sys.executable, m)]}; no capabilities)"
        if not limits.drop_privileges:
            return "root: kept (drop_privileges is off; no capabilities)"
        return ("root: kept (the interpreter is not readable by an unprivileged uid without a mount namespace; "
                "no capabilities)")

    uid = _choose_uid() if wants_uid(mode) else None
    job, config = _prepare_job(workdir, drivers, context, limits, uid)
    started = time.monotonic()
    results: list[TaskResult | None] = [None] * len(tasks)
    report = report if report is not None else {}
    report.update(children=0, privileges=privileges(mode, uid))
    child: _Child | None = None

    def remaining_total() -> float:
        return math.inf if total_timeout is None else total_timeout - (time.monotonic() - started)

    def start_child(first: int) -> _Child:
        nonlocal uid, job, config, mode
        budget = sum(t.timeout for t in tasks[first:])
        cpu = limits.cpu_seconds or int(math.ceil(min(budget, remaining_total()) + 10))
        while True:
            c = _Child(job, dict(config, mode=mode), uid, cpu, limits)
            deadline = time.monotonic() + limits.startup_timeout
            kind, line = c.wait_for(lambda s: s.startswith(("ready ", "fatal ")), deadline)
            if kind == "line" and line.startswith("ready "):
                c.record = json.loads(line[6:])
                c.watch_namespace()
                report["children"] += 1
                if "isolation" not in report:
                    report["isolation"] = isolation.summarize(
                        c.record, requested=requested, privileges=report["privileges"], view=config["view"],
                        jobdir=str(job), fallbacks=fallbacks)
                return c
            c.kill()
            output = c.take_output()
            c.close()
            record: dict = {}
            if kind == "line":
                try:
                    record = json.loads(line[6:])
                except ValueError:
                    pass
            why = str(record.get("error") or (line[6:] if kind == "line" else
                                              "it did not start in time" if kind == "timeout" else "it exited"))
            if uid is not None and record.get("stage") not in ("namespaces", "landlock"):
                # e.g. something the child needs is not readable by a stranger uid: fall back to
                # running as root (still confined, with limits, without capabilities), loudly
                _DROP_FAILED[(sys.executable, mode)] = f"the child could not start as uid {uid}: {why}"
                log.warning("sandbox: %s; running student code WITHOUT dropping privileges. Output: %s",
                            _DROP_FAILED[(sys.executable, mode)], output[-2000:])
                new_uid = None
            elif requested == "auto" and mode != chain[-1]:
                _MODE_FAILED[(sys.executable, mode, euid)] = fallbacks[mode] = why
                log.warning("sandbox: the %s sandbox cannot run here (%s); trying the next mode", mode, why)
                mode = chain[chain.index(mode) + 1]
                if mode == "none" and not limits.allow_weak_sandbox:
                    raise _weak_refusal(requested, fallbacks)
                new_uid = _choose_uid() if wants_uid(mode) else None
            else:
                raise SandboxError(f"the sandbox child failed to start in mode {mode!r} ({why}). "
                                   f"Its output:\n{output[-4000:]}")
            if (new_uid is None) != (uid is None):
                _rmtree(job)
                uid = new_uid
                job, config = _prepare_job(workdir, drivers, context, limits, uid)
            report["privileges"] = privileges(mode, uid)

    try:
        for i, task in enumerate(tasks):
            budget = remaining_total()
            if budget <= 0:
                error = f"not run: the total time budget of {total_timeout:g} s was used up"
                results[i] = TaskResult(task.name, "timeout", {}, {}, error, False, "", 0.0)
                continue
            if skip is not None and (why := skip(task, results[:i])):
                results[i] = TaskResult(task.name, "error", {}, {}, f"not run: {why}", False, "", 0.0)
                continue
            if child is None:
                child = start_child(i)
            _clear(job, i)
            spec = {"name": task.name, "driver": task.driver, "params": task.params}
            (job / "in" / f"{i}.json").write_text(json.dumps(spec))
            _write_npz(job / "in" / f"{i}.npz", task.arrays)
            token = secrets.token_hex(16)
            child.take_output()  # anything printed between tasks is not this task's
            limit = min(task.timeout, budget)
            t0 = time.monotonic()
            sent = child.send({"i": i, "token": token})
            kind, _ = child.wait_for(lambda s: s == f"done {i}", t0 + limit) if sent else ("died", None)
            seconds = time.monotonic() - t0
            if kind == "line":
                stdout = child.take_output()
                try:
                    status, outputs, info, error, not_impl = _result_from_files(job, i, token, limits)
                except Exception as exc:  # noqa: BLE001 (untrusted files: any failure means "rejected")
                    status, outputs, info, not_impl = "error", {}, {}, False
                    error = f"the child's result file was rejected: {type(exc).__name__}: {str(exc)[:500]}"
                results[i] = TaskResult(task.name, status, outputs, info, error, not_impl, stdout, seconds)
            else:
                child.kill()
                stdout = child.take_output()
                child.close()
                if kind == "timeout":
                    why = " (the total time budget ran out)" if limit < task.timeout else ""
                    error = f"timed out after {limit:g} s of wall time{why}; the process group was killed"
                    results[i] = TaskResult(task.name, "timeout", {}, {}, error, False, stdout, seconds)
                else:
                    error = _exit_message(child.proc.returncode, child.cpu_seconds)
                    results[i] = TaskResult(task.name, "crash", {}, {}, error, False, stdout, seconds)
                child = None
            _clear(job, i)
    finally:
        try:
            if child is not None:
                child.kill()
                child.close()
        finally:
            _rmtree(job)
    return results  # type: ignore[return-value]


def probe_isolation(limits: Limits = Limits()) -> dict:
    """What a sandbox child gets on this machine with these limits: its isolation record, from
    a child started with nothing to run. Raises SandboxError as run_tasks would (e.g. when only
    a weak sandbox is possible and limits.allow_weak_sandbox is off)."""
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        work = Path(tmp) / "work"
        (work / "probe").mkdir(parents=True)
        (work / "probe" / "__init__.py").write_text("")
        drivers = Path(tmp) / "drivers.py"
        drivers.write_text("DRIVERS = {}\n")
        report: dict = {}
        run_tasks(work, [Task("probe", "none", timeout=10.0)], drivers=drivers, limits=limits,
                  report=report)
        return report["isolation"]
