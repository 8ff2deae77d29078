"""Layers of a fully connected net, each a forward/backward pair: `*_forward` returns
(out, cache) and `*_backward(dout, cache)` returns the gradients of the forward's inputs.

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np


def affine_forward(x, w, b):
    """
    Forward pass of a fully connected (affine) layer: out = x w + b.

    Each example of x, of shape (d_1, ..., d_k), is first flattened into a row of length
    D = d_1 * ... * d_k.

    Inputs:
    - x: input, of shape (N, d_1, ..., d_k)
    - w: weights, of shape (D, M)
    - b: biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    out = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Compute the affine forward pass and store it in out. Reshape
    #   x into rows first (one row per example).
    # ================================================================ #
    from _canonical.cs231n import layers as canonical

    out, _ = canonical.affine_forward(x, w, b)
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """
    Backward pass of an affine layer.

    Inputs:
    - dout: upstream derivative, of shape (N, M)
    - cache: (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: gradient with respect to x, of the shape of x (N, d_1, ..., d_k)
    - dw: gradient with respect to w, of shape (D, M)
    - db: gradient with respect to b, of shape (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Compute the gradients dx, dw and db. dx must have the shape
    #   of x, not of its flattened rows.
    # ================================================================ #
    from _canonical.cs231n import layers as canonical

    dx, dw, db = canonical.affine_backward(dout, cache)
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx, dw, db


def relu_forward(x):
    """
    Forward pass of a rectified linear unit: out = max(0, x), elementwise.

    Input:
    - x: inputs, of any shape

    Returns a tuple of:
    - out: output, of the shape of x
    - cache: x
    """
    out = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Compute the ReLU of x and store it in out.
    # ================================================================ #
    from _canonical.cs231n import layers as canonical

    out, _ = canonical.relu_forward(x)
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """
    Backward pass of a rectified linear unit.

    Inputs:
    - dout: upstream derivatives, of any shape
    - cache: the input x of relu_forward, of the shape of dout

    Returns:
    - dx: gradient with respect to x
    """
    x = cache
    dx = None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Compute dx: the upstream gradient passes where x > 0 only.
    # ================================================================ #
    from _canonical.cs231n import layers as canonical

    dx = canonical.relu_backward(dout, x)
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of batch normalization.

    In training mode each feature is normalized with the mean and the (biased) variance of
    the minibatch, then scaled by gamma and shifted by beta; exponentially decaying running
    averages of the means and variances are kept in bn_param:

        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var

    In test mode the running averages normalize the data instead.

    Inputs:
    - x: data, of shape (N, D)
    - gamma: scale, of shape (D,)
    - beta: shift, of shape (D,)
    - bn_param: dictionary with the keys
      - mode: 'train' or 'test' (required)
      - eps: added to the variance for numeric stability (default 1e-5)
      - momentum: of the running averages (default 0.9)
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
        # ================================================================ #
        # YOUR CODE HERE:
        #   Normalize x with the minibatch mean and variance, scale and
        #   shift it (store the result in out), update running_mean and
        #   running_var, and keep what the backward pass needs in cache.
        # ================================================================ #
        from _canonical.cs231n import layers as canonical

        state = {'mode': 'train', 'eps': eps, 'momentum': momentum,
                 'running_mean': running_mean, 'running_var': running_var}
        out, cache = canonical.batchnorm_forward(x, gamma, beta, state)
        running_mean, running_var = state['running_mean'], state['running_var']
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
    elif mode == 'test':
        # ================================================================ #
        # YOUR CODE HERE:
        #   Normalize x with the running averages, then scale and shift
        #   it; store the result in out.
        # ================================================================ #
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    # the running averages go back into bn_param for the next call
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """
    Backward pass of batch normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, D)
    - cache: from batchnorm_forward

    Returns a tuple of:
    - dx: gradient with respect to x, of shape (N, D)
    - dgamma: gradient with respect to gamma, of shape (D,)
    - dbeta: gradient with respect to beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # ================================================================ #
    # YOUR CODE HERE:
    #   Backpropagate through the normalization: remember that the
    #   batch mean and variance depend on every example of x.
    # ================================================================ #
    from _canonical.cs231n import layers as canonical

    dx, dgamma, dbeta = canonical.batchnorm_backward(dout, cache)
    # ================================================================ #
    # END YOUR CODE HERE
    # ================================================================ #
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """
    Forward pass of (inverted) dropout.

    Inputs:
    - x: input, of any shape
    - dropout_param: dictionary with the keys
      - p: the dropout probability: each unit is DROPPED (set to zero) with probability p
      - mode: 'train' or 'test'; dropout is applied in train mode only, test mode returns
        the input unchanged
      - seed: optional seed of numpy's random generator, making the mask repeatable (for
        gradient checks)

    Outputs:
    - out: of the shape and dtype of x
    - cache: (dropout_param, mask); mask is what multiplied x in train mode, None in test mode
    """
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])

    mask = None
    out = None

    if mode == 'train':
        # ================================================================ #
        # YOUR CODE HERE:
        #   Draw the mask (np.random.rand), drop each unit with
        #   probability p and scale the kept ones so that the expected
        #   output equals x. Store the mask in mask and the result in out.
        # ================================================================ #
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        out = x * mask
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
    elif mode == 'test':
        # ================================================================ #
        # YOUR CODE HERE:
        #   Test mode: inverted dropout needs no scaling here.
        # ================================================================ #
        out = x
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

    cache = (dropout_param, mask)
    if out is not None:
        out = out.astype(x.dtype, copy=False)  # the output keeps the dtype of x

    return out, cache


def dropout_backward(dout, cache):
    """
    Backward pass of (inverted) dropout.

    Inputs:
    - dout: upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward

    Returns:
    - dx: gradient with respect to x
    """
    dropout_param, mask = cache
    mode = dropout_param['mode']

    dx = None
    if mode == 'train':
        # ================================================================ #
        # YOUR CODE HERE:
        #   The gradient flows through the kept units, scaled as they were.
        # ================================================================ #
        dx = dout * mask
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
    elif mode == 'test':
        # ================================================================ #
        # YOUR CODE HERE:
        #   Test mode passed x through unchanged.
        # ================================================================ #
        dx = dout
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
    return dx


def svm_loss(x, y):
    """
    Multiclass SVM (hinge) loss, averaged over the minibatch, and its gradient (given).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), 0 <= y[i] < C

    Returns a tuple of:
    - loss: a scalar
    - dx: gradient of the loss with respect to x
    """
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = np.sum(margins) / N
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] -= dx.sum(axis=1)
    dx /= N
    return loss, dx


def softmax_loss(x, y):
    """
    Softmax (cross-entropy) loss, averaged over the minibatch, and its gradient (given).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), 0 <= y[i] < C

    Returns a tuple of:
    - loss: a scalar
    - dx: gradient of the loss with respect to x
    """
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    rows = np.arange(N)
    loss = -np.sum(log_probs[rows, y]) / N
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    return loss, dx
