#!/usr/bin/env python
"""CIFAR-10 accuracy of the reference models, trained under a wall-clock budget.

    python benchmarks/cifar10_accuracy.py --model fc     # FullyConnectedNet, 15 minute budget
    python benchmarks/cifar10_accuracy.py --model cnn    # conv net, 45 minute budget

Data: the course split from cs231n.data_utils.get_CIFAR10_data (49,000 train, validation =
training images 49,000..49,999, test = first 1,000 of test_batch, mean image subtracted),
in float32. --data (or $CIFAR10_PATH, or ../shared/cifar10 beside the checkout) says where
CIFAR-10 is.

Training: the reference Solver (cs231n.solver, unmodified) through a subclass that
- draws random horizontal flips and random 4-pixel-padded crops of each minibatch,
- sets the learning rate every step: a short linear warm-up, then a cosine decay to zero
  over the run, where "the run" ends at --epochs or at the time budget, whichever comes
  first (so the schedule anneals fully even when the machine is slower than expected),
- stops when the budget is spent, keeping time for the final evaluation.
The best parameters by validation accuracy are kept, as the Solver does.

Models: fc is cs231n.classifiers.fc_net.FullyConnectedNet (batchnorm + dropout); cnn is the
ConvNet class below, built only from reference layers ([conv3x3 - spatial batchnorm - relu]
x k - 2x2 max pool blocks, then an affine head), using the compiled fast conv/pool layers.

The last line printed is always exactly
    model=NAME val_acc=X test_acc=Y seconds=S
with accuracies as fractions (validation and test sets of 1,000 images each) and S the wall
time of the whole script, data loading included.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from grader.paths import default_cifar10, reference_dir  # noqa: E402

sys.path.insert(0, str(reference_dir()))

from cs231n.classifiers.fc_net import FullyConnectedNet  # noqa: E402
from cs231n.data_utils import CIFAR10Error, get_CIFAR10_data  # noqa: E402
from cs231n.fast_layers import max_pool_backward_fast, max_pool_forward_fast  # noqa: E402
from cs231n.layer_utils import conv_bn_relu_backward, conv_bn_relu_forward  # noqa: E402
from cs231n.layers import (  # noqa: E402
    affine_backward,
    affine_forward,
    batchnorm_backward_alt,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)
from cs231n.solver import Solver  # noqa: E402

# Settings per model: the best found on 2 cores (see the report in benchmarks/README.md).
DEFAULTS = {
    "fc": dict(
        minutes=15.0, epochs=40, batch_size=200, lr=2e-3, reg=1e-4, hidden="1024,1024,512",
        dropout=0.7, weight_scale=0.0, augment="flip", update_rule="adam",
    ),
    "cnn": dict(
        minutes=45.0, epochs=15, batch_size=128, lr=2e-3, reg=1e-4, hidden="32;64;128",
        dropout=1.0, weight_scale=0.0, augment="flip", update_rule="adam",
    ),
}


# ---------------------------------------------------------------------------------------
# A conv net from reference layers
# ---------------------------------------------------------------------------------------


class ConvNet(object):
    """
    A VGG-style conv net built only from the reference layers:

    {[conv 3x3 - spatial batchnorm - relu] x k - max pool 2x2} x B
      - [affine - batchnorm - relu - dropout] - affine - softmax

    Convolutions keep the spatial size (stride 1, pad 1) and each pool halves it.
    Parameters: W1.., b1.., gamma/beta for every conv and the optional hidden affine layer.
    """

    def __init__(self, blocks=((64,), (128,), (256,)), hidden_dim=0, input_dim=(3, 32, 32),
                 num_classes=10, dropout_keep_ratio=1.0, reg=0.0, dtype=np.float32, seed=None):
        """
        Inputs:
        - blocks: one tuple of conv filter counts per pooling block
        - hidden_dim: size of a hidden affine layer in the head (0: none)
        - input_dim: (C, H, W) of the images
        - num_classes: number of scores to produce
        - dropout_keep_ratio: keep probability of dropout after the hidden layer
        - reg: L2 strength on the weights
        - dtype: dtype of parameters and computation
        - seed: seed of the (local) generator that draws the initial weights
        """
        rng = np.random.default_rng(seed)
        self.reg = reg
        self.dtype = dtype
        self.params = {}
        self.blocks = [tuple(b) for b in blocks]
        self.conv_param = {"stride": 1, "pad": 1}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        C, H, W = input_dim
        layer = 0
        for block in self.blocks:
            for F in block:
                layer += 1
                fan_in = C * 3 * 3
                # He initialization: keeps activations' scale through relu layers.
                self.params[f"W{layer}"] = rng.standard_normal((F, C, 3, 3)) * np.sqrt(2.0 / fan_in)
                self.params[f"b{layer}"] = np.zeros(F)
                self.params[f"gamma{layer}"] = np.ones(F)
                self.params[f"beta{layer}"] = np.zeros(F)
                C = F
            H, W = H // 2, W // 2
        self.num_conv = layer

        dims = [C * H * W] + ([hidden_dim] if hidden_dim else []) + [num_classes]
        for i in range(len(dims) - 1):
            layer += 1
            self.params[f"W{layer}"] = rng.standard_normal((dims[i], dims[i + 1])) * np.sqrt(2.0 / dims[i])
            self.params[f"b{layer}"] = np.zeros(dims[i + 1])
            if i < len(dims) - 2:
                self.params[f"gamma{layer}"] = np.ones(dims[i + 1])
                self.params[f"beta{layer}"] = np.zeros(dims[i + 1])
        self.num_layers = layer
        self.hidden = bool(hidden_dim)

        # One bn_param per normalized layer (running statistics live there).
        self.bn_params = {i: {"mode": "train"} for i in range(1, self.num_layers) if f"gamma{i}" in self.params}
        self.use_dropout = self.hidden and dropout_keep_ratio < 1
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Inputs:
        - X: images (N, C, H, W); y: labels (N,) or None

        Returns scores (N, num_classes) when y is None, else (loss, grads).
        """
        X = X.astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        for bn_param in self.bn_params.values():
            bn_param["mode"] = mode
        self.dropout_param["mode"] = mode
        p = self.params

        caches = []
        out = X  # (N, C, H, W)
        layer = 0
        for block in self.blocks:
            for _ in block:
                layer += 1
                out, cache = conv_bn_relu_forward(out, p[f"W{layer}"], p[f"b{layer}"], p[f"gamma{layer}"],
                                                  p[f"beta{layer}"], self.conv_param, self.bn_params[layer])
                caches.append(("conv", cache))
            out, cache = max_pool_forward_fast(out, self.pool_param)  # (N, F, H/2, W/2)
            caches.append(("pool", cache))
        if self.hidden:
            layer += 1
            out, fc_cache = affine_forward(out, p[f"W{layer}"], p[f"b{layer}"])  # (N, hidden)
            out, bn_cache = batchnorm_forward(out, p[f"gamma{layer}"], p[f"beta{layer}"], self.bn_params[layer])
            out, relu_cache = relu_forward(out)
            drop_cache = None
            if self.use_dropout:
                out, drop_cache = dropout_forward(out, self.dropout_param)
            caches.append(("hidden", (fc_cache, bn_cache, relu_cache, drop_cache)))
        L = self.num_layers
        scores, score_cache = affine_forward(out, p[f"W{L}"], p[f"b{L}"])  # (N, num_classes)
        if y is None:
            return scores

        loss, dout = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(p[f"W{i}"] ** 2) for i in range(1, L + 1))
        grads = {}
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, score_cache)
        layer = L
        for kind, cache in reversed(caches):
            if kind == "hidden":
                layer -= 1
                fc_cache, bn_cache, relu_cache, drop_cache = cache
                if drop_cache is not None:
                    dout = dropout_backward(dout, drop_cache)
                dout = relu_backward(dout, relu_cache)
                dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = batchnorm_backward_alt(dout, bn_cache)
                dout, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(dout, fc_cache)
            elif kind == "pool":
                dout = max_pool_backward_fast(dout, cache)
            else:
                layer -= 1
                (dout, grads[f"W{layer}"], grads[f"b{layer}"], grads[f"gamma{layer}"],
                 grads[f"beta{layer}"]) = conv_bn_relu_backward(dout, cache)
        for i in range(1, L + 1):
            grads[f"W{i}"] += self.reg * p[f"W{i}"]
        return loss, grads


# ---------------------------------------------------------------------------------------
# Training under a budget
# ---------------------------------------------------------------------------------------


class BudgetReached(Exception):
    """Raised inside Solver.train when the time (or iteration) budget is spent."""


def augment_batch(X, rng, mode):
    """Random horizontal flips ('flip') and 4-pixel-padded random crops ('flipcrop') of X (N, C, H, W)."""
    if mode == "none":
        return X
    N, C, H, W = X.shape
    X = X.copy()
    flip = rng.random(N) < 0.5  # (N,)
    X[flip] = X[flip, :, :, ::-1]
    if mode == "flipcrop":
        pad = 4
        # Zero padding is the mean colour, as the data is mean-subtracted.
        padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=X.dtype)  # (N, C, H+8, W+8)
        padded[:, :, pad:pad + H, pad:pad + W] = X
        dy = rng.integers(0, 2 * pad + 1, size=N)
        dx = rng.integers(0, 2 * pad + 1, size=N)
        for i in range(N):
            X[i] = padded[i, :, dy[i]:dy[i] + H, dx[i]:dx[i] + W]
    return X


class ThreadChooser(object):
    """
    Keeps the BLAS thread count (1 or all cores) that makes training steps fastest now.

    The CPU is shared: when another process holds a core, a second BLAS thread waits for
    it and a step gets several times slower than with one thread; on an idle machine two
    threads are faster. So every `every` steps a few steps run with the other setting,
    and the faster one is kept.
    """

    def __init__(self, every=200, trial=6):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional: without it BLAS keeps its own setting
            ThreadpoolController = None
        self.controller = ThreadpoolController() if ThreadpoolController else None
        self.choices = sorted({1, os.cpu_count() or 1})
        self.current = self.choices[-1]
        self.every, self.trial = every, trial
        self.steps = 0
        self.recent = []  # durations of the last steps with self.current
        self.trying = None  # (threads, durations) during a trial
        self._set(self.current)

    def _set(self, threads):
        if self.controller is not None:
            self.controller.limit(limits=threads, user_api="blas")

    def record(self, seconds):
        """Account one step of `seconds`; maybe start or finish a trial."""
        if self.controller is None or len(self.choices) == 1:
            return
        self.steps += 1
        if self.trying is not None:
            threads, times = self.trying
            times.append(seconds)
            if len(times) == self.trial + 1:  # the first step after a switch is not counted
                mine, theirs = np.median(self.recent), np.median(times[1:])
                if theirs < mine:
                    self.current, self.recent = threads, times[1:]
                self.trying = None
                self._set(self.current)
            return
        self.recent = (self.recent + [seconds])[-self.trial:]
        # A first trial early on, then one every `every` steps (the load changes).
        due = self.steps == 2 * self.trial or self.steps % self.every == 0
        if due and len(self.recent) == self.trial:
            other = [c for c in self.choices if c != self.current][0]
            self.trying = (other, [])
            self._set(other)


class BudgetSolver(Solver):
    """
    The reference Solver with per-step augmentation, a warm-up + cosine learning rate
    driven by the fraction of the run done, and a wall-clock deadline.
    """

    def __init__(self, model, data, *, deadline, peak_lr, augment="none", warmup=0.03, aug_seed=0, **kwargs):
        super().__init__(model, data, **kwargs)
        self.deadline = deadline
        self.peak_lr = peak_lr
        self.augment = augment
        self.warmup = warmup
        self.aug_rng = np.random.default_rng(aug_seed)
        iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        self.total_iterations = self.num_epochs * iterations_per_epoch
        self.iteration = 0
        self.train_start = time.monotonic()
        self.eval_seconds = 0.0  # longest accuracy check so far (of train + val samples)
        self.threads = ThreadChooser()

    def progress(self):
        """Fraction of the run done: by iterations or by time, whichever is further."""
        end = self.deadline - self.eval_seconds
        by_time = (time.monotonic() - self.train_start) / max(end - self.train_start, 1e-9)
        return max(self.iteration / self.total_iterations, by_time)

    def learning_rate(self, progress):
        if progress < self.warmup:
            return self.peak_lr * (progress / self.warmup)
        q = (progress - self.warmup) / (1 - self.warmup)
        return self.peak_lr * 0.5 * (1 + math.cos(math.pi * min(q, 1.0)))

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        start = time.monotonic()
        acc = super().check_accuracy(X, y, num_samples=num_samples, batch_size=batch_size)
        # Time to keep for the end: one more validation check and the final val + test
        # checks, each about as long as this one (1,000 images), plus a margin.
        self.eval_seconds = max(self.eval_seconds, 3 * (time.monotonic() - start) + 2.0)
        return acc

    def _step(self):
        # A check of train + val samples is about as long as the final val + test one.
        if time.monotonic() + self.eval_seconds >= self.deadline:
            raise BudgetReached
        step_start = time.monotonic()
        lr = self.learning_rate(self.progress())
        for config in self.optim_configs.values():
            config["learning_rate"] = lr

        num_train = self.X_train.shape[0]
        batch_mask = self._rng.choice(num_train, self.batch_size)  # (batch_size,)
        X_batch = augment_batch(self.X_train[batch_mask], self.aug_rng, self.augment)
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(loss)
        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config
        self.iteration += 1
        self.threads.record(time.monotonic() - step_start)

    def train(self):
        """Train until the epochs or the budget run out; keep the best parameters by validation."""
        try:
            super().train()
        except BudgetReached:
            # Stopped mid-epoch: the current parameters have not been validated yet.
            val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
            self.val_acc_history.append(val_acc)
            if self.verbose:
                print("(Budget reached after %d iterations, %.2f epochs) val_acc: %f"
                      % (self.iteration, self.iteration / (self.total_iterations / self.num_epochs), val_acc))
            if val_acc >= self.best_val_acc or not self.best_params:
                self.best_val_acc = val_acc
            else:
                self.model.params = self.best_params
        if self.verbose:
            print("BLAS threads at the end: %d" % self.threads.current)


def build_model(args):
    if args.model == "fc":
        hidden = [int(h) for h in args.hidden.split(",")]
        model = FullyConnectedNet(hidden, normalization="batchnorm", dropout_keep_ratio=args.dropout,
                                  reg=args.reg, weight_scale=args.weight_scale or 1e-2, dtype=np.float32)
        if not args.weight_scale:
            # He initialization per layer (FullyConnectedNet has one weight_scale for all).
            rng = np.random.default_rng(args.seed)
            for i in range(1, model.num_layers + 1):
                W = model.params[f"W{i}"]
                model.params[f"W{i}"] = (rng.standard_normal(W.shape) * np.sqrt(2.0 / W.shape[0])).astype(np.float32)
        return model
    blocks = [tuple(int(f) for f in b.split(",")) for b in args.hidden.split(";")]
    return ConvNet(blocks, hidden_dim=args.head, dropout_keep_ratio=args.dropout, reg=args.reg,
                   dtype=np.float32, seed=args.seed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(DEFAULTS), required=True)
    parser.add_argument("--epochs", type=int, help="epochs to train (the budget may stop it sooner)")
    parser.add_argument("--minutes", type=float, help="wall-clock budget of the whole run (default 15 fc, 45 cnn)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help="CIFAR-10 archive or folder (default $CIFAR10_PATH or ../shared/cifar10)")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--reg", type=float, help="L2 regularization strength")
    parser.add_argument("--hidden", help="fc: hidden sizes '1024,512'; cnn: conv blocks '64;128;256' or '32,32;64,64'")
    parser.add_argument("--head", type=int, default=0, help="cnn: hidden affine layer size in the head (0: none)")
    parser.add_argument("--dropout", type=float, help="dropout keep probability (1: none)")
    parser.add_argument("--weight-scale", type=float, help="fc: weight_scale (0: He initialization)")
    parser.add_argument("--augment", choices=["none", "flip", "flipcrop"])
    parser.add_argument("--update-rule", choices=["adam", "sgd_momentum", "rmsprop", "sgd"])
    parser.add_argument("--num-train", type=int, default=49000, help="use only this many training images (tuning)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv=None):
    start = time.monotonic()
    args = parse_args(argv)
    deadline = start + 60.0 * args.minutes

    path = args.data or default_cifar10()
    if path is None:
        print("CIFAR-10 not found: pass --data or set CIFAR10_PATH", file=sys.stderr)
        return 2
    try:
        data = get_CIFAR10_data(cifar10_dir=path, dtype=np.float32)
    except (CIFAR10Error, OSError) as e:
        print(f"cannot load CIFAR-10: {e}", file=sys.stderr)
        return 2
    data["X_train"] = data["X_train"][: args.num_train]
    data["y_train"] = data["y_train"][: args.num_train]

    np.random.seed(args.seed)  # FullyConnectedNet draws its weights and dropout masks from np.random
    model = build_model(args)
    solver = BudgetSolver(
        model, data, deadline=deadline, peak_lr=args.lr, augment=args.augment, aug_seed=args.seed,
        update_rule=args.update_rule, optim_config={"learning_rate": args.lr},
        batch_size=args.batch_size, num_epochs=args.epochs, num_train_samples=1000,
        print_every=100, verbose=not args.quiet, seed=args.seed,
    )
    if not args.quiet:
        print(f"settings: {vars(args)}", flush=True)
    solver.train()

    val_acc = solver.check_accuracy(data["X_val"], data["y_val"])
    test_acc = solver.check_accuracy(data["X_test"], data["y_test"])
    seconds = time.monotonic() - start
    print(f"model={args.model} val_acc={val_acc:.4f} test_acc={test_acc:.4f} seconds={seconds:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
