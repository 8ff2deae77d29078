"""Grading mutants: each one built as a submission and graded in the sandbox by the hidden suite.

For one mutant (the reference with the mutated file(s)):

1. its own functions' checks (`only` = the functions it changes): killed when any test fails
   (status failed or error: a wrong value, an exception, a timeout), the first failing test is
   "the check that killed it";
2. if it survived, the checks of the functions that call them (the profile's `uses`, followed
   transitively: a sandwich layer, a model): a kill there is recorded as a kill by a dependant;
3. if it still survived, the equivalence probe: the same plans as the hidden suite's for its
   functions, drawn from several other seeds, run on the mutant in the sandbox like any
   submission, and every output, dtype and modified-input report compared with the reference's
   (from the parent's ReferenceOracle) to 1e-9 relative (1e-5 for float32 cases). No difference
   anywhere: the mutant is equivalent (excluded from the kill rate, listed). Tasks whose result
   differs for the unmodified reference itself (not deterministic) are left out of that
   comparison.

Mutant code runs only in sandboxed children, exactly as student code does; the grading process
computes expected values from the trusted reference and compares numbers.

Workers: with N > 1, N worker processes each grade one mutant at a time (each grading starts its
own sandbox children); with N = 1 everything runs in this process. Every grading uses the same
seed, so the reference's expected values are computed once per worker and reused.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .. import examples
from ..check.compare import rel_error
from ..check.oracle import NoOracle, ReferenceOracle, task_key
from ..check.plan import build, driver_files
from ..check.run import sandbox_context
from ..errors import SetupError
from ..grade import grade_submission
from ..sandbox import Limits, Task, run_tasks
from ..submission import assemble_workdir, find_packages
from . import hints
from .generate import Mutant

FAILING = ("failed", "error")
PROBE_TOL = {"float64": 1e-9, "float32": 1e-5}
OUTPUT_CHARS = 300
DEFAULT_SEED = 1
DEFAULT_PROBE_SEEDS = 5


@dataclass
class Outcome:
    """What grading one mutant found."""

    id: str
    status: str  # killed | survived | equivalent | error (the grader itself failed on it)
    killed_by: str | None = None  # the first failing test
    stage: str | None = None  # own | dependants
    failing: list[str] = field(default_factory=list)  # failing tests (at most 10)
    output: str = ""  # the killing test's output (or the probe's finding, or the grader's error)
    probe: str | None = None  # survivors: what the equivalence probe found
    seconds: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


def dependants(profile) -> dict[str, set[str]]:
    """Graded function -> the graded functions that call it, directly or through others (from the
    descriptions' `uses`)."""
    b = build(profile, 0, NoOracle(profile))
    callers: dict[str, set[str]] = {}
    for f, used in b.uses.items():
        for u in used:
            callers.setdefault(u, set()).add(f)
    out: dict[str, set[str]] = {}
    for f in profile.functions():
        seen, todo = set(), list(callers.get(f, ()))
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(callers.get(g, ()))
        out[f] = seen - {f}
    return out


def _case_dtype(task: Task) -> str:
    return "float32" if any(getattr(a, "dtype", None) == np.float32 for a in task.arrays.values()) else "float64"


def difference(task: Task, result, expected: dict, info: dict) -> str | None:
    """How the child's result of `task` differs from the reference's (None: it does not)."""
    if result.status != "ok":
        return f"{result.status}: {(result.error or '')[:200]}"
    tol = PROBE_TOL[_case_dtype(task)]
    got = {k: v for k, v in result.outputs.items() if not k.startswith(("num.", "ana."))}
    if set(got) != set(expected):
        extra, lack = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
        return f"outputs differ: missing {lack}, unexpected {extra}"
    for k in sorted(expected):
        a, e = np.asarray(got[k], dtype=np.float64), np.asarray(expected[k], dtype=np.float64)
        if a.shape != e.shape:
            return f"{k}: shape {a.shape}, reference {e.shape}"
        fa, fe = np.isfinite(a), np.isfinite(e)
        if not np.array_equal(fa, fe) or not np.array_equal(a[~fa], e[~fe], equal_nan=True):
            return f"{k}: non-finite entries differ"
        err = rel_error(a[fa], e[fe], 1e-6) if a.size else 0.0
        if err > tol:
            return f"{k}: rel error {err:.2e} from the reference"
    for k, want in info.items():
        have = result.info.get(k)
        if k == "mutated":
            have, want = sorted(have or []), sorted(want or [])
        if have != want:
            return f"info {k}: {have!r}, reference {want!r}"
    return None


class MutantGrader:
    """Grades mutants of one profile (one per worker process, or the parent's own)."""

    def __init__(self, profile, *, seed: int = DEFAULT_SEED, probe_seeds: int = DEFAULT_PROBE_SEEDS,
                 limits: Limits | None = None, scratch: Path | None = None):
        hints.enable(False)  # a failure here would only be told it is the mutant being graded
        self.profile = profile
        self.seed = seed
        self.probe_seeds = [seed + 1000 * (k + 1) for k in range(probe_seeds)]
        self.limits = limits
        self.oracle = ReferenceOracle(profile)
        self.callers = dependants(profile)
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="grader-mutate-"))
        self.base = self.scratch / "base"
        if not self.base.exists():
            examples.build(profile, self.base, files=list(profile.editable))
        self._nondeterministic: dict[frozenset, set[str]] = {}

    # -- building
    def submission(self, mutant: Mutant | None, where: Path) -> Path:
        if where.exists():
            shutil.rmtree(where)
        shutil.copytree(self.base, where)
        for rel, text in (mutant.files if mutant else {}).items():
            (where / rel).write_text(text, encoding="utf-8")
        return where

    def _grade(self, sub: Path, only: set[str]) -> dict:
        return grade_submission(sub, profile=self.profile, out_dir=self.scratch / "out", notebooks=False,
                                only=only, seed=self.seed, oracle=self.oracle, limits=self.limits)

    @staticmethod
    def _failing(results: dict) -> list[dict]:
        bad = [t for t in results["tests"] if t["status"] in FAILING]
        if not bad and results.get("status") != "graded":
            bad = [{"name": "(grading)", "output": f"grading ended with status {results.get('status')}"}]
        return bad

    # -- one mutant
    def run(self, mutant: Mutant) -> Outcome:
        started = time.monotonic()
        sub = self.submission(mutant, self.scratch / "sub")
        try:
            own = set(mutant.functions or (mutant.function,))
            stages = [("own", own)]
            callers = set().union(*(self.callers.get(f, set()) for f in own)) - own
            if callers:
                stages.append(("dependants", callers))
            for stage, only in stages:
                bad = self._failing(self._grade(sub, only))
                if bad:
                    return Outcome(mutant.id, "killed", bad[0]["name"], stage, [t["name"] for t in bad[:10]],
                                   bad[0]["output"][:OUTPUT_CHARS], seconds=time.monotonic() - started)
            found = self.probe(sub, own)
            status = "equivalent" if found is None else "survived"
            text = (f"same outputs as the reference on {len(self.probe_seeds)} other seeds' inputs"
                    if found is None else f"differs from the reference: {found}")
            return Outcome(mutant.id, status, probe=text, seconds=time.monotonic() - started)
        finally:
            shutil.rmtree(sub, ignore_errors=True)

    # -- the equivalence probe
    def _tasks(self, only: set[str]) -> list[Task]:
        tasks, seen = [], set()
        for k, seed in enumerate(self.probe_seeds):
            b = build(self.profile, seed, self.oracle, only)
            for p in b.plans:
                t = Task(p.task.name, p.task.driver, dict(p.task.params, numeric=None), p.task.arrays, p.task.timeout)
                key = task_key(t)
                if key not in seen:
                    seen.add(key)
                    tasks.append(Task(f"{t.name}#{k}", t.driver, t.params, t.arrays, t.timeout))
        return tasks

    def _run_probe(self, sub: Path, tasks: list[Task]) -> list:
        work = self.scratch / "work"
        if work.exists():
            shutil.rmtree(work)
        assemble_workdir(self.profile, find_packages(sub, self.profile), work)
        try:
            return run_tasks(work, tasks, drivers=driver_files(self.profile), context=sandbox_context(self.profile),
                             limits=self.limits or Limits(), total_timeout=self.profile.total_timeout)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _expected(self, task: Task) -> tuple[dict, dict]:
        return self.oracle.expected(Task(task.name.rsplit("#", 1)[0], task.driver, task.params, task.arrays,
                                         task.timeout))

    def probe(self, sub: Path, only: set[str]) -> str | None:
        """None when the mutant at `sub` gives the reference's results on every probe task; else
        the first difference."""
        tasks = self._tasks(only)
        skip = self._calibrate(frozenset(only), tasks)
        for task, result in zip(tasks, self._run_probe(sub, tasks)):
            if task.name in skip:
                continue
            exp, info = self._expected(task)
            found = difference(task, result, exp, info)
            if found:
                return f"{task.name.rsplit('#', 1)[0]}: {found}"
        return None

    def _calibrate(self, only: frozenset, tasks: list[Task]) -> set[str]:
        """The probe tasks whose result differs even for the unmodified reference."""
        if only not in self._nondeterministic:
            ref = self.submission(None, self.scratch / "reference")
            try:
                results = self._run_probe(ref, tasks)
            finally:
                shutil.rmtree(ref, ignore_errors=True)
            self._nondeterministic[only] = {t.name for t, r in zip(tasks, results)
                                            if difference(t, r, *self._expected(t)) is not None}
        return self._nondeterministic[only]

    def close(self) -> None:
        hints.enable(True)
        shutil.rmtree(self.scratch, ignore_errors=True)


# ----------------------------------------------------------------------------- worker processes

_WORKER: MutantGrader | None = None


def _stop(signum, frame) -> None:
    """SIGTERM unwinds like an exception, so a worker's sandboxes are killed on the way out."""
    raise SystemExit(128 + signum)


def _init_worker(name: str, edition: str | None, seed: int, probe_seeds: int) -> None:
    global _WORKER
    from threadpoolctl import threadpool_limits

    from ..courses import get_profile

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the workers

    threadpool_limits(1)  # the parent's own numpy: one thread per worker (the sandbox children have one too)
    _WORKER = MutantGrader(get_profile(name, edition), seed=seed, probe_seeds=probe_seeds)
    multiprocessing.util.Finalize(_WORKER, _WORKER.close, exitpriority=10)  # the scratch folder, when the worker ends


def _run_in_worker(mutant: Mutant) -> dict:
    assert _WORKER is not None
    try:
        return _WORKER.run(mutant).as_json()
    except Exception as exc:  # noqa: BLE001 - one mutant the grader cannot grade is reported, not fatal
        return Outcome(mutant.id, "error", output=f"{type(exc).__name__}: {exc}"[:OUTPUT_CHARS]).as_json()


def run_mutants(profile, mutants: list[Mutant], *, workers: int = 1, seed: int = DEFAULT_SEED,
                probe_seeds: int = DEFAULT_PROBE_SEEDS, progress: Callable[[Outcome], None] | None = None
                ) -> list[Outcome]:
    """Grade every mutant (see the module docstring); outcomes in the order of `mutants`."""
    outcomes: dict[str, Outcome] = {}
    if workers <= 1 or len(mutants) <= 1:
        grader = MutantGrader(profile, seed=seed, probe_seeds=probe_seeds)
        try:
            for m in mutants:
                try:
                    o = grader.run(m)
                except Exception as exc:  # noqa: BLE001
                    o = Outcome(m.id, "error", output=f"{type(exc).__name__}: {exc}"[:OUTPUT_CHARS])
                outcomes[m.id] = o
                if progress:
                    progress(o)
        finally:
            grader.close()
        return [outcomes[m.id] for m in mutants]
    edition = profile.edition.name if profile.edition else None
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited locks or threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(profile.name, edition, seed, probe_seeds)) as pool:
        pending = {pool.submit(_run_in_worker, m): m for m in mutants}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    m = pending.pop(fut)
                    try:
                        o = Outcome(**fut.result())
                    except BrokenProcessPool as exc:
                        raise SetupError(f"a mutation worker process died ({exc}); run with --workers 1 to see "
                                         "why") from exc
                    outcomes[m.id] = o
                    if progress:
                        progress(o)
        except BaseException:  # Ctrl-C, SIGTERM: stop every worker (each kills its sandboxes) and go
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                if process.is_alive():
                    process.terminate()
            raise
    return [outcomes[m.id] for m in mutants]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


__all__ = ["DEFAULT_PROBE_SEEDS", "DEFAULT_SEED", "MutantGrader", "Outcome", "default_workers", "dependants",
           "difference", "run_mutants"]
