"""The description of every student function of UCLA ECE C147/C247's homeworks 3-5 (the nndl/
package), as this project's kit has them (the 2018-2019 API: dropout's p is the probability of
DROPPING a unit).

Where a function is the same as CS231n's (the layers, the update rules' maths, the models'
configurations), its description is the default course's with this course's module, so the
public inputs and the hidden shapes are shared; what differs is written here: the state keys of
the update rules, Nesterov momentum, the two-layer net with its own training loop and its
transposed weights, the use_batchnorm and dropout arguments of the nets.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...check.spec import VISIBLE, CheckSpec, ModelConfig, ModelSpec, OptimSpec
from ..cs231n import specs as cs

LAYERS_MODULE, UTILS_MODULE, OPTIM_MODULE = "nndl.layers", "nndl.layer_utils", "nndl.optim"
FC_MODULE, NET_MODULE, CNN_MODULE = "nndl.fc_net", "nndl.neural_net", "nndl.cnn"
CONV_MODULE, CONV_UTILS_MODULE, FAST_MODULE = "nndl.conv_layers", "nndl.conv_layer_utils", "utils.fast_layers"

MODULE_DEPS = {
    LAYERS_MODULE: (),
    UTILS_MODULE: (LAYERS_MODULE,),
    OPTIM_MODULE: (),
    FC_MODULE: (LAYERS_MODULE, UTILS_MODULE),
    NET_MODULE: (),
    CONV_MODULE: (LAYERS_MODULE,),
    FAST_MODULE: (),
    CONV_UTILS_MODULE: (LAYERS_MODULE, FAST_MODULE),
    CNN_MODULE: (LAYERS_MODULE, CONV_MODULE, FAST_MODULE, UTILS_MODULE, CONV_UTILS_MODULE),
}


def _moved(spec, module: str, **changes):
    """One of the default course's descriptions, in this course's module."""
    return dataclasses.replace(spec, module=module, **changes)


# ----------------------------------------------------------------------------- layers.py

AFFINE, RELU, BATCHNORM = cs.LAYERS[0], cs.LAYERS[1], cs.LAYERS[2]
LAYERS = (
    _moved(AFFINE, LAYERS_MODULE),
    _moved(RELU, LAYERS_MODULE),
    _moved(BATCHNORM, LAYERS_MODULE, backward=("batchnorm_backward",),
           points={"batchnorm_forward": 2, "batchnorm_backward": 4},
           hints={"batchnorm_backward": ("bn_backward_terms",)}),
)

# p is the probability of DROPPING a unit here (keep=False); the editions of the terms whose kit
# says "keep" set keep=True (Edition.options).
DROPOUT = tuple(
    dataclasses.replace(c, options={**c.options, "module": LAYERS_MODULE}
                        | ({"keep": False} if c.check == "dropout_forward" else {}))
    for c in cs.DROPOUT
)

RUNNING_BN = dataclasses.replace(cs.RUNNING[0], options={**cs.RUNNING[0].options, "module": LAYERS_MODULE})

# ----------------------------------------------------------------------------- conv_layers.py

CONV, POOL, SPATIAL = cs.LAYERS[4], cs.LAYERS[5], cs.LAYERS[6]
CONV_LAYERS = (
    _moved(CONV, CONV_MODULE),
    _moved(POOL, CONV_MODULE),
    _moved(SPATIAL, CONV_MODULE, uses={"spatial_batchnorm_forward": ("layers.batchnorm_forward",),
                                       "spatial_batchnorm_backward": ("layers.batchnorm_backward",)}),
)
RUNNING_SPATIAL = dataclasses.replace(cs.RUNNING[1], qualname="conv_layers.spatial_batchnorm_forward",
                                      options={**cs.RUNNING[1].options, "module": CONV_MODULE})

# ----------------------------------------------------------------------------- optim.py
# The Optimization notebook's single steps: the default course's inputs, this course's keys
# (rmsprop's average of squared gradients in 'a'; adam's first moment in 'v', second in 'a').


def _rmsprop_public():
    w, dw, config = cs._rmsprop_public()
    return w, dw, {"learning_rate": config["learning_rate"], "a": config["cache"]}


def _adam_public():
    w, dw, config = cs._adam_public()
    return w, dw, {"learning_rate": config["learning_rate"], "v": config["m"], "a": config["v"], "t": config["t"]}


MOMENTUM_DEFAULTS = {"learning_rate": 1e-2, "momentum": 0.9}
OPTIM = (
    OptimSpec(OPTIM_MODULE, "sgd_momentum", defaults=MOMENTUM_DEFAULTS, state={"velocity": "zeros"}, points=2,
              public=cs._momentum_public, hidden={"learning_rate": 3e-2, "momentum": 0.8},
              hints=("momentum_variants",)),
    OptimSpec(OPTIM_MODULE, "sgd_nesterov_momentum", defaults=MOMENTUM_DEFAULTS, state={"velocity": "zeros"},
              points=2, public=cs._momentum_public, hidden={"learning_rate": 3e-2, "momentum": 0.8},
              hints=("nesterov_variants",)),
    OptimSpec(OPTIM_MODULE, "rmsprop", defaults={"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
              state={"a": "zeros"}, points=2, public=_rmsprop_public,
              hidden={"learning_rate": 2e-2, "decay_rate": 0.9}, hints=("rmsprop_state_keys", "rmsprop_variants")),
    OptimSpec(OPTIM_MODULE, "adam", defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
              state={"v": "zeros", "a": "zeros", "t": 0}, points=3, public=_adam_public,
              hidden={"learning_rate": 2e-2, "beta1": 0.8, "beta2": 0.99}, hints=("adam_state_keys", "adam_variants")),
)

# ----------------------------------------------------------------------------- neural_net.py


def _toy_net():
    """The two_layer_nn notebook's toy net and data: TwoLayerNet(4, 10, 3, std=1e-1) drawn after
    seeding 0, X = 10 * randn(5, 4) after seeding 1, y = [0, 1, 2, 2, 1]. Its loss at reg 0.05 is
    1.071696123862817 (the notebook's check)."""
    np_state = np.random.RandomState(0)
    W1 = 1e-1 * np_state.randn(10, 4)
    W2 = 1e-1 * np_state.randn(3, 10)
    X = 10 * np.random.RandomState(1).randn(5, 4)
    return {"X": X, "y": np.array([0, 1, 2, 2, 1]),
            "params": {"W1": W1, "b1": np.zeros(10), "W2": W2, "b2": np.zeros(3)}}


NET = "neural_net.TwoLayerNet"
TWO_LAYER_NET = (
    ModelSpec(
        module=NET_MODULE, cls="TwoLayerNet", points=8, init={"W": "normal"}, init_std="std", reg_at="loss",
        configs=(
            ModelConfig("public", {"input_size": 4, "hidden_size": 10, "output_size": 3, "std": 1e-1},
                        input_shape=(4,), N=5, classes=3, regs=(0.0, 0.05), visibility=VISIBLE, fixed=_toy_net),
            ModelConfig("wide", {"input_size": 13, "hidden_size": 17, "output_size": 6, "std": 5e-2},
                        input_shape=(13,), N=9, classes=6, regs=(0.0, 0.7)),
            ModelConfig("narrow", {"input_size": 21, "hidden_size": 7, "output_size": 4, "std": 5e-2},
                        input_shape=(21,), N=6, classes=4, regs=(0.0, 0.3)),
        ),
        hints=("reg_variants", "two_layer_transposed"),
    ),
    CheckSpec(NET, "own_training", points=4, options={
        "module": NET_MODULE, "cls": "TwoLayerNet",
        "kwargs": {"input_size": 6, "hidden_size": 20, "output_size": 3, "std": 0.1},
        "input_dim": 6, "classes": 3, "n_train": 60, "min_train_acc": 0.9,
        "train": {"learning_rate": 0.1, "learning_rate_decay": 0.95, "reg": 1e-4, "num_iters": 150,
                  "batch_size": 20, "verbose": False},
    }),
)

# ----------------------------------------------------------------------------- fc_net.py

FC_USES = ("layers.affine_forward", "layers.affine_backward", "layers.relu_forward", "layers.relu_backward")
FC_PUBLIC = cs.FC_PUBLIC
# With batchnorm, what loss(X) does at test time is decided by the kit's given code (its loss()
# never switches the batchnorm layers to test mode in most terms), not by the student: the
# test-mode scores of those configurations are not a test.
BN = dict(check_scores=False)
FC_MODELS = (
    ModelSpec(
        module=FC_MODULE, cls="TwoLayerNet", points=6, init=cs.INIT,
        configs=(
            ModelConfig("public", {"input_dim": 5, "hidden_dims": 50, "num_classes": 7, "weight_scale": 1e-3},
                        input_shape=(5,), N=3, classes=7, regs=(0.0, 1.0), visibility=VISIBLE,
                        fixed=cs._two_layer_public),
            ModelConfig("kdim", {"input_dim": 15, "hidden_dims": 17, "num_classes": 6, "weight_scale": 5e-2},
                        input_shape=(3, 5), N=9, classes=6),
        ),
        hints=("reg_variants",), uses=FC_USES,
    ),
    ModelSpec(
        module=FC_MODULE, cls="FullyConnectedNet", points=14, init=cs.INIT,
        configs=(
            ModelConfig("public", FC_PUBLIC, input_shape=(15,), N=2, classes=10, regs=(0.0, 3.14),
                        visibility=VISIBLE, fixed=cs._fc_public()),
            ModelConfig("public_batchnorm", dict(FC_PUBLIC, use_batchnorm=True), input_shape=(15,), N=2, classes=10,
                        regs=(0.0, 3.14), visibility=VISIBLE, fixed=cs._fc_public("batchnorm"), **BN),
            # the Dropout notebook's net (p = 0.25 dropped, seed 123): judged against its own
            # numeric gradient; without dropout it must match the reference
            ModelConfig("public_dropout", dict(FC_PUBLIC, dropout=0.25, seed=123), input_shape=(15,), N=2,
                        classes=10, regs=(0.0, 3.14), visibility=VISIBLE, stochastic=True,
                        plain_kwargs={"dropout": 0}, fixed=cs._fc_public()),
            ModelConfig("none", dict(FC_PUBLIC), input_shape=(15,), N=6, classes=10, regs=(0.0, 3.14)),
            ModelConfig("batchnorm", {"hidden_dims": [9, 7], "input_dim": 12, "num_classes": 5, "weight_scale": 5e-2,
                                      "use_batchnorm": True, "dtype": "float64"},
                        input_shape=(3, 4), N=8, classes=5, **BN),
            ModelConfig("dropout", {"hidden_dims": [12, 9], "input_dim": 8, "num_classes": 5, "weight_scale": 5e-2,
                                    "dropout": 0.4, "seed": 123, "dtype": "float64"},
                        input_shape=(8,), N=7, classes=5, stochastic=True, plain_kwargs={"dropout": 0}),
            ModelConfig("deep", {"hidden_dims": [7, 6, 5, 6], "input_dim": 9, "num_classes": 3, "weight_scale": 5e-2,
                                 "use_batchnorm": True, "dtype": "float64"},
                        input_shape=(9,), N=6, classes=3, regs=(0.0, 0.3), **BN),
            ModelConfig("deep_plain", {"hidden_dims": [7, 6, 5], "input_dim": 9, "num_classes": 3,
                                       "weight_scale": 5e-2, "dtype": "float64"},
                        input_shape=(3, 3), N=6, classes=3, regs=(0.0, 0.3)),
            ModelConfig("float32", {"hidden_dims": [10, 8], "input_dim": 6, "num_classes": 4, "weight_scale": 5e-2},
                        input_shape=(6,), N=5, classes=4, dtype="float32"),
        ),
        hints=("reg_variants", "dropout_skipped"),
        uses=FC_USES + ("layers.batchnorm_forward", "layers.batchnorm_backward", "layers.dropout_forward",
                        "layers.dropout_backward"),
    ),
)
# the configurations of homework 3, before batchnorm and dropout
FC_LATER = ("public_batchnorm", "public_dropout", "batchnorm", "dropout", "deep")

# ----------------------------------------------------------------------------- cnn.py

CNN = _moved(cs.MODELS[2], CNN_MODULE, points=8, uses=FC_USES)

SPECS = (LAYERS + DROPOUT + (RUNNING_BN,) + CONV_LAYERS + (RUNNING_SPATIAL,) + OPTIM + cs.ZERO_GRADIENTS
         + TWO_LAYER_NET + FC_MODELS + (CNN,))
