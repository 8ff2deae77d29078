"""Judging: a sandbox task's plain numbers against the oracle's answers, into verdicts.

Everything here runs in the trusted parent on float64 arrays the child sent; nothing a student
wrote is imported or evaluated. A judge returns one Verdict per test its task feeds; hints only
explain a failure (grader.check.diagnose), they never change a verdict.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..sandbox import TaskResult
from . import diagnose
from .compare import Comparison, compare, rel_error
from .diagnose import Evidence
from .spec import NUMERIC_TOL, VALUE_TOL, Case, CallSpec, LayerSpec, ModelConfig, ModelSpec, OptimSpec


@dataclass
class Verdict:
    status: str  # passed | failed | error
    output: str
    rel_error: float | None = None
    not_implemented: bool = False
    raised: bool = False  # the task ran and raised (not a hang, a crash, or a task not run)


def scalar(v) -> float | None:
    """A one-number result as a float (None when it is missing or not a single finite number)."""
    if v is None or np.size(v) != 1:
        return None
    x = float(np.asarray(v).reshape(()))
    return x if math.isfinite(x) else None


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2e}"


def verdict(comps: list[Comparison], hint: str | None = None, notes: list[str] | None = None) -> Verdict:
    """passed iff every comparison is ok; output lists the failures first (or the errors)."""
    bad = [c for c in comps if not c.ok]
    errs = [c.rel_error for c in comps if c.rel_error is not None]
    worst = max(errs) if errs else None
    if any(c.rel_error is None and not c.ok for c in comps):
        worst = None
    text = "; ".join(c.describe() for c in (bad or comps))
    if bad and hint:
        text += f". Likely bug: {hint}"
    if notes:
        text += ". " + ". ".join(notes)
    return Verdict("failed" if bad else "passed", text, worst)


def summary(comps: list[Comparison], hint: str | None, ok_text: str) -> Verdict:
    """Like verdict(), with a fixed text when everything passed."""
    bad = [c for c in comps if not c.ok]
    if not bad:
        return Verdict("passed", ok_text)
    text = "; ".join(c.describe() for c in bad)
    return Verdict("failed", text + (f". Likely bug: {hint}" if hint else ""))


def passed_if(ok: bool, text: str) -> Verdict:
    return Verdict("passed" if ok else "failed", text)


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


class Judges:
    """The judges of the four kinds of description; `expected(task)` is the oracle's answer and
    `hint(names, evidence)` names a classic bug (the profile's hints, then the generic ones)."""

    def __init__(self, expected, hints):
        self.expected = expected
        self.hints = hints

    def hint(self, names, ev: Evidence) -> str | None:
        return diagnose.diagnose(names, ev, self.hints)

    # -- layers
    def forward(self, spec: LayerSpec, case: Case, q: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
        dtype = (result.info.get("dtype") or {}).get("out")
        comps = [compare("out", result.outputs.get("out"), exp["out"], spec.tol, case.dtype, dtype)]
        x_dtype = str(task.arrays[spec.call[0]].dtype)
        if spec.same_dtype and dtype and dtype != x_dtype:
            comps.append(Comparison("out", False, None, f"dtype {dtype}, expected the input's {x_dtype}"))
        hint = None
        if not all(c.ok for c in comps):
            ev = Evidence(q, case.name, "out", result.outputs, exp, task.arrays, task.params, result.info)
            hint = self.hint(spec.hints.get(q.split(".", 1)[1], ()), ev)
        return {task.name: verdict(comps, hint)}

    def backward(self, spec: LayerSpec, case: Case, q: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
        out = result.outputs
        dtypes = result.info.get("dtype") or {}
        if callable(case.compare):
            comps = [case.compare(task.arrays, out, task.params["values"])]
        else:
            comps = [compare(f"d{n}", out.get(f"d{n}"), exp[f"d{n}"], spec.grad_tol, case.dtype, dtypes.get(f"d{n}"))
                     for n in spec.grads]
        notes = []
        if any(f"num.d{n}" in out for n in spec.grads):
            errs = {n: rel_error(out[f"ana.d{n}"], out[f"num.d{n}"], NUMERIC_TOL.floor64)
                    for n in spec.grads if f"num.d{n}" in out}
            worst = max(errs.values())
            agrees = "agrees with" if worst <= NUMERIC_TOL.float64 else "DISAGREES with"
            notes.append(f"numeric gradient of your own forward: {agrees} your backward (max rel error {fmt(worst)})")
        bad = [c for c in comps if not c.ok]
        hint = None
        if bad:
            if "out" in exp and not compare("out", out.get("out"), exp["out"], spec.tol, case.dtype).ok:
                notes.append("note: the forward's out differs from the reference too")
            ev = Evidence(q, case.name, bad[0].key, out, exp, task.arrays, task.params, result.info)
            hint = self.hint(spec.hints.get(q.split(".", 1)[1], ()), ev)
        return {task.name: verdict(comps, hint, notes)}

    # -- plain calls
    def call(self, spec: CallSpec, case: Case, q: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
        out = result.outputs
        dtypes = result.info.get("dtype") or {}
        comps = [compare(k, out.get(k), exp[k], spec.tol, case.dtype, dtypes.get(k)) for k in spec.outputs]
        notes = []
        nums = [k for k in out if k.startswith("num.")]
        if nums:
            worst = max(rel_error(out["ana." + k[4:]], out[k], NUMERIC_TOL.floor64) for k in nums)
            notes.append(f"numeric gradient of your own loss: max rel error {fmt(worst)}")
        bad = [c for c in comps if not c.ok]
        hint = None
        if bad:
            ev = Evidence(q, case.name, bad[0].key, out, exp, task.arrays, task.params, result.info)
            hint = self.hint(spec.hints, ev)
        return {task.name: verdict(comps, hint, notes)}

    # -- update rules
    def update_rule(self, spec: OptimSpec, q: str, case: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
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
            hint = self.hint(spec.hints, ev)
        return {task.name: verdict(comps, hint)}

    # -- models
    def model(self, spec: ModelSpec, cfg: ModelConfig, q: str, task, tests, result: TaskResult) -> dict[str, Verdict]:
        exp, einfo = self.expected(task)
        out, info = result.outputs, result.info
        names = task.params["param_names"]
        regs = task.params["regs"]
        v = {tests[0].name: self._model_init(spec, cfg, out, info, exp, einfo)}
        loss_comps, grad_comps, notes_g = [], [], []
        missing = info.get("missing_grads") or []
        if cfg.stochastic:
            loss_comps = self._stochastic_loss(cfg, task, out, exp)
            grad_comps = self._stochastic_grads(spec, task, out)
        else:
            for r, reg in enumerate(regs):
                loss_comps.append(compare(f"loss (reg={reg:g})", out.get(f"r{r}.loss"), exp[f"r{r}.loss"], spec.tol, cfg.dtype))
                # every gradient is judged at the scale of the model's gradients: a bias followed by
                # batchnorm has a gradient that is zero up to rounding, whose noise is no error
                scale = max((float(np.max(np.abs(exp[f"r{r}.g.{k}"]))) for k in names
                             if np.size(exp.get(f"r{r}.g.{k}", ()))), default=0.0)
                for k in names:
                    if k in missing:
                        grad_comps.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
                        continue
                    grad_comps.append(compare(f"grads['{k}'] (reg={reg:g})", out.get(f"r{r}.g.{k}"),
                                              exp[f"r{r}.g.{k}"], spec.grad_tol, cfg.dtype, scale=scale))
            nums = [k for k in out if k.startswith("num.")]
            if nums:
                worst = max(rel_error(out["ana." + k[4:]], out[k], spec.numeric_tol.floor64) for k in nums)
                notes_g.append(f"numeric gradient of your own loss: max rel error {fmt(worst)}")
        hint_l = hint_g = None
        if not all(c.ok for c in loss_comps):
            hint_l = self.hint(spec.hints, Evidence(q, cfg.name, "loss", out, exp, task.arrays, task.params, info))
        if not all(c.ok for c in grad_comps):
            hint_g = self.hint(spec.hints, Evidence(q, cfg.name, "grads", out, exp, task.arrays, task.params, info))
        v[tests[1].name] = verdict(loss_comps, hint_l)
        v[tests[2].name] = verdict(grad_comps, hint_g, notes_g)
        if len(tests) > 3:
            v[tests[3].name] = verdict([compare("scores (test mode)", out.get("scores"), exp["scores"], spec.tol, cfg.dtype)])
        return v

    @staticmethod
    def _model_init(spec: ModelSpec, cfg: ModelConfig, out, info, exp, einfo) -> Verdict:
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
            rule = spec.init.get(re.match(r"[A-Za-z_]*", k).group(0), 0.0)
            broadcast = False
            if shape_a is None or shape_a.shape != shape_e.shape or not np.array_equal(shape_a, shape_e):
                shape = tuple(int(s) for s in shape_e)
                got = None if shape_a is None else tuple(int(s) for s in shape_a)
                # a constant (a zero bias) of a shape that broadcasts to the expected one, e.g. (1, H)
                # or a plain 0 for (H,), is the same parameter to every computation
                if got is None or rule == "normal" or not _broadcasts(got, shape):
                    comps.append(Comparison(k, False, None, f"shape {'?' if got is None else got}, expected {shape}"))
                    continue
                broadcast = True  # (and a plain int 0 becomes a float array at the first update)
            n = int(np.prod(shape_e))
            mean, std = scalar(out.get(f"init.mean.{k}")), scalar(out.get(f"init.std.{k}"))
            if mean is None or std is None:
                comps.append(Comparison(k, False, None, "initial values are not finite"))
                continue
            if rule == "normal":
                # the sample std of n normal draws has relative sd ~ 1/sqrt(2n): allow 6 of them
                spread = 6 / math.sqrt(2 * n)
                lo, hi = max(0.1, 1 - spread), 1 + spread
                ok = lo * ws <= std <= hi * ws and abs(mean) <= 6 * ws / math.sqrt(n)
                comps.append(Comparison(k, ok, None, None if ok else
                                        f"mean {mean:.3g}, std {std:.3g}: expected mean 0, std {ws:g} ({spec.init_std})"))
            else:
                target = float(rule)
                ok = abs(mean - target) < 1e-12 and std < 1e-12
                comps.append(Comparison(k, ok, None, None if ok else f"mean {mean:.3g}, std {std:.3g}: expected all {target:g}"))
            want_dt = (einfo.get("init_dtype") or {}).get(k)
            have_dt = (info.get("init_dtype") or {}).get(k)
            if want_dt and have_dt and want_dt != have_dt and not broadcast:
                comps.append(Comparison(k, False, None, f"dtype {have_dt}, expected {want_dt} (the model's dtype)"))
        if not comps:
            return Verdict("failed", "no parameters to check")
        bad = [c for c in comps if not c.ok]
        if bad:
            return Verdict("failed", "; ".join(c.describe() for c in bad))
        return Verdict("passed", f"{len(want)} parameters: shapes, initial statistics and dtypes as expected")

    @staticmethod
    def _stochastic_loss(cfg: ModelConfig, task, out, exp) -> list[Comparison]:
        """With randomness in training, the draws are the student's own: the loss must be
        deterministic for a seed, change with the seed, differ from the plain model's; the plain
        model must match the reference; the regularisation must add the same term as the plain
        model's does."""
        loss0 = scalar(out.get("r0.loss"))
        if loss0 is None:
            return [Comparison("loss", False, None, "not a single finite number")]
        comps = []
        same = rel_error(out["r0.loss"], out["r0.loss_again"]) <= 1e-12
        comps.append(Comparison("loss twice with the same seed", same, None,
                                None if same else "differs: the random draws ignore the seed argument"))
        plain = out.get("loss_plain")
        applied = plain is not None and rel_error(loss0, plain) > 1e-8
        comps.append(Comparison(f"loss with {_kwargs_text(cfg.kwargs, cfg.plain_kwargs)} vs {_kwargs_text(cfg.plain_kwargs)}",
                                applied, None, None if applied else "identical: the randomness is not applied in the model"))
        if plain is not None:
            comps.append(compare(f"loss with {_kwargs_text(cfg.plain_kwargs)}", plain, exp["loss_plain"], VALUE_TOL,
                                 cfg.dtype))
        regs = task.params["regs"]
        loss1 = scalar(out.get("r1.loss"))
        if len(regs) > 1 and loss1 is not None and "loss_plain_reg" in exp:
            # the reference's regularisation term, from its plain model at both strengths
            term = float(exp["loss_plain_reg"]) - float(exp["loss_plain"])
            diff = loss1 - loss0
            ok = abs(diff - term) <= 1e-6 * max(1.0, abs(term))
            comps.append(Comparison(f"loss(reg={regs[1]:g}) - loss(reg=0)", ok, None,
                                    None if ok else f"{diff:.6g}, expected the regularisation term {term:.6g}"))
        if out.get("loss_seed2") is not None:
            varies = rel_error(out["loss_seed2"], loss0) > 1e-10
            comps.append(Comparison("loss with another seed", varies, None,
                                    None if varies else "identical: the random draws do not depend on the seed"))
        return comps

    @staticmethod
    def _stochastic_grads(spec: ModelSpec, task, out) -> list[Comparison]:
        comps = []
        names = task.params["param_names"]
        nums = [k[4:] for k in out if k.startswith("num.")]
        if not nums:
            return [Comparison("grads", False, None, "no numeric gradient could be taken (float64 params needed)")]
        for k in nums:
            err = rel_error(out[f"ana.{k}"], out[f"num.{k}"], spec.numeric_tol.floor64)
            comps.append(Comparison(f"grads['{k}'] vs numeric (same seed)", err <= spec.numeric_tol.float64, err,
                                    None, spec.numeric_tol.float64))
        for k in names:
            if f"r0.g.{k}" not in out:
                comps.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
        return comps


def _broadcasts(shape: tuple, target: tuple) -> bool:
    """Whether an array of `shape` acts as one of `target` wherever a batch of such arrays meets
    it: its leading axes of length 1 dropped, it broadcasts to exactly `target` ((1, H) or () for
    (H,); not (H, 1))."""
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _kwargs_text(kwargs: dict, only: dict | None = None) -> str:
    keys = list(only) if only is not None else list(kwargs)
    return ", ".join(f"{k}={kwargs.get(k)!r}" for k in keys) or "no arguments"
