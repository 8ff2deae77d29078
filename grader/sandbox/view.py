"""What the sandbox child may see: the allowlist, computed by the trusted parent.

The child's view of the filesystem is built from this list and nothing else, whatever else the
grading machine holds (solutions, data sets, other submissions, home folders):

- read-only: the interpreter (the path it is started by, with every symbolic link on the way,
  and its real file), the `pyvenv.cfg` that makes it a virtual environment, every folder of the
  import path the child will have (`python -I`: the standard library, lib-dynload and the
  environment's site-packages, .pth additions included), the shared objects the interpreter
  itself maps (libpython), the system's programs and libraries (/usr/bin, /usr/lib*, /bin,
  /lib*: what ld.so and a shell need), /etc/ld.so.cache and /etc/localtime, and the job's lib/,
  work/ and in/ folders;
- read-write: the job's out/ and home/ (cwd, HOME and TMPDIR of the child);
- devices: /dev/null, zero, full, random, urandom.

Anything of that list lying in a folder that must stay hidden (the reference, the master
notebooks, the grader, the real CIFAR-10), or holding the reference or the master notebooks (a
project root on the import path), is left out; a hidden folder inside an allowed one (the
grader installed into site-packages) is covered (namespaces) or not granted (Landlock). The
list is what `results.json`'s isolation record shows as the child's view.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache

SYSTEM_DIRS = ("/usr/bin", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32",
               "/bin", "/lib", "/lib64", "/lib32", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")

# Run by the interpreter the child will be, with the child's flags: its import path and the
# shared objects it maps outside the system folders.
_PROBE = r"""
import json, sys
maps = set()
try:
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/"):
                maps.add(parts[5].strip())
except OSError:
    pass
print(json.dumps({"path": sys.path, "maps": sorted(maps), "prefix": sys.prefix, "base_prefix": sys.base_prefix}))
"""


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@lru_cache(maxsize=8)
def _interpreter(executable: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(import path, mapped shared objects) of `executable -I`, asked once per process."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    done = subprocess.run([executable, "-I", "-c", _PROBE], capture_output=True, text=True, timeout=120,
                          env=env, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{executable} -I could not report its import path: {done.stderr.strip()[-500:]}")
    data = json.loads(done.stdout)
    return tuple(data["path"]), tuple(data["maps"])


def interpreter_paths(executable: str = sys.executable) -> list[str]:
    """What the interpreter needs to start and import its packages (existing paths only)."""
    import_path, maps = _interpreter(executable)
    paths = [executable]
    for folder in {os.path.dirname(executable), os.path.dirname(os.path.dirname(executable))}:
        paths.append(os.path.join(folder, "pyvenv.cfg"))
    folders = [p for p in import_path if p]
    paths += folders
    paths += [m for m in maps if not any(inside(os.path.realpath(m), s) for s in SYSTEM_DIRS)
              and not any(inside(m, f) for f in folders)]
    return [p for p in dict.fromkeys(paths) if os.path.lexists(p)]


def split(paths, hidden, solutions=()) -> tuple[list[str], list[str]]:
    """(paths to allow, paths left out): out when it lies in a hidden folder, or holds one of the
    `solutions` folders (e.g. a project root on the import path: never shown whole). A path
    holding another hidden folder (the grader installed in site-packages) is kept; the hidden
    folder is covered in it."""
    keep, dropped = [], []
    hidden = [os.path.realpath(h) for h in hidden]
    solutions = [os.path.realpath(h) for h in solutions]
    for p in paths:
        real = os.path.realpath(p)
        if any(inside(real, h) for h in hidden + solutions) or any(inside(h, real) for h in solutions):
            dropped.append(p)
        else:
            keep.append(p)
    return keep, dropped


def build(jobdir: str, hidden, executable: str = sys.executable, solutions=()) -> dict:
    """The child's view for one job folder (see the module docstring). hidden: folders never
    shown; solutions: hidden folders whose holders are never shown either."""
    hidden = list(hidden) + list(solutions)
    wanted = interpreter_paths(executable)
    wanted += [p for p in SYSTEM_DIRS + ETC_FILES if os.path.lexists(p)]
    read_only, dropped = split(wanted, hidden, solutions)
    exe_real = os.path.realpath(executable)
    if executable in dropped:
        raise RuntimeError(f"the interpreter {executable} lies in a folder hidden from student code")
    read_only += [os.path.join(jobdir, sub) for sub in ("lib", "work", "in")]
    hidden_real = sorted({os.path.realpath(h) for h in hidden})
    return {
        "root": os.path.join(jobdir, "root"),
        "read_only": read_only,
        "writable": [os.path.join(jobdir, sub) for sub in ("out", "home")],
        "devices": [d for d in DEVICES if os.path.exists(d)],
        "private_tmp": list(PRIVATE_TMP),
        # covered where an allowed folder holds them (e.g. the grader inside site-packages)
        "hide": [h for h in hidden_real if any(inside(h, os.path.realpath(p)) for p in read_only)],
        "left_out": dropped,
        "interpreter": exe_real,
    }


def reachable_by_anyone(paths) -> bool:
    """Can a stranger uid read every path (and traverse every folder above it)? Without a mount
    namespace, only then can the child drop to a fresh uid and still run."""
    for p in paths:
        real = os.path.realpath(p)
        parts = real.strip("/").split("/")
        for k in range(1, len(parts)):
            try:
                if not os.stat("/" + "/".join(parts[:k])).st_mode & 0o001:
                    return False
            except OSError:
                return False
        try:
            if not os.stat(real).st_mode & 0o004:
                return False
        except OSError:
            return False
    return True
