"""grader/check/compare.py: relative errors and comparisons that fail on shape, NaN and dtype."""

import numpy as np
import pytest

from grader.check.compare import best_ratio, compare, rel_error
from grader.check.spec import Tol

TOL = Tol(float64=1e-6, float32=1e-3, floor64=1e-6, floor32=1e-2)


def test_rel_error_is_the_notebooks_definition_without_floor():
    x, y = np.array([1.0, 2.0]), np.array([1.0, 2.2])
    assert rel_error(x, y) == pytest.approx(0.2 / 4.2)


def test_rel_error_floor_ignores_entries_far_below_the_scale():
    e = np.array([1.0, 1e-6])
    a = np.array([1.0, 2e-6])
    assert rel_error(a, e) > 0.3  # elementwise, the tiny entry dominates
    assert rel_error(a, e, floor=1e-3) == pytest.approx(1e-3)


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([np.inf, 1.0]), np.ones(3)])
def test_rel_error_is_infinite_for_non_finite_or_shape_mismatch(bad):
    assert rel_error(bad, np.ones(2)) == float("inf")


def test_compare_passes_equal_arrays():
    c = compare("out", np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3), TOL)
    assert c.ok and c.rel_error == 0.0


def test_compare_fails_on_shape_even_with_equal_values():
    c = compare("dx", np.arange(6.0), np.arange(6.0).reshape(2, 3), TOL)
    assert not c.ok and "shape (6,)" in c.problem and "(2, 3)" in c.problem


def test_compare_fails_on_nan_whatever_the_expected_value():
    c = compare("out", np.array([np.nan]), np.array([np.nan]), TOL)
    assert not c.ok and "NaN" in c.problem


def test_compare_fails_on_integer_results():
    c = compare("out", np.array([1.0, 2.0]), np.array([1.0, 2.0]), TOL, actual_dtype="int64")
    assert not c.ok and "int64" in c.problem


def test_compare_uses_the_tolerance_of_the_case_dtype():
    e = np.array([1.0, 2.0, 3.0])
    a = e * (1 + 1e-5)
    assert not compare("out", a, e, TOL, "float64").ok
    assert compare("out", a, e, TOL, "float32").ok


def test_compare_reports_missing_outputs():
    c = compare("db", None, np.ones(2), TOL)
    assert not c.ok and "missing" in c.describe()


def test_best_ratio_recovers_a_scale_factor():
    e = np.array([1.0, -2.0, 3.0])
    assert best_ratio(2.5 * e, e) == pytest.approx(2.5)
    assert best_ratio(e, np.zeros(3)) is None
