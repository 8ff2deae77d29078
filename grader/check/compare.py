"""Comparing a student's plain float64 arrays with the expected ones, in the parent.

Every comparison fails on a shape mismatch and on any NaN or infinity, whatever the values;
nothing the child sent is trusted beyond being numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import Tol


def rel_error(actual, expected, floor: float = 0.0, scale: float | None = None) -> float:
    """The notebooks' relative error max |a - e| / max(1e-8, |a| + |e|), with the denominator
    floored at floor * max|e| (entries far below the array's scale are compared absolutely), or at
    floor * scale when a larger scale is given (the magnitude of the whole check's outputs).

    Shape mismatch or a non-finite entry gives inf.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape or not np.all(np.isfinite(a)):
        return float("inf")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(e))) if e.size else 0.0, scale or 0.0)
    denom = np.maximum(np.abs(a) + np.abs(e), max(1e-8, floor * scale))
    return float(np.max(np.abs(a - e) / denom))


@dataclass
class Comparison:
    """The outcome for one output: ok, its relative error, and what is wrong in words."""

    key: str
    ok: bool
    rel_error: float | None
    problem: str | None = None
    threshold: float | None = None

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


def compare(key: str, actual, expected, tol: Tol, dtype: str = "float64", actual_dtype: str | None = None,
            scale: float | None = None) -> Comparison:
    """Compare one output with the expected value at the tolerance of the case's dtype.

    actual_dtype: the dtype the student's function returned (before the float64 conversion);
    a non-floating result (int, bool) fails. scale: the magnitude of the outputs this one is
    judged among (see rel_error), so that an output that is zero up to rounding (the gradient of
    a bias that batchnorm follows) is not judged by its own rounding noise.
    """
    threshold = tol.threshold(dtype)
    if actual is None:
        return Comparison(key, False, None, "missing from the result", threshold)
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return Comparison(key, False, None, f"shape {shape_str(a.shape)}, expected {shape_str(e.shape)}", threshold)
    bad = ~np.isfinite(a)
    if bad.any():
        what = "NaN" if np.isnan(a).any() else "inf"
        return Comparison(key, False, None, f"contains {what} ({int(bad.sum())} of {a.size} entries)", threshold)
    if actual_dtype is not None and np.dtype(actual_dtype).kind not in "f":
        return Comparison(key, False, None, f"dtype {actual_dtype}, expected a floating-point array", threshold)
    err = rel_error(a, e, tol.floor(dtype), scale)
    return Comparison(key, err <= threshold, err, None, threshold)


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
