"""Fast convolution and max-pooling layers, built on a compiled im2col.

These are given to you: they compute the same thing as conv_forward_naive / max_pool_forward_naive
(and their backward passes) in cs231n/layers.py, only much faster, so you can train convnets.

The compiled im2col (cs231n/im2col_cython.pyx) is built by `pip install -e .` in the checkout of
the course tools. If it cannot be imported, these layers fall back to the pure-numpy im2col of
cs231n/im2col.py (same results, a slower backward pass) and say so with a RuntimeWarning; the
module flags COMPILED and IM2COL_BACKEND tell which one is in use.

Convolution: the input is unrolled into columns

    cols[(c * HH + kh) * WW + kw, (n * H_out + i) * W_out + j] = x_padded[n, c, i * stride + kh, j * stride + kw]

so the layer is the matrix product w.reshape(F, -1) @ cols. The columns are never built for the
whole batch: each block of a few images is unrolled into a small buffer that stays in cache and
multiplied at once, the product landing directly in (N, F, H_out, W_out) order. The blocks are
shared among as many threads as numpy's BLAS may use, each thread running a single-threaded
BLAS on its own blocks. The backward pass unrolls each block again and computes its share of
dw = dout @ cols.T and of the column gradients w.T @ dout, scattered back into dx by col2im.
"""

import contextlib
import threading
import warnings

import numpy as np

try:
    from grader._im2col import col2im_into, im2col_into
except ImportError as _exc:
    from .im2col import col2im_into, im2col_into

    COMPILED = False
    IM2COL_BACKEND = "numpy"
    warnings.warn(
        f"cs231n.fast_layers: the compiled im2col extension could not be imported ({_exc!r}); "
        "falling back to the pure-numpy im2col of cs231n/im2col.py (same results, slower col2im). "
        "To fix it, run `pip install -e .` in the course-tools checkout (needs a C compiler and Cython), "
        "then restart the Python kernel.",
        RuntimeWarning,
        stacklevel=2,
    )
else:
    COMPILED = True
    IM2COL_BACKEND = "cython"

try:  # to run one single-threaded BLAS per worker thread; without it the BLAS threads do the work
    from threadpoolctl import ThreadpoolController

    _BLAS = ThreadpoolController().select(user_api="blas")
except Exception:  # noqa: BLE001 (missing or unusable: fall back to one worker)
    _BLAS = None

# Bytes of columns per block of images: a block is unrolled and multiplied while it is still in
# the core's cache (measured on 2 cores against unrolling the whole batch once: forward 1.5-1.7x
# and backward 1.1x faster, 0.25-4 MiB all within 10%). A large image is a block of its own.
BLOCK_BYTES = 1 << 20

# Worker threads for the blocks: None means as many as numpy's BLAS is allowed to use (so
# OMP_NUM_THREADS=1 keeps everything in the calling thread).
WORKERS = None


def _float_dtype(*arrays):
    """Common float dtype of the inputs: float32 or float64 (anything else computes in float64)."""
    dtype = np.result_type(*arrays)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _out_size(size, field, pad, stride, what):
    """Output length along one axis of a convolution: 1 + (size + 2 * pad - field) // stride, as
    conv_forward_naive and every framework compute it (rows and columns of the padded input that
    no filter position reaches, when the stride does not divide the span, are ignored)."""
    span = size + 2 * pad - field
    if stride < 1 or pad < 0 or field < 1 or span < 0:
        raise ValueError(
            f"invalid conv {what}: input {size}, filter {field}, pad {pad}, stride {stride} "
            "(need stride >= 1, pad >= 0 and a filter no larger than the padded input)"
        )
    return span // stride + 1


def _worker_count(N):
    """Worker threads for a batch of N images (WORKERS, else numpy's BLAS thread count)."""
    if WORKERS is not None:
        wanted = WORKERS
    elif _BLAS is None or not _BLAS.lib_controllers:
        wanted = 1
    else:
        wanted = max(c.num_threads for c in _BLAS.lib_controllers)
    return max(1, min(wanted, N))


def _image_blocks(N, bytes_per_image, workers):
    """Split range(N) into (start, stop) blocks of at most BLOCK_BYTES of columns (at least one
    image), and at least one block per worker."""
    step = max(1, min(BLOCK_BYTES // max(1, bytes_per_image), -(-N // workers)))
    return [(a, min(N, a + step)) for a in range(0, N, step)]


def _run_blocks(blocks, work, workers):
    """Call work(share) on contiguous shares of the blocks, one share per worker thread.

    Returns the list of work's results. With one worker it runs in the calling thread with BLAS
    as configured; with more, every BLAS call inside is single-threaded for the duration."""
    workers = min(workers, len(blocks))
    if workers == 1:
        return [work(blocks)]
    bounds = np.linspace(0, len(blocks), workers + 1).astype(int)
    shares = [blocks[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]
    results = [None] * workers
    errors = []

    def run(i):
        try:
            results[i] = work(shares[i])
        except BaseException as exc:  # noqa: BLE001 (re-raised in the calling thread)
            errors.append(exc)

    with _BLAS.limit(limits=1) if _BLAS is not None else contextlib.nullcontext():
        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(1, workers)]
        for t in threads:
            t.start()
        run(0)
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return results


def conv_forward_im2col(x, w, b, conv_param):
    """
    Forward pass of a convolutional layer, as a matrix product on im2col columns.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - w: filter weights, of shape (F, C, HH, WW)
    - b: biases, of shape (F,)
    - conv_param: dictionary with keys 'stride' and 'pad' (zero padding on every side)

    Returns a tuple of:
    - out: output data, of shape (N, F, H', W'), H' = 1 + (H + 2 * pad - HH) // stride
      and W' = 1 + (W + 2 * pad - WW) // stride (floored, as in conv_forward_naive, when the
      stride does not divide the span), in the float dtype of the inputs
    - cache: (x, w, b, conv_param), x and w in that dtype
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    dtype = _float_dtype(x, w, b)
    x = np.ascontiguousarray(x, dtype=dtype)
    w = np.asarray(w, dtype=dtype)
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if Cw != C:
        raise ValueError(f"x has {C} channels but the filters have {Cw}")
    H_out = _out_size(H, HH, pad, stride, "height")
    W_out = _out_size(W, WW, pad, stride, "width")
    K, P = C * HH * WW, H_out * W_out  # column length, output positions per image

    w_rows = w.reshape(F, K)  # (F, K)
    bias = np.asarray(b, dtype=dtype).reshape(F, 1)
    out = np.empty((N, F, P), dtype=dtype)
    workers = _worker_count(N)
    blocks = _image_blocks(N, K * P * x.itemsize, workers)

    def forward(share):
        cols = np.empty((K, (blocks[0][1] - blocks[0][0]) * P), dtype=dtype)  # (K, n * P), reused
        for a, e in share:
            block = cols[:, : (e - a) * P]
            im2col_into(x[a:e], block, HH, WW, pad, stride)
            # image n of the block is (F, K) @ (K, P): the product lands in (n, F, P) order
            np.matmul(w_rows, block.reshape(K, e - a, P).transpose(1, 0, 2), out=out[a:e])
            out[a:e] += bias  # while the block is in cache

    if N and F and P:
        _run_blocks(blocks, forward, workers)
    out = out.reshape(N, F, H_out, W_out)
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_im2col(dout, cache):
    """
    Backward pass of conv_forward_im2col.

    Inputs:
    - dout: upstream derivatives, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param) as returned by conv_forward_im2col

    Returns a tuple of:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    - dw: gradient with respect to w, of shape (F, C, HH, WW)
    - db: gradient with respect to b, of shape (F,)
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    dtype = x.dtype
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    K, P = C * HH * WW, H_out * W_out

    dout = np.ascontiguousarray(dout, dtype=dtype).reshape(N, F, P)  # (N, F, P)
    w_rows = w.reshape(F, K)  # (F, K)
    dx = np.zeros((N, C, H, W), dtype=dtype)
    workers = _worker_count(N)
    blocks = _image_blocks(N, K * P * x.itemsize, workers)

    def backward(share):
        dw, db = np.zeros((F, K), dtype=dtype), np.zeros(F, dtype=dtype)  # this worker's share of the sums
        n = blocks[0][1] - blocks[0][0]
        cols = np.empty((K, n * P), dtype=dtype)  # reused per block
        d_cols = np.empty((K, n * P), dtype=dtype)
        for a, e in share:
            block, d_block = cols[:, : (e - a) * P], d_cols[:, : (e - a) * P]
            im2col_into(x[a:e], block, HH, WW, pad, stride)
            d_rows = dout[a:e].transpose(1, 0, 2).reshape(F, (e - a) * P)  # (F, n * P), a copy unless n = 1
            db += d_rows.sum(axis=1)
            dw += d_rows @ block.T  # (F, K)
            np.matmul(w_rows.T, d_rows, out=d_block)
            col2im_into(d_block, dx[a:e], HH, WW, pad, stride)
        return dw, db

    dw, db = np.zeros((F, K), dtype=dtype), np.zeros(F, dtype=dtype)
    if N and F and P:
        for dw_part, db_part in _run_blocks(blocks, backward, workers):
            dw += dw_part
            db += db_part
    dw = dw.reshape(w.shape)
    return dx, dw, db


def _pool_out_size(size, pool, stride, what):
    """Windows along one axis; positions a window never reaches (at the end) are ignored."""
    if stride < 1 or pool < 1 or pool > size:
        raise ValueError(f"invalid pool {what}: input {size}, pool {pool}, stride {stride}")
    return 1 + (size - pool) // stride


def _window_offsets(ph, pw, stride, H_out, W_out):
    """(k, (rows, cols)) for every offset (kh, kw) of the pool window in row-major order,
    k = kh * pw + kw: x[:, :, rows, cols][n, c, i, j] is element k of window (i, j)."""
    for kh in range(ph):
        for kw in range(pw):
            rows = slice(kh, kh + stride * (H_out - 1) + 1, stride)
            cols = slice(kw, kw + stride * (W_out - 1) + 1, stride)
            yield kh * pw + kw, (rows, cols)


def max_pool_forward_reshape(x, pool_param):
    """
    Max pooling for square pools that tile the input (pool_height == pool_width == stride, and
    H, W multiples of it): x is viewed as (N, C, H', pool, W', pool) and reduced over the pool axes.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - pool_param: dictionary with keys 'pool_height', 'pool_width', 'stride'

    Returns a tuple of:
    - out: output data, of shape (N, C, H / stride, W / stride)
    - cache: (x, out, pool_param)
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    if not (ph == pw == stride and H % ph == 0 and W % pw == 0):
        raise ValueError(f"a {ph}x{pw} pool with stride {stride} does not tile a {H}x{W} input")
    H_out, W_out = H // ph, W // pw
    windows = x.reshape(N, C, H_out, ph, W_out, pw)  # a view when x is contiguous
    # an in-place running maximum over the ph * pw offsets is much faster than .max(axis=(3, 5))
    out = windows[:, :, :, 0, :, 0].copy()  # (N, C, H', W')
    for kh in range(ph):
        for kw in range(pw):
            if kh or kw:
                np.maximum(out, windows[:, :, :, kh, :, kw], out=out)
    cache = (x, out, pool_param)
    return out, cache


def max_pool_backward_reshape(dout, cache):
    """
    Backward pass of max_pool_forward_reshape: each window's gradient goes to one element,
    the first maximum in row-major order (the one argmax picks), even when several tie.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H', W')
    - cache: (x, out, pool_param) as returned by max_pool_forward_reshape

    Returns:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    """
    x, out, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    N, C, H, W = x.shape
    H_out, W_out = out.shape[2:]
    windows = x.reshape(N, C, H_out, ph, W_out, pw)
    dx = np.empty((N, C, H_out, ph, W_out, pw), dtype=np.result_type(x, dout))
    taken = np.zeros(out.shape, dtype=bool)  # (N, C, H', W'): window already routed
    for kh in range(ph):
        for kw in range(pw):
            hit = windows[:, :, :, kh, :, kw] == out  # (N, C, H', W')
            hit &= ~taken
            taken |= hit
            np.multiply(dout, hit, out=dx[:, :, :, kh, :, kw])
    return dx.reshape(N, C, H, W)


def max_pool_forward_general(x, pool_param):
    """
    Max pooling for any pool size and stride (overlapping, non-square, not tiling the input):
    a running maximum over the pool_height * pool_width strided views of x, one per window offset.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - pool_param: dictionary with keys 'pool_height', 'pool_width', 'stride'

    Returns a tuple of:
    - out: output data, of shape (N, C, H', W'), H' = 1 + (H - pool_height) // stride and
      W' = 1 + (W - pool_width) // stride (rows and columns no window reaches are ignored)
    - cache: (x, argmax, pool_param) with argmax (N, C, H', W') the winning offset
      kh * pool_width + kw of each window, the first maximum in row-major order
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out = _pool_out_size(H, ph, stride, "height")
    W_out = _pool_out_size(W, pw, stride, "width")
    out = x[:, :, : stride * (H_out - 1) + 1 : stride, : stride * (W_out - 1) + 1 : stride].copy()  # offset 0
    argmax = np.zeros(out.shape, dtype=np.int32)  # (N, C, H', W')
    for k, (rows, cols) in _window_offsets(ph, pw, stride, H_out, W_out):
        if k == 0:
            continue
        view = x[:, :, rows, cols]  # (N, C, H', W')
        better = view > out  # strict: ties keep the earlier offset, as argmax does
        np.copyto(out, view, where=better)
        argmax[better] = k
    cache = (x, argmax, pool_param)
    return out, cache


def max_pool_backward_general(dout, cache):
    """
    Backward pass of max_pool_forward_general: each window's gradient goes to its argmax
    (summed where overlapping windows share a winner).

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H', W')
    - cache: (x, argmax, pool_param) as returned by max_pool_forward_general

    Returns:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    """
    x, argmax, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    # one strided add per offset: within one offset the windows hit distinct pixels
    for k, (rows, cols) in _window_offsets(ph, pw, stride, H_out, W_out):
        dx[:, :, rows, cols] += np.where(argmax == k, dout, 0)
    return dx


def max_pool_forward_fast(x, pool_param):
    """
    Fast max pooling: the reshape method when square pools tile the input, the general
    strided method otherwise. Same results as max_pool_forward_naive.

    Inputs and outputs as max_pool_forward_naive; the cache is (method, method_cache).
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    if ph == pw == stride and H % ph == 0 and W % pw == 0:
        out, reshape_cache = max_pool_forward_reshape(x, pool_param)
        cache = ("reshape", reshape_cache)
    else:
        out, general_cache = max_pool_forward_general(x, pool_param)
        cache = ("general", general_cache)
    return out, cache


def max_pool_backward_fast(dout, cache):
    """
    Backward pass of max_pool_forward_fast.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H', W')
    - cache: (method, method_cache) as returned by max_pool_forward_fast

    Returns:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    """
    method, real_cache = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, real_cache)
    if method == "general":
        return max_pool_backward_general(dout, real_cache)
    raise ValueError(f'unknown max-pool method "{method}"')


# The names the course notebooks and layer_utils use.
conv_forward_fast = conv_forward_im2col
conv_backward_fast = conv_backward_im2col
conv_forward_strides = conv_forward_im2col
conv_backward_strides = conv_backward_im2col
