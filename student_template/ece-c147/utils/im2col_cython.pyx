# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled im2col / col2im for the fast convolution layers (float32 and float64).

Column layout (shared with cs231n/im2col.py):

    cols[(c * HH + kh) * WW + kw, (n * H_out + i) * W_out + j] = x_padded[n, c, i * stride + kh, j * stride + kw]

so cols has shape (C * HH * WW, N * H_out * W_out). Rows follow w.reshape(F, -1), and the
columns of one image are a contiguous block, so the convolution w_rows @ cols can be computed
image by image straight into (N, F, H_out, W_out) order. Zero padding is applied on the fly
(no padded copy of x is made). Any kernel shape (HH != WW, 1x1, larger than the stride),
stride and padding work; H_out = 1 + (H + 2 * padding - HH) // stride (likewise W_out), so when
the stride does not divide the span, the last rows or columns no filter position reaches are
ignored (their gradient is zero), as in the naive layers.

Built as the extension `grader._im2col` by `pip install -e .` (see setup.py).

The loops run with the GIL released, on the calling thread. They are deliberately not
multi-threaded: the convolution calls them right after numpy's BLAS, whose idle worker threads
keep spinning on the other cores for a while, so extra threads here measured no faster.
"""

cimport cython
from libc.string cimport memcpy, memset

import numpy as np


cdef inline Py_ssize_t _first_valid(Py_ssize_t offset, Py_ssize_t pad, Py_ssize_t stride,
                                    Py_ssize_t n_out) noexcept nogil:
    """Smallest output index o with o * stride + offset - pad >= 0 (capped at n_out)."""
    cdef Py_ssize_t o = 0
    if pad - offset > 0:
        o = (pad - offset + stride - 1) // stride
    return o if o < n_out else n_out


cdef inline Py_ssize_t _end_valid(Py_ssize_t offset, Py_ssize_t pad, Py_ssize_t stride,
                                  Py_ssize_t size, Py_ssize_t n_out, Py_ssize_t first) noexcept nogil:
    """One past the largest output index o with o * stride + offset - pad < size (in [first, n_out])."""
    cdef Py_ssize_t last = size - 1 + pad - offset
    if last < 0:
        return first
    last = last // stride + 1
    if last > n_out:
        last = n_out
    return last if last > first else first


cdef void _im2col_rows(const cython.floating *x, cython.floating *cols, Py_ssize_t row_stride,
                       Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                       Py_ssize_t HH, Py_ssize_t WW, Py_ssize_t pad, Py_ssize_t stride,
                       Py_ssize_t H_out, Py_ssize_t W_out, Py_ssize_t r0, Py_ssize_t r1) noexcept nogil:
    """Fill rows r0..r1 of cols; every row is written as long contiguous runs."""
    cdef Py_ssize_t r, c, kh, kw, n, i, j, i_lo, i_hi, j_lo, j_hi
    cdef Py_ssize_t HWo = H_out * W_out
    cdef Py_ssize_t esize = sizeof(cython.floating)
    cdef const cython.floating *xrow
    cdef cython.floating *crow
    for r in range(r0, r1):
        c = r // (HH * WW)
        kh = (r // WW) % HH
        kw = r % WW
        # output rows / columns whose input pixel is inside x (the rest read the zero padding)
        i_lo = _first_valid(kh, pad, stride, H_out)
        i_hi = _end_valid(kh, pad, stride, H, H_out, i_lo)
        j_lo = _first_valid(kw, pad, stride, W_out)
        j_hi = _end_valid(kw, pad, stride, W, W_out, j_lo)
        for n in range(N):
            crow = cols + r * row_stride + n * HWo  # (H_out * W_out) block of image n
            if i_lo > 0:
                memset(crow, 0, i_lo * W_out * esize)
            if i_hi < H_out:
                memset(crow + i_hi * W_out, 0, (H_out - i_hi) * W_out * esize)
            for i in range(i_lo, i_hi):
                xrow = x + ((n * C + c) * H + i * stride + kh - pad) * W + (kw - pad)
                if j_lo > 0:
                    memset(crow + i * W_out, 0, j_lo * esize)
                if j_hi < W_out:
                    memset(crow + i * W_out + j_hi, 0, (W_out - j_hi) * esize)
                if stride == 1:
                    memcpy(crow + i * W_out + j_lo, xrow + j_lo, (j_hi - j_lo) * esize)
                else:
                    for j in range(j_lo, j_hi):
                        crow[i * W_out + j] = xrow[j * stride]


cdef void _col2im_planes(const cython.floating *cols, cython.floating *dx, Py_ssize_t row_stride,
                         Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                         Py_ssize_t HH, Py_ssize_t WW, Py_ssize_t pad, Py_ssize_t stride,
                         Py_ssize_t H_out, Py_ssize_t W_out, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    """Accumulate into the (image, channel) planes p0..p1 of dx, one plane at a time (it stays in cache)."""
    cdef Py_ssize_t p, n, c, kh, kw, i, j, i_lo, i_hi, j_lo, j_hi
    cdef Py_ssize_t HWo = H_out * W_out
    cdef const cython.floating *crow
    cdef cython.floating *xrow
    for p in range(p0, p1):
        n = p // C
        c = p % C
        for kh in range(HH):
            i_lo = _first_valid(kh, pad, stride, H_out)
            i_hi = _end_valid(kh, pad, stride, H, H_out, i_lo)
            for kw in range(WW):
                j_lo = _first_valid(kw, pad, stride, W_out)
                j_hi = _end_valid(kw, pad, stride, W, W_out, j_lo)
                crow = cols + ((c * HH + kh) * WW + kw) * row_stride + n * HWo
                for i in range(i_lo, i_hi):
                    xrow = dx + ((n * C + c) * H + i * stride + kh - pad) * W + (kw - pad)
                    if stride == 1:
                        for j in range(j_lo, j_hi):
                            xrow[j] += crow[i * W_out + j]
                    else:
                        for j in range(j_lo, j_hi):
                            xrow[j * stride] += crow[i * W_out + j]


# ----------------------------------------------------------------------------- shapes


def _out_size(Py_ssize_t size, Py_ssize_t field, Py_ssize_t padding, Py_ssize_t stride):
    """Output length along one axis, 1 + (size + 2 * padding - field) // stride; raises on a
    stride below 1, negative padding, or a field larger than the padded input."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    if field < 1:
        raise ValueError(f"field size must be >= 1, got {field}")
    span = size + 2 * padding - field
    if span < 0:
        raise ValueError(f"field {field} larger than padded input {size + 2 * padding}")
    return span // stride + 1


def _check_cols(Py_ssize_t rows, Py_ssize_t n_cols, Py_ssize_t item_stride, shape, Py_ssize_t itemsize):
    if shape[0] != rows or shape[1] != n_cols:
        raise ValueError(f"cols has shape {(shape[0], shape[1])}, expected {(rows, n_cols)}")
    if item_stride != itemsize:
        raise ValueError("the rows of cols must be contiguous (cols[:, a:b] slices are fine)")


# ----------------------------------------------------------------------------- public API


def im2col_into(const cython.floating[:, :, :, ::1] x, cython.floating[:, :] cols,
                Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding, Py_ssize_t stride):
    """Write the columns of the images x (N, C, H, W) into cols (C*HH*WW, N*H_out*W_out).

    x must be C-contiguous; cols may be a column slice of a larger buffer (only its rows must be
    contiguous), so callers can fill the columns of a big batch one block of images at a time.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t HH = field_height, WW = field_width
    cdef Py_ssize_t H_out = _out_size(H, HH, padding, stride)
    cdef Py_ssize_t W_out = _out_size(W, WW, padding, stride)
    cdef Py_ssize_t rows = C * HH * WW, n_cols = N * H_out * W_out
    _check_cols(rows, n_cols, cols.strides[1], (cols.shape[0], cols.shape[1]), sizeof(cython.floating))
    if rows == 0 or n_cols == 0:
        return
    cdef const cython.floating *xp = &x[0, 0, 0, 0]
    cdef cython.floating *cp = &cols[0, 0]
    cdef Py_ssize_t row_stride = cols.strides[0] // <Py_ssize_t>sizeof(cython.floating)

    with nogil:
        _im2col_rows(xp, cp, row_stride, N, C, H, W, HH, WW, padding, stride, H_out, W_out, 0, rows)


def col2im_into(const cython.floating[:, :] cols, cython.floating[:, :, :, ::1] dx,
                Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding, Py_ssize_t stride):
    """Accumulate cols (C*HH*WW, N*H_out*W_out) into dx (N, C, H, W): the adjoint of im2col_into.

    dx (C-contiguous) is added to, not overwritten, so pass zeros for a plain col2im. Values
    that im2col took from the zero padding are dropped. cols may be a column slice.
    """
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef Py_ssize_t HH = field_height, WW = field_width
    cdef Py_ssize_t H_out = _out_size(H, HH, padding, stride)
    cdef Py_ssize_t W_out = _out_size(W, WW, padding, stride)
    cdef Py_ssize_t rows = C * HH * WW, n_cols = N * H_out * W_out
    _check_cols(rows, n_cols, cols.strides[1], (cols.shape[0], cols.shape[1]), sizeof(cython.floating))
    if rows == 0 or n_cols == 0:
        return
    cdef const cython.floating *cp = &cols[0, 0]
    cdef cython.floating *xp = &dx[0, 0, 0, 0]
    cdef Py_ssize_t row_stride = cols.strides[0] // <Py_ssize_t>sizeof(cython.floating)

    with nogil:
        _col2im_planes(cp, xp, row_stride, N, C, H, W, HH, WW, padding, stride, H_out, W_out, 0, N * C)


def _check_float(a, what):
    if a.dtype != np.float32 and a.dtype != np.float64:
        raise TypeError(f"{what} must be float32 or float64, got {a.dtype}")


def im2col_cython(x, field_height, field_width, padding, stride):
    """Columns of x (N, C, H, W) for a field_height x field_width filter.

    Returns cols of shape (C * field_height * field_width, N * H_out * W_out), dtype of x,
    with H_out = 1 + (H + 2 * padding - field_height) // stride (likewise W_out).
    """
    x = np.ascontiguousarray(x)
    _check_float(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be 4-d (N, C, H, W), got shape {x.shape}")
    N, C, H, W = x.shape
    H_out = _out_size(H, field_height, padding, stride)
    W_out = _out_size(W, field_width, padding, stride)
    cols = np.empty((C * field_height * field_width, N * H_out * W_out), dtype=x.dtype)
    im2col_into(x, cols, field_height, field_width, padding, stride)
    return cols


def col2im_cython(cols, N, C, H, W, field_height, field_width, padding, stride):
    """Adjoint of im2col_cython: sum cols (C*HH*WW, N*H_out*W_out) back into an (N, C, H, W) array."""
    cols = np.ascontiguousarray(cols)
    _check_float(cols, "cols")
    dx = np.zeros((N, C, H, W), dtype=cols.dtype)
    col2im_into(cols, dx, field_height, field_width, padding, stride)
    return dx
