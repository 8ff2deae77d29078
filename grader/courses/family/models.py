"""Rebuilding the models the family's notebooks train, from the numbers their kernels export.

The kernel exports `params` (numeric arrays only), the attributes and state a ScoredModel names;
a rebuild checks their names and shapes and builds the REFERENCE class of the same architecture
holding them, so the grader's own forward pass scores the student's weights (grader.score).
"""

from __future__ import annotations

import re

import numpy as np

from ...score import ModelError, install
from ..profile import ScoredModel


def _numbered(params: dict, prefix: str) -> list[int]:
    return sorted(int(k[len(prefix):]) for k in params if re.fullmatch(rf"{prefix}[0-9]+", k))


def _dtype(meta: dict):
    return np.float32 if (meta.get("attributes") or {}).get("dtype") == "float32" else np.float64


def fully_connected(module: str, cls: str, *, norm_arg: str = "normalization", flag_arg: str | None = None,
                    state: str = "bn_params") -> ScoredModel:
    """A fully connected net W1..WL (D -> hidden... -> C) with optional batch/layer norm whose
    running averages live in `state` (a list of dicts). norm_arg: the constructor argument
    naming the normalisation ('batchnorm'/'layernorm'); flag_arg: the boolean argument of kits
    that only know batchnorm (e.g. use_batchnorm)."""

    def rebuild(tree, meta: dict, arrays: dict, input_shape=(3, 32, 32), num_classes: int = 10):
        params = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        attrs = meta.get("attributes") or {}
        D = int(np.prod(input_shape))
        layers = _numbered(params, "W")
        if not layers or layers != list(range(1, len(layers) + 1)):
            raise ModelError(f"{cls} weights must be W1..WL, found {sorted(params)}")
        Ws = [params[f"W{i}"] for i in layers]
        if any(W.ndim != 2 for W in Ws):
            raise ModelError(f"{cls} weights must be matrices")
        if Ws[0].shape[0] != D or Ws[-1].shape[1] != num_classes:
            raise ModelError(f"the net maps {Ws[0].shape[0]} inputs to {Ws[-1].shape[1]} classes; "
                             f"CIFAR-10 needs {D} inputs and {num_classes} classes")
        hidden = [W.shape[1] for W in Ws[:-1]]
        norm = attrs.get(norm_arg)
        if norm not in ("batchnorm", "layernorm"):
            norm = "batchnorm" if flag_arg and attrs.get(flag_arg) else None
        kwargs = {"input_dim": D, "num_classes": num_classes, "dtype": _dtype(meta), "reg": 0.0}
        if flag_arg and attrs.get(norm_arg) is None:  # (an attribute the kit lacks may be exported as None)
            kwargs[flag_arg] = norm == "batchnorm"
        else:
            kwargs[norm_arg] = norm
        with tree.active():
            model = getattr(tree.module(module), cls)(hidden, **kwargs)
        install(model, params, cls)
        if norm == "batchnorm":
            _running_stats(model, arrays, state, hidden)
        return model

    attributes = (norm_arg, "dtype") + ((flag_arg,) if flag_arg else ())
    return ScoredModel(rebuild, attributes=attributes, state=(state,))


def _running_stats(model, arrays: dict, state: str, sizes: list[int]) -> None:
    """Load the running averages of a model's batchnorm layers (a list of dicts `state`)."""
    for i, bn in enumerate(getattr(model, state)):
        for stat in ("running_mean", "running_var"):
            arr = arrays.get(f"{state}.{i}.{stat}")
            if arr is None:
                raise ModelError(f"batchnorm layer {i + 1} has no {stat}: the model cannot run in test mode")
            if arr.shape != (sizes[i],) or not np.all(np.isfinite(arr)):
                raise ModelError(f"batchnorm layer {i + 1}'s {stat} has shape {arr.shape}, expected ({sizes[i]},)")
            bn[stat] = arr.astype(model.dtype)


def three_layer_convnet(module: str, cls: str, *, flag_arg: str | None = None, state: str = "bn_params") -> ScoredModel:
    """conv - relu - 2x2 pool - affine - relu - affine, params W1, b1, W2, b2, W3, b3. flag_arg:
    the boolean argument of kits whose net may batch-normalize (e.g. use_batchnorm: then gamma1,
    beta1 follow the convolution and gamma2, beta2 the hidden layer, with their running
    averages in `state`)."""

    def rebuild(tree, meta: dict, arrays: dict, input_shape=(3, 32, 32), num_classes: int = 10):
        params = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        need = ("W1", "b1", "W2", "b2", "W3", "b3")
        if any(k not in params for k in need):
            raise ModelError(f"{cls} parameters must be {', '.join(need)}, found {sorted(params)}")
        W1, W3 = params["W1"], params["W3"]
        if W1.ndim != 4 or W1.shape[2] != W1.shape[3] or W1.shape[1] != input_shape[0] or W3.ndim != 2:
            raise ModelError(f"{cls} W1 has shape {W1.shape}: expected (F, {input_shape[0]}, k, k)")
        kwargs = {}
        normalized = flag_arg is not None and (bool((meta.get("attributes") or {}).get(flag_arg)) or "gamma1" in params)
        if flag_arg is not None:
            kwargs[flag_arg] = normalized
        with tree.active():
            model = getattr(tree.module(module), cls)(
                input_dim=tuple(input_shape), num_filters=W1.shape[0], filter_size=W1.shape[2],
                hidden_dim=W3.shape[0], num_classes=num_classes, dtype=_dtype(meta), reg=0.0, **kwargs)
        install(model, params, cls)
        if normalized:
            _running_stats(model, arrays, state, [W1.shape[0], W3.shape[0]])
        return model

    attributes = ("dtype",) + ((flag_arg,) if flag_arg else ())
    return ScoredModel(rebuild, attributes=attributes, state=(state,) if flag_arg else ())


class _Rows:
    """A model fed flat rows: scores images (N, C, H, W) as rows of their pixels channels last,
    the order a notebook gets by reshaping load_CIFAR10's (N, H, W, C) images."""

    def __init__(self, model):
        self.model = model
        self.params = model.params

    def loss(self, X, y=None):
        rows = np.asarray(X).transpose(0, 2, 3, 1).reshape(X.shape[0], -1)
        return self.model.loss(rows) if y is None else self.model.loss(rows, y)


def two_layer_rows(module: str, cls: str) -> ScoredModel:
    """A two-layer net TwoLayerNet(input_size, hidden_size, output_size) trained on flat image rows
    (pixels channels last), its weights one row per unit: W1 (H, D), b1 (H,), W2 (C, H), b2 (C,)."""

    def rebuild(tree, meta: dict, arrays: dict, input_shape=(3, 32, 32), num_classes: int = 10):
        params = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
        need = ("W1", "b1", "W2", "b2")
        if any(k not in params for k in need):
            raise ModelError(f"{cls} parameters must be {', '.join(need)}, found {sorted(params)}")
        W1, W2 = params["W1"], params["W2"]
        D = int(np.prod(input_shape))
        if W1.ndim != 2 or W2.ndim != 2 or W1.shape[1] != D or W2.shape != (num_classes, W1.shape[0]):
            raise ModelError(f"{cls} has W1 {W1.shape} and W2 {W2.shape}: expected ({W1.shape[0]}, {D}) and "
                             f"({num_classes}, {W1.shape[0]}) (one row per unit) for CIFAR-10")
        with tree.active():
            model = getattr(tree.module(module), cls)(D, W1.shape[0], num_classes)
        install(model, params, cls)
        return _Rows(model)

    return ScoredModel(rebuild)
