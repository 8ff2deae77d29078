"""Assemble the master notebooks of the older courses: cs231n-2017 (2016-2017) and cs231n-2015.

    python notebooks/_build_older.py           # (re)write notebooks/cs231n-2017/ and notebooks/cs231n-2015/
    python notebooks/_build_older.py --check   # exit 1 if a committed .ipynb differs from the build

The same conventions as _build.py (whose helpers this file uses): fixed cell ids, no outputs,
cell tags locked / solution / hidden, a QUICK mode. These kits mark student code with the
2015-2019 banners (a `# TODO: ...` banner, then an `END OF YOUR CODE` banner), written below
as the lines `@@TODO text` and `@@END`. The 2016-2017 FullyConnectedNets notebook is the
default course's (the same API there), its marked blocks turned into banners.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _build  # noqa: E402  (the default course's builder: cell helpers and the shared cells)
from _build import LOCKED, SETUP, code, md, question  # noqa: E402

ROOT = Path(__file__).resolve().parent
WIDTH = 77


def banner_todo(text: str, indent: str) -> list[str]:
    rule = indent + "#" * WIDTH
    lines = textwrap.wrap("TODO: " + text, WIDTH - 4)
    return [rule, *(indent + "# " + ln.ljust(WIDTH - 4) + " #" for ln in lines), rule]


def banner_end(indent: str) -> list[str]:
    rule = indent + "#" * WIDTH
    return [rule, indent + "#" + "END OF YOUR CODE".center(WIDTH - 2) + "#", rule]


def banners(text: str) -> str:
    """Cell text with @@TODO / @@END lines expanded into the banner markers."""
    out = []
    for line in textwrap.dedent(text).strip("\n").splitlines():
        m = re.match(r"^(\s*)@@TODO (.*)$", line)
        e = re.match(r"^(\s*)@@END\s*$", line)
        if m:
            out += banner_todo(m.group(2), m.group(1))
        elif e:
            out += banner_end(e.group(1))
        else:
            out.append(line)
    return "\n".join(out)


def bcode(text: str, *tags: str) -> tuple:
    return code(banners(text), *tags)


def from_star_markers(cell: tuple) -> tuple:
    """A cell of the default course's builder with its <<START>>/<<END>> blocks as banners: the
    `# TODO:` comment lines just above <<START>> become the banner's text."""
    kind, text, tags = cell
    if kind != "code" or "<<START>>" not in text:
        return cell
    lines = textwrap.dedent(text).strip("\n").splitlines()
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == "<<START>>":
            todo = []
            while out and out[-1].strip().startswith("#") and not out[-1].strip().startswith("#" * 5):
                todo.insert(0, out.pop().strip().lstrip("#").strip())
            words = " ".join(todo)
            words = words[len("TODO:"):].strip() if words.startswith("TODO:") else words
            out.append(f"{indent}@@TODO {words}")
        elif stripped == "<<END>>":
            out.append(f"{indent}@@END")
        else:
            out.append(line)
    return (kind, banners("\n".join(out)), tags)


# ==============================================================================================
# cs231n-2017: FullyConnectedNets (the default course's, marked with banners)
# ==============================================================================================


def fully_connected_nets_2017() -> list[tuple]:
    cells = [from_star_markers(c) for c in _build.fully_connected_nets()]
    intro = md(textwrap.dedent("""
        # Fully connected networks (CS231n 2016-2017)

        This notebook builds fully connected networks from modular layers, checks every piece
        against numeric gradients, trains them with the `Solver` and several update rules, and
        ends with the best fully connected net you can train: keep it in `best_model`. The course
        asks for **at least 50% accuracy on the validation set**.

        Your code goes between the `TODO` banner and the closing banner of each marked
        place, in the package files and in this notebook.
        """).strip())
    return [intro] + cells[1:]


# ==============================================================================================
# cs231n-2017: BatchNormalization
# ==============================================================================================

BN_SEEDED = '''
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
'''


def batch_normalization_2017() -> list[tuple]:
    return [
        md(textwrap.dedent("""
            # Batch normalization (CS231n 2016-2017)

            A batch normalization layer normalises each feature over the minibatch during training
            and keeps running averages of the mean and variance for test time; then it scales and
            shifts by learned `gamma` and `beta`. You write its forward pass, two backward passes
            (through the graph, and the simplified one), and the `use_batchnorm` option of
            `FullyConnectedNet`, then compare deep nets trained with and without it.
            """).strip()),
        SETUP,
        md("## Forward pass in training mode\n\nAfter the layer, each feature should have mean `beta` "
           "and standard deviation `gamma`, whatever the scale of its input."),
        code('''
            from cs231n.layers import batchnorm_forward, batchnorm_backward, batchnorm_backward_alt

            np.random.seed(231)
            N, D1, D2, D3 = 200, 50, 60, 3
            X = np.random.randn(N, D1)
            W1 = np.random.randn(D1, D2)
            W2 = np.random.randn(D2, D3)
            a = np.maximum(0, X.dot(W1)).dot(W2)
            print("before: means", a.mean(axis=0), "stds", a.std(axis=0))

            out, _ = batchnorm_forward(a, np.ones(D3), np.zeros(D3), {"mode": "train"})
            report("batchnorm mean 0", np.max(np.abs(out.mean(axis=0))), 1e-7)
            report("batchnorm std 1", np.max(np.abs(out.std(axis=0) - 1)), 1e-4)

            gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
            out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
            report("batchnorm mean beta", np.max(np.abs(out.mean(axis=0) - beta)), 1e-7)
            report("batchnorm std gamma", np.max(np.abs(out.std(axis=0) - gamma)), 1e-4)
            ''', LOCKED),
        md("## Test mode\n\nAfter many training passes, the running averages should normalise fresh "
           "data of the same distribution to roughly mean 0 and standard deviation 1."),
        code('''
            np.random.seed(231)
            bn_param = {"mode": "train"}
            gamma, beta = np.ones(D3), np.zeros(D3)
            for _ in range(50):
                X = np.random.randn(N, D1)
                batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)
            bn_param["mode"] = "test"
            X = np.random.randn(N, D1)
            out, _ = batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)
            print("test-time means", out.mean(axis=0), "stds", out.std(axis=0))
            report("test-time means near 0", np.max(np.abs(out.mean(axis=0))), 0.2)
            report("test-time stds near 1", np.max(np.abs(out.std(axis=0) - 1)), 0.1)
            ''', LOCKED),
        md("## Backward passes\n\nBoth backward passes are checked against numeric gradients, then against "
           "each other; the simplified one should also be faster."),
        code('''
            from cs231n.gradient_check import eval_numerical_gradient_array

            np.random.seed(231)
            N, D = 4, 5
            x = 5 * np.random.randn(N, D) + 12
            gamma, beta = np.random.randn(D), np.random.randn(D)
            dout = np.random.randn(N, D)
            bn_param = {"mode": "train"}
            fx = lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0]
            fg = lambda g: batchnorm_forward(x, g, beta, bn_param)[0]
            fb = lambda b: batchnorm_forward(x, gamma, b, bn_param)[0]
            dx_num = eval_numerical_gradient_array(fx, x, dout)
            dgamma_num = eval_numerical_gradient_array(fg, gamma.copy(), dout)
            dbeta_num = eval_numerical_gradient_array(fb, beta.copy(), dout)

            _, cache = batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
            report("batchnorm_backward dx", rel_error(dx, dx_num), 1e-7)
            report("batchnorm_backward dgamma", rel_error(dgamma, dgamma_num), 1e-7)
            report("batchnorm_backward dbeta", rel_error(dbeta, dbeta_num), 1e-7)
            dx2, dgamma2, dbeta2 = batchnorm_backward_alt(dout, cache)
            report("batchnorm_backward_alt dx", rel_error(dx, dx2), 1e-10)
            report("batchnorm_backward_alt dgamma", rel_error(dgamma, dgamma2), 1e-10)
            ''', LOCKED),
        md("## Batch normalization in `FullyConnectedNet`\n\nWith `use_batchnorm=True` every hidden "
           "affine layer is followed by batch normalization (before the ReLU). The initial loss and "
           "the gradients of a small net are checked first."),
        code('''
            from cs231n.classifiers.fc_net import FullyConnectedNet
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))
            for reg in [0, 3.14]:
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                                          dtype=np.float64, use_batchnorm=True)
                loss, grads = model.loss(X, y)
                print(f"reg {reg}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
                    report(f"reg {reg}: d{name}", rel_error(num, grads[name]), 1e-3)
            ''', LOCKED),
        md("## Deep nets with and without batch normalization\n\nTwo six-layer nets on 1000 training "
           "images: the batch-normalised one usually learns faster."),
        _build.LOAD_DATA,
        code('''
            from cs231n.solver import Solver

            np.random.seed(231)
            small = {k: v[:1000] if k.startswith(("X_train", "y_train")) else v for k, v in data.items()}
            solvers = {}
            for use_bn in (True, False):
                model = FullyConnectedNet([100] * 5, weight_scale=2e-2, use_batchnorm=use_bn)
                solver = Solver(model, small, num_epochs=epochs(10), batch_size=50, update_rule="adam",
                                optim_config={"learning_rate": 1e-3}, verbose=False)
                solver.train()
                solvers["batchnorm" if use_bn else "baseline"] = solver
                print(f"{'batchnorm' if use_bn else 'baseline':10s} best validation accuracy {solver.best_val_acc:.3f}")
            plot_solvers(solvers)
            ''', LOCKED),
        *question(1, "How does batch normalization change the sensitivity of a deep net to its weight "
                     "initialization scale?",
                  "Without it, the scale of the activations grows or shrinks layer after layer, so a "
                  "deep net trains only in a narrow band of weight scales; batch normalization resets "
                  "every layer's activations to a learned scale, so a much wider range of initial scales "
                  "trains well."),
    ]


# ==============================================================================================
# cs231n-2017: Dropout (p is the probability of DROPPING a unit)
# ==============================================================================================


def dropout_2017() -> list[tuple]:
    return [
        md(textwrap.dedent("""
            # Dropout (CS231n 2016-2017)

            Dropout sets each hidden unit to zero with probability `p` during training (in this
            course **p is the probability of dropping**), and scales the units it keeps by
            `1 / (1 - p)` so that the expected output equals the input ("inverted dropout"); at
            test time it does nothing. You write `dropout_forward`, `dropout_backward` and the
            `dropout` option of `FullyConnectedNet`.
            """).strip()),
        SETUP,
        code('''
            from cs231n.layers import dropout_forward, dropout_backward

            np.random.seed(231)
            x = np.random.randn(500, 500) + 10
            for p in [0.3, 0.6, 0.75]:
                out, _ = dropout_forward(x, {"mode": "train", "p": p})
                out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
                print(f"p = {p}: input mean {x.mean():.4f}, train mean {out.mean():.4f}, test mean {out_test.mean():.4f}, "
                      f"fraction zeroed in training {np.mean(out == 0):.4f}")
                report(f"p = {p}: fraction zeroed", abs(np.mean(out == 0) - p), 0.01)
                report(f"p = {p}: mean kept", abs(out.mean() - x.mean()) / x.mean(), 0.01)
                report(f"p = {p}: test mode is the identity", np.max(np.abs(out_test - x)), 1e-12)
            ''', LOCKED),
        code('''
            from cs231n.gradient_check import eval_numerical_gradient_array

            np.random.seed(231)
            x = np.random.randn(10, 10) + 10
            dout = np.random.randn(*x.shape)
            dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
            out, cache = dropout_forward(x, dropout_param)
            dx = dropout_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, dropout_param)[0], x, dout)
            report("dropout_backward dx", rel_error(dx, dx_num), 1e-10)
            ''', LOCKED),
        md("## Dropout in `FullyConnectedNet`\n\n`dropout=p` adds a dropout layer after every ReLU; "
           "`dropout=0` means no dropout at all. With a fixed `seed` the masks are the same at every "
           "call, so numeric gradients apply."),
        code('''
            from cs231n.classifiers.fc_net import FullyConnectedNet
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))
            for dropout in [0, 0.25, 0.5]:
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                          dtype=np.float64, dropout=dropout, seed=123)
                loss, grads = model.loss(X, y)
                print(f"dropout {dropout}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
                    report(f"dropout {dropout}: d{name}", rel_error(num, grads[name]), 1e-4)
            ''', LOCKED),
        _build.LOAD_DATA,
        md("## Regularisation experiment\n\nTwo nets with one hidden layer of 500 units on 500 "
           "training images, one without dropout and one dropping 75% of the hidden units."),
        code('''
            from cs231n.solver import Solver

            np.random.seed(231)
            small = {k: v[:500] if k.startswith(("X_train", "y_train")) else v for k, v in data.items()}
            solvers = {}
            for dropout in [0, 0.75]:
                model = FullyConnectedNet([500], dropout=dropout)
                solver = Solver(model, small, num_epochs=epochs(25), batch_size=100, update_rule="adam",
                                optim_config={"learning_rate": 5e-4}, verbose=False)
                solver.train()
                solvers[f"dropout {dropout}"] = solver
                print(f"dropout {dropout}: best validation accuracy {solver.best_val_acc:.3f}, final training "
                      f"accuracy {solver.train_acc_history[-1]:.3f}")
            plot_solvers(solvers)
            ''', LOCKED),
        *question(1, "Compare the training and validation accuracies of the two nets. What does dropout do?",
                  "Without dropout the net memorises the 500 images (training accuracy near 100%) while "
                  "its validation accuracy stalls; with dropout the training accuracy rises more slowly "
                  "and the gap to the validation accuracy is smaller: dropout acts as a regulariser."),
    ]


# ==============================================================================================
# cs231n-2017: ConvolutionalNetworks
# ==============================================================================================


def convolutional_networks_2017() -> list[tuple]:
    return [
        md(textwrap.dedent("""
            # Convolutional networks (CS231n 2016-2017)

            The naive convolution and max pooling layers first (checked against fixed values and
            numeric gradients), then the fast versions the course gives, the three-layer
            convolutional network and spatial batch normalization.
            """).strip()),
        SETUP,
        code('''
            from cs231n.layers import conv_forward_naive, conv_backward_naive
            from cs231n.gradient_check import eval_numerical_gradient_array

            x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
            b = np.linspace(-0.1, 0.2, num=3)
            out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
            correct_out = np.array([[[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                                     [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                                     [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
                                    [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                                     [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                                     [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
            report("conv_forward_naive", rel_error(out, correct_out), 1e-7)

            np.random.seed(231)
            x = np.random.randn(4, 3, 5, 5)
            w = np.random.randn(2, 3, 3, 3)
            b = np.random.randn(2)
            dout = np.random.randn(4, 2, 5, 5)
            conv_param = {"stride": 1, "pad": 1}
            _, cache = conv_forward_naive(x, w, b, conv_param)
            dx, dw, db = conv_backward_naive(dout, cache)
            report("conv_backward_naive dx", rel_error(dx, eval_numerical_gradient_array(
                lambda v: conv_forward_naive(v, w, b, conv_param)[0], x, dout)), 1e-8)
            report("conv_backward_naive dw", rel_error(dw, eval_numerical_gradient_array(
                lambda v: conv_forward_naive(x, v, b, conv_param)[0], w, dout)), 1e-8)
            report("conv_backward_naive db", rel_error(db, eval_numerical_gradient_array(
                lambda v: conv_forward_naive(x, w, v, conv_param)[0], b, dout)), 1e-8)
            ''', LOCKED),
        code('''
            from cs231n.layers import max_pool_forward_naive, max_pool_backward_naive

            x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}
            out, _ = max_pool_forward_naive(x, pool_param)
            report("max_pool_forward_naive [0, 0]", rel_error(out[0, 0], np.array(
                [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]])), 1e-7)
            report("max_pool_forward_naive [1, 2, 1, 1]", abs(out[1, 2, 1, 1] - 0.4), 1e-7)

            np.random.seed(231)
            x = np.random.randn(3, 2, 8, 8)
            dout = np.random.randn(3, 2, 4, 4)
            _, cache = max_pool_forward_naive(x, pool_param)
            dx = max_pool_backward_naive(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward_naive(v, pool_param)[0], x, dout)
            report("max_pool_backward_naive dx", rel_error(dx, dx_num), 1e-8)
            ''', LOCKED),
        md("## The three-layer convolutional network\n\nWith small weights the initial loss is about "
           "`log(10)`; regularisation raises it. Then the net overfits 100 training images."),
        code('''
            from cs231n.classifiers.cnn import ThreeLayerConvNet

            np.random.seed(231)
            X = np.random.randn(50, 3, 32, 32)
            y = np.random.randint(10, size=50)
            model = ThreeLayerConvNet()
            loss, _ = model.loss(X, y)
            report("initial loss is about log(10)", abs(loss - np.log(10)), 0.05)
            model.reg = 0.5
            loss_reg, _ = model.loss(X, y)
            print(f"initial loss {loss:.4f}, with reg 0.5: {loss_reg:.4f}")
            ''', LOCKED),
        _build.load_data_cell(200, 100, 100),
        code('''
            from cs231n.solver import Solver

            np.random.seed(231)
            small = {"X_train": data["X_train"][:100], "y_train": data["y_train"][:100],
                     "X_val": data["X_val"], "y_val": data["y_val"]}
            model = ThreeLayerConvNet(weight_scale=1e-2)
            solver = Solver(model, small, num_epochs=epochs(15), batch_size=50, update_rule="adam",
                            optim_config={"learning_rate": 1e-3}, verbose=False)
            solver.train()
            print(f"training accuracy {solver.train_acc_history[-1]:.2f} (overfits: near 1), "
                  f"validation {solver.val_acc_history[-1]:.2f}")
            plot_solvers({"overfit 100 images": solver})
            ''', LOCKED),
        md("## Spatial batch normalization\n\nOne mean and variance per channel, over the images and "
           "every position."),
        code('''
            from cs231n.layers import spatial_batchnorm_forward, spatial_batchnorm_backward

            np.random.seed(231)
            x = 4 * np.random.randn(2, 3, 4, 5) + 10
            gamma, beta = np.array([3.0, 4.0, 5.0]), np.array([6.0, 7.0, 8.0])
            out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
            report("spatial batchnorm means", rel_error(out.mean(axis=(0, 2, 3)), beta), 1e-7)
            report("spatial batchnorm stds", rel_error(out.std(axis=(0, 2, 3)), gamma), 1e-5)

            dout = np.random.randn(*x.shape)
            bn_param = {"mode": "train"}
            _, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: spatial_batchnorm_forward(v, gamma, beta, bn_param)[0], x, dout)
            report("spatial_batchnorm_backward dx", rel_error(dx, dx_num), 1e-6)
            ''', LOCKED),
    ]


# ==============================================================================================
# cs231n-2015: two_layer_net, layers, convnet
# ==============================================================================================

SETUP_2015 = code(
    '''
    # Setup. The cs231n package sits beside this notebook in the kit (the master notebooks
    # find the reference one level up, in ../reference).
    import os, sys
    for root in (".", os.path.join("..", "reference")):
        if os.path.isdir(os.path.join(root, "cs231n")):
            sys.path.insert(0, os.path.abspath(root))
            break

    import time
    import numpy as np
    import matplotlib.pyplot as plt

    %matplotlib inline
    plt.rcParams["figure.figsize"] = (10.0, 8.0)
    plt.rcParams["image.interpolation"] = "nearest"

    %load_ext autoreload
    %autoreload 2

    # QUICK=1 in the environment (the tests set it): small data and short training runs.
    QUICK = bool(os.environ.get("QUICK"))


    def rel_error(x, y):
        """Relative error max |x - y| / max(1e-8, |x| + |y|), worst element."""
        return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


    failed_checks = []


    def report(name, error, tol):
        """Print the error of one check and whether it is below tol."""
        ok = bool(error < tol)
        if not ok:
            failed_checks.append(name)
        print(f"{name:<40} error {error:.2e}  {'ok' if ok else f'TOO LARGE: expected below {tol:.0e}'}")


    def report_min(name, value, target):
        """Print a measured value and whether it reaches target."""
        ok = bool(value >= target)
        if not ok:
            failed_checks.append(name)
        print(f"{name:<40} {value:.4f}  {'ok' if ok else f'BELOW TARGET {target:.3g}'}")


    def plot_training(loss_history, train_acc, val_acc):
        """The loss per iteration and the accuracies per check of one training run."""
        plt.subplot(2, 1, 1)
        plt.plot(loss_history)
        plt.title("Loss")
        plt.xlabel("Iteration")
        plt.subplot(2, 1, 2)
        plt.plot(train_acc, "-o", label="training")
        plt.plot(val_acc, "-o", label="validation")
        plt.legend(loc="lower right")
        plt.xlabel("Check")
        plt.ylabel("Accuracy")
        plt.tight_layout()
        plt.show()
    ''',
    LOCKED,
)

TOY_2015 = code('''
    # A small model and data set with known answers: 5 inputs of 4 features, 10 hidden units, 3 classes.
    input_size, hidden_size, num_classes, num_inputs = 4, 10, 3, 5


    def init_toy_model():
        return {
            "W1": np.linspace(-0.2, 0.6, num=input_size * hidden_size).reshape(input_size, hidden_size),
            "b1": np.linspace(-0.3, 0.7, num=hidden_size),
            "W2": np.linspace(-0.4, 0.1, num=hidden_size * num_classes).reshape(hidden_size, num_classes),
            "b2": np.linspace(-0.5, 0.9, num=num_classes),
        }


    def init_toy_data():
        X = np.linspace(-0.2, 0.5, num=num_inputs * input_size).reshape(num_inputs, input_size)
        return X, np.array([0, 1, 2, 2, 1])


    model = init_toy_model()
    X, y = init_toy_data()
    ''', LOCKED)

# the two-layer net's final run: hidden units, learning rate, L2, epochs (about 55% validation accuracy)
TWO_LAYER_FINAL = dict(hidden_size=500, learning_rate=1e-4, reg=0.5, num_epochs=10, batch_size=100)


def two_layer_net_2015() -> list[tuple]:
    s = TWO_LAYER_FINAL
    return [
        md(textwrap.dedent("""
            # A two-layer neural network (CS231n 2015)

            In 2015 a model is a plain dictionary of numpy arrays. `init_two_layer_model` makes one
            with weights `W1 (D, H)`, `b1 (H,)`, `W2 (H, C)`, `b2 (C,)`; `two_layer_net(X, model, y,
            reg)` computes the class scores, or the softmax loss with L2 regularisation
            (`0.5 * reg * sum(W**2)`) and its gradients; `ClassifierTrainer().train(...)` trains it
            with SGD, momentum or RMSProp. You write `two_layer_net` and the momentum and RMSProp
            updates, then train a net on CIFAR-10: the course asks for **more than 50% accuracy on
            the validation set**, with a bonus for every point above 56%. Keep your best model in
            `best_model`.
            """).strip()),
        SETUP_2015,
        TOY_2015,
        md("## Forward pass: scores\n\nThe toy model's scores are known."),
        code('''
            from cs231n.classifiers.neural_net import two_layer_net

            scores = two_layer_net(X, model)
            print(scores)
            correct_scores = np.array([[-0.5328368, 0.20031504, 0.93346689],
                                       [-0.59412164, 0.15498488, 0.9040914],
                                       [-0.67658362, 0.08978957, 0.85616275],
                                       [-0.77092643, 0.01339997, 0.79772637],
                                       [-0.89110401, -0.08754544, 0.71601312]])
            report("two_layer_net scores", rel_error(scores, correct_scores), 1e-7)
            ''', LOCKED),
        md("## Forward pass: loss\n\nThe softmax loss plus `0.5 * reg * (sum(W1**2) + sum(W2**2))`."),
        code('''
            loss, _ = two_layer_net(X, model, y, reg=0.1)
            correct_loss = 1.38191946092
            report("two_layer_net loss (reg 0.1)", abs(loss - correct_loss), 1e-10)
            ''', LOCKED),
        md("## Backward pass\n\nEvery gradient against a numeric one."),
        code('''
            from cs231n.gradient_check import eval_numerical_gradient

            loss, grads = two_layer_net(X, model, y, reg=0.1)
            for name in sorted(grads):
                num = eval_numerical_gradient(lambda W: two_layer_net(X, model, y, reg=0.1)[0], model[name], verbose=False)
                report(f"d{name}", rel_error(num, grads[name]), 1e-7)
            ''', LOCKED),
        md("## The trainer's update rules\n\nGradient descent on the toy problem (`sample_batches=False`: "
           "every step uses all five inputs). Plain SGD is given; momentum and RMSProp are yours, in "
           "`cs231n/classifier_trainer.py`. Their final losses are known."),
        code('''
            from cs231n.classifier_trainer import ClassifierTrainer

            final = {}
            for update in ("sgd", "momentum", "rmsprop"):
                model = init_toy_model()
                best_model, loss_history, _, _ = ClassifierTrainer().train(
                    X, y, X, y, model, two_layer_net, reg=0.001, learning_rate=1e-1, momentum=0.9,
                    learning_rate_decay=1, update=update, sample_batches=False, num_epochs=100, verbose=False)
                final[update] = loss_history[-1]
                print(f"{update:9s} final loss {loss_history[-1]:.6f}")
            report("momentum final loss", abs(final["momentum"] - 0.494394), 1e-5)
            report("rmsprop final loss", abs(final["rmsprop"] - 0.439368), 1e-5)
            ''', LOCKED),
        md(textwrap.dedent("""
            ## CIFAR-10

            Set the environment variable `CIFAR10_PATH` to the `cifar-10-python.tar.gz` archive (or
            the folder it unpacks to) before starting Jupyter. The images become rows of 3072
            values in the loader's order (height, width, channel), minus the mean training image;
            the validation images are the last 1000 of the training batches.
            """).strip()),
        code('''
            from cs231n.data_utils import load_CIFAR10


            def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000):
                """CIFAR-10 as rows for the two-layer net: training, validation and test splits."""
                X_train, y_train, X_test, y_test = load_CIFAR10()  # CIFAR10_PATH
                X_val, y_val = X_train[num_training:num_training + num_validation], y_train[num_training:num_training + num_validation]
                X_train, y_train = X_train[:num_training], y_train[:num_training]
                X_test, y_test = X_test[:num_test], y_test[:num_test]
                mean_image = np.mean(X_train, axis=0)
                # rows in float32: matrix products of float32 arrays are several times faster
                X_train = (X_train - mean_image).reshape(num_training, -1).astype(np.float32)
                X_val = (X_val - mean_image).reshape(num_validation, -1).astype(np.float32)
                X_test = (X_test - mean_image).reshape(num_test, -1).astype(np.float32)
                return X_train, y_train, X_val, y_val, X_test, y_test


            sizes = dict(num_training=2000, num_validation=200, num_test=200) if QUICK else {}
            X_train, y_train, X_val, y_val, X_test, y_test = get_CIFAR10_data(**sizes)
            print("training", X_train.shape, "validation", X_val.shape, "test", X_test.shape)
            ''', LOCKED),
        md("## A first run\n\n50 hidden units, momentum SGD, 5 epochs: expect a validation accuracy "
           "of about 0.37."),
        code('''
            from cs231n.classifiers.neural_net import init_two_layer_model

            model = init_two_layer_model(32 * 32 * 3, 50, 10)
            trainer = ClassifierTrainer()
            first_model, loss_history, train_acc, val_acc = trainer.train(
                X_train, y_train, X_val, y_val, model, two_layer_net, num_epochs=1 if QUICK else 5, reg=1.0,
                momentum=0.9, learning_rate_decay=0.95, learning_rate=1e-5, verbose=False)
            print(f"best validation accuracy {max(val_acc):.3f}")
            plot_training(loss_history, train_acc, val_acc)
            ''', LOCKED),
        md(textwrap.dedent("""
            ## Tune your network

            The first run learns slowly: its loss falls almost linearly, a sign of a learning rate
            too small, and the training and validation accuracies are close, so the net has room
            for more capacity. Try more hidden units, a larger learning rate, more epochs and other
            regularisation strengths, and keep the best trained model in `best_model` (a model
            dictionary).
            """).strip()),
        bcode(f'''
            best_model = None  # store the best model into this
            @@TODO Tune the hyperparameters on the validation set and store your best trained model (the dict the trainer returns) in best_model.
            hidden_size = {s["hidden_size"]}
            np.random.seed(0)
            model = {{k: v.astype(np.float32) for k, v in init_two_layer_model(32 * 32 * 3, hidden_size, 10).items()}}
            tic = time.time()
            best_model, loss_history, train_acc, val_acc = ClassifierTrainer().train(
                X_train, y_train, X_val, y_val, model, two_layer_net, reg={s["reg"]}, learning_rate={s["learning_rate"]},
                momentum=0.9, learning_rate_decay=0.95, update="momentum", sample_batches=True,
                num_epochs=1 if QUICK else {s["num_epochs"]}, batch_size={s["batch_size"]}, verbose=False)
            print(f"trained in {{time.time() - tic:.0f}} s; best validation accuracy {{max(val_acc):.3f}}")
            plot_training(loss_history, train_acc, val_acc)
            @@END
            '''),
        code('''
            # The accuracy of best_model on the validation and test sets.
            val_acc = np.mean(np.argmax(two_layer_net(X_val, best_model), axis=1) == y_val)
            test_acc = np.mean(np.argmax(two_layer_net(X_test, best_model), axis=1) == y_test)
            print(f"validation accuracy {val_acc:.4f}, test accuracy {test_acc:.4f}")
            if QUICK:
                print("QUICK mode: trained on a small subset, accuracy target not checked")
            else:
                report_min("two-layer net: validation accuracy", val_acc, 0.5)
            ''', LOCKED),
        *question(1, "Describe how you tuned the network and what mattered most.",
                  "The sample solution widens the hidden layer to {h} units and raises the learning rate "
                  "to {lr}, with L2 {reg} and {ep} epochs of momentum SGD: the learning rate mattered "
                  "most (at 1e-5 the loss barely moves), then the width; the gap between the training "
                  "and validation accuracies stays small at this regularisation.".format(
                      h=s["hidden_size"], lr=s["learning_rate"], reg=s["reg"], ep=s["num_epochs"])),
    ]


def layers_2015() -> list[tuple]:
    return [
        md(textwrap.dedent("""
            # Modular layers (CS231n 2015)

            Each layer is a forward function returning its output and a cache, and a backward
            function turning the upstream gradient and that cache into the gradients of its
            inputs. You write the affine, ReLU, convolution and max pooling layers in
            `cs231n/layers.py`; the SVM and softmax losses are given.
            """).strip()),
        SETUP_2015,
        code('''
            from cs231n.layers import affine_forward, affine_backward, relu_forward, relu_backward
            from cs231n.gradient_check import eval_numerical_gradient_array

            x = np.linspace(-0.1, 0.5, num=2 * 120).reshape(2, 4, 5, 6)
            w = np.linspace(-0.2, 0.3, num=120 * 3).reshape(120, 3)
            b = np.linspace(-0.3, 0.1, num=3)
            out, _ = affine_forward(x, w, b)
            correct_out = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
            report("affine_forward", rel_error(out, correct_out), 1e-8)

            np.random.seed(231)
            x, w, b = np.random.randn(10, 2, 3), np.random.randn(6, 5), np.random.randn(5)
            dout = np.random.randn(10, 5)
            _, cache = affine_forward(x, w, b)
            dx, dw, db = affine_backward(dout, cache)
            report("affine_backward dx", rel_error(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)), 1e-8)
            report("affine_backward dw", rel_error(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)), 1e-8)
            report("affine_backward db", rel_error(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)), 1e-8)

            x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
            out, _ = relu_forward(x)
            report("relu_forward", rel_error(out, np.maximum(x, 0)), 1e-8)
            x = np.random.randn(10, 10)
            dout = np.random.randn(*x.shape)
            _, cache = relu_forward(x)
            report("relu_backward", rel_error(relu_backward(dout, cache),
                                              eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)), 1e-8)
            ''', LOCKED),
        code('''
            from cs231n.layers import svm_loss, softmax_loss
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            x = 0.001 * np.random.randn(50, 10)
            y = np.random.randint(10, size=50)
            loss, dx = svm_loss(x, y)
            print(f"svm loss {loss:.4f} (about 9), softmax loss {softmax_loss(x, y)[0]:.4f} (about 2.3)")
            report("svm_loss dx", rel_error(dx, eval_numerical_gradient(lambda v: svm_loss(v, y)[0], x, verbose=False)), 1e-7)
            ''', LOCKED),
        code('''
            from cs231n.layers import conv_forward_naive, conv_backward_naive, max_pool_forward_naive, max_pool_backward_naive

            x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
            b = np.linspace(-0.1, 0.2, num=3)
            out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
            report("conv_forward_naive [0, 0]", rel_error(out[0, 0], np.array(
                [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]])), 1e-7)

            np.random.seed(231)
            x, w, b = np.random.randn(4, 3, 5, 5), np.random.randn(2, 3, 3, 3), np.random.randn(2)
            dout = np.random.randn(4, 2, 5, 5)
            conv_param = {"stride": 1, "pad": 1}
            _, cache = conv_forward_naive(x, w, b, conv_param)
            dx, dw, db = conv_backward_naive(dout, cache)
            report("conv_backward_naive dx", rel_error(dx, eval_numerical_gradient_array(
                lambda v: conv_forward_naive(v, w, b, conv_param)[0], x, dout)), 1e-8)
            report("conv_backward_naive dw", rel_error(dw, eval_numerical_gradient_array(
                lambda v: conv_forward_naive(x, v, b, conv_param)[0], w, dout)), 1e-8)

            x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}
            out, _ = max_pool_forward_naive(x, pool_param)
            report("max_pool_forward_naive [0, 0]", rel_error(out[0, 0], np.array(
                [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]])), 1e-7)
            x = np.random.randn(3, 2, 8, 8)
            dout = np.random.randn(3, 2, 4, 4)
            _, cache = max_pool_forward_naive(x, pool_param)
            report("max_pool_backward_naive", rel_error(max_pool_backward_naive(dout, cache), eval_numerical_gradient_array(
                lambda v: max_pool_forward_naive(v, pool_param)[0], x, dout)), 1e-8)
            ''', LOCKED),
        md("## The fast layers\n\nThe given fast convolution and pooling layers must agree with your naive ones."),
        code('''
            from cs231n.fast_layers import conv_forward_fast, max_pool_forward_fast

            np.random.seed(231)
            x, w, b = np.random.randn(10, 3, 16, 16), np.random.randn(8, 3, 3, 3), np.random.randn(8)
            conv_param = {"stride": 1, "pad": 1}
            report("conv fast vs naive", rel_error(conv_forward_fast(x, w, b, conv_param)[0],
                                                   conv_forward_naive(x, w, b, conv_param)[0]), 1e-8)
            pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
            report("pool fast vs naive", rel_error(max_pool_forward_fast(x, pool_param)[0],
                                                   max_pool_forward_naive(x, pool_param)[0]), 1e-8)
            ''', LOCKED),
    ]


def convnet_2015() -> list[tuple]:
    return [
        md(textwrap.dedent("""
            # A convolutional network (CS231n 2015)

            The given `two_layer_convnet` (conv - relu - pool - affine - softmax) is built from your
            layers and the fast ones. Check its initial loss and gradients, overfit a small data
            set, then train it for one epoch on CIFAR-10 (about 50% validation accuracy in 2015's
            notebook with 7 x 7 filters).
            """).strip()),
        SETUP_2015,
        code('''
            from cs231n.classifiers.convnet import init_two_layer_convnet, two_layer_convnet
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            X = np.random.randn(50, 3, 32, 32)
            y = np.random.randint(10, size=50)
            model = init_two_layer_convnet()
            loss, _ = two_layer_convnet(X, model, y)
            report("initial loss is about log(10)", abs(loss - np.log(10)), 0.05)

            X = np.random.randn(2, 3, 8, 8)
            y = np.random.randint(10, size=2)
            model = init_two_layer_convnet(num_filters=3, filter_size=3, input_shape=(3, 8, 8))
            loss, grads = two_layer_convnet(X, model, y)
            for name in sorted(grads):
                num = eval_numerical_gradient(lambda _: two_layer_convnet(X, model, y)[0], model[name], verbose=False, h=1e-6)
                report(f"d{name}", rel_error(num, grads[name]), 1e-5)
            ''', LOCKED),
        code('''
            from cs231n.data_utils import get_CIFAR10_data
            from cs231n.classifier_trainer import ClassifierTrainer

            data = get_CIFAR10_data(**(dict(num_training=500, num_validation=100, num_test=100) if QUICK else {}))
            X_train, y_train, X_val, y_val = data["X_train"], data["y_train"], data["X_val"], data["y_val"]

            np.random.seed(231)
            model = init_two_layer_convnet()
            best, loss_history, train_acc, val_acc = ClassifierTrainer().train(
                X_train[:50], y_train[:50], X_val, y_val, model, two_layer_convnet, reg=0.001, momentum=0.9,
                learning_rate=1e-4, batch_size=10, num_epochs=10, verbose=False)
            print(f"overfitting 50 images: training accuracy {train_acc[-1]:.2f}")
            plot_training(loss_history, train_acc, val_acc)
            ''', LOCKED),
        code('''
            np.random.seed(231)
            model = init_two_layer_convnet(filter_size=7)
            tic = time.time()
            best, loss_history, train_acc, val_acc = ClassifierTrainer().train(
                X_train, y_train, X_val, y_val, model, two_layer_convnet, reg=0.001, momentum=0.9,
                learning_rate=1e-4, batch_size=50, num_epochs=1, acc_frequency=50, verbose=False)
            print(f"one epoch in {time.time() - tic:.0f} s: best validation accuracy {max(val_acc):.3f}")
            ''', LOCKED),
    ]


COURSES = {
    "cs231n-2017": {
        "FullyConnectedNets": ("fcn", fully_connected_nets_2017),
        "BatchNormalization": ("bn", batch_normalization_2017),
        "Dropout": ("do", dropout_2017),
        "ConvolutionalNetworks": ("cnn", convolutional_networks_2017),
    },
    "cs231n-2015": {
        "two_layer_net": ("tln", two_layer_net_2015),
        "layers": ("lay", layers_2015),
        "convnet": ("cnv", convnet_2015),
    },
}


def build() -> dict[Path, str]:
    """The text of every master notebook of the older courses, by path."""
    texts = {}
    for course, notebooks in COURSES.items():
        for name, (slug, make_cells) in notebooks.items():
            text = nbformat.writes(_build.assemble(slug, make_cells()))
            texts[ROOT / course / f"{name}.ipynb"] = text if text.endswith("\n") else text + "\n"
    return texts


def main(argv: list[str]) -> int:
    texts = build()
    if "--check" in argv:
        stale = [p for p, t in texts.items() if not p.exists() or p.read_text(encoding="utf-8") != t]
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the output of {Path(__file__).name}; run it to rebuild")
        return 1 if stale else 0
    for path, text in texts.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
