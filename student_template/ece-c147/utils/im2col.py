"""Pure-numpy im2col / col2im: the fallback of the compiled im2col_cython, with the same layout.

Column layout (see im2col_cython.pyx):

    cols[(c * HH + kh) * WW + kw, (n * H_out + i) * W_out + j] = x_padded[n, c, i * stride + kh, j * stride + kw]

i.e. cols has shape (C * HH * WW, N * H_out * W_out): one row per filter weight (the order of
w.reshape(F, -1)) and one column per output position, the positions of each image contiguous.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _out_size(size, field, padding, stride):
    """Output length along one axis, 1 + (size + 2 * padding - field) // stride (floored: rows and
    columns no filter position reaches are ignored); raises on a stride below 1, negative
    padding, or a field larger than the padded input."""
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


def _windows(x_pad, field_height, field_width, stride):
    """View (N, C, H_out, W_out, HH, WW) of every filter window of the padded input (no copy)."""
    win = sliding_window_view(x_pad, (field_height, field_width), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def im2col_into(x, cols, field_height, field_width, padding, stride):
    """Write the columns of x (N, C, H, W) into cols (C*HH*WW, N*H_out*W_out)."""
    N, C, H, W = x.shape
    H_out = _out_size(H, field_height, padding, stride)
    W_out = _out_size(W, field_width, padding, stride)
    if cols.shape != (C * field_height * field_width, N * H_out * W_out):
        raise ValueError(f"cols has shape {cols.shape}, expected {(C * field_height * field_width, N * H_out * W_out)}")
    p = padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x  # (N, C, H+2p, W+2p)
    win = _windows(x_pad, field_height, field_width, stride)  # (N, C, H_out, W_out, HH, WW)
    # cols viewed as (C, HH, WW, N, H_out, W_out); one strided copy fills it
    cols6 = cols.reshape(C, field_height, field_width, N, H_out, W_out)
    if not np.may_share_memory(cols6, cols):
        raise ValueError("cols must be a view that can be reshaped without copying")
    cols6[...] = win.transpose(1, 4, 5, 0, 2, 3)


def col2im_into(cols, dx, field_height, field_width, padding, stride):
    """Accumulate cols (C*HH*WW, N*H_out*W_out) into dx (N, C, H, W): the adjoint of im2col_into."""
    N, C, H, W = dx.shape
    H_out = _out_size(H, field_height, padding, stride)
    W_out = _out_size(W, field_width, padding, stride)
    if cols.shape != (C * field_height * field_width, N * H_out * W_out):
        raise ValueError(f"cols has shape {cols.shape}, expected {(C * field_height * field_width, N * H_out * W_out)}")
    p = padding
    cols6 = cols.reshape(C, field_height, field_width, N, H_out, W_out)
    dx_pad = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=dx.dtype) if p else dx
    # One strided add per filter offset: within one offset the output positions hit distinct
    # input pixels, so plain += is exact even when windows overlap.
    for kh in range(field_height):
        for kw in range(field_width):
            rows = slice(kh, kh + stride * (H_out - 1) + 1, stride)
            cs = slice(kw, kw + stride * (W_out - 1) + 1, stride)
            dx_pad[:, :, rows, cs] += cols6[:, kh, kw].transpose(1, 0, 2, 3)  # (N, C, H_out, W_out)
    if p:
        dx += dx_pad[:, :, p:p + H, p:p + W]


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    """Columns (C*HH*WW, N*H_out*W_out) of x (N, C, H, W), in the dtype of x."""
    N, C, H, W = x.shape
    H_out = _out_size(H, field_height, padding, stride)
    W_out = _out_size(W, field_width, padding, stride)
    cols = np.empty((C * field_height * field_width, N * H_out * W_out), dtype=x.dtype)
    im2col_into(x, cols, field_height, field_width, padding, stride)
    return cols


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """Sum cols (C*HH*WW, N*H_out*W_out) back into an array of shape x_shape (N, C, H, W)."""
    dx = np.zeros(x_shape, dtype=cols.dtype)
    col2im_into(cols, dx, field_height, field_width, padding, stride)
    return dx
