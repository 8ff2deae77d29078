"""Sandwich layers: common chains of layers as one forward/backward pair (given).

Students may add their own helpers here; the networks in classifiers/ may use them.
"""
from cs231n.layers import *
from cs231n.fast_layers import *


def affine_relu_forward(x, w, b):
    """
    An affine transform followed by a ReLU.

    Inputs:
    - x: input to the affine layer
    - w, b: weights of the affine layer

    Returns a tuple of:
    - out: output of the ReLU
    - cache: what the backward pass needs
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """
    Backward pass of the affine-relu sandwich.
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def conv_relu_forward(x, w, b, conv_param):
    """
    A convolution followed by a ReLU.

    Inputs:
    - x: input to the convolutional layer
    - w, b, conv_param: weights and parameters of the convolutional layer

    Returns a tuple of:
    - out: output of the ReLU
    - cache: what the backward pass needs
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    cache = (conv_cache, relu_cache)
    return out, cache


def conv_relu_backward(dout, cache):
    """
    Backward pass of the conv-relu sandwich.
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """
    A convolution, a ReLU, then max pooling.

    Inputs:
    - x: input to the convolutional layer
    - w, b, conv_param: weights and parameters of the convolutional layer
    - pool_param: parameters of the pooling layer

    Returns a tuple of:
    - out: output of the pooling layer
    - cache: what the backward pass needs
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    """
    Backward pass of the conv-relu-pool sandwich.
    """
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db
