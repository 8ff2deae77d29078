"""The description of every student function of CS231n assignment 2 (the 2021-2024 API).

One description per student function or class. Public cases use the inputs of the notebooks'
checks (docs/courses/cs231n.md lists their values) and are the same for every submission;
hidden cases are drawn from the per-submission seed, with shapes picked among the
alternatives listed.
"""

from __future__ import annotations

import numpy as np

from ...check.spec import VISIBLE, Arg, CallSpec, Case, CheckSpec, LayerSpec, ModelConfig, ModelSpec, OptimSpec, Tol
from ..family.checks import route_once
from ..family.update_checks import zero_gradient_checks

LAYERS_MODULE, UTILS_MODULE, OPTIM_MODULE = "cs231n.layers", "cs231n.layer_utils", "cs231n.optim"
FC_MODULE, CNN_MODULE, SOLVER_MODULE = "cs231n.classifiers.fc_net", "cs231n.classifiers.cnn", "cs231n.solver"
INIT = {"W": "normal", "gamma": 1.0}

# ----------------------------------------------------------------------------- public inputs


def _affine_public():
    return {
        "x": np.linspace(-0.1, 0.5, num=2 * 120).reshape(2, 4, 5, 6),
        "w": np.linspace(-0.2, 0.3, num=120 * 3).reshape(120, 3),
        "b": np.linspace(-0.3, 0.1, num=3),
    }


def _relu_public():
    return {"x": np.linspace(-0.5, 0.5, num=12).reshape(3, 4)}


def _conv_public():
    return {
        "x": np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4),
        "w": np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4),
        "b": np.linspace(-0.1, 0.2, num=3),
    }


def _pool_public():
    return {"x": np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)}


def _seeded(fn):
    """Public inputs drawn after seeding, as the notebooks do (a local RandomState(231))."""

    def make():
        return fn(np.random.RandomState(231))

    return make


@_seeded
def _bn_public(rs):
    return {"x": 5 * rs.randn(4, 5) + 12, "gamma": rs.randn(5), "beta": rs.randn(5)}


@_seeded
def _spatial_bn_public(rs):
    return {"x": 4 * rs.randn(2, 3, 4, 5) + 10, "gamma": np.array([3.0, 4.0, 5.0]), "beta": np.array([6.0, 7.0, 8.0])}


@_seeded
def _gn_public(rs):
    return {"x": 4 * rs.randn(2, 6, 4, 5) + 10, "gamma": rs.randn(1, 6, 1, 1), "beta": rs.randn(1, 6, 1, 1)}


@_seeded
def _loss_public(rs):
    return {"x": 0.001 * rs.randn(50, 10), "y": rs.randint(10, size=50)}


@_seeded
def _dropout_public(rs):
    """The Dropout notebook's input (x = randn + 10 after seeding 231), at a smaller size."""
    return {"x": rs.randn(100, 200) + 10}


@_seeded
def _dropout_backward_public(rs):
    x = rs.randn(10, 10) + 10
    return {"x": x, "dout": rs.randn(*x.shape)}


@_seeded
def _affine_relu_public(rs):
    return {"x": rs.randn(2, 3, 4), "w": rs.randn(12, 10), "b": rs.randn(10)}


@_seeded
def _conv_relu_public(rs):
    return {"x": rs.randn(2, 3, 8, 8), "w": rs.randn(3, 3, 3, 3), "b": rs.randn(3)}


@_seeded
def _conv_bn_relu_public(rs):
    return {"x": rs.randn(2, 3, 6, 6), "w": rs.randn(3, 3, 3, 3), "b": rs.randn(3),
            "gamma": 1 + 0.5 * rs.randn(3), "beta": rs.randn(3)}


@_seeded
def _conv_relu_pool_public(rs):
    return {"x": rs.randn(2, 3, 16, 16), "w": rs.randn(3, 3, 3, 3), "b": rs.randn(3)}


def _optim_wdw():
    w = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
    dw = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)
    return w, dw


def _momentum_public():
    w, dw = _optim_wdw()
    return w, dw, {"learning_rate": 1e-3, "velocity": np.linspace(0.6, 0.9, num=20).reshape(4, 5)}


def _rmsprop_public():
    w, dw = _optim_wdw()
    return w, dw, {"learning_rate": 1e-2, "cache": np.linspace(0.6, 0.9, num=20).reshape(4, 5)}


def _adam_public():
    w, dw = _optim_wdw()
    m = np.linspace(0.6, 0.9, num=20).reshape(4, 5)
    v = np.linspace(0.7, 0.5, num=20).reshape(4, 5)
    return w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}


def _two_layer_public():
    N, D, H, C = 3, 5, 50, 7
    return {
        "X": np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T,
        "y": np.array([0, 5, 1]),
        "params": {
            "W1": np.linspace(-0.7, 0.3, num=D * H).reshape(D, H),
            "b1": np.linspace(-0.1, 0.9, num=H),
            "W2": np.linspace(-0.3, 0.4, num=H * C).reshape(H, C),
            "b2": np.linspace(-0.9, 0.1, num=C),
        },
    }


def _fc_public(normalization=None):
    """The FullyConnectedNets notebook's initial-loss check (seed 231, N, D, H1, H2, C = 2, 15, 20,
    30, 10, weight_scale 5e-2): X and y, then the weights drawn in the reference's order, so the
    reference's loss at reg 0 is the notebook's 2.3004790897684924 (batchnorm 2.2611955101340957,
    layernorm 2.2378310041)."""

    def make():
        rs = np.random.RandomState(231)
        N, D, H1, H2, C = 2, 15, 20, 30, 10
        X = rs.randn(N, D)
        y = rs.randint(C, size=(N,))
        dims = [D, H1, H2, C]
        params = {}
        for i in range(3):
            params[f"W{i + 1}"] = 5e-2 * rs.randn(dims[i], dims[i + 1])
            params[f"b{i + 1}"] = np.zeros(dims[i + 1])
            if normalization and i < 2:
                params[f"gamma{i + 1}"] = np.ones(dims[i + 1])
                params[f"beta{i + 1}"] = np.zeros(dims[i + 1])
        return {"X": X, "y": y, "params": params}

    return make


def _cnn_public():
    """The ConvolutionalNetworks notebook's small net (seed 231, two 3x16x16 images, 3 filters of
    3x3, hidden 7, weight_scale 1e-3): its initial loss is about log(10)."""
    rs = np.random.RandomState(231)
    X = rs.randn(2, 3, 16, 16)
    y = rs.randint(10, size=(2,))
    params = {
        "W1": 1e-3 * rs.randn(3, 3, 3, 3), "b1": np.zeros(3),
        "W2": 1e-3 * rs.randn(3 * 8 * 8, 7), "b2": np.zeros(7),
        "W3": 1e-3 * rs.randn(7, 10), "b3": np.zeros(10),
    }
    return {"X": X, "y": y, "params": params}


# ----------------------------------------------------------------------------- shapes


def _affine_out(a, v):
    return (a["x"].shape[0], a["w"].shape[1])


def _conv_out(a, v):
    N, _, H, W = a["x"].shape
    F, _, HH, WW = a["w"].shape
    s, p = v["conv_param"]["stride"], v["conv_param"]["pad"]
    return (N, F, 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s)


def _pool_out(a, v):
    N, C, H, W = a["x"].shape
    pp = v["pool_param"]
    return (N, C, 1 + (H - pp["pool_height"]) // pp["stride"], 1 + (W - pp["pool_width"]) // pp["stride"])


def _conv_pool_out(a, v):
    N, F, H, W = _conv_out(a, v)
    pp = v["pool_param"]
    return (N, F, 1 + (H - pp["pool_height"]) // pp["stride"], 1 + (W - pp["pool_width"]) // pp["stride"])


TRAIN = {"mode": "train"}
CONV_ARGS = (
    Arg("x", ("N", "C", "H", "W")),
    Arg("w", ("F", "C", "HH", "WW")),
    Arg("b", ("F",)),
)
CONV_CASES = (
    Case("public", {"N": 2, "C": 3, "H": 4, "W": 4, "F": 3, "HH": 4, "WW": 4},
         {"conv_param": {"stride": 2, "pad": 1}}, visibility=VISIBLE, fixed=_conv_public),
    Case("stride1", ({"N": 2, "C": 3, "H": 5, "W": 5, "F": 4, "HH": 3, "WW": 3},
                     {"N": 3, "C": 2, "H": 6, "W": 6, "F": 3, "HH": 3, "WW": 3}),
         {"conv_param": {"stride": 1, "pad": 1}}),
    Case("stride2", ({"N": 2, "C": 2, "H": 7, "W": 7, "F": 3, "HH": 3, "WW": 3},
                     {"N": 2, "C": 3, "H": 5, "W": 5, "F": 2, "HH": 3, "WW": 3}),
         {"conv_param": {"stride": 2, "pad": 1}}),
    Case("pad0", {"N": 2, "C": 2, "H": 5, "W": 5, "F": 3, "HH": 3, "WW": 3},
         {"conv_param": {"stride": 1, "pad": 0}}, edge="pad 0 (no padding)"),
    Case("pad2", {"N": 2, "C": 2, "H": 5, "W": 5, "F": 2, "HH": 3, "WW": 3},
         {"conv_param": {"stride": 1, "pad": 2}}, edge="pad 2"),
    Case("stride3", {"N": 2, "C": 2, "H": 7, "W": 7, "F": 2, "HH": 3, "WW": 3},
         {"conv_param": {"stride": 3, "pad": 1}}, edge="stride 3"),
    Case("nonsquare_input", ({"N": 2, "C": 3, "H": 5, "W": 7, "F": 3, "HH": 3, "WW": 3},
                             {"N": 3, "C": 2, "H": 8, "W": 4, "F": 2, "HH": 3, "WW": 3}),
         {"conv_param": {"stride": 1, "pad": 1}}, edge="a non-square input (H != W)"),
    Case("nonsquare_filter", ({"N": 2, "C": 3, "H": 5, "W": 5, "F": 2, "HH": 2, "WW": 3},
                              {"N": 2, "C": 2, "H": 6, "W": 6, "F": 3, "HH": 3, "WW": 2}),
         {"conv_param": {"stride": 1, "pad": 1}}, edge="non-square filters (HH != WW)"),
    Case("N1", {"N": 1, "C": 1, "H": 4, "W": 4, "F": 1, "HH": 3, "WW": 3},
         {"conv_param": {"stride": 1, "pad": 1}}, edge="a single example, channel and filter (N = C = F = 1)"),
    Case("float32", {"N": 2, "C": 3, "H": 5, "W": 5, "F": 3, "HH": 3, "WW": 3},
         {"conv_param": {"stride": 1, "pad": 1}}, dtype="float32"),
)
# What the assignment reads again after a call (docs/grading-policy.md): a layer's parameters
# (training keeps them), a forward's x (the notebooks' numeric gradient checks call a forward
# again and again on the same x; an affine layer's x may be the data itself, which a model's
# gradient check reads again). Never read again after a backward: its dout, and the activations
# it finds in its cache. Except batchnorm's: the notebook passes the same dout and cache to
# batchnorm_backward and batchnorm_backward_alt.
SCRATCH = ("dout", "x")
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}

# ----------------------------------------------------------------------------- layers.py

LAYERS = (
    LayerSpec(
        module=LAYERS_MODULE, forward="affine_forward", backward=("affine_backward",),
        args=(Arg("x", ("N", "*S")), Arg("w", ("D", "M")), Arg("b", ("M",))),
        call=("x", "w", "b"), grads=("x", "w", "b"), out_shape=_affine_out,
        cases=(
            Case("public", {"N": 2, "S": (4, 5, 6), "D": 120, "M": 3}, visibility=VISIBLE, fixed=_affine_public),
            Case("kdim", ({"N": 3, "S": (4, 5, 3), "D": 60, "M": 7}, {"N": 5, "S": (3, 7), "D": 21, "M": 4},
                          {"N": 4, "S": (2, 3, 2, 3), "D": 36, "M": 5})),
            Case("2d", ({"N": 7, "S": (13,), "D": 13, "M": 5}, {"N": 9, "S": (11,), "D": 11, "M": 3})),
            Case("N1", {"N": 1, "S": (2, 3), "D": 6, "M": 4}, edge="a single example (N = 1)"),
            Case("float32", {"N": 4, "S": (3, 5), "D": 15, "M": 6}, dtype="float32"),
        ),
        points={"affine_forward": 2, "affine_backward": 3},
        hints={"affine_backward": ("affine_dx_not_reshaped",)},
        scratch={"affine_backward": ("dout",)},
        cache={"affine_backward": ("x", "w", "b")},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="relu_forward", backward=("relu_backward",),
        args=(Arg("x", ("*S",), draw="away"),), call=("x",), grads=("x",),
        cases=(
            Case("public", {"S": (3, 4)}, visibility=VISIBLE, fixed=_relu_public, numeric=False),
            Case("4d", ({"S": (2, 3, 4, 5)}, {"S": (3, 2, 5, 3)})),
            Case("2d", ({"S": (7, 9)}, {"S": (5, 11)})),
            Case("float32", {"S": (6, 7)}, dtype="float32"),
        ),
        points={"relu_forward": 1, "relu_backward": 2},
        hints={"relu_backward": ("relu_mask",)},
        scratch={"relu_backward": SCRATCH},
        cache={"relu_backward": "x"},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="batchnorm_forward", backward=("batchnorm_backward", "batchnorm_backward_alt"),
        args=(Arg("x", ("N", "D"), scale=5.0, shift=12.0), Arg("gamma", ("D",)), Arg("beta", ("D",))),
        call=("x", "gamma", "beta", "@bn_param"), grads=("x", "gamma", "beta"),
        cases=(
            Case("public", {"N": 4, "D": 5}, {"bn_param": TRAIN}, visibility=VISIBLE, fixed=_bn_public),
            Case("odd", ({"N": 7, "D": 9}, {"N": 9, "D": 5}), {"bn_param": TRAIN}),
            Case("eps", {"N": 5, "D": 3}, {"bn_param": {"mode": "train", "eps": 1e-2}}, scale={"x": 0.1}),
            Case("float32", {"N": 8, "D": 6}, {"bn_param": TRAIN}, dtype="float32"),
        ),
        points={"batchnorm_forward": 2, "batchnorm_backward": 4, "batchnorm_backward_alt": 2},
        hints={"batchnorm_backward": ("bn_backward_terms",), "batchnorm_backward_alt": ("bn_backward_terms",)},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="layernorm_forward", backward=("layernorm_backward",),
        args=(Arg("x", ("N", "D"), scale=3.0, shift=-4.0), Arg("gamma", ("D",)), Arg("beta", ("D",))),
        call=("x", "gamma", "beta", "@ln_param"), grads=("x", "gamma", "beta"),
        cases=(
            Case("public", {"N": 4, "D": 5}, {"ln_param": {}}, visibility=VISIBLE, fixed=_bn_public),
            Case("odd", ({"N": 7, "D": 9}, {"N": 3, "D": 11}), {"ln_param": {}}),
            Case("eps", {"N": 5, "D": 4}, {"ln_param": {"eps": 1e-2}}, scale={"x": 0.1}),
            Case("float32", {"N": 6, "D": 8}, {"ln_param": {}}, dtype="float32"),
        ),
        points={"layernorm_forward": 2, "layernorm_backward": 3},
        hints={"layernorm_backward": ("ln_backward_terms",)},
        scratch={"layernorm_backward": SCRATCH},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="conv_forward_naive", backward=("conv_backward_naive",),
        args=CONV_ARGS, call=("x", "w", "b", "@conv_param"), grads=("x", "w", "b"), out_shape=_conv_out,
        cases=CONV_CASES,
        points={"conv_forward_naive": 4, "conv_backward_naive": 5},
        hints={"conv_forward_naive": ("float_pad",), "conv_backward_naive": ("pad_zero_slice", "float_pad")},
        across={"conv_forward_naive": ("stride_only",), "conv_backward_naive": ("stride_only",)},
        scratch={"conv_backward_naive": SCRATCH},
        cache={"conv_backward_naive": ("x", "w", "b", "@conv_param")},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="max_pool_forward_naive", backward=("max_pool_backward_naive",),
        args=(Arg("x", ("N", "C", "H", "W")),), call=("x", "@pool_param"), grads=("x",), out_shape=_pool_out,
        cases=(
            Case("public", {"N": 2, "C": 3, "H": 4, "W": 4}, {"pool_param": POOL}, visibility=VISIBLE,
                 fixed=_pool_public, numeric=False),
            Case("2x2", ({"N": 2, "C": 3, "H": 6, "W": 8}, {"N": 3, "C": 2, "H": 8, "W": 4}), {"pool_param": POOL}),
            Case("nonsquare_pool", ({"N": 2, "C": 2, "H": 8, "W": 9}, {"N": 2, "C": 3, "H": 5, "W": 6}),
                 {"pool_param": {"pool_height": 2, "pool_width": 3, "stride": 3}},
                 edge="a non-square pooling window (pool_height != pool_width)"),
            Case("stride_gap", {"N": 2, "C": 2, "H": 8, "W": 5}, {"pool_param": {"pool_height": 2, "pool_width": 2,
                                                                                "stride": 3}},
                 edge="a stride larger than the window (gaps between windows)"),
            Case("overlap", {"N": 2, "C": 2, "H": 7, "W": 5}, {"pool_param": {"pool_height": 3, "pool_width": 3,
                                                                             "stride": 2}},
                 edge="overlapping windows (stride smaller than the window: dx must add up over the windows)"),
            Case("ties", {"N": 2, "C": 3, "H": 4, "W": 6}, {"pool_param": POOL}, numeric=False, compare=route_once,
                 draw={"x": "ties"}, edge="windows holding tied maxima"),
            Case("N1", {"N": 1, "C": 1, "H": 4, "W": 4}, {"pool_param": POOL}, edge="a single example and channel"),
            Case("float32", {"N": 2, "C": 2, "H": 4, "W": 6}, {"pool_param": POOL}, dtype="float32"),
        ),
        points={"max_pool_forward_naive": 2, "max_pool_backward_naive": 3},
        scratch={"max_pool_backward_naive": SCRATCH},
        cache={"max_pool_backward_naive": ("x", "@pool_param")},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="spatial_batchnorm_forward", backward=("spatial_batchnorm_backward",),
        args=(Arg("x", ("N", "C", "H", "W"), scale=4.0, shift=10.0), Arg("gamma", ("C",)), Arg("beta", ("C",))),
        call=("x", "gamma", "beta", "@bn_param"), grads=("x", "gamma", "beta"),
        cases=(
            Case("public", {"N": 2, "C": 3, "H": 4, "W": 5}, {"bn_param": TRAIN}, visibility=VISIBLE,
                 fixed=_spatial_bn_public),
            Case("odd", ({"N": 3, "C": 4, "H": 3, "W": 5}, {"N": 2, "C": 5, "H": 3, "W": 3}), {"bn_param": TRAIN}),
            Case("float32", {"N": 2, "C": 3, "H": 4, "W": 4}, {"bn_param": TRAIN}, dtype="float32"),
        ),
        points={"spatial_batchnorm_forward": 2, "spatial_batchnorm_backward": 2},
        hints={"spatial_batchnorm_forward": ("spatial_bn_no_transpose",),
               "spatial_batchnorm_backward": ("spatial_bn_no_transpose",)},
        scratch={"spatial_batchnorm_backward": SCRATCH},
        uses={"spatial_batchnorm_forward": ("layers.batchnorm_forward",),
              "spatial_batchnorm_backward": ("layers.batchnorm_backward", "layers.batchnorm_backward_alt")},
    ),
    LayerSpec(
        module=LAYERS_MODULE, forward="spatial_groupnorm_forward", backward=("spatial_groupnorm_backward",),
        args=(Arg("x", ("N", "C", "H", "W"), scale=4.0, shift=10.0), Arg("gamma", (1, "C", 1, 1)),
              Arg("beta", (1, "C", 1, 1))),
        call=("x", "gamma", "beta", "@G", "@gn_param"), grads=("x", "gamma", "beta"),
        cases=(
            Case("public", {"N": 2, "C": 6, "H": 4, "W": 5}, {"G": 2, "gn_param": {}}, visibility=VISIBLE,
                 fixed=_gn_public),
            Case("G3", ({"N": 3, "C": 6, "H": 3, "W": 5}, {"N": 2, "C": 9, "H": 3, "W": 3}), {"G": 3, "gn_param": {}}),
            Case("G_equals_C", {"N": 2, "C": 4, "H": 3, "W": 3}, {"G": 4, "gn_param": {}}, edge="G = C (one channel "
                                                                                              "per group)"),
            Case("G1", {"N": 3, "C": 4, "H": 3, "W": 2}, {"G": 1, "gn_param": {}}, edge="G = 1 (one group of every "
                                                                                        "channel)"),
            Case("float32", {"N": 2, "C": 4, "H": 4, "W": 4}, {"G": 2, "gn_param": {}}, dtype="float32"),
        ),
        points={"spatial_groupnorm_forward": 3, "spatial_groupnorm_backward": 3},
        scratch={"spatial_groupnorm_backward": SCRATCH},
    ),
)

LOSSES = tuple(
    CallSpec(
        module=LAYERS_MODULE, name=name,
        args=(Arg("x", ("N", "C")), Arg("y", ("N",), draw="labels")),
        call=("x", "y"), outputs=("loss", "dx"),
        numeric={"scalar": "loss", "grads": {"dx": "x"}},
        cases=(
            Case("public", {"N": 50, "C": 10}, visibility=VISIBLE, fixed=_loss_public),
            Case("odd", ({"N": 7, "C": 5}, {"N": 9, "C": 3})),
            Case("N1", {"N": 1, "C": 5}, edge="a single example (N = 1)"),
            Case("float32", {"N": 6, "C": 4}, dtype="float32"),
        # scores around 1000 (a diverging training run makes them): exp overflows unless the
        # maximum is subtracted first, as the course notes ask; their spread stays small, so that
        # the notes' own recipe (probabilities, then their log) does not underflow either
        ) + ((Case("large_scores", {"N": 5, "C": 4}, shift={"x": 1000.0}, numeric=False,
                   edge="scores around 1000 (as a diverging training run makes): exp overflows unless the maximum "
                        "score is subtracted first, as the course notes ask"),) if name == "softmax_loss" else ()),
        points=2,
        hints=hints,
    )
    for name, hints in (("svm_loss", ("svm_correct_class",)), ("softmax_loss", ("softmax_overflow",)))
)

# Dropout is judged by statistics and by its own mask, not against the reference: the public
# cases (points 0: they share the function's points with the hidden ones) use fixed inputs.
DROPOUT = (
    CheckSpec("layers.dropout_forward", "dropout_forward", points=0, visibility=VISIBLE,
              options={"module": LAYERS_MODULE, "ps": (0.25, 0.4, 0.7), "shift": 10.0, "fixed": _dropout_public}),
    CheckSpec("layers.dropout_forward", "dropout_forward", points=3,
              options={"module": LAYERS_MODULE, "ps": (0.25, 0.4, 0.7), "shape": (100, 200), "shift": 10.0}),
    CheckSpec("layers.dropout_backward", "dropout_backward", points=0, visibility=VISIBLE,
              options={"module": LAYERS_MODULE, "forward": "dropout_forward", "p": 0.2, "seed": 123,
                       "fixed": _dropout_backward_public}),
    CheckSpec("layers.dropout_backward", "dropout_backward", points=1,
              options={"module": LAYERS_MODULE, "forward": "dropout_forward", "p": 0.6, "shape": (20, 30)}),
)

RUNNING = (
    CheckSpec("layers.batchnorm_forward", "bn_running", points=2,
              options={"module": LAYERS_MODULE, "function": "batchnorm_forward", "shape": ("N", "D"), "dims": {"N": 9, "D": 4}, "steps": 4}),
    CheckSpec("layers.spatial_batchnorm_forward", "bn_running", points=1,
              options={"module": LAYERS_MODULE, "function": "spatial_batchnorm_forward", "shape": ("N", "C", "H", "W"),
                       "dims": {"N": 3, "C": 4, "H": 3, "W": 2}, "steps": 3}),
)

# ----------------------------------------------------------------------------- layer_utils.py

_sandwich_hidden = {"N": 3, "S": (2, 5), "D": 10, "M": 6}
_conv_small = {"N": 2, "C": 3, "H": 6, "W": 6, "F": 3, "HH": 3, "WW": 3}
CONV1 = {"stride": 1, "pad": 1}
LAYER_UTILS = (
    LayerSpec(
        module=UTILS_MODULE, forward="affine_relu_forward", backward=("affine_relu_backward",),
        args=(Arg("x", ("N", "*S")), Arg("w", ("D", "M")), Arg("b", ("M",))),
        call=("x", "w", "b"), grads=("x", "w", "b"), out_shape=_affine_out,
        cases=(Case("public", {"N": 2, "S": (3, 4), "D": 12, "M": 10}, visibility=VISIBLE, fixed=_affine_relu_public),
               Case("random", _sandwich_hidden)),
        points={"affine_relu_forward": 0.5, "affine_relu_backward": 0.5},
        scratch={"affine_relu_backward": ("dout",)},
        compose={"affine_relu_forward": {"name": "affine_relu", "module": UTILS_MODULE},
                 "affine_relu_backward": {"name": "affine_relu", "module": UTILS_MODULE}},
        uses={"affine_relu_forward": ("layers.affine_forward", "layers.relu_forward"),
              "affine_relu_backward": ("layers.affine_backward", "layers.relu_backward")},
    ),
    LayerSpec(
        module=UTILS_MODULE, forward="conv_relu_forward", backward=("conv_relu_backward",),
        args=CONV_ARGS, call=("x", "w", "b", "@conv_param"), grads=("x", "w", "b"), out_shape=_conv_out,
        cases=(Case("public", dict(_conv_small, H=8, W=8), {"conv_param": CONV1}, visibility=VISIBLE,
                    fixed=_conv_relu_public),
               Case("random", _conv_small, {"conv_param": CONV1})),
        points={"conv_relu_forward": 0.5, "conv_relu_backward": 0.5},
        scratch={"conv_relu_backward": ("dout",)},
        compose={"conv_relu_forward": {"name": "conv_relu", "module": UTILS_MODULE},
                 "conv_relu_backward": {"name": "conv_relu", "module": UTILS_MODULE}},
        uses={"conv_relu_forward": ("layers.relu_forward",), "conv_relu_backward": ("layers.relu_backward",)},
    ),
    LayerSpec(
        module=UTILS_MODULE, forward="conv_bn_relu_forward", backward=("conv_bn_relu_backward",),
        args=CONV_ARGS + (Arg("gamma", ("F",)), Arg("beta", ("F",))),
        call=("x", "w", "b", "gamma", "beta", "@conv_param", "@bn_param"), grads=("x", "w", "b", "gamma", "beta"),
        out_shape=_conv_out,
        cases=(Case("public", _conv_small, {"conv_param": CONV1, "bn_param": TRAIN}, visibility=VISIBLE,
                    fixed=_conv_bn_relu_public),
               Case("random", _conv_small, {"conv_param": CONV1, "bn_param": TRAIN})),
        points={"conv_bn_relu_forward": 0.5, "conv_bn_relu_backward": 0.5},
        scratch={"conv_bn_relu_backward": ("dout",)},
        compose={"conv_bn_relu_forward": {"name": "conv_bn_relu", "module": UTILS_MODULE},
                 "conv_bn_relu_backward": {"name": "conv_bn_relu", "module": UTILS_MODULE}},
        uses={"conv_bn_relu_forward": ("layers.spatial_batchnorm_forward", "layers.relu_forward"),
              "conv_bn_relu_backward": ("layers.spatial_batchnorm_backward", "layers.relu_backward")},
    ),
    LayerSpec(
        module=UTILS_MODULE, forward="conv_relu_pool_forward", backward=("conv_relu_pool_backward",),
        args=CONV_ARGS, call=("x", "w", "b", "@conv_param", "@pool_param"), grads=("x", "w", "b"),
        out_shape=_conv_pool_out,
        cases=(Case("public", dict(_conv_small, H=16, W=16), {"conv_param": CONV1, "pool_param": POOL},
                    visibility=VISIBLE, fixed=_conv_relu_pool_public),
               Case("random", _conv_small, {"conv_param": CONV1, "pool_param": POOL})),
        points={"conv_relu_pool_forward": 0.5, "conv_relu_pool_backward": 0.5},
        scratch={"conv_relu_pool_backward": ("dout",)},
        compose={"conv_relu_pool_forward": {"name": "conv_relu_pool", "module": UTILS_MODULE},
                 "conv_relu_pool_backward": {"name": "conv_relu_pool", "module": UTILS_MODULE}},
        uses={"conv_relu_pool_forward": ("layers.relu_forward",), "conv_relu_pool_backward": ("layers.relu_backward",)},
    ),
)

# ----------------------------------------------------------------------------- optim.py

OPTIM = (
    OptimSpec(OPTIM_MODULE, "sgd_momentum", defaults={"learning_rate": 1e-2, "momentum": 0.9}, state={"velocity": "zeros"},
              points=2, public=_momentum_public, hidden={"learning_rate": 3e-2, "momentum": 0.8},
              hints=("momentum_variants",)),
    OptimSpec(OPTIM_MODULE, "rmsprop", defaults={"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
              state={"cache": "zeros"}, points=2, public=_rmsprop_public,
              hidden={"learning_rate": 2e-2, "decay_rate": 0.9}, hints=("rmsprop_variants",)),
    OptimSpec(OPTIM_MODULE, "adam", defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
              state={"m": "zeros", "v": "zeros", "t": 0}, points=3, public=_adam_public,
              hidden={"learning_rate": 2e-2, "beta1": 0.8, "beta2": 0.99}, hints=("adam_variants",)),
)
# Found by `grader mutate`: without epsilon, RMSProp and Adam divide 0 by 0 where a gradient is
# exactly zero; the steps above draw no zero. Points 0: they share the rule's points.
ZERO_GRADIENTS = zero_gradient_checks()

# ----------------------------------------------------------------------------- models

FC_PUBLIC = {"hidden_dims": [20, 30], "input_dim": 15, "num_classes": 10, "weight_scale": 5e-2, "dtype": "float64"}
FC_USES = ("layers.affine_forward", "layers.affine_backward", "layers.relu_forward", "layers.relu_backward",
           "layers.softmax_loss")
MODELS = (
    ModelSpec(
        module=FC_MODULE, cls="TwoLayerNet", points=7, init=INIT,
        configs=(
            ModelConfig("public", {"input_dim": 5, "hidden_dim": 50, "num_classes": 7, "weight_scale": 1e-3},
                        input_shape=(5,), N=3, classes=7, regs=(0.0, 1.0), visibility=VISIBLE,
                        fixed=_two_layer_public),
            ModelConfig("kdim", {"input_dim": 15, "hidden_dim": 17, "num_classes": 6, "weight_scale": 5e-2},
                        input_shape=(3, 5), N=9, classes=6),
        ),
        hints=("reg_variants",), uses=FC_USES + ("layer_utils.affine_relu_forward", "layer_utils.affine_relu_backward"),
    ),
    ModelSpec(
        module=FC_MODULE, cls="FullyConnectedNet", points=14, init=INIT,
        configs=(
            ModelConfig("public", FC_PUBLIC, input_shape=(15,), N=2, classes=10, regs=(0.0, 3.14),
                        visibility=VISIBLE, fixed=_fc_public()),
            ModelConfig("public_batchnorm", dict(FC_PUBLIC, normalization="batchnorm"), input_shape=(15,), N=2,
                        classes=10, regs=(0.0, 3.14), visibility=VISIBLE, fixed=_fc_public("batchnorm")),
            ModelConfig("public_layernorm", dict(FC_PUBLIC, normalization="layernorm"), input_shape=(15,), N=2,
                        classes=10, regs=(0.0,), visibility=VISIBLE, fixed=_fc_public("layernorm")),
            # the Dropout notebook's net (keep 0.75, seed 123): judged against its own numeric gradient
            ModelConfig("public_dropout", dict(FC_PUBLIC, dropout_keep_ratio=0.75, seed=123), input_shape=(15,), N=2,
                        classes=10, regs=(0.0, 3.14), visibility=VISIBLE, stochastic=True,
                        plain_kwargs={"dropout_keep_ratio": 1}, fixed=_fc_public()),
            ModelConfig("none", {"hidden_dims": [20, 30], "input_dim": 15, "num_classes": 10, "weight_scale": 5e-2,
                                 "dtype": "float64"}, input_shape=(15,), N=6, classes=10, regs=(0.0, 3.14)),
            ModelConfig("batchnorm", {"hidden_dims": [9, 7], "input_dim": 12, "num_classes": 5, "weight_scale": 5e-2,
                                      "normalization": "batchnorm", "dtype": "float64"},
                        input_shape=(3, 4), N=8, classes=5),
            ModelConfig("layernorm", {"hidden_dims": [8, 6, 7], "input_dim": 10, "num_classes": 4,
                                      "weight_scale": 5e-2, "normalization": "layernorm", "dtype": "float64"},
                        input_shape=(10,), N=5, classes=4),
            ModelConfig("dropout", {"hidden_dims": [12, 9], "input_dim": 8, "num_classes": 5, "weight_scale": 5e-2,
                                    "dropout_keep_ratio": 0.6, "seed": 123, "dtype": "float64"},
                        input_shape=(8,), N=7, classes=5, stochastic=True, plain_kwargs={"dropout_keep_ratio": 1}),
            ModelConfig("deep", {"hidden_dims": [7, 6, 5, 6], "input_dim": 9, "num_classes": 3, "weight_scale": 5e-2,
                                 "normalization": "batchnorm", "dtype": "float64"},
                        input_shape=(9,), N=6, classes=3, regs=(0.0, 0.3)),
            ModelConfig("float32", {"hidden_dims": [10, 8], "input_dim": 6, "num_classes": 4, "weight_scale": 5e-2},
                        input_shape=(6,), N=5, classes=4, dtype="float32"),
        ),
        hints=("reg_variants", "dropout_skipped"),
        uses=FC_USES + ("layers.batchnorm_forward", "layers.batchnorm_backward", "layers.layernorm_forward",
                        "layers.layernorm_backward", "layers.dropout_forward", "layers.dropout_backward"),
    ),
    ModelSpec(
        module=CNN_MODULE, cls="ThreeLayerConvNet", points=7, init=INIT,
        configs=(
            ModelConfig("public", {"input_dim": (3, 16, 16), "num_filters": 3, "filter_size": 3, "hidden_dim": 7,
                                   "num_classes": 10, "weight_scale": 1e-3, "dtype": "float64"},
                        input_shape=(3, 16, 16), N=2, classes=10, regs=(0.0, 0.5), visibility=VISIBLE,
                        fixed=_cnn_public),
            ModelConfig("small", {"input_dim": (3, 8, 8), "num_filters": 3, "filter_size": 3, "hidden_dim": 7,
                                  "num_classes": 5, "weight_scale": 1e-1, "dtype": "float64"},
                        input_shape=(3, 8, 8), N=4, classes=5, regs=(0.0, 0.5)),
            ModelConfig("odd", {"input_dim": (2, 10, 6), "num_filters": 4, "filter_size": 5, "hidden_dim": 6,
                                "num_classes": 4, "weight_scale": 1e-1, "dtype": "float64"},
                        input_shape=(2, 10, 6), N=3, classes=4, regs=(0.0, 0.5),
                        edge="non-square images (H != W) and a 5x5 filter"),
            ModelConfig("float32", {"input_dim": (3, 6, 6), "num_filters": 2, "filter_size": 3, "hidden_dim": 5,
                                    "num_classes": 3, "weight_scale": 1e-1},
                        input_shape=(3, 6, 6), N=3, classes=3, dtype="float32"),
            # found by `grader mutate`: odd sizes, where the 2x2 pool floors ((H - 2) // 2 + 1, not (H - 1) // 2 + 1)
            ModelConfig("odd_pool", {"input_dim": (2, 7, 9), "num_filters": 2, "filter_size": 3, "hidden_dim": 5,
                                     "num_classes": 3, "weight_scale": 1e-1, "dtype": "float64"},
                        input_shape=(2, 7, 9), N=2, classes=3, regs=(0.0, 0.5),
                        edge="odd image sizes (7x9), which the 2x2 pool floors to 3x4 (not F * H * W / 4 inputs)"),
        ),
        # A conv net's loss has many relu/max kinks: its numeric check is looser (relative errors reach 1e-2).
        numeric_tol=Tol(float64=1e-2, float32=1e-1, floor64=1e-3),
        hints=("reg_variants", "float_pad"),
        uses=FC_USES + ("layer_utils.conv_relu_pool_forward", "layer_utils.conv_relu_pool_backward"),
    ),
)

# The Solver is given: these check that the student's models train with it (overfitting a small
# random set; validation = training data, so the best parameters are the best on it). The public
# run (fixed data, points 0: it shares the Solver's points) overfits 25 examples with a
# FullyConnectedNet (every edition has one).
def _run(name, module, kwargs, input_shape, n_train, lr):
    return {"name": name, "module": module, "cls": name, "kwargs": kwargs, "input_shape": input_shape, "classes": 5,
            "n_train": n_train, "solver": {"update_rule": "sgd", "optim_config": {"learning_rate": lr}, "num_epochs": 30,
                                           "batch_size": n_train}}


_FC_RUN = _run("FullyConnectedNet", FC_MODULE, {"hidden_dims": [50, 40], "input_dim": 12, "num_classes": 5,
                                                "weight_scale": 2e-1, "dtype": "float64"}, (12,), 25, 0.3)
SOLVER = (
    CheckSpec("solver.Solver", "solver", points=0, visibility=VISIBLE,
              options={"solver": SOLVER_MODULE, "runs": (_FC_RUN,), "min_train_acc": 0.9}),
    CheckSpec("solver.Solver", "solver", points=5, options={
        "solver": SOLVER_MODULE,
        "runs": (
            _run("TwoLayerNet", FC_MODULE, {"input_dim": 12, "hidden_dim": 60, "num_classes": 5, "weight_scale": 2e-1},
                 (12,), 25, 0.5),
            _FC_RUN,
            _run("ThreeLayerConvNet", CNN_MODULE, {"input_dim": (3, 6, 6), "num_filters": 6, "filter_size": 3,
                                                   "hidden_dim": 40, "num_classes": 5, "weight_scale": 2e-1,
                                                   "dtype": "float64"}, (3, 6, 6), 20, 0.1),
        ),
        "min_train_acc": 0.9,
    }),
)

SPECS = LAYERS[:4] + DROPOUT + LAYERS[4:] + LOSSES + RUNNING + LAYER_UTILS + OPTIM + ZERO_GRADIENTS + MODELS + SOLVER
