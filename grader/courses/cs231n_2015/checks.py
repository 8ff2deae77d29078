"""Named checks of CS231n 2015, whose models are dicts of arrays rather than objects.

- function_model: a network written as a loss function of a model dict
  (`two_layer_net(X, model, y=None, reg=0.0)`): scores, loss and gradients at two
  regularisation strengths, against the reference's on the same inputs.
- trainer_rule: ClassifierTrainer's update rule (momentum or rmsprop), run as full-batch
  gradient descent (deterministic) on a linear softmax classifier whose loss function is the
  driver's own: the parameters after training and the loss history, against the reference
  trainer's (RMSProp's smoothing inside or outside the square root both pass); a failure is
  matched against the classic variants (sign, smoothing 1e5, no sqrt).
- trainer_training: the trainer on minibatches: the best model it returns must classify the
  small training set (accuracy recomputed here, from the returned arrays), be the best of its
  validation checks, and come with one history entry per check.

Their drivers are drivers.py beside this file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...check.compare import Comparison, compare
from ...check.diagnose import Evidence, matches
from ...check.judge import Verdict, passed_if, verdict
from ...check.spec import GRAD_TOL, VALUE_TOL, Case, CheckSpec, Tol
from ...sandbox import Task, TaskResult

DRIVERS = Path(__file__).with_name("drivers.py")
# Epsilon inside or outside the square root, accumulated over a few steps: both pass.
TRAINER_TOL = Tol(float64=1e-4, float32=1e-3, floor64=1e-2)


def _as_json(obj):
    from ...check.plan import as_json

    return as_json(obj)


# ----------------------------------------------------------------------------- function models


def function_model(b, spec: CheckSpec) -> None:
    """options: module, function, cases: ({name, D, H, C, N, regs, scale, shift, fixed}, ...), hints."""
    q, o = spec.qualname, spec.options
    public = spec.visibility == "visible"
    for case in o["cases"]:
        key = f"{q}[{'public:' if public else ''}{case['name']}]"
        rng = b.rng(key, public)
        D, H, C, N = case.get("D", 4), case.get("H", 10), case.get("C", 3), case.get("N", 5)
        scale = case.get("scale", 0.5)
        arrays = {"X": rng.standard_normal((N, D)), "y": rng.integers(0, C, size=N),
                  "p.W1": scale * rng.standard_normal((D, H)), "p.b1": 0.1 * rng.standard_normal(H),
                  "p.W2": scale * rng.standard_normal((H, C)), "p.b2": 0.1 * rng.standard_normal(C)}
        arrays["p.b2"] = arrays["p.b2"] + case.get("shift", 0.0)  # every score moved alike: the loss is unchanged
        if case.get("fixed"):
            arrays.update({k: np.asarray(v) for k, v in case["fixed"]().items()})
        arrays["y"] = np.asarray(arrays["y"], dtype=np.int64)
        names = ["W1", "b1", "W2", "b2"]
        params = {"module": o["module"], "function": o["function"], "regs": list(case["regs"]), "param_names": names,
                  "numeric": None if case.get("numeric") is False else b.numeric(Case("m"), rng)}
        pre = "public:" if public else ""
        parts = (("scores", 0.5), ("loss", 1.0), ("grads", 1.0))
        tests = [b.test(f"{q}[{pre}{case['name']}:{p}]", q, w, spec.visibility, f"{pre}{case['name']}") for p, w in parts]
        task = Task(key, "function_model", _as_json(params), arrays, b.timeout)
        b.plan(task, tests, _judge_function_model(b, q, case, task, tests, o.get("hints", ())), (o["module"],))


def _judge_function_model(b, q, case, task, tests, hints):
    def judge(result: TaskResult) -> dict[str, Verdict]:
        exp, _ = b.expected(task)
        out, info = result.outputs, result.info
        regs = task.params["regs"]
        v = {tests[0].name: verdict([compare("scores", out.get("scores"), exp["scores"], VALUE_TOL)])}
        loss_c = [compare(f"loss (reg={reg:g})", out.get(f"r{r}.loss"), exp[f"r{r}.loss"], VALUE_TOL)
                  for r, reg in enumerate(regs)]
        grad_c = []
        for r, reg in enumerate(regs):
            for k in task.params["param_names"]:
                if k in (info.get("missing_grads") or []):
                    grad_c.append(Comparison(f"grads['{k}']", False, None, "missing from grads"))
                else:
                    grad_c.append(compare(f"grads['{k}'] (reg={reg:g})", out.get(f"r{r}.g.{k}"), exp[f"r{r}.g.{k}"],
                                          GRAD_TOL))
        case_name = case["name"]

        def hint(key):
            return b.hint(hints, Evidence(q, case_name, key, out, exp, task.arrays, task.params, info))

        v[tests[1].name] = verdict(loss_c, None if all(c.ok for c in loss_c) else hint("loss"))
        notes = []
        nums = [k for k in out if k.startswith("num.")]
        if nums:
            from ...check.compare import rel_error

            worst = max(rel_error(out["ana." + k[4:]], out[k], 1e-3) for k in nums)
            notes.append(f"numeric gradient of your own loss: max rel error {worst:.2e}")
        v[tests[2].name] = verdict(grad_c, None if all(c.ok for c in grad_c) else hint("grads"), notes)
        return v

    return judge


# ----------------------------------------------------------------------------- the trainer


def _linear_loss(X, W, bias, y, reg):
    scores = X @ W + bias
    N = X.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y])) + 0.5 * reg * np.sum(W * W)
    d = probs
    d[np.arange(N), y] -= 1
    d /= N
    return loss, {"W": X.T @ d + reg * W, "b": d.sum(axis=0)}


def _momentum(sign_w=1.0, sign_g=-1.0):
    def step(p, g, cache, kw):
        cache[p] = kw["momentum"] * cache[p] + sign_g * kw["learning_rate"] * g
        return sign_w * cache[p]

    return step


def _rmsprop(sqrt=True, eps=1e-8, inside=False):
    def step(p, g, cache, kw):
        cache[p] = 0.99 * cache[p] + 0.01 * g**2
        if inside:
            return -kw["learning_rate"] * g / np.sqrt(cache[p] + eps)
        return -kw["learning_rate"] * g / ((np.sqrt(cache[p]) if sqrt else cache[p]) + eps)

    return step


# The course's own RMSProp adds the smoothing inside the square root (its notebook's check value
# needs it, and every real 2015 submission wrote it so); outside the root is correct too.
ACCEPTED = {"rmsprop": (("the smoothing constant outside the square root", _rmsprop()),)}


VARIANTS = {
    "momentum": (("the momentum step has the wrong sign (the parameters climb the gradient)", _momentum(sign_w=-1.0)),
                 ("the momentum step has the wrong sign (the velocity adds the gradient)", _momentum(sign_g=1.0))),
    "rmsprop": (("the smoothing constant is 1e5 instead of 1e-8 (the steps almost vanish)", _rmsprop(eps=1e5)),
                ("the smoothing constant is 1e5 instead of 1e-8 (the steps almost vanish)", _rmsprop(eps=1e5, inside=True)),
                ("divides by the cache without the square root", _rmsprop(sqrt=False))),
}


def _simulate(arrays, kw, step):
    """Full-batch training of the linear classifier with an update `step` (a variant)."""
    W, bias = arrays["W"].astype(np.float64).copy(), arrays["b"].astype(np.float64).copy()
    cache = {"W": np.zeros_like(W), "b": np.zeros_like(bias)}
    y = arrays["y"].astype(np.int64)
    with np.errstate(all="ignore"):
        for _ in range(int(kw["num_epochs"])):
            _, grads = _linear_loss(arrays["X"], W, bias, y, kw["reg"])
            W = W + step("W", grads["W"], cache, kw)
            bias = bias + step("b", grads["b"], cache, kw)
    return {"W": W, "b": bias}


def _trainer_arrays(rng, N, D, C, scale=1.0):
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    X = X + scale * np.eye(C, D)[y] * 5.0  # well separated: any working trainer classifies it
    return {"X": X, "y": y, "X_val": X.copy(), "y_val": y.copy(),
            "W": 0.01 * rng.standard_normal((D, C)), "b": np.zeros(C)}


def trainer_rule(b, spec: CheckSpec) -> None:
    """options: module, cls, rule ("momentum" | "rmsprop"), train (keyword arguments of train),
    N, D, C."""
    q, o = spec.qualname, spec.options
    rng, pre, _ = b.case_key(spec)
    rule = o["rule"]
    arrays = _trainer_arrays(rng, o.get("N", 12), o.get("D", 5), o.get("C", 3))
    train = dict(o["train"], update=rule, sample_batches=False, learning_rate_decay=1.0)
    params = {"module": o["module"], "cls": o["cls"], "train": train, "seed": int(rng.integers(2**31))}
    test = b.test(f"{q}[{pre}{rule}]", q, 1.0, spec.visibility, pre + rule)
    task = Task(f"{q}[{pre}{rule}]", "trainer_run", _as_json(params), arrays, b.timeout)

    def judge(result: TaskResult) -> dict[str, Verdict]:
        exp, _ = b.expected(task)
        out = result.outputs
        comps = [compare(f"model['{k}'] after {train['num_epochs']} steps", out.get(f"final.{k}"), exp[f"final.{k}"],
                         TRAINER_TOL) for k in ("W", "b")]
        comps.append(compare("loss_history", out.get("loss_history"), exp["loss_history"], TRAINER_TOL))
        hint = None
        if not all(c.ok for c in comps) and out.get("final.W") is not None:
            for text, step in ACCEPTED.get(rule, ()):
                sim = _simulate(arrays, train, step)
                if matches(out.get("final.W"), sim["W"], 1e-6) and matches(out.get("final.b"), sim["b"], 1e-6):
                    return {test.name: Verdict("passed", f"the parameters after {train['num_epochs']} steps are those "
                                                         f"of the {rule} update with {text}")}
            for text, step in VARIANTS.get(rule, ()):
                sim = _simulate(arrays, train, step)
                if matches(out.get("final.W"), sim["W"], 1e-6) and matches(out.get("final.b"), sim["b"], 1e-6):
                    hint = text
                    break
        return {test.name: verdict(comps, hint)}

    b.plan(task, [test], judge, (o["module"],))


def trainer_training(b, spec: CheckSpec) -> None:
    """options: module, cls, train (with update, sample_batches, num_epochs, batch_size), N, D,
    C, min_acc."""
    q, o = spec.qualname, spec.options
    rng, pre, _ = b.case_key(spec)
    arrays = _trainer_arrays(rng, o.get("N", 60), o.get("D", 6), o.get("C", 3))
    train = dict(o["train"])
    params = {"module": o["module"], "cls": o["cls"], "train": train, "seed": int(rng.integers(2**31))}
    parts = (("accuracy", 1.0), ("best_model", 0.5), ("histories", 0.5))
    tests = [b.test(f"{q}[{pre}{p}]", q, w, spec.visibility, pre + p) for p, w in parts]
    task = Task(f"{q}[{pre}training]", "trainer_run", _as_json(params), arrays, 3 * b.timeout)
    min_acc = o.get("min_acc", 0.9)

    def accuracy(W, bias):
        return float(np.mean(np.argmax(arrays["X_val"] @ W + bias, axis=1) == arrays["y_val"]))

    def judge(result: TaskResult) -> dict[str, Verdict]:
        out = result.outputs
        W, bias = out.get("best.W"), out.get("best.b")
        v = {}
        if W is None or bias is None or W.shape != arrays["W"].shape or bias.shape != arrays["b"].shape:
            v[tests[0].name] = Verdict("failed", "best_model is not a dict holding the model's W and b of their shapes")
            acc = None
        elif not (np.all(np.isfinite(W)) and np.all(np.isfinite(bias))):
            v[tests[0].name] = Verdict("failed", "best_model holds NaN or infinite values")
            acc = None
        else:
            acc = accuracy(W, bias)
            v[tests[0].name] = passed_if(acc >= min_acc, f"the returned best_model classifies {acc:.2f} of the "
                                                         f"{len(arrays['y'])} training examples (recomputed by the "
                                                         f"grader; needs {min_acc:.2f})")
        vh = out.get("val_acc_history")
        best_ok = acc is not None and vh is not None and vh.size > 0 and abs(acc - float(np.max(vh))) < 1e-9
        v[tests[1].name] = passed_if(best_ok, "best_model is the model of the best validation check" if best_ok else
                                     "best_model is not the model with the highest validation accuracy of training")
        iters = train["num_epochs"] * max(len(arrays["y"]) // train["batch_size"], 1)
        lh, th = out.get("loss_history"), out.get("train_acc_history")
        ok = (lh is not None and len(lh) == iters and th is not None and vh is not None
              and len(th) == len(vh) >= train["num_epochs"])
        v[tests[2].name] = passed_if(ok, f"loss_history has {0 if lh is None else len(lh)} entries (expected {iters}); "
                                         f"{0 if vh is None else len(vh)} accuracy checks (at least "
                                         f"{train['num_epochs']})")
        return v

    b.plan(task, tests, judge, (o["module"],), expected=False)  # accuracy recomputed, no reference answer


CHECKS = {"function_model": function_model, "trainer_rule": trainer_rule, "trainer_training": trainer_training}
