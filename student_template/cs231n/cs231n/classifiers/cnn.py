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
        pass
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
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: backward pass: `loss` = softmax loss + 0.5 * reg * sum of W**2 over
        # the weights (not the biases); grads[k] = gradient of loss for self.params[k].
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        return loss, grads
