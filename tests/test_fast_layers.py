"""The fast conv/pool layers (reference/cs231n/fast_layers.py) and the im2col they stand on
(compiled grader._im2col and the numpy fallback cs231n/im2col.py) against the naive layers,
on awkward shapes: non-square, 1x1 and large kernels, strides with padding, overlapping and
non-tiling pools, float32 and float64, and the fallback when the compiled module is missing."""

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n import fast_layers
from cs231n import im2col as np_im2col
from cs231n.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from cs231n.gradient_check import eval_numerical_gradient_array, rel_error
from cs231n.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)
from grader import _im2col

FAST_LAYERS_PATH = Path(fast_layers.__file__)

# (x shape, w shape, stride, pad): non-square, 1x1, kernel > stride, stride 2 with pad, odd sizes
CONV_CASES = [
    pytest.param((2, 3, 5, 7), (4, 3, 2, 3), 1, 0, id="2x3-s1-p0"),
    pytest.param((2, 3, 6, 7), (3, 3, 2, 3), 1, 1, id="2x3-s1-p1"),
    pytest.param((3, 2, 7, 9), (2, 2, 5, 1), 2, 2, id="5x1-s2-p2"),
    pytest.param((2, 4, 5, 6), (3, 4, 1, 1), 1, 0, id="1x1"),
    pytest.param((2, 2, 5, 7), (3, 2, 1, 1), 2, 1, id="1x1-s2-p1"),
    pytest.param((2, 3, 9, 9), (4, 3, 3, 3), 2, 1, id="3x3-s2-p1"),
    pytest.param((5, 2, 8, 8), (3, 2, 4, 4), 2, 1, id="4x4-s2-p1-overlap"),
    pytest.param((2, 3, 13, 8), (2, 3, 5, 3), 3, 2, id="5x3-s3-p2-odd"),
    pytest.param((1, 1, 1, 1), (2, 1, 5, 5), 1, 2, id="kernel-bigger-than-input"),
    pytest.param((2, 1, 4, 4), (2, 1, 4, 4), 1, 0, id="kernel-equals-input"),
    pytest.param((2, 2, 6, 6), (2, 2, 3, 3), 3, 0, id="stride-equals-kernel"),
    # strides that do not divide (H + 2 * pad - HH): the output size is floored, as in the naive layer
    pytest.param((3, 2, 9, 8), (5, 2, 3, 5), 2, 1, id="3x5-s2-p1-nondivisible"),
    pytest.param((2, 3, 8, 7), (4, 3, 3, 2), 2, 0, id="3x2-s2-p0-nondivisible"),
    pytest.param((2, 2, 10, 12), (3, 2, 2, 4), 3, 1, id="2x4-s3-p1-nondivisible"),
    pytest.param((2, 3, 8, 7), (2, 3, 1, 1), 2, 0, id="1x1-s2-nondivisible"),
    pytest.param((2, 2, 9, 9), (3, 2, 2, 2), 3, 0, id="2x2-s3-gaps-nondivisible"),
    pytest.param((1, 2, 5, 5), (2, 2, 3, 3), 3, 0, id="3x3-s3-one-position"),
]

# (x shape, pool_height, pool_width, stride, expected method)
POOL_CASES = [
    pytest.param((2, 3, 8, 8), 2, 2, 2, "reshape", id="2x2-s2-tiling"),
    pytest.param((2, 2, 9, 6), 3, 3, 3, "reshape", id="3x3-s3-tiling"),
    pytest.param((2, 3, 7, 9), 3, 3, 2, "general", id="3x3-s2-overlap"),
    pytest.param((2, 3, 7, 9), 2, 3, 1, "general", id="2x3-s1"),
    pytest.param((2, 2, 5, 5), 5, 1, 2, "general", id="5x1-s2"),
    pytest.param((3, 2, 9, 6), 2, 2, 2, "general", id="2x2-s2-nontiling"),
    pytest.param((2, 2, 8, 8), 2, 2, 3, "general", id="2x2-s3-gaps"),
    pytest.param((1, 1, 4, 4), 4, 4, 1, "general", id="pool-equals-input"),
    pytest.param((2, 3, 8, 7), 3, 2, 2, "general", id="3x2-s2-nondivisible"),
    pytest.param((2, 2, 11, 10), 2, 3, 4, "general", id="2x3-s4-gaps-nondivisible"),
    pytest.param((2, 2, 9, 9), 1, 1, 2, "general", id="1x1-s2-nondivisible"),
    pytest.param((2, 2, 7, 7), 2, 2, 2, "general", id="2x2-s2-odd-input"),
]

DTYPES = [np.float32, np.float64]


def scale_tol(dtype):
    """Tolerance, relative to the largest magnitude, for results summed in another order."""
    return 2e-5 if dtype == np.float32 else 1e-12


def assert_close(actual, expected, dtype):
    """Same shape, exactly the given dtype, and equal up to summation-order rounding."""
    assert actual.shape == expected.shape
    assert actual.dtype == dtype
    scale = max(1.0, float(np.max(np.abs(expected))))
    err = float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64))))
    assert err <= scale_tol(dtype) * scale, f"max abs error {err:.3g} (scale {scale:.3g})"


def loop_im2col(x, HH, WW, pad, stride):
    """The column layout written out as plain loops, the definition both backends must follow."""
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.zeros((C * HH * WW, N * H_out * W_out), dtype=x.dtype)
    for c in range(C):
        for kh in range(HH):
            for kw in range(WW):
                for n in range(N):
                    for i in range(H_out):
                        for j in range(W_out):
                            cols[(c * HH + kh) * WW + kw, (n * H_out + i) * W_out + j] = x_pad[
                                n, c, i * stride + kh, j * stride + kw
                            ]
    return cols


# ----------------------------------------------------------------------------- module flags


def test_compiled_extension_in_use():
    assert fast_layers.COMPILED is True
    assert fast_layers.IM2COL_BACKEND == "cython"
    assert fast_layers.im2col_into is _im2col.im2col_into
    assert fast_layers.col2im_into is _im2col.col2im_into


def test_fast_layers_imports_only_numpy_and_the_extension():
    """No torch / future / grader internals: numpy, the standard library, the extension and its
    fallback, and threadpoolctl (optional: without it the layers run in one thread)."""
    tree = ast.parse(FAST_LAYERS_PATH.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported == {"contextlib", "threading", "warnings", "numpy", "threadpoolctl", "grader._im2col", ".im2col"}


# ----------------------------------------------------------------------------- im2col / col2im


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_both_backends_match_loops(x_shape, w_shape, stride, pad, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    _, _, HH, WW = w_shape
    expected = loop_im2col(x, HH, WW, pad, stride)
    compiled = _im2col.im2col_cython(x, HH, WW, pad, stride)
    numpy_cols = np_im2col.im2col_indices(x, HH, WW, pad, stride)
    for cols in (compiled, numpy_cols):
        assert cols.dtype == dtype
        np.testing.assert_array_equal(cols, expected, strict=True)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_col2im_is_the_adjoint_of_im2col(x_shape, w_shape, stride, pad, dtype):
    """<im2col(x), y> == <x, col2im(y)> for both backends, and the two col2im agree."""
    rng = np.random.default_rng(1)
    N, C, H, W = x_shape
    _, _, HH, WW = w_shape
    x = rng.standard_normal(x_shape).astype(dtype)
    cols = loop_im2col(x, HH, WW, pad, stride)
    y = rng.standard_normal(cols.shape).astype(dtype)
    compiled = _im2col.col2im_cython(y, N, C, H, W, HH, WW, pad, stride)
    numpy_dx = np_im2col.col2im_indices(y, x_shape, HH, WW, pad, stride)
    lhs = np.sum(cols.astype(np.float64) * y)
    for dx in (compiled, numpy_dx):
        assert dx.shape == x_shape and dx.dtype == dtype
        rhs = np.sum(x.astype(np.float64) * dx)
        assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs))
    assert_close(compiled, numpy_dx.astype(np.float64), dtype)


@pytest.mark.parametrize("backend", ["cython", "numpy"])
def test_im2col_into_a_column_block_leaves_the_rest(backend):
    """Blocks of images are written into column slices of one buffer (strided rows)."""
    module = _im2col if backend == "cython" else np_im2col
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 2, 6, 5))
    full = loop_im2col(x, 3, 2, 1, 1)  # H_out * W_out = 6 * 6 = 36 columns per image
    buf = np.full_like(full, np.nan)
    module.im2col_into(x[1:3], buf[:, 36:108], 3, 2, 1, 1)
    np.testing.assert_array_equal(buf[:, 36:108], full[:, 36:108])
    assert np.isnan(buf[:, :36]).all() and np.isnan(buf[:, 108:]).all()
    dx = np.ones((2, 2, 6, 5))
    module.col2im_into(buf[:, 36:108], dx, 3, 2, 1, 1)  # accumulates into dx
    expected = 1 + np_im2col.col2im_indices(np.ascontiguousarray(full[:, 36:108]), (2, 2, 6, 5), 3, 2, 1, 1)
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("module", [_im2col, np_im2col], ids=["cython", "numpy"])
def test_im2col_floors_the_output_size_and_rejects_impossible_shapes(module):
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    cols = np.zeros((9, 4))
    module.im2col_into(x, cols, 3, 3, 0, 2)  # (6 - 3) // 2 + 1 = 2 positions per axis: the last row is never read
    np.testing.assert_array_equal(cols, loop_im2col(x, 3, 3, 0, 2))
    assert not np.isin(x[0, 0, 5, :], cols).any() and not np.isin(x[0, 0, :, 5], cols).any()
    dx = np.zeros_like(x)
    module.col2im_into(np.ones((9, 4)), dx, 3, 3, 0, 2)
    assert not dx[0, 0, 5, :].any() and not dx[0, 0, :, 5].any() and dx[0, 0, :5, :5].all()
    with pytest.raises(ValueError):
        module.im2col_into(x, np.zeros((9, 5)), 3, 3, 0, 2)  # wrong number of columns
    with pytest.raises(ValueError):
        module.im2col_into(x, np.zeros((49, 1)), 7, 7, 0, 1)  # a field larger than the input
    with pytest.raises(ValueError):
        module.im2col_into(x, np.zeros((9, 16)), 3, 3, 0, 0)  # stride 0
    with pytest.raises(ValueError):
        module.im2col_into(x, np.zeros((9, 16)), 3, 3, -1, 1)  # negative padding


def test_compiled_im2col_rejects_other_dtypes():
    with pytest.raises(TypeError):
        _im2col.im2col_cython(np.zeros((1, 1, 3, 3), dtype=np.int64), 2, 2, 0, 1)


# ----------------------------------------------------------------------------- convolution


@pytest.fixture(params=["one-block", "per-image-1-worker", "per-image-3-workers", "ragged-2-workers"])
def block_mode(request, monkeypatch):
    """How the conv layers split the batch: one block, one image per block (in the calling thread
    or shared by 3 threads), or blocks of 2 with a short last one shared by 2 threads."""
    if request.param == "one-block":
        monkeypatch.setattr(fast_layers, "BLOCK_BYTES", 1 << 40)
    elif request.param.startswith("per-image"):
        monkeypatch.setattr(fast_layers, "BLOCK_BYTES", 1)
    else:
        monkeypatch.setattr(fast_layers, "_image_blocks", lambda N, bytes_per_image, workers: [
            (a, min(N, a + 2)) for a in range(0, N, 2)
        ])
    monkeypatch.setattr(fast_layers, "WORKERS", int(request.param.split("-")[-2]) if "worker" in request.param else 1)
    return request.param


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_fast_matches_naive(x_shape, w_shape, stride, pad, dtype, block_mode):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    conv_param = {"stride": stride, "pad": pad}
    x_before = x.copy()

    out, cache = conv_forward_fast(x, w, b, conv_param)
    # naive in float64 on the same values, so only the fast layer's rounding is measured
    out_naive, cache_naive = conv_forward_naive(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                                                conv_param)
    assert_close(out, out_naive, dtype)
    assert len(cache) == 4  # no batch-sized columns kept: the backward pass unrolls block by block

    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, dw, db = conv_backward_fast(dout, cache)
    dx_n, dw_n, db_n = conv_backward_naive(dout.astype(np.float64), cache_naive)
    assert_close(dx, dx_n, dtype)
    assert_close(dw, dw_n, dtype)
    assert_close(db, db_n, dtype)
    np.testing.assert_array_equal(x, x_before)  # the input is not modified


def test_conv_fast_numerical_gradient():
    """Every gradient of the fast layer against a numerical gradient of its own forward (float64)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 6))
    w = rng.standard_normal((3, 3, 3, 2))
    b = rng.standard_normal(3)
    conv_param = {"stride": 2, "pad": 1}
    out, cache = conv_forward_fast(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: conv_forward_fast(v, w, b, conv_param)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: conv_forward_fast(x, v, b, conv_param)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: conv_forward_fast(x, w, v, conv_param)[0], b, dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


# (x shape, w shape, stride, pad) where the stride does not divide (H + 2 * pad - HH) or (W + 2 * pad - WW)
NON_DIVISIBLE = [
    ((3, 2, 9, 8), (5, 2, 3, 5), 2, 1),  # the shape conv_forward_fast used to refuse
    ((2, 3, 8, 7), (4, 3, 3, 2), 2, 0),
    ((2, 3, 11, 10), (3, 3, 2, 3), 3, 0),
    ((2, 2, 10, 12), (3, 2, 2, 4), 3, 1),
    ((4, 3, 12, 9), (2, 3, 4, 2), 2, 2),
    ((2, 2, 7, 9), (3, 2, 3, 3), 1, 0),  # stride 1 always divides: the same code path, for contrast
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", NON_DIVISIBLE)
def test_conv_fast_non_divisible_stride_equals_naive(x_shape, w_shape, stride, pad):
    """Floored output size, as conv_forward_naive and the course's formula; forward and backward
    equal the naive layer's (notebook rel error < 1e-8 in float64); unreached pixels get no gradient."""
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    conv_param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_fast(x, w, b, conv_param)
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    (N, _, H, W), (F, _, HH, WW) = x_shape, w_shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    assert out.shape == out_naive.shape == (N, F, H_out, W_out)
    assert rel_error(out, out_naive) < 1e-8
    dout = rng.standard_normal(out.shape)
    for name, g, g_naive in zip(("dx", "dw", "db"), conv_backward_fast(dout, cache), conv_backward_naive(dout, cache_naive)):
        assert g.shape == g_naive.shape and rel_error(g, g_naive) < 1e-8, name
    dx = conv_backward_fast(dout, cache)[0]
    last_row, last_col = (H_out - 1) * stride + HH - pad, (W_out - 1) * stride + WW - pad  # one past the last read
    assert not dx[:, :, last_row:, :].any() and not dx[:, :, :, last_col:].any()


def test_conv_fast_non_divisible_stride_numerical_gradient():
    rng = np.random.default_rng(12)
    x, w, b = rng.standard_normal((2, 2, 9, 8)), rng.standard_normal((3, 2, 3, 5)), rng.standard_normal(3)
    conv_param = {"stride": 2, "pad": 1}
    out, cache = conv_forward_fast(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: conv_forward_fast(v, w, b, conv_param)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: conv_forward_fast(x, v, b, conv_param)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: conv_forward_fast(x, w, v, conv_param)[0], b, dout)) < 1e-7


def test_conv_fast_notebook_check_values():
    """The course notebook's conv_forward check (docs/courses/cs231n.md) through the fast layer."""
    x = np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_fast(x, w, b, {"stride": 2, "pad": 1})
    np.testing.assert_allclose(out[0, 0], [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]], rtol=1e-7)
    np.testing.assert_allclose(out[1, 2], [[2.36270298, 2.36904306], [2.38090835, 2.38247847]], rtol=1e-7)


@pytest.mark.parametrize(
    "x_dtype, w_dtype, expected",
    [(np.float32, np.float32, np.float32), (np.float64, np.float32, np.float64), (np.int64, np.float32, np.float64)],
)
def test_conv_fast_dtype_follows_inputs(x_dtype, w_dtype, expected):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 2, 4, 4)) * 4).astype(x_dtype)
    w = rng.standard_normal((3, 2, 3, 3)).astype(w_dtype)
    b = np.zeros(3, dtype=w_dtype)
    out, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    assert out.dtype == expected
    grads = conv_backward_fast(np.ones(out.shape, dtype=out.dtype), cache)
    assert all(g.dtype == expected for g in grads)


def test_conv_fast_worker_errors_reach_the_caller_and_blas_threads_are_restored(monkeypatch):
    monkeypatch.setattr(fast_layers, "BLOCK_BYTES", 1)
    monkeypatch.setattr(fast_layers, "WORKERS", 2)
    before = [c.num_threads for c in fast_layers._BLAS.lib_controllers]
    real = fast_layers.im2col_into

    def fails_on_the_last_image(x, cols, *args):
        if x.base is not None and np.shares_memory(x, last):
            raise MemoryError("planted")
        return real(x, cols, *args)

    x = np.ones((4, 2, 5, 5))
    last = x[3]
    monkeypatch.setattr(fast_layers, "im2col_into", fails_on_the_last_image)
    with pytest.raises(MemoryError, match="planted"):  # raised in the second thread
        conv_forward_fast(x, np.ones((3, 2, 3, 3)), np.zeros(3), {"stride": 1, "pad": 1})
    assert [c.num_threads for c in fast_layers._BLAS.lib_controllers] == before


def test_conv_fast_rejects_bad_shapes():
    x = np.zeros((1, 3, 6, 6))
    with pytest.raises(ValueError, match="no larger than the padded input"):
        conv_forward_fast(x, np.zeros((2, 3, 9, 3)), np.zeros(2), {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match="stride >= 1"):
        conv_forward_fast(x, np.zeros((2, 3, 3, 3)), np.zeros(2), {"stride": 0, "pad": 1})
    with pytest.raises(ValueError, match="channels"):
        conv_forward_fast(x, np.zeros((2, 4, 3, 3)), np.zeros(2), {"stride": 1, "pad": 1})


def test_conv_fast_non_contiguous_input():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 6, 2, 5)).transpose(0, 3, 1, 2)  # (3, 5, 6, 2), not contiguous
    w = rng.standard_normal((2, 5, 3, 1))
    b = rng.standard_normal(2)
    out, _ = conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    out_naive, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert_close(out, out_naive, np.float64)


# ----------------------------------------------------------------------------- max pooling


@pytest.mark.parametrize("x_shape, ph, pw, stride, method", POOL_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_fast_matches_naive(x_shape, ph, pw, stride, method, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape).astype(dtype)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = max_pool_forward_fast(x, pool_param)
    assert cache[0] == method
    out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
    np.testing.assert_array_equal(out, out_naive, strict=True)  # a max is exact
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = max_pool_backward_fast(dout, cache)
    dx_naive = max_pool_backward_naive(dout, cache_naive)
    assert_close(dx, dx_naive, dtype)


@pytest.mark.parametrize("x_shape, ph, pw, stride, method", POOL_CASES)
def test_max_pool_fast_ties_route_to_one_argmax(x_shape, ph, pw, stride, method):
    """After a ReLU many windows are all zeros: the gradient goes to one element, as in the naive layer."""
    rng = np.random.default_rng(8)
    x = np.maximum(0, rng.standard_normal(x_shape)).round()  # many ties at 0 and 1
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = max_pool_forward_fast(x, pool_param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_fast(dout, cache)
    _, cache_naive = max_pool_forward_naive(x, pool_param)
    np.testing.assert_allclose(dx, max_pool_backward_naive(dout, cache_naive), rtol=1e-12, atol=1e-12, strict=True)
    if stride >= max(ph, pw):  # disjoint windows: exactly one nonzero per window
        assert np.count_nonzero(dx) == dout.size


@pytest.mark.parametrize(
    "x_shape, pool", [((2, 2, 6, 6), (2, 2, 2)), ((2, 2, 7, 7), (3, 3, 2))], ids=["reshape", "general"]
)
def test_max_pool_fast_numerical_gradient(x_shape, pool):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(x_shape)
    pool_param = {"pool_height": pool[0], "pool_width": pool[1], "stride": pool[2]}
    out, cache = max_pool_forward_fast(x, pool_param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_fast(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward_fast(v, pool_param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-8


def test_max_pool_fast_notebook_check_values():
    x = np.linspace(-0.3, 0.4, num=96).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_allclose(out[0, 0], [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]], rtol=1e-7)
    np.testing.assert_allclose(out[1, 2, 1, 1], 0.4)


# ----------------------------------------------------------------------------- fallback


@pytest.fixture
def fallback_module(monkeypatch):
    """A fresh copy of fast_layers loaded while `grader._im2col` cannot be imported."""
    monkeypatch.setitem(sys.modules, "grader._im2col", None)  # makes the import raise ImportError
    name = "cs231n._fast_layers_without_extension"
    spec = importlib.util.spec_from_file_location(name, FAST_LAYERS_PATH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    with pytest.warns(RuntimeWarning) as record:
        spec.loader.exec_module(module)
    return module, record


def test_fallback_warns_loudly_and_sets_flags(fallback_module):
    module, record = fallback_module
    assert module.COMPILED is False
    assert module.IM2COL_BACKEND == "numpy"
    assert module.im2col_into is np_im2col.im2col_into
    messages = [str(w.message) for w in record]
    assert any("ImportError" in m or "ModuleNotFoundError" in m for m in messages), messages
    assert any("pip install -e ." in m for m in messages), messages


@pytest.mark.parametrize("dtype", DTYPES)
def test_fallback_gives_the_same_answers(fallback_module, dtype):
    module, _ = fallback_module
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 2, 7, 6)).astype(dtype)
    w = rng.standard_normal((4, 2, 3, 2)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    for conv_param, w_used in (({"stride": 2, "pad": 1}, w), ({"stride": 2, "pad": 0}, w[:, :, :, :1])):
        # the second: (7 - 3) and (6 - 1) over stride 2, the width's span not divisible
        out, cache = module.conv_forward_fast(x, w_used, b, conv_param)
        out_n, cache_n = conv_forward_naive(x.astype(np.float64), w_used.astype(np.float64), b.astype(np.float64),
                                            conv_param)
        assert_close(out, out_n, dtype)
        dout = rng.standard_normal(out.shape).astype(dtype)
        for g, g_n in zip(module.conv_backward_fast(dout, cache), conv_backward_naive(dout.astype(np.float64), cache_n)):
            assert_close(g, g_n, dtype)

    pool_param = {"pool_height": 3, "pool_width": 2, "stride": 2}  # the general path
    out, cache = module.max_pool_forward_fast(x, pool_param)
    assert cache[0] == "general"
    out_n, cache_n = max_pool_forward_naive(x, pool_param)
    np.testing.assert_array_equal(out, out_n, strict=True)
    dout = rng.standard_normal(out.shape).astype(dtype)
    assert_close(module.max_pool_backward_fast(dout, cache), max_pool_backward_naive(dout, cache_n), dtype)
