# ruff: noqa: F821 (the helpers are those of grader/check/drivers.py, which runs first in the same module)
"""Sandbox drivers of the family's named checks (grader/courses/family/checks.py).

Standalone like grader/check/drivers.py, and loaded right after it into the same module of the
sandbox child (and of the parent's reference oracle): the helpers used here (_driver, _function,
_pair, _array, _tuple, construct, ...) are that file's. numpy and the standard library only.
"""

import numpy as np


@_driver
def dropout_stats(ctx, params, arrays):
    """dropout_forward on a large input at several keep probabilities: train outputs with a
    seed, again with the same seed, with another seed; test-mode outputs."""
    fn = _function(ctx, params["module"], params["function"])
    x = arrays["x"]
    result, info = {}, {"mutated": [], "dtype": {}}
    for j, p in enumerate(params["ps"]):
        for key, mode, seed in (("train", "train", params["seeds"][0]), ("again", "train", params["seeds"][0]),
                                ("other", "train", params["seeds"][1]), ("test", "test", params["seeds"][0])):
            if key in ("again", "other") and j > 0:
                continue  # determinism is checked at the first probability only
            xa = x.copy()
            out, _ = _pair(fn(xa, {"p": p, "mode": mode, "seed": seed}), params["function"])
            out = _array(out, f"{params['function']}: out")
            result[f"{key}{j}"] = out
            info["dtype"][f"{key}{j}"] = _dtype(out)
            if not np.array_equal(xa, x) and "x" not in info["mutated"]:
                info["mutated"].append("x")
    if "x32" in arrays:  # the output keeps the input's dtype
        for mode in ("train", "test"):
            out, _ = _pair(fn(arrays["x32"].copy(), {"p": 0.5, "mode": mode, "seed": params["seeds"][0]}),
                           params["function"])
            info["dtype"][f"float32_{mode}"] = _dtype(_array(out, f"{params['function']}: out"))
    result["info"] = info
    return result


@_driver
def dropout_pair(ctx, params, arrays):
    """dropout_backward on the student's own train- and test-mode caches."""
    fwd = _function(ctx, params["module"], params["function"])
    bwd = _function(ctx, params["module"], params["backward"])
    x, dout = arrays["x"], arrays["dout"]
    result, info = {}, {"mutated": []}
    for mode in ("train", "test"):
        out, cache = _pair(fwd(x.copy(), {"p": params["p"], "mode": mode, "seed": params["seed"]}), params["function"])
        result[f"out_{mode}"] = _array(out, f"{params['function']}: out")
        d = dout.copy()
        result[f"dx_{mode}"] = _array(_tuple(bwd(d, cache), 1, params["backward"])[0], f"{params['backward']}: dx")
        if not np.array_equal(d, dout):
            info["mutated"].append("dout")
    result["info"] = info
    return result


@_driver
def bn_running(ctx, params, arrays):
    """Batchnorm-like forward in train mode over several batches with one bn_param (running
    averages after each), then once in test mode; and whether a bad mode raises."""
    name = params["function"]
    fn = _function(ctx, params["module"], name)
    gamma, beta = arrays["gamma"], arrays["beta"]
    bn_param = dict(params["bn_param"])
    result, info = {}, {"dtype": {}}
    for i in range(params["steps"]):
        out, _ = _pair(fn(arrays[f"x{i}"].copy(), gamma.copy(), beta.copy(), bn_param), name)
        _array(out, f"{name}: out")
        for key in ("running_mean", "running_var"):
            if key not in bn_param:
                raise KeyError(f"{name} did not store {key} in bn_param")
            result[f"{key}{i}"] = _array(bn_param[key], f"bn_param['{key}']")
    info["dtype"]["running_mean"] = _dtype(bn_param["running_mean"])
    bn_param["mode"] = "test"
    out, _ = _pair(fn(arrays["xt"].copy(), gamma.copy(), beta.copy(), bn_param), name)
    result["test_out"] = _array(out, f"{name}: out (test mode)")
    try:
        fn(arrays["x0"].copy(), gamma.copy(), beta.copy(), {"mode": "bogus"})
        info["bad_mode"] = None
    except Exception as exc:  # noqa: BLE001 - which exception is the point of the check
        info["bad_mode"] = type(exc).__name__
    result["info"] = info
    return result


@_driver
def solver_train(ctx, params, arrays):
    """Train a fresh model with the package's Solver on a small set; returns the trained
    parameters and the Solver's histories (the parent recomputes accuracy itself)."""
    Solver = _function(ctx, params["solver_module"], params.get("solver_class", "Solver"))
    data = {k: arrays[k] for k in ("X_train", "X_val")}
    data.update({k: arrays[k].astype(np.int64) for k in ("y_train", "y_val")})
    np.random.seed(params["seed"])
    m = construct(ctx, params["module"], params["cls"], params["kwargs"])
    if not isinstance(getattr(m, "params", None), dict) or not m.params:
        raise NotImplementedByStudent(f"{params['cls']}.params is empty")
    solver = Solver(m, data, **params["solver"])
    solver.train()
    result = {f"p.{k}": _array(v, f"params['{k}']") for k, v in m.params.items()}
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        result[key] = np.asarray([float(v) for v in getattr(solver, key)], dtype=np.float64)
    result["best_val_acc"] = float(solver.best_val_acc)
    result.update({f"best.{k}": _array(v, f"best_params['{k}']") for k, v in solver.best_params.items()})
    info = {"params": sorted(m.params)}
    for label, extra in (("bad_kwarg", {"no_such_option": 1}), ("bad_rule", {"update_rule": "no_such_rule"})):
        if params.get("bad_args"):
            try:
                Solver(m, data, verbose=False, **extra)
                info[label] = None
            except Exception as exc:  # noqa: BLE001 - which exception is the point of the check
                info[label] = type(exc).__name__
    result["info"] = info
    return result


# ----------------------------------------------------------------------------- compositions
# The given sandwich layers (layer_utils.py), composed from the callees as the student's own
# module sees them: evidence that a sandwich failing with its callees is their failure only.


def _callees(ctx, comp):
    return _module(ctx, comp["module"])


def _compose(forward_chain, backward_chain):
    def forward(ctx, comp, args):
        m = _callees(ctx, comp)
        return forward_chain(m, *args)

    def backward(ctx, comp, dout, cache):
        return backward_chain(_callees(ctx, comp), dout, cache)

    return {"forward": forward, "backward": backward}


def _affine_relu_f(m, x, w, b):
    a, _ = m.affine_forward(x, w, b)
    return m.relu_forward(a)[0]


def _affine_relu_b(m, dout, cache):
    fc_cache, relu_cache = cache
    return m.affine_backward(m.relu_backward(dout, relu_cache), fc_cache)


def _conv_relu_f(m, x, w, b, conv_param):
    a, _ = m.conv_forward_fast(x, w, b, conv_param)
    return m.relu_forward(a)[0]


def _conv_relu_b(m, dout, cache):
    conv_cache, relu_cache = cache
    return m.conv_backward_fast(m.relu_backward(dout, relu_cache), conv_cache)


def _conv_bn_relu_f(m, x, w, b, gamma, beta, conv_param, bn_param):
    a, _ = m.conv_forward_fast(x, w, b, conv_param)
    an, _ = m.spatial_batchnorm_forward(a, gamma, beta, bn_param)
    return m.relu_forward(an)[0]


def _conv_bn_relu_b(m, dout, cache):
    conv_cache, bn_cache, relu_cache = cache
    da, dgamma, dbeta = m.spatial_batchnorm_backward(m.relu_backward(dout, relu_cache), bn_cache)
    dx, dw, db = m.conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta


def _conv_relu_pool_f(m, x, w, b, conv_param, pool_param):
    a, _ = m.conv_forward_fast(x, w, b, conv_param)
    s, _ = m.relu_forward(a)
    return m.max_pool_forward_fast(s, pool_param)[0]


def _conv_relu_pool_b(m, dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    ds = m.max_pool_backward_fast(dout, pool_cache)
    return m.conv_backward_fast(m.relu_backward(ds, relu_cache), conv_cache)


COMPOSITIONS.update(
    affine_relu=_compose(_affine_relu_f, _affine_relu_b),
    conv_relu=_compose(_conv_relu_f, _conv_relu_b),
    conv_bn_relu=_compose(_conv_bn_relu_f, _conv_bn_relu_b),
    conv_relu_pool=_compose(_conv_relu_pool_f, _conv_relu_pool_b),
)


@_driver
def own_training(ctx, params, arrays):
    """A model that trains itself: predict() on the given parameters, then train() from a fresh
    instance; returns the predictions, the trained parameters and the loss history."""
    m = construct(ctx, params["module"], params["cls"], params["kwargs"])
    if not isinstance(getattr(m, "params", None), dict) or not m.params:
        raise NotImplementedByStudent(f"{params['cls']}.params is empty")
    for k in params["param_names"]:
        m.params[k] = np.array(arrays[f"p.{k}"], dtype=np.float64)
    X_pred = arrays["X_pred"]
    if m.loss(X_pred.copy()) is None:
        raise NotImplementedByStudent(f"{params['cls']}.loss returned None")
    pred = m.predict(X_pred.copy())
    if pred is None:
        raise NotImplementedByStudent(f"{params['cls']}.predict returned None")
    result = {"predict": _array(pred, f"{params['cls']}.predict")}
    np.random.seed(params["seed"])
    net = construct(ctx, params["module"], params["cls"], params["kwargs"])
    y, y_val = arrays["y"].astype(np.int64), arrays["y_val"].astype(np.int64)
    stats = net.train(arrays["X"].copy(), y, arrays["X_val"].copy(), y_val, **params["train"])
    if not isinstance(stats, dict):
        raise TypeError(f"{params['cls']}.train must return a dict of histories, got {type(stats).__name__}")
    result.update({f"t.{k}": _array(v, f"params['{k}'] after train()") for k, v in net.params.items()})
    history = stats.get("loss_history")
    if history is not None:
        result["loss_history"] = np.asarray([float(x) for x in history], dtype=np.float64)
    result["info"] = {"stats": sorted(str(k) for k in stats)}
    return result
