"""The description of every student function of CS231n assignment 2 as taught in Winter 2015.

Students write the layers (affine, ReLU, naive convolution and max pooling: the default
course's descriptions, reused), the two-layer net as a function of a model dict, and the
momentum and RMSProp updates inside ClassifierTrainer.train. Given, not graded: the loss
functions, the sandwich layers, init_two_layer_model and the conv net (two_layer_convnet,
init_two_layer_convnet).
"""

from __future__ import annotations

import numpy as np

from ...check.spec import VISIBLE, CheckSpec
from ..cs231n import specs as canonical

NET_MODULE, TRAINER_MODULE = "cs231n.classifiers.neural_net", "cs231n.classifier_trainer"


def _layer(forward: str):
    return next(s for s in canonical.LAYERS if s.forward == forward)


LAYERS = tuple(_layer(f) for f in ("affine_forward", "relu_forward", "conv_forward_naive", "max_pool_forward_naive"))


def _toy_model():
    """The two_layer_net notebook's toy model (its scores start [-0.5328368, 0.20031504, 0.93346689];
    its loss at reg 0.1 is 1.38191946092)."""
    return {
        "X": np.linspace(-0.2, 0.5, num=20).reshape(5, 4),
        "y": np.array([0, 1, 2, 2, 1]),
        "p.W1": np.linspace(-0.2, 0.6, num=40).reshape(4, 10),
        "p.b1": np.linspace(-0.3, 0.7, num=10),
        "p.W2": np.linspace(-0.4, 0.1, num=30).reshape(10, 3),
        "p.b2": np.linspace(-0.5, 0.9, num=3),
    }


NET_HINTS = ("reg_variants", "net_softmax_overflow")
NET = (
    CheckSpec("neural_net.two_layer_net", "function_model", points=0, visibility=VISIBLE, options={
        "module": NET_MODULE, "function": "two_layer_net", "hints": NET_HINTS,
        "cases": ({"name": "toy", "regs": (0.0, 0.1), "fixed": _toy_model},)}),
    CheckSpec("neural_net.two_layer_net", "function_model", points=10, options={
        "module": NET_MODULE, "function": "two_layer_net", "hints": NET_HINTS,
        "cases": ({"name": "random", "D": 7, "H": 9, "C": 4, "N": 6, "regs": (0.0, 0.7)},
                  {"name": "wide", "D": 12, "H": 20, "C": 10, "N": 9, "regs": (0.0, 0.05), "scale": 0.3},
                  # every score near 1000: a softmax without the max subtracted overflows
                  {"name": "large_scores", "D": 5, "H": 6, "C": 4, "N": 5, "regs": (0.0,), "shift": 1000.0,
                   "numeric": False})}),
)

TRAINER = "classifier_trainer.ClassifierTrainer"
_T = {"module": TRAINER_MODULE, "cls": "ClassifierTrainer"}
TRAINER_CHECKS = (
    CheckSpec(TRAINER, "trainer_rule", points=0, visibility=VISIBLE, options=dict(
        _T, rule="momentum", train={"reg": 1e-3, "learning_rate": 1e-1, "momentum": 0.9, "num_epochs": 6})),
    CheckSpec(TRAINER, "trainer_rule", points=2, options=dict(
        _T, rule="momentum", N=15, D=6, C=4, train={"reg": 1e-2, "learning_rate": 3e-1, "momentum": 0.8,
                                                     "num_epochs": 8})),
    CheckSpec(TRAINER, "trainer_rule", points=0, visibility=VISIBLE, options=dict(
        _T, rule="rmsprop", train={"reg": 1e-3, "learning_rate": 1e-2, "num_epochs": 6})),
    CheckSpec(TRAINER, "trainer_rule", points=2, options=dict(
        _T, rule="rmsprop", N=15, D=6, C=4, train={"reg": 1e-2, "learning_rate": 3e-2, "num_epochs": 8})),
    CheckSpec(TRAINER, "trainer_training", points=2, options=dict(
        _T, N=60, D=6, C=3, min_acc=0.9,
        train={"reg": 1e-4, "learning_rate": 0.1, "momentum": 0.9, "learning_rate_decay": 0.95,
               "update": "momentum", "sample_batches": True, "num_epochs": 20, "batch_size": 20})),
)

SPECS = LAYERS + NET + TRAINER_CHECKS
