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
    (canonical -> the name the submission uses) and the edition's constructor renames and
    complemented arguments."""
    return {"packages": dict(packages or {}), "renames": {k: dict(v) for k, v in profile.renames.items()},
            "complement": {k: list(v) for k, v in profile.complement.items()}}


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

    explain(b, verdicts)
    timed_out = any(r.status == "timeout" and "total time budget" in (r.error or "") for r in by_task.values())
    return verdicts, timed_out, report


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
            hint = b.hint(b.hints.get(first.function, ()), Evidence(first.function, first.case, None, error=result.error))
        v = error_verdict(result, hint)
        return {t.name: dataclasses.replace(v) for t in plan.tests}
    try:
        return plan.judge(result)  # printed output is never trusted, nor shown (it may be huge or misleading)
    except Exception as exc:  # noqa: BLE001 - a judging bug must not lose the submission
        log.exception("judging %s failed", plan.task.name)
        return {t.name: Verdict("error", f"the grader could not judge this result: {exc!r}") for t in plan.tests}


def explain(b: Builder, verdicts: dict[str, Verdict]) -> None:
    """Cross-test notes: a failure inside a function this one calls; hints over all cases."""
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

    for d in b.defs:
        v = verdicts.get(d.name)
        if v is None or v.status == "passed":
            continue
        groups: dict[str, list[str]] = {}
        for u in b.uses.get(d.function, ()):
            if s := state(u):
                groups.setdefault(s, []).append(u)
        shown = {s: ", ".join(fns[:3]) + (f" and {len(fns) - 3} more" if len(fns) > 3 else "")
                 for s, fns in groups.items()}
        if v.raised and not v.not_implemented and "not implemented" in shown:
            # e.g. a given sandwich layer fed the None of an unwritten layer: not this function's bug
            v.not_implemented = True
            v.output = (f"not implemented: it calls functions not implemented: {shown.pop('not implemented')} "
                        f"(meanwhile: {v.output})")
        for s, text in shown.items():
            v.output += f" (it calls functions {s}: {text})"
    for fn, defs in by_function.items():
        names = b.across.get(fn, ())
        if not names:
            continue
        rows = [(d.case, d.params, verdicts[d.name].status) for d in defs if d.name in verdicts]
        for case, text in diagnose.across_cases(names, rows, b.profile.hints).items():
            for d in defs:
                if d.case == case and "Likely bug" not in verdicts[d.name].output:
                    verdicts[d.name].output += f". Likely bug: {text}"
