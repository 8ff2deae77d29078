"""Layers of convolutional nets, written plainly (the fast versions are in utils/fast_layers.py):
convolution, max pooling and spatial batch normalization.

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np

from nndl.layers import *


def conv_forward_naive(x, w, b, conv_param):
    """
    Forward pass of a convolutional layer, with loops.

    N images of C channels, H x W pixels, are convolved with F filters spanning all C
    channels, HH x WW pixels each.

    Inputs:
    - x: input, of shape (N, C, H, W)
    - w: filters, of shape (F, C, HH, WW)
    - b: biases, of shape (F,)
    - conv_param: dictionary with the keys
      - 'stride': pixels between two neighbouring positions of a filter
      - 'pad': zeros added on every side of each image (before the convolution)

    Returns a tuple of:
    - out: output, of shape (N, F, H', W') where
        H' = 1 + (H + 2 * pad - HH) // stride
        W' = 1 + (W + 2 * pad - WW) // stride
    - cache: (x, w, b, conv_param)
    """
    out = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Pad x with zeros (np.pad), then slide every filter over every
    #   padded image: each output value is the sum of the filter times
    #   the patch under it, plus the filter's bias.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """
    Backward pass of a convolutional layer.

    Inputs:
    - dout: upstream derivatives, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param) from conv_forward_naive

    Returns a tuple of:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    - dw: gradient with respect to w, of shape (F, C, HH, WW)
    - db: gradient with respect to b, of shape (F,)
    """
    dx, dw, db = None, None, None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Backpropagate through the sums of the forward pass (into the
    #   padded input, then drop the padding from dx).
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """
    Forward pass of a max-pooling layer, with loops.

    Inputs:
    - x: input, of shape (N, C, H, W)
    - pool_param: dictionary with the keys
      - 'pool_height', 'pool_width': size of each pooling window
      - 'stride': pixels between two neighbouring windows

    Returns a tuple of:
    - out: output, of shape (N, C, H', W') where
        H' = 1 + (H - pool_height) // stride
        W' = 1 + (W - pool_width) // stride
    - cache: (x, pool_param)
    """
    out = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Each output value is the largest input value of its window.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """
    Backward pass of a max-pooling layer.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H', W')
    - cache: (x, pool_param) from max_pool_forward_naive

    Returns:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    """
    dx = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   The gradient of each window goes to the one input that was its
    #   maximum (one of them when several tie).
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of spatial batch normalization: one mean and one variance per channel, taken
    over the minibatch and every spatial position.

    Inputs:
    - x: input, of shape (N, C, H, W)
    - gamma: scale, of shape (C,)
    - beta: shift, of shape (C,)
    - bn_param: as for batchnorm_forward (mode required; eps, momentum, and running_mean and
      running_var of shape (C,))

    Returns a tuple of:
    - out: output, of shape (N, C, H, W)
    - cache: what the backward pass needs
    """
    out, cache = None, None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Reuse batchnorm_forward: bring the channel axis last, make rows
    #   of C features, normalize them and restore the layout of x.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """
    Backward pass of spatial batch normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H, W)
    - cache: from spatial_batchnorm_forward

    Returns a tuple of:
    - dx: gradient with respect to x, of shape (N, C, H, W)
    - dgamma: gradient with respect to gamma, of shape (C,)
    - dbeta: gradient with respect to beta, of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Reuse batchnorm_backward, with the same reshaping as the forward.
    # ================================================================ #
    pass
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx, dgamma, dbeta
