"""Fully connected networks: a two-layer net and a net of any depth.

The models hold their parameters in a dictionary `self.params` and expose one
method, `loss(X, y=None)`: with y None it runs a test-time forward pass and
returns the class scores; with labels it returns the loss and the gradient of
every parameter, which is the interface the Solver trains through.

Weights are drawn from the global numpy generator (np.random.randn) because the
course's check values are computed after np.random.seed(...) and depend on it.
"""

import os

import numpy as np

from ..layers import *
from ..layer_utils import *


class TwoLayerNet(object):
    """
    Two-layer classifier: affine - relu - affine - softmax, built from the
    layer functions. Inputs have D features, the hidden layer H units, and there
    are C classes.

    The model only computes the loss and gradients; training is the Solver's
    job. Parameters live in self.params (name -> numpy array).
    """

    def __init__(
        self,
        input_dim=3 * 32 * 32,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
    ):
        """
        Inputs:
        - input_dim: D, the number of input features.
        - hidden_dim: H, the number of hidden units.
        - num_classes: C, the number of classes.
        - weight_scale: standard deviation of the Gaussian the weights are drawn from.
        - reg: L2 regularization strength.
        """
        self.params = {}
        self.reg = reg

        # TODO: fill self.params with W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
        # Weights: weight_scale * standard normal draws (np.random.randn). Biases: zeros.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    def loss(self, X, y=None):
        """
        Loss and gradients on a minibatch.

        Inputs:
        - X: inputs, shape (N, d_1, ..., d_k) with d_1 * ... * d_k = D.
        - y: integer labels in [0, C), shape (N,), or None.

        Returns:
        - with y None (test time): scores, shape (N, C); scores[i, c] is the
          score of class c for X[i].
        - otherwise: (loss, grads), loss a scalar and grads a dict with the keys
          of self.params holding the gradient of the loss for each parameter.
        """
        scores = None
        # TODO: forward pass: compute the class scores of X into `scores`, keeping
        # the caches the backward pass needs.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        # Test time: scores only.
        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: backward pass: `loss` = softmax loss + 0.5 * reg * sum of W**2 over
        # the weights (not the biases); grads[k] = gradient of loss for self.params[k].
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        return loss, grads


class FullyConnectedNet(object):
    """Fully connected classifier of any depth, with optional normalization and dropout.

    With L layers (L - 1 hidden) the network is

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    the bracketed layers present only when asked for. Parameters live in
    self.params (W1..WL, b1..bL, and gamma1..gamma(L-1), beta1..beta(L-1) with
    normalization); the Solver trains them.
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        """
        Inputs:
        - hidden_dims: list of hidden layer sizes [H_1, ..., H_{L-1}].
        - input_dim: D, the number of input features.
        - num_classes: C, the number of classes.
        - dropout_keep_ratio: probability of KEEPING a unit in dropout; 1 means
          no dropout layers at all.
        - normalization: None, "batchnorm" or "layernorm".
        - reg: L2 regularization strength.
        - weight_scale: standard deviation of the Gaussian the weights are drawn from.
        - dtype: numpy dtype of every parameter and of the computation; use
          float64 for numeric gradient checks (float32 is faster).
        - seed: if not None, stored in the dropout parameters so that dropout
          masks repeat from call to call (needed to gradient-check with dropout).
        """
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f'Unknown normalization "{normalization}"')
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # TODO: fill self.params with W1..WL and b1..bL, layer by layer (draw W1
        # first): weights weight_scale * np.random.randn(D_in, D_out), biases zeros.
        # With normalization, hidden layer i also gets gammai (ones) and betai
        # (zeros) of its output size; the last layer gets none.
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        # Every dropout layer shares one dropout_param: keep probability, mode, seed.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # Each normalization layer gets its own dict: batchnorm keeps its running
        # mean and variance there between calls (layernorm keeps nothing).
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        # Every parameter in the model's dtype.
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Loss and gradients on a minibatch.

        Inputs:
        - X: inputs, shape (N, d_1, ..., d_k) with d_1 * ... * d_k = D.
        - y: integer labels in [0, C), shape (N,), or None.

        Returns:
        - with y None: a test-time forward pass (batchnorm uses its running
          statistics, dropout is off) giving scores, shape (N, C).
        - otherwise: a training-time forward and backward pass giving
          (loss, grads), grads a dict with the keys of self.params.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Batchnorm and dropout behave differently at test time.
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        scores = None
        # TODO: forward pass: compute the class scores of X into `scores`, keeping
        # the caches the backward pass needs. Dropout layers take
        # self.dropout_param; the normalization layer of hidden layer i takes
        # self.bn_params[i - 1] (as bn_param or ln_param).
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        # Test time: scores only.
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        # TODO: backward pass: `loss` = softmax loss + 0.5 * reg * sum of W**2 over
        # the weights only (not biases, gammas or betas); grads[k] = gradient of
        # loss for self.params[k].
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        pass
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        return loss, grads

    def save(self, fname):
        """Save the parameters (and batchnorm running statistics) to an .npz archive.

        Uses np.savez, never pickle: the archive holds plain arrays only and loads
        with allow_pickle=False. As with np.savez, '.npz' is appended to fname when
        it does not end with it.
        """
        fname = _npz_name(fname)
        arrays = {f"params.{k}": v for k, v in self.params.items()}
        for i, bn_param in enumerate(self.bn_params):
            for key in ("running_mean", "running_var"):
                if key in bn_param:
                    arrays[f"bn_params.{i}.{key}"] = bn_param[key]
        np.savez(fname, **arrays)
        print(fname, "saved.")

    def load(self, fname):
        """Load parameters saved by save(fname), cast to this model's dtype."""
        fname = _npz_name(fname)
        if not os.path.exists(fname):
            print(fname, "not available.")
            return
        with np.load(fname, allow_pickle=False) as data:
            for name in data.files:
                kind, _, rest = name.partition(".")
                if kind == "params":
                    self.params[rest] = data[name].astype(self.dtype)
                elif kind == "bn_params":
                    index, _, key = rest.partition(".")
                    self.bn_params[int(index)][key] = data[name].astype(self.dtype)
        print(fname, "loaded.")


def _npz_name(fname):
    """fname as np.savez writes it ('.npz' appended when missing)."""
    fname = os.fspath(fname)
    return fname if fname.endswith(".npz") else fname + ".npz"
