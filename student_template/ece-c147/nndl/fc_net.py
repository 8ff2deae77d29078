"""Fully connected networks built from the layers of layers.py and layer_utils.py, trained by
the Solver (utils/solver.py).

Your code goes in the marked blocks: between the rule lines of each comment that asks for it.
"""

import numpy as np

from .layers import *
from .layer_utils import *


class TwoLayerNet(object):
    """
    A two-layer fully connected network with a ReLU and a softmax loss, built from the layers
    you wrote: input dimension D, hidden dimension H, C classes. Architecture:

        affine - relu - affine - softmax

    This class computes losses and gradients only; the Solver trains it. The learnable parameters
    are in the dictionary self.params, which maps parameter names to numpy arrays.
    """

    def __init__(self, input_dim=3*32*32, hidden_dims=100, num_classes=10,
                 dropout=0, weight_scale=1e-3, reg=0.0):
        """
        Initialize a new network.

        Inputs:
        - input_dim: the size D of the input
        - hidden_dims: the size H of the hidden layer (an integer)
        - num_classes: the number C of classes
        - dropout: unused here (kept for the interface of FullyConnectedNet)
        - weight_scale: standard deviation of the initial weights
        - reg: L2 regularization strength
        """
        self.params = {}
        self.reg = reg

        # ================================================================ #
        # YOUR CODE HERE:
        #   Initialize W1, b1, W2 and b2 in self.params: zero biases, and
        #   weights drawn from a normal distribution with mean 0 and
        #   standard deviation weight_scale. W1 has shape (input_dim,
        #   hidden_dims) and W2 has shape (hidden_dims, num_classes).
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

    def loss(self, X, y=None):
        """
        The scores, or the loss and its gradients, of a minibatch.

        Inputs:
        - X: input data, of shape (N, d_1, ..., d_k)
        - y: labels, of shape (N,); y[i] is the label of X[i]; optional

        Returns:
        If y is None (test mode): the scores, of shape (N, C); scores[i, c] is the score of
        class c for X[i].
        Otherwise (training) a tuple of:
        - loss: a scalar
        - grads: a dictionary with the keys of self.params, each the gradient of the loss with
          respect to that parameter
        """
        scores = None

        # ================================================================ #
        # YOUR CODE HERE:
        #   The forward pass, with the layers you wrote; store the class
        #   scores in scores.
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        # test mode: the scores are all we need
        if y is None:
            return scores

        loss, grads = 0, {}
        # ================================================================ #
        # YOUR CODE HERE:
        #   The backward pass: the loss in loss and the gradients in grads
        #   (grads['W1'] for W1, and so on). The L2 regularization adds
        #   0.5 * self.reg * sum(W * W) for each weight matrix W (mind the
        #   factor 0.5).
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        return loss, grads


class FullyConnectedNet(object):
    """
    A fully connected network with any number of hidden layers, ReLUs and a softmax loss, with
    optional dropout and batch normalization. For L layers:

        {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch normalization and dropout are optional and the {...} block is repeated L - 1
    times. Its learnable parameters are in self.params, and the Solver trains it, as for
    TwoLayerNet.
    """

    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=0, use_batchnorm=False, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Initialize a new FullyConnectedNet.

        Inputs:
        - hidden_dims: a list of the sizes of the hidden layers
        - input_dim: the size of the input
        - num_classes: the number of classes
        - dropout: the dropout probability, between 0 and 1 (each hidden unit is dropped with
          probability dropout); dropout=0 means no dropout at all
        - use_batchnorm: whether to use batch normalization after every hidden affine layer
        - reg: L2 regularization strength
        - weight_scale: standard deviation of the initial weights
        - dtype: numpy datatype of every computation: float32 is faster, float64 exact enough
          for numeric gradient checks
        - seed: if not None, the seed of the dropout layers, which makes them deterministic
          (for gradient checks)
        """
        self.use_batchnorm = use_batchnorm
        self.use_dropout = dropout > 0
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # ================================================================ #
        # YOUR CODE HERE:
        #   Initialize the parameters in self.params: layer i has weights
        #   Wi and biases bi (W1, b1 for the first layer), zero biases and
        #   weights drawn from a normal distribution with mean 0 and
        #   standard deviation weight_scale. With batch normalization,
        #   hidden layer i also has a scale gammai (ones) and a shift betai
        #   (zeros).
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        # Each dropout layer needs a dropout_param dictionary (its probability and the mode,
        # train or test); one dictionary serves them all.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout}
            if seed is not None:
                self.dropout_param['seed'] = seed

        # Each batch normalization layer keeps its running averages in its own bn_param:
        # self.bn_params[0] is the first layer's, self.bn_params[1] the second's, and so on.
        self.bn_params = []
        if self.use_batchnorm:
            self.bn_params = [{'mode': 'train'} for i in np.arange(self.num_layers - 1)]

        # every parameter in the network's datatype
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        The scores, or the loss and its gradients, of a minibatch (as for TwoLayerNet).
        """
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        # batch normalization and dropout behave differently in training and at test time
        if self.dropout_param is not None:
            self.dropout_param['mode'] = mode
        if self.use_batchnorm:
            for bn_param in self.bn_params:
                bn_param['mode'] = mode

        scores = None
        # ================================================================ #
        # YOUR CODE HERE:
        #   The forward pass through every layer; store the class scores
        #   in scores. Dropout follows the ReLU of each hidden layer.
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #

        # test mode: the scores are all we need
        if mode == 'test':
            return scores

        loss, grads = 0.0, {}
        # ================================================================ #
        # YOUR CODE HERE:
        #   The backward pass: the loss in loss and the gradient of every
        #   parameter in grads, with the L2 regularization of every weight
        #   matrix (0.5 * self.reg * sum(W * W), mind the factor 0.5).
        # ================================================================ #
        pass
        # ================================================================ #
        # END YOUR CODE HERE
        # ================================================================ #
        return loss, grads
