"""A three-layer convolutional network built from the layers of conv_layers.py, layers.py and
their sandwich layers, trained by the Solver.

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np

from nndl.layers import *
from nndl.conv_layers import *
from utils.fast_layers import *
from nndl.layer_utils import *
from nndl.conv_layer_utils import *


class ThreeLayerConvNet(object):
    """
    A three-layer convolutional network:

        conv - relu - 2x2 max pool - affine - relu - affine - softmax

    on minibatches of shape (N, C, H, W): N images of C channels, H x W pixels. The convolution
    keeps the height and width (stride 1, zero padding (filter_size - 1) // 2); the pooling
    halves them. With use_batchnorm, a spatial batch normalization follows the convolution and a
    batch normalization the hidden affine layer (each before its ReLU).
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7,
                 hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0,
                 dtype=np.float32, use_batchnorm=False):
        """
        Initialize a new network.

        Inputs:
        - input_dim: (C, H, W), the shape of one image
        - num_filters: the number of filters of the convolutional layer
        - filter_size: the height and width of those filters
        - hidden_dim: the number of units of the hidden affine layer
        - num_classes: the number of class scores the last affine layer produces
        - weight_scale: standard deviation of the initial weights
        - reg: L2 regularization strength
        - dtype: numpy datatype of every computation
        - use_batchnorm: whether to normalize after the convolution and the hidden affine layer
        """
        self.use_batchnorm = use_batchnorm
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # ================================================================ #
        # YOUR CODE HERE:
        #   Initialize the weights and biases of the three layers: W1, b1
        #   for the convolution (filters of shape (num_filters, C,
        #   filter_size, filter_size)), W2, b2 for the hidden affine layer,
        #   W3, b3 for the output layer. Zero biases; weights drawn from a
        #   normal distribution with mean 0 and standard deviation
        #   weight_scale. With batch normalization: gamma1, beta1 of shape
        #   (num_filters,) and gamma2, beta2 of shape (hidden_dim,), ones
        #   and zeros.
        # ================================================================ #
        C, H, W = input_dim
        pooled = num_filters * (H // 2) * (W // 2)  # the convolution keeps H x W, the pool halves it
        self.params['W1'] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params['b1'] = np.zeros(num_filters)
        self.params['W2'] = weight_scale * np.random.randn(pooled, hidden_dim)
        self.params['b2'] = np.zeros(hidden_dim)
        self.params['W3'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b3'] = np.zeros(num_classes)
        if use_batchnorm:
            self.params['gamma1'], self.params['beta1'] = np.ones(num_filters), np.zeros(num_filters)
            self.params['gamma2'], self.params['beta2'] = np.ones(hidden_dim), np.zeros(hidden_dim)
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        # the running averages of the two batch normalization layers
        self.bn_params = [{'mode': 'train'}, {'mode': 'train'}] if use_batchnorm else []

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        The scores, or the loss and its gradients, of a minibatch (the interface of the fully
        connected nets in fc_net.py).
        """
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        mode = 'test' if y is None else 'train'
        for bn_param in self.bn_params:
            bn_param['mode'] = mode

        # the convolution's parameters: padding that keeps the height and width
        filter_size = W1.shape[2]
        conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}

        # the max pool's parameters
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}

        scores = None

        # ================================================================ #
        # YOUR CODE HERE:
        #   The forward pass; store the class scores in scores. The
        #   sandwich layers of conv_layer_utils.py and layer_utils.py do
        #   most of the work.
        # ================================================================ #
        if self.use_batchnorm:
            a, conv_cache = conv_forward_fast(X, W1, b1, conv_param)
            a, bn1_cache = spatial_batchnorm_forward(a, self.params['gamma1'], self.params['beta1'], self.bn_params[0])
            a, relu1_cache = relu_forward(a)
            out1, pool_cache = max_pool_forward_fast(a, pool_param)
            h, fc_cache = affine_forward(out1, W2, b2)
            h, bn2_cache = batchnorm_forward(h, self.params['gamma2'], self.params['beta2'], self.bn_params[1])
            out2, relu2_cache = relu_forward(h)
        else:
            out1, block1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
            out2, block2 = affine_relu_forward(out1, W2, b2)
        scores, block3 = affine_forward(out2, W3, b3)
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        if y is None:
            return scores

        loss, grads = 0, {}
        # ================================================================ #
        # YOUR CODE HERE:
        #   The backward pass: the loss in loss, the gradients in grads
        #   (grads[k] for self.params[k]), with the L2 regularization of
        #   all three weight matrices (0.5 * self.reg * sum(W * W) each).
        # ================================================================ #
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        dout2, dW3, grads['b3'] = affine_backward(dscores, block3)
        if self.use_batchnorm:
            dh = relu_backward(dout2, relu2_cache)
            dh, grads['gamma2'], grads['beta2'] = batchnorm_backward(dh, bn2_cache)
            dout1, dW2, grads['b2'] = affine_backward(dh, fc_cache)
            da = max_pool_backward_fast(dout1, pool_cache)
            da = relu_backward(da, relu1_cache)
            da, grads['gamma1'], grads['beta1'] = spatial_batchnorm_backward(da, bn1_cache)
            _, dW1, grads['b1'] = conv_backward_fast(da, conv_cache)
        else:
            dout1, dW2, grads['b2'] = affine_relu_backward(dout2, block2)
            _, dW1, grads['b1'] = conv_relu_pool_backward(dout1, block1)
        grads['W1'] = dW1 + self.reg * W1
        grads['W2'] = dW2 + self.reg * W2
        grads['W3'] = dW3 + self.reg * W3
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        return loss, grads
