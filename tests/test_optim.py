"""The reference update rules (cs231n/optim.py) against the notebooks' check values and by hand."""

import numpy as np
import pytest

from cs231n import optim
from cs231n.optim import adam, rmsprop, sgd, sgd_momentum

N, D = 4, 5


def rel_error(x, y):
    """The notebooks' relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def check_inputs():
    """w, dw and a state array as the notebooks build them."""
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    state = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    return w, dw, state


# ---------------------------------------------------------------- the notebooks' check values


def test_sgd_momentum_check_values():
    w, dw, v = check_inputs()
    next_w, config = sgd_momentum(w, dw, {"learning_rate": 1e-3, "velocity": v})
    assert next_w.shape == (N, D)
    assert next_w[0, 0] == pytest.approx(0.1406, abs=1e-10)
    assert next_w[3, 4] == pytest.approx(1.4096, abs=1e-10)
    assert config["velocity"][0, 0] == pytest.approx(0.5406, abs=1e-10)
    assert config["velocity"][3, 4] == pytest.approx(0.8096, abs=1e-10)
    # The whole arrays, from the formula v' = mu v - lr dw, w' = w + v'.
    expected_v = 0.9 * v - 1e-3 * dw
    assert rel_error(config["velocity"], expected_v) < 1e-12
    assert rel_error(next_w, w + expected_v) < 1e-12


def test_rmsprop_check_values():
    w, dw, cache = check_inputs()
    next_w, config = rmsprop(w, dw, {"learning_rate": 1e-2, "cache": cache})
    assert next_w[0, 0] == pytest.approx(-0.39223849, abs=1e-8)
    assert next_w[3, 4] == pytest.approx(0.59576619, abs=1e-8)
    assert config["cache"][0, 0] == pytest.approx(0.5976, abs=1e-10)
    assert config["cache"][3, 4] == pytest.approx(0.8926, abs=1e-10)
    expected_cache = 0.99 * cache + 0.01 * dw**2
    assert rel_error(config["cache"], expected_cache) < 1e-12
    assert rel_error(next_w, w - 1e-2 * dw / (np.sqrt(expected_cache) + 1e-8)) < 1e-12


def test_adam_check_values_and_t_incremented_before_use():
    w, dw, m = check_inputs()
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    next_w, config = adam(w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
    assert next_w[0, 0] == pytest.approx(-0.40094747, abs=1e-8)
    assert next_w[3, 4] == pytest.approx(0.59801459, abs=1e-8)
    assert config["v"][0, 0] == pytest.approx(0.69966, abs=1e-10)
    assert config["m"][0, 0] == pytest.approx(0.48, abs=1e-10)
    assert config["t"] == 6

    # The notebook's full expected arrays for this step.
    expected_next_w = np.asarray([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
    assert np.max(np.abs(next_w - expected_next_w)) < 1e-8  # printed to 8 decimals

    # A rule that used t = 5 (no increment first) is off by about 1.5e-3.
    m_new = 0.9 * m + 0.1 * dw
    v_new = 0.999 * v + 0.001 * dw**2
    stale_t = w - 1e-2 * (m_new / (1 - 0.9**5)) / (np.sqrt(v_new / (1 - 0.999**5)) + 1e-8)
    assert rel_error(stale_t, expected_next_w) > 1e-3


# ---------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    "rule, defaults",
    [
        (sgd, {"learning_rate": 1e-2}),
        (sgd_momentum, {"learning_rate": 1e-2, "momentum": 0.9}),
        (rmsprop, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}),
        (adam, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
    ],
)
def test_defaults_filled_when_config_is_none(rule, defaults):
    w, dw, _ = check_inputs()
    next_w, config = rule(w, dw)  # config=None
    for key, value in defaults.items():
        assert config[key] == value, key
    assert next_w.shape == w.shape
    # Given values are kept, missing ones filled in.
    _, config = rule(w, dw, {"learning_rate": 0.5})
    assert config["learning_rate"] == 0.5
    assert set(defaults) <= set(config)


def test_first_steps_from_zero_state():
    w, dw, _ = check_inputs()
    # sgd
    next_w, _ = sgd(w, dw)
    assert np.allclose(next_w, w - 1e-2 * dw)
    # momentum from zero velocity: first step is plain sgd
    next_w, config = sgd_momentum(w, dw)
    assert np.allclose(next_w, w - 1e-2 * dw)
    assert np.allclose(config["velocity"], -1e-2 * dw)
    # rmsprop from a zero cache: step of lr * dw / |dw| * 10 (since cache = 0.01 dw**2)
    next_w, config = rmsprop(w, dw)
    assert np.allclose(config["cache"], 0.01 * dw**2)
    assert np.allclose(next_w, w - 1e-2 * dw / (0.1 * np.abs(dw) + 1e-8))
    # adam: t starts at 0 and the first step uses t = 1, so it moves each weight
    # by about lr * sign(dw) (bias correction undoes the zero start).
    next_w, config = adam(w, dw)
    assert config["t"] == 1
    assert np.allclose(next_w, w - 1e-3 * np.sign(dw), atol=1e-9)


def test_rules_do_not_modify_inputs():
    w, dw, state = check_inputs()
    for rule, config in [
        (sgd, {}),
        (sgd_momentum, {"velocity": state.copy()}),
        (rmsprop, {"cache": state.copy()}),
        (adam, {"m": state.copy(), "v": state.copy(), "t": 3}),
    ]:
        w0, dw0 = w.copy(), dw.copy()
        next_w, _ = rule(w0, dw0, config)
        assert np.array_equal(w0, w) and np.array_equal(dw0, dw), rule.__name__
        assert not np.shares_memory(next_w, w0), rule.__name__


# ---------------------------------------------------------------- state over several steps


def test_state_carried_over_several_steps():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(5)]

    # Unrolled by hand for each rule.
    w, v = w0.copy(), np.zeros_like(w0)
    w_m, config_m = w0.copy(), None
    for dw in grads:
        v = 0.9 * v - 1e-2 * dw
        w = w + v
        w_m, config_m = sgd_momentum(w_m, dw, config_m)
    assert np.allclose(w_m, w) and np.allclose(config_m["velocity"], v)

    w, cache = w0.copy(), np.zeros_like(w0)
    w_r, config_r = w0.copy(), None
    for dw in grads:
        cache = 0.99 * cache + 0.01 * dw**2
        w = w - 1e-2 * dw / (np.sqrt(cache) + 1e-8)
        w_r, config_r = rmsprop(w_r, dw, config_r)
    assert np.allclose(w_r, w) and np.allclose(config_r["cache"], cache)

    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    w_a, config_a = w0.copy(), None
    for t, dw in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * dw
        v = 0.999 * v + 0.001 * dw**2
        w = w - 1e-3 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        w_a, config_a = adam(w_a, dw, config_a)
    assert config_a["t"] == len(grads)
    assert np.allclose(w_a, w) and np.allclose(config_a["m"], m) and np.allclose(config_a["v"], v)


def test_rules_minimise_a_quadratic():
    # f(w) = 0.5 |w - target|^2, gradient w - target.
    target = np.array([1.0, -2.0, 3.0])
    for rule, config, steps in [
        (sgd, {"learning_rate": 0.1}, 200),
        (sgd_momentum, {"learning_rate": 0.05}, 300),
        (rmsprop, {"learning_rate": 1e-2}, 1000),
        (adam, {"learning_rate": 5e-2}, 1000),
    ]:
        w = np.zeros(3)
        for _ in range(steps):
            w, config = rule(w, w - target, config)
        assert np.allclose(w, target, atol=5e-2), rule.__name__


def test_module_exposes_the_four_rules():
    for name in ("sgd", "sgd_momentum", "rmsprop", "adam"):
        assert callable(getattr(optim, name))
