"""Run untrusted student code in confined child processes; get back only plain float64 arrays.

    results = run_tasks(workdir, [Task(name, driver, params, arrays, timeout), ...],
                        drivers=path_of_drivers_module, limits=Limits(), total_timeout=None, report={})

What is enforced (Linux; `report["isolation"]` says what held on this machine):
- always: a child process per run (a fresh one after any timeout or crash), new session, its
  whole process group SIGKILLed at a task's wall-clock deadline; `python -I`, minimal
  environment, cwd/HOME/TMPDIR a private folder; RLIMIT_AS, CPU, FSIZE, NOFILE, CORE=0;
  results only as .npz/.json re-validated by the parent (no pickles, numeric dtypes only,
  size caps, O_NOFOLLOW), every value converted to float64 by the parent; result files accepted
  only for the task being waited on, with its one-time token;
- where namespaces are available (root, or unprivileged user namespaces): no network; pid
  namespace with its own /proc (every process the student starts, setsid daemons included, dies
  with the sandbox; the host's processes are invisible); the reference and grader folders
  covered by empty tmpfs; private /tmp, /var/tmp, /dev/shm; every mount read-only except the
  child's out/ and home/;
- as root: the child runs as a fresh unprivileged uid (no other process shares it; RLIMIT_NPROC
  applies to it); if the child cannot start that way it falls back to root, with a warning;
- not enforceable here: total disk use in home/ (each file is capped, not their number), CPU
  share (nice/cgroups are not used), a student forging the outputs of the task it is running
  (the engine still compares them with the reference). Without namespaces and not as root, a
  setsid daemon can outlive the sandbox (bounded by its CPU limit) and the student can read
  whatever the grading user can read.
"""

from .runner import Limits, SandboxError, Task, TaskResult, run_tasks

__all__ = ["Limits", "SandboxError", "Task", "TaskResult", "run_tasks"]
