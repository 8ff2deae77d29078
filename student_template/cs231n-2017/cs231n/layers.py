"""Layers of CS231n assignment 2 as taught in 2016 and 2017.

Every layer is a pair of functions: `*_forward(...)` returns (out, cache) and
`*_backward(dout, cache)` returns the gradients of the forward's inputs, in order.
Compared with later years: dropout's p is the probability of DROPPING a unit,
and there is no layer or group normalization. The two loss functions at the end
are given.
"""
from builtins import range
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


def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of batch normalization.

    During training the minibatch mean and (biased) variance normalize each
    feature, and running averages of both are kept with a momentum:

        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var

    At test time the running averages normalize the data instead.

    Input:
    - x: data of shape (N, D)
    - gamma: scale, of shape (D,)
    - beta: shift, of shape (D,)
    - bn_param: dictionary with keys
      - mode: 'train' or 'test' (required)
      - eps: constant added to the variance (default 1e-5)
      - momentum: constant of the running averages (default 0.9)
      - running_mean, running_var: arrays of shape (D,)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: what the backward pass needs
    """
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        #############################################################################
        # TODO: Training-time forward pass: normalize x with the minibatch          #
        # statistics, scale by gamma, shift by beta, update running_mean and        #
        # running_var, and keep in cache what the backward passes need.             #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################
    elif mode == 'test':
        #############################################################################
        # TODO: Test-time forward pass: normalize x with the running averages, then #
        # scale and shift.                                                          #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    # Store the updated running means back into bn_param
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """
    Backward pass of batch normalization, through the computation graph of the
    forward pass.

    Inputs:
    - dout: upstream derivatives, of shape (N, D)
    - cache: as batchnorm_forward stored it

    Returns a tuple of:
    - dx: gradient with respect to x, of shape (N, D)
    - dgamma: gradient with respect to gamma, of shape (D,)
    - dbeta: gradient with respect to beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    #############################################################################
    # TODO: Backward pass of batch normalization; store the results in dx,      #
    # dgamma and dbeta.                                                         #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """
    Backward pass of batch normalization, from the gradient simplified on paper
    into a single expression for dx.

    Inputs and outputs as batchnorm_backward.
    """
    dx, dgamma, dbeta = None, None, None
    #############################################################################
    # TODO: Backward pass of batch normalization from the simplified            #
    # expression; store the results in dx, dgamma and dbeta.                    #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """
    Forward pass of (inverted) dropout.

    Inputs:
    - x: input data, of any shape
    - dropout_param: dictionary with keys
      - p: dropout parameter. We drop each neuron output with probability p.
      - mode: 'test' or 'train'. In train mode dropout is applied; in test mode
        the input is returned unchanged.
      - seed: seed of the random number generator, if given (it makes the
        function deterministic, for gradient checks)

    Outputs:
    - out: array of the shape of x
    - cache: (dropout_param, mask); in train mode mask is what multiplied x, in
      test mode it is None
    """
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])

    mask = None
    out = None

    if mode == 'train':
        #############################################################################
        # TODO: Training phase of inverted dropout: drop each unit with probability #
        # p, scale the units kept so that the expected output equals x, and store   #
        # the mask in mask.                                                         #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################
    elif mode == 'test':
        #############################################################################
        # TODO: Test phase of inverted dropout.                                     #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

    cache = (dropout_param, mask)
    if out is not None:
        out = out.astype(x.dtype, copy=False)

    return out, cache


def dropout_backward(dout, cache):
    """
    Backward pass of (inverted) dropout.

    Inputs:
    - dout: upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward
    """
    dropout_param, mask = cache
    mode = dropout_param['mode']

    dx = None
    if mode == 'train':
        #############################################################################
        # TODO: Training phase of the backward pass of inverted dropout.            #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################
    elif mode == 'test':
        dx = dout
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


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of spatial batch normalization: one mean and variance per
    channel, over the examples and every position.

    Inputs:
    - x: input data of shape (N, C, H, W)
    - gamma: scale, of shape (C,)
    - beta: shift, of shape (C,)
    - bn_param: dictionary with keys
      - mode: 'train' or 'test' (required)
      - eps: constant added to the variance
      - momentum: constant of the running averages (default 0.9)
      - running_mean, running_var: arrays of shape (C,)

    Returns a tuple of:
    - out: output data, of shape (N, C, H, W)
    - cache: what the backward pass needs
    """
    out, cache = None, None
    #############################################################################
    # TODO: Implement the forward pass of spatial batch normalization; the      #
    # batchnorm_forward above can do most of the work (a few lines).            #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """
    Backward pass of spatial batch normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H, W)
    - cache: as the forward pass stored it

    Returns a tuple of:
    - dx: gradient with respect to the inputs, of shape (N, C, H, W)
    - dgamma: gradient with respect to gamma, of shape (C,)
    - dbeta: gradient with respect to beta, of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    #############################################################################
    # TODO: Implement the backward pass of spatial batch normalization; the     #
    # batchnorm backward above can do most of the work.                         #
    #############################################################################
    pass
    #############################################################################
    #                              END OF YOUR CODE                             #
    #############################################################################
    return dx, dgamma, dbeta


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
