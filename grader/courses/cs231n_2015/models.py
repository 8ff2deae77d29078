"""Scoring the 2015 two-layer net: its model is a dict of arrays (W1, b1, W2, b2), exported by
the notebook kernel as such (class `dict`), scored with the reference's two_layer_net.

The 2015 notebooks feed the net images as rows of 3072 pixels in the loader's (32, 32, 3)
order (height, width, channel), minus the mean image; the grader's held-out images are
channels first (3, 32, 32), so they are put back in the course's order before scoring.
"""

from __future__ import annotations

import numpy as np

from ...score import ModelError
from ..profile import ScoredModel


class FunctionNet:
    """A dict model and the reference loss function that scores it, with the `loss(X)` the
    grader's accuracy computation calls (X channels first, as the held-out images are)."""

    def __init__(self, tree, module: str, function: str, model: dict):
        self.tree, self.module, self.function, self.params = tree, module, function, model

    def loss(self, X, y=None):
        rows = np.asarray(X).transpose(0, 2, 3, 1).reshape(X.shape[0], -1)  # (N, 32 * 32 * 3), HWC order
        with self.tree.active():
            fn = getattr(self.tree.module(self.module), self.function)
            return fn(rows.astype(np.float64), self.params) if y is None else fn(rows, self.params, y)


def two_layer_model(module: str, function: str) -> ScoredModel:
    """A dict {W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)} scored by `function` of `module`."""

    def rebuild(tree, meta: dict, arrays: dict, input_shape=(3, 32, 32), num_classes: int = 10):
        params = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        need = ("W1", "b1", "W2", "b2")
        if sorted(params) != sorted(need):
            raise ModelError(f"the model dict must hold exactly {', '.join(need)}, found {', '.join(sorted(params))}")
        W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in need)
        D = int(np.prod(input_shape))
        if W1.ndim != 2 or W1.shape[0] != D:
            raise ModelError(f"W1 has shape {W1.shape}: CIFAR-10 images are rows of {D} values, so W1 must be ({D}, H)")
        H = W1.shape[1]
        if b1.shape != (H,) or W2.shape != (H, num_classes) or b2.shape != (num_classes,):
            raise ModelError(f"b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape} do not fit W1 {W1.shape} and "
                             f"{num_classes} classes: expected ({H},), ({H}, {num_classes}), ({num_classes},)")
        for k, v in zip(need, (W1, b1, W2, b2)):
            if not np.all(np.isfinite(v)):
                raise ModelError(f"{k} holds NaN or infinite values")
        return FunctionNet(tree, module, function, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})

    return ScoredModel(rebuild)
