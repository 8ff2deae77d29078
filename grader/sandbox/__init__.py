"""Run untrusted student code in confined child processes; get back only plain float64 arrays.

    results = run_tasks(workdir, [Task(name, driver, params, arrays, timeout), ...],
                        drivers=path_of_drivers_module, limits=Limits(), total_timeout=None, report={})

The child sees an allowlist, not the host minus a list of hidden places (view.py computes it):
the interpreter and the packages on its import path, the system libraries, read-only; its
private working copy; out/ and home/ (cwd, HOME, TMPDIR) writable; nothing else of the host's
filesystem, wherever solutions, data sets or other submissions may lie. Modes (Limits.sandbox,
the CLI's --sandbox, $GRADER_SANDBOX):

- "namespaces" (root, or unprivileged user namespaces): mount, pid, network and IPC namespaces;
  a minimal root on a tmpfs with read-only binds of the allowlist, a private /tmp, /var/tmp and
  /dev/shm, five /dev nodes and a fresh /proc, entered with pivot_root (the host's root
  detached); no network at all; every process the student starts dies with the sandbox; as
  root, a fresh unprivileged uid no other process shares (RLIMIT_NPROC applies to it);
- "landlock" (an ordinary user without user namespaces, e.g. Ubuntu 24.04's default): the same
  allowlist enforced by Landlock (Linux 5.13+): read and execute on it, read-write on out/ and
  home/, listing and reading refused everywhere else (a path's existence can still be probed);
  from Landlock ABI 4 no TCP bind or connect, from ABI 6 no signals to or abstract sockets of
  processes outside; but no pid namespace and no private /tmp;
- "none": resource limits only; refused unless Limits.allow_weak_sandbox (--allow-weak-sandbox);
- "auto" (the default): the first of these that works here; a fallback is logged and recorded.

Always: a child process per run (a fresh one after any timeout or crash), new session, its
whole process group SIGKILLed at a task's wall-clock deadline; `python -I`, minimal
environment; RLIMIT_AS, CPU, FSIZE, NOFILE, CORE=0 (NPROC unless uid 0); no new privileges; as
root without a fresh uid, no capabilities; results only as .npz/.json re-validated by the parent
(no pickles, numeric dtypes only, size caps, O_NOFOLLOW), every value converted to float64 by the
parent; result files accepted only for the task being waited on, with its one-time token.

`report["isolation"]` is what held (grader.sandbox.isolation: mode, namespaces, filesystem view,
uid, network, limits, what is missing from the full set); results.json carries it.

Not enforceable here: total disk use in home/ (each file is capped, not their number), CPU
share (nice/cgroups are not used), a student forging the outputs of the task it is running (the
engine still compares them with the reference). Without a pid namespace and not as root, a
setsid daemon can outlive the sandbox (bounded by its CPU limit).
"""

from .runner import MODES, SANDBOX_ENV, Limits, SandboxError, Task, TaskResult, probe_isolation, run_tasks

__all__ = ["MODES", "SANDBOX_ENV", "Limits", "SandboxError", "Task", "TaskResult", "probe_isolation", "run_tasks"]
