"""Fully connected networks built from the layers: a two-layer net and a net of any depth.

Both keep their parameters in the dictionary self.params and have one method,
loss(X, y=None): without labels it returns the class scores (test mode), with
labels the loss and the gradient of every parameter, as the Solver expects.
"""
from builtins import range
from builtins import object
import numpy as np

from cs231n.layers import *
from cs231n.layer_utils import *


class TwoLayerNet(object):
    """
    A two-layer fully connected network with a ReLU and a softmax loss:
    affine - relu - affine - softmax. Inputs have D features, the hidden layer
    has H units and there are C classes. Training is the Solver's job.

    self.params holds W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
    """

    def __init__(self, input_dim=3*32*32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0):
        """
        Inputs:
        - input_dim: size of the input
        - hidden_dim: size of the hidden layer
        - num_classes: number of classes
        - weight_scale: standard deviation of the random initial weights
        - reg: strength of the L2 regularization
        """
        self.params = {}
        self.reg = reg
        #############################################################################
        # TODO: Initialize the weights and biases of the two-layer net: weights     #
        # from a Gaussian centred at 0 with standard deviation weight_scale, biases #
        # zero. Store W1, b1, W2, b2 in self.params.                                #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

    def loss(self, X, y=None):
        """
        Loss and gradient of a minibatch.

        Inputs:
        - X: array of input data of shape (N, d_1, ..., d_k)
        - y: array of labels of shape (N,); y[i] is the label of X[i]

        Returns:
        If y is None, a test-time forward pass that returns
        - scores: array of shape (N, C), the class scores
        Otherwise a training-time forward and backward pass that returns
        - loss: scalar loss
        - grads: dictionary with the keys of self.params, the gradients of the
          loss with respect to those parameters
        """
        scores = None
        #############################################################################
        # TODO: Implement the forward pass of the two-layer net: the class scores   #
        # of X into scores.                                                         #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        # If y is None then we are in test mode so just return scores
        if y is None:
            return scores

        loss, grads = 0, {}
        #############################################################################
        # TODO: Implement the backward pass of the two-layer net: the loss into     #
        # loss and the gradients into grads (grads['W1'] for self.params['W1'],     #
        # ...). The loss is the softmax loss plus L2 regularization 0.5 * reg *     #
        # sum(W**2) over the weights, not the biases.                               #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        return loss, grads


class FullyConnectedNet(object):
    """
    A fully connected network with any number of hidden layers, ReLUs, a
    softmax loss and optional dropout and batch normalization. With L layers:

    {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch normalization and dropout are optional; the {...} block is
    repeated L - 1 times. self.params holds W1..WL and b1..bL, and gamma1..beta(L-1)
    with batch normalization.
    """

    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=0, use_batchnorm=False, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Inputs:
        - hidden_dims: list of the sizes of the hidden layers
        - input_dim: size of the input
        - num_classes: number of classes
        - dropout: scalar between 0 and 1, the dropout strength. If dropout=0 the
          network does not use dropout at all.
        - use_batchnorm: whether to use batch normalization
        - reg: strength of the L2 regularization
        - weight_scale: standard deviation of the random initial weights
        - dtype: numpy dtype of every parameter and of the computation
          (float32 is faster, float64 for numeric gradient checks)
        - seed: if not None, passed to the dropout layers, which then become
          deterministic (for gradient checks)
        """
        self.use_batchnorm = use_batchnorm
        self.use_dropout = dropout > 0
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        #############################################################################
        # TODO: Initialize the parameters of the network in self.params: the        #
        # weights and biases of layer i as Wi and bi (weights from a Gaussian       #
        # centred at 0 with standard deviation weight_scale, biases zero); with     #
        # batch normalization, the scale and shift of hidden layer i as gammai      #
        # (ones) and betai (zeros).                                                 #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        # With dropout, every dropout layer gets the same dictionary, which
        # knows the mode (train / test) and the dropout probability p.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout}
            if seed is not None:
                self.dropout_param['seed'] = seed

        # With batch normalization, each layer keeps its running averages in its
        # own dictionary: self.bn_params[0] for the first layer, and so on.
        self.bn_params = []
        if self.use_batchnorm:
            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]

        # Cast all parameters to the correct datatype
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Loss and gradient of the fully connected net.

        Inputs and outputs as for TwoLayerNet above.
        """
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        # Batchnorm and dropout behave differently in training and in testing.
        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.use_batchnorm:
            for bn_param in self.bn_params:
                bn_param['mode'] = mode

        scores = None
        #############################################################################
        # TODO: Implement the forward pass of the fully connected net: the class    #
        # scores of X into scores. With dropout, pass self.dropout_param to every   #
        # dropout forward pass; with batch normalization, pass self.bn_params[0] to #
        # the first batch normalization layer, self.bn_params[1] to the second, and #
        # so on.                                                                    #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        # If test mode return early
        if mode == 'test':
            return scores

        loss, grads = 0.0, {}
        #############################################################################
        # TODO: Implement the backward pass of the fully connected net: the loss    #
        # into loss and the gradients into grads. The loss is the softmax loss plus #
        # L2 regularization 0.5 * reg * sum(W**2) over the weights, not the biases, #
        # gammas or betas.                                                          #
        #############################################################################
        pass
        #############################################################################
        #                              END OF YOUR CODE                             #
        #############################################################################

        return loss, grads
