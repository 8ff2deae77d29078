"""Layers of CS231n assignment 2 as taught in Winter 2015.

Every layer is a pair of functions: `*_forward(...)` returns (out, cache) and
`*_backward(dout, cache)` returns the gradients of the forward's inputs, in order.
The 2015 assignment has the affine, ReLU, convolution and max pooling layers; the
two loss functions at the end are given.
"""
import numpy as np


def affine_forward(x, w, b):
    """
    Forward pass of a fully connected (affine) layer.

    x holds a minibatch of N examples of shape (d_1, ..., d_k); each is used as a
    row vector of length D = d_1 * ... * d_k.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k)
    - w: weights of shape (D, M)
    - b: biases of shape (M,)

    Returns a tuple of:
    - out: array of shape (N, M)
    - cache: (x, w, b)
    """
    out = None
    #############################################################################
    # TODO: Compute the affine forward pass into out. Flatten each example of x #
    # into a row first.                                                         #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """
    Backward pass of an affine layer.

    Inputs:
    - dout: upstream derivative, of shape (N, M)
    - cache: (x, w, b) as affine_forward stored it

    Returns a tuple of:
    - dx: gradient with respect to x, of the shape of x
    - dw: gradient with respect to w, of shape (D, M)
    - db: gradient with respect to b, of shape (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    #############################################################################
    # TODO: Compute the affine backward pass. dx must have the shape of x.      #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx, dw, db


def relu_forward(x):
    """
    Forward pass of a layer of rectified linear units.

    Input:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the shape of x
    - cache: x
    """
    out = None
    #############################################################################
    # TODO: Compute the ReLU forward pass into out.                             #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """
    Backward pass of a layer of rectified linear units.

    Input:
    - dout: upstream derivatives, of any shape
    - cache: the input x of the forward pass

    Returns:
    - dx: gradient with respect to x
    """
    dx, x = None, cache
    #############################################################################
    # TODO: Compute the ReLU backward pass into dx.                             #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx


def conv_forward_naive(x, w, b, conv_param):
    """
    A naive implementation of the forward pass of a convolutional layer.

    The input holds N examples, each with C channels of height H and width W.
    Each of the F filters spans all C channels and has height HH and width WW.

    Input:
    - x: input data of shape (N, C, H, W)
    - w: filter weights of shape (F, C, HH, WW)
    - b: biases, of shape (F,)
    - conv_param: dictionary with keys
      - 'stride': distance in pixels between neighbouring receptive fields,
        horizontally and vertically
      - 'pad': number of zero pixels added on every side of the input

    Returns a tuple of:
    - out: output data, of shape (N, F, H', W') where
      H' = 1 + (H + 2 * pad - HH) / stride
      W' = 1 + (W + 2 * pad - WW) / stride
    - cache: (x, w, b, conv_param)
    """
    out = None
    #############################################################################
    # TODO: Implement the convolutional forward pass. Hint: np.pad pads the     #
    # input.                                                                    #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """
    A naive implementation of the backward pass of a convolutional layer.

    Inputs:
    - dout: upstream derivatives
    - cache: (x, w, b, conv_param) as in conv_forward_naive

    Returns a tuple of:
    - dx: gradient with respect to x
    - dw: gradient with respect to w
    - db: gradient with respect to b
    """
    dx, dw, db = None, None, None
    #############################################################################
    # TODO: Implement the convolutional backward pass.                          #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """
    A naive implementation of the forward pass of a max pooling layer.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - pool_param: dictionary with keys
      - 'pool_height': height of each pooling region
      - 'pool_width': width of each pooling region
      - 'stride': distance between neighbouring pooling regions

    Returns a tuple of:
    - out: output data
    - cache: (x, pool_param)
    """
    out = None
    #############################################################################
    # TODO: Implement the max pooling forward pass.                             #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """
    A naive implementation of the backward pass of a max pooling layer.

    Inputs:
    - dout: upstream derivatives
    - cache: (x, pool_param) as in the forward pass

    Returns:
    - dx: gradient with respect to x
    """
    dx = None
    #############################################################################
    # TODO: Implement the max pooling backward pass.                            #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx


def svm_loss(x, y):
    """
    Loss and gradient of the multiclass SVM (given).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), with 0 <= y[i] < C

    Returns a tuple of:
    - loss: scalar
    - dx: gradient of the loss with respect to x
    """
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = np.sum(margins) / N
    counts = (margins > 0).astype(x.dtype)
    counts[rows, y] -= counts.sum(axis=1)
    dx = counts / N
    return loss, dx


def softmax_loss(x, y):
    """
    Loss and gradient of softmax classification (given).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), with 0 <= y[i] < C

    Returns a tuple of:
    - loss: scalar
    - dx: gradient of the loss with respect to x
    """
    N = x.shape[0]
    rows = np.arange(N)
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / N
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    return loss, dx
