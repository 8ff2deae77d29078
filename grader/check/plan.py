"""Planning: a profile's descriptions become sandbox tasks, each with the tests it feeds and its judge.

Inputs are drawn here, in the parent: from the submission's seed for hidden cases and from a
fixed seed for public ones, so every submission and the student kit see the same public case.
Named checks (a profile's own statistics, stateful calls, training runs) plan through the same
Builder API: `rng`, `test`, `plan`, `expected`, `hint`, `timeout`, and the generic drivers (or
the profile's own, see Profile.drivers).
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..sandbox import Task, TaskResult
from . import drivers
from .diagnose import Evidence
from .judge import INPLACE, Judges, Verdict, error_verdict
from .spec import NUMERIC_COORDS, VISIBLE, CallSpec, Case, CheckSpec, LayerSpec, ModelSpec, OptimSpec, np_dtype, qualnames, short_module

PUBLIC_SEED = 231  # public cases are the same for every submission (and the student kit)
WEIGHT_INPLACE = 0.5
CORE_DRIVERS = Path(drivers.__file__)
NUMPY1_SHIM = CORE_DRIVERS.with_name("numpy1.py")  # standalone too: run in the child and in notebook kernels


VALUE, HYGIENE = "value", "hygiene"


@dataclass
class TestDef:
    """One entry of results.json's tests, before it is judged.

    kind: "value" (the function's numbers) or "hygiene" (how it treats its inputs, dtypes, seeds:
    points only when every value test of the function passed). group: the tests of one function
    that check the same thing on different inputs (a model's "loss" in every configuration): a
    public test earns its points only when the hidden tests of its group pass too
    (docs/grading-policy.md). edge: what its case tries that the notebooks do not."""

    __test__ = False  # not a pytest class

    name: str
    function: str  # qualified name whose points it shares
    weight: float
    visibility: str
    case: str = ""
    params: dict = field(default_factory=dict)
    kind: str = VALUE
    group: str = ""
    edge: str = ""
    uses: tuple[str, ...] | None = None  # the functions this test's run calls (None: its function's)


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


def as_json(obj):
    """Tuples to lists, numpy scalars to Python: task params must be plain JSON."""
    if isinstance(obj, dict):
        return {str(k): as_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_json(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def driver_files(profile) -> list[Path]:
    """The drivers the sandbox child loads for `profile`: the generic ones (and the numpy1 shim
    they call), then the profile's."""
    return [CORE_DRIVERS, NUMPY1_SHIM, *profile.drivers]


def expand_shape(shape, dims) -> tuple:
    """A shape of ints and dimension names ("*S" splices a tuple) resolved with `dims`."""
    out = []
    for s in shape:
        if isinstance(s, str) and s.startswith("*"):
            out.extend(dims[s[1:]])
        elif isinstance(s, str):
            out.append(dims[s])
        else:
            out.append(s)
    return tuple(int(v) for v in out)


class Builder:
    """Turns a profile's descriptions into plans; `oracle` answers what the reference returns."""

    def __init__(self, profile, seed: int, oracle):
        self.profile, self.seed, self.oracle = profile, seed, oracle
        self.plans: list[Plan] = []
        self.aggregates: list[Aggregate] = []
        self.defs: list[TestDef] = []
        self.points: dict[str, float] = {}
        self.uses: dict[str, tuple[str, ...]] = {}
        self.hints: dict[str, tuple[str, ...]] = {}
        self.across: dict[str, tuple[str, ...]] = {}
        self.where: dict[str, tuple[str, str]] = {}  # qualified name -> (module, function) of every graded function
        for spec in profile.specs:
            if isinstance(spec, ModelSpec):
                continue  # classes are not replayed (grader/check/run.py): only functions
            module = getattr(spec, "module", None) or (getattr(spec, "options", None) or {}).get("module")
            for q in qualnames(spec):
                if module:
                    self.where.setdefault(q, (module, q.split(".", 1)[1]))
        self.judges = Judges(self.expected, profile.hints)

    # -- the API named checks use
    @property
    def timeout(self) -> float:
        return self.profile.task_timeout

    def rng(self, key: str, public: bool) -> np.random.Generator:
        return np.random.default_rng([PUBLIC_SEED if public else self.seed, zlib.crc32(key.encode())])

    def test(self, name, function, weight, visibility, case="", params=None, kind=VALUE, group="", edge="",
             uses=None) -> TestDef:
        d = TestDef(name, function, weight, visibility, case, params or {}, kind, group, edge,
                    None if uses is None else tuple(uses))
        self.defs.append(d)
        return d

    def plan(self, task, tests, judge, modules, needs=(), expected=True) -> Plan:
        p = Plan(task, tests, judge, tuple(modules), tuple(needs), expected)
        self.plans.append(p)
        return p

    def expected(self, task: Task) -> tuple[dict, dict]:
        return self.oracle.expected(task)

    def hint(self, names, ev: Evidence) -> str | None:
        return self.judges.hint(names, ev)

    def case_key(self, spec: CheckSpec) -> tuple[np.random.Generator, str, dict]:
        """A named check's generator, the prefix of its case names ("public:" for a visible check,
        whose inputs are then the same for every submission) and its fixed inputs (options["fixed"])."""
        public = spec.visibility == VISIBLE
        rng = self.rng(f"{spec.qualname}[public]" if public else spec.qualname, public)
        make = spec.options.get("fixed")
        fixed = {k: np.asarray(v) for k, v in make().items()} if make else {}
        return rng, "public:" if public else "", fixed

    # -- drawing
    def draw(self, args, case: Case, rng) -> tuple[dict, dict]:
        dims = case.dims
        if isinstance(dims, tuple):
            dims = dims[int(rng.integers(len(dims)))]
        dtype = np_dtype(case.dtype)
        arrays = {}
        for a in args:
            shape = expand_shape(a.shape, dims)
            how = case.draw.get(a.name, a.draw)
            scale = case.scale.get(a.name, a.scale)
            shift = case.shift.get(a.name, a.shift)
            if how == "labels":
                arrays[a.name] = rng.integers(0, dims[a.classes], size=shape)
                continue
            if how == "randn":
                v = scale * rng.standard_normal(shape) + shift
            elif how == "away":
                v = scale * rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 1.5, size=shape) + shift
            elif how == "uniform":
                v = shift + scale * rng.random(shape)
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

    def inplace(self, function: str, plans: list[Plan], visibility: str = "hidden", scratch=()) -> None:
        """A test that no input the assignment reads again is modified in place by any case.
        Writing into a `scratch` input (one the assignment never reads again) is a warning."""
        test = self.test(f"{function}[inplace]", function, WEIGHT_INPLACE, visibility, "inplace", kind=HYGIENE)
        scratch = set(scratch)

        def judge(results: list[TaskResult]) -> Verdict:
            ok = [(p, r) for p, r in zip(plans, results) if r.status == "ok"]
            if not ok:
                return error_verdict(results[0]) if results else Verdict("error", "no case ran")
            changed = [(p.tests[0].case, r.info.get("mutated") or []) for p, r in ok]
            bad = [(c, [m for m in ms if m not in scratch]) for c, ms in changed]
            bad = [(c, ms) for c, ms in bad if ms]
            harmless = sorted({m for _c, ms in changed for m in ms if m in scratch})
            if bad:
                where = ", ".join(f"{', '.join(map(str, m))} in case {c}" for c, m in bad[:3])
                return Verdict("failed", f"modifies its input in place ({where}): work on a copy")
            skipped = len(results) - len(ok)
            note = f" ({skipped} case(s) did not run)" if skipped else ""
            warnings = []
            if harmless:
                warnings.append((INPLACE, f"writes into {', '.join(harmless)}, which the assignment never reads again "
                                          f"after the call: harmless here, but working on a copy is safer"))
            return Verdict("passed", f"no input the assignment reads again is modified in {len(ok)} case(s){note}",
                           warnings=warnings)

        self.aggregates.append(Aggregate(test, plans, judge))

    # -- LayerSpec
    def layer(self, spec: LayerSpec) -> None:
        mod = short_module(spec.module)
        fq = f"{mod}.{spec.forward}"
        for f in spec.functions():
            q = f"{mod}.{f}"
            self.points[q] = self.points.get(q, 0.0) + spec.points[f]
            self.uses[q] = spec.uses.get(f, ())
            self.hints[q] = spec.hints.get(f, ())
            self.across[q] = spec.across.get(f, ())
        fwd_plans: list[Plan] = []
        bwd_plans: dict[str, list[Plan]] = {b: [] for b in spec.backward}
        for case in spec.cases:
            rng = self.rng(f"{fq}[{case.name}]", case.public)
            _dims, arrays = self.draw(spec.args, case, rng)
            values = as_json(case.params)
            out_shape = spec.out_shape(arrays, case.params) if spec.out_shape else arrays[spec.call[0]].shape
            dout = rng.standard_normal(out_shape).astype(np_dtype(case.dtype))
            base = {"module": spec.module, "function": spec.forward, "call": list(spec.call), "values": values}
            name = f"{fq}[{case.name}]"
            t = self.test(name, fq, case.weight, case.visibility, case.name, case.params, edge=case.edge)
            fparams = dict(base)
            if spec.forward in spec.compose:
                fparams["compose"] = dict(spec.compose[spec.forward])
            task = Task(name, "layer_forward", fparams, dict(arrays), self.timeout)
            judge = functools.partial(self.judges.forward, spec, case, fq, task)
            fwd_plans.append(self.plan(task, [t], judge, (spec.module,)))
            for b in spec.backward:
                bq = f"{mod}.{b}"
                bname = f"{bq}[{case.name}]"
                t = self.test(bname, bq, case.weight, case.visibility, case.name, case.params, edge=case.edge)
                params = dict(base, backward=b, grads=list(spec.grads), numeric=self.numeric(case, rng))
                if b in spec.cache:
                    params["cache"] = as_json(spec.cache[b])
                if b in spec.compose:
                    params["compose"] = dict(spec.compose[b])
                task = Task(bname, "layer_pair", params, {**arrays, "dout": dout}, self.timeout)
                judge = functools.partial(self.judges.backward, spec, case, bq, task)
                bwd_plans[b].append(self.plan(task, [t], judge, (spec.module,), needs=(fq,)))
        if spec.inplace:
            self.inplace(fq, fwd_plans, scratch=spec.scratch.get(spec.forward, ()))
            for b in spec.backward:
                self.inplace(f"{mod}.{b}", bwd_plans[b], scratch=spec.scratch.get(b, ()))

    # -- CallSpec
    def call(self, spec: CallSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.name}"
        self.points[q] = self.points.get(q, 0.0) + spec.points
        self.uses[q], self.hints[q] = spec.uses, spec.hints
        plans = []
        for case in spec.cases:
            rng = self.rng(f"{q}[{case.name}]", case.public)
            _dims, arrays = self.draw(spec.args, case, rng)
            numeric = self.numeric(case, rng)
            numeric = dict(numeric, scalar=spec.numeric["scalar"], grads=spec.numeric["grads"]) if numeric and spec.numeric else None
            params = {"module": spec.module, "function": spec.name, "call": list(spec.call),
                      "values": as_json(case.params), "outputs": list(spec.outputs), "numeric": numeric}
            name = f"{q}[{case.name}]"
            t = self.test(name, q, case.weight, case.visibility, case.name, case.params, edge=case.edge)
            task = Task(name, "call", params, arrays, self.timeout)
            plans.append(self.plan(task, [t], functools.partial(self.judges.call, spec, case, q, task), (spec.module,)))
        if spec.inplace:
            self.inplace(q, plans, scratch=spec.scratch)

    # -- OptimSpec
    def update_rule(self, spec: OptimSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.name}"
        self.points[q] = self.points.get(q, 0.0) + spec.points
        self.hints[q] = spec.hints
        cases = []
        if spec.public is not None:
            w, dw, config = spec.public()
            arrays = {"w": np.asarray(w, np.float64), "dw0": np.asarray(dw, np.float64)}
            arrays.update({f"c.{k}": np.asarray(v, np.float64) for k, v in config.items() if isinstance(v, np.ndarray)})
            cfg = {k: v for k, v in config.items() if not isinstance(v, np.ndarray)}
            cases.append(("public", VISIBLE, cfg, arrays, 1, [k for k, v in config.items() if isinstance(v, np.ndarray)]))
        runs = (("steps", dict(spec.hidden), spec.steps),) + ((("defaults", None, 2),) if spec.defaults_case else ())
        for name, config, steps in runs:
            rng = self.rng(f"{q}[{name}]", False)
            shape = ((5, 6), (4, 7), (3, 9))[int(rng.integers(3))]
            arrays = {"w": rng.standard_normal(shape)}
            for i in range(steps):
                arrays[f"dw{i}"] = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.5, size=shape)
            cases.append((name, "hidden", config, arrays, steps, []))
        for name, visibility, config, arrays, steps, config_arrays in cases:
            params = {"module": spec.module, "rule": spec.name, "config": as_json(config),
                      "config_arrays": config_arrays, "steps": steps}
            tname = f"{q}[{name}]"
            t = self.test(tname, q, 1.0, visibility, name)
            task = Task(tname, "optim_steps", params, arrays, self.timeout)
            self.plan(task, [t], functools.partial(self.judges.update_rule, spec, q, name, task), (spec.module,))

    # -- ModelSpec
    def model(self, spec: ModelSpec) -> None:
        q = f"{short_module(spec.module)}.{spec.cls}"
        self.points[q] = self.points.get(q, 0.0) + spec.points
        self.uses[q], self.hints[q] = spec.uses, spec.hints
        for cfg in spec.configs:
            key = f"{q}[{cfg.name}]"
            rng = self.rng(key, cfg.visibility == VISIBLE)
            kwargs = as_json(cfg.kwargs)
            shapes = self.oracle.param_shapes(spec.module, spec.cls, kwargs)
            dtype = np_dtype(cfg.dtype)
            X = rng.standard_normal((cfg.N, *cfg.input_shape))
            y = rng.integers(0, cfg.classes, size=cfg.N)
            params = {}
            for k, shape in shapes.items():
                prefix = re.match(r"[A-Za-z_]*", k).group(0)
                scale = cfg.param_scale.get(prefix, 0.1)
                base = spec.init.get(prefix, 0.0)
                params[k] = (base if isinstance(base, (int, float)) else 0.0) + scale * rng.standard_normal(shape)
            if cfg.fixed is not None:
                fixed = cfg.fixed()
                X, y, params = fixed["X"], fixed["y"], fixed["params"]
            arrays = {"X": np.asarray(X).astype(dtype), "y": np.asarray(y, dtype=np.int64)}
            arrays.update({f"p.{k}": np.asarray(v).astype(dtype) for k, v in params.items()})
            task_params = {"module": spec.module, "cls": spec.cls, "kwargs": kwargs, "regs": list(cfg.regs),
                           "reg_arg": spec.reg_arg, "param_names": list(params), "seed": int(rng.integers(2**31)),
                           "numeric": self.numeric(Case("m", dtype=cfg.dtype), rng)}
            if spec.reg_at != "init":
                task_params["reg_at"] = spec.reg_at
            if cfg.stochastic:
                task_params["seed2"] = int(kwargs.get("seed", 0)) + 1000
                task_params["plain_kwargs"] = as_json(cfg.plain_kwargs)
            parts = (("init", 0.5), ("loss", 1.0), ("grads", 1.0)) + ((("scores", 0.5),) if cfg.check_scores else ())
            tests = [self.test(f"{q}[{cfg.name}:{part}]", q, w * cfg.weight, cfg.visibility, cfg.name, group=part,
                               edge=cfg.edge)
                     for part, w in parts]
            task = Task(key, "model", task_params, arrays, 2 * self.timeout)
            self.plan(task, tests, functools.partial(self.judges.model, spec, cfg, q, task, tests), (spec.module,))

    # -- CheckSpec: the profile's named checks
    def check(self, spec: CheckSpec) -> None:
        # a function may have value checks and a check of its own: points add up
        self.points[spec.qualname] = self.points.get(spec.qualname, 0.0) + spec.points
        self.profile.checks[spec.check](self, spec)


def build(profile, seed: int, oracle, only=None) -> Builder:
    """Every description of `profile` to plans (only: qualified names to restrict the run to)."""
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
            b.update_rule(spec)
        elif isinstance(spec, ModelSpec):
            b.model(spec)
        elif isinstance(spec, CheckSpec):
            b.check(spec)
        else:
            raise TypeError(f"unknown description {spec!r}")
    return b
