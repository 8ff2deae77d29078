"""A two-layer convolutional network written as functions of a model dictionary (given).

Students may add their own networks here, in the same style (an init function
returning a dict of arrays and a loss function taking it).
"""
import numpy as np

from cs231n.layers import *
from cs231n.fast_layers import *
from cs231n.layer_utils import *


def two_layer_convnet(X, model, y=None, reg=0.0):
    """
    Loss and gradients of a convolutional network with the architecture

    conv - relu - 2x2 max pool - affine - softmax

    The convolution keeps the spatial size (stride 1, "same" zero padding); the
    pool halves it.

    Inputs:
    - X: input data of shape (N, C, H, W)
    - model: dictionary of the parameters W1, b1 (convolution) and W2, b2 (affine)
    - y: labels of shape (N,), optional; without them the scores are returned
    - reg: L2 regularization strength

    Returns:
    Without y, scores of shape (N, num_classes). With y, a tuple of:
    - loss: scalar loss
    - grads: dictionary of the gradients of the loss, with the keys of model
    """
    W1, b1, W2, b2 = model['W1'], model['b1'], model['W2'], model['b2']
    N, C, H, W = X.shape

    # the padding keeps the spatial size: it depends on the filter size
    conv_filter_height, conv_filter_width = W1.shape[2:]
    assert conv_filter_height == conv_filter_width, 'Conv filter must be square'
    assert conv_filter_height % 2 == 1, 'Conv filter height must be odd'
    assert conv_filter_width % 2 == 1, 'Conv filter width must be odd'
    conv_param = {'stride': 1, 'pad': (conv_filter_height - 1) // 2}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}

    # compute the forward pass
    a1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
    scores, cache2 = affine_forward(a1, W2, b2)

    if y is None:
        return scores

    # compute the backward pass
    data_loss, dscores = softmax_loss(scores, y)
    da1, dW2, db2 = affine_backward(dscores, cache2)
    dX, dW1, db1 = conv_relu_pool_backward(da1, cache1)

    # add regularization
    dW1 += reg * W1
    dW2 += reg * W2
    reg_loss = 0.5 * reg * sum(np.sum(W * W) for W in [W1, W2])

    loss = data_loss + reg_loss
    grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}
    return loss, grads


def init_two_layer_convnet(weight_scale=1e-3, bias_scale=0, input_shape=(3, 32, 32),
                           num_classes=10, num_filters=32, filter_size=5):
    """
    Initialize the weights of a two-layer convolutional network for
    two_layer_convnet.

    Inputs:
    - weight_scale: scale of the random initial weights
    - bias_scale: scale of the random initial biases
    - input_shape: tuple (C, H, W), the shape of one input
    - num_classes: number of classes
    - num_filters: number of filters of the convolutional layer
    - filter_size: width and height of the (square, odd) filters; the
      convolution keeps the spatial size, so the data keeps its shape until the
      pool halves it

    Returns a dictionary of the parameters:
    - W1: weights of the convolutional layer, (num_filters, C, filter_size, filter_size)
    - b1: biases of the convolutional layer, (num_filters,)
    - W2: weights of the affine layer, (num_filters * H * W / 4, num_classes)
    - b2: biases of the affine layer, (num_classes,)
    """
    C, H, W = input_shape
    assert filter_size % 2 == 1, 'Filter size must be odd; got %d' % filter_size

    model = {}
    model['W1'] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
    model['b1'] = bias_scale * np.random.randn(num_filters)
    model['W2'] = weight_scale * np.random.randn(num_filters * H * W // 4, num_classes)
    model['b2'] = bias_scale * np.random.randn(num_classes)
    return model
