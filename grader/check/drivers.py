"""Check drivers: the code that calls a student's functions, inside the sandboxed child.

This module is standalone on purpose: it imports numpy and the standard library only, never
`grader` (the child cannot import it). The child loads it by path, followed in the same module
by the profile's own driver files (which may use the helpers here), and calls
`DRIVERS[name](ctx, params, arrays)`, where `ctx.module("cs231n.layers")` imports that module
from the private working copy (under the package name the submission uses), `ctx.config` says
what the course's edition calls differently, `params` is small JSON and `arrays` the inputs.

A driver returns a dict of numbers / arrays (which the parent converts to float64 and compares
itself) plus an optional "info" dict of small JSON facts (dtypes, which inputs were modified,
which error a call raised). Drivers never judge: pass or fail is decided in the parent.

The parent also runs these same drivers on the trusted reference package to compute the
expected values (with `params["numeric"]` off), so both sides do exactly the same calls.

Every value kept from student code is copied when it is taken (`_array`): a student's function
may return one of its inputs, a view, or an array it later updates in place (an update rule that
updates w in place and returns it, running averages updated in place), and what was recorded
must stay what the function returned at that moment.
"""

import copy
import sys

import numpy as np

if __name__ == "grader.check.drivers":  # imported by the grading process (tests), not run as the child's module
    from .numpy1 import numpy1_install, numpy1_loaded

DRIVERS = {}
COMPOSITIONS = {}  # name -> {"forward": f(ctx, mods, args), "backward": f(ctx, mods, dout, cache)}: the profile's


def _driver(fn):
    DRIVERS[fn.__name__] = fn
    return fn


class NotImplementedByStudent(NotImplementedError):
    """A student function returned None (or nothing) where the course requires a value:
    the state of a function whose solution block is still `pass`."""


# ----------------------------------------------------------------------------- helpers


def _module(ctx, name):
    """A module of the working copy, with the course's compatibility shims applied first (see
    compat below)."""
    _compat(ctx)
    mod = ctx.module(name)
    _compat_globals(ctx)
    return mod


def _function(ctx, module, name):
    mod = _module(ctx, module)
    fn = getattr(mod, name, None)
    if fn is None:
        raise NotImplementedByStudent(f"{module.replace('.', '/')}.py has no {name}")
    return fn


def _renamed(ctx, module, cls, kwargs):
    """Constructor arguments under the names the course's edition uses (ctx.config["renames"],
    per "module.Class"), with the values it gives as 1 - the profile's (ctx.config["complement"]:
    a probability of keeping for one of dropping); the reference gets the profile's own."""
    config = getattr(ctx, "config", None) or {}
    key = f"{module.rsplit('.', 1)[-1]}.{cls}"
    renames = (config.get("renames") or {}).get(key) or {}
    complement = set((config.get("complement") or {}).get(key) or ())
    return {renames.get(k, k): (1 - v if k in complement else v) for k, v in kwargs.items()}


def construct(ctx, module, cls_name, kwargs):
    """An instance of module.cls_name built with `kwargs` (dtype names become numpy types)."""
    cls = _function(ctx, module, cls_name)
    return cls(**_renamed(ctx, module, cls_name, constructor_kwargs(kwargs)))


def _array(value, what):
    """A student's returned value as a numeric ndarray of our own (a copy: never a view of, nor
    the very array of, something the student may change later; its dtype kept for the dtype
    check). A list or tuple of numbers is an array too."""
    if value is None:
        raise NotImplementedByStudent(f"{what} is None")
    arr = np.array(value, copy=True, subok=False)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} is not a numeric array (dtype {arr.dtype})")
    return arr


def _pair(result, name):
    """Unpack a forward's (out, cache)."""
    if result is None:
        raise NotImplementedByStudent(f"{name} returned None")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name} must return a tuple (out, cache), got {type(result).__name__}")
    return result[0], result[1]


def _tuple(result, n, name):
    """A function's result as a tuple of n values (one value may be returned bare when n == 1)."""
    if result is None:
        raise NotImplementedByStudent(f"{name} returned None")
    if n == 1 and not isinstance(result, (tuple, list)):
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else type(result).__name__
        raise TypeError(f"{name} must return {n} values, got {got}")
    return tuple(result)


def _arguments(call, arrays, values):
    """Positional arguments for a call: fresh copies of the arrays and of the parameter dicts
    (a call may modify what it is given; every call starts from the same inputs)."""
    args, passed = [], {}
    for item in call:
        if item.startswith("@"):
            args.append(copy.deepcopy(values[item[1:]]))
        else:
            a = np.array(arrays[item], copy=True)
            passed[item] = a
            args.append(a)
    return args, passed


def _mutated(before, after):
    """Names of the inputs a call modified in place."""
    changed = []
    for name, orig in before.items():
        now = after[name]
        if now.shape != orig.shape or not np.array_equal(now, orig, equal_nan=True):
            changed.append(name)
    return changed


def _built(items, arrays, values):
    """A cache in a documented form (a tuple of the call's items, or one item), from fresh copies
    of the right inputs."""
    def one(item):
        return copy.deepcopy(values[item[1:]]) if item.startswith("@") else np.array(arrays[item], copy=True)

    if isinstance(items, str):
        return one(items)
    return tuple(one(i) for i in items)


def _dtype(arr):
    return str(np.asarray(arr).dtype)


def _coords(size, count, seed):
    """Flat indices at which a numeric gradient is sampled (all of them for small tensors)."""
    if size <= count:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).choice(size, count, replace=False))


def _centred(f, x, coords, h):
    """Centred differences of the scalar f() w.r.t. x at flat coords; x is perturbed in place
    and restored (f must read x). A coordinate where f has a kink within h (a ReLU or a max exactly
    at its switch: the one-sided slopes differ) has no derivative: it is NaN, and not compared."""
    flat = x.reshape(-1)  # a view: x is contiguous
    grad = np.empty(len(coords))
    f0 = f()
    for i, c in enumerate(coords):
        old = flat[c]
        flat[c] = old + h
        fp = f()
        flat[c] = old - h
        fm = f()
        flat[c] = old
        grad[i] = (fp - fm) / (2 * h)
        second = abs(fp - 2 * f0 + fm)  # h^2 f'' where f is smooth, h * (the jump of the slope) at a kink
        if second > 1e-8 * max(1.0, abs(f0)) and second > 1e-2 * abs(fp - fm):
            grad[i] = np.nan
    return grad


def _sampled(analytic, x, coords):
    """The analytic gradient at the sampled coordinates (None when its size is wrong)."""
    g = np.asarray(analytic, dtype=np.float64)
    if g.size != x.size:
        return None
    return g.reshape(-1)[coords]


# ----------------------------------------------------------------------------- compatibility


def _compat(ctx):
    """Before any student code runs: what the course's edition was written for and the sandbox's
    numpy lacks (ctx.config["compat"]; the reference runs without). "numpy1": grader/check/numpy1.py,
    loaded after this file in the same module. A student whose code ran on the numpy of their year
    is graded as they wrote it."""
    if "numpy1" in tuple((getattr(ctx, "config", None) or {}).get("compat") or ()):
        numpy1_install()


def _compat_globals(ctx):
    """"numpy1": int() and float() of an array of one element, inside the working copy's modules
    only (their global names; numpy and the standard library keep the builtins)."""
    if "numpy1" not in tuple((getattr(ctx, "config", None) or {}).get("compat") or ()):
        return
    root = str(getattr(ctx, "workdir", "") or "")
    if root:
        numpy1_loaded(root)


def constructor_kwargs(kwargs):
    """Constructor keyword arguments from JSON: dtype names become numpy dtypes."""
    out = dict(kwargs)
    if "dtype" in out and isinstance(out["dtype"], str):
        out["dtype"] = np.dtype(out["dtype"]).type
    return out


# ----------------------------------------------------------------------------- drivers


@_driver
def import_module(ctx, params, arrays):
    """Import one module of the package (so a module that hangs on import is found once)."""
    _module(ctx, params["module"])
    return {}


@_driver
def layer_forward(ctx, params, arrays):
    """Call a forward function once: out, its dtype, and which inputs it modified."""
    name = params["function"]
    fn = _function(ctx, params["module"], name)
    args, passed = _arguments(params["call"], arrays, params.get("values", {}))
    before = {k: v.copy() for k, v in passed.items()}
    out, _cache = _pair(fn(*args), name)
    out = _array(out, f"{name}: out")
    result = {"out": out, "info": {"dtype": {"out": _dtype(out)}, "mutated": _mutated(before, passed)}}
    comp = params.get("compose")
    if comp:  # the same call composed from the student's own callees (evidence for a failure there)
        try:
            a, _ = _arguments(params["call"], arrays, params.get("values", {}))
            result["comp.out"] = _array(COMPOSITIONS[comp["name"]]["forward"](ctx, comp, a), "composition")
        except Exception as exc:  # noqa: BLE001 - no evidence, nothing else
            result["info"]["compose_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return result


@_driver
def layer_pair(ctx, params, arrays):
    """Forward, then a backward on the student's own cache with the given dout; optionally the
    numeric gradient of sum(forward(...) * dout) at sampled coordinates, for comparison with the
    student's analytic gradients (a diagnostic: is the backward consistent with its forward?).

    params["cache"]: the cache's documented form: the backward is also run on a cache built from
    the right inputs in that form (outputs doc.d<name>), so that a backward can be judged even when
    the student's forward is wrong or raises. params["compose"]: the backward composed from the
    student's own callees on a copy of the same cache (outputs comp.d<name>)."""
    module, fname, bname = params["module"], params["function"], params["backward"]
    fwd, bwd = _function(ctx, module, fname), _function(ctx, module, bname)
    values = params.get("values", {})
    names = params["grads"]
    dout = arrays["dout"]
    documented = params.get("cache")
    result, info = {}, {"dtype": {}, "mutated": []}
    args, passed = _arguments(params["call"], arrays, values)
    try:
        out, cache = _pair(fwd(*args), fname)
        out = _array(out, f"{fname}: out")
        if out.shape != dout.shape:
            raise ValueError(f"{fname} returned out of shape {out.shape}, expected {dout.shape}; {bname} cannot be run")
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - with a documented cache the backward is still judged
        if not documented:
            raise
        info["forward_error"] = f"{type(exc).__name__}: {exc}"[:500]
        out = cache = None
    if out is not None:
        result["out"] = out
        comp = params.get("compose")
        comp_cache = None
        if comp:
            try:
                comp_cache = copy.deepcopy(cache)
            except Exception:  # noqa: BLE001 - a cache that cannot be copied gives no composition
                comp_cache = None
        before = {k: v.copy() for k, v in passed.items()}
        dout_arg = dout.copy()
        grads = _tuple(bwd(dout_arg, cache), len(names), bname)
        info["mutated"] = _mutated(before, passed)
        if not np.array_equal(dout_arg, dout):
            info["mutated"].append("dout")
        for n, g in zip(names, grads):
            g = _array(g, f"{bname}: d{n}")
            result[f"d{n}"] = g
            info["dtype"][f"d{n}"] = _dtype(g)
        if comp and comp_cache is not None:
            try:
                cg = COMPOSITIONS[comp["name"]]["backward"](ctx, comp, dout.copy(), comp_cache)
                for n, g in zip(names, _tuple(cg, len(names), "composition")):
                    result[f"comp.d{n}"] = _array(g, "composition")
            except Exception as exc:  # noqa: BLE001 - no evidence, nothing else
                info["compose_error"] = f"{type(exc).__name__}: {exc}"[:300]
    if documented:
        try:
            cache = _built(documented, arrays, values)
            grads = _tuple(bwd(dout.copy(), cache), len(names), bname)
            info["doc_dtype"] = {}
            for n, g in zip(names, grads):
                g = _array(g, f"{bname}: d{n}")
                result[f"doc.d{n}"] = g
                info["doc_dtype"][f"d{n}"] = _dtype(g)
        except NotImplementedError:
            if out is None:
                raise
        except Exception as exc:  # noqa: BLE001 - reported; judged in the parent
            info["doc_error"] = f"{type(exc).__name__}: {exc}"[:500]

    numeric = params.get("numeric")
    if numeric and out is not None:
        dout64 = dout.astype(np.float64)
        for i, n in enumerate(names):
            x = np.array(arrays[n], dtype=np.float64)
            coords = _coords(x.size, numeric["coords"], numeric["seed"] + i)
            ana = _sampled(result[f"d{n}"], x, coords)
            if ana is None:
                continue

            def f(x=x, n=n):
                a, _ = _arguments(params["call"], {**arrays, n: x}, values)
                o, _c = _pair(fwd(*a), fname)
                return float(np.sum(np.asarray(o, dtype=np.float64) * dout64))

            result[f"num.d{n}"] = _centred(f, x, coords, numeric.get("h", 1e-5))
            result[f"ana.d{n}"] = ana
    result["info"] = info
    return result


@_driver
def call(ctx, params, arrays):
    """Call a function returning a tuple of named outputs (e.g. a loss: loss, dx); optionally the
    numeric gradient of its scalar output w.r.t. some inputs (diagnostic)."""
    name = params["function"]
    fn = _function(ctx, params["module"], name)
    values = params.get("values", {})
    outputs = params["outputs"]
    args, passed = _arguments(params["call"], arrays, values)
    before = {k: v.copy() for k, v in passed.items()}
    res = _tuple(fn(*args), len(outputs), name)
    result = {}
    info = {"dtype": {}, "mutated": _mutated(before, passed)}
    for key, v in zip(outputs, res):
        v = _array(v, f"{name}: {key}")
        result[key] = v
        info["dtype"][key] = _dtype(v)

    numeric = params.get("numeric")
    if numeric:
        scalar = outputs.index(numeric["scalar"])
        for i, (gkey, n) in enumerate(numeric["grads"].items()):
            x = np.array(arrays[n], dtype=np.float64)
            coords = _coords(x.size, numeric["coords"], numeric["seed"] + i)
            ana = _sampled(result[gkey], x, coords)
            if ana is None:
                continue

            def f(x=x, n=n):
                a, _ = _arguments(params["call"], {**arrays, n: x}, values)
                return float(_tuple(fn(*a), len(outputs), name)[scalar])

            result[f"num.{gkey}"] = _centred(f, x, coords, numeric.get("h", 1e-5))
            result[f"ana.{gkey}"] = ana
    result["info"] = info
    return result


@_driver
def optim_steps(ctx, params, arrays):
    """Several steps of an update rule from a given config (None: the rule's defaults);
    returns w after every step and the final config's numeric entries."""
    name = params["rule"]
    rule = _function(ctx, params["module"], name)
    if params["config"] is None:
        config = None
    else:
        config = dict(params["config"])
        for key in params.get("config_arrays", []):
            config[key] = np.array(arrays[f"c.{key}"], copy=True)
    w = np.array(arrays["w"], copy=True)
    result = {}
    for i in range(params["steps"]):
        # as the Solver does: the rule gets what it returned last time (the very array, which it may
        # update in place and return again); what is recorded is a copy taken at once
        next_w, config = _tuple(rule(w, np.array(arrays[f"dw{i}"], copy=True), config), 2, name)
        result[f"w{i + 1}"] = _array(next_w, f"{name}: next_w")
        w = next_w
        if not isinstance(config, dict):
            raise TypeError(f"{name} must return (next_w, config) with config a dict, got {type(config).__name__}")
    info = {"config_keys": sorted(str(k) for k in config)}
    for key, v in config.items():
        try:
            arr = np.array(v, copy=True, subok=False)
        except Exception:  # noqa: BLE001 - a student's odd config entry is only not reported
            continue
        if arr.dtype.kind in "biuf":
            result[f"c.{key}"] = arr
    result["info"] = info
    return result


def _install(model, names, arrays, dtype):
    """Set model.params[k] for every k the parent drew (cast to the model's dtype)."""
    for k in names:
        current = model.params.get(k)
        target = np.asarray(current).dtype if current is not None and hasattr(current, "dtype") else dtype
        model.params[k] = np.array(arrays[f"p.{k}"], dtype=target)


def _loss(model, X, y, cls, extra=None):
    res = model.loss(X, y, **(extra or {}))
    loss, grads = _tuple(res, 2, f"{cls}.loss")
    if not isinstance(grads, dict) or not grads:
        raise NotImplementedByStudent(f"{cls}.loss returned no gradients")
    return _array(loss, f"{cls}.loss: loss"), grads


@_driver
def model(ctx, params, arrays):
    """A model class: initial parameters (shapes, mean, std), then with the parent's parameters
    installed: training loss and gradients at each regularisation strength, test-mode scores
    after one training pass, and (optionally) numeric gradients of the student's own loss."""
    cls_name = params["cls"]
    dtype = constructor_kwargs(params["kwargs"]).get("dtype", np.float64)
    X, y = arrays["X"], arrays["y"].astype(np.int64)
    names = params["param_names"]
    result, info = {}, {"missing_grads": [], "init_dtype": {}}

    np.random.seed(params["seed"])
    m = construct(ctx, params["module"], cls_name, params["kwargs"])
    if not isinstance(getattr(m, "params", None), dict) or not m.params:
        raise NotImplementedByStudent(f"{cls_name}.params is empty")
    for k, v in m.params.items():
        a = _array(v, f"{cls_name}.params['{k}']")
        key = str(k)
        result[f"init.shape.{key}"] = np.array(a.shape, dtype=np.float64)
        result[f"init.mean.{key}"] = a.mean() if a.size else 0.0
        result[f"init.std.{key}"] = a.std() if a.size else 0.0
        info["init_dtype"][key] = _dtype(a)
    info["init_names"] = sorted(str(k) for k in m.params)

    last = None
    reg_arg = params.get("reg_arg", "reg")
    at_loss = params.get("reg_at") == "loss"  # the strength is an argument of loss(), not of the class

    def made(kwargs, reg):
        return construct(ctx, params["module"], cls_name, kwargs if at_loss else {**kwargs, reg_arg: reg})

    def reg_kw(reg):
        return {reg_arg: reg} if at_loss else None

    for r, reg in enumerate(params["regs"]):
        np.random.seed(params["seed"])
        m = made(params["kwargs"], reg)
        _install(m, names, arrays, dtype)
        loss, grads = _loss(m, X, y, cls_name, reg_kw(reg))
        result[f"r{r}.loss"] = loss
        for k in names:
            if k in grads:
                result[f"r{r}.g.{k}"] = _array(grads[k], f"{cls_name}.loss: grads['{k}']")
            elif k not in info["missing_grads"]:
                info["missing_grads"].append(k)
        if r == 0:
            result["r0.loss_again"] = _loss(m, X, y, cls_name, reg_kw(reg))[0]
            scores = m.loss(X)
            result["scores"] = _array(scores, f"{cls_name}.loss(X): scores")
        last = m

    if params.get("seed2") is not None:  # randomness in training: another seed
        np.random.seed(params["seed"])
        m2 = construct(ctx, params["module"], cls_name, {**params["kwargs"], "seed": params["seed2"]})
        _install(m2, names, arrays, dtype)
        result["loss_seed2"] = _loss(m2, X, y, cls_name, reg_kw(params["regs"][0]))[0]
    if params.get("plain_kwargs"):  # the same model without the randomness, at both strengths
        for key, reg in (("loss_plain", params["regs"][0]), ("loss_plain_reg", params["regs"][-1])):
            np.random.seed(params["seed"])
            m3 = made({**params["kwargs"], **params["plain_kwargs"]}, reg)
            _install(m3, names, arrays, dtype)
            result[key] = _loss(m3, X, y, cls_name, reg_kw(reg))[0]

    numeric = params.get("numeric")
    if numeric and last is not None:
        r = len(params["regs"]) - 1
        last_reg = reg_kw(params["regs"][r])
        for i, k in enumerate(names):
            if f"r{r}.g.{k}" not in result or k not in last.params:
                continue
            p = last.params[k]
            if not isinstance(p, np.ndarray) or p.dtype != np.float64:
                continue  # numeric gradients only in float64
            coords = _coords(p.size, numeric["coords"], numeric["seed"] + i)
            ana = _sampled(result[f"r{r}.g.{k}"], p, coords)
            if ana is None:
                continue
            result[f"num.{k}"] = _centred(lambda: float(_loss(last, X, y, cls_name, last_reg)[0]), p, coords,
                                          numeric.get("h", 1e-5))
            result[f"ana.{k}"] = ana
    result["info"] = info
    return result




# ----------------------------------------------------------------------------- recording calls


MAX_RECORDED = 200  # calls recorded per task (the parent replays them in order)


class _Recorder:
    """Records every call to some functions of the working copy: the array arguments, the state of
    dict arguments after the call (e.g. running averages in bn_param), and the outputs (arrays, or
    tokens standing for objects such as caches, which later calls may receive back)."""

    def __init__(self):
        self.calls, self.arrays, self.tokens, self.keep = [], {}, {}, []

    def _item(self, value, key):
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" or isinstance(value, (int, float, np.number)) \
                and not isinstance(value, bool):
            self.arrays[key] = np.array(value, copy=True)
            return ["a", key]
        if id(value) in self.tokens:
            return ["t", self.tokens[id(value)]]
        if isinstance(value, dict):
            return ["d", {str(k): v for k, v in value.items() if isinstance(v, (str, bool))}]
        return ["o"]

    def _out(self, value, key, token):
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" or isinstance(value, (int, float, np.number)) \
                and not isinstance(value, bool):
            self.arrays[key] = np.array(value, copy=True)
            return ["a", key]
        self.tokens[id(value)] = token
        self.keep.append(value)  # ids stay unique while the record lives
        return ["t", token]

    def wrap(self, qualname, fn):
        def recorded(*args, **kwargs):
            k = len(self.calls)
            if k >= MAX_RECORDED:
                return fn(*args, **kwargs)
            entry = {"name": qualname, "args": [self._item(a, f"rec.{k}.a{j}") for j, a in enumerate(args)],
                     "kwargs": sorted(str(key) for key in kwargs)}
            self.calls.append(entry)
            result = fn(*args, **kwargs)
            items = result if isinstance(result, tuple) else (result,)
            entry["tuple"] = isinstance(result, tuple)
            entry["out"] = [self._out(v, f"rec.{k}.o{i}", f"{k}.{i}") for i, v in enumerate(items)]
            entry["dicts"] = {}
            for j, a in enumerate(args):
                if isinstance(a, dict):
                    keys = []
                    for key, v in a.items():
                        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
                            self.arrays[f"rec.{k}.d{j}.{key}"] = np.array(v, copy=True)
                            keys.append(str(key))
                    entry["dicts"][str(j)] = keys
            return result

        return recorded


@_driver
def recorded(ctx, params, arrays):
    """The task params["inner"] (its driver and params) with every call to the functions
    params["record"] names ({qualified name: [module, function]}) recorded, wherever the working
    copy's modules refer to them: the parent replays these calls into the reference (a caller
    judged given its own callees' answers). Outputs: the inner driver's, plus rec.* arrays and
    info["record"] (the calls in order)."""
    for m in params.get("modules", []):
        _module(ctx, m)
    rec = _Recorder()
    root = str(getattr(ctx, "workdir", "") or "").rstrip("/")
    patched = []
    for qualname, (module, name) in params["record"].items():
        original = getattr(_module(ctx, module), name, None)
        if original is None:
            continue
        wrapper = rec.wrap(qualname, original)
        for mod in list(sys.modules.values()):
            path = str(getattr(mod, "__file__", None) or "")
            d = getattr(mod, "__dict__", None)
            if not root or not path.startswith(root + "/") or d is None:
                continue
            for attr, value in list(d.items()):
                if value is original:
                    d[attr] = wrapper
                    patched.append((d, attr, original))
    try:
        inner = params["inner"]
        out = DRIVERS[inner["driver"]](ctx, inner["params"], arrays)
    finally:
        for d, attr, original in patched:
            d[attr] = original
    out = dict(out)
    out.update(rec.arrays)
    info = dict(out.get("info") or {})
    info["record"] = rec.calls
    out["info"] = info
    return out
