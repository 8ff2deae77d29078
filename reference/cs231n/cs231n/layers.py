"""Layers as forward/backward pairs: `*_forward` returns (out, cache), `*_backward(dout, cache)`
returns the gradients of the forward's inputs, in order."""

import numpy as np


def affine_forward(x, w, b):
    """
    Forward pass of a fully-connected (affine) layer.

    The input x has shape (N, d_1, ..., d_k): a minibatch of N examples, each of
    dimension D = d_1 * ... * d_k, reshaped into a vector of length D.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k)
    - w: weights, of shape (D, M)
    - b: biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    out = None
    # TODO: Implement the affine forward pass; store the result in out. Each example
    # of x must first be flattened into a row vector.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_rows = x.reshape(x.shape[0], -1)  # (N, D)
    out = x_rows @ w + b  # (N, M)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """
    Backward pass of an affine layer.

    Inputs:
    - dout: upstream derivative, of shape (N, M)
    - cache: (x, w, b) from affine_forward, x of shape (N, d_1, ..., d_k)

    Returns a tuple of:
    - dx: gradient w.r.t. x, of shape (N, d_1, ..., d_k)
    - dw: gradient w.r.t. w, of shape (D, M)
    - db: gradient w.r.t. b, of shape (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: Implement the affine backward pass. dx must have the shape of x.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_rows = x.reshape(x.shape[0], -1)  # (N, D)
    dx = (dout @ w.T).reshape(x.shape)  # (N, d_1, ..., d_k)
    dw = x_rows.T @ dout  # (D, M)
    db = dout.sum(axis=0)  # (M,)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dw, db


def relu_forward(x):
    """
    Forward pass of a layer of rectified linear units (ReLUs).

    Input:
    - x: input, of any shape

    Returns a tuple of:
    - out: output, of the same shape as x
    - cache: x
    """
    out = None
    # TODO: Implement the ReLU forward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    out = np.maximum(x, 0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """
    Backward pass of a layer of ReLUs.

    Input:
    - dout: upstream derivatives, of any shape
    - cache: input x, of the same shape as dout

    Returns:
    - dx: gradient w.r.t. x
    """
    dx, x = None, cache
    # TODO: Implement the ReLU backward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    dx = dout * (x > 0)  # the gradient passes only where the input was positive
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx


def svm_loss(x, y):
    """
    Loss and gradient of the multiclass SVM (hinge loss, margin 1).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), with 0 <= y[i] < C

    Returns a tuple of:
    - loss: scalar, averaged over the N examples
    - dx: gradient of the loss w.r.t. x
    """
    loss, dx = None, None
    # TODO: Implement the SVM loss and its gradient, both averaged over the minibatch.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]  # (N, 1)
    margins = np.maximum(0, x - correct + 1.0)  # (N, C)
    margins[rows, y] = 0  # the correct class does not compete with itself
    loss = margins.sum() / N

    positive = (margins > 0).astype(x.dtype)  # (N, C)
    positive[rows, y] = -positive.sum(axis=1)
    dx = positive / N
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss, dx


def softmax_loss(x, y):
    """
    Loss and gradient of softmax classification (cross-entropy).

    Inputs:
    - x: scores, of shape (N, C); x[i, j] is the score of class j for example i
    - y: labels, of shape (N,), with 0 <= y[i] < C

    Returns a tuple of:
    - loss: scalar, averaged over the N examples
    - dx: gradient of the loss w.r.t. x
    """
    loss, dx = None, None
    # TODO: Implement the softmax loss and its gradient, both averaged over the minibatch.
    # Keep it numerically stable for large scores, and do not modify x.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N = x.shape[0]
    rows = np.arange(N)
    shifted = x - x.max(axis=1, keepdims=True)  # (N, C), new array; max is 0 so exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_probs[rows, y].sum() / N

    dx = np.exp(log_probs)  # (N, C) probabilities
    dx[rows, y] -= 1
    dx /= N
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of batch normalization.

    In training, the minibatch mean and (biased) variance normalize the data, and
    exponentially decaying running averages of them are kept:

        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var

    At test time the running averages normalize the data instead.

    Input:
    - x: data, of shape (N, D)
    - gamma: scale parameter, of shape (D,)
    - beta: shift parameter, of shape (D,)
    - bn_param: dictionary with keys:
      - mode: 'train' or 'test'; required
      - eps: constant for numeric stability (default 1e-5)
      - momentum: constant for the running averages (default 0.9)
      - running_mean: array of shape (D,), the running mean of the features
      - running_var: array of shape (D,), the running variance of the features

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: a tuple of values needed in the backward pass
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # TODO: Implement the training-time forward pass: normalize x with the minibatch
        # statistics, scale by gamma and shift by beta, update running_mean/running_var,
        # and keep in cache what the backward passes (both of them) need.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        mu = x.mean(axis=0)  # (D,)
        xc = x - mu  # (N, D)
        var = (xc**2).mean(axis=0)  # (D,) biased variance
        std = np.sqrt(var + eps)  # (D,)
        istd = 1.0 / std  # (D,)
        x_hat = xc * istd  # (N, D)
        out = gamma * x_hat + beta  # (N, D)

        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, xc, var, std, istd, gamma, eps)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    elif mode == "test":
        # TODO: Implement the test-time forward pass: normalize x with the running
        # averages, then scale by gamma and shift by beta.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)  # (N, D)
        out = gamma * x_hat + beta
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    # Store the updated running means back into bn_param
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """
    Backward pass of batch normalization, through the computation graph step by step.

    Inputs:
    - dout: upstream derivatives, of shape (N, D)
    - cache: from batchnorm_forward

    Returns a tuple of:
    - dx: gradient w.r.t. inputs x, of shape (N, D)
    - dgamma: gradient w.r.t. scale parameter gamma, of shape (D,)
    - dbeta: gradient w.r.t. shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass by walking back through the computation
    # graph of your forward pass, one node at a time.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_hat, xc, var, std, istd, gamma, eps = cache
    N = dout.shape[0]

    dbeta = dout.sum(axis=0)  # out = gamma * x_hat + beta
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma  # (N, D)

    dxc = dx_hat * istd  # x_hat = xc * istd: the direct path to xc
    distd = (dx_hat * xc).sum(axis=0)  # (D,)
    dstd = -distd / std**2  # istd = 1 / std
    dvar = dstd * 0.5 / std  # std = sqrt(var + eps)
    dxc += dvar * 2.0 * xc / N  # var = mean(xc ** 2): the path through the variance

    dmu = -dxc.sum(axis=0)  # xc = x - mu
    dx = dxc + dmu / N  # mu = mean(x)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """
    Backward pass of batch normalization, from the gradient simplified on paper
    into a single expression for dx.

    Inputs / outputs: same as batchnorm_backward (and the same cache).
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Derive dx on paper in closed form and implement it in one or two lines.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_hat, xc, var, std, istd, gamma, eps = cache
    N = dout.shape[0]

    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * x_hat).sum(axis=0)  # (D,)
    dx = (gamma * istd / N) * (N * dout - dbeta - x_hat * dgamma)  # (N, D)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """
    Forward pass of layer normalization.

    Each data point (row of x) is normalized with its own mean and variance over its
    D features, then scaled by gamma and shifted by beta. The same computation runs
    at train and test time, so no running averages are kept.

    Input:
    - x: data, of shape (N, D)
    - gamma: scale parameter, of shape (D,)
    - beta: shift parameter, of shape (D,)
    - ln_param: dictionary with key:
      - eps: constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: a tuple of values needed in the backward pass
    """
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    # TODO: Implement the layer norm forward pass: per-row statistics instead of
    # per-column ones (your batchnorm training code can be adapted).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    mu = x.mean(axis=1, keepdims=True)  # (N, 1)
    xc = x - mu  # (N, D)
    var = (xc**2).mean(axis=1, keepdims=True)  # (N, 1)
    istd = 1.0 / np.sqrt(var + eps)  # (N, 1)
    x_hat = xc * istd  # (N, D)
    out = gamma * x_hat + beta  # (N, D)
    cache = (x_hat, istd, gamma)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return out, cache


def layernorm_backward(dout, cache):
    """
    Backward pass of layer normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, D)
    - cache: from layernorm_forward

    Returns a tuple of:
    - dx: gradient w.r.t. inputs x, of shape (N, D)
    - dgamma: gradient w.r.t. scale parameter gamma, of shape (D,)
    - dbeta: gradient w.r.t. shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the layer norm backward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_hat, istd, gamma = cache
    D = dout.shape[1]

    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * x_hat).sum(axis=0)  # (D,)
    dx_hat = dout * gamma  # (N, D)
    # batchnorm's closed form, with the statistics taken along each row
    dx = (istd / D) * (
        D * dx_hat - dx_hat.sum(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)
    )
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """
    Forward pass of (inverted) dropout.

    Inputs:
    - x: input data, of any shape
    - dropout_param: dictionary with keys:
      - p: dropout parameter; each neuron output is KEPT with probability p
      - mode: 'test' or 'train'; in train mode dropout is applied, in test mode
        the input is returned unchanged
      - seed: optional seed of the random number generator, which makes the
        function deterministic (needed for gradient checking)

    Outputs:
    - out: array of the same shape and dtype as x
    - cache: tuple (dropout_param, mask); in training mode mask is the dropout
      mask that multiplied the input, in test mode it is None
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask = None
    out = None

    if mode == "train":
        # TODO: Implement the training phase of inverted dropout: keep each unit with
        # probability p (draw the mask with np.random.rand), scale the kept ones so the
        # expected output equals x, and store the mask. Keep the dtype of x.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        mask = (np.random.rand(*x.shape) < p).astype(x.dtype) / p  # 0 or 1/p, in the dtype of x
        out = x * mask
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    elif mode == "test":
        # TODO: Implement the test phase of inverted dropout.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        out = x
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    """
    Backward pass of (inverted) dropout.

    Inputs:
    - dout: upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward

    Returns:
    - dx: gradient w.r.t. the input x
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]

    dx = None
    if mode == "train":
        # TODO: Implement the training phase of the dropout backward pass.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        dx = dout * mask
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    elif mode == "test":
        dx = dout
    return dx


def conv_forward_naive(x, w, b, conv_param):
    """
    A naive implementation of the forward pass of a convolutional layer.

    The input has N data points, each with C channels, height H and width W. Each
    of the F filters spans all C channels and has height HH and width WW.

    Input:
    - x: input data, of shape (N, C, H, W)
    - w: filter weights, of shape (F, C, HH, WW)
    - b: biases, of shape (F,)
    - conv_param: dictionary with keys:
      - 'stride': pixels between adjacent receptive fields, both directions
      - 'pad': number of pixels of zero-padding on every side of the input;
        do not modify x itself

    Returns a tuple of:
    - out: output data, of shape (N, F, H', W') where
      H' = 1 + (H + 2 * pad - HH) / stride
      W' = 1 + (W + 2 * pad - WW) / stride
    - cache: (x, w, b, conv_param)
    """
    out = None
    # TODO: Implement the convolutional forward pass (loops are fine; np.pad helps).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H + 2pad, W + 2pad)
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs : hs + HH, ws : ws + WW]  # (N, C, HH, WW)
            # every filter against every example at once: contract over C, HH, WW
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b  # (N, F)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """
    A naive implementation of the backward pass of a convolutional layer.

    Inputs:
    - dout: upstream derivatives, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param) as in conv_forward_naive

    Returns a tuple of:
    - dx: gradient w.r.t. x, of shape (N, C, H, W)
    - dw: gradient w.r.t. w, of shape (F, C, HH, WW)
    - db: gradient w.r.t. b, of shape (F,)
    """
    dx, dw, db = None, None, None
    # TODO: Implement the convolutional backward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad, dtype=np.result_type(x, dout))  # (N, C, H + 2pad, W + 2pad)
    dw = np.zeros_like(w, dtype=np.result_type(w, dout))  # (F, C, HH, WW)
    db = dout.sum(axis=(0, 2, 3))  # (F,)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs : hs + HH, ws : ws + WW]  # (N, C, HH, WW)
            d = dout[:, :, i, j]  # (N, F)
            dw += np.tensordot(d, window, axes=(0, 0))  # (F, C, HH, WW)
            # windows overlap when stride < kernel, so accumulate
            dx_pad[:, :, hs : hs + HH, ws : ws + WW] += np.tensordot(d, w, axes=(1, 0))  # (N, C, HH, WW)
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]  # drop the padding
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """
    A naive implementation of the forward pass of a max-pooling layer.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - pool_param: dictionary with keys:
      - 'pool_height': height of each pooling region
      - 'pool_width': width of each pooling region
      - 'stride': distance between adjacent pooling regions

    No padding is necessary here.

    Returns a tuple of:
    - out: output data, of shape (N, C, H', W') where
      H' = 1 + (H - pool_height) / stride
      W' = 1 + (W - pool_width) / stride
    - cache: (x, pool_param)
    """
    out = None
    # TODO: Implement the max-pooling forward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride

    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            out[:, :, i, j] = x[:, :, hs : hs + ph, ws : ws + pw].max(axis=(2, 3))  # (N, C)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """
    A naive implementation of the backward pass of a max-pooling layer.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H', W')
    - cache: (x, pool_param) as in the forward pass

    Returns:
    - dx: gradient w.r.t. x, of shape (N, C, H, W)
    """
    dx = None
    # TODO: Implement the max-pooling backward pass: each window's gradient goes to
    # the one input that was its maximum.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape

    dx = np.zeros_like(x, dtype=np.result_type(x, dout))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x[:, :, hs : hs + ph, ws : ws + pw].reshape(N, C, ph * pw)
            # argmax picks a single winner even when several entries tie for the max
            winner = window.argmax(axis=2)[:, :, None]  # (N, C, 1)
            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            np.put_along_axis(dwindow, winner, dout[:, :, i, j][:, :, None], axis=2)
            # windows overlap when stride < pool size, so accumulate
            dx[:, :, hs : hs + ph, ws : ws + pw] += dwindow.reshape(N, C, ph, pw)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of spatial batch normalization: one mean and variance per
    channel, over the minibatch and all spatial positions.

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - gamma: scale parameter, of shape (C,)
    - beta: shift parameter, of shape (C,)
    - bn_param: dictionary as for batchnorm_forward (mode required; eps, momentum,
      running_mean and running_var, the latter two of shape (C,))

    Returns a tuple of:
    - out: output data, of shape (N, C, H, W)
    - cache: values needed for the backward pass
    """
    out, cache = None, None
    # TODO: Implement spatial batch normalization by calling your batchnorm_forward
    # (a few lines; mind which axis must end up last before reshaping).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, C, H, W = x.shape
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)  # (N*H*W, C): channels last, then flatten
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)  # (N, C, H, W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """
    Backward pass of spatial batch normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H, W)
    - cache: values from the forward pass

    Returns a tuple of:
    - dx: gradient w.r.t. inputs, of shape (N, C, H, W)
    - dgamma: gradient w.r.t. scale parameter, of shape (C,)
    - dbeta: gradient w.r.t. shift parameter, of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the spatial batchnorm backward pass with your batchnorm backward.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, C, H, W = dout.shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)  # (N*H*W, C)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout_rows, cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)  # (N, C, H, W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """
    Forward pass of spatial group normalization: the C channels of each data
    point are split into G groups, each normalized over its channels and all
    spatial positions (layer norm within a group).

    Inputs:
    - x: input data, of shape (N, C, H, W)
    - gamma: scale parameter, of shape (1, C, 1, 1)
    - beta: shift parameter, of shape (1, C, 1, 1)
    - G: number of groups, an integer that divides C
    - gn_param: dictionary with key:
      - eps: constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: output data, of shape (N, C, H, W)
    - cache: values needed for the backward pass
    """
    out, cache = None, None
    eps = gn_param.get("eps", 1e-5)
    # TODO: Implement the group norm forward pass (reshape so each group is one row,
    # normalize the rows as layer norm does, reshape back, scale and shift per channel).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, -1)  # (N, G, C//G * H * W): channels of a group are contiguous
    mu = x_groups.mean(axis=2, keepdims=True)  # (N, G, 1)
    xc = x_groups - mu
    var = (xc**2).mean(axis=2, keepdims=True)  # (N, G, 1)
    istd = 1.0 / np.sqrt(var + eps)  # (N, G, 1)
    x_hat = (xc * istd).reshape(N, C, H, W)
    out = gamma * x_hat + beta  # (N, C, H, W)
    cache = (x_hat, istd, gamma, G)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    """
    Backward pass of spatial group normalization.

    Inputs:
    - dout: upstream derivatives, of shape (N, C, H, W)
    - cache: values from the forward pass

    Returns a tuple of:
    - dx: gradient w.r.t. inputs, of shape (N, C, H, W)
    - dgamma: gradient w.r.t. scale parameter, of shape (1, C, 1, 1)
    - dbeta: gradient w.r.t. shift parameter, of shape (1, C, 1, 1)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the group norm backward pass.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x_hat, istd, gamma, G = cache
    N, C, H, W = dout.shape

    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)

    dx_hat = (dout * gamma).reshape(N, G, -1)  # (N, G, M)
    x_hat_g = x_hat.reshape(N, G, -1)  # (N, G, M)
    M = dx_hat.shape[2]
    # layer norm's closed form, one row per group
    dx = (istd / M) * (
        M * dx_hat - dx_hat.sum(axis=2, keepdims=True) - x_hat_g * (dx_hat * x_hat_g).sum(axis=2, keepdims=True)
    )
    dx = dx.reshape(N, C, H, W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dgamma, dbeta
