"""The given numerical-gradient helpers (reference/cs231n/gradient_check.py)."""

import numpy as np

from cs231n.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_rel_error_definition():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0  # the 1e-8 floor avoids 0 / 0
    assert rel_error(np.array([1.0, 2.0]), np.array([3.0, 2.0])) == 0.5  # max of |x - y| / (|x| + |y|)
    assert np.isclose(rel_error(1e-10, 0.0), 1e-2)  # tiny values: divided by the 1e-8 floor
    assert np.isclose(rel_error(np.array([-1.0]), np.array([1.0])), 1.0)


def test_eval_numerical_gradient_centred_restores_x_and_prints(capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    before = x.copy()
    grad = eval_numerical_gradient(lambda x: np.sum(x**3), x)  # verbose by default
    assert grad.shape == x.shape
    assert rel_error(grad, 3 * x**2 + 1e-10) < 1e-8  # centred differences of x**3 carry exactly h**2
    np.testing.assert_array_equal(x, before)  # perturbed in place, then restored exactly
    assert len(capsys.readouterr().out.strip().splitlines()) == x.size
    eval_numerical_gradient(lambda x: np.sum(x**3), x, verbose=False)
    assert capsys.readouterr().out == ""


def test_eval_numerical_gradient_uses_h_and_centred_differences():
    x = np.array([2.0])
    # for x**3 the centred difference is 3x^2 + h^2 exactly; a one-sided one would add 3xh
    grad = eval_numerical_gradient(lambda x: float(x[0] ** 3), x, verbose=False, h=0.1)
    assert np.isclose(grad[0], 12.0 + 0.01, rtol=1e-12)


def test_eval_numerical_gradient_array_matches_jacobian_product():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    df = rng.standard_normal((4, 5))
    before = x.copy()
    dx = eval_numerical_gradient_array(lambda x: x @ w, x, df)
    assert rel_error(dx, df @ w.T) < 1e-8
    np.testing.assert_array_equal(x, before)
    # a function that returns its own (perturbed) input: the helper must copy each output
    dx = eval_numerical_gradient_array(lambda x: x, x, df[:, :3])
    assert rel_error(dx, df[:, :3]) < 1e-8


def test_grad_check_sparse_reports_errors(capsys):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6))
    before = x.copy()
    f = lambda x: np.sum(np.sin(x))  # noqa: E731
    good = grad_check_sparse(f, x, np.cos(x), num_checks=7)
    assert len(good) == 7 and max(good) < 1e-8
    assert len(capsys.readouterr().out.strip().splitlines()) == 7
    bad = grad_check_sparse(f, x, np.cos(x) + 0.5, num_checks=5, h=1e-6)
    assert min(bad) > 1e-2
    np.testing.assert_array_equal(x, before)
