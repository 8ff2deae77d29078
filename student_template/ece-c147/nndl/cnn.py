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
        pass
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
        pass
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
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        return loss, grads
