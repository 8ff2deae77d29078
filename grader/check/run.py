"""Running: import probes, the tasks in the sandbox, judging, and the notes that span tests.

Steps for one assembled working copy:
1. probe: one child imports each module of the course, so that a module hanging on import is
   found once and the checks depending on it are reported without being run;
2. run: every task in sandboxed children; a hang or crash costs its own task, and once a
   function hung, the tasks that call it are not run;
3. judge: the parent compares the plain float64 arrays it got with the oracle's answers;
4. explain: a failure inside a function this one calls is named; hints over all the cases of a
   function (e.g. right at stride 1, wrong at stride 2) are added.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..sandbox import Limits, Task, TaskResult, run_tasks
from . import diagnose
from .diagnose import Evidence
from .judge import Verdict, error_verdict
from .plan import Builder, Plan, TestDef, build, driver_files
from .points import score

log = logging.getLogger(__name__)


@dataclass
class CheckRun:
    """The outcome of the checks of one submission."""

    tests: list  # grader.results.TestRecord
    status: str  # graded | timeout
    report: dict


def sandbox_context(profile, packages: dict[str, str] | None = None) -> dict:
    """What the drivers in the child know of the course: the package names of this working copy
    (canonical -> the name the submission uses), the edition's constructor renames and
    complemented arguments, and the compatibility shims applied before student code (Profile.compat)."""
    return {"packages": dict(packages or {}), "renames": {k: dict(v) for k, v in profile.renames.items()},
            "complement": {k: list(v) for k, v in profile.complement.items()},
            "compat": list(profile.compat_shims)}


def run_checks(profile, workdir: Path, *, seed: int, oracle, limits: Limits | None = None,
               total_timeout: float | None = None, only=None, packages: dict[str, str] | None = None) -> CheckRun:
    """Every check of `profile` on one assembled workdir: the test records of results.json."""
    started = time.monotonic()
    b = build(profile, seed, oracle, only)
    verdicts, timed_out, report = run_and_judge(b, workdir, limits=limits, total_timeout=total_timeout,
                                                packages=packages)
    tests = score(b, verdicts)
    report["seconds"] = time.monotonic() - started
    return CheckRun(tests, "timeout" if timed_out else "graded", report)


def _blocked(profile, probes: dict[str, TaskResult]) -> dict[str, str]:
    """Module -> why its checks cannot run (its import, or a dependency's, hung or crashed)."""
    why: dict[str, str] = {}

    def reason(m: str, seen=()) -> str | None:
        for dep in profile.module_deps.get(m, ()):  # the root cause first
            if dep not in seen:
                text = reason(dep, seen + (m,))
                if text:
                    return text
        r = probes.get(m)
        if r is not None and r.status in ("timeout", "crash"):
            return (f"importing {profile.module_file(m)} {'timed out' if r.status == 'timeout' else 'crashed'}: "
                    f"{r.error}")
        return None

    for m in profile.module_deps:
        text = reason(m)
        if text:
            why[m] = text
    return why


def run_and_judge(b: Builder, workdir: Path, *, limits: Limits | None = None, total_timeout: float | None = None,
                  packages: dict[str, str] | None = None) -> tuple[dict[str, Verdict], bool, dict]:
    """Probe, run and judge the plans of `b` (all of them, or a subset such as the public ones):
    the verdict of every test, whether the total time budget ran out, and the sandbox's report."""
    profile = b.profile
    started = time.monotonic()
    total = profile.total_timeout if total_timeout is None else total_timeout
    limits = limits or Limits()
    report: dict = {}
    common = dict(drivers=driver_files(profile), context=sandbox_context(profile, packages), limits=limits)

    modules = list(profile.module_deps)
    probe_tasks = [Task(f"import:{m}", "import_module", {"module": m}, {}, profile.import_timeout) for m in modules]
    probe_results = run_tasks(workdir, probe_tasks, total_timeout=total, report=report, **common)
    blocked = _blocked(profile, dict(zip(modules, probe_results)))

    runnable = [p for p in b.plans if not any(m in blocked for m in p.modules)]
    left = max(total - (time.monotonic() - started), 1.0)
    results = run_tasks(workdir, [p.task for p in runnable], total_timeout=left, skip=_after_hang(b, runnable), **common)
    by_task: dict[str, TaskResult] = {p.task.name: r for p, r in zip(runnable, results)}
    for p in b.plans:
        if p.task.name not in by_task:
            why = next(blocked[m] for m in p.modules if m in blocked)
            by_task[p.task.name] = TaskResult(p.task.name, "error", {}, {}, f"not run: {why}", False, "", 0.0)

    verdicts: dict[str, Verdict] = {}
    for p in b.plans:
        verdicts.update(judge_plan(b, p, by_task[p.task.name]))
    for agg in b.aggregates:
        try:
            verdicts[agg.test.name] = agg.judge([by_task[p.task.name] for p in agg.plans])
        except Exception as exc:  # noqa: BLE001 - a judging bug must not lose the submission
            log.exception("judging %s failed", agg.test.name)
            verdicts[agg.test.name] = Verdict("error", f"the grader could not judge this result: {exc!r}")

    left = max(total - (time.monotonic() - started), 1.0)
    replay(b, verdicts, by_task, workdir, common, left)
    explain(b, verdicts)
    timed_out = any(r.status == "timeout" and "total time budget" in (r.error or "") for r in by_task.values())
    return verdicts, timed_out, report


class _Answering:
    """The builder's oracle, answering one task with given outputs (a replay's)."""

    def __init__(self, inner, name: str, answer: tuple[dict, dict]):
        self.inner, self.name, self.answer = inner, name, answer

    def expected(self, task):
        return self.answer if task.name == self.name else self.inner.expected(task)

    def __getattr__(self, key):
        return getattr(self.inner, key)


def _callees(b: Builder, fn: str) -> list[str]:
    """Every function fn calls, directly or through the functions it calls (b.uses)."""
    out: list[str] = []
    todo = list(b.uses.get(fn, ()))
    while todo:
        u = todo.pop(0)
        if u not in out and u != fn:
            out.append(u)
            todo.extend(b.uses.get(u, ()))
    return out


def replay(b: Builder, verdicts: dict[str, Verdict], by_task: dict[str, TaskResult], workdir: Path, common: dict,
           left: float) -> None:
    """A caller judged given its callees' answers (docs/grading-policy.md).

    When a test fails and functions its function calls fail their own tests, its task runs again
    with every call to those callees recorded (their array arguments and outputs); the parent then
    runs the reference on the same inputs with those callees answering as the student's did (the
    calls matched in order, their arguments checked). If the student's outputs are then right,
    the caller's own code is right and its test passes, naming the root cause; the callees lose
    their points on their own tests. A caller that calls its callees differently (other inputs,
    another function) cannot be judged apart from them: its failure stands, with the root cause
    named. The student's code never runs in this process: only the recorded numbers replay."""
    oracle = b.oracle
    if not hasattr(oracle, "replayed"):
        return
    failing = {d.function for d in b.defs if d.name in verdicts and verdicts[d.name].status != "passed"}
    jobs = []
    for p in b.plans:
        r = by_task.get(p.task.name)
        if r is None or r.status != "ok" or not any(verdicts[t.name].status == "failed" for t in p.tests
                                                    if t.name in verdicts):
            continue
        callees = [u for u in _callees(b, p.tests[0].function) if u in failing and u in b.where]
        if not callees:
            continue
        record = {u: list(b.where[u]) for u in callees}
        inner = {"driver": p.task.driver, "params": {**p.task.params, "numeric": None, "cache": None, "compose": None}}
        params = {"inner": inner, "record": record, "modules": list(p.modules)}
        jobs.append((p, Task(f"{p.task.name}#replay", "recorded", params, p.task.arrays, p.task.timeout), callees))
    if not jobs:
        return
    results = run_tasks(workdir, [t for _, t, _ in jobs], total_timeout=left, **common)
    for (p, task, callees), r in zip(jobs, results):
        if r.status != "ok":
            continue
        calls = (r.info or {}).get("record") or []
        recorded = {k: v for k, v in r.outputs.items() if k.startswith("rec.")}
        student = dataclasses.replace(r, name=p.task.name,
                                      outputs={k: v for k, v in r.outputs.items() if not k.startswith("rec.")},
                                      info={k: v for k, v in (r.info or {}).items() if k != "record"})
        try:
            answer = oracle.replayed(p.task, task.params["record"], calls, recorded)
        except Exception as exc:  # noqa: BLE001 - another call sequence: no evidence either way
            log.info("replay of %s: %s", p.task.name, exc)
            continue
        saved = b.oracle
        b.oracle = _Answering(saved, p.task.name, answer)
        try:
            again = p.judge(student)
        except Exception:  # noqa: BLE001 - a judging bug must not lose the submission
            log.exception("judging the replay of %s failed", p.task.name)
            continue
        finally:
            b.oracle = saved
        causes = [c for c in callees if c in (answer[1].get("replay_differed") or [])] or callees
        names = ", ".join(causes[:3]) + (f" and {len(causes) - 3} more" if len(causes) > 3 else "")
        for t in p.tests:
            v, w = verdicts.get(t.name), again.get(t.name)
            if v is None or w is None or v.status != "failed" or w.status != "passed":
                continue
            v.status, v.rel_error, v.root = "passed", w.rel_error, list(causes)
            v.warnings = list(w.warnings)
            v.output = (f"wrong values ({v.output.split('. Likely bug')[0]}), but exactly those the course's own "
                        f"{t.function} gives with the answers of your {names}: this function's own code is right; "
                        f"root cause: {names} (failing their own tests, where they lose their points)")


def _after_hang(b: Builder, plans: list[Plan]) -> Callable[[Task, list[TaskResult]], str | None]:
    """A sandbox skip rule: once a function's task timed out, tasks that call it (directly or
    through other functions) are not run, so one hang costs one timeout, not one per caller."""
    plan_of = {p.task.name: p for p in plans}

    def needs(task: Task) -> set[str]:
        plan = plan_of[task.name]
        todo, seen = [t.function for t in plan.tests] + list(plan.needs), set()
        while todo:
            f = todo.pop()
            if f not in seen:
                seen.add(f)
                todo.extend(b.uses.get(f, ()))
        return seen

    def skip(task: Task, done: list[TaskResult]) -> str | None:
        hung = {t.function for r in done if r.status == "timeout" for t in plan_of[r.name].tests}
        culprits = sorted(needs(task) & hung) if hung else []
        return f"it needs {', '.join(culprits)}, which timed out in an earlier check" if culprits else None

    return skip


def judge_plan(b: Builder, plan: Plan, result: TaskResult) -> dict[str, Verdict]:
    if result.status != "ok":
        first = plan.tests[0]
        hint = None
        if result.status == "error" and not result.not_implemented:
            hint = b.hint(b.hints.get(first.function, ()), Evidence(first.function, first.case, None,
                                                                     arrays=plan.task.arrays, params=plan.task.params,
                                                                     error=result.error))
        v = error_verdict(result, hint)
        return {t.name: dataclasses.replace(v) for t in plan.tests}
    try:
        return plan.judge(result)  # printed output is never trusted, nor shown (it may be huge or misleading)
    except Exception as exc:  # noqa: BLE001 - a judging bug must not lose the submission
        log.exception("judging %s failed", plan.task.name)
        return {t.name: Verdict("error", f"the grader could not judge this result: {exc!r}") for t in plan.tests}


def explain(b: Builder, verdicts: dict[str, Verdict]) -> None:
    """Cross-test notes (docs/grading-policy.md):

    - root causes: a failure of a function whose callees fail their own tests names the deepest of
      those callees once ("root cause: ..."); one whose callees are not implemented is not
      implemented itself;
    - compositions: a function whose wrong output equals the composition of the student's own
      callees (a given sandwich layer) is not wrong itself: its test passes, naming the root cause;
    - edges: a function right on its other cases but wrong on cases that try an edge the notebooks
      do not (Case.edge) is told which edge; and the profile's hints over all the cases.
    """
    by_function: dict[str, list[TestDef]] = {}
    for d in b.defs:
        by_function.setdefault(d.function, []).append(d)

    def state(fn: str) -> str | None:
        vs = [verdicts[d.name] for d in by_function.get(fn, []) if d.name in verdicts]
        if not vs:
            return None
        if all(v.not_implemented for v in vs):
            return "not implemented"
        if any(v.status != "passed" for v in vs):
            return "failing its own tests"
        return None

    def roots(fn: str, seen: tuple = ()) -> list[str]:
        """The deepest callees of fn that fail their own tests (not explained by a callee of theirs)."""
        out: list[str] = []
        for u in b.uses.get(fn, ()):
            if u in seen or state(u) is None:
                continue
            deeper = roots(u, seen + (fn,))
            for r in deeper or [u]:
                if r not in out:
                    out.append(r)
        return out

    def listed(fns: list[str]) -> str:
        return ", ".join(fns[:3]) + (f" and {len(fns) - 3} more" if len(fns) > 3 else "")

    # compositions first: a sandwich equal to its callees' composition passes, so that its own
    # callers do not count it as failing
    for d in b.defs:
        v = verdicts.get(d.name)
        if v is None or v.status != "failed" or not v.composed:
            continue
        causes = roots(d.function)
        if causes:
            v.status = "passed"
            v.rel_error = None
            v.root = causes
            v.output = (f"wrong values ({v.output.split('. Likely bug')[0]}), but exactly those of the composition of "
                        f"your own callees: this function's own code is right; root cause: {listed(causes)} "
                        f"(failing its own tests, where it loses its points)")
    for d in b.defs:
        v = verdicts.get(d.name)
        if v is None or v.status == "passed":
            continue
        groups: dict[str, list[str]] = {}
        uses = b.uses.get(d.function, ()) if d.uses is None else d.uses
        for u in uses:
            if s := state(u):
                groups.setdefault(s, []).append(u)
        if v.raised and not v.not_implemented and "not implemented" in groups:
            # e.g. a given sandwich layer fed the None of an unwritten layer: not this function's bug
            v.not_implemented = True
            v.output = (f"not implemented: it calls functions not implemented: {listed(groups.pop('not implemented'))} "
                        f"(meanwhile: {v.output})")
        found = roots(d.function) if d.uses is None else [u for u in d.uses if state(u)]
        causes = [c for c in (v.root or found) if state(c) == "failing its own tests" or c in v.root]
        if causes and "root cause" not in v.output:
            v.root = causes
            v.output += f" (root cause: {listed(causes)}, which fails its own tests)"
    for fn, defs in by_function.items():
        rows = [(d, verdicts[d.name]) for d in defs if d.name in verdicts and d.kind == "value"]
        if any(v.status == "passed" for _d, v in rows):
            for d, v in rows:
                if not d.edge or v.status == "passed":
                    continue
                edge = f"right on the other cases but wrong at this edge, which the notebooks do not test: {d.edge}"
                if "Likely bug" not in v.output:
                    v.output += f". Likely bug: {edge}"
                elif "(generated mutant" in v.output:  # a mutant's signature says less than the edge does
                    v.output += f"; {edge}"
        names = b.across.get(fn, ())
        if not names:
            continue
        rows2 = [(d.case, d.params, verdicts[d.name].status) for d in defs if d.name in verdicts]
        for case, text in diagnose.across_cases(names, rows2, b.profile.hints).items():
            for d in defs:
                if d.case == case and "Likely bug" not in verdicts[d.name].output:
                    verdicts[d.name].output += f". Likely bug: {text}"
