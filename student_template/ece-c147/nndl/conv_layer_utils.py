"""Sandwich layers of convolutional nets, on the fast convolution and pooling layers (given code).

You may add your own sandwich layers here (say conv - spatial batchnorm - relu - pool) for
cnn.py to use.
"""

from nndl.layers import *
from utils.fast_layers import *


def conv_relu_forward(x, w, b, conv_param):
    """
    A convolution followed by a ReLU.

    Inputs:
    - x: input of the convolutional layer
    - w, b, conv_param: its weights, biases and parameters

    Returns a tuple of:
    - out: output of the ReLU
    - cache: what conv_relu_backward needs
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    cache = (conv_cache, relu_cache)
    return out, cache


def conv_relu_backward(dout, cache):
    """
    Backward pass of conv_relu_forward: returns (dx, dw, db).
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """
    A convolution, a ReLU and a max pool.

    Inputs:
    - x: input of the convolutional layer
    - w, b, conv_param: its weights, biases and parameters
    - pool_param: parameters of the pooling layer

    Returns a tuple of:
    - out: output of the pooling layer
    - cache: what conv_relu_pool_backward needs
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    """
    Backward pass of conv_relu_pool_forward: returns (dx, dw, db).
    """
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db
