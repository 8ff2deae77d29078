"""The description of every student function of CS231n assignment 2, 2016 and 2017.

The maths and the public inputs are the default course's (grader/courses/cs231n/specs.py):
the same descriptions are reused where the 2016-2017 kit asks for the same function. What
differs: dropout's p is the probability of DROPPING a unit; FullyConnectedNet takes `dropout`
(drop probability, 0 = none) and `use_batchnorm`; no layer or group normalization; the loss
functions, the sandwich layers and the Solver are given, not written, so they are not graded;
adam's initial t is given code that differs between the years (0 in 2016, 1 in 2017), so
adam is checked from explicit configs only.
"""

from __future__ import annotations

import numpy as np

from ...check.spec import VISIBLE, CheckSpec, ModelConfig, ModelSpec, OptimSpec
from ..cs231n import specs as canonical

LAYERS_MODULE, OPTIM_MODULE = canonical.LAYERS_MODULE, canonical.OPTIM_MODULE
FC_MODULE, CNN_MODULE = canonical.FC_MODULE, canonical.CNN_MODULE


def _layer(forward: str):
    return next(s for s in canonical.LAYERS if s.forward == forward)


# Dropout: p drops a unit (keep=False). The public case uses the Dropout notebook's input.
DROP = {"module": LAYERS_MODULE, "keep": False}
DROPOUT = (
    CheckSpec("layers.dropout_forward", "dropout_forward", points=0, visibility=VISIBLE,
              options=dict(DROP, ps=(0.3, 0.6, 0.75), shift=10.0, fixed=canonical._dropout_public)),
    CheckSpec("layers.dropout_forward", "dropout_forward", points=3,
              options=dict(DROP, ps=(0.25, 0.5, 0.8), shape=(100, 200), shift=10.0)),
    CheckSpec("layers.dropout_backward", "dropout_backward", points=0, visibility=VISIBLE,
              options=dict(DROP, forward="dropout_forward", p=0.8, seed=123, fixed=canonical._dropout_backward_public)),
    CheckSpec("layers.dropout_backward", "dropout_backward", points=1,
              options=dict(DROP, forward="dropout_forward", p=0.4, shape=(20, 30))),
)

LAYERS = (_layer("affine_forward"), _layer("relu_forward"), _layer("batchnorm_forward")) + DROPOUT + (
    _layer("conv_forward_naive"), _layer("max_pool_forward_naive"), _layer("spatial_batchnorm_forward"))

RUNNING = canonical.RUNNING

# ----------------------------------------------------------------------------- optim.py

_momentum, _rmsprop, _adam = canonical.OPTIM
OPTIM = (
    _momentum,
    _rmsprop,
    OptimSpec(OPTIM_MODULE, "adam", defaults=_adam.defaults, state=_adam.state, points=_adam.points,
              public=_adam.public, hidden=dict(_adam.hidden, t=0), hints=_adam.hints, defaults_case=False),
)

# ----------------------------------------------------------------------------- models


def _fc_public_biased():
    """The notebook's small net with small random biases instead of zeros: under dropout a whole
    example's hidden layer can be dropped, and a zero bias then puts the next ReLU exactly at its
    kink, where a numeric gradient means nothing (a net whose dropout keeps 25% of the units,
    the keep convention read into p = 0.75, hit it)."""
    data = canonical._fc_public()()
    rs = np.random.RandomState(7)
    for k in ("b1", "b2", "b3"):
        data["params"][k] = 0.1 * rs.randn(*data["params"][k].shape)
    return data


FC_PUBLIC = canonical.FC_PUBLIC
_two_layer = next(s for s in canonical.MODELS if s.cls == "TwoLayerNet")
_cnn = next(s for s in canonical.MODELS if s.cls == "ThreeLayerConvNet")
FC_USES = canonical.FC_USES[:-1] + ("layers.batchnorm_forward", "layers.batchnorm_backward",
                                    "layers.dropout_forward", "layers.dropout_backward")
MODELS = (
    ModelSpec(module=FC_MODULE, cls="TwoLayerNet", points=_two_layer.points, init=canonical.INIT,
              configs=_two_layer.configs, hints=_two_layer.hints,
              uses=canonical.FC_USES[:-1]),
    ModelSpec(
        module=FC_MODULE, cls="FullyConnectedNet", points=14, init=canonical.INIT,
        configs=(
            ModelConfig("public", FC_PUBLIC, input_shape=(15,), N=2, classes=10, regs=(0.0, 3.14),
                        visibility=VISIBLE, fixed=canonical._fc_public()),
            ModelConfig("public_batchnorm", dict(FC_PUBLIC, use_batchnorm=True), input_shape=(15,), N=2,
                        classes=10, regs=(0.0, 3.14), visibility=VISIBLE, fixed=canonical._fc_public("batchnorm")),
            # the Dropout notebook's gradient check (drop 0.25, seed 123): judged against its own numeric gradient
            ModelConfig("public_dropout", dict(FC_PUBLIC, dropout=0.25, seed=123), input_shape=(15,), N=2,
                        classes=10, regs=(0.0, 3.14), visibility=VISIBLE, stochastic=True,
                        plain_kwargs={"dropout": 0}, fixed=_fc_public_biased),
            ModelConfig("none", dict(FC_PUBLIC), input_shape=(15,), N=6, classes=10, regs=(0.0, 3.14)),
            ModelConfig("batchnorm", {"hidden_dims": [9, 7], "input_dim": 12, "num_classes": 5, "weight_scale": 5e-2,
                                      "use_batchnorm": True, "dtype": "float64"},
                        input_shape=(3, 4), N=8, classes=5),
            ModelConfig("dropout", {"hidden_dims": [12, 9], "input_dim": 8, "num_classes": 5, "weight_scale": 5e-2,
                                    "dropout": 0.4, "seed": 123, "dtype": "float64"},
                        input_shape=(8,), N=7, classes=5, stochastic=True, plain_kwargs={"dropout": 0}),
            ModelConfig("deep", {"hidden_dims": [7, 6, 5, 6], "input_dim": 9, "num_classes": 3, "weight_scale": 5e-2,
                                 "use_batchnorm": True, "dtype": "float64"},
                        input_shape=(9,), N=6, classes=3, regs=(0.0, 0.3)),
            ModelConfig("float32", {"hidden_dims": [10, 8], "input_dim": 6, "num_classes": 4, "weight_scale": 5e-2},
                        input_shape=(6,), N=5, classes=4, dtype="float32"),
        ),
        hints=("reg_variants", "dropout_skipped"),
        uses=FC_USES,
    ),
    ModelSpec(module=CNN_MODULE, cls="ThreeLayerConvNet", points=_cnn.points, init=canonical.INIT,
              configs=_cnn.configs, numeric_tol=_cnn.numeric_tol, hints=_cnn.hints,
              uses=canonical.FC_USES[:-1] + ("layers.conv_forward_naive",)),
)

SPECS = LAYERS + RUNNING + OPTIM + canonical.ZERO_GRADIENTS + MODELS
