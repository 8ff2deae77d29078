"""The reference models (classifiers/fc_net.py, classifiers/cnn.py): check values, gradients, API."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cs231n.classifiers.fc_net import FullyConnectedNet, TwoLayerNet
from cs231n.gradient_check import eval_numerical_gradient


def rel_error(x, y):
    """The notebooks' relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def assert_gradients_match(model, X, y, tol=1e-5, h=1e-5):
    """Every parameter's analytic gradient against centred differences (float64).

    An entry passes when its relative error is below tol, or when both gradients
    are ~0 (a numerically zero gradient, e.g. b1 before batchnorm, has no
    meaningful relative error).
    """
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name in sorted(model.params):
        f = lambda _: model.loss(X, y)[0]  # noqa: E731 - reads model.params, perturbed in place
        num = eval_numerical_gradient(f, model.params[name], verbose=False, h=h)
        ana = grads[name]
        assert ana.shape == model.params[name].shape, name
        err = np.abs(num - ana) / np.maximum(1e-8, np.abs(num) + np.abs(ana))
        bad = (err > tol) & (np.abs(num - ana) > 1e-8)
        assert not bad.any(), f"{name}: relative error {err.max():.2e}"
    return loss


# ---------------------------------------------------------------- TwoLayerNet


def make_two_layer_check():
    """The notebook's TwoLayerNet check: seed 231, then linspace parameters and inputs."""
    np.random.seed(231)
    N, D, H, C = 3, 5, 50, 7
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=N)
    model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-3)
    return model, X, y, (N, D, H, C)


def test_two_layer_net_initialisation():
    model, _, _, (N, D, H, C) = make_two_layer_check()
    std = 1e-3
    assert set(model.params) == {"W1", "b1", "W2", "b2"}
    assert model.params["W1"].shape == (D, H) and model.params["b1"].shape == (H,)
    assert model.params["W2"].shape == (H, C) and model.params["b2"].shape == (C,)
    assert abs(model.params["W1"].std() - std) < std / 10
    assert abs(model.params["W2"].std() - std) < std / 10
    assert np.all(model.params["b1"] == 0) and np.all(model.params["b2"] == 0)
    assert model.reg == 0.0


def test_two_layer_net_check_values():
    model, _, _, (N, D, H, C) = make_two_layer_check()
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T

    scores = model.loss(X)
    assert scores.shape == (N, C)
    first_row = np.array([11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096])
    assert np.max(np.abs(scores[0] - first_row)) < 1e-8
    assert np.allclose(np.diff(scores[0]), 0.76008331, atol=1e-7)

    y = np.asarray([0, 5, 1])
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(3.4702243556, abs=1e-10)
    model.reg = 1.0
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(26.5948426952, abs=1e-10)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_gradients(reg):
    model, X, y, _ = make_two_layer_check()
    model = TwoLayerNet(input_dim=5, hidden_dim=50, num_classes=7, weight_scale=1e-1, reg=reg)
    assert_gradients_match(model, X, y)


# ---------------------------------------------------------------- FullyConnectedNet


def make_fc_data(N=2):
    """The notebook's FC-net check data: seed 231, N, D, H1, H2, C = 2, 15, 20, 30, 10."""
    np.random.seed(231)
    D, H1, H2, C = 15, 20, 30, 10
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    return X, y, (N, D, H1, H2, C)


def make_small_fc_data(N=6):
    """Smaller data for the gradient checks (their cost grows with the parameter count)."""
    np.random.seed(231)
    D, H1, H2, C = 8, 10, 12, 5
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    return X, y, (N, D, H1, H2, C)


@pytest.mark.parametrize(
    "normalization, expected",
    [
        (None, [2.3004790897684924, 7.052114776533016]),
        ("batchnorm", [2.2611955101340957, 6.996533220108303]),
        ("layernorm", [2.2378310041, None]),
    ],
)
def test_fc_net_initial_loss_check_values(normalization, expected):
    # As in the notebook, the reg 3.14 model is built right after the reg 0 one
    # (no reseeding), so its weights are the generator's next draws.
    X, y, (N, D, H1, H2, C) = make_fc_data()
    for reg, value in zip([0, 3.14], expected):
        model = FullyConnectedNet(
            [H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2, dtype=np.float64, normalization=normalization
        )
        loss, _ = model.loss(X, y)
        if value is not None:
            assert loss == pytest.approx(value, abs=1e-10), (normalization, reg)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("reg", [0.0, 3.14])
def test_fc_net_gradients(normalization, reg):
    # N = 6, not the notebook's 2: batchnorm over two samples is so ill-conditioned
    # that even a correct W1 gradient is off by 1e-4 (relative).
    X, y, (N, D, H1, H2, C) = make_small_fc_data(N=6)
    model = FullyConnectedNet(
        [H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=2e-1, dtype=np.float64, normalization=normalization
    )
    assert_gradients_match(model, X, y)


@pytest.mark.parametrize("keep", [0.75, 0.5])
def test_fc_net_dropout_gradients_with_seed(keep):
    X, y, (N, D, H1, H2, C) = make_small_fc_data(N=4)
    model = FullyConnectedNet(
        [H1, H2], input_dim=D, num_classes=C, dropout_keep_ratio=keep, reg=0.3, weight_scale=2e-1,
        dtype=np.float64, seed=123,
    )
    assert model.use_dropout
    assert model.dropout_param["seed"] == 123 and model.dropout_param["p"] == keep
    # The seed makes the masks repeat, so the loss is a deterministic function of the params.
    assert model.loss(X, y)[0] == model.loss(X, y)[0]
    # Dropout is really applied in training: without it the loss differs.
    plain = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=0.3, dtype=np.float64)
    plain.params = {k: v.copy() for k, v in model.params.items()}
    assert not plain.use_dropout and plain.dropout_param == {}
    assert plain.loss(X, y)[0] != pytest.approx(model.loss(X, y)[0])
    # ...and not at test time.
    assert np.allclose(plain.loss(X), model.loss(X))
    assert_gradients_match(model, X, y)


def test_fc_net_batchnorm_with_dropout_gradients():
    X, y, (N, D, H1, H2, C) = make_small_fc_data(N=6)
    model = FullyConnectedNet(
        [H1, H2], input_dim=D, num_classes=C, dropout_keep_ratio=0.5, normalization="batchnorm",
        reg=0.1, weight_scale=2e-1, dtype=np.float64, seed=7,
    )
    assert_gradients_match(model, X, y)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_net_params_shapes_and_dtypes(normalization):
    np.random.seed(0)
    dims = [12, 8, 6]
    for dtype in (np.float32, np.float64):
        model = FullyConnectedNet(dims, input_dim=20, num_classes=5, weight_scale=0.3, dtype=dtype, normalization=normalization)
        assert model.num_layers == 4 and model.normalization == normalization and model.dtype == dtype
        sizes = [20] + dims + [5]
        expected = {}
        for i in range(1, 5):
            expected[f"W{i}"] = (sizes[i - 1], sizes[i])
            expected[f"b{i}"] = (sizes[i],)
            if normalization is not None and i < 4:
                expected[f"gamma{i}"] = (sizes[i],)
                expected[f"beta{i}"] = (sizes[i],)
        assert {k: v.shape for k, v in model.params.items()} == expected
        for name, value in model.params.items():
            assert value.dtype == dtype, name
            if name.startswith("b") or name.startswith("beta"):
                assert np.all(value == 0), name
            elif name.startswith("gamma"):
                assert np.all(value == 1), name
        assert abs(model.params["W2"].std() - 0.3) < 0.1
        X = np.random.randn(3, 4, 5)  # any trailing shape of 20 features
        scores = model.loss(X)
        assert scores.shape == (3, 5) and scores.dtype == dtype
        loss, grads = model.loss(X, np.array([0, 1, 4]))
        for name in model.params:
            assert grads[name].shape == model.params[name].shape and grads[name].dtype == dtype, name


def test_fc_net_weights_drawn_from_global_seed_in_layer_order():
    np.random.seed(5)
    model = FullyConnectedNet([4, 3], input_dim=6, num_classes=2, weight_scale=0.1, dtype=np.float64)
    np.random.seed(5)
    assert np.array_equal(model.params["W1"], 0.1 * np.random.randn(6, 4))
    assert np.array_equal(model.params["W2"], 0.1 * np.random.randn(4, 3))
    assert np.array_equal(model.params["W3"], 0.1 * np.random.randn(3, 2))


def test_fc_net_regularisation_over_weights_only():
    X, y, (N, D, H1, H2, C) = make_fc_data()
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", dtype=np.float64)
    # Non-trivial gammas, betas and biases, which must not be regularised.
    for k in model.params:
        if not k.startswith("W"):
            model.params[k] = model.params[k] + np.random.randn(*model.params[k].shape)
    loss0, grads0 = model.loss(X, y)
    model.reg = 2.5
    loss1, grads1 = model.loss(X, y)
    weights = [model.params[f"W{i}"] for i in range(1, 4)]
    assert loss1 - loss0 == pytest.approx(0.5 * 2.5 * sum(np.sum(W * W) for W in weights), rel=1e-10)
    for k in model.params:
        extra = 2.5 * model.params[k] if k.startswith("W") else 0.0
        assert np.allclose(grads1[k], grads0[k] + extra), k


def test_fc_net_modes_switch_between_train_and_test():
    X, y, (N, D, H1, H2, C) = make_fc_data()
    model = FullyConnectedNet(
        [H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", dropout_keep_ratio=0.5, dtype=np.float64
    )
    assert len(model.bn_params) == 2
    assert "seed" not in model.dropout_param
    model.loss(X, y)
    assert model.dropout_param["mode"] == "train"
    assert all(bp["mode"] == "train" for bp in model.bn_params)
    running = [bp["running_mean"].copy() for bp in model.bn_params]
    scores = model.loss(X)
    assert scores.shape == (N, C)
    assert model.dropout_param["mode"] == "test"
    assert all(bp["mode"] == "test" for bp in model.bn_params)
    # Test mode reads the running statistics, never updates them.
    for bp, before in zip(model.bn_params, running):
        assert np.array_equal(bp["running_mean"], before)
    # Test mode is deterministic even without a seed (no dropout applied).
    assert np.array_equal(scores, model.loss(X))


def test_fc_net_layernorm_params():
    model = FullyConnectedNet([4, 4], input_dim=3, num_classes=2, normalization="layernorm")
    assert model.bn_params == [{}, {}]
    assert not model.use_dropout


def test_fc_net_rejects_unknown_normalization():
    with pytest.raises(ValueError):
        FullyConnectedNet([4], input_dim=3, num_classes=2, normalization="groupnorm")


def test_fc_net_save_load_roundtrip_without_pickle(tmp_path):
    X, y, (N, D, H1, H2, C) = make_fc_data()
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", dtype=np.float64)
    model.loss(X, y)  # fills the running statistics
    path = tmp_path / "fc_model.npz"
    model.save(str(path))
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert {f"params.{k}" for k in model.params} <= set(data.files)
    other = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", dtype=np.float32)
    other.load(str(path))
    for k, v in model.params.items():
        assert other.params[k].dtype == np.float32
        assert np.allclose(other.params[k], v, atol=1e-6)
    for a, b in zip(model.bn_params, other.bn_params):
        assert np.allclose(a["running_mean"], b["running_mean"], atol=1e-6)
    assert np.allclose(other.loss(X), model.loss(X), atol=1e-4)


# ---------------------------------------------------------------- ThreeLayerConvNet


@pytest.fixture
def cnn_module():
    # Imports the fast layers (compiled im2col), so only the CNN tests depend on the build.
    from cs231n.classifiers import cnn

    # One BLAS thread: on these tiny inputs threads spinning between the thousands of small
    # matrix products of a gradient check cost milliseconds per call on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        yield cnn


def small_cnn(cnn_module, **kwargs):
    args = dict(num_filters=3, filter_size=3, input_dim=(3, 16, 16), hidden_dim=7, dtype=np.float64)
    args.update(kwargs)
    return cnn_module.ThreeLayerConvNet(**args)


def test_cnn_params_shapes_and_dtypes(cnn_module):
    np.random.seed(231)
    model = small_cnn(cnn_module, weight_scale=1e-2)
    expected = {"W1": (3, 3, 3, 3), "b1": (3,), "W2": (3 * 8 * 8, 7), "b2": (7,), "W3": (7, 10), "b3": (10,)}
    assert {k: v.shape for k, v in model.params.items()} == expected
    for k, v in model.params.items():
        assert v.dtype == np.float64, k
        if k.startswith("b"):
            assert np.all(v == 0), k
    assert abs(model.params["W2"].std() - 1e-2) < 1e-3
    default = cnn_module.ThreeLayerConvNet()
    assert default.params["W1"].shape == (32, 3, 7, 7)
    assert default.params["W2"].shape == (32 * 16 * 16, 100)
    assert all(v.dtype == np.float32 for v in default.params.values())


def test_cnn_initial_loss(cnn_module):
    np.random.seed(231)
    N = 4
    X = np.random.randn(N, 3, 16, 16)
    y = np.random.randint(10, size=N)
    model = small_cnn(cnn_module)
    loss0, _ = model.loss(X, y)
    assert loss0 == pytest.approx(np.log(10), abs=1e-3)
    model.reg = 0.5
    loss1, _ = model.loss(X, y)
    weights = sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert loss1 - loss0 == pytest.approx(0.25 * weights, rel=1e-10)
    scores = model.loss(X)
    assert scores.shape == (N, 10)


def test_cnn_initial_loss_default_size(cnn_module):
    # The notebook's sanity check: default model, weight_scale 1e-3: ~log(10) at reg 0, ~2.5 at reg 0.5.
    np.random.seed(231)
    N = 2
    X = np.random.randn(N, 3, 32, 32)
    y = np.random.randint(10, size=N)
    model = cnn_module.ThreeLayerConvNet()
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(np.log(10), abs=1e-3)
    model.reg = 0.5
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(2.5, abs=0.05)


@pytest.mark.parametrize("reg", [pytest.param(0.0, marks=pytest.mark.slow), 0.5])
def test_cnn_gradients(cnn_module, reg):
    # A weight scale large enough that every gradient is well above round-off
    # (at the notebook's 1e-3 the hidden pre-activations lie within h of the relu kinks,
    # so even a correct net shows relative errors of 1e-2 to 1e-1).
    np.random.seed(231)
    N = 2
    X = np.random.randn(N, 3, 16, 16)
    y = np.random.randint(10, size=N)
    model = small_cnn(cnn_module, weight_scale=0.3, reg=reg)
    assert_gradients_match(model, X, y, tol=1e-5)


# ---------------------------------------------------------------- slow: the notebooks' model sizes


@pytest.mark.slow
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_net_gradients_notebook_size(normalization):
    X, y, (N, D, H1, H2, C) = make_fc_data(N=6)
    for reg in (0.0, 3.14):
        model = FullyConnectedNet(
            [H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2, dtype=np.float64,
            normalization=normalization, dropout_keep_ratio=0.75, seed=231,
        )
        assert_gradients_match(model, X, y)

