"""The reference layers (reference/cs231n/layers.py, layer_utils.py) against the public
check values of the course notebooks, and every backward pass against a float64
numerical gradient of its own forward pass."""

import numpy as np
import pytest

from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n.layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    conv_backward_naive,
    conv_forward_naive,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
    svm_loss,
)

# Ceilings on rel_error (the notebooks' max elementwise relative error) for the float64 numerical
# checks (centred differences, h = 1e-5). The error is rounding noise in f divided by the gradient's
# smallest entry, so it is heavy-tailed over inputs: it depends on the draw, not only on the layer.
# Ceilings sit ~4x above the worst of 120 random draws of each test's inputs (seed 231 itself gives
# 10-1000x less); the classic bugs give 1e-3 to 1.
TOL_EXACT = 1e-8  # relu, dropout, max pooling: gradients are copies of dout (worst 5e-11)
TOL_AFFINE = 1e-6  # worst 1.9e-7
TOL_CONV = 1e-5  # each dw entry sums many products, some nearly cancel (worst 2.4e-6)
TOL_NORM = 1e-6  # batchnorm, layernorm (worst 2.5e-7)
TOL_SPATIAL_NORM = 5e-5  # spatial batchnorm, groupnorm: statistics over many positions (worst 8.6e-6)
TOL_SANDWICH = 1e-5  # affine and conv sandwiches (worst 1.7e-6, away from ReLU kinks)


def numeric_grads(forward, args, dout, which):
    """Numerical gradients of sum(forward(*args)[0] * dout) w.r.t. args[i] for i in which.

    eval_numerical_gradient_array perturbs args[i] in place, so the closure sees it."""
    return [eval_numerical_gradient_array(lambda _: forward(*args)[0], args[i], dout) for i in which]


def assert_grads_match(forward, backward, args, tol, which=None, rng=None):
    """Run forward on args, backward on a random dout, and compare every gradient numerically."""
    rng = rng or np.random.default_rng(0)
    out, cache = forward(*args)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    which = range(len(grads)) if which is None else which
    for i, num in zip(which, numeric_grads(forward, args, dout, which)):
        assert grads[i].shape == args[i].shape, f"grad {i} has shape {grads[i].shape}, input {args[i].shape}"
        err = rel_error(grads[i], num)
        assert err < tol, f"gradient {i}: relative error {err:.3e} >= {tol:.0e}"


# ----------------------------------------------------------------------------- affine, relu


def test_affine_forward_check_value():
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, cache = affine_forward(x, w, b)
    expected = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    assert out.shape == (2, 3)
    assert rel_error(out, expected) < 1e-8
    assert cache[0] is x and cache[1] is w and cache[2] is b


def test_affine_backward_numeric_kdim_input():
    rng = np.random.default_rng(231)
    x = rng.standard_normal((5, 2, 3, 2))  # k = 3 trailing dims, D = 12
    w = rng.standard_normal((12, 4))
    b = rng.standard_normal(4)
    assert_grads_match(affine_forward, affine_backward, [x, w, b], TOL_AFFINE)


def test_relu_forward_check_value():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    expected = np.zeros((3, 4))
    expected[1, 2:] = [0.04545455, 0.13636364]
    expected[2] = [0.22727273, 0.31818182, 0.40909091, 0.5]
    assert rel_error(out, expected) < 5e-8


def test_relu_backward_numeric_and_mask():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the numeric gradient is meaningless
    assert_grads_match(relu_forward, relu_backward, [x], TOL_EXACT)
    # the gradient is masked by the input's sign, and exactly zero at and below zero
    dx = relu_backward(np.ones(5), np.array([-1.0, 0.0, 1e-12, 2.0, -3.0]))
    np.testing.assert_array_equal(dx, [0, 0, 1, 1, 0])


# ----------------------------------------------------------------------------- losses


def _small_scores():
    """The notebook's loss check: 50 examples, 10 classes, scores of order 1e-3."""
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)
    return x, y


@pytest.mark.parametrize(
    "loss_fn, expected_loss, tol",
    [(svm_loss, 9.0, 1e-8), (softmax_loss, np.log(10), 1e-7)],  # measured 1.4e-9 and 9.4e-9
    ids=["svm", "softmax"],
)
def test_loss_value_and_numeric_gradient(loss_fn, expected_loss, tol):
    x, y = _small_scores()
    loss, dx = loss_fn(x, y)
    assert abs(loss - expected_loss) < 0.02, loss  # all margins ~1 / uniform probabilities
    dx_num = eval_numerical_gradient(lambda x: loss_fn(x, y)[0], x, verbose=False)
    assert dx.shape == x.shape
    assert rel_error(dx, dx_num) < tol


@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss], ids=["svm", "softmax"])
def test_loss_is_averaged_over_the_batch(loss_fn):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    y = rng.integers(4, size=6)
    loss, dx = loss_fn(x, y)
    loss2, dx2 = loss_fn(np.concatenate([x, x]), np.concatenate([y, y]))
    assert np.isclose(loss, loss2)  # duplicating the batch changes neither the mean loss
    np.testing.assert_allclose(dx2[:6], dx / 2)  # ...nor the total gradient of one example


def test_svm_loss_against_plain_loops():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 5))
    y = rng.integers(5, size=7)
    expected = 0.0
    for i in range(7):
        for j in range(5):
            if j != y[i]:
                expected += max(0.0, x[i, j] - x[i, y[i]] + 1.0)
    assert np.isclose(svm_loss(x, y)[0], expected / 7)


def test_softmax_loss_leaves_input_alone_and_is_stable():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 6))
    y = rng.integers(6, size=8)
    big = x + 1000.0  # exp(1000) overflows without the max-subtraction
    before = big.copy()
    loss_big, dx_big = softmax_loss(big, y)
    np.testing.assert_array_equal(big, before)  # not modified in place
    loss, dx = softmax_loss(x, y)
    assert np.isfinite(loss_big) and np.all(np.isfinite(dx_big))
    assert np.isclose(loss_big, loss)  # softmax is shift-invariant
    np.testing.assert_allclose(dx_big, dx, atol=1e-12)
    # huge spreads too: a confident correct class costs ~0, a confident wrong one ~the gap
    s = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    loss_s, _ = softmax_loss(s, np.array([0, 0]))
    assert np.isclose(loss_s, 1000.0 / 2)


# ----------------------------------------------------------------------------- batchnorm


def _bn_activations(rng_seed=231, N=200):
    """The notebook's batchnorm input: relu(X W1) W2 with D1, D2, D3 = 50, 60, 3."""
    np.random.seed(rng_seed)
    D1, D2, D3 = 50, 60, 3
    X = np.random.randn(N, D1)
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    return np.maximum(0, X.dot(W1)).dot(W2)


def test_batchnorm_train_normalises_then_scales_and_shifts():
    a = _bn_activations()
    assert np.all(np.abs(a.mean(axis=0)) > 1)  # the raw activations are far from normalised
    out, _ = batchnorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-6)  # eps makes it a hair below 1
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
    out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-6)


def test_batchnorm_test_time_check_value():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    bn_param = {"mode": "train"}
    gamma, beta = np.ones(D3), np.zeros(D3)
    for _ in range(50):  # warm up the running averages
        X = np.random.randn(N, D1)
        a = np.maximum(0, X.dot(W1)).dot(W2)
        batchnorm_forward(a, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    X = np.random.randn(N, D1)
    a = np.maximum(0, X.dot(W1)).dot(W2)
    a_norm, _ = batchnorm_forward(a, gamma, beta, bn_param)
    np.testing.assert_allclose(a_norm.mean(axis=0), [-0.03927354, -0.04349152, -0.10452688], rtol=1e-6)
    np.testing.assert_allclose(a_norm.std(axis=0), [1.01531428, 1.01238373, 0.97819988], rtol=1e-7)


def test_batchnorm_running_averages_written_back_and_follow_momentum():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 4)).astype(np.float32) * 3 + 5
    bn_param = {"mode": "train"}
    batchnorm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32), bn_param)
    # defaults: zeros of x's dtype, momentum 0.9, biased batch variance
    assert bn_param["running_mean"].dtype == np.float32 and bn_param["running_var"].dtype == np.float32
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=0), rtol=1e-5)

    x = x.astype(np.float64)
    m0, v0 = rng.standard_normal(4), rng.random(4) + 0.5
    bn_param = {"mode": "train", "momentum": 0.7, "running_mean": m0.copy(), "running_var": v0.copy()}
    for step in range(3):  # every pass moves the averages, not just the last one
        batch = x + step
        batchnorm_forward(batch, np.ones(4), np.zeros(4), bn_param)
        m0 = 0.7 * m0 + 0.3 * batch.mean(axis=0)
        v0 = 0.7 * v0 + 0.3 * batch.var(axis=0)
        np.testing.assert_allclose(bn_param["running_mean"], m0, rtol=1e-12)
        np.testing.assert_allclose(bn_param["running_var"], v0, rtol=1e-12)


def test_batchnorm_test_mode_uses_running_stats_only():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 3)) * 2 + 1
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.1
    bn_param = {"mode": "test", "running_mean": mean.copy(), "running_var": var.copy(), "eps": 1e-3}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-12)
    np.testing.assert_array_equal(bn_param["running_mean"], mean)  # test mode does not update them
    np.testing.assert_array_equal(bn_param["running_var"], var)
    # one example at a time gives the same rows: no batch statistics involved
    row0, _ = batchnorm_forward(x[:1], gamma, beta, bn_param)
    np.testing.assert_allclose(row0, out[:1], rtol=1e-12)


def test_batchnorm_bad_mode_raises():
    x = np.ones((2, 3))
    with pytest.raises(ValueError):
        batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "validation"})


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt], ids=["graph", "alt"])
def test_batchnorm_backward_numeric(backward):
    rng = np.random.default_rng(231)
    N, D = 4, 5
    x = 5 * rng.standard_normal((N, D)) + 12
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)

    def forward(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta, {"mode": "train"})

    assert_grads_match(forward, backward, [x, gamma, beta], TOL_NORM)


def test_batchnorm_backwards_agree():
    rng = np.random.default_rng(9)
    x = 5 * rng.standard_normal((50, 20)) + 12
    gamma, beta = rng.standard_normal(20), rng.standard_normal(20)
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dout = rng.standard_normal((50, 20))
    for g1, g2 in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(g1, g2) < 1e-10


# ----------------------------------------------------------------------------- layernorm


def test_layernorm_row_stats():
    a = _bn_activations(N=4).T.copy()  # (3, 4): every row a different scale and offset
    a = np.concatenate([a, 7 * a + 3])
    out, _ = layernorm_forward(a, np.ones(4), np.zeros(4), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1, atol=1e-6)
    # the statistics are per row: scaling one row leaves every normalised row unchanged
    np.testing.assert_allclose(out[3:], out[:3], atol=1e-6)
    gamma, beta = np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 6.0, 7.0, 8.0])
    out2, _ = layernorm_forward(a, gamma, beta, {})
    np.testing.assert_allclose(out2, gamma * out + beta, rtol=1e-12)
    # eps comes from ln_param (default 1e-5): a constant row normalises to exactly 0
    const, _ = layernorm_forward(np.full((1, 4), 3.0), np.ones(4), np.zeros(4), {"eps": 1.0})
    np.testing.assert_array_equal(const, 0)
    x = np.array([[0.0, 2e-3]])  # var 1e-6: eps 1e-5 visibly shrinks the unit output
    small, _ = layernorm_forward(x, np.ones(2), np.zeros(2), {})
    np.testing.assert_allclose(small, [[-1e-3 / np.sqrt(1.1e-5), 1e-3 / np.sqrt(1.1e-5)]], rtol=1e-10)


def test_layernorm_backward_numeric():
    rng = np.random.default_rng(231)
    N, D = 4, 5
    x = 5 * rng.standard_normal((N, D)) + 12
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)

    def forward(x, gamma, beta):
        return layernorm_forward(x, gamma, beta, {})

    assert_grads_match(forward, layernorm_backward, [x, gamma, beta], TOL_NORM)


# ----------------------------------------------------------------------------- dropout


def test_dropout_keep_probability_check_values():
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    for p, zeros in [(0.25, 0.749784), (0.4, 0.600796), (0.7, 0.300740)]:
        out, (param, mask) = dropout_forward(x, {"mode": "train", "p": p})
        assert np.isclose((out == 0).mean(), zeros, atol=1e-6)  # p is the KEEP probability
        assert abs(out.mean() - x.mean()) < 0.05  # inverted: kept units scaled by 1/p
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / p)
        assert mask.shape == x.shape and param["p"] == p
        out_test, (_, mask_test) = dropout_forward(x, {"mode": "test", "p": p})
        np.testing.assert_array_equal(out_test, x)  # identity at test time
        assert mask_test is None


def test_dropout_seed_dtype_and_test_backward():
    x = np.random.default_rng(10).standard_normal((30, 40)).astype(np.float32)
    a, _ = dropout_forward(x, {"mode": "train", "p": 0.6, "seed": 123})
    b, _ = dropout_forward(x, {"mode": "train", "p": 0.6, "seed": 123})
    c, _ = dropout_forward(x, {"mode": "train", "p": 0.6, "seed": 124})
    np.testing.assert_array_equal(a, b)  # the seed key makes it deterministic
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32
    np.random.seed(123)  # the seed key seeds numpy's global generator, as the course does
    np.testing.assert_array_equal(a != 0, np.random.rand(30, 40) < 0.6)
    dout = np.ones_like(x)
    _, cache = dropout_forward(x, {"mode": "test", "p": 0.6})
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


def test_dropout_backward_numeric():
    x = np.random.default_rng(11).standard_normal((10, 10)) + 10
    param = {"mode": "train", "p": 0.2, "seed": 123}

    def forward(x):
        return dropout_forward(x, param)

    assert_grads_match(forward, dropout_backward, [x], TOL_EXACT)


# ----------------------------------------------------------------------------- conv


def _conv_loops(x, w, b, stride, pad):
    """Convolution written as plain scalar loops: an independent reference."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad : pad + H, pad : pad + W] = x
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[f]
                    for c in range(C):
                        for k in range(HH):
                            for m in range(WW):
                                total += xp[n, c, i * stride + k, j * stride + m] * w[f, c, k, m]
                    out[n, f, i, j] = total
    return out


def test_conv_forward_check_value():
    x = np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(out[0, 0], [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]], rtol=1e-7)
    np.testing.assert_allclose(out[1, 2], [[2.36270298, 2.36904306], [2.38090835, 2.38247847]], rtol=1e-8)
    np.testing.assert_array_equal(x, np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4))  # x not padded in place


CONV_CASES = {
    # name: (x shape, w shape, stride, pad)
    "s1p1_3x3": ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    "s2p1_3x3": ((2, 3, 5, 7), (4, 3, 3, 3), 2, 1),
    "s1p0_2x3": ((2, 3, 4, 5), (4, 3, 2, 3), 1, 0),
    "s2p1_2x3": ((2, 2, 6, 7), (3, 2, 2, 3), 2, 1),
    "s2p0_3x2": ((1, 2, 7, 6), (2, 2, 3, 2), 2, 0),
}


@pytest.mark.parametrize("case", CONV_CASES, ids=list(CONV_CASES))
def test_conv_forward_matches_loops(case):
    xs, ws, stride, pad = CONV_CASES[case]
    rng = np.random.default_rng(12)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out, _ = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    np.testing.assert_allclose(out, _conv_loops(x, w, b, stride, pad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES, ids=list(CONV_CASES))
def test_conv_backward_numeric(case):
    xs, ws, stride, pad = CONV_CASES[case]
    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    conv_param = {"stride": stride, "pad": pad}

    def forward(x, w, b):
        return conv_forward_naive(x, w, b, conv_param)

    assert_grads_match(forward, conv_backward_naive, [x, w, b], TOL_CONV)


# ----------------------------------------------------------------------------- max pooling


def _pool_loops(x, ph, pw, stride):
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = np.empty((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = x[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw].max()
    return out


def test_max_pool_forward_check_value():
    x = np.linspace(-0.3, 0.4, num=96).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(out[0, 0], [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]], rtol=1e-7)
    assert np.isclose(out[1, 2, 1, 1], 0.4)


POOL_CASES = {
    # name: (x shape, pool_height, pool_width, stride)
    "2x2s2": ((2, 3, 4, 6), 2, 2, 2),
    "3x2s1": ((2, 2, 5, 4), 3, 2, 1),  # non-square, overlapping windows
    "2x2s1": ((1, 2, 4, 5), 2, 2, 1),  # stride != pool size
    "2x3s3": ((2, 2, 5, 9), 2, 3, 3),  # stride > pool height: rows skipped
}


@pytest.mark.parametrize("case", POOL_CASES, ids=list(POOL_CASES))
def test_max_pool_forward_matches_loops(case):
    xs, ph, pw, stride = POOL_CASES[case]
    x = np.random.default_rng(13).standard_normal(xs)
    out, _ = max_pool_forward_naive(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    np.testing.assert_array_equal(out, _pool_loops(x, ph, pw, stride))


@pytest.mark.parametrize("case", POOL_CASES, ids=list(POOL_CASES))
def test_max_pool_backward_numeric(case):
    xs, ph, pw, stride = POOL_CASES[case]
    # a permutation keeps every value distinct and far (>> h) from its neighbours: no ties
    x = np.random.default_rng(231).permutation(np.prod(xs)).reshape(xs) * 0.1
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}

    def forward(x):
        return max_pool_forward_naive(x, pool_param)

    assert_grads_match(forward, max_pool_backward_naive, [x], TOL_EXACT)


def test_max_pool_backward_routes_to_one_element_per_window():
    x = np.zeros((2, 3, 4, 4))  # every window is a four-way tie
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = max_pool_forward_naive(x, pool_param)
    dx = max_pool_backward_naive(np.ones_like(out), cache)
    assert dx.shape == x.shape
    assert np.count_nonzero(dx) == out.size  # one winner per window, not all four
    assert dx.sum() == out.size
    windows = dx.reshape(2, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 2, 4)
    np.testing.assert_array_equal(windows.sum(axis=-1), 1)


# ----------------------------------------------------------------------------- spatial batchnorm


def test_spatial_batchnorm_check_values():
    np.random.seed(231)
    N, C, H, W = 2, 3, 4, 5
    x = 4 * np.random.randn(N, C, H, W) + 10
    out, _ = spatial_batchnorm_forward(x, np.ones(C), np.zeros(C), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-6)
    gamma, beta = np.asarray([3.0, 4.0, 5.0]), np.asarray([6.0, 7.0, 8.0])
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [6, 7, 8], rtol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [2.99999885, 3.99999804, 4.99999798], rtol=1e-8)
    # each channel normalised on its own (reshaping without moving channels last mixes them)
    expected = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, gamma[:, None, None] * expected + beta[:, None, None], rtol=1e-12)


def test_spatial_batchnorm_test_mode_and_running_stats():
    np.random.seed(231)
    N, C, H, W = 10, 4, 5, 6
    W_ = np.random.randn(C, C)
    bn_param = {"mode": "train"}
    for _ in range(50):
        x = np.tensordot(np.random.randn(N, C, H, W) * 2 + 3, W_, axes=(1, 0)).transpose(0, 3, 1, 2)
        spatial_batchnorm_forward(x, np.ones(C), np.zeros(C), bn_param)
    assert bn_param["running_mean"].shape == (C,) and bn_param["running_var"].shape == (C,)
    bn_param["mode"] = "test"
    x = np.tensordot(np.random.randn(N, C, H, W) * 2 + 3, W_, axes=(1, 0)).transpose(0, 3, 1, 2)
    out, _ = spatial_batchnorm_forward(x, np.ones(C), np.zeros(C), bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=0.15)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=0.15)


def test_spatial_batchnorm_backward_numeric():
    rng = np.random.default_rng(231)
    N, C, H, W = 2, 3, 4, 5
    x = 5 * rng.standard_normal((N, C, H, W)) + 12
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)

    def forward(x, gamma, beta):
        return spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})

    assert_grads_match(forward, spatial_batchnorm_backward, [x, gamma, beta], TOL_SPATIAL_NORM)


# ----------------------------------------------------------------------------- spatial groupnorm


def test_spatial_groupnorm_group_stats():
    np.random.seed(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 4 * np.random.randn(N, C, H, W) + 10
    ones, zeros = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
    out, _ = spatial_groupnorm_forward(x, ones, zeros, G, {})
    assert out.shape == x.shape
    groups = out.reshape(N, G, C // G, H, W)
    np.testing.assert_allclose(groups.mean(axis=(2, 3, 4)), 0, atol=1e-12)
    np.testing.assert_allclose(groups.std(axis=(2, 3, 4)), 1, atol=1e-6)
    # independent reference: each (example, group of consecutive channels) normalised on its own
    xg = x.reshape(N, G, -1)
    expected = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    gamma = np.arange(1.0, C + 1).reshape(1, C, 1, 1)
    beta = np.arange(-3.0, C - 3).reshape(1, C, 1, 1)
    out2, _ = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    np.testing.assert_allclose(out2, gamma * expected + beta, rtol=1e-12, atol=1e-14)
    # eps is read from gn_param
    out3, _ = spatial_groupnorm_forward(x, ones, zeros, G, {"eps": 100.0})
    assert np.all(out3.reshape(N, G, -1).std(axis=2) < 0.5)


@pytest.mark.parametrize("G", [1, 2, 6])
def test_spatial_groupnorm_backward_numeric(G):
    rng = np.random.default_rng(231)
    N, C, H, W = 2, 6, 3, 4
    x = 5 * rng.standard_normal((N, C, H, W)) + 12
    gamma, beta = rng.standard_normal((1, C, 1, 1)), rng.standard_normal((1, C, 1, 1))

    def forward(x, gamma, beta):
        return spatial_groupnorm_forward(x, gamma, beta, G, {})

    assert_grads_match(forward, spatial_groupnorm_backward, [x, gamma, beta], TOL_SPATIAL_NORM)


# ----------------------------------------------------------------------------- dtype


def test_forward_passes_keep_float32():
    rng = np.random.default_rng(14)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    x2, x4 = f32(4, 6), f32(2, 4, 6, 6)
    outs = {
        "affine": affine_forward(x2, f32(6, 3), f32(3))[0],
        "relu": relu_forward(x2)[0],
        "batchnorm": batchnorm_forward(x2, f32(6), f32(6), {"mode": "train"})[0],
        "layernorm": layernorm_forward(x2, f32(6), f32(6), {})[0],
        "dropout": dropout_forward(x2, {"mode": "train", "p": 0.5, "seed": 1})[0],
        "conv": conv_forward_naive(x4, f32(2, 4, 3, 3), f32(2), {"stride": 1, "pad": 1})[0],
        "pool": max_pool_forward_naive(x4, {"pool_height": 2, "pool_width": 2, "stride": 2})[0],
        "spatial_batchnorm": spatial_batchnorm_forward(x4, f32(4), f32(4), {"mode": "train"})[0],
        "groupnorm": spatial_groupnorm_forward(x4, f32(1, 4, 1, 1), f32(1, 4, 1, 1), 2, {})[0],
    }
    wrong = {name: out.dtype for name, out in outs.items() if out.dtype != np.float32}
    assert not wrong, wrong


# ----------------------------------------------------------------------------- sandwich layers


def test_affine_sandwiches_backward_numeric():
    from cs231n import layer_utils as lu

    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    gamma, beta = rng.standard_normal(5) + 1, rng.standard_normal(5)
    assert_grads_match(lu.affine_relu_forward, lu.affine_relu_backward, [x, w, b], TOL_SANDWICH)

    def bn_forward(x, w, b, gamma, beta):
        return lu.affine_bn_relu_forward(x, w, b, gamma, beta, {"mode": "train"})

    def ln_forward(x, w, b, gamma, beta):
        return lu.affine_ln_relu_forward(x, w, b, gamma, beta, {})

    # b is followed by batchnorm, which subtracts it again: db is exactly 0 in theory, so
    # only its size is checked (a relative error of two roundoff values means nothing)
    assert_grads_match(bn_forward, lu.affine_bn_relu_backward, [x, w, b, gamma, beta], TOL_SANDWICH, which=[0, 1, 3, 4])
    _, cache = bn_forward(x, w, b, gamma, beta)
    assert np.abs(lu.affine_bn_relu_backward(np.ones((4, 5)), cache)[2]).max() < 1e-12
    assert_grads_match(ln_forward, lu.affine_ln_relu_backward, [x, w, b, gamma, beta], TOL_SANDWICH)


def test_conv_sandwiches_match_naive_layers_and_numeric_grads():
    # needs fast_layers.py (and its compiled im2col); fails, not skips, while that is missing
    from cs231n import layer_utils as lu

    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    gamma, beta = rng.standard_normal(3) + 1, rng.standard_normal(3)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

    out, _ = lu.conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    naive = max_pool_forward_naive(relu_forward(conv_forward_naive(x, w, b, conv_param)[0])[0], pool_param)[0]
    np.testing.assert_allclose(out, naive, rtol=1e-10, atol=1e-12)

    def relu_fwd(x, w, b):
        return lu.conv_relu_forward(x, w, b, conv_param)

    def pool_fwd(x, w, b):
        return lu.conv_relu_pool_forward(x, w, b, conv_param, pool_param)

    def bn_fwd(x, w, b, gamma, beta):
        return lu.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, {"mode": "train"})

    assert_grads_match(relu_fwd, lu.conv_relu_backward, [x, w, b], TOL_SANDWICH)
    assert_grads_match(pool_fwd, lu.conv_relu_pool_backward, [x, w, b], TOL_SANDWICH)
    # as for affine_bn_relu, db is 0 in theory: check its size only
    assert_grads_match(bn_fwd, lu.conv_bn_relu_backward, [x, w, b, gamma, beta], TOL_SANDWICH, which=[0, 1, 3, 4])
    out, cache = bn_fwd(x, w, b, gamma, beta)
    assert np.abs(lu.conv_bn_relu_backward(np.ones_like(out), cache)[2]).max() < 1e-12
