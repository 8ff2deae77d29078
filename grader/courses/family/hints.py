"""The classic bugs of the CS231n assignment-2 family, as hints a profile registers by name.

Each hint looks at the evidence of one failed check (the student's outputs, the expected ones,
the inputs; plain numbers, never student code) and names the bug when the student's numbers
match what a known buggy variant returns on the same inputs. Seen in real submissions: see
docs/grading-policy.md and the courses' catalogues of mutants.
"""

from __future__ import annotations

import re

import numpy as np

from ...check.compare import best_ratio, rel_error  # noqa: F401 (hints may use them)
from ...check.diagnose import Evidence, matches

HINTS: dict = {}


def _hint(fn):
    HINTS[fn.__name__] = fn
    return fn


# ----------------------------------------------------------------------------- layers


@_hint
def affine_dx_not_reshaped(ev: Evidence) -> str | None:
    a, x = ev.actual.get("dx"), ev.arrays.get("x")
    if a is None or x is None or np.shape(a) == np.shape(x) or np.size(a) != np.size(x):
        return None
    return f"dx has shape {tuple(np.shape(a))}, not the shape of x {tuple(np.shape(x))}: forgot to reshape dx"


@_hint
def relu_mask(ev: Evidence) -> str | None:
    a, x, dout = ev.actual.get("dx"), ev.arrays.get("x"), ev.arrays.get("dout")
    if a is None or x is None or dout is None:
        return None
    if matches(a, dout):
        return "does not mask the gradient: the mask is always true (e.g. a comparison on the output, out >= 0)"
    if matches(a, dout * (x < 0)) or matches(a, dout * (x <= 0)):
        return "masks with the wrong comparison: passes the gradient where x < 0 instead of x > 0"
    return None


def _bn_pieces(x, gamma, eps, axis):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    istd = 1.0 / np.sqrt(var + eps)
    return (x - mu) * istd, istd


def _norm_backward_hint(ev: Evidence, axis: int, eps_key: str) -> str | None:
    if ev.key != "dx":
        return None
    x, gamma, dout = (np.asarray(ev.arrays[k], dtype=np.float64) for k in ("x", "gamma", "dout"))
    eps = (ev.params.get("values", {}).get(eps_key) or {}).get("eps", 1e-5)
    xhat, istd = _bn_pieces(x, gamma, eps, axis)
    g = dout * gamma
    n = x.shape[axis]
    mean_g = g.mean(axis=axis, keepdims=True)
    mean_gx = (g * xhat).mean(axis=axis, keepdims=True)
    a = ev.actual.get("dx")
    if matches(a, g * istd):
        return "dx misses both the mean and the variance terms (treats the batch statistics as constants)"
    if matches(a, (g - mean_g) * istd):
        return "dx misses the variance term (the gradient through the variance)"
    if matches(a, (g - xhat * mean_gx) * istd):
        return "dx misses the mean term (the gradient through the mean)"
    if matches(a, (g - mean_g - xhat * mean_gx) * istd * (n - 1) / n):
        return "dx uses N - 1 where the (biased) variance has N"
    return None


@_hint
def bn_backward_terms(ev: Evidence) -> str | None:
    return _norm_backward_hint(ev, 0, "bn_param")


@_hint
def ln_backward_terms(ev: Evidence) -> str | None:
    return _norm_backward_hint(ev, 1, "ln_param")


def _spatial_no_transpose(x, gamma, beta, eps, dout=None):
    """Spatial batchnorm computed the buggy way: x.reshape(-1, C) without moving C last."""
    N, C, H, W = x.shape
    rows = x.reshape(-1, C)  # mixes channels and positions
    xhat, istd = _bn_pieces(rows, gamma, eps, 0)
    out = (gamma * xhat + beta).reshape(N, C, H, W)
    if dout is None:
        return out, None
    g = dout.reshape(-1, C) * gamma
    dx = (g - g.mean(0) - xhat * (g * xhat).mean(0)) * istd
    return out, dx.reshape(N, C, H, W)


@_hint
def spatial_bn_no_transpose(ev: Evidence) -> str | None:
    x = np.asarray(ev.arrays["x"], dtype=np.float64)
    gamma, beta = (np.asarray(ev.arrays[k], dtype=np.float64) for k in ("gamma", "beta"))
    eps = (ev.params.get("values", {}).get("bn_param") or {}).get("eps", 1e-5)
    dout = ev.arrays.get("dout")
    out, dx = _spatial_no_transpose(x, gamma, beta, eps, None if dout is None else np.asarray(dout, np.float64))
    if ev.key == "out" and matches(ev.actual.get("out"), out):
        return "reshapes x to (N*H*W, C) without first moving the channel axis last (transpose)"
    if ev.key == "dx" and dx is not None and matches(ev.actual.get("dx"), dx):
        return "reshapes to (N*H*W, C) without first moving the channel axis last (transpose)"
    return None


@_hint
def float_pad(ev: Evidence) -> str | None:
    err = ev.error or ""
    if re.search(r"float|integ|slice ind", err) and re.search(r"pad|slice|index|integ", err, re.I):
        return "a padding or size computed with / is a float under Python 3: use // (e.g. pad = (filter_size - 1) // 2)"
    return None


@_hint
def pad_zero_slice(ev: Evidence) -> str | None:
    """dx cropped with [pad:-pad], which is empty when pad is 0 (-0 is 0)."""
    pad = ((ev.params.get("values") or {}).get("conv_param") or {}).get("pad")
    x = ev.arrays.get("x")
    if pad == 0 and x is not None:
        got = ev.actual.get("dx")
        if (got is not None and 0 in np.shape(got)) or re.search(r"shape \(\d+, ?0|\(\d+, ?\d+, ?0, ?0\)", ev.error or ""):
            return ("dx is cropped with [pad:-pad], which is empty when pad is 0 (-0 is 0): crop with "
                    "[pad:pad + H, pad:pad + W]")
    return None


@_hint
def svm_correct_class(ev: Evidence) -> str | None:
    a, e = ev.actual.get("loss"), ev.expected.get("loss")
    if ev.key == "loss" and a is not None and e is not None and abs(float(a) - float(e) - 1.0) < 1e-6:
        return "loss is 1 too large: the correct class's own margin (always 1) is counted"
    return None


@_hint
def softmax_overflow(ev: Evidence) -> str | None:
    a = ev.actual.get(ev.key)
    if ev.case == "large_scores" and a is not None and not np.all(np.isfinite(a)):
        return "overflows on large scores: subtract each row's maximum score before exponentiating"
    return None


# ----------------------------------------------------------------------------- update rules


def _simulate(step, w, dws, config):
    """w after each step of an update rule written in numpy (a variant), config a dict of arrays/numbers."""
    out = []
    cfg = {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v) for k, v in config.items()}
    with np.errstate(all="ignore"):
        for dw in dws:
            w = step(w, dw, cfg)
            out.append(w)
    return out


def _optim_inputs(ev: Evidence, defaults: dict, state: dict):
    p = ev.params
    w = np.asarray(ev.arrays["w"], dtype=np.float64)
    dws = [np.asarray(ev.arrays[f"dw{i}"], dtype=np.float64) for i in range(p["steps"])]
    cfg = dict(defaults)
    cfg.update(p.get("config") or {})
    for k in p.get("config_arrays", []):
        cfg[k] = np.asarray(ev.arrays[f"c.{k}"], dtype=np.float64)
    for k, v in state.items():
        cfg.setdefault(k, np.zeros_like(w) if v == "zeros" else v)
    return w, dws, cfg


def _variant_hint(ev: Evidence, defaults, state, variants) -> str | None:
    w, dws, cfg = _optim_inputs(ev, defaults, state)
    ws = [ev.actual.get(f"w{i + 1}") for i in range(len(dws))]
    if any(a is None for a in ws):
        return None
    for text, step in variants:
        sim = _simulate(step, w, dws, dict(cfg))
        if all(matches(a, s, 1e-6) for a, s in zip(ws, sim)):
            return text
    return None


def _momentum(sign_w=1.0, sign_dw=-1.0, double=False):
    def step(w, dw, c):
        c["velocity"] = c["momentum"] * c["velocity"] + sign_dw * c["learning_rate"] * dw
        return 2 * c["velocity"] if double else w + sign_w * c["velocity"]

    return step


@_hint
def momentum_variants(ev: Evidence) -> str | None:
    defaults, state = {"learning_rate": 1e-2, "momentum": 0.9}, {"velocity": "zeros"}
    return _variant_hint(ev, defaults, state, (
        ("momentum step with the wrong sign (next_w = w - v with v = mu*v - lr*dw)", _momentum(sign_w=-1.0)),
        ("momentum step with the wrong sign (v = mu*v + lr*dw, so w climbs the gradient)", _momentum(sign_dw=1.0)),
        ("next_w = v + v: the weights are replaced by twice the velocity (meant next_w = w + v)", _momentum(double=True)),
    ))


def _rmsprop(sqrt=True, eps=None, cache="cache"):
    def step(w, dw, c):
        c[cache] = c["decay_rate"] * c[cache] + (1 - c["decay_rate"]) * dw**2
        e = c["epsilon"] if eps is None else eps
        return w - c["learning_rate"] * dw / ((np.sqrt(c[cache]) if sqrt else c[cache]) + e)

    return step


def rmsprop_variants_for(cache: str = "cache"):
    """The rmsprop hint of a course whose moving average of squared gradients is config[cache]."""

    def rmsprop_variants(ev: Evidence) -> str | None:
        defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
        return _variant_hint(ev, defaults, {cache: "zeros"}, (
            (f"divides by config['{cache}'] without the square root", _rmsprop(sqrt=False, cache=cache)),
            ("epsilon is 1e5 instead of 1e-8 (the steps almost vanish)", _rmsprop(eps=1e5, cache=cache)),
        ))

    return rmsprop_variants


def _adam(increment_first=True, correct=True, m_key="m", v_key="v"):
    def step(w, dw, c):
        if increment_first:
            c["t"] = c["t"] + 1
        t = c["t"]
        c[m_key] = c["beta1"] * c[m_key] + (1 - c["beta1"]) * dw
        c[v_key] = c["beta2"] * c[v_key] + (1 - c["beta2"]) * dw**2
        m, v = c[m_key], c[v_key]
        if correct:
            m, v = m / (1 - c["beta1"] ** t), v / (1 - c["beta2"] ** t)
        if not increment_first:
            c["t"] = c["t"] + 1
        return w - c["learning_rate"] * m / (np.sqrt(v) + c["epsilon"])

    return step


def adam_variants_for(first: str = "m", second: str = "v"):
    """The adam hint of a course keeping the first moment in config[first], the second in config[second]."""

    def adam_variants(ev: Evidence) -> str | None:
        defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
        keys = {"m_key": first, "v_key": second}
        return _variant_hint(ev, defaults, {first: "zeros", second: "zeros", "t": 0}, (
            ("t is incremented after it is used: increment t BEFORE the bias correction",
             _adam(increment_first=False, **keys)),
            (f"no bias correction of config['{first}'] and config['{second}']", _adam(correct=False, **keys)),
        ))

    return adam_variants


HINTS["rmsprop_variants"] = rmsprop_variants_for("cache")
HINTS["adam_variants"] = adam_variants_for("m", "v")


def _nesterov(variant: str):
    def step(w, dw, c):
        mu, lr = c["momentum"], c["learning_rate"]
        old = c["velocity"]
        c["velocity"] = new = mu * old - lr * dw
        if variant == "momentum":
            return w + new
        if variant == "sign":
            return w + mu * old + (1 + mu) * new
        return w + mu * old - (1 + mu) * lr * dw  # "lookahead": the momentum term counted once

    return step


@_hint
def nesterov_variants(ev: Evidence) -> str | None:
    """Nesterov momentum written as its classic wrong forms (the right one: v_new = mu * v - lr * dw,
    next_w = w + v_new + mu * (v_new - v))."""
    defaults, state = {"learning_rate": 1e-2, "momentum": 0.9}, {"velocity": "zeros"}
    return _variant_hint(ev, defaults, state, (
        ("this is plain momentum (next_w = w + v): Nesterov's step adds the look-ahead mu * (v_new - v)",
         _nesterov("momentum")),
        ("the look-ahead has the wrong sign: next_w = w - mu * v + (1 + mu) * v_new", _nesterov("sign")),
        ("next_w = w + mu * v - (1 + mu) * lr * dw uses the old velocity where Nesterov's step uses the new one "
         "(next_w = w + v_new + mu * (v_new - v))", _nesterov("lookahead")),
    ))


def optim_state_keys(state: dict, elsewhere: dict):
    """A hint for an update rule whose state a course keeps under its own keys: `state` maps each
    key to what it holds ({"a": "the moving average of the squared gradients"}), `elsewhere` each
    key to the names other courses give it ({"a": ("cache",)}). It names the state kept under
    another course's key, or two keys holding each other's values."""

    def hint(ev: Evidence) -> str | None:
        keys = set((ev.info or {}).get("config_keys") or ())
        for a, b in [(a, b) for a in state for b in state if a < b]:
            ga, gb = ev.actual.get(f"c.{a}"), ev.actual.get(f"c.{b}")
            ea, eb = ev.expected.get(f"c.{a}"), ev.expected.get(f"c.{b}")
            if matches(ga, eb) and matches(gb, ea) and not matches(ga, ea):
                return (f"config['{a}'] and config['{b}'] are swapped: config['{a}'] holds {state[a]}, "
                        f"config['{b}'] {state[b]}")
        for key, others in elsewhere.items():
            for other in others:
                if other in keys and (key not in keys or matches(ev.actual.get(f"c.{other}"), ev.expected.get(f"c.{key}"))):
                    return f"keeps {state[key]} in config['{other}']; this course stores it in config['{key}']"
        return None

    return hint


# ----------------------------------------------------------------------------- models


def _weights(arrays: dict) -> list[str]:
    return sorted((k[2:] for k in arrays if re.fullmatch(r"p\.W\d+", k)), key=lambda k: int(k[1:]))


def reg_terms(arrays: dict, reg: float) -> list[tuple[str, float]]:
    """The regularisation term of the loss, correct and as the classic bugs compute it."""
    sq = {k[2:]: float(np.sum(np.asarray(v, dtype=np.float64) ** 2)) for k, v in arrays.items() if k.startswith("p.")}
    ws = _weights(arrays)
    norm = [k for k in sq if k.startswith(("gamma", "beta"))]
    bias = [k for k in sq if re.fullmatch(r"b\d+", k)]
    total_w = sum(sq[k] for k in ws)
    out = [
        ("correct", 0.5 * reg * total_w),
        ("the regularisation term lacks the 0.5 factor (reg * sum W**2)", reg * total_w),
        ("the regularisation misses the last layer's weights", 0.5 * reg * sum(sq[k] for k in ws[:-1])),
        ("no regularisation term in the loss", 0.0),
    ]
    if norm:
        out.append(("gamma/beta are regularised too (only the weights should be)",
                    0.5 * reg * (total_w + sum(sq[k] for k in norm))))
    if bias:
        out.append(("the biases are regularised too (only the weights should be)",
                    0.5 * reg * (total_w + sum(sq[k] for k in bias))))
    return out


def _reg_loss(arrays: dict, reg: float, loss0: float, loss_reg: float) -> str | None:
    """Which regularisation term the student's loss difference (loss at reg minus at 0) matches."""
    diff = loss_reg - loss0
    for text, term in reg_terms(arrays, reg):
        if abs(diff - term) <= 1e-6 * max(1.0, abs(term)):
            return None if text == "correct" else text
    return None


def _reg_grads(arrays: dict, reg: float, g0: dict, g1: dict) -> str | None:
    """Which regularisation gradient the student's (grad at reg minus at 0) matches."""
    ws = _weights(arrays)
    diffs = {k: np.asarray(g1[k]) - np.asarray(g0[k]) for k in g0 if k in g1}
    if not all(k in diffs for k in ws):
        return None
    W = {k: np.asarray(arrays[f"p.{k}"], dtype=np.float64) for k in ws}

    def all_match(factor, skip_last=False):
        return all(matches(diffs[k], (0 if skip_last and k == ws[-1] else factor) * reg * W[k], 1e-5) for k in ws)

    if all_match(1.0):
        for k in diffs:
            if k.startswith(("gamma", "beta")) and not np.allclose(diffs[k], 0, atol=1e-9):
                return "gamma/beta get a regularisation gradient (only the weights should be regularised)"
        return None
    if all_match(2.0):
        return "the regularisation gradient is 2 * reg * W (drop the factor 2 or keep the 0.5 in the loss)"
    if all_match(1.0, skip_last=True):
        return "the regularisation gradient misses the last layer's weights"
    if all_match(0.0):
        return "no regularisation gradient"
    return None


@_hint
def reg_variants(ev: Evidence) -> str | None:
    """L2 regularisation of a model: the term (loss) or its gradient (grads) as the classic bugs
    compute them, read from the losses and gradients at reg = 0 and at the second strength."""
    regs = ev.params.get("regs") or []
    if len(regs) < 2:
        return None
    out = ev.actual
    if ev.key == "loss":
        l0, l1 = out.get("r0.loss"), out.get("r1.loss")
        if l0 is None or l1 is None or np.size(l0) != 1 or np.size(l1) != 1:
            return None
        return _reg_loss(ev.arrays, regs[1], float(l0), float(l1))
    if ev.key == "grads":
        names = ev.params.get("param_names") or []
        g0 = {k: out[f"r0.g.{k}"] for k in names if f"r0.g.{k}" in out}
        g1 = {k: out[f"r1.g.{k}"] for k in names if f"r1.g.{k}" in out}
        return _reg_grads(ev.arrays, regs[1], g0, g1)
    return None


def transposed_two_layer(first: str = "(H, D)", second: str = "(C, H)"):
    """A hint for a two-layer net whose weights are stored one row per unit (W1 of shape (H, D),
    W2 of shape (C, H)): computed as X W1 (the other courses' orientation) the shapes do not fit."""

    def hint(ev: Evidence) -> str | None:
        err = ev.error or ""
        if re.search(r"shapes .* not aligned|matmul|mismatch in its core dimension|operands could not be broadcast", err):
            return (f"the weights are used in the other orientation: this net stores W1 as {first} and W2 as {second} "
                    "(one row per unit), so the hidden layer is X W1^T + b1 and the scores h W2^T + b2")
        return None

    return hint


@_hint
def dropout_skipped(ev: Evidence) -> str | None:
    """The net with dropout computes exactly the loss of the net without it."""
    loss, plain = ev.actual.get("r0.loss"), ev.actual.get("loss_plain")
    if ev.key == "loss" and loss is not None and plain is not None and rel_error(loss, plain) <= 1e-8:
        return "dropout is silently skipped in the network (is its output assigned to the variable used next?)"
    return None


# ----------------------------------------------------------------------------- across cases


@_hint
def stride_only(rows) -> dict[str, str]:
    """Right at stride 1, wrong at a larger stride (rows: (case, case params, status))."""
    hints: dict[str, str] = {}
    strides = {case: (params.get("conv_param") or {}).get("stride") for case, params, _ in rows}
    ok1 = any(status == "passed" and strides[case] == 1 for case, _, status in rows)
    for case, _, status in rows:
        if ok1 and status == "failed" and (strides[case] or 1) > 1:
            hints[case] = "correct at stride 1 but wrong at a larger stride: check how the stride enters the window indices"
    return hints
