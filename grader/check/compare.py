"""Comparing a student's plain float64 arrays with the expected ones, in the parent.

Every comparison fails on a shape mismatch and on any NaN or infinity, whatever the values;
nothing the child sent is trusted beyond being numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import Tol


def rel_error(actual, expected, floor: float = 0.0, scale: float | None = 0.0) -> float:
    """The notebooks' relative error max |a - e| / max(1e-8, |a| + |e|), with the denominator
    floored at floor * max(max|e|, scale): entries far below the array's scale, or below the
    scale of the whole call (`scale`, e.g. the largest of all the gradients a model returns:
    the gradient of a bias that batchnorm follows is zero up to rounding), are compared
    absolutely.

    Shape mismatch or a non-finite entry gives inf.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape or not np.all(np.isfinite(a)):
        return float("inf")
    if a.size == 0:
        return 0.0
    top = max(float(np.max(np.abs(e))) if e.size else 0.0, float(scale or 0.0))
    denom = np.maximum(np.abs(a) + np.abs(e), max(1e-8, floor * top))
    return float(np.max(np.abs(a - e) / denom))


def numeric_error(analytic, numeric, floor: float = 0.0) -> float:
    """rel_error of analytic gradients against numeric ones, leaving out the coordinates where the
    numeric gradient is NaN (a kink: no derivative there); 0 when every coordinate is a kink."""
    a = np.asarray(analytic, dtype=np.float64).reshape(-1)
    n = np.asarray(numeric, dtype=np.float64).reshape(-1)
    if a.shape != n.shape:
        return float("inf")
    keep = ~np.isnan(n)
    if not keep.any():
        return 0.0
    return rel_error(a[keep], n[keep], floor)


def scale_of(arrays) -> float:
    """The largest magnitude among some arrays (the scale of a call's outputs); 0 when none."""
    top = 0.0
    for v in arrays:
        if v is None:
            continue
        v = np.asarray(v, dtype=np.float64)
        if v.size and np.all(np.isfinite(v)):
            top = max(top, float(np.max(np.abs(v))))
    return top


def strip_leading_ones(shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def broadcast_same(actual_shape, expected_shape) -> bool:
    """Whether two shapes differ only by leading dimensions of size 1 ((1, D) and (D,)): arrays of
    such shapes broadcast against everything the same way (numpy aligns trailing dimensions)."""
    return tuple(actual_shape) != tuple(expected_shape) and strip_leading_ones(actual_shape) == strip_leading_ones(
        expected_shape)


@dataclass
class Comparison:
    """The outcome for one output: ok, its relative error, and what is wrong in words."""

    key: str
    ok: bool
    rel_error: float | None
    problem: str | None = None
    threshold: float | None = None
    warning: str | None = None  # accepted, but not what the docstring states (a warning, no points lost)
    warning_kind: str = "shape"  # its kind (grader.check.judge.WARNING_KINDS)

    def describe(self) -> str:
        if self.problem:
            return f"{self.key}: {self.problem}"
        if self.rel_error is None:
            return f"{self.key}: ok" if self.ok else f"{self.key}: wrong"
        err = f"{self.rel_error:.2e}"
        if self.ok:
            return f"{self.key}: rel error {err}"
        return f"{self.key}: rel error {err} (tolerance {self.threshold:.0e})"


def shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def compare(key: str, actual, expected, tol: Tol, dtype: str = "float64", actual_dtype: str | None = None, *,
            lenient: bool = False, also: tuple = (), scale: float | None = 0.0) -> Comparison:
    """Compare one output with the expected value at the tolerance of the case's dtype.

    actual_dtype: the dtype the student's function returned (before the float64 conversion);
    a non-floating result (int, bool) fails. lenient: a shape differing only by leading
    dimensions of size 1 ((1, D) for (D,)) is compared by value and noted as a warning (for
    parameter-shaped outputs, which the course only ever broadcasts; never for activations,
    whose shape the next layer reads). also: other shapes the docstring documents for this output
    (an edition's), accepted silently. scale: the scale of the whole call (see rel_error).
    """
    threshold = tol.threshold(dtype)
    if actual is None:
        return Comparison(key, False, None, "missing from the result", threshold)
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    warning = None
    if a.shape != e.shape and a.size == e.size and tuple(a.shape) in {tuple(s) for s in also}:
        a = a.reshape(e.shape)
    elif lenient and broadcast_same(a.shape, e.shape):
        warning = (f"{key} has shape {shape_str(a.shape)} where the docstring states {shape_str(e.shape)}: "
                   f"it broadcasts the same way, so its values were judged")
        a = a.reshape(e.shape)
    if a.shape != e.shape:
        return Comparison(key, False, None, f"shape {shape_str(a.shape)}, expected {shape_str(e.shape)}", threshold)
    bad = ~np.isfinite(a)
    if bad.any():
        what = "NaN" if np.isnan(a).any() else "inf"
        return Comparison(key, False, None, f"contains {what} ({int(bad.sum())} of {a.size} entries)", threshold)
    if actual_dtype is not None and np.dtype(actual_dtype).kind not in "f":
        return Comparison(key, False, None, f"dtype {actual_dtype}, expected a floating-point array", threshold)
    err = rel_error(a, e, tol.floor(dtype), scale)
    ok = err <= threshold
    return Comparison(key, ok, err, None, threshold, warning if ok else None)


def close(actual, expected, tol: float = 1e-6) -> bool:
    """Whether two arrays agree to a relative error of tol (same shape, finite)."""
    return rel_error(actual, expected, 1e-6) <= tol


def best_ratio(actual, expected) -> float | None:
    """The k with actual ≈ k * expected in least squares (None when expected is all zero)."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if a.shape != e.shape or not np.all(np.isfinite(a)):
        return None
    den = float(e @ e)
    if den == 0.0:
        return None
    return float(a @ e) / den
