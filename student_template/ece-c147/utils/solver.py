"""Solver: trains a classification model with minibatch stochastic gradient descent.

A model the Solver can train has
- model.params: dict mapping parameter names to numpy arrays;
- model.loss(X, y): returns (loss, grads) with grads keyed like model.params,
  and model.loss(X) (y None) returns scores of shape (N, C).

Example:

    data = {"X_train": ..., "y_train": ..., "X_val": ..., "y_val": ...}
    model = TwoLayerNet(hidden_dim=100, reg=0.1)
    solver = Solver(model, data,
                    update_rule="sgd",
                    optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95,
                    num_epochs=10, batch_size=100,
                    print_every=100)
    solver.train()
    # model.params now holds the parameters that scored best on validation;
    # solver.loss_history, solver.train_acc_history, solver.val_acc_history
    # and solver.best_val_acc tell how training went.

Randomness: minibatches (drawn with replacement) and the subsamples of
check_accuracy come from the global numpy generator (np.random.choice), as in
the course, so that np.random.seed(...) in a notebook makes training repeat.
Pass seed=... to use a private generator (np.random.RandomState(seed)) instead,
leaving the global state alone.

Checkpoints (checkpoint_name set) are written with np.savez, never pickle: one
'<checkpoint_name>_epoch_<epoch>.npz' per accuracy check, holding the model's
parameters under 'params.<name>', the histories, the epoch, the update rule's
name and the numeric settings; np.load(path, allow_pickle=False) reads it.
"""

import copy
import types

import numpy as np

from . import optim

# Keyword arguments Solver accepts, with their defaults.
_DEFAULTS = {
    "update_rule": "sgd",
    "optim_config": None,  # None -> {}: a fresh dict, never a shared default
    "lr_decay": 1.0,
    "batch_size": 100,
    "num_epochs": 10,
    "num_train_samples": 1000,
    "num_val_samples": None,
    "checkpoint_name": None,
    "print_every": 10,
    "verbose": True,
    "seed": None,
}


class Solver(object):
    """
    Trains a model on data = {'X_train', 'y_train', 'X_val', 'y_val'}.

    Construct it with the model, the data and options (keyword arguments, see
    __init__), then call train(). The best parameters by validation accuracy
    are copied back into model.params at the end of training.
    """

    def __init__(self, model, data, **kwargs):
        """
        Required arguments:
        - model: an object with the params / loss interface described above.
        - data: dict with
          'X_train': array (N_train, d_1, ..., d_k) of training inputs,
          'y_train': array (N_train,) of training labels,
          'X_val': array (N_val, d_1, ..., d_k) of validation inputs,
          'y_val': array (N_val,) of validation labels.

        Optional keyword arguments:
        - update_rule: name of an update rule in optim.py (default 'sgd').
        - optim_config: dict of hyperparameters for the update rule; each
          parameter gets its own deep copy (default {}).
        - lr_decay: the learning rate is multiplied by this after each epoch.
        - batch_size: minibatch size (default 100).
        - num_epochs: number of epochs to train (default 10).
        - num_train_samples: training images on which accuracy is checked
          (default 1000; None means all of them).
        - num_val_samples: validation images on which accuracy is checked
          (default None: all of them).
        - checkpoint_name: if not None, a checkpoint is saved at every accuracy
          check under this name (see the module docstring).
        - print_every: the training loss is printed every print_every iterations.
        - verbose: if False, nothing is printed.
        - seed: if not None, minibatches are drawn from a private
          np.random.RandomState(seed) instead of the global generator.

        Unknown keyword arguments and unknown update rules raise ValueError.
        """
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        unknown = sorted(set(kwargs) - set(_DEFAULTS))
        if unknown:
            raise ValueError("Unrecognized arguments %s" % ", ".join(unknown))
        options = {**_DEFAULTS, **kwargs}

        self.update_rule = options["update_rule"]
        self.optim_config = {} if options["optim_config"] is None else options["optim_config"]
        self.lr_decay = options["lr_decay"]
        self.batch_size = options["batch_size"]
        self.num_epochs = options["num_epochs"]
        self.num_train_samples = options["num_train_samples"]
        self.num_val_samples = options["num_val_samples"]
        self.checkpoint_name = options["checkpoint_name"]
        self.print_every = options["print_every"]
        self.verbose = options["verbose"]
        self.seed = options["seed"]

        # The rule is looked up by name among the public callables of optim.py
        # (not, say, optim.np, which a bare hasattr would also accept).
        name = self.update_rule
        rule = getattr(optim, name, None) if isinstance(name, str) and not name.startswith("_") else None
        if rule is None or not callable(rule) or isinstance(rule, (type, types.ModuleType)):
            raise ValueError('Invalid update_rule "%s"' % (name,))
        self.update_rule_name = name
        self.update_rule = rule

        # The global generator unless a seed asks for a private one.
        self._rng = np.random if self.seed is None else np.random.RandomState(self.seed)

        self._reset()

    def _reset(self):
        """Book-keeping variables of a fresh run (called by __init__ only)."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []

        # Each parameter keeps its own update-rule state, so each gets its own copy.
        self.optim_configs = {p: copy.deepcopy(self.optim_config) for p in self.model.params}

    def _step(self):
        """One gradient update on a minibatch drawn with replacement."""
        num_train = self.X_train.shape[0]
        batch_mask = self._rng.choice(num_train, self.batch_size)  # (batch_size,)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(loss)

        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def _save_checkpoint(self):
        """Write '<checkpoint_name>_epoch_<epoch>.npz' with np.savez (plain arrays only)."""
        if self.checkpoint_name is None:
            return
        arrays = {
            "update_rule": np.array(self.update_rule_name),
            "lr_decay": np.array(self.lr_decay),
            "batch_size": np.array(self.batch_size),
            "num_train_samples": np.array(-1 if self.num_train_samples is None else self.num_train_samples),
            "num_val_samples": np.array(-1 if self.num_val_samples is None else self.num_val_samples),
            "epoch": np.array(self.epoch),
            "best_val_acc": np.array(self.best_val_acc),
            "loss_history": np.array(self.loss_history, dtype=np.float64),
            "train_acc_history": np.array(self.train_acc_history, dtype=np.float64),
            "val_acc_history": np.array(self.val_acc_history, dtype=np.float64),
        }
        # Numeric hyperparameters only: the per-parameter state is not saved.
        for k, v in self.optim_config.items():
            if np.isscalar(v) and not isinstance(v, str):
                arrays["optim_config.%s" % k] = np.array(v)
        for k, v in self.model.params.items():
            arrays["params.%s" % k] = v
        filename = "%s_epoch_%d.npz" % (self.checkpoint_name, self.epoch)
        if self.verbose:
            print('Saving checkpoint to "%s"' % filename)
        np.savez(filename, **arrays)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """
        Accuracy of the model on the data provided.

        Inputs:
        - X: array (N, d_1, ..., d_k); y: array (N,) of labels.
        - num_samples: if not None and smaller than N, accuracy is measured on
          num_samples examples drawn at random (with replacement).
        - batch_size: X is scored in batches of this size to bound memory.

        Returns:
        - acc: fraction of examples the model classifies correctly.
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self._rng.choice(N, num_samples)
            N = num_samples
            X = X[mask]
            y = y[mask]

        num_batches = (N + batch_size - 1) // batch_size
        y_pred = []
        for i in range(num_batches):
            start, end = i * batch_size, (i + 1) * batch_size
            scores = self.model.loss(X[start:end])  # (batch, C)
            y_pred.append(np.argmax(scores, axis=1))
        y_pred = np.hstack(y_pred)  # (N,)
        return np.mean(y_pred == y)

    def train(self):
        """Run the optimization, then restore the best parameters found."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            if self.verbose and t % self.print_every == 0:
                print("(Iteration %d / %d) loss: %f" % (t + 1, num_iterations, self.loss_history[-1]))

            # At the end of every epoch, advance the epoch counter and decay the learning rate.
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    if "learning_rate" in config:  # every rule of optim.py sets it on its first step
                        config["learning_rate"] *= self.lr_decay

            # Accuracy on the first iteration, the last one, and each epoch end.
            first_it = t == 0
            last_it = t == num_iterations - 1
            if first_it or last_it or epoch_end:
                train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)

                if self.verbose:
                    print("(Epoch %d / %d) train acc: %f; val_acc: %f" % (self.epoch, self.num_epochs, train_acc, val_acc))

                # Keep a copy of the best parameters (the first check always counts,
                # so best_params is never empty after training).
                if val_acc > self.best_val_acc or not self.best_params:
                    self.best_val_acc = val_acc
                    self.best_params = {k: v.copy() for k, v in self.model.params.items()}

                self._save_checkpoint()

        # Training done: the best parameters go back into the model.
        self.model.params = self.best_params
