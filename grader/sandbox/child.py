"""The sandbox child: runs untrusted student code, one task at a time, for the parent runner.

Standalone program (stdlib + numpy only; it imports NOTHING from `grader`, which is not even
visible to it). Started by the runner as `python -I child.py JOBDIR`, where JOBDIR/lib/job.json
(written by the trusted parent, not writable by the child) says what to do. Order of work:

1. Confine itself before any student code exists in the process, in the mode the parent chose
   (job["mode"]); the parent also computed the allowlist (job["view"], see view.py):
   - "namespaces": new mount, pid, IPC and network (no network at all) namespaces, directly as
     root, inside a user namespace otherwise. A minimal root file system on a tmpfs holds only
     the allowlist: read-only binds of the interpreter, its import path, the system libraries
     and the job's lib/, work/ and in/; out/ and home/ writable; five /dev nodes and a private
     instance of pseudo-terminals (/dev/pts); a private
     /tmp, /var/tmp and /dev/shm; a fresh /proc showing the sandbox's processes only. The child
     enters it with pivot_root and detaches the host's root: nothing else of the host exists
     for it. Every mount is read-only except out/, home/ and the private temp folders. Then, as
     root, the fresh unprivileged uid the parent chose (else no capabilities at all).
   - "landlock" (an ordinary user without user namespaces): the same allowlist enforced by
     Landlock: read and execute on the read-only part, read-write on out/ and home/, nothing
     anywhere else; from ABI 4 no TCP bind or connect; from ABI 6 no signals to, and no abstract
     unix sockets of, processes outside the sandbox.
   - "none": resource limits only (as root: a fresh uid if the interpreter is readable by one,
     else no capabilities).
   In every mode: resource limits, no new privileges, death with the parent. A mode that cannot
   be set up in full is a fatal error, reported before any student code exists: the parent
   decides what next (another mode, or refusing to grade). What held is reported to the parent.
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
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 24, 36, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # no glibc wrapper
# Landlock (the same numbers on every architecture)
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_RULE_PATH_BENEATH = 1, 1
LL_EXECUTE, LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR = 1, 2, 4, 8
LL_REFER, LL_TRUNCATE, LL_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
LL_FILE_RIGHTS = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV
LL_NET_BIND_TCP, LL_NET_CONNECT_TCP = 1, 2
LL_SCOPE_ABSTRACT_UNIX_SOCKET, LL_SCOPE_SIGNAL = 1, 2

INFO_ERROR_CHARS = 2000  # cap on one error message
_COMPLEX_WARNING = Warning  # numpy's ComplexWarning, looked up once numpy is imported


# ----------------------------------------------------------------------------- confinement
class _Libc:
    def __init__(self):
        self.lib = ctypes.CDLL(None, use_errno=True)
        self.lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        self.lib.syscall.restype = ctypes.c_long

    def call(self, name, *args):
        if getattr(self.lib, name)(*args) != 0:  # ints go as C int: pass c_ulong where the kernel reads longs
            err = ctypes.get_errno()
            raise OSError(err, f"{name}: {os.strerror(err)}")

    def syscall(self, number: int, *args) -> int:
        """syscall(2); integer arguments must be given as c_long (the kernel reads whole registers)."""
        result = self.lib.syscall(ctypes.c_long(number), *args)
        if result < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"system call {number}: {os.strerror(err)}")
        return result

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


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _write_id_map(path: str, ident: int) -> None:
    with open(path, "w") as f:
        f.write(f"{ident} {ident} 1\n")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities(libc: _Libc) -> None:
    """Empty every capability set (used after user-namespace setup, where we keep our uid)."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    libc.call("capset", ctypes.byref(header), ctypes.byref(data))


def _drop_root_capabilities(libc: _Libc) -> None:
    """Root that keeps uid 0: empty the bounding set (nothing exec'd regains a capability),
    then every capability set of this process."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        try:
            _prctl(libc, PR_CAPBSET_DROP, cap)
        except OSError:
            pass
    _drop_capabilities(libc)


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


def _read_only_everywhere(libc: _Libc, writable: set[str]) -> None:
    """Remount every mount read-only, except /proc, the private temp folders and out/, home/.

    Keeps the flags a user namespace may not clear (nosuid, nodev, noexec, atime)."""
    keep = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024, "nodiratime": 2048,
            "relatime": 1 << 21}
    with open("/proc/self/mountinfo") as f:
        entries = [line.split() for line in f]
    for fields in entries:
        point, options = _unescape(fields[4]), fields[5].split(",")
        if point in writable or "ro" in options or _inside(point, "/proc"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for opt in options:
            flags |= keep.get(opt, 0)
        libc.mount(None, point, None, flags)


# ----------------------------------------------------------------------------- the allowlist view
def _mkdirs(root: str, path: str) -> str:
    """root + path as real folders of the new root (never through a link); returns it."""
    cur = root
    for comp in [c for c in path.split("/") if c]:
        cur = os.path.join(cur, comp)
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            os.mkdir(cur)
            os.chmod(cur, 0o755)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise OSError(f"{cur[len(root):]} is not a folder in the new root")
    return cur


def _touch(path: str, mode: int = 0o644) -> None:
    if not os.path.lexists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode))


class _View:
    """The new root being built: a tmpfs holding binds of allowed host paths, at their own paths."""

    def __init__(self, libc: _Libc, root: str):
        self.libc, self.root = libc, root
        self.bound: list[str] = []

    def covered(self, path: str) -> bool:
        return any(_inside(path, b) for b in self.bound)

    def bind(self, source: str) -> None:
        target = self.root + source
        if stat.S_ISDIR(os.stat(source).st_mode):
            _mkdirs(self.root, source)
        else:
            _mkdirs(self.root, os.path.dirname(source))
            _touch(target)
        self.libc.mount(source, target, None, MS_BIND | MS_REC)
        self.bound.append(source)

    def expose(self, path: str) -> None:
        """Make `path` resolve in the new root as on the host: every symbolic link on the way is
        recreated (same text), the real file or folder it leads to is bound. Absent: nothing."""
        todo = [c for c in path.split("/") if c]
        cur, hops = "/", 0
        while todo:
            comp = todo.pop(0)
            if comp == ".":
                continue
            if comp == "..":
                cur = os.path.dirname(cur)
                continue
            nxt = os.path.join(cur, comp)
            try:
                st = os.lstat(nxt)
            except FileNotFoundError:
                return
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > 40:
                    raise OSError(f"{path}: too many levels of symbolic links")
                target = os.readlink(nxt)
                if not self.covered(nxt):  # inside a bound folder the host's link shows already
                    _mkdirs(self.root, cur)
                    if not os.path.lexists(self.root + nxt):
                        os.symlink(target, self.root + nxt)
                todo = [c for c in target.split("/") if c] + todo
                if target.startswith("/"):
                    cur = "/"
                continue
            cur = nxt
        if not self.covered(cur):
            self.bind(cur)


def _write_etc(root: str, uid: int, gid: int, home: str) -> None:
    """Minimal /etc/passwd, group and hosts: enough for getpwuid, ~ and localhost."""
    etc = _mkdirs(root, "/etc")
    files = {
        "passwd": f"root:x:0:0:root:/root:/bin/sh\nstudent:x:{uid}:{gid}:student:{home}:/bin/sh\n",
        "group": f"root:x:0:\nstudent:x:{gid}:\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost\n",
    }
    for name, text in files.items():
        path = os.path.join(etc, name)
        if not os.path.lexists(path):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)


def _build_view(libc: _Libc, job: dict, uid: int, gid: int) -> _View:
    """Before the pid namespace's first fork: the new root, complete except /proc."""
    spec = job["view"]
    libc.mount("tmpfs", spec["root"], "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    view = _View(libc, spec["root"])
    dev = _mkdirs(view.root, "/dev")
    libc.mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for node in spec["devices"]:
        _touch(view.root + node, 0o666)
        libc.mount(node, view.root + node, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    # a private instance of pseudo-terminals: a notebook's shell escapes (`!cmd`) run under a pty
    try:
        libc.mount("devpts", _mkdirs(view.root, "/dev/pts"), "devpts", MS_NOSUID | MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620")
        os.symlink("pts/ptmx", os.path.join(dev, "ptmx"))
    except OSError:
        pass  # (shell escapes then fail in the notebook, as on a machine without terminals)
    # private temp folders first: the job's folders may lie inside one of them
    for tmp in spec["private_tmp"]:
        libc.mount("tmpfs", _mkdirs(view.root, tmp), "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    _mkdirs(view.root, "/proc")
    for path in spec["read_only"] + spec["writable"]:
        view.expose(path)
    for hidden in spec["hide"]:  # a hidden folder inside an allowed one (e.g. the grader in site-packages)
        if os.path.isdir(view.root + hidden) and not os.path.islink(view.root + hidden):
            libc.mount("tmpfs", view.root + hidden, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=755")
    _write_etc(view.root, uid, gid, job["home"])
    return view


def _enter_view(libc: _Libc, view: _View, writable: set[str]) -> None:
    """pivot_root into the new root, detach the host's, make everything read-only but `writable`."""
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(f"pivot_root: unsupported architecture {os.uname().machine}")
    os.chdir(view.root)
    libc.syscall(number, ctypes.c_char_p(b"."), ctypes.c_char_p(b"."))
    libc.call("umount2", ctypes.c_char_p(b"."), ctypes.c_int(MNT_DETACH))  # the old root, stacked on "/"
    os.chdir("/")
    if os.path.lexists(view.root):  # the new root's host path exists only in the host's tree
        raise OSError("the host's root is still visible after pivot_root")
    _read_only_everywhere(libc, writable)


# ----------------------------------------------------------------------------- Landlock
class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi(libc: _Libc) -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is absent or disabled."""
    try:
        return libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_long(0),
                            ctypes.c_long(LANDLOCK_CREATE_RULESET_VERSION))
    except OSError:
        return 0


class _Landlock:
    def __init__(self, libc: _Libc, abi: int):
        self.libc, self.abi = libc, abi
        self.fs = (1 << 13) - 1  # ABI 1: execute .. make_sym
        self.fs |= (LL_REFER if abi >= 2 else 0) | (LL_TRUNCATE if abi >= 3 else 0) | (LL_IOCTL_DEV if abi >= 5 else 0)
        self.net = (LL_NET_BIND_TCP | LL_NET_CONNECT_TCP) if abi >= 4 else 0
        self.scoped = (LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL) if abi >= 6 else 0
        attr = _RulesetAttr(self.fs, self.net, self.scoped)
        size = 8 if abi < 4 else (16 if abi < 6 else 24)
        self.fd = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_long(size), ctypes.c_long(0))

    def rule(self, path: str, rights: int) -> None:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= LL_FILE_RIGHTS
            attr = _PathBeneathAttr(rights & self.fs, fd)
            self.libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_long(self.fd), ctypes.c_long(LANDLOCK_RULE_PATH_BENEATH),
                              ctypes.byref(attr), ctypes.c_long(0))
        finally:
            os.close(fd)

    def allow(self, path: str, rights: int, hidden: list[str]) -> None:
        """`rights` beneath `path`, except beneath the hidden folders inside it (Landlock only
        adds rights: a folder holding a hidden one gets listing only, its other entries each
        get a rule of their own)."""
        real = os.path.realpath(path)
        if not os.path.exists(real) or any(_inside(real, h) for h in hidden):
            return
        inner = [h for h in hidden if _inside(h, real)]
        if not inner or not os.path.isdir(real):
            self.rule(real, rights)
            return
        self.rule(real, rights & LL_READ_DIR)
        for entry in os.scandir(real):
            if not entry.is_symlink():
                self.allow(entry.path, rights, inner)

    def restrict(self) -> None:
        self.libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_long(self.fd), ctypes.c_long(0))
        os.close(self.fd)


def _landlock(libc: _Libc, job: dict, record: dict) -> None:
    """Allow only the allowlist, for this process and everything it starts. Needs no_new_privs."""
    abi = landlock_abi(libc)
    if abi < 1:
        raise OSError("Landlock is not available on this kernel (Linux 5.13+ with Landlock enabled is needed)")
    spec = job["view"]
    ll = _Landlock(libc, abi)
    read = LL_READ_FILE | LL_READ_DIR | LL_EXECUTE
    for path in spec["read_only"]:
        ll.allow(path, read, spec["hide"])
    for path in spec["writable"]:
        ll.allow(path, ll.fs, spec["hide"])
    for node in spec["devices"]:
        ll.allow(node, LL_READ_FILE | LL_WRITE_FILE | LL_IOCTL_DEV, [])
    _prctl(libc, PR_SET_NO_NEW_PRIVS, 1)
    ll.restrict()
    record.update(filesystem="landlock", landlock_abi=abi)
    if ll.net:
        record["network"] = "no TCP (Landlock)"
    if ll.scoped:
        record["scoped"] = ["signals", "abstract unix sockets"]


# ----------------------------------------------------------------------------- processes
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
    _relay_status(_wait_status(pid))


def _relay_status(status: int) -> None:
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


def _children() -> list[int]:
    kids = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                kids += [int(k) for k in f.read().split()]
        except (OSError, ValueError):
            pass
    return kids


def _supervise(libc: _Libc, job: dict) -> None:
    """Without a pid namespace: this process (the runner's child) becomes the subreaper of all
    that follows and forks the harness, which runs in a process group of its own (the one the
    runner kills). When the harness ends, this process kills every process left (a setsid
    daemon, its children: orphans come back to a subreaper) and dies the way the harness did.
    Only the harness returns."""
    _prctl(libc, PR_SET_CHILD_SUBREAPER, 1)
    _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))
    pid = os.fork()
    if not pid:
        os.setpgid(0, 0)
        return
    for fd in (job["cmd_fd"], job["status_fd"]):
        os.close(fd)  # the harness's pipes: their ends must close when it dies
    status = None
    while status is None:
        try:
            done, st = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(72)
        if done == pid:
            status = st
    for _ in range(1000):  # each round kills what the last one orphaned
        left = _children()
        if not left:
            break
        for kid in left:
            try:
                os.kill(kid, signal.SIGKILL)
            except OSError:
                pass
        for kid in left:
            try:
                os.waitpid(kid, 0)
            except (ChildProcessError, InterruptedError):
                pass
    _relay_status(status)


def _namespaces(libc: _Libc, job: dict, record: dict, root: bool, uid: int, gid: int) -> None:
    """Enter new namespaces and the allowlist view. Forks twice (pid namespace): only the
    harness returns; the original process relays its exit, the namespace's pid 1 reaps."""
    my_uid, my_gid = os.getuid(), os.getgid()  # after unshare(CLONE_NEWUSER) they read as 65534 until mapped
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (CLONE_NEWNET if job["isolate_network"] else 0)
    if not root:
        flags |= CLONE_NEWUSER  # an unprivileged user namespace gives the same where the kernel allows it
    libc.call("unshare", ctypes.c_int(flags))
    if not root:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        _write_id_map("/proc/self/uid_map", my_uid)
        _write_id_map("/proc/self/gid_map", my_gid)
    names = {CLONE_NEWNS: "mount", CLONE_NEWPID: "pid", CLONE_NEWIPC: "ipc", CLONE_NEWNET: "net", CLONE_NEWUSER: "user"}
    record["namespaces"] = sorted(name for bit, name in names.items() if flags & bit)
    record["network"] = "isolated" if flags & CLONE_NEWNET else "host"
    libc.mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount may leak to the host
    view = _build_view(libc, job, uid, gid)

    # three processes: this one stays outside and relays the exit status to the parent runner;
    # pid 1 inside reaps orphans; pid 2 goes on to run the tasks
    _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))
    pid = os.fork()
    if pid:
        _relay_exit(pid)  # never returns
    record["pids"] = "private"
    _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))  # not inherited by fork
    # our own /proc: the processes of this sandbox only, nothing of the host
    libc.mount("proc", view.root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    writable = set(job["view"]["writable"]) | set(job["view"]["private_tmp"])
    _enter_view(libc, view, writable)
    record["filesystem"] = "allowlist"
    pid = os.fork()
    if pid:
        _init(pid)  # never returns


def confine(job: dict, record: dict) -> None:
    """Apply the restrictions of job["mode"]; fill `record` with what held. Raises when the mode
    cannot be set up in full (no student code has run yet).

    In "namespaces" mode this forks (pid namespace): only the harness returns."""
    mode = job["mode"]
    record.update(mode=mode, stage="limits", limits={}, errors=[], namespaces=[], filesystem="host", network="host",
                  pids="host", uid=os.getuid())
    _set_limits(job["limits"], record)
    libc = _Libc()
    root = os.geteuid() == 0
    uid, gid = job.get("uid"), job.get("gid")
    dropping = root and uid is not None
    # RLIMIT_NPROC counts every thread of the real uid; as our own user we may already have many
    nproc_base = 0 if dropping or root else _count_tasks_of_uid(os.getuid())

    if mode == "namespaces":
        record["stage"] = "namespaces"  # a failure from here on is the mode's (the parent may try another)
        _namespaces(libc, job, record, root, uid if dropping else os.getuid(), gid if dropping else os.getgid())
    elif mode in ("landlock", "none"):
        _supervise(libc, job)  # only the harness returns
        record["reaper"] = "supervisor"
    else:
        raise ValueError(f"unknown sandbox mode {mode!r}")

    record["stage"] = "privileges"
    if dropping:
        # a failure here is fatal: the parent must not believe we run unprivileged
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("could not drop privileges")
        record["uid"] = uid
    elif root:
        _drop_root_capabilities(libc)  # uid 0 without a single capability (nor any to regain by exec)
        record["capabilities"] = "none"
    elif mode == "namespaces":
        _drop_capabilities(libc)  # else the student could undo our mounts
        record["capabilities"] = "none"

    if os.geteuid() != 0:
        total = nproc_base + job["limits"]["nprocs"]
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (total, total))
            record["limits"]["nproc"] = total
        except (ValueError, OSError) as exc:
            record["errors"].append(f"rlimit nproc: {exc}")
    else:
        record["errors"].append("rlimit nproc: not enforced for uid 0")
    _prctl(libc, PR_SET_NO_NEW_PRIVS, 1)
    _prctl(libc, PR_SET_PDEATHSIG, int(signal.SIGKILL))  # after setuid, which clears it
    if mode == "landlock":
        record["stage"] = "landlock"
        _landlock(libc, job, record)
    record["stage"] = "startup"


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
        record["sys_path"] = list(sys.path)
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
