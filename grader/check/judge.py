"""Judging: a sandbox task's plain numbers against the oracle's answers, into verdicts.

Everything here runs in the trusted parent on float64 arrays the child sent; nothing a student
wrote is imported or evaluated. A judge returns one Verdict per test its task feeds; hints only
explain a failure (grader.check.diagnose), they never change a verdict.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..sandbox import TaskResult
from . import diagnose
from .compare import Comparison, broadcast_same, compare, numeric_error, rel_error, scale_of
from .diagnose import Evidence, matches
from .spec import NUMERIC_COORDS, NUMERIC_TOL, VALUE_TOL, Case, CallSpec, LayerSpec, ModelConfig, ModelSpec, OptimSpec

# Kinds of warnings (docs/grading-policy.md): what the assignment does not ask, shown in the
# feedback and costing nothing unless the profile's instructor settings weigh that kind.
INPLACE, SHAPE, TIES = "inplace", "shape", "ties"
WARNING_KINDS = (INPLACE, SHAPE, TIES)


@dataclass
class Verdict:
    status: str  # passed | failed | error
    output: str
    rel_error: float | None = None
    not_implemented: bool = False
    raised: bool = False  # the task ran and raised (not a hang, a crash, or a task not run)
    warnings: list = field(default_factory=list)  # (kind, text): accepted, but not what the docstring states
    composed: bool = False  # its wrong output equals the composition of the student's own callees
    root: list = field(default_factory=list)  # functions named as the root cause of this failure


def comparison_warnings(comps: list[Comparison]) -> list[tuple[str, str]]:
    return [(c.warning_kind, c.warning) for c in comps if c.ok and c.warning]


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
    return Verdict("failed" if bad else "passed", text, worst, warnings=[] if bad else comparison_warnings(comps))


def summary(comps: list[Comparison], hint: str | None, ok_text: str) -> Verdict:
    """Like verdict(), with a fixed text when everything passed."""
    bad = [c for c in comps if not c.ok]
    if not bad:
        return Verdict("passed", ok_text, warnings=comparison_warnings(comps))
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
        v = verdict(comps, hint)
        if v.status == "failed" and "comp.out" in result.outputs:
            v.composed = matches(result.outputs.get("out"), result.outputs["comp.out"], 1e-9)
        return {task.name: v}

    def backward(self, spec: LayerSpec, case: Case, q: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
        out = result.outputs
        info = result.info or {}
        fname = q.split(".", 1)[1]
        notes = []
        forward_error = info.get("forward_error")
        forward_ok = forward_error is None and compare("out", out.get("out"), exp["out"], spec.tol, case.dtype).ok
        own = self._grads(spec, case, task, out, info.get("dtype") or {}, "")
        documented = any(f"doc.d{n}" in out for n in spec.grads) or info.get("doc_error")
        if documented and not forward_ok and not all(c.ok for c in own):
            # the student's forward is wrong: the backward is judged on a cache built from the right
            # inputs in the form the docstring documents
            form = spec.cache.get(fname)
            form = form if isinstance(form, str) else "(" + ", ".join(i.lstrip("@") for i in form) + ")"
            why = f"raised ({forward_error})" if forward_error else "returns a wrong out"
            if info.get("doc_error"):
                notes.append(f"your forward {why}, and on a cache built from the right inputs in the documented form "
                             f"{form} your backward raised: {info['doc_error']}")
            else:
                comps = self._grads(spec, case, task, out, info.get("doc_dtype") or {}, "doc.")
                state = "right" if all(c.ok for c in comps) else "still wrong"
                notes.append(f"your forward {why} (its own tests say so), so your backward was judged on a cache built "
                             f"from the right inputs in the documented form {form}: {state} there")
                v = verdict(comps, None if all(c.ok for c in comps) else self._backward_hint(spec, case, q, task, out,
                                                                                          exp, comps, info, "doc."),
                            notes)
                v.root = [f"{q.split('.', 1)[0]}.{spec.forward}"]
                return {task.name: v}
        comps = own
        if forward_error:
            return {task.name: Verdict("error", f"error: {forward_error}; {fname} cannot be run", raised=True)}
        if any(f"num.d{n}" in out for n in spec.grads):
            errs = {n: numeric_error(out[f"ana.d{n}"], out[f"num.d{n}"], NUMERIC_TOL.floor64)
                    for n in spec.grads if f"num.d{n}" in out}
            worst = max(errs.values())
            agrees = "agrees with" if worst <= NUMERIC_TOL.float64 else "DISAGREES with"
            notes.append(f"numeric gradient of your own forward: {agrees} your backward at {NUMERIC_COORDS} sampled "
                         f"entries per input (max rel error {fmt(worst)})")
        bad = [c for c in comps if not c.ok]
        hint = None
        if bad:
            if not forward_ok:
                notes.append("note: the forward's out differs from the reference too")
            hint = self._backward_hint(spec, case, q, task, out, exp, comps, info, "")
        v = verdict(comps, hint, notes)
        if v.status == "failed" and any(f"comp.d{n}" in out for n in spec.grads):
            v.composed = all(matches(out.get(f"d{n}"), out.get(f"comp.d{n}"), 1e-9) for n in spec.grads)
        return {task.name: v}

    def _grads(self, spec: LayerSpec, case: Case, task, out: dict, dtypes: dict, prefix: str) -> list[Comparison]:
        """The backward's gradients (keys prefix + d<name>) against the reference's."""
        if callable(case.compare):
            view = {k[len(prefix):]: v for k, v in out.items() if k.startswith(prefix)} if prefix else out
            return [case.compare(task.arrays, view, task.params["values"])]
        exp, _ = self.expected(task)
        scale = scale_of(exp.get(f"d{n}") for n in spec.grads)
        first = spec.call[0]
        squeezed = spec.squeezed.get(task.params.get("backward", ""), ())
        return [compare(f"d{n}", out.get(f"{prefix}d{n}"), exp[f"d{n}"], spec.grad_tol, case.dtype,
                        dtypes.get(f"d{n}"), lenient=n != first, scale=scale,
                        also=(tuple(s for s in np.shape(exp[f"d{n}"]) if s != 1),) if n in squeezed else ())
                for n in spec.grads]

    def _backward_hint(self, spec, case, q, task, out, exp, comps, info, prefix) -> str | None:
        bad = [c for c in comps if not c.ok]
        if not bad:
            return None
        view = {k[len(prefix):]: v for k, v in out.items() if k.startswith(prefix)} if prefix else out
        ev = Evidence(q, case.name, bad[0].key, view, exp, task.arrays, task.params, info)
        return self.hint(spec.hints.get(q.split(".", 1)[1], ()), ev)

    # -- plain calls
    def call(self, spec: CallSpec, case: Case, q: str, task, result: TaskResult) -> dict[str, Verdict]:
        exp, _ = self.expected(task)
        out = result.outputs
        dtypes = result.info.get("dtype") or {}
        comps = [compare(k, out.get(k), exp[k], spec.tol, case.dtype, dtypes.get(k)) for k in spec.outputs]
        notes = []
        nums = [k for k in out if k.startswith("num.")]
        if nums:
            worst = max(numeric_error(out["ana." + k[4:]], out[k], NUMERIC_TOL.floor64) for k in nums)
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
                # every gradient of one loss shares its scale: a gradient that is zero up to rounding
                # (a bias that batchnorm follows) is compared absolutely against the largest
                scale = scale_of(exp.get(f"r{r}.g.{k}") for k in names)
                for k in names:
                    if k in missing:
                        grad_comps.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
                        continue
                    grad_comps.append(compare(f"grads['{k}'] (reg={reg:g})", out.get(f"r{r}.g.{k}"),
                                              exp[f"r{r}.g.{k}"], spec.grad_tol, cfg.dtype, lenient=True, scale=scale))
            nums = [k for k in out if k.startswith("num.")]
            if nums:
                worst = max(numeric_error(out["ana." + k[4:]], out[k], spec.numeric_tol.floor64) for k in nums)
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
        warnings: list[tuple[str, str]] = []
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
                got = None if shape_a is None else tuple(int(s) for s in shape_a)
                want_shape = tuple(int(s) for s in shape_e)
                # a shape that broadcasts the same way ((1, D) for (D,)), or a constant (a zero bias)
                # that acts as the expected one (a plain 0 for (H,)), is the same parameter to every
                # computation: a warning (docs/grading-policy.md)
                if got is not None and (broadcast_same(got, want_shape) or (rule != "normal" and _broadcasts(got, want_shape))):
                    warnings.append((SHAPE, f"params['{k}'] has shape {got} where the reference's is {want_shape}: "
                                            f"it broadcasts the same way"))
                    broadcast = True  # (and a plain int 0 becomes a float array at the first update)
                else:
                    comps.append(Comparison(k, False, None, f"shape {'?' if got is None else got}, expected {want_shape}"))
                    continue
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
        return Verdict("passed", f"{len(want)} parameters: shapes, initial statistics and dtypes as expected",
                       warnings=warnings)

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
            err = numeric_error(out[f"ana.{k}"], out[f"num.{k}"], spec.numeric_tol.floor64)
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
