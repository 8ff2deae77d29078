"""Hints: the generic ones (grader/check/diagnose.py) and the family's classic-bug signatures
(grader/courses/family/hints.py); each recognises its bug and only its bug."""

import numpy as np

from grader.check import diagnose
from grader.check.diagnose import Evidence
from grader.courses.family import hints as family


def ev(key, actual, expected=None, arrays=None, params=None, error=None, case="c"):
    return Evidence("f", case, key, actual or {}, expected or {}, arrays or {}, params or {}, {}, error)


def test_matches_treats_nan_positions_as_part_of_the_signature():
    assert diagnose.matches(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    assert not diagnose.matches(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))
    assert not diagnose.matches(np.ones(2), np.ones(3))


def test_generic_factor_and_sign():
    e = np.array([1.0, -2.0, 0.5])
    assert "wrong sign" in diagnose.diagnose((), ev("dx", {"dx": -e}, {"dx": e}))
    assert "3 times" in diagnose.diagnose((), ev("dx", {"dx": 3 * e}, {"dx": e}))
    assert diagnose.diagnose((), ev("dx", {"dx": e + 0.1}, {"dx": e})) is None


def test_relu_mask_hints():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    arrays = {"x": x, "dout": dout}
    assert "wrong comparison" in family.HINTS["relu_mask"](ev("dx", {"dx": dout * (x < 0)}, arrays=arrays))
    assert "always true" in family.HINTS["relu_mask"](ev("dx", {"dx": dout.copy()}, arrays=arrays))
    assert family.HINTS["relu_mask"](ev("dx", {"dx": dout * (x > 0)}, arrays=arrays)) is None


def _bn_backward(x, gamma, dout, eps=1e-5):
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    g = dout * gamma
    return (g - g.mean(0) - xhat * (g * xhat).mean(0)) / np.sqrt(var + eps), xhat


def test_batchnorm_backward_terms():
    rng = np.random.default_rng(1)
    x, gamma, dout = 3 * rng.standard_normal((6, 4)) + 2, rng.standard_normal(4), rng.standard_normal((6, 4))
    arrays = {"x": x, "gamma": gamma, "dout": dout}
    params = {"values": {"bn_param": {"mode": "train"}}}
    right, xhat = _bn_backward(x, gamma, dout)
    istd = 1 / np.sqrt(x.var(0) + 1e-5)
    no_var = (dout * gamma - (dout * gamma).mean(0)) * istd
    hint = family.HINTS["bn_backward_terms"]
    assert "variance term" in hint(ev("dx", {"dx": no_var}, arrays=arrays, params=params))
    assert "both" in hint(ev("dx", {"dx": dout * gamma * istd}, arrays=arrays, params=params))
    assert hint(ev("dx", {"dx": right}, arrays=arrays, params=params)) is None


def test_adam_hints_on_several_steps_starting_from_t0():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 4))
    dws = [rng.standard_normal((3, 4)) for _ in range(3)]
    arrays = {"w": w, **{f"dw{i}": d for i, d in enumerate(dws)}}
    params = {"steps": 3, "config": {"learning_rate": 1e-2}, "config_arrays": []}
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    cfg = dict(defaults, learning_rate=1e-2, m=np.zeros_like(w), v=np.zeros_like(w), t=0)
    late = family._simulate(family._adam(increment_first=False), w, dws, dict(cfg))
    raw = family._simulate(family._adam(correct=False), w, dws, dict(cfg))
    right = family._simulate(family._adam(), w, dws, dict(cfg))
    hint = family.HINTS["adam_variants"]
    assert "BEFORE" in hint(ev("w1", {f"w{i + 1}": v for i, v in enumerate(late)}, arrays=arrays, params=params))
    assert "bias correction" in hint(ev("w1", {f"w{i + 1}": v for i, v in enumerate(raw)}, arrays=arrays, params=params))
    assert hint(ev("w1", {f"w{i + 1}": v for i, v in enumerate(right)}, arrays=arrays, params=params)) is None


def test_regularisation_hints():
    rng = np.random.default_rng(3)
    arrays = {"p.W1": rng.standard_normal((3, 4)), "p.W2": rng.standard_normal((4, 2)), "p.b1": rng.standard_normal(4),
              "p.gamma1": rng.standard_normal(4)}
    reg = 0.7
    sq = {k: float(np.sum(v**2)) for k, v in arrays.items()}
    w = sq["p.W1"] + sq["p.W2"]
    hint = family.HINTS["reg_variants"]
    params = {"regs": [0.0, reg], "param_names": ["W1", "W2"]}

    def loss(l1):
        return hint(ev("loss", {"r0.loss": np.array(1.0), "r1.loss": np.array(l1)}, arrays=arrays, params=params))

    assert loss(1.0 + 0.5 * reg * w) is None
    assert "0.5" in loss(1.0 + reg * w)
    assert "last layer" in loss(1.0 + 0.5 * reg * sq["p.W1"])
    assert "gamma/beta" in loss(1.0 + 0.5 * reg * (w + sq["p.gamma1"]))
    grads = {"r0.g.W1": np.zeros((3, 4)), "r0.g.W2": np.zeros((4, 2)),
             "r1.g.W1": 2 * reg * arrays["p.W1"], "r1.g.W2": 2 * reg * arrays["p.W2"]}
    assert "2 * reg * W" in hint(ev("grads", grads, arrays=arrays, params=params))


def test_conv_stride_signature_across_cases():
    rows = [("stride1", {"conv_param": {"stride": 1}}, "passed"), ("stride2", {"conv_param": {"stride": 2}}, "failed")]
    assert "stride 1" in diagnose.across_cases(("stride_only",), rows, family.HINTS)["stride2"]
    rows[0] = ("stride1", {"conv_param": {"stride": 1}}, "failed")
    assert diagnose.across_cases(("stride_only",), rows, family.HINTS) == {}


def test_error_message_hints():
    assert "not defined" in diagnose.diagnose((), ev(None, {}, error="NameError: name 'xs' is not defined"))
    text = "TypeError: 'float' object cannot be interpreted as an integer"
    assert "//" in diagnose.diagnose(("float_pad",), ev(None, {}, error=text), family.HINTS)
