"""The check engine: descriptions -> sandbox tasks -> expected values -> comparisons -> tests.

Steps, in order (each a small function below):
1. build: every description of the profile becomes sandbox tasks (inputs drawn in the parent,
   from the submission's seed for hidden cases and a fixed seed for public ones), each with the
   tests it feeds and a judge;
2. probe: one child imports each module of the package, so that a module hanging on import is
   found once and the checks depending on it are reported without being run;
3. run: every task in sandboxed children (E1's run_tasks); a hang or crash costs its own task;
4. judge: the parent compares the plain float64 arrays it got with the oracle's answers (the
   trusted reference run on the same inputs), and computes the statistical checks itself;
5. explain: failures get what differs and, where a classic bug matches, its name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import math
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..sandbox import Limits, Task, TaskResult, run_tasks
from . import diagnose, drivers
from .compare import Comparison, compare, rel_error
from .diagnose import Evidence
from .spec import (
    NUMERIC_TOL,
    VALUE_TOL,
    VISIBLE,
    CallSpec,
    Case,
    CheckSpec,
    LayerSpec,
    ModelConfig,
    ModelSpec,
    OptimSpec,
    Profile,
    np_dtype,
    qualnames,
    short_module,
)

log = logging.getLogger(__name__)

DRIVERS_PATH = Path(drivers.__file__)
PUBLIC_SEED = 231  # public cases are the same for every submission (and the student kit)
NUMERIC_COORDS = 8  # coordinates sampled per tensor by the child's numeric gradient
WEIGHT_INPLACE = 0.5


# ----------------------------------------------------------------------------- oracles


class ReferenceOracle:
    """Expected values from the trusted reference package, run in this (the parent) process on
    the very inputs of each task, by the same driver the child ran (numeric checks off).

    The student kit will swap in an oracle reading stored expectations (npz/JSON) for the public
    cases: anything with `expected(task)`, `param_shapes(...)` and `model(...)` will do.
    """

    def __init__(self, package: str = "cs231n", *, root: Path | None = None):
        """root: the folder holding the reference package (default: grader.paths.reference_dir())."""
        from ..reference import import_reference

        self.package = package
        self._import_name = import_reference(package, root=root).__name__
        self._cache: dict[str, tuple[dict, dict]] = {}

    def module(self, name: str):
        """The driver context's one method: `<package>.<name>` of the reference."""
        return importlib.import_module(f"{self._import_name}.{name}")

    def expected(self, task: Task) -> tuple[dict, dict]:
        """(outputs as float64 arrays, info) of the reference on the task's inputs."""
        key = _task_key(task)
        if key not in self._cache:
            params = dict(task.params, numeric=None)
            arrays = {k: np.array(v, copy=True) for k, v in task.arrays.items()}
            state = np.random.get_state()  # the course API seeds the global generator (dropout)
            try:
                out = drivers.DRIVERS[task.driver](self, params, arrays)
            finally:
                np.random.set_state(state)
            info = out.pop("info", {}) or {}
            outputs = {k: np.array(v, dtype=np.float64) for k, v in out.items() if v is not None}
            self._cache[key] = (outputs, info)
        return self._cache[key]

    def param_shapes(self, module: str, cls: str, kwargs: dict) -> dict[str, tuple]:
        m = self.model(module, cls, kwargs)
        return {k: tuple(np.shape(v)) for k, v in m.params.items()}

    def model(self, module: str, cls: str, kwargs: dict):
        """A fresh reference model (random initial parameters from a local seed)."""
        state = np.random.get_state()
        try:
            np.random.seed(0)
            return getattr(self.module(module), cls)(**drivers.constructor_kwargs(kwargs))
        finally:
            np.random.set_state(state)


def _task_key(task: Task) -> str:
    """A task's identity for caching expected values: its name, driver, params and input bytes
    (the same name with another seed's inputs is another task)."""
    h = hashlib.sha256(f"{task.name}\0{task.driver}\0{json.dumps(task.params, sort_keys=True)}".encode())
    for k in sorted(task.arrays):
        a = np.ascontiguousarray(task.arrays[k])
        h.update(f"\0{k}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- plans


@dataclass
class TestDef:
    """One entry of results.json's tests, before it is judged."""

    __test__ = False  # not a pytest class

    name: str
    function: str  # qualified name whose points it shares
    weight: float
    visibility: str
    case: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class Verdict:
    status: str  # passed | failed | error
    output: str
    rel_error: float | None = None
    not_implemented: bool = False
    raised: bool = False  # the task ran and raised (not a hang, a crash, or a task not run)


@dataclass
class Plan:
    """One sandbox task, the tests it feeds and the judge turning its result into verdicts."""

    task: Task
    tests: list[TestDef]
    judge: Callable[[TaskResult], dict[str, Verdict]]
    modules: tuple[str, ...]
    needs: tuple[str, ...] = ()  # functions it runs besides its tests' own (a backward's forward)
    expected: bool = True  # its judge compares with oracle.expected(task) (the kit stores those answers)


@dataclass
class Aggregate:
    """A test judged from several tasks' results (e.g. no input modified in any case)."""

    test: TestDef
    plans: list[Plan]
    judge: Callable[[list[TaskResult]], Verdict]


def _json(obj):
    """Tuples to lists, numpy scalars to Python: task params must be plain JSON."""
    if isinstance(obj, dict):
        return {str(k): _json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _scalar(v) -> float | None:
    """A one-number result as a float (None when it is missing or not a single finite number)."""
    if v is None or np.size(v) != 1:
        return None
    x = float(np.asarray(v).reshape(()))
    return x if math.isfinite(x) else None


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2e}"


def _verdict(comps: list[Comparison], hint: str | None = None, notes: list[str] | None = None) -> Verdict:
    """passed iff every comparison is ok; output lists the failures first (or the errors)."""
    bad = [c for c in comps if not c.ok]
    errs = [c.rel_error for c in comps if c.rel_error is not None]
    worst = max(errs) if errs else None
    if any(c.rel_error is None and not c.ok for c in comps):
        worst = None
    parts = [c.describe() for c in (bad or comps)]
    text = "; ".join(parts)
    if bad and hint:
        text += f". Likely bug: {hint}"
    if notes:
        text += ". " + ". ".join(notes)
    return Verdict("failed" if bad else "passed", text, worst)


def error_verdict(result: TaskResult, hint: str | None = None) -> Verdict:
    """A task that did not finish cleanly: every test it feeds is an error."""
    err = result.error or "no result"
    if result.status == "timeout":
        text = f"timed out: {err}"
    elif result.status == "crash":
        text = f"crashed: {err}"
    elif result.not_implemented:
        text = "not implemented: " + re.sub(r"^(NotImplementedByStudent|NotImplementedError): ", "", err)
    else:
        text = f"error: {err}"
    if hint:
        text += f". Likely bug: {hint}"
    raised = result.status == "error" and not err.startswith("not run:")
    return Verdict("error", text, None, result.not_implemented, raised)


class Builder:
    """Turns a profile's descriptions into plans (step 1)."""

    def __init__(self, profile: Profile, seed: int, oracle):
        self.profile, self.seed, self.oracle = profile, seed, oracle
        self.plans: list[Plan] = []
        self.aggregates: list[Aggregate] = []
        self.defs: list[TestDef] = []
        self.points: dict[str, float] = {}
        self.uses: dict[str, tuple[str, ...]] = {}
        self.hints: dict[str, tuple[str, ...]] = {}

    # -- helpers
    def rng(self, key: str, public: bool) -> np.random.Generator:
        return np.random.default_rng([PUBLIC_SEED if public else self.seed, zlib.crc32(key.encode())])

    def _def(self, name, function, weight, visibility, case="", params=None) -> TestDef:
        d = TestDef(name, function, weight, visibility, case, params or {})
        self.defs.append(d)
        return d

    def _plan(self, task, tests, judge, modules, needs=(), expected=True) -> Plan:
        p = Plan(task, tests, judge, tuple(modules), tuple(needs), expected)
        self.plans.append(p)
        return p

    def _expected(self, task: Task) -> tuple[dict, dict]:
        return self.oracle.expected(task)

    @staticmethod
    def _shape(shape, dims) -> tuple:
        out = []
        for s in shape:
            if isinstance(s, str) and s.startswith("*"):
                out.extend(dims[s[1:]])
            elif isinstance(s, str):
                out.append(dims[s])
            else:
                out.append(s)
        return tuple(int(v) for v in out)

    def draw(self, args, case: Case, rng) -> tuple[dict, dict]:
        dims = case.dims
        if isinstance(dims, tuple):
            dims = dims[int(rng.integers(len(dims)))]
        dtype = np_dtype(case.dtype)
        arrays = {}
        for a in args:
            shape = self._shape(a.shape, dims)
            how = case.draw.get(a.name, a.draw)
            scale = case.scale.get(a.name, a.scale)
            if how == "labels":
                arrays[a.name] = rng.integers(0, dims[a.classes], size=shape)
                continue
            if how == "randn":
                v = scale * rng.standard_normal(shape) + a.shift
            elif how == "away":
                v = scale * rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape) + a.shift
            elif how == "uniform":
                v = a.shift + scale * rng.random(shape)
            elif how == "ties":
                v = rng.integers(0, 3, size=shape).astype(np.float64)
            else:
                raise ValueError(f"unknown draw {how!r}")
            arrays[a.name] = v.astype(dtype)
        if case.fixed is not None:
            for k, v in case.fixed().items():
                v = np.asarray(v)
                arrays[k] = v.astype(dtype) if v.dtype.kind == "f" else v
        return dims, arrays

    def numeric(self, case: Case, rng) -> dict | None:
        if not case.numeric or case.dtype != "float64":
            return None
        return {"coords": NUMERIC_COORDS, "seed": int(rng.integers(2**31))}

    def inplace(self, function: str, plans: list[Plan], visibility: str = "hidden") -> None:
        test = self._def(f"{function}[inplace]", function, WEIGHT_INPLACE, visibility, "inplace")

        def judge(results: list[TaskResult]) -> Verdict:
            ok = [(p, r) for p, r in zip(plans, results) if r.status == "ok"]
            if not ok:
                return error_verdict(results[0]) if results else Verdict("error", "no case ran")
            changed = [(p.tests[0].case, r.info.get("mutated") or []) for p, r in ok]
            changed = [(c, m) for c, m in changed if m]
            if changed:
                where = ", ".join(f"{', '.join(map(str, m))} in case {c}" for c, m in changed[:3])
                return Verdict("failed", f"modifies its input in place ({where}): work on a copy")
            skipped = len(results) - len(ok)
            note = f" ({skipped} case(s) did not run)" if skipped else ""
            return Verdict("passed", f"no input modified in {len(ok)} case(s){note}")

        self.aggregates.append(Aggregate(test, plans, judge))

    # -- LayerSpec
    def layer(self, spec: LayerSpec) -> None:
        mod = short_module(spec.module)
        fq = f"{mod}.{spec.forward}"
        for f in spec.functions():
            q = f"{mod}.{f}"
            self.points[q] = spec.points[f]
            self.uses[q] = spec.uses.get(f, ())
            self.hints[q] = spec.hints.get(f, ())
        fwd_plans: list[Plan] = []
        bwd_plans: dict[str, list[Plan]] = {b: [] for b in spec.backward}
        timeout = self.profile.task_timeout
        for case in spec.cases:
            rng = self.rng(f"{fq}[{case.name}]", case.public)
            _dims, arrays = self.draw(spec.args, case, rng)
            values = _json(case.params)
            out_shape = spec.out_shape(arrays, case.params) if spec.out_shape else arrays[spec.call[0]].shape
            dout = rng.standard_normal(out_shape).astype(np_dtype(case.dtype))
            base = {"module": spec.module, "function": spec.forward, "call": list(spec.call), "values": values}
            name = f"{fq}[{case.name}]"
            t = self._def(name, fq, case.weight, case.visibility, case.name, case.params)
            task = Task(name, "layer_forward", base, dict(arrays), timeout)
            fwd_plans.append(self._plan(task, [t], self._judge_forward(spec, case, fq, task), (spec.module,)))
            for b in spec.backward:
                bq = f"{mod}.{b}"
                bname = f"{bq}[{case.name}]"
                t = self._def(bname, bq, case.weight, case.visibility, case.name, case.params)
                params = dict(base, backward=b, grads=list(spec.grads), numeric=self.numeric(case, rng))
                task = Task(bname, "layer_pair", params, {**arrays, "dout": dout}, timeout)
                bwd_plans[b].append(self._plan(task, [t], self._judge_backward(spec, case, bq, task), (spec.module,),
                                               needs=(fq,)))
        if spec.inplace:
            self.inplace(fq, fwd_plans)
            for b in spec.backward:
                self.inplace(f"{mod}.{b}", bwd_plans[b])

    def _judge_forward(self, spec: LayerSpec, case: Case, q: str, task: Task):
        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, _ = self._expected(task)
            dtype = (result.info.get("dtype") or {}).get("out")
            comps = [compare("out", result.outputs.get("out"), exp["out"], spec.tol, case.dtype, dtype)]
            x_dtype = str(task.arrays[spec.call[0]].dtype)
            if spec.same_dtype and dtype and dtype != x_dtype:
                comps.append(Comparison("out", False, None, f"dtype {dtype}, expected the input's {x_dtype}"))
            hint = None
            if not all(c.ok for c in comps):
                ev = Evidence(q, case.name, "out", result.outputs, exp, task.arrays, task.params, result.info)
                hint = diagnose.diagnose(self.hints.get(q, ()), ev)
            return {task.name: _verdict(comps, hint)}

        return judge

    def _judge_backward(self, spec: LayerSpec, case: Case, q: str, task: Task):
        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, _ = self._expected(task)
            out = result.outputs
            dtypes = result.info.get("dtype") or {}
            if case.compare == "route_once":
                comps = [route_once(task.arrays["x"], task.arrays["dout"], out.get("dx"), task.params["values"]["pool_param"])]
            else:
                comps = [compare(f"d{n}", out.get(f"d{n}"), exp[f"d{n}"], spec.grad_tol, case.dtype, dtypes.get(f"d{n}"))
                         for n in spec.grads]
            notes = []
            if any(f"num.d{n}" in out for n in spec.grads):
                errs = {n: rel_error(out[f"ana.d{n}"], out[f"num.d{n}"], NUMERIC_TOL.floor64)
                        for n in spec.grads if f"num.d{n}" in out}
                worst = max(errs.values())
                verdict = "agrees with" if worst <= NUMERIC_TOL.float64 else "DISAGREES with"
                notes.append(f"numeric gradient of your own forward: {verdict} your backward "
                             f"(max rel error {_fmt(worst)})")
            bad = [c for c in comps if not c.ok]
            hint = None
            if bad:
                if "out" in exp and not compare("out", out.get("out"), exp["out"], spec.tol, case.dtype).ok:
                    notes.append("note: the forward's out differs from the reference too")
                ev = Evidence(q, case.name, bad[0].key, out, exp, task.arrays, task.params, result.info)
                hint = diagnose.diagnose(self.hints.get(q, ()), ev)
            return {task.name: _verdict(comps, hint, notes)}

        return judge

    # -- CallSpec
    def call(self, spec: CallSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.name}"
        self.points[q], self.uses[q], self.hints[q] = spec.points, spec.uses, spec.hints
        plans = []
        for case in spec.cases:
            rng = self.rng(f"{q}[{case.name}]", case.public)
            _dims, arrays = self.draw(spec.args, case, rng)
            numeric = self.numeric(case, rng)
            if numeric and spec.numeric:
                numeric = dict(numeric, scalar=spec.numeric["scalar"], grads=spec.numeric["grads"])
            else:
                numeric = None
            params = {"module": spec.module, "function": spec.name, "call": list(spec.call),
                      "values": _json(case.params), "outputs": list(spec.outputs), "numeric": numeric}
            name = f"{q}[{case.name}]"
            t = self._def(name, q, case.weight, case.visibility, case.name, case.params)
            task = Task(name, "call", params, arrays, self.profile.task_timeout)
            plans.append(self._plan(task, [t], self._judge_call(spec, case, q, task), (spec.module,)))
        if spec.inplace:
            self.inplace(q, plans)

    def _judge_call(self, spec: CallSpec, case: Case, q: str, task: Task):
        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, _ = self._expected(task)
            out = result.outputs
            dtypes = result.info.get("dtype") or {}
            comps = [compare(k, out.get(k), exp[k], spec.tol, case.dtype, dtypes.get(k)) for k in spec.outputs]
            notes = []
            nums = [k for k in out if k.startswith("num.")]
            if nums:
                worst = max(rel_error(out["ana." + k[4:]], out[k], NUMERIC_TOL.floor64) for k in nums)
                notes.append(f"numeric gradient of your own loss: max rel error {_fmt(worst)}")
            bad = [c for c in comps if not c.ok]
            hint = None
            if bad:
                ev = Evidence(q, case.name, bad[0].key, out, exp, task.arrays, task.params, result.info)
                hint = diagnose.diagnose(self.hints.get(q, ()), ev)
            return {task.name: _verdict(comps, hint, notes)}

        return judge

    # -- OptimSpec
    def optim(self, spec: OptimSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.name}"
        self.points[q], self.hints[q] = spec.points, spec.hints
        cases = []
        if spec.public is not None:
            w, dw, config = spec.public()
            arrays = {"w": np.asarray(w, np.float64), "dw0": np.asarray(dw, np.float64)}
            arrays.update({f"c.{k}": np.asarray(v, np.float64) for k, v in config.items() if isinstance(v, np.ndarray)})
            cfg = {k: v for k, v in config.items() if not isinstance(v, np.ndarray)}
            cases.append(("public", VISIBLE, cfg, arrays, 1, list(k for k, v in config.items() if isinstance(v, np.ndarray))))
        for name, config, steps in (("steps", dict(spec.hidden), spec.steps), ("defaults", None, 2)):
            rng = self.rng(f"{q}[{name}]", False)
            shape = ((5, 6), (4, 7), (3, 9))[int(rng.integers(3))]
            arrays = {"w": rng.standard_normal(shape)}
            for i in range(steps):
                arrays[f"dw{i}"] = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.5, size=shape)
            cases.append((name, "hidden", config, arrays, steps, []))
        for name, visibility, config, arrays, steps, config_arrays in cases:
            params = {"module": spec.module, "rule": spec.name, "config": _json(config),
                      "config_arrays": config_arrays, "steps": steps}
            tname = f"{q}[{name}]"
            t = self._def(tname, q, 1.0, visibility, name)
            task = Task(tname, "optim_steps", params, arrays, self.profile.task_timeout)
            self._plan(task, [t], self._judge_optim(spec, q, name, task), (spec.module,))

    def _judge_optim(self, spec: OptimSpec, q: str, case: str, task: Task):
        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, _ = self._expected(task)
            out = result.outputs
            steps = task.params["steps"]
            comps = [compare(f"w{i}" if steps > 1 else "next_w", out.get(f"w{i}"), exp[f"w{i}"], spec.tol)
                     for i in range(1, steps + 1)]
            keys = list(spec.state) + (list(spec.defaults) if case == "defaults" else [])
            for k in keys:
                c = compare(f"config['{k}']", out.get(f"c.{k}"), exp[f"c.{k}"], spec.tol)
                if out.get(f"c.{k}") is None:
                    c.problem = "missing from the returned config"
                comps.append(c)
            hint = None
            bad = [c for c in comps if not c.ok]
            if bad:
                ev = Evidence(q, case, bad[0].key, out, exp, task.arrays, task.params, result.info)
                hint = diagnose.diagnose(spec.hints, ev)
            return {task.name: _verdict(comps, hint)}

        return judge

    # -- ModelSpec
    def model(self, spec: ModelSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.cls}"
        self.points[q], self.uses[q], self.hints[q] = spec.points, spec.uses, spec.hints
        for cfg in spec.configs:
            key = f"{q}[{cfg.name}]"
            rng = self.rng(key, cfg.visibility == VISIBLE)
            kwargs = _json(cfg.kwargs)
            shapes = self.oracle.param_shapes(spec.module, spec.cls, kwargs)
            dtype = np_dtype(cfg.dtype)
            X = rng.standard_normal((cfg.N, *cfg.input_shape))
            y = rng.integers(0, cfg.classes, size=cfg.N)
            params = {}
            for k, shape in shapes.items():
                prefix = re.match(r"[A-Za-z]+", k).group(0)
                scale = cfg.param_scale.get(prefix, 0.1)
                params[k] = (1.0 if prefix == "gamma" else 0.0) + scale * rng.standard_normal(shape)
            if cfg.fixed is not None:
                fixed = cfg.fixed()
                X, y, params = fixed["X"], fixed["y"], fixed["params"]
            arrays = {"X": np.asarray(X).astype(dtype), "y": np.asarray(y, dtype=np.int64)}
            arrays.update({f"p.{k}": np.asarray(v).astype(dtype) for k, v in params.items()})
            task_params = {"module": spec.module, "cls": spec.cls, "kwargs": kwargs, "regs": list(cfg.regs),
                           "param_names": list(params), "seed": int(rng.integers(2**31)),
                           "numeric": self.numeric(Case("m", dtype=cfg.dtype), rng)}
            if cfg.dropout:
                task_params["seed2"] = int(kwargs.get("seed", 0)) + 1000
                task_params["nodrop_kwargs"] = _json(cfg.nodrop_kwargs)
            tests = [self._def(f"{q}[{cfg.name}:{part}]", q, w * cfg.weight, cfg.visibility, cfg.name)
                     for part, w in (("init", 0.5), ("loss", 1.0), ("grads", 1.0), ("scores", 0.5))]
            task = Task(key, "model", task_params, arrays, 2 * self.profile.task_timeout)
            self._plan(task, tests, self._judge_model(spec, cfg, q, task, tests), (spec.module,))

    def _judge_model(self, spec: ModelSpec, cfg: ModelConfig, q: str, task: Task, tests: list[TestDef]):
        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, einfo = self._expected(task)
            out, info = result.outputs, result.info
            names = task.params["param_names"]
            regs = task.params["regs"]
            v = {}
            v[tests[0].name] = self._model_init(spec, cfg, task, out, info, exp, einfo)
            loss_comps, grad_comps, notes_l, notes_g = [], [], [], []
            hint_l = hint_g = None
            missing = info.get("missing_grads") or []
            if cfg.dropout:
                loss_comps, hint_l = self._dropout_loss(cfg, task, out, exp)
                grad_comps, hint_g = self._dropout_grads(spec, cfg, task, out)
            else:
                for r, reg in enumerate(regs):
                    loss_comps.append(compare(f"loss (reg={reg:g})", out.get(f"r{r}.loss"), exp[f"r{r}.loss"], spec.tol, cfg.dtype))
                    for k in names:
                        if k in missing:
                            grad_comps.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
                            continue
                        grad_comps.append(compare(f"grads['{k}'] (reg={reg:g})", out.get(f"r{r}.g.{k}"),
                                                  exp[f"r{r}.g.{k}"], spec.grad_tol, cfg.dtype))
                l0, l1 = _scalar(out.get("r0.loss")), _scalar(out.get("r1.loss"))
                if len(regs) > 1 and l0 is not None and l1 is not None:
                    hint_l = diagnose.reg_hint_loss(task.arrays, regs[1], l0, l1)
                    g0 = {k: out[f"r0.g.{k}"] for k in names if f"r0.g.{k}" in out}
                    g1 = {k: out[f"r1.g.{k}"] for k in names if f"r1.g.{k}" in out}
                    hint_g = diagnose.reg_hint_grads(task.arrays, regs[1], g0, g1)
                nums = [k for k in out if k.startswith("num.")]
                if nums:
                    worst = max(rel_error(out["ana." + k[4:]], out[k], spec.numeric_tol.floor64) for k in nums)
                    notes_g.append(f"numeric gradient of your own loss: max rel error {_fmt(worst)}")
            v[tests[1].name] = _verdict(loss_comps, hint_l, notes_l)
            v[tests[2].name] = _verdict(grad_comps, hint_g, notes_g)
            v[tests[3].name] = _verdict([compare("scores (test mode)", out.get("scores"), exp["scores"], spec.tol, cfg.dtype)])
            return v

        return judge

    def _model_init(self, spec, cfg, task, out, info, exp, einfo) -> Verdict:
        comps: list[Comparison] = []
        want = einfo.get("init_names") or []
        have = info.get("init_names") or []
        if sorted(want) != sorted(have):
            extra, lack = sorted(set(have) - set(want)), sorted(set(want) - set(have))
            what = "; ".join(x for x in (lack and f"missing {lack}", extra and f"unexpected {extra}") if x)
            comps.append(Comparison("params", False, None, f"names differ: {what}"))
        ws = float(cfg.kwargs.get(spec.init_std, 0.0))
        for k in want:
            if k not in have:
                continue
            shape_e, shape_a = exp[f"init.shape.{k}"], out.get(f"init.shape.{k}")
            if shape_a is None or shape_a.shape != shape_e.shape or not np.array_equal(shape_a, shape_e):
                got = "?" if shape_a is None else tuple(int(s) for s in shape_a)
                comps.append(Comparison(k, False, None, f"shape {got}, expected {tuple(int(s) for s in shape_e)}"))
                continue
            n = int(np.prod(shape_e))
            mean, std = _scalar(out.get(f"init.mean.{k}")), _scalar(out.get(f"init.std.{k}"))
            if mean is None or std is None:
                comps.append(Comparison(k, False, None, "initial values are not finite"))
                continue
            prefix = re.match(r"[A-Za-z]+", k).group(0)
            if prefix == "W":
                # the sample std of n normal draws has relative sd ~ 1/sqrt(2n): allow 6 of them
                spread = 6 / math.sqrt(2 * n)
                lo, hi = max(0.1, 1 - spread), 1 + spread
                ok = lo * ws <= std <= hi * ws and abs(mean) <= 6 * ws / math.sqrt(n)
                comps.append(Comparison(k, ok, None, None if ok else
                                        f"mean {mean:.3g}, std {std:.3g}: expected mean 0, std {ws:g} (weight_scale)"))
            else:
                target = 1.0 if prefix == "gamma" else 0.0
                ok = abs(mean - target) < 1e-12 and std < 1e-12
                comps.append(Comparison(k, ok, None, None if ok else f"mean {mean:.3g}, std {std:.3g}: expected all {target:g}"))
            want_dt = (einfo.get("init_dtype") or {}).get(k)
            have_dt = (info.get("init_dtype") or {}).get(k)
            if want_dt and have_dt and want_dt != have_dt:
                comps.append(Comparison(k, False, None, f"dtype {have_dt}, expected {want_dt} (the model's dtype)"))
        if not comps:
            return Verdict("failed", "no parameters to check")
        bad = [c for c in comps if not c.ok]
        if bad:
            return Verdict("failed", "; ".join(c.describe() for c in bad))
        return Verdict("passed", f"{len(want)} parameters: shapes, initial statistics and dtypes as expected")

    def _dropout_loss(self, cfg, task, out, exp):
        """With dropout the masks are the student's own draws: the loss must be deterministic for
        a seed, change with the seed, differ from the net without dropout; the net without
        dropout must match the reference; the regularisation term must be 0.5 * reg * sum W**2."""
        comps, hint = [], None
        loss0 = _scalar(out.get("r0.loss"))
        if loss0 is None:
            return [Comparison("loss", False, None, "not a single finite number")], None
        same = rel_error(out["r0.loss"], out["r0.loss_again"]) <= 1e-12
        comps.append(Comparison("loss twice with the same seed", same, None,
                                None if same else "differs: dropout ignores dropout_param['seed']"))
        nodrop = out.get("loss_nodrop")
        applied = nodrop is not None and rel_error(loss0, nodrop) > 1e-8
        comps.append(Comparison("loss with dropout vs without", applied, None,
                                None if applied else "identical: dropout is not applied in the network"))
        if not applied:
            hint = "dropout is silently skipped in the network (is its output assigned to the variable used next?)"
        if nodrop is not None:
            comps.append(compare("loss without dropout", nodrop, exp["loss_nodrop"], VALUE_TOL, cfg.dtype))
        regs = task.params["regs"]
        loss1 = _scalar(out.get("r1.loss"))
        if len(regs) > 1 and loss1 is not None:
            term = dict(diagnose.reg_terms(task.arrays, regs[1]))["correct"]
            diff = loss1 - loss0
            ok = abs(diff - term) <= 1e-6 * max(1.0, abs(term))
            comps.append(Comparison(f"loss(reg={regs[1]:g}) - loss(reg=0)", ok, None,
                                    None if ok else f"{diff:.6g}, expected 0.5 * reg * sum W**2 = {term:.6g}"))
            if not ok:
                hint = diagnose.reg_hint_loss(task.arrays, regs[1], loss0, loss1) or hint
        if out.get("loss_seed2") is not None:
            varies = rel_error(out["loss_seed2"], loss0) > 1e-10
            comps.append(Comparison("loss with another seed", varies, None,
                                    None if varies else "identical: the mask does not depend on the seed"))
        return comps, hint

    def _dropout_grads(self, spec, cfg, task, out):
        comps, hint = [], None
        names = task.params["param_names"]
        nums = [k[4:] for k in out if k.startswith("num.")]
        if not nums:
            return [Comparison("grads", False, None, "no numeric gradient could be taken (float64 params needed)")], None
        for k in nums:
            err = rel_error(out[f"ana.{k}"], out[f"num.{k}"], spec.numeric_tol.floor64)
            comps.append(Comparison(f"grads['{k}'] vs numeric (same seed)", err <= spec.numeric_tol.float64, err,
                                    None, spec.numeric_tol.float64))
        for k in names:
            if f"r0.g.{k}" not in out:
                comps.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
        regs = task.params["regs"]
        if len(regs) > 1:
            g0 = {k: out[f"r0.g.{k}"] for k in names if f"r0.g.{k}" in out}
            g1 = {k: out[f"r1.g.{k}"] for k in names if f"r1.g.{k}" in out}
            hint = diagnose.reg_hint_grads(task.arrays, regs[1], g0, g1)
            if hint:
                comps.append(Comparison("regularisation gradient", False, None, "differs from reg * W"))
        return comps, hint

    # -- CheckSpec
    def check(self, spec: CheckSpec) -> None:
        # a function may have value checks (LayerSpec) and a check of its own: points add up
        self.points[spec.qualname] = self.points.get(spec.qualname, 0.0) + spec.points
        getattr(self, f"check_{spec.check}")(spec)

    def _check_case(self, spec: CheckSpec) -> tuple[np.random.Generator, str, dict]:
        """A check's generator, the prefix of its case names ("public:" for a visible check, whose
        inputs are then the same for every submission) and its fixed inputs (options["fixed"])."""
        public = spec.visibility == VISIBLE
        rng = self.rng(f"{spec.qualname}[public]" if public else spec.qualname, public)
        make = spec.options.get("fixed")
        fixed = {k: np.asarray(v) for k, v in make().items()} if make else {}
        return rng, "public:" if public else "", fixed

    def check_dropout_forward(self, spec: CheckSpec) -> None:
        q, o = spec.qualname, spec.options
        rng, pre, fixed = self._check_case(spec)
        x = fixed["x"] if "x" in fixed else rng.standard_normal(o["shape"]) + o["shift"]
        seeds = [int(s) for s in rng.integers(1, 2**31, size=2)]
        params = {"module": "layers", "function": q.split(".")[1], "ps": list(o["ps"]), "seeds": seeds}
        x32 = (rng.standard_normal((20, 30)) + o["shift"]).astype(np.float32)
        parts = (("keep_fraction", 1.0), ("inverted", 1.0), ("test_mode", 1.0), ("seed", 0.5), ("inplace", 0.5),
                 ("dtype", 0.5))
        tests = [self._def(f"{q}[{pre}{p}]", q, w, spec.visibility, pre + p) for p, w in parts]
        task = Task(f"{q}[{pre}stats]", "dropout_stats", params, {"x": x, "x32": x32}, self.profile.task_timeout)

        def judge(result: TaskResult) -> dict[str, Verdict]:
            out = result.outputs
            v = {}
            keep, inv, test = [], [], []
            hint_keep = hint_inv = None
            for j, p in enumerate(o["ps"]):
                o_train = out.get(f"train{j}")
                if o_train is None or o_train.shape != x.shape:
                    bad = Comparison(f"p={p}", False, None, "output missing or of the wrong shape")
                    keep.append(bad)
                    inv.append(bad)
                    continue
                zero = float(np.mean(o_train == 0))
                ok = abs(zero - (1 - p)) <= 0.03
                keep.append(Comparison(f"p={p}", ok, None, None if ok else f"zero fraction {zero:.3f}, expected {1 - p:.3f}"))
                if not ok and abs(zero - p) <= 0.03:
                    hint_keep = "uses the drop-probability convention: p is the probability of KEEPING a unit"
                kept = o_train != 0
                ratio = o_train[kept] / x[kept]
                scale_ok = kept.any() and np.allclose(ratio, 1 / p, rtol=1e-6, atol=0)
                mean_out, mean_x = float(o_train.mean()), float(x.mean())
                if not scale_ok:
                    r = float(np.median(ratio)) if kept.any() else float("nan")
                    inv.append(Comparison(f"p={p}", False, None,
                                          f"kept units are x * {r:.4g}, expected x / p = x * {1 / p:.4g}; "
                                          f"output mean {mean_out:.3f} vs input mean {mean_x:.3f}"))
                    if abs(r - 1) < 1e-6:
                        hint_inv = "not inverted dropout: kept units are not scaled by 1/p (the output mean shrinks to p * mean)"
                    elif abs(r - 1 / (1 - p)) < 1e-6:
                        hint_inv = "scales by 1/(1 - p): the drop-probability convention"
                else:
                    ok_mean = abs(mean_out - mean_x) <= 0.1 * abs(mean_x)
                    inv.append(Comparison(f"p={p}", ok_mean, None, None if ok_mean else
                                          f"output mean {mean_out:.3f} vs input mean {mean_x:.3f}"))
                o_test = out.get(f"test{j}")
                ok = o_test is not None and o_test.shape == x.shape and np.array_equal(o_test, x.astype(np.float64))
                test.append(Comparison(f"p={p}", ok, None, None if ok else "test mode does not return x unchanged"))
            v[tests[0].name] = _summary(keep, hint_keep, "zero fractions match 1 - p")
            v[tests[1].name] = _summary(inv, hint_inv, "kept units scaled by 1/p, mean preserved")
            v[tests[2].name] = _summary(test, None, "test mode returns x")
            a, b, c = out.get("train0"), out.get("again0"), out.get("other0")
            det = a is not None and b is not None and np.array_equal(a, b)
            varies = a is not None and c is not None and not np.array_equal(a, c)
            v[tests[3].name] = _summary([
                Comparison("same seed", det, None, None if det else "two calls with the same seed differ"),
                Comparison("other seed", varies, None, None if varies else "two different seeds give the same mask"),
            ], None, "deterministic for a seed, different across seeds")
            mutated = result.info.get("mutated") or []
            v[tests[4].name] = (Verdict("failed", "modifies its input x in place: work on a copy") if mutated
                                else Verdict("passed", "x not modified"))
            dts = {m: (result.info.get("dtype") or {}).get(f"float32_{m}") for m in ("train", "test")}
            ok = all(d == "float32" for d in dts.values())
            v[tests[5].name] = Verdict("passed" if ok else "failed", "on float32 input the output dtype is "
                                       f"{dts['train']} (train) and {dts['test']} (test); it must keep x's dtype")
            return v

        self._plan(task, tests, judge, ("layers",), expected=False)  # statistics: no reference answer

    def check_dropout_backward(self, spec: CheckSpec) -> None:
        q, o = spec.qualname, spec.options
        rng, pre, fixed = self._check_case(spec)
        x = fixed["x"] if "x" in fixed else rng.standard_normal(o["shape"]) + 5.0
        dout = fixed["dout"] if "dout" in fixed else rng.standard_normal(o["shape"])
        seed = int(o["seed"]) if "seed" in o else int(rng.integers(1, 2**31))
        params = {"module": "layers", "function": "dropout_forward", "backward": q.split(".")[1],
                  "p": o["p"], "seed": seed}
        tests = [self._def(f"{q}[{pre}{p}]", q, w, spec.visibility, pre + p)
                 for p, w in (("train", 1.0), ("test", 0.5), ("inplace", 0.5))]
        task = Task(f"{q}[{pre}pair]", "dropout_pair", params, {"x": x, "dout": dout}, self.profile.task_timeout)

        def judge(result: TaskResult) -> dict[str, Verdict]:
            out = result.outputs
            expected = dout * out["out_train"] / x if out.get("out_train") is not None and out["out_train"].shape == x.shape else None
            c = (compare("dx", out.get("dx_train"), expected, VALUE_TOL) if expected is not None
                 else Comparison("dx", False, None, "the forward's output has the wrong shape"))
            v = {tests[0].name: _verdict([c], None, ["expected dout * mask / p, with the mask of your own forward"])}
            v[tests[1].name] = _verdict([compare("dx (test mode)", out.get("dx_test"), dout, VALUE_TOL)])
            mutated = result.info.get("mutated") or []
            v[tests[2].name] = (Verdict("failed", "modifies dout in place: work on a copy") if mutated
                                else Verdict("passed", "dout not modified"))
            return v

        self._plan(task, tests, judge, ("layers",), expected=False)  # the student's own mask: no reference answer

    def check_bn_running(self, spec: CheckSpec) -> None:
        q, o = spec.qualname, spec.options
        rng = self.rng(q, False)
        dims = o["dims"]
        shape = self._shape(o["shape"], dims)
        C = shape[1]
        arrays = {f"x{i}": 3 * rng.standard_normal(shape) + rng.uniform(-5, 5) for i in range(o["steps"])}
        arrays.update(gamma=1 + 0.5 * rng.standard_normal(C), beta=rng.standard_normal(C),
                      xt=3 * rng.standard_normal(shape) + 1.0)
        params = {"module": "layers", "function": o["function"], "steps": o["steps"], "bn_param": {"mode": "train"}}
        tests = [self._def(f"{q}[{p}]", q, w, spec.visibility, p)
                 for p, w in (("running_averages", 1.0), ("test_mode", 1.0), ("bad_mode", 0.5))]
        task = Task(f"{q}[running]", "bn_running", params, arrays, self.profile.task_timeout)

        def judge(result: TaskResult) -> dict[str, Verdict]:
            exp, _ = self._expected(task)
            out = result.outputs
            comps = []
            for i in range(o["steps"]):
                for key in ("running_mean", "running_var"):
                    comps.append(compare(f"{key} after {i + 1} batches", out.get(f"{key}{i}"), exp[f"{key}{i}"], VALUE_TOL))
            hint = None
            if not all(c.ok for c in comps):
                hint = _running_hint(arrays, out, o["steps"], C)
            v = {tests[0].name: _verdict(comps, hint)}
            c = compare("out (test mode)", out.get("test_out"), exp["test_out"], VALUE_TOL)
            thint = None
            if not c.ok and out.get("test_out") is not None:
                xt = arrays["xt"]
                axes = (0,) if xt.ndim == 2 else (0, 2, 3)
                shp = (1, -1) if xt.ndim == 2 else (1, -1, 1, 1)
                batch = (xt - xt.mean(axes).reshape(shp)) / np.sqrt(xt.var(axes).reshape(shp) + 1e-5)
                batch = arrays["gamma"].reshape(shp) * batch + arrays["beta"].reshape(shp)
                if diagnose.matches(out["test_out"], batch):
                    thint = "test mode normalises with the batch statistics instead of the running averages"
            v[tests[1].name] = _verdict([c], thint)
            bad = result.info.get("bad_mode")
            v[tests[2].name] = (Verdict("passed", "mode 'bogus' raises ValueError") if bad == "ValueError" else
                                Verdict("failed", f"mode 'bogus' should raise ValueError, got {bad or 'no error'}"))
            return v

        self._plan(task, tests, judge, ("layers",))

    def check_solver(self, spec: CheckSpec) -> None:
        q, o = spec.qualname, spec.options
        public = spec.visibility == VISIBLE
        pre = "public:" if public else ""
        for n, run in enumerate(o["runs"]):
            rng = self.rng(f"{q}[{pre}{run['name']}]", public)
            shape = tuple(run["input_shape"])
            X = rng.standard_normal((run["n_train"], *shape))
            y = rng.integers(0, run["classes"], size=run["n_train"])
            arrays = {"X_train": X, "y_train": y, "X_val": X.copy(), "y_val": y.copy()}
            behaviour = self.profile.solver_behaviour and n == 0 and not public
            params = {"module": run["module"], "cls": run["cls"], "kwargs": _json(run["kwargs"]),
                      "solver": _json(dict(run["solver"], verbose=False)), "seed": int(rng.integers(2**31)),
                      "bad_args": behaviour}
            tests = [self._def(f"{q}[{pre}{run['name']}]", q, 1.0, spec.visibility, pre + run["name"])]
            if behaviour:
                tests += [self._def(f"{q}[{p}]", q, 0.5, spec.visibility, p) for p in ("histories", "best_params", "bad_args")]
            task = Task(f"{q}[{pre}{run['name']}]", "solver_train", params, arrays, 6 * self.profile.task_timeout)
            modules = (run["module"], "solver")
            model = f"{run['module'].rsplit('.', 1)[-1]}.{run['cls']}"
            judge = (self._judge_solver_public(run, o["min_train_acc"], arrays, tests[0]) if public
                     else self._judge_solver(run, o["min_train_acc"], arrays, tests))
            self._plan(task, tests, judge, modules, needs=(model,), expected=False)  # accuracy, not answers

    @staticmethod
    def _judge_solver_public(run, min_acc, arrays, test):
        """The kit has no reference network to recompute the accuracy with: the public run takes
        the Solver's own measure, best_val_acc (the validation set is the training set), computed
        with the student's model. Grading's hidden runs recompute it with the reference."""

        def judge(result: TaskResult) -> dict[str, Verdict]:
            acc = _scalar(result.outputs.get("best_val_acc"))
            if acc is None:
                return {test.name: Verdict("failed", "the Solver measured no finite accuracy (best_val_acc)")}
            ok = acc >= min_acc
            return {test.name: Verdict("passed" if ok else "failed",
                                       f"training accuracy after training {acc:.2f} (the Solver's best_val_acc, with "
                                       f"your model; needs {min_acc:.2f} to overfit {len(arrays['y_train'])} examples)")}

        return judge

    def _judge_solver(self, run, min_acc, arrays, tests):
        def accuracy(params: dict, X, y) -> tuple[float | None, str | None]:
            model = self.oracle.model(run["module"], run["cls"], run["kwargs"])
            for k, ref in model.params.items():
                got = params.get(k)
                if got is None or got.shape != np.shape(ref):
                    return None, f"trained parameter {k} missing or of the wrong shape"
                if not np.all(np.isfinite(got)):
                    return None, f"trained parameter {k} is not finite"
                model.params[k] = got.astype(np.asarray(ref).dtype)
            scores = model.loss(X.astype(np.asarray(model.params[next(iter(model.params))]).dtype))
            return float(np.mean(np.argmax(scores, axis=1) == y)), None

        def judge(result: TaskResult) -> dict[str, Verdict]:
            out = result.outputs
            trained = {k[2:]: v for k, v in out.items() if k.startswith("p.")}
            acc, problem = accuracy(trained, arrays["X_train"], arrays["y_train"])
            v = {}
            if problem:
                v[tests[0].name] = Verdict("failed", problem)
            else:
                ok = acc >= min_acc
                v[tests[0].name] = Verdict("passed" if ok else "failed",
                                           f"training accuracy after training {acc:.2f} (recomputed by the grader; "
                                           f"needs {min_acc:.2f} to overfit {len(arrays['y_train'])} examples)")
            if len(tests) > 1:
                s = run["solver"]
                iters = s["num_epochs"] * max(run["n_train"] // s["batch_size"], 1)
                lh, th, vh = (out.get(k) for k in ("loss_history", "train_acc_history", "val_acc_history"))
                ok = (lh is not None and len(lh) == iters and np.all(np.isfinite(lh)) and th is not None
                      and vh is not None and len(th) == len(vh) >= s["num_epochs"])
                v[tests[1].name] = Verdict("passed" if ok else "failed",
                                           f"loss_history has {0 if lh is None else len(lh)} entries (expected {iters}); "
                                           f"{0 if vh is None else len(vh)} accuracy checks")
                best = {k[5:]: val for k, val in out.items() if k.startswith("best.")}
                same = bool(best) and all(k in trained and np.array_equal(trained[k], best[k]) for k in best)
                vacc, _ = accuracy(trained, arrays["X_val"], arrays["y_val"]) if same else (None, None)
                best_acc = _scalar(out.get("best_val_acc"))
                ok = (same and vacc is not None and best_acc is not None and abs(vacc - best_acc) < 1e-9
                      and vh is not None and vh.size > 0 and abs(best_acc - float(np.max(vh))) < 1e-9)
                v[tests[2].name] = Verdict("passed" if ok else "failed",
                                           "best parameters restored at the end of training" if ok else
                                           "model.params after training are not the best parameters by validation accuracy")
                info = result.info
                ok = info.get("bad_kwarg") == "ValueError" and info.get("bad_rule") == "ValueError"
                v[tests[3].name] = Verdict("passed" if ok else "failed", f"unknown option -> {info.get('bad_kwarg')}, "
                                           f"unknown update rule -> {info.get('bad_rule')} (ValueError expected)")
            return v

        return judge


def _summary(comps: list[Comparison], hint: str | None, ok_text: str) -> Verdict:
    bad = [c for c in comps if not c.ok]
    if not bad:
        return Verdict("passed", ok_text)
    text = "; ".join(c.describe() for c in bad)
    return Verdict("failed", text + (f". Likely bug: {hint}" if hint else ""))


def _running_hint(arrays: dict, out: dict, steps: int, C: int) -> str | None:
    axes = (0,) if arrays["x0"].ndim == 2 else (0, 2, 3)
    means = [arrays[f"x{i}"].mean(axis=axes) for i in range(steps)]
    var = [arrays[f"x{i}"].var(axis=axes) for i in range(steps)]
    got = out.get(f"running_mean{steps - 1}")
    if got is None:
        return None
    if diagnose.matches(got, means[-1]):
        return "the running mean keeps only the last batch's mean (no exponential average)"
    for text, m in (("momentum and 1 - momentum are swapped", 0.1),):
        rm = np.zeros(C)
        for mu in means:
            rm = m * rm + (1 - m) * mu
        if diagnose.matches(got, rm):
            return text
    rv = np.zeros(C)
    for i in range(steps):
        n = arrays[f"x{i}"].size // C
        rv = 0.9 * rv + 0.1 * var[i] * n / (n - 1)
    if diagnose.matches(out.get(f"running_var{steps - 1}"), rv):
        return "the running variance uses the unbiased (N - 1) variance; batchnorm uses the biased one"
    return None


def route_once(x, dout, dx, pool_param) -> Comparison:
    """Max-pool backward with tied maxima: each window's gradient must go to exactly one of its
    maxima (any one: the tie is broken differently by valid implementations)."""
    if dx is None:
        return Comparison("dx", False, None, "missing")
    if dx.shape != x.shape:
        return Comparison("dx", False, None, f"shape {dx.shape}, expected {x.shape}")
    if not np.all(np.isfinite(dx)):
        return Comparison("dx", False, None, "contains NaN or inf")
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    routed_all = False
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            dwin = dx[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            top = win == win.max(axis=2, keepdims=True)
            d = dout[:, :, i, j]
            off_max = np.abs(dwin * ~top).max() if (~top).any() else 0.0
            sums = dwin.sum(axis=2)
            nonzero = (dwin != 0).sum(axis=2)
            if off_max > 1e-9 or not np.allclose(sums, d, rtol=1e-7, atol=1e-9) or (nonzero > 1).any():
                if np.allclose(sums, d * top.sum(axis=2), rtol=1e-7, atol=1e-9):
                    routed_all = True
                problem = ("routes the gradient to every element equal to the max (each window's gradient must go "
                           "to exactly one of its maxima)" if routed_all else
                           "the gradient of a window with tied maxima does not go to exactly one maximum")
                return Comparison("dx (tied maxima)", False, None, problem)
    return Comparison("dx (tied maxima)", True, None, None)


# ----------------------------------------------------------------------------- running


@dataclass
class CheckRun:
    """The outcome of step 3-5 for one submission."""

    tests: list[dict]
    status: str  # graded | timeout
    report: dict


def build(profile: Profile, seed: int, oracle, only=None) -> Builder:
    """Step 1: every description to plans (only: qualified names to restrict the run to)."""
    b = Builder(profile, seed, oracle)
    only = set(only) if only else None
    for spec in profile.specs:
        if only is not None and not only & set(qualnames(spec)):
            continue
        if isinstance(spec, LayerSpec):
            b.layer(spec)
        elif isinstance(spec, CallSpec):
            b.call(spec)
        elif isinstance(spec, OptimSpec):
            b.optim(spec)
        elif isinstance(spec, ModelSpec):
            b.model(spec)
        elif isinstance(spec, CheckSpec):
            b.check(spec)
        else:
            raise TypeError(f"unknown description {spec!r}")
    return b


def _blocked(profile: Profile, probes: dict[str, TaskResult]) -> dict[str, str]:
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
            path = f"{profile.package}/{m.replace('.', '/')}.py"
            return f"importing {path} {'timed out' if r.status == 'timeout' else 'crashed'}: {r.error}"
        return None

    for m in profile.module_deps:
        text = reason(m)
        if text:
            why[m] = text
    return why


def run_checks(profile: Profile, workdir: Path, *, seed: int, oracle, limits: Limits | None = None,
               total_timeout: float | None = None, only=None) -> CheckRun:
    """Steps 1-5 for one assembled workdir: the list of test dicts of results.json."""
    started = time.monotonic()
    b = build(profile, seed, oracle, only)
    verdicts, timed_out, report = run_and_judge(b, workdir, limits=limits, total_timeout=total_timeout)
    tests = _score(b, verdicts)
    report["seconds"] = time.monotonic() - started
    return CheckRun(tests, "timeout" if timed_out else "graded", report)


def run_and_judge(b: Builder, workdir: Path, *, limits: Limits | None = None,
                  total_timeout: float | None = None) -> tuple[dict[str, Verdict], bool, dict]:
    """Steps 2-5 for the plans of `b` (all of them, or a subset such as the public ones):
    the verdict of every test, whether the total time budget ran out, and the sandbox's report."""
    profile = b.profile
    started = time.monotonic()
    total = profile.total_timeout if total_timeout is None else total_timeout
    limits = limits or Limits()
    report: dict = {}

    # 2. import probes: a module hanging on import blocks its checks once, not once per check
    modules = list(profile.module_deps)
    probe_tasks = [Task(f"import:{m}", "import_module", {"module": m}, {}, profile.import_timeout) for m in modules]
    probe_results = run_tasks(workdir, probe_tasks, drivers=DRIVERS_PATH, package=profile.package, limits=limits,
                              total_timeout=total, report=report)
    blocked = _blocked(profile, dict(zip(modules, probe_results)))

    # 3. run
    runnable = [p for p in b.plans if not any(m in blocked for m in p.modules)]
    left = max(total - (time.monotonic() - started), 1.0)
    results = run_tasks(workdir, [p.task for p in runnable], drivers=DRIVERS_PATH, package=profile.package,
                        limits=limits, total_timeout=left, skip=_after_hang(b, runnable))
    by_task: dict[str, TaskResult] = {p.task.name: r for p, r in zip(runnable, results)}
    for p in b.plans:
        if p.task.name not in by_task:
            why = next(blocked[m] for m in p.modules if m in blocked)
            by_task[p.task.name] = TaskResult(p.task.name, "error", {}, {}, f"not run: {why}", False, "", 0.0)

    # 4. judge
    verdicts: dict[str, Verdict] = {}
    for p in b.plans:
        verdicts.update(judge_plan(b, p, by_task[p.task.name]))
    for agg in b.aggregates:
        try:
            verdicts[agg.test.name] = agg.judge([by_task[p.task.name] for p in agg.plans])
        except Exception as exc:  # noqa: BLE001 - a judging bug must not lose the submission
            log.exception("judging %s failed", agg.test.name)
            verdicts[agg.test.name] = Verdict("error", f"the grader could not judge this result: {exc!r}")

    # 5. explain across tests
    _explain(b, verdicts)
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
        ev = Evidence(first.function, first.case, None, error=result.error)
        hint = diagnose.diagnose(b.hints.get(first.function, ()), ev) if result.status == "error" and not result.not_implemented else None
        v = error_verdict(result, hint)
        return {t.name: dataclasses.replace(v) for t in plan.tests}
    try:
        verdicts = plan.judge(result)
    except Exception as exc:  # noqa: BLE001 - a judging bug must not lose the submission
        log.exception("judging %s failed", plan.task.name)
        return {t.name: Verdict("error", f"the grader could not judge this result: {exc!r}") for t in plan.tests}
    return verdicts  # printed output is never trusted, nor shown (it may be huge or misleading)


def _explain(b: Builder, verdicts: dict[str, Verdict]) -> None:
    """Cross-test notes: a failure inside a function this one calls, conv stride signatures."""
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
        rows = [(d.case, d.params, verdicts[d.name].status) for d in defs if d.name in verdicts]
        for case, text in diagnose.across_cases(fn, rows).items():
            for d in defs:
                if d.case == case and "Likely bug" not in verdicts[d.name].output:
                    verdicts[d.name].output += f". Likely bug: {text}"


def _score(b: Builder, verdicts: dict[str, Verdict]) -> list[dict]:
    weights: dict[str, float] = {}
    last: dict[str, str] = {}
    for d in b.defs:
        weights[d.function] = weights.get(d.function, 0.0) + d.weight
        last[d.function] = d.name
    given: dict[str, float] = {}  # rounded points handed out so far, per function
    tests = []
    for d in b.defs:
        v = verdicts.get(d.name) or Verdict("error", "no result (grader bug)")
        points = b.points.get(d.function, 0.0)
        if d.name == last[d.function]:  # the rounding remainder: a function's tests sum to its points
            max_score = round(points - given.get(d.function, 0.0), 4)
        else:
            max_score = round(points * d.weight / weights[d.function], 4)
        given[d.function] = given.get(d.function, 0.0) + max_score
        rel = v.rel_error if v.rel_error is None or math.isfinite(v.rel_error) else None
        tests.append({
            "name": d.name,
            "status": v.status,
            "score": max_score if v.status == "passed" else 0.0,
            "max_score": max_score,
            "rel_error": rel,
            "output": v.output,
            "visibility": d.visibility,
        })
    return tests


def error_tests(profile: Profile, message: str, seed: int = 0, oracle=None, only=None) -> list[dict]:
    """Every test of the profile as an error (a submission that could not be opened)."""
    b = build(profile, seed, oracle or _NoOracle(), only)
    return _score(b, {d.name: Verdict("error", message) for d in b.defs})


class _NoOracle:
    """Enough of an oracle to list the tests (shapes only) when nothing will be judged."""

    def __init__(self):
        self._ref = None

    def param_shapes(self, module, cls, kwargs):
        if self._ref is None:
            self._ref = ReferenceOracle()
        return self._ref.param_shapes(module, cls, kwargs)

    def expected(self, task):  # pragma: no cover - never judged
        raise RuntimeError("no oracle")
