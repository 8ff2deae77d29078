"""Sandwich layers: common chains of layers as one forward/backward pair.

Each forward returns (out, cache) with cache holding the caches of its parts; each
backward returns the gradients of every input of the forward, in order.
"""

from .layers import *
from .fast_layers import *


def affine_relu_forward(x, w, b):
    """
    Affine transform followed by a ReLU.

    Inputs:
    - x: input to the affine layer, of shape (N, d_1, ..., d_k)
    - w, b: weights (D, M) and biases (M,) of the affine layer

    Returns a tuple of:
    - out: output of the ReLU, of shape (N, M)
    - cache: object to give to the backward pass
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """Backward pass of the affine-relu layer: returns dx, dw, db."""
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    """
    Affine transform, batch normalization, ReLU.

    Inputs: as affine_relu_forward, plus gamma, beta (M,) and bn_param for batchnorm_forward.
    Returns out (N, M) and a cache.
    """
    a, fc_cache = affine_forward(x, w, b)
    a_bn, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_bn)
    cache = (fc_cache, bn_cache, relu_cache)
    return out, cache


def affine_bn_relu_backward(dout, cache):
    """Backward pass of the affine-batchnorm-relu layer: returns dx, dw, db, dgamma, dbeta."""
    fc_cache, bn_cache, relu_cache = cache
    da_bn = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward(da_bn, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    """
    Affine transform, layer normalization, ReLU.

    Inputs: as affine_relu_forward, plus gamma, beta (M,) and ln_param for layernorm_forward.
    Returns out (N, M) and a cache.
    """
    a, fc_cache = affine_forward(x, w, b)
    a_ln, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(a_ln)
    cache = (fc_cache, ln_cache, relu_cache)
    return out, cache


def affine_ln_relu_backward(dout, cache):
    """Backward pass of the affine-layernorm-relu layer: returns dx, dw, db, dgamma, dbeta."""
    fc_cache, ln_cache, relu_cache = cache
    da_ln = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = layernorm_backward(da_ln, ln_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_forward(x, w, b, conv_param):
    """
    A convolution followed by a ReLU.

    Inputs:
    - x: input to the convolutional layer, of shape (N, C, H, W)
    - w, b, conv_param: weights (F, C, HH, WW), biases (F,) and parameters of the convolution

    Returns a tuple of:
    - out: output of the ReLU, of shape (N, F, H', W')
    - cache: object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    cache = (conv_cache, relu_cache)
    return out, cache


def conv_relu_backward(dout, cache):
    """Backward pass of the conv-relu layer: returns dx, dw, db."""
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """
    Convolution, spatial batch normalization, ReLU.

    Inputs: as conv_relu_forward, plus gamma, beta (F,) and bn_param for
    spatial_batchnorm_forward.
    Returns out (N, F, H', W') and a cache.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    cache = (conv_cache, bn_cache, relu_cache)
    return out, cache


def conv_bn_relu_backward(dout, cache):
    """Backward pass of the conv-batchnorm-relu layer: returns dx, dw, db, dgamma, dbeta."""
    conv_cache, bn_cache, relu_cache = cache
    dan = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(dan, bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """
    Convolution, ReLU, max pooling.

    Inputs:
    - x: input to the convolutional layer, of shape (N, C, H, W)
    - w, b, conv_param: weights, biases and parameters of the convolution
    - pool_param: parameters of the pooling layer

    Returns a tuple of:
    - out: output of the pooling layer
    - cache: object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    """Backward pass of the conv-relu-pool layer: returns dx, dw, db."""
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db
