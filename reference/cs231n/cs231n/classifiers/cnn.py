"""A small convolutional network trained with the Solver.

Weights are drawn from the global numpy generator (np.random.randn), as the
course's notebooks seed it before building models.
"""

import numpy as np

from ..layers import *
from ..fast_layers import *
from ..layer_utils import *


class ThreeLayerConvNet(object):
    """
    Three-layer convolutional classifier:

    conv - relu - 2x2 max pool - affine - relu - affine - softmax

    on minibatches of N images of shape (C, H, W). The convolution keeps the
    spatial size (stride 1, zero padding (filter_size - 1) // 2 for odd filter
    sizes); the pool halves it. Parameters live in self.params:
    W1 (F, C, filter_size, filter_size), b1 (F,), W2 (F * H_pool * W_pool, hidden_dim),
    b2 (hidden_dim,), W3 (hidden_dim, num_classes), b3 (num_classes,).
    """

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        """
        Inputs:
        - input_dim: (C, H, W), the shape of one image.
        - num_filters: F, the number of convolution filters.
        - filter_size: width and height of each filter.
        - hidden_dim: number of units of the hidden affine layer.
        - num_classes: number of classes.
        - weight_scale: standard deviation of the Gaussian the weights are drawn from.
        - reg: L2 regularization strength.
        - dtype: numpy dtype of the parameters and of the computation.
        """
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # TODO: fill self.params with the weights and biases of the three layers:
        # W1, b1 for the convolution (F filters of shape (C, filter_size,
        # filter_size)), W2, b2 for the hidden affine layer (its input is the
        # flattened output of the pool), W3, b3 for the output affine layer.
        # Weights: weight_scale * np.random.randn(...). Biases: zeros.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        C, H, W = input_dim
        pad = (filter_size - 1) // 2
        H_conv = H + 2 * pad - filter_size + 1  # = H for odd filter sizes (stride 1)
        W_conv = W + 2 * pad - filter_size + 1
        H_pool, W_pool = (H_conv - 2) // 2 + 1, (W_conv - 2) // 2 + 1  # 2x2 pool, stride 2
        pooled_dim = num_filters * H_pool * W_pool

        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)  # (F, C, HH, WW)
        self.params["b1"] = np.zeros(num_filters)  # (F,)
        self.params["W2"] = weight_scale * np.random.randn(pooled_dim, hidden_dim)  # (F*H'*W', hidden)
        self.params["b2"] = np.zeros(hidden_dim)  # (hidden,)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)  # (hidden, classes)
        self.params["b3"] = np.zeros(num_classes)  # (classes,)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Loss and gradients on a minibatch.

        Inputs:
        - X: images, shape (N, C, H, W).
        - y: integer labels, shape (N,), or None.

        Returns:
        - with y None: scores, shape (N, num_classes).
        - otherwise: (loss, grads), grads a dict with the keys of self.params.
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # The convolution keeps the spatial size; the pool halves it.
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        scores = None
        # TODO: forward pass: compute the class scores of X into `scores`, keeping
        # the caches the backward pass needs. The functions of layers.py,
        # fast_layers.py and layer_utils.py may be used.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pooled, pool_cache = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)  # (N, F, H', W')
        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)  # (N, hidden)
        scores, scores_cache = affine_forward(hidden, W3, b3)  # (N, classes)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: backward pass: `loss` = softmax loss + 0.5 * reg * sum of W**2 over
        # the weights (not the biases); grads[k] = gradient of loss for self.params[k].
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        loss, dscores = softmax_loss(scores, y)  # dscores (N, classes)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))

        dhidden, dW3, db3 = affine_backward(dscores, scores_cache)  # dhidden (N, hidden)
        dpooled, dW2, db2 = affine_relu_backward(dhidden, hidden_cache)  # dpooled (N, F, H', W')
        _, dW1, db1 = conv_relu_pool_backward(dpooled, pool_cache)

        grads["W1"], grads["b1"] = dW1 + self.reg * W1, db1
        grads["W2"], grads["b2"] = dW2 + self.reg * W2, db2
        grads["W3"], grads["b3"] = dW3 + self.reg * W3, db3
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        return loss, grads
