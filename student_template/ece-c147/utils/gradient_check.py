"""Numerical gradients by centred differences, for checking analytic backward passes."""

import numpy as np


def rel_error(x, y):
    """Relative error as the notebooks define it: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """
    Numerical gradient of a scalar function f at x.

    Inputs:
    - f: a function taking one array argument and returning a scalar
    - x: the point (numpy array) at which to evaluate the gradient; it is perturbed
      in place, one entry at a time, and restored afterwards
    - verbose: print each entry's index and gradient
    - h: step of the centred difference

    Returns:
    - grad: array of the same shape as x
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)  # f(x + h)
        x[ix] = old - h
        fxmh = f(x)  # f(x - h)
        x[ix] = old  # restore
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Numerical gradient of sum(f(x) * df) w.r.t. x, for a function f that maps
    an array to an array; df is the upstream gradient (shape of f(x)).

    x is perturbed in place and restored; returns an array of the shape of x.
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()  # copy: f may return a view of its input
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5):
    """
    Compare the analytic gradient with a numerical one at num_checks random entries
    of x, printing both and their relative error. Returns the list of relative errors.
    """
    rng = np.random.default_rng()  # local RNG: the entries checked differ from run to run
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        denom = max(abs(grad_numerical) + abs(grad_analytic), 1e-8)
        rel = abs(grad_numerical - grad_analytic) / denom
        errors.append(rel)
        print(f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, relative error: {rel:e}")
    return errors
