"""The sandbox child: runs untrusted student code, one task at a time, for the parent runner.

Standalone program (stdlib + numpy only; it imports NOTHING from `grader`, which is not even
visible to it). Started by the runner as `python -I child.py JOBDIR`, where JOBDIR/lib/job.json
(written by the trusted parent, not writable by the child) says what to do. Order of work:

1. Confine itself before any student code exists in the process: resource limits; new network
   (no network at all), mount, pid and IPC namespaces (directly as root, through a user
   namespace otherwise); in the mount namespace the reference and the grader are covered by
   empty tmpfs, /tmp, /var/tmp and /dev/shm are private, and every mount is read-only except
   JOBDIR/out and JOBDIR/home; a private /proc shows only the sandbox's processes; then, as
   root, switch to the fresh unprivileged uid the parent chose (else drop all capabilities);
   no new privileges; die with the parent. What held is reported to the parent.
2. Put the workdir first on sys.path, import numpy and the drivers module, report "ready".
3. Loop: read `{"i": ..., "token": ...}` from the command pipe, load JOBDIR/in/<i>.json and .npz,
   call DRIVERS[driver](ctx, params, arrays), convert every returned value to a float64 array,
   write JOBDIR/out/<i>.npz and <i>.json atomically, report "done <i>" on the status pipe.

Everything here runs in the same process as the student's code, so nothing it writes is
trusted: the parent re-validates every file and judges the numbers itself.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import math
import os
import resource
import signal
import stat
import sys
import traceback
import warnings
import zipfile

# Linux constants (x86-64 and arm64 agree on these).
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

INFO_ERROR_CHARS = 2000  # cap on one error message
_COMPLEX_WARNING = Warning  # numpy's ComplexWarning, looked up once numpy is imported


# ----------------------------------------------------------------------------- confinement
class _Libc:
    def __init__(self):
        self.lib = ctypes.CDLL(None, use_errno=True)
        self.lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

    def call(self, name, *args):
        if getattr(self.lib, name)(*args) != 0:  # ints go as C int: pass c_ulong where the kernel reads longs
            err = ctypes.get_errno()
            raise OSError(err, f"{name}: {os.strerror(err)}")

    def mount(self, source, target, fstype, flags, data=None):
        enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
        if self.lib.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _prctl(libc: _Libc, option: int, arg: int) -> None:
    zero = ctypes.c_ulong(0)
    libc.call("prctl", ctypes.c_int(option), ctypes.c_ulong(arg), zero, zero, zero)


def _set_limits(limits: dict, record: dict) -> None:
    """Resource limits; NPROC is set later, once the uid it counts against is final."""
    pairs = {
        "core": (resource.RLIMIT_CORE, 0, 0),
        "fsize": (resource.RLIMIT_FSIZE, limits["file_size_bytes"], limits["file_size_bytes"]),
        "nofile": (resource.RLIMIT_NOFILE, limits["nofile"], limits["nofile"]),
        "as": (resource.RLIMIT_AS, limits["memory_bytes"], limits["memory_bytes"]),
        # SIGXCPU at the soft limit, SIGKILL one second later
        "cpu": (resource.RLIMIT_CPU, limits["cpu_seconds"], limits["cpu_seconds"] + 1),
    }
    for key, (which, soft, hard) in pairs.items():
        try:
            resource.setrlimit(which, (soft, hard))
            record["limits"][key] = soft
        except (ValueError, OSError) as exc:
            record["errors"].append(f"rlimit {key}: {exc}")
    # writing past RLIMIT_FSIZE then raises OSError(EFBIG) in the student's code instead of killing us
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _blocked_ancestor(path: str) -> str | None:
    """The outermost ancestor of `path` that a stranger uid cannot traverse (no o+x), if any."""
    parts = path.strip("/").split("/")
    for k in range(1, len(parts)):
        anc = "/" + "/".join(parts[:k])
        try:
            if not os.stat(anc).st_mode & stat.S_IXOTH:
                return anc
        except OSError:
            return None
    return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _setup_mounts(libc: _Libc, job: dict, needed: list[str], dropping: bool, record: dict) -> None:
    """In a fresh mount namespace: empty tmpfs over hidden paths, over private temp folders and
    over ancestors the unprivileged uid could not traverse; re-expose what the child needs."""
    libc.mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount may leak to the host
    masks: dict[str, str] = {}
    for p in job["hide"]:
        if os.path.isdir(p):
            masks[p] = "size=1m,mode=755"
    for p in job["private_tmp"]:
        if os.path.isdir(p):
            masks[p] = "size=64m,mode=1777"
    if dropping:
        for n in needed:
            anc = _blocked_ancestor(n)
            if anc:
                masks.setdefault(anc, "size=1m,mode=755")
    # open what must stay visible BEFORE covering anything: binds come from these handles
    handles = {n: os.open(n, os.O_PATH) for n in needed if os.path.exists(n)}
    done: list[str] = []
    for mask in sorted(masks, key=len):
        if any(_inside(mask, m) for m in done) and not any(_inside(mask, n) for n in handles):
            continue  # already covered by an outer mask
        libc.mount("tmpfs", mask, "tmpfs", MS_NOSUID | MS_NODEV, masks[mask])
        done.append(mask)
        for n, fd in handles.items():
            if _inside(n, mask) and n != mask:
                if stat.S_ISDIR(os.stat(f"/proc/self/fd/{fd}").st_mode):
                    os.makedirs(n, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(n), exist_ok=True)
                    open(n, "a").close()
                libc.mount(f"/proc/self/fd/{fd}", n, None, MS_BIND | MS_REC)
    for fd in handles.values():
        os.close(fd)
    record["masked"] = done


def _write_id_map(path: str, ident: int) -> None:
    with open(path, "w") as f:
        f.write(f"{ident} {ident} 1\n")


def _drop_capabilities(libc: _Libc) -> None:
    """Empty every capability set (used after user-namespace setup, where we keep our uid)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    libc.call("capset", ctypes.byref(header), ctypes.byref(data))


def _count_tasks_of_uid(uid: int) -> int:
    """Threads currently owned by `uid` (what RLIMIT_NPROC counts)."""
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return total


def _unescape(field: str) -> str:
    """Mount points in /proc/self/mountinfo escape space, tab, newline and backslash in octal."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _read_only_everywhere(libc: _Libc, writable: set[str], record: dict) -> None:
    """Remount every mount read-only, except our private tmpfs and the child's out/ and home/.

    Keeps the flags a user namespace may not clear (nosuid, nodev, noexec, atime)."""
    keep = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": 8, "noatime": 1024, "nodiratime": 2048,
            "relatime": 1 << 21}
    failed = []
    with open("/proc/self/mountinfo") as f:
        entries = [line.split() for line in f]
    for fields in entries:
        point, options = _unescape(fields[4]), fields[5].split(",")
        if point in writable or "ro" in options or any(_inside(point, p) for p in ("/proc", "/sys", "/dev")):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for opt in options:
            flags |= keep.get(opt, 0)
        try:
            libc.mount(None, point, None, flags)
        except OSError:
            failed.append(point)
    record["read_only"] = "everything but out/, home/ and the private temp folders"
    if failed:
        record["errors"].append(f"could not make read-only: {failed[:10]}")


def _wait_status(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)


def _relay_exit(pid: int) -> None:
    """Outside the new pid namespace: wait for its init, then die the way the harness died."""
    status = _wait_status(pid)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) > 128:
        sig = os.WEXITSTATUS(status) - 128  # how our init reports a death by signal
    else:
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 71)
    try:
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    except (OSError, ValueError):
        pass
    os._exit(128 + sig)


def _init(harness: int) -> None:
    """Pid 1 of the namespace: reap orphans; when the harness ends, end (the kernel kills the rest).

    The harness is not pid 1 itself because the kernel ignores signals such as SIGXCPU (the CPU
    limit) sent to a namespace's init."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(72)
        if pid == harness:
            os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def confine(job: dict, record: dict) -> None:
    """Apply every restriction the platform allows; fill `record` with what held.

    May fork once (pid namespace): only the new process returns, the original one just relays
    the new one's exit to the parent runner."""
    record.update(limits={}, errors=[], network="shared", mounts="shared", pids="shared", uid=os.getuid())
    limits = job["limits"]
    _set_limits(limits, record)
    libc = _Libc()
    root = os.geteuid() == 0
    uid, gid = job.get("uid"), job.get("gid")
    dropping = root and uid is not None
    jobdir = job["jobdir"]
    needed = sorted({os.path.realpath(p) for p in sys.path if p and os.path.exists(p)} | {jobdir})
    # RLIMIT_NPROC counts every thread of the real uid; as our own user we may already have many
    nproc_base = 0 if dropping or root else _count_tasks_of_uid(os.getuid())

    wanted = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (CLONE_NEWNET if job["isolate_network"] else 0)
    if not root:
        wanted |= CLONE_NEWUSER  # an unprivileged user namespace gives the same where the kernel allows it
    my_uid, my_gid = os.getuid(), os.getgid()  # after unshare(CLONE_NEWUSER) they read as 65534 until mapped
    got = 0
    for flags in (wanted, wanted & ~CLONE_NEWPID) if job["namespaces"] else ():
        try:
            libc.call("unshare", flags)
            got = flags
            break
        except OSError as exc:
            record["errors"].append(f"unshare({flags:#x}): {exc}")
    if got & CLONE_NEWUSER:
        try:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            _write_id_map("/proc/self/uid_map", my_uid)
            _write_id_map("/proc/self/gid_map", my_gid)
        except OSError as exc:
            record["errors"].append(f"user namespace maps: {exc}")
    record["network"] = "isolated" if got & CLONE_NEWNET else "shared"
    if got & CLONE_NEWNS:
        record["mounts"] = "private"
        try:
            _setup_mounts(libc, job, needed, dropping, record)
            writable = set(job["private_tmp"])
            for sub in ("out", "home"):
                path = os.path.join(jobdir, sub)
                libc.mount(path, path, None, MS_BIND)  # its own mount: stays writable below
                writable.add(path)
            _read_only_everywhere(libc, writable, record)
        except OSError as exc:
            record["errors"].append(f"mounts: {exc}")
            record["mounts"] = "private (partly set up)"

    if got & CLONE_NEWPID:
        # three processes: this one stays outside and relays the exit status to the parent runner;
        # pid 1 inside reaps orphans; pid 2 goes on to run the tasks
        try:
            _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except OSError as exc:
            record["errors"].append(f"prctl: {exc}")
        pid = os.fork()
        if pid:
            _relay_exit(pid)  # never returns
        record["pids"] = "private"
        try:
            _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))  # not inherited by fork
            # our own /proc: the processes of this sandbox only, nothing of the host
            libc.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | 8)
        except OSError as exc:
            record["errors"].append(f"/proc: {exc}")
        pid = os.fork()
        if pid:
            _init(pid)  # never returns

    if dropping:
        # a failure here is fatal: the parent must not believe we run unprivileged
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("could not drop privileges")
        record["uid"] = uid
    elif not root and got & CLONE_NEWUSER:
        try:
            _drop_capabilities(libc)  # else the student could undo our mounts
        except OSError as exc:
            record["errors"].append(f"capset: {exc}")

    if os.geteuid() != 0:
        total = nproc_base + limits["nprocs"]
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (total, total))
            record["limits"]["nproc"] = total
        except (ValueError, OSError) as exc:
            record["errors"].append(f"rlimit nproc: {exc}")
    else:
        record["errors"].append("rlimit nproc: not enforced for root")
    try:
        _prctl(libc, PR_SET_NO_NEW_PRIVS, 1)
        _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))  # after setuid, which clears it
    except OSError as exc:
        record["errors"].append(f"prctl: {exc}")


# ----------------------------------------------------------------------------- running tasks
class Context:
    """What a driver gets: the modules of the working copy and the job's context (ctx.config)."""

    def __init__(self, workdir: str, config: dict):
        self.workdir = workdir
        self.config = config if isinstance(config, dict) else {}

    def module(self, name: str):
        """Import the module `name` ("cs231n.layers") from the workdir; its first component is
        mapped through config["packages"] (the name the submission gives that package)."""
        top, _, rest = name.partition(".")
        top = (self.config.get("packages") or {}).get(top, top)
        return importlib.import_module(f"{top}.{rest}" if rest else top)


def _short(text: str, limit: int = INFO_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _safe_str(obj) -> str:
    try:
        return str(obj)
    except BaseException:  # a hostile __str__
        return "<unprintable>"


def student_frame(exc: BaseException, workdir: str) -> str | None:
    """'pkg/file.py:line in func' of the innermost traceback frame inside the workdir."""
    root = workdir.rstrip("/") + "/"
    if isinstance(exc, SyntaxError) and exc.filename and str(exc.filename).startswith(root):
        return f"{str(exc.filename)[len(root):]}:{exc.lineno}"
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.startswith(root):
            where = f"{filename[len(root):]}:{lineno} in {frame.f_code.co_name}"
    return where


def describe_exception(exc: BaseException, workdir: str) -> str:
    """'Type: message (at pkg/file.py:line in func)'."""
    message = _safe_str(exc.msg if isinstance(exc, SyntaxError) else exc)
    where = student_frame(exc, workdir)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return _short(text + (f" (at {where})" if where else ""))


def _jsonable(obj, depth: int = 0):
    """A JSON-safe copy of a small driver `info` value (numpy scalars and small arrays allowed)."""
    import numpy as np

    if depth > 8:
        return "<too deep>"
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else repr(value)
    if isinstance(obj, np.ndarray) and obj.size <= 64:
        return _jsonable(obj.tolist(), depth + 1)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in list(obj.items())[:256]}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in list(obj)[:256]]
    return _short(repr(obj), 200)


def _describe_value(value) -> tuple[str, list]:
    """Original dtype (or Python type) and shape of a returned value, for info."""
    import numpy as np

    dtype = getattr(value, "dtype", None)
    kind = str(dtype) if isinstance(value, (np.ndarray, np.generic)) and dtype is not None else type(value).__name__
    try:
        shape = [int(n) for n in np.shape(value)]
    except BaseException:
        shape = None
    return kind, shape


def _complex_warning():
    import numpy as np

    return np.exceptions.ComplexWarning if hasattr(np, "exceptions") else np.ComplexWarning


def convert_outputs(returned, limits: dict) -> tuple[dict, dict, str | None, bool]:
    """(float64 arrays, info, error, not_implemented) from what a driver returned."""
    import numpy as np

    if not isinstance(returned, dict):
        return {}, {}, f"the driver returned {type(returned).__name__}, not a dict", False
    global _COMPLEX_WARNING
    _COMPLEX_WARNING = _complex_warning()
    arrays: dict = {}
    info: dict = {}
    dtypes: dict = {}
    shapes: dict = {}
    errors: list[str] = []
    missing: list[str] = []
    total = 0
    for key, value in returned.items():
        key = str(key)
        if key == "info":
            info = _jsonable(value) if isinstance(value, dict) else {"value": _jsonable(value)}
            continue
        if value is None:
            missing.append(key)
            continue
        dtypes[key], shapes[key] = _describe_value(value)
        if isinstance(value, (str, bytes)) or getattr(getattr(value, "dtype", None), "kind", "") in ("U", "S"):
            errors.append(f"returned a value that is not numeric: {key} ({type(value).__name__})")
            continue
        try:
            with warnings.catch_warnings():
                # a complex result silently losing its imaginary part is not a number we accept
                warnings.simplefilter("error", _COMPLEX_WARNING)
                arr = np.array(value, dtype=np.float64, copy=True, subok=False)  # plain ndarray, never a subclass
        except BaseException as exc:  # anything a hostile __array__/__float__ raises
            reason = _short(_safe_str(exc), 300)
            errors.append(f"returned a value that is not numeric: {key} ({type(value).__name__}): {reason}")
            continue
        total += arr.nbytes
        arrays[key] = arr
    info["dtypes"], info["shapes"] = dtypes, shapes
    if total > limits["output_bytes"]:
        return {}, info, f"the returned arrays are too large ({total} bytes > {limits['output_bytes']})", False
    if missing:
        errors.insert(0, "returned None: not implemented (" + ", ".join(missing) + ")")
    return arrays, info, ("; ".join(errors) or None), bool(missing)


def _write_npz(path: str, arrays: dict) -> None:
    """Plain .npz (one .npy per key) written with format.write_array: no pickles possible."""
    import numpy as np

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def _atomic(path: str, writer) -> None:
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    writer(tmp)
    os.replace(tmp, path)


def run_one(job: dict, drivers: dict, ctx: Context, index: int, token: str) -> None:
    import numpy as np

    indir, outdir = os.path.join(job["jobdir"], "in"), os.path.join(job["jobdir"], "out")
    with open(os.path.join(indir, f"{index}.json"), encoding="utf-8") as f:
        task = json.load(f)
    with np.load(os.path.join(indir, f"{index}.npz"), allow_pickle=False) as npz:
        arrays = {k: np.array(npz[k]) for k in npz.files}

    status, error, not_implemented, outputs, info = "ok", None, False, {}, {}
    try:
        driver = drivers[task["driver"]]
    except KeyError:
        status, error = "error", f"unknown driver {task['driver']!r}"
    else:
        try:
            returned = driver(ctx, task["params"], arrays)
            outputs, info, error, not_implemented = convert_outputs(returned, job["limits"])
            if error:
                status = "error"
        except NotImplementedError as exc:
            status, error, not_implemented = "error", describe_exception(exc, ctx.workdir), True
        except SystemExit as exc:  # sys.exit()/exit() in student code: as fatal as os._exit, but catchable
            status, where = "crash", student_frame(exc, ctx.workdir)
            error = f"SystemExit: student code called sys.exit({exc.code!r})" + (f" (at {where})" if where else "")
        except BaseException as exc:  # MemoryError, RecursionError, KeyboardInterrupt, ...
            status, error = "error", describe_exception(exc, ctx.workdir)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass

    _atomic(os.path.join(outdir, f"{index}.npz"), lambda p: _write_npz(p, outputs))
    result = {"index": index, "token": token, "status": status, "error": error,
              "not_implemented": not_implemented, "info": info}
    text = json.dumps(result, allow_nan=False)
    if len(text) > job["limits"]["info_bytes"]:
        result["info"] = {"dtypes": info.get("dtypes", {}), "shapes": info.get("shapes", {}),
                          "info_error": f"info too large ({len(text)} bytes), dropped"}
        text = json.dumps(result, allow_nan=False)

    def write_json(p):
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)

    _atomic(os.path.join(outdir, f"{index}.json"), write_json)


def _load_drivers(path: str) -> dict:
    spec = importlib.util.spec_from_file_location("_sandbox_drivers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_sandbox_drivers"] = module
    spec.loader.exec_module(module)
    return module.DRIVERS


def _status(fd: int, line: str) -> None:
    data = (line + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def main(argv: list[str]) -> int:
    jobdir = argv[1]
    with open(os.path.join(jobdir, "lib", "job.json"), encoding="utf-8") as f:
        job = json.load(f)
    status_fd, cmd_fd = job["status_fd"], job["cmd_fd"]
    record: dict = {}
    try:
        confine(job, record)
        os.chdir(job["home"])
        sys.dont_write_bytecode = True
        # the student's package comes first; an editable install's finder must not reach the real grader
        sys.path.insert(0, job["workdir"])
        sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(type(f), "__module__", "")
                            and "__editable__" not in getattr(f, "__module__", "")]
        import numpy  # noqa: F401  (before any student code: cheap tasks later)

        drivers = _load_drivers(job["drivers"])
        spec = importlib.util.find_spec("grader")
        record["grader_origin"] = getattr(spec, "origin", None) if spec else None
        record["python"] = sys.version.split()[0]
    except BaseException as exc:  # no student code has run yet: this is a set-up problem
        record["error"] = f"{type(exc).__name__}: {exc}"
        _status(status_fd, "fatal " + json.dumps(record, default=str))
        return 3
    ctx = Context(job["workdir"], job.get("context") or {})
    _status(status_fd, "ready " + json.dumps(record))

    commands = os.fdopen(cmd_fd, "rb", buffering=0)
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = commands.read(4096)
            if not chunk:
                return 0  # the parent closed the pipe: done
            buffer += chunk
        line, _, buffer = buffer.partition(b"\n")
        command = json.loads(line)
        if command.get("quit"):
            return 0
        run_one(job, drivers, ctx, int(command["i"]), str(command["token"]))
        _status(status_fd, f"done {int(command['i'])}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
