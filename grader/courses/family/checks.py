"""Named checks of the CS231n assignment-2 family, registered by the profiles that use them.

Each is a function (builder, CheckSpec) that plans sandbox tasks through the Builder API
(grader.check.plan) and judges them here, in the parent: the statistics of a random dropout
mask, running averages of a normalisation layer across several calls, a model trained by the
course's Solver. Their drivers are in drivers.py beside this file. Plus route_once, a
comparison for max-pool backward with tied maxima.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...check.compare import Comparison, compare
from ...check.diagnose import matches
from ...check.judge import Verdict, passed_if, scalar, summary, verdict
from ...check.plan import HYGIENE, VALUE
from ...check.spec import VALUE_TOL, CheckSpec
from ...sandbox import Task, TaskResult

DRIVERS = Path(__file__).with_name("drivers.py")


def _module(spec: CheckSpec) -> str:
    return spec.options["module"]


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


# ----------------------------------------------------------------------------- dropout


def dropout_forward(b, spec: CheckSpec) -> None:
    """Zero fraction, scaling of the kept units (inverted dropout), test mode, the seed, no input
    modified, dtype kept. options: module, ps, shape/shift or fixed, keep (True: p is the
    probability of keeping a unit; False: of dropping it)."""
    q, o = spec.qualname, spec.options
    keep_convention = o.get("keep", True)
    rng, pre, fixed = b.case_key(spec)
    x = fixed["x"] if "x" in fixed else rng.standard_normal(o["shape"]) + o["shift"]
    seeds = [int(s) for s in rng.integers(1, 2**31, size=2)]
    params = {"module": _module(spec), "function": q.split(".")[1], "ps": list(o["ps"]), "seeds": seeds}
    x32 = (rng.standard_normal((20, 30)) + o["shift"]).astype(np.float32)
    parts = (("keep_fraction", 1.0), ("inverted", 1.0), ("test_mode", 1.0), ("seed", 0.5), ("inplace", 0.5),
             ("dtype", 0.5))
    tests = [b.test(f"{q}[{pre}{p}]", q, w, spec.visibility, pre + p, group=p,
                    kind=HYGIENE if p in ("inplace", "dtype") else VALUE) for p, w in parts]
    task = Task(f"{q}[{pre}stats]", "dropout_stats", params, {"x": x, "x32": x32}, b.timeout)
    what = "KEEPING" if keep_convention else "DROPPING"
    other = "drop" if keep_convention else "keep"

    def judge(result: TaskResult) -> dict[str, Verdict]:
        out = result.outputs
        v = {}
        keep, inv, test = [], [], []
        hint_keep = hint_inv = None
        failing = other_convention = normal = 0
        for j, p in enumerate(o["ps"]):
            kept_p = p if keep_convention else 1 - p
            o_train = out.get(f"train{j}")
            if o_train is None or o_train.shape != x.shape:
                bad = Comparison(f"p={p}", False, None, "output missing or of the wrong shape")
                keep.append(bad)
                inv.append(bad)
                continue
            zero = float(np.mean(o_train == 0))
            ok = abs(zero - (1 - kept_p)) <= 0.03
            keep.append(Comparison(f"p={p}", ok, None, None if ok else f"zero fraction {zero:.3f}, expected {1 - kept_p:.3f}"))
            if not ok:  # which buggy mask explains every failing probability
                failing += 1
                other_convention += abs(zero - kept_p) <= 0.03
                normal += min(abs(zero - _normal_cdf(p)), abs(zero - 1 + _normal_cdf(p))) <= 0.03
            kept = o_train != 0
            ratio = o_train[kept] / x[kept]
            scale_ok = kept.any() and np.allclose(ratio, 1 / kept_p, rtol=1e-6, atol=0)
            mean_out, mean_x = float(o_train.mean()), float(x.mean())
            if not scale_ok:
                r = float(np.median(ratio)) if kept.any() else float("nan")
                inv.append(Comparison(f"p={p}", False, None,
                                      f"kept units are x * {r:.4g}, expected x * {1 / kept_p:.4g}; "
                                      f"output mean {mean_out:.3f} vs input mean {mean_x:.3f}"))
                if abs(r - 1) < 1e-6:
                    hint_inv = "not inverted dropout: kept units are not scaled up (the output mean shrinks)"
                elif abs(r - 1 / (1 - kept_p)) < 1e-6:
                    hint_inv = f"scales by the {other} probability: the {other}-probability convention"
            else:
                ok_mean = abs(mean_out - mean_x) <= 0.1 * abs(mean_x)
                inv.append(Comparison(f"p={p}", ok_mean, None, None if ok_mean else
                                      f"output mean {mean_out:.3f} vs input mean {mean_x:.3f}"))
            o_test = out.get(f"test{j}")
            ok = o_test is not None and o_test.shape == x.shape and np.array_equal(o_test, x.astype(np.float64))
            test.append(Comparison(f"p={p}", ok, None, None if ok else "test mode does not return x unchanged"))
        if failing and other_convention == failing:
            hint_keep = f"uses the {other}-probability convention: p is the probability of {what} a unit"
        elif failing and normal == failing:
            hint_keep = ("the mask is drawn from a normal distribution (np.random.randn) where a uniform one "
                         "(np.random.rand) is needed")
        v[tests[0].name] = summary(keep, hint_keep, "zero fractions as expected")
        v[tests[1].name] = summary(inv, hint_inv, "kept units scaled up, mean preserved")
        v[tests[2].name] = summary(test, None, "test mode returns x")
        a, c, d = out.get("train0"), out.get("again0"), out.get("other0")
        det = a is not None and c is not None and np.array_equal(a, c)
        varies = a is not None and d is not None and not np.array_equal(a, d)
        v[tests[3].name] = summary([
            Comparison("same seed", det, None, None if det else "two calls with the same seed differ"),
            Comparison("other seed", varies, None, None if varies else "two different seeds give the same mask"),
        ], None, "deterministic for a seed, different across seeds")
        mutated = result.info.get("mutated") or []
        v[tests[4].name] = (Verdict("failed", "modifies its input x in place: work on a copy") if mutated
                            else Verdict("passed", "x not modified"))
        dts = {m: (result.info.get("dtype") or {}).get(f"float32_{m}") for m in ("train", "test")}
        ok = all(d == "float32" for d in dts.values())
        v[tests[5].name] = passed_if(ok, f"on float32 input the output dtype is {dts['train']} (train) and "
                                         f"{dts['test']} (test); it must keep x's dtype")
        return v

    b.plan(task, tests, judge, (_module(spec),), expected=False)  # statistics: no reference answer


def dropout_backward(b, spec: CheckSpec) -> None:
    """dout times the student's own mask in train mode, dout in test mode, dout not modified."""
    q, o = spec.qualname, spec.options
    rng, pre, fixed = b.case_key(spec)
    x = fixed["x"] if "x" in fixed else rng.standard_normal(o["shape"]) + 5.0
    dout = fixed["dout"] if "dout" in fixed else rng.standard_normal(o["shape"])
    seed = int(o["seed"]) if "seed" in o else int(rng.integers(1, 2**31))
    params = {"module": _module(spec), "function": o["forward"], "backward": q.split(".")[1], "p": o["p"], "seed": seed}
    tests = [b.test(f"{q}[{pre}{p}]", q, w, spec.visibility, pre + p, group=p, kind=HYGIENE if p == "inplace" else VALUE)
             for p, w in (("train", 1.0), ("test", 0.5), ("inplace", 0.5))]
    task = Task(f"{q}[{pre}pair]", "dropout_pair", params, {"x": x, "dout": dout}, b.timeout)

    def judge(result: TaskResult) -> dict[str, Verdict]:
        out = result.outputs
        fwd = out.get("out_train")
        expected = dout * fwd / x if fwd is not None and fwd.shape == x.shape else None
        c = (compare("dx", out.get("dx_train"), expected, VALUE_TOL) if expected is not None
             else Comparison("dx", False, None, "the forward's output has the wrong shape"))
        v = {tests[0].name: verdict([c], None, ["expected dout * mask, with the mask of your own forward"])}
        v[tests[1].name] = verdict([compare("dx (test mode)", out.get("dx_test"), dout, VALUE_TOL)])
        mutated = result.info.get("mutated") or []
        v[tests[2].name] = (Verdict("failed", "modifies dout in place: work on a copy") if mutated
                            else Verdict("passed", "dout not modified"))
        return v

    b.plan(task, tests, judge, (_module(spec),), expected=False)  # the student's own mask: no reference answer


# ----------------------------------------------------------------------------- running averages


def _running_hint(arrays: dict, out: dict, steps: int, C: int, momentum: float) -> str | None:
    axes = (0,) if arrays["x0"].ndim == 2 else (0, 2, 3)
    means = [arrays[f"x{i}"].mean(axis=axes) for i in range(steps)]
    var = [arrays[f"x{i}"].var(axis=axes) for i in range(steps)]
    got = out.get(f"running_mean{steps - 1}")
    if got is None:
        return None
    if matches(got, means[-1]):
        return "the running mean keeps only the last batch's mean (no exponential average)"
    rm = np.zeros(C)
    for mu in means:
        rm = (1 - momentum) * rm + momentum * mu
    if matches(got, rm):
        return "momentum and 1 - momentum are swapped"
    rv, rv_eps = np.zeros(C), np.zeros(C)
    for i in range(steps):
        n = arrays[f"x{i}"].size // C
        rv = momentum * rv + (1 - momentum) * var[i] * n / (n - 1)
        rv_eps = momentum * rv_eps + (1 - momentum) * (var[i] + 1e-5)
    got = out.get(f"running_var{steps - 1}")
    got = None if got is None else np.reshape(got, -1) if np.size(got) == C else got
    if matches(got, rv):
        return "the running variance uses the unbiased (N - 1) variance; batchnorm uses the biased one"
    if matches(got, rv_eps, 1e-9):
        return ("running_var averages the batch variance plus eps: the docstring's formula averages the variance "
                "alone (test mode then counts eps twice)")
    return None


def bn_running(b, spec: CheckSpec) -> None:
    """Running mean and variance after several training batches sharing one bn_param, the test
    mode using them, and a bad mode raising ValueError. options: module, function, shape, dims,
    steps."""
    q, o = spec.qualname, spec.options
    rng = b.rng(q, False)
    from ...check.plan import expand_shape

    shape = expand_shape(o["shape"], o["dims"])
    C = shape[1]
    arrays = {f"x{i}": 3 * rng.standard_normal(shape) + rng.uniform(-5, 5) for i in range(o["steps"])}
    arrays.update(gamma=1 + 0.5 * rng.standard_normal(C), beta=rng.standard_normal(C),
                  xt=3 * rng.standard_normal(shape) + 1.0)
    for key in [f"x{i}" for i in range(o["steps"])] + ["xt"]:
        # an edge: a feature (channel) almost constant, whose variance (1e-6) is below eps, as a dead
        # unit's: there eps decides the normalisation, so where it enters shows
        arrays[key][:, 0] = 1e-3 * (arrays[key][:, 0] - arrays[key][:, 0].mean()) + 2.0
    params = {"module": _module(spec), "function": o["function"], "steps": o["steps"], "bn_param": {"mode": "train"}}
    tests = [b.test(f"{q}[{p}]", q, w, spec.visibility, p, group=p, kind=HYGIENE if p == "bad_mode" else VALUE)
             for p, w in (("running_averages", 1.0), ("test_mode", 1.0), ("bad_mode", 0.5))]
    task = Task(f"{q}[running]", "bn_running", params, arrays, b.timeout)

    def judge(result: TaskResult) -> dict[str, Verdict]:
        exp, _ = b.expected(task)
        out = result.outputs
        steps, momentum, eps = o["steps"], o.get("momentum", 0.9), 1e-5
        comps = []
        for i in range(steps):
            for key in ("running_mean", "running_var"):
                comps.append(compare(f"{key} after {i + 1} batches", out.get(f"{key}{i}"), exp[f"{key}{i}"], VALUE_TOL,
                                     lenient=True))
        hint = None if all(c.ok for c in comps) else _running_hint(arrays, out, steps, C, momentum)
        v = {tests[0].name: verdict(comps, hint)}
        expected_test = exp["test_out"]
        c = compare("out (test mode)", out.get("test_out"), expected_test, VALUE_TOL)
        thint = None
        if not c.ok and out.get("test_out") is not None:
            xt = arrays["xt"]
            axes = (0,) if xt.ndim == 2 else (0, 2, 3)
            shp = (1, -1) if xt.ndim == 2 else (1, -1, 1, 1)
            batch = (xt - xt.mean(axes).reshape(shp)) / np.sqrt(xt.var(axes).reshape(shp) + 1e-5)
            batch = arrays["gamma"].reshape(shp) * batch + arrays["beta"].reshape(shp)
            if matches(out["test_out"], batch):
                thint = "test mode normalises with the batch statistics instead of the running averages"
            else:
                rm = exp[f"running_mean{steps - 1}"].reshape(shp)
                rv = exp[f"running_var{steps - 1}"].reshape(shp)
                g, bt = arrays["gamma"].reshape(shp), arrays["beta"].reshape(shp)
                if matches(out["test_out"], (xt - rm) / np.sqrt(rv + eps)):
                    thint = "test mode forgets gamma and beta (out = x_hat instead of gamma * x_hat + beta)"
                elif matches(out["test_out"], g * (xt - rm) / (np.sqrt(rv) + eps) + bt):
                    thint = ("test mode adds eps outside the square root: normalise exactly as in training, by "
                             "sqrt(running_var + eps) (they differ by up to 30% for a feature whose variance is near eps)")
                elif matches(out["test_out"], g * (xt - rm) / np.sqrt(rv + 2 * eps) + bt, 1e-4):
                    thint = "eps is counted twice in test mode (is it stored in running_var too?)"
        v[tests[1].name] = verdict([c], thint)
        bad = result.info.get("bad_mode")
        v[tests[2].name] = (Verdict("passed", "mode 'bogus' raises ValueError") if bad == "ValueError" else
                            Verdict("failed", f"mode 'bogus' should raise ValueError, got {bad or 'no error'}"))
        return v

    b.plan(task, tests, judge, (_module(spec),))


# ----------------------------------------------------------------------------- the Solver


def solver(b, spec: CheckSpec) -> None:
    """The course's Solver trains the student's models to overfit a small random set (validation
    = training data, so the best parameters are the best on it). The public run judges the
    Solver's own best_val_acc (the kit has no reference model); hidden runs recompute the
    accuracy with the reference model holding the trained parameters. options: solver (the
    Solver's module), runs, min_train_acc, behaviour (also check histories, the best parameters
    restored and bad arguments refused, on the first hidden run)."""
    q, o = spec.qualname, spec.options
    public = spec.visibility == "visible"
    pre = "public:" if public else ""
    absent = set(b.profile.edition.absent_functions) if b.profile.edition else set()
    runs = [r for r in o["runs"] if f"{r['module'].rsplit('.', 1)[-1]}.{r['cls']}" not in absent]  # not this edition's
    for n, run in enumerate(runs):
        rng = b.rng(f"{q}[{pre}{run['name']}]", public)
        shape = tuple(run["input_shape"])
        X = rng.standard_normal((run["n_train"], *shape))
        y = rng.integers(0, run["classes"], size=run["n_train"])
        arrays = {"X_train": X, "y_train": y, "X_val": X.copy(), "y_val": y.copy()}
        behaviour = o.get("behaviour", False) and n == 0 and not public
        from ...check.plan import as_json

        params = {"module": run["module"], "cls": run["cls"], "kwargs": as_json(run["kwargs"]),
                  "solver_module": o["solver"], "solver_class": o.get("solver_class", "Solver"),
                  "solver": as_json(dict(run["solver"], verbose=False)), "seed": int(rng.integers(2**31)),
                  "bad_args": behaviour}
        model = f"{run['module'].rsplit('.', 1)[-1]}.{run['cls']}"
        tests = [b.test(f"{q}[{pre}{run['name']}]", q, 1.0, spec.visibility, pre + run["name"], group="training",
                        uses=(model,))]
        if behaviour:
            tests += [b.test(f"{q}[{p}]", q, 0.5, spec.visibility, p, group=p) for p in ("histories", "best_params",
                                                                                          "bad_args")]
        task = Task(f"{q}[{pre}{run['name']}]", "solver_train", params, arrays, 6 * b.timeout)
        judge = (_judge_solver_public(run, o["min_train_acc"], arrays, tests[0]) if public
                 else _judge_solver(b, run, o["min_train_acc"], arrays, tests))
        b.plan(task, tests, judge, (run["module"], o["solver"]), needs=(model,), expected=False)  # accuracy, not answers


def _judge_solver_public(run, min_acc, arrays, test):
    def judge(result: TaskResult) -> dict[str, Verdict]:
        acc = scalar(result.outputs.get("best_val_acc"))
        if acc is None:
            return {test.name: Verdict("failed", "the Solver measured no finite accuracy (best_val_acc)")}
        return {test.name: passed_if(acc >= min_acc,
                                     f"training accuracy after training {acc:.2f} (the Solver's best_val_acc, with your "
                                     f"model; needs {min_acc:.2f} to overfit {len(arrays['y_train'])} examples)")}

    return judge


def _judge_solver(b, run, min_acc, arrays, tests):
    def accuracy(params: dict, X, y) -> tuple[float | None, str | None]:
        model = b.oracle.model(run["module"], run["cls"], run["kwargs"])
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
            v[tests[0].name] = passed_if(acc >= min_acc, f"training accuracy after training {acc:.2f} (recomputed by "
                                                         f"the grader; needs {min_acc:.2f} to overfit "
                                                         f"{len(arrays['y_train'])} examples)")
        if len(tests) > 1:
            s = run["solver"]
            iters = s["num_epochs"] * max(run["n_train"] // s["batch_size"], 1)
            lh, th, vh = (out.get(k) for k in ("loss_history", "train_acc_history", "val_acc_history"))
            ok = (lh is not None and len(lh) == iters and np.all(np.isfinite(lh)) and th is not None
                  and vh is not None and len(th) == len(vh) >= s["num_epochs"])
            v[tests[1].name] = passed_if(ok, f"loss_history has {0 if lh is None else len(lh)} entries (expected "
                                             f"{iters}); {0 if vh is None else len(vh)} accuracy checks")
            best = {k[5:]: val for k, val in out.items() if k.startswith("best.")}
            same = bool(best) and all(k in trained and np.array_equal(trained[k], best[k]) for k in best)
            vacc, _ = accuracy(trained, arrays["X_val"], arrays["y_val"]) if same else (None, None)
            best_acc = scalar(out.get("best_val_acc"))
            ok = (same and vacc is not None and best_acc is not None and abs(vacc - best_acc) < 1e-9
                  and vh is not None and vh.size > 0 and abs(best_acc - float(np.max(vh))) < 1e-9)
            v[tests[2].name] = passed_if(ok, "best parameters restored at the end of training" if ok else
                                         "model.params after training are not the best parameters by validation accuracy")
            info = result.info
            ok = info.get("bad_kwarg") == "ValueError" and info.get("bad_rule") == "ValueError"
            v[tests[3].name] = passed_if(ok, f"unknown option -> {info.get('bad_kwarg')}, unknown update rule -> "
                                             f"{info.get('bad_rule')} (ValueError expected)")
        return v

    return judge


# ----------------------------------------------------------------------------- a net with its own training loop


def own_training(b, spec: CheckSpec) -> None:
    """A model class that trains itself (`train(X, y, X_val, y_val, **options)` returning its
    histories) and predicts (`predict(X)`): predict on given parameters against the reference's
    argmax of scores; then training from scratch on a small learnable set must fit it (accuracy
    recomputed with the reference model holding the trained parameters) and return one loss per
    step. options: module, cls, kwargs (constructor), input_dim, classes, n_train, train (the
    train() keyword arguments, num_iters among them), min_train_acc."""
    q, o = spec.qualname, spec.options
    rng = b.rng(f"{q}[own_training]", False)
    D, C, n = int(o["input_dim"]), int(o["classes"]), int(o["n_train"])
    centres = 3.0 * rng.standard_normal((C, D))
    y = rng.integers(0, C, size=n)
    X = centres[y] + rng.standard_normal((n, D))
    X_pred = rng.standard_normal((7, D))
    shapes = b.oracle.param_shapes(o["module"], o["cls"], o["kwargs"])
    given = {k: 0.5 * rng.standard_normal(s) for k, s in shapes.items()}
    from ...check.plan import as_json

    arrays = {"X": X, "y": y, "X_val": X[: n // 2].copy(), "y_val": y[: n // 2].copy(), "X_pred": X_pred,
              **{f"p.{k}": v for k, v in given.items()}}
    params = {"module": o["module"], "cls": o["cls"], "kwargs": as_json(o["kwargs"]), "train": as_json(o["train"]),
              "seed": int(rng.integers(2**31)), "param_names": sorted(given)}
    tests = [b.test(f"{q}[{p}]", q, w, spec.visibility, p) for p, w in (("predict", 1.0), ("train", 2.0))]
    task = Task(f"{q}[own_training]", "own_training", params, arrays, 6 * b.timeout)

    def reference(values: dict):
        model = b.oracle.model(o["module"], o["cls"], o["kwargs"])
        for k, ref in model.params.items():
            model.params[k] = np.asarray(values[k], dtype=np.asarray(ref).dtype)
        return model

    def judge(result: TaskResult) -> dict[str, Verdict]:
        out = result.outputs
        v = {}
        expected = np.argmax(reference(given).loss(X_pred), axis=1)
        got = out.get("predict")
        if got is None or np.shape(got) != expected.shape:
            v[tests[0].name] = Verdict("failed", f"predict returned shape {None if got is None else np.shape(got)}, "
                                                 f"expected {expected.shape}")
        else:
            wrong = int(np.sum(np.asarray(got) != expected))
            v[tests[0].name] = passed_if(wrong == 0, f"{wrong} of {len(expected)} predictions differ from the class "
                                                     "of the highest score" if wrong else
                                         f"{len(expected)} predictions: the class of the highest score")
        trained = {k[2:]: a for k, a in out.items() if k.startswith("t.")}
        problems = [k for k in shapes if k not in trained or np.shape(trained[k]) != shapes[k]
                    or not np.all(np.isfinite(trained[k]))]
        if problems:
            v[tests[1].name] = Verdict("failed", f"after train(), params {', '.join(problems)} are missing, of the "
                                                 "wrong shape or not finite")
            return v
        scores = reference(trained).loss(X)
        acc = float(np.mean(np.argmax(scores, axis=1) == y))
        losses = out.get("loss_history")
        steps = int(o["train"]["num_iters"])
        comps = [Comparison("training accuracy", acc >= o["min_train_acc"], None,
                            None if acc >= o["min_train_acc"] else
                            f"{acc:.2f} after training (recomputed by the grader), expected at least "
                            f"{o['min_train_acc']:.2f} on {n} easy examples")]
        ok = losses is not None and losses.size == steps and np.all(np.isfinite(losses))
        comps.append(Comparison("loss_history", ok, None, None if ok else
                                f"{0 if losses is None else losses.size} finite losses, expected one per step ({steps})"))
        if ok:
            k = max(1, steps // 10)
            down = float(np.mean(losses[-k:])) < float(np.mean(losses[:k]))
            comps.append(Comparison("loss_history", down, None, None if down else "the loss did not go down"))
        v[tests[1].name] = summary(comps, None, f"training accuracy {acc:.2f} (recomputed by the grader), "
                                               f"{steps} losses, decreasing")
        return v

    b.plan(task, tests, judge, (o["module"],), expected=False)  # judged against the reference model itself


# ----------------------------------------------------------------------------- comparisons


def route_once(arrays: dict, out: dict, values: dict) -> Comparison:
    """Max-pool backward with tied maxima: each window's gradient must go to its maxima and only
    there, adding up to the window's dout. Any single maximum is right (valid implementations
    break the tie differently); sharing it among the tied maxima, or giving it to every one of them
    (the gradient then counts once per tie), is a subgradient choice the assignment never meets
    (its networks only tie at the zeros of a ReLU, whose gradient is zero anyway): a warning.
    Overlapping windows add up, as in the backward itself."""
    x, dout, dx, pool_param = arrays["x"], arrays["dout"], out.get("dx"), values["pool_param"]
    if dx is None:
        return Comparison("dx", False, None, "missing")
    if dx.shape != x.shape:
        return Comparison("dx", False, None, f"shape {dx.shape}, expected {x.shape}")
    if not np.all(np.isfinite(dx)):
        return Comparison("dx", False, None, "contains NaN or inf")
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    # the reference's answer for each rule a valid implementation may follow, summed over windows
    first, shared, every = (np.zeros(x.shape) for _ in range(3))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            top = win == win.max(axis=2, keepdims=True)
            d = dout[:, :, i, j][:, :, None]
            one = np.zeros_like(win)
            np.put_along_axis(one, win.argmax(axis=2)[:, :, None], 1.0, axis=2)
            for acc, weights in ((first, one), (shared, top / top.sum(axis=2, keepdims=True)), (every, top * 1.0)):
                acc[:, :, i * s:i * s + ph, j * s:j * s + pw] += (weights * d).reshape(N, C, ph, pw)
    if s >= ph and s >= pw:  # windows do not overlap: each window is judged on its own
        ok_single = True
        for i in range(Ho):
            for j in range(Wo):
                win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
                dwin = dx[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
                top = win == win.max(axis=2, keepdims=True)
                off_max = np.abs(dwin * ~top).max() if (~top).any() else 0.0
                nonzero = (np.abs(dwin) > 1e-12).sum(axis=2)
                if off_max > 1e-9 or not np.allclose(dwin.sum(axis=2), dout[:, :, i, j], rtol=1e-7, atol=1e-9) \
                        or (nonzero > 1).any():
                    ok_single = False
        if ok_single:
            return Comparison("dx (tied maxima)", True, None, None)
    elif np.allclose(dx, first, rtol=1e-7, atol=1e-9):
        return Comparison("dx (tied maxima)", True, None, None)
    if np.allclose(dx, every, rtol=1e-7, atol=1e-9):
        return Comparison("dx (tied maxima)", True, None, None, warning_kind="ties",
                          warning="routes each window's gradient to every element equal to its maximum, so a window "
                                  "with k tied maxima passes on k times its gradient; the assignment's networks only "
                                  "tie at zeros after a ReLU, where this is harmless, but one maximum is the gradient")
    if np.allclose(dx, shared, rtol=1e-7, atol=1e-9):
        return Comparison("dx (tied maxima)", True, None, None, warning_kind="ties",
                          warning="shares each window's gradient equally among its tied maxima (a valid subgradient; "
                                  "the reference gives it to one of them)")
    return Comparison("dx (tied maxima)", False, None,
                      "the gradient of a window with tied maxima does not go to its maxima (to one of them, adding "
                      "up to the window's upstream gradient)")


CHECKS = {"dropout_forward": dropout_forward, "dropout_backward": dropout_backward, "bn_running": bn_running,
          "solver": solver, "own_training": own_training}
