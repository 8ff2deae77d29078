"""Sandwich layers: common chains of layers as one forward/backward pair (given code).

You may add your own sandwich layers here (say affine - batchnorm - relu) for fc_net.py to use.
"""

from .layers import *


def affine_relu_forward(x, w, b):
    """
    An affine layer followed by a ReLU.

    Inputs:
    - x: input of the affine layer
    - w, b: its weights and biases

    Returns a tuple of:
    - out: output of the ReLU
    - cache: what affine_relu_backward needs
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """
    Backward pass of affine_relu_forward: returns (dx, dw, db).
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db
