"""Sandbox drivers of the 2015 course's named checks (checks.py beside this file).

Standalone like grader/check/drivers.py, and loaded right after it (and the family's drivers)
into the same module of the sandbox child and of the parent's reference oracle: the helpers used
here (_driver, _function, _array, _tuple, _coords, _centred, _sampled, NotImplementedByStudent)
are that file's. numpy and the standard library only.

The 2015 assignment keeps a model as a plain dict of arrays: a loss function takes it
(`two_layer_net(X, model, y=None, reg=0.0)`), and ClassifierTrainer().train(...) updates it in
place with the loss function it is given.
"""

import numpy as np


@_driver
def function_model(ctx, params, arrays):
    """A model written as a function of a dict of arrays: its scores, then its loss and
    gradients at each regularisation strength (each call on fresh copies of the parameters);
    whether it modified the model or X it was given; optionally the numeric gradient of its
    own loss (diagnostic)."""
    name = params["function"]
    fn = _function(ctx, params["module"], name)
    X, y = arrays["X"], arrays["y"].astype(np.int64)
    names = params["param_names"]

    def fresh():
        return {k: np.array(arrays[f"p.{k}"], copy=True) for k in names}

    result, info = {}, {"missing_grads": [], "mutated": []}
    model, x = fresh(), X.copy()
    result["scores"] = _array(fn(x, model), f"{name}(X, model): scores")
    if not np.array_equal(x, X):
        info["mutated"].append("X")
    last = None
    for r, reg in enumerate(params["regs"]):
        model, x = fresh(), X.copy()
        loss, grads = _tuple(fn(x, model, y.copy(), reg), 2, f"{name}(X, model, y, reg)")
        if not isinstance(grads, dict) or not grads:
            raise NotImplementedByStudent(f"{name} returned no gradients")
        result[f"r{r}.loss"] = _array(loss, f"{name}: loss")
        for k in names:
            if k in grads:
                result[f"r{r}.g.{k}"] = _array(grads[k], f"{name}: grads['{k}']")
            elif k not in info["missing_grads"]:
                info["missing_grads"].append(k)
        changed = [k for k in names if not np.array_equal(model[k], arrays[f"p.{k}"])]
        info["mutated"] += [f"model['{k}']" for k in changed if f"model['{k}']" not in info["mutated"]]
        last = (model, reg)

    numeric = params.get("numeric")
    if numeric and last is not None:
        r = len(params["regs"]) - 1
        model, reg = fresh(), params["regs"][-1]
        for i, k in enumerate(names):
            if f"r{r}.g.{k}" not in result:
                continue
            p = model[k]
            coords = _coords(p.size, numeric["coords"], numeric["seed"] + i)
            ana = _sampled(result[f"r{r}.g.{k}"], p, coords)
            if ana is None:
                continue
            loss_of = lambda: float(_tuple(fn(X.copy(), model, y.copy(), reg), 2, name)[0])  # noqa: E731
            result[f"num.{k}"] = _centred(loss_of, p, coords, numeric.get("h", 1e-5))
            result[f"ana.{k}"] = ana
    result["info"] = info
    return result


def _softmax_linear(X, model, y=None, reg=0.0):
    """The trusted loss function the trainer checks train with: a linear softmax classifier,
    scores X @ W + b, L2 0.5 * reg * sum(W**2)."""
    scores = X.dot(model["W"]) + model["b"]
    if y is None:
        return scores
    N = X.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y])) + 0.5 * reg * np.sum(model["W"] ** 2)
    d = probs
    d[np.arange(N), y] -= 1
    d /= N
    return loss, {"W": X.T.dot(d) + reg * model["W"], "b": d.sum(axis=0)}


@_driver
def trainer_run(ctx, params, arrays):
    """ClassifierTrainer().train(...) of a linear softmax classifier (the loss function is the
    driver's, so only the trainer is judged): the model it left, the best model it returned and
    its histories."""
    Trainer = _function(ctx, params["module"], params["cls"])
    model = {"W": np.array(arrays["W"], copy=True), "b": np.array(arrays["b"], copy=True)}
    y, y_val = arrays["y"].astype(np.int64), arrays["y_val"].astype(np.int64)
    np.random.seed(params["seed"])
    out = Trainer().train(arrays["X"], y, arrays["X_val"], y_val, model, _softmax_linear, **params["train"])
    best, loss_history, train_acc, val_acc = _tuple(out, 4, f"{params['cls']}.train")
    if all(np.array_equal(model[k], arrays[k]) for k in model):
        raise NotImplementedByStudent(f"the {params['train'].get('update')!r} update left every parameter "
                                      "unchanged (dx is still zero)")
    result = {f"final.{k}": _array(v, f"model['{k}']") for k, v in model.items()}
    if isinstance(best, dict):
        result.update({f"best.{k}": _array(v, f"best_model['{k}']") for k, v in best.items() if k in model})
    for key, values in (("loss_history", loss_history), ("train_acc_history", train_acc),
                        ("val_acc_history", val_acc)):
        result[key] = np.asarray([float(v) for v in values], dtype=np.float64)
    result["info"] = {"best_is_dict": isinstance(best, dict)}
    return result
