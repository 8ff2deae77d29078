"""A small convolutional network trained with the Solver."""
from builtins import object
import numpy as np

from cs231n.layers import *
from cs231n.fast_layers import *
from cs231n.layer_utils import *


class ThreeLayerConvNet(object):
    """
    A three-layer convolutional network:

    conv - relu - 2x2 max pool - affine - relu - affine - softmax

    It works on minibatches of N images of shape (C, H, W). The convolution
    keeps the spatial size (stride 1, zero padding (filter_size - 1) // 2).
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7,
                 hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0,
                 dtype=np.float32):
        """
        Inputs:
        - input_dim: tuple (C, H, W), the shape of one image
        - num_filters: number of filters of the convolutional layer
        - filter_size: width and height of each filter
        - hidden_dim: number of units of the hidden affine layer
        - num_classes: number of classes
        - weight_scale: standard deviation of the random initial weights
        - reg: strength of the L2 regularization
        - dtype: numpy dtype of the computation
        """
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        #############################################################################
        # TODO: Initialize the weights and biases of the three-layer network:       #
        # weights from a Gaussian centred at 0 with standard deviation              #
        # weight_scale, biases zero. W1, b1 are the convolution's, W2, b2 the       #
        # hidden affine layer's, W3, b3 the output affine layer's.                  #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Loss and gradient of the three-layer convolutional network.

        Input and output as for TwoLayerNet in fc_net.py.
        """
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']

        # pass conv_param to the forward pass of the convolutional layer
        filter_size = W1.shape[2]
        conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}

        # pass pool_param to the forward pass of the max pooling layer
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}

        scores = None
        #############################################################################
        # TODO: Implement the forward pass of the three-layer network: the class    #
        # scores of X into scores.                                                  #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        if y is None:
            return scores

        loss, grads = 0, {}
        #############################################################################
        # TODO: Implement the backward pass of the three-layer network: the loss    #
        # into loss and the gradients into grads, with L2 regularization 0.5 * reg  #
        # * sum(W**2) over the weights.                                             #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        return loss, grads
