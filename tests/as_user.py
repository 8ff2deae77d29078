"""Run a command as an ordinary user, with or without user namespaces (for the sandbox tests).

    python tests/as_user.py [--uid UID] [--no-userns] -- COMMAND...

As root: enter a private mount namespace in which the interpreter's folders and this checkout
are reachable by any uid (an empty tmpfs over each folder a stranger cannot traverse, e.g.
/root, with what they need bound back), then become UID (default: an unused one), as a grading machine's
ordinary user would be. As an ordinary user: stay who we are.

--no-userns: as that user, create a user namespace of our own in which no further user
namespace can be created (max_user_namespaces = 0), then exec COMMAND, which has no
capability left: like a kernel that refuses unprivileged user namespaces to ordinary users
(Ubuntu 24.04's default), the sandbox must do without them.

Exit code 97 and a message on stderr when this machine cannot provide the mode.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import stat
import sys

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
UNAVAILABLE = 97


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _blocked(path: str) -> str | None:
    parts = path.strip("/").split("/")
    for k in range(1, len(parts)):
        anc = "/" + "/".join(parts[:k])
        if not os.stat(anc).st_mode & stat.S_IXOTH:
            return anc
    return None


def make_interpreter_reachable(libc) -> None:
    """As root, in a fresh mount namespace: empty tmpfs over the folders an ordinary uid could not
    traverse on the way to the interpreter, with the interpreter's own folders bound back."""
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout (its tests, the grader)
    needed = sorted({os.path.realpath(p) for p in (sys.executable, sys.prefix, sys.base_prefix, project)})
    needed = [n for n in needed if not any(n.startswith(m + "/") for m in needed)]  # outermost only
    masks = sorted({b for n in needed if (b := _blocked(n))}, key=len)
    handles = {n: os.open(n, os.O_PATH) for n in needed}
    for mask in masks:
        _mount(libc, "tmpfs", mask, "tmpfs", 0, "size=1m,mode=755")
        for n, fd in handles.items():
            if n.startswith(mask + "/"):
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(n, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(n), exist_ok=True)
                    open(n, "a").close()
                _mount(libc, f"/proc/self/fd/{fd}", n, None, MS_BIND | MS_REC)
    for fd in handles.values():
        os.close(fd)


def unused_uid() -> int:
    used = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            used.add(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            pass
    while True:
        uid = random.randrange(3_000_000, 4_000_000)
        if uid not in used:
            return uid


def forbid_user_namespaces(libc) -> None:
    """A user namespace of our own (we keep our uid), in which none can be created."""
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER) != 0:
        err = ctypes.get_errno()
        sys.stderr.write(f"as_user: cannot create the user namespace that forbids others ({os.strerror(err)})\n")
        sys.exit(UNAVAILABLE)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1\n")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1\n")
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("--no-userns", action="store_true")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    libc = _libc()
    if os.geteuid() == 0:
        make_interpreter_reachable(libc)
        uid = args.uid if args.uid is not None else unused_uid()
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: a uid change cleared it, and /proc/self with it
    if args.no_userns:
        forbid_user_namespaces(libc)
    os.execvp(args.command[0], args.command)


if __name__ == "__main__":
    main()
