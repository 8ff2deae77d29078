"""The given Solver (cs231n/solver.py): training loop, book-keeping, options, checkpoints."""

import numpy as np
import pytest

from cs231n.classifiers.fc_net import TwoLayerNet
from cs231n.solver import Solver


def small_data(num_train=50, num_val=20, dim=(3, 4, 4), num_classes=10, seed=0):
    """Random images and labels: memorisable (more features than images), no CIFAR needed."""
    rng = np.random.default_rng(seed)
    return {
        "X_train": rng.standard_normal((num_train, *dim)),
        "y_train": rng.integers(num_classes, size=num_train),
        "X_val": rng.standard_normal((num_val, *dim)),
        "y_val": rng.integers(num_classes, size=num_val),
    }


class Counter:
    """A model whose single parameter w grows by 1 per sgd step (lr 1) and that
    classifies every example correctly only while w == peak: its validation
    accuracy is 1.0 at exactly one step and 0.0 at all others."""

    def __init__(self, peak):
        self.peak = peak
        self.params = {"w": np.zeros(1)}

    def loss(self, X, y=None):
        N = X.shape[0]
        if y is None:
            right = np.isclose(self.params["w"][0], self.peak)
            scores = np.zeros((N, 2))
            scores[:, 0 if right else 1] = 1.0  # every label is 0
            return scores
        return 0.0, {"w": -np.ones(1)}


def counter_data(num_train=10):
    return {
        "X_train": np.zeros((num_train, 1)),
        "y_train": np.zeros(num_train, dtype=int),
        "X_val": np.zeros((5, 1)),
        "y_val": np.zeros(5, dtype=int),
    }


# ---------------------------------------------------------------- overfitting


@pytest.mark.parametrize(
    "update_rule, learning_rate",
    [("sgd", 0.5), ("sgd_momentum", 0.1), ("rmsprop", 1e-2), ("adam", 1e-2)],
)
def test_overfits_50_images_with_each_rule(update_rule, learning_rate):
    data = small_data()
    data["X_val"], data["y_val"] = data["X_train"], data["y_train"]  # so the restored best params are the overfitted ones
    np.random.seed(0)
    model = TwoLayerNet(input_dim=48, hidden_dim=100, weight_scale=1e-1)
    solver = Solver(
        model, data, update_rule=update_rule, optim_config={"learning_rate": learning_rate},
        batch_size=25, num_epochs=30, verbose=False, seed=1,
    )
    solver.train()
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.train_acc_history[-1] == 1.0
    assert solver.best_val_acc == 1.0
    assert solver.check_accuracy(data["X_train"], data["y_train"]) == 1.0


# ---------------------------------------------------------------- book-keeping


def test_history_lengths_and_lr_decay():
    data = small_data(num_train=50)
    np.random.seed(0)
    model = TwoLayerNet(input_dim=48, hidden_dim=10)
    solver = Solver(
        model, data, update_rule="sgd_momentum", optim_config={"learning_rate": 1e-2}, lr_decay=0.5,
        batch_size=10, num_epochs=3, verbose=False,
    )
    solver.train()
    iterations_per_epoch = 50 // 10
    assert len(solver.loss_history) == 3 * iterations_per_epoch
    # Checked at the first iteration and at each epoch end (the last iteration is one).
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3 + 1
    assert solver.epoch == 3
    assert solver.best_val_acc == max(solver.val_acc_history)
    for name, config in solver.optim_configs.items():
        assert config["learning_rate"] == pytest.approx(1e-2 * 0.5**3), name
        assert config["velocity"].shape == model.params[name].shape, name


def test_optim_configs_are_deep_copies_per_parameter():
    data = small_data()
    model = TwoLayerNet(input_dim=48, hidden_dim=10)
    optim_config = {"learning_rate": 1e-2, "nested": {"k": [1]}}
    solver = Solver(model, data, update_rule="sgd", optim_config=optim_config, verbose=False)
    configs = list(solver.optim_configs.values())
    assert set(solver.optim_configs) == set(model.params)
    assert all(c is not optim_config for c in configs)
    assert configs[0] is not configs[1] and configs[0]["nested"] is not configs[1]["nested"]
    configs[0]["nested"]["k"].append(2)
    assert optim_config["nested"]["k"] == [1] and configs[1]["nested"]["k"] == [1]


def test_best_params_restored_and_not_last():
    # One iteration per epoch: checks after steps 1..6, w = 1..6; only w == 3 scores.
    model = Counter(peak=3)
    solver = Solver(
        model, counter_data(num_train=10), update_rule="sgd", optim_config={"learning_rate": 1.0},
        batch_size=10, num_epochs=6, verbose=False,
    )
    solver.train()
    assert solver.val_acc_history == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    assert solver.best_val_acc == 1.0
    assert model.params["w"][0] == 3.0  # restored, although training ended at w == 6
    assert len(solver.loss_history) == 6


def test_params_kept_when_accuracy_never_improves():
    model = Counter(peak=-1)  # never right
    solver = Solver(model, counter_data(), optim_config={"learning_rate": 1.0}, batch_size=5, num_epochs=2, verbose=False)
    solver.train()
    assert solver.best_val_acc == 0.0
    assert set(model.params) == {"w"}  # the first check's params, not an empty dict
    assert model.params["w"][0] == 1.0


def test_first_check_at_first_iteration():
    # Two iterations per epoch: checks after step 1 (first), 2 (epoch 1), 4 (epoch 2).
    model = Counter(peak=1)
    solver = Solver(model, counter_data(num_train=10), optim_config={"learning_rate": 1.0}, batch_size=5, num_epochs=2, verbose=False)
    solver.train()
    assert solver.val_acc_history == [1.0, 0.0, 0.0]
    assert model.params["w"][0] == 1.0


# ---------------------------------------------------------------- accuracy


def test_check_accuracy_batches_and_subsamples():
    model = Counter(peak=0)  # right on every example while w == 0
    solver = Solver(model, counter_data(), verbose=False)
    X, y = np.zeros((250, 1)), np.zeros(250, dtype=int)
    assert solver.check_accuracy(X, y) == 1.0
    assert solver.check_accuracy(X, y, batch_size=7) == 1.0
    assert solver.check_accuracy(X, y, num_samples=30) == 1.0
    y[:125] = 1
    assert solver.check_accuracy(X, y, batch_size=33) == 0.5
    sub = solver.check_accuracy(X, y, num_samples=100)
    assert 0.2 < sub < 0.8 and sub * 100 == int(round(sub * 100))  # a mean over 100 samples


# ---------------------------------------------------------------- options


def test_unknown_kwargs_raise():
    data = small_data()
    model = TwoLayerNet(input_dim=48, hidden_dim=10)
    with pytest.raises(ValueError):
        Solver(model, data, learning_rate=1e-3)
    with pytest.raises(ValueError):
        Solver(model, data, update_rule="sgd", num_epoch=3)


@pytest.mark.parametrize("rule", ["nesterov", "np", "sgd_", "_private", "", "Adam"])
def test_unknown_update_rule_raises(rule):
    with pytest.raises(ValueError):
        Solver(TwoLayerNet(input_dim=48, hidden_dim=10), small_data(), update_rule=rule)


def test_defaults():
    solver = Solver(TwoLayerNet(input_dim=48, hidden_dim=10), small_data())
    assert solver.update_rule.__name__ == "sgd"
    assert solver.optim_config == {}
    assert (solver.lr_decay, solver.batch_size, solver.num_epochs) == (1.0, 100, 10)
    assert (solver.num_train_samples, solver.num_val_samples) == (1000, None)
    assert (solver.checkpoint_name, solver.print_every, solver.verbose) == (None, 10, True)
    assert solver.loss_history == [] and solver.best_val_acc == 0


def test_verbose_prints_and_quiet_does_not(capsys):
    data = small_data()
    Solver(TwoLayerNet(input_dim=48, hidden_dim=10), data, batch_size=25, num_epochs=1, print_every=1).train()
    out = capsys.readouterr().out
    assert "(Iteration 1 / 2) loss:" in out and "(Epoch 1 / 1) train acc:" in out
    Solver(TwoLayerNet(input_dim=48, hidden_dim=10), data, batch_size=25, num_epochs=1, verbose=False).train()
    assert capsys.readouterr().out == ""


def test_seed_gives_private_repeatable_minibatches():
    data = small_data()

    def run(**kwargs):
        np.random.seed(3)
        model = TwoLayerNet(input_dim=48, hidden_dim=10, weight_scale=1e-1)
        solver = Solver(model, data, batch_size=10, num_epochs=2, verbose=False, **kwargs)
        _, key, pos, *_ = np.random.get_state()
        key = key.copy()
        solver.train()
        _, key_after, pos_after, *_ = np.random.get_state()
        untouched = np.array_equal(key, key_after) and pos == pos_after
        return solver.loss_history, untouched

    seeded_a, untouched = run(seed=5)
    seeded_b, _ = run(seed=5)
    other, _ = run(seed=6)
    assert untouched  # a seeded Solver leaves the global generator alone
    assert seeded_a == seeded_b and seeded_a != other
    # Without a seed the course behaviour: global np.random, reproducible by np.random.seed.
    global_a, untouched = run()
    global_b, _ = run()
    assert not untouched and global_a == global_b


def test_checkpoints_written_with_savez(tmp_path):
    data = small_data()
    np.random.seed(0)
    model = TwoLayerNet(input_dim=48, hidden_dim=10)
    name = str(tmp_path / "ckpt")
    solver = Solver(
        model, data, update_rule="adam", optim_config={"learning_rate": 1e-3}, batch_size=25, num_epochs=2,
        checkpoint_name=name, verbose=False,
    )
    solver.train()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["ckpt_epoch_0.npz", "ckpt_epoch_1.npz", "ckpt_epoch_2.npz"]
    with np.load(tmp_path / "ckpt_epoch_2.npz", allow_pickle=False) as ckpt:
        assert str(ckpt["update_rule"]) == "adam"
        assert int(ckpt["epoch"]) == 2 and int(ckpt["batch_size"]) == 25
        assert float(ckpt["optim_config.learning_rate"]) == 1e-3
        assert np.allclose(ckpt["loss_history"], solver.loss_history)
        assert np.allclose(ckpt["val_acc_history"], solver.val_acc_history)
        for k in ("W1", "b1", "W2", "b2"):
            assert ckpt[f"params.{k}"].shape == model.params[k].shape
    with np.load(tmp_path / "ckpt_epoch_0.npz", allow_pickle=False) as ckpt:
        assert int(ckpt["epoch"]) == 0 and len(ckpt["loss_history"]) == 1


def test_no_checkpoint_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Solver(TwoLayerNet(input_dim=48, hidden_dim=10), small_data(), batch_size=25, num_epochs=1, verbose=False).train()
    assert list(tmp_path.iterdir()) == []
