"""Assemble the master notebooks of the ece-c147 course from the cell lists below.

    python notebooks/ece-c147/_build.py           # (re)write the four .ipynb files
    python notebooks/ece-c147/_build.py --check   # exit 1 if a committed .ipynb differs from the build

The course's three homeworks in four notebooks: two_layer_nn (the two-layer net with its own
training loop), FC_nets (modular layers, the Solver), Dropout (update rules, batch
normalization, dropout and the best fully connected net) and CNN (convolutional layers and the
conv net). Each final model is left where the course's notebooks keep it: `best_net` in
two_layer_nn, `model` in Dropout and CNN.

Output is deterministic (fixed cell ids, no outputs). Cell tags as in ../_build.py: "locked",
"solution", "hidden". Student lines sit in the course's marked blocks; in the cell text below a
block is written

    <<YOUR CODE HERE: the instructions, on one line>>
    ...the solution...
    <<END>>

and expanded to the course's comment blocks (`# YOUR CODE HERE:` between `# ===== #` rules).
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _shared():
    """The default course's notebook builder (cell helpers and notebook metadata)."""
    spec = importlib.util.spec_from_file_location("_notebooks_build", HERE.parent / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_base = _shared()
md, code, question = _base.md, _base.code, _base.question
LOCKED, SOLUTION, HIDDEN = _base.LOCKED, _base.SOLUTION, _base.HIDDEN
KERNELSPEC, LANGUAGE_INFO = _base.KERNELSPEC, _base.LANGUAGE_INFO

RULE = "# " + "=" * 64 + " #"


def _source(text: str) -> str:
    """Dedented cell text with the block tokens expanded to the course's comment blocks."""
    out = []
    for line in textwrap.dedent(text).strip("\n").splitlines():
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped.startswith("<<YOUR CODE HERE:") and stripped.endswith(">>"):
            words = stripped[len("<<YOUR CODE HERE:"):-2].strip()
            out += [indent + RULE, indent + "# YOUR CODE HERE:"]
            out += [indent + "#   " + w for w in textwrap.wrap(words, 60)]
            out.append(indent + RULE)
        elif stripped == "<<END>>":
            out += [indent + RULE, indent + "# END YOUR CODE HERE", indent + RULE]
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def assemble(slug: str, cells: list[tuple]) -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    for index, (kind, text, tags) in enumerate(cells):
        metadata = {"tags": list(tags)} if tags else {}
        make = new_code_cell if kind == "code" else new_markdown_cell
        nb.cells.append(make(source=_source(text), metadata=metadata, id=f"{slug}-{index:02d}"))
    nbformat.validate(nb)
    return nb


# ----------------------------------------------------------------------------------------------
# Cells shared by the four notebooks
# ----------------------------------------------------------------------------------------------

SETUP = code(
    '''
    # Setup. The nndl/ package (yours) and utils/ (given) sit beside this notebook.
    import os, sys
    sys.path.insert(0, os.path.abspath("."))

    import time
    import numpy as np
    import matplotlib.pyplot as plt

    %matplotlib inline
    plt.rcParams["figure.figsize"] = (10.0, 6.0)
    plt.rcParams["image.interpolation"] = "nearest"

    # Re-import edited files of nndl before every cell, so changes show up without a restart.
    %load_ext autoreload
    %autoreload 2

    # QUICK=1 in the environment (the tests set it): small data and short training runs.
    QUICK = bool(os.environ.get("QUICK"))


    def epochs(n):
        """How many epochs to train: n normally, 1 in QUICK mode."""
        return 1 if QUICK else n


    def iterations(n):
        """How many steps to train: n normally, a few in QUICK mode."""
        return min(n, 100) if QUICK else n


    def rel_error(x, y):
        """Relative error max |x - y| / max(1e-8, |x| + |y|), elementwise, worst element."""
        return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


    failed_checks = []  # names of the checks that missed their target, in the order they ran


    def report(name, error, tol):
        """Print the error of one check and whether it is below tol."""
        ok = bool(error < tol)
        if not ok:
            failed_checks.append(name)
        verdict = "ok" if ok else f"TOO LARGE: expected below {tol:.0e}"
        print(f"{name:<44} error {error:.2e}  {verdict}")


    def report_min(name, value, target):
        """Print a measured value (an accuracy, say) and whether it reaches target."""
        ok = bool(value >= target)
        if not ok:
            failed_checks.append(name)
        verdict = "ok" if ok else f"BELOW TARGET {target:.3g}"
        print(f"{name:<44} {value:.4f}  {verdict}")


    def plot_solvers(solvers):
        """Training loss per iteration and accuracies per epoch of several named solvers."""
        fig, axes = plt.subplots(3, 1, figsize=(10, 12))
        for label, solver in solvers.items():
            axes[0].plot(solver.loss_history, "o", markersize=2, label=label)
            axes[1].plot(solver.train_acc_history, "-o", label=label)
            axes[2].plot(solver.val_acc_history, "-o", label=label)
        titles = ["Training loss", "Training accuracy", "Validation accuracy"]
        for ax, title, xlabel in zip(axes, titles, ["Iteration", "Epoch", "Epoch"]):
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.legend(loc="best")
        fig.tight_layout()
        plt.show()
    ''',
    LOCKED,
)

DATA_INTRO = md(
    """
    From here on the notebook trains on CIFAR-10. Set the environment variable `CIFAR10_PATH` to
    the `cifar-10-python.tar.gz` archive, or to the folder it unpacks to, **before** starting
    Jupyter. Everything above runs without the data.
    """
)


def load_data_cell(quick=(1000, 200, 200)) -> tuple:
    """The locked data cell of the Solver notebooks (images channels first, mean subtracted)."""
    n_train, n_val, n_test = quick
    return code(
        f'''
        # CIFAR-10 through the CIFAR10_PATH environment variable: 49,000 training images, the
        # next 1,000 for validation, 1,000 test images; the mean training image subtracted.
        from utils.data_utils import get_CIFAR10_data

        sizes = dict(num_training={n_train}, num_validation={n_val}, num_test={n_test}) if QUICK else {{}}
        data = get_CIFAR10_data(dtype=np.float32, **sizes)
        for name, array in data.items():
            print(f"{{name:8s}} {{array.shape}}")
        ''',
        LOCKED,
    )


def evaluate_cell(variable: str, target: float, name: str, rule: str) -> tuple:
    """A locked cell scoring the final model on the validation and test images and plotting its run."""
    return code(
        f'''
        # The accuracy of {variable} ({rule}). The grader recomputes it itself, from the
        # weights of {variable}, on images this notebook never sees.
        def accuracy(model, X, y, batch_size=500):
            """Fraction of X classified correctly, in batches to keep memory small."""
            predictions = [np.argmax(model.loss(X[i:i + batch_size]), axis=1)
                           for i in range(0, X.shape[0], batch_size)]
            return np.mean(np.concatenate(predictions) == y)

        val_acc = accuracy({variable}, data["X_val"], data["y_val"])
        test_acc = accuracy({variable}, data["X_test"], data["y_test"])
        print(f"validation accuracy {{val_acc:.4f}}, test accuracy {{test_acc:.4f}}")
        if QUICK:
            print("QUICK mode: trained on a small subset, the accuracy target is not checked")
        else:
            report_min("{name}: validation accuracy", val_acc, {target})
        plot_solvers({{"{variable}": solver}})
        ''',
        LOCKED,
    )


# ----------------------------------------------------------------------------------------------
# two_layer_nn.ipynb
# ----------------------------------------------------------------------------------------------

TWO_LAYER_BEST = dict(  # best_net: hidden_size 50 as the course asks, trained on the mirrored images too
    learning_rate=1e-3,
    learning_rate_decay=0.95,
    reg=0.25,
    num_iters=12000,
    batch_size=200,
)


def two_layer_nn() -> list[tuple]:
    s = TWO_LAYER_BEST
    return [
        md(
            """
            # A two-layer neural network

            The first network of the course, written from scratch: one hidden layer of ReLU units
            between the input and the class scores, a softmax loss with L2 regularization, and a
            training loop of plain stochastic gradient descent. Everything lives in one class,
            `TwoLayerNet` in `nndl/neural_net.py`: you will write its forward pass, its loss, its
            backward pass, `train` and `predict`.

            The weights follow the lecture's convention, one **row** per unit of the layer they
            feed: `W1` has shape `(H, D)` and `W2` shape `(C, H)`, so for a minibatch `X` of rows
            the hidden layer is `ReLU(X W1^T + b1)`.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The last section trains `best_net` (hidden size 50, {num_iters} iterations,
            learning rate {learning_rate}, regularization {reg}, on the training images and their
            mirror images), the model the grader scores with min(floor(X - 28) / 22, 1) of its
            validation accuracy X in percent.
            """.format(**s),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## A toy net first

            A net of 4 inputs, 10 hidden units and 3 classes, and 5 random examples, checked
            against precomputed answers before anything is trained on real data.
            """
        ),
        code(
            '''
            from nndl.neural_net import TwoLayerNet

            input_size, hidden_size, num_classes, num_inputs = 4, 10, 3, 5


            def init_toy_model():
                np.random.seed(0)
                return TwoLayerNet(input_size, hidden_size, num_classes, std=1e-1)


            def init_toy_data():
                np.random.seed(1)
                X = 10 * np.random.randn(num_inputs, input_size)
                y = np.array([0, 1, 2, 2, 1])
                return X, y


            net = init_toy_model()
            X, y = init_toy_data()
            ''',
            LOCKED,
        ),
        md(
            """
            ### The scores

            Write the first part of `TwoLayerNet.loss`: the class scores of every example, with no
            ReLU after the second layer, and no loop over the examples.
            """
        ),
        code(
            '''
            scores = net.loss(X)
            correct_scores = np.asarray([
                [-1.07260209, 0.05083871, -0.87253915],
                [-2.02778743, -0.10832494, -1.52641362],
                [-0.74225908, 0.15259725, -0.39578548],
                [-0.38172726, 0.10835902, -0.17328274],
                [-0.64417314, -0.18886813, -0.41106892]])
            print(scores)
            report("toy net: scores", rel_error(scores, correct_scores), 1e-7)
            ''',
            LOCKED,
        ),
        md(
            """
            ### The loss

            Next, the loss: the softmax loss averaged over the examples, plus the L2 regularization
            of `W1` and `W2` times `0.5 * reg`.
            """
        ),
        code(
            '''
            loss, _ = net.loss(X, y, reg=0.05)
            correct_loss = 1.071696123862817
            print("loss:", loss)
            report("toy net: loss", abs(loss - correct_loss), 1e-12)
            ''',
            LOCKED,
        ),
        md(
            """
            ### The backward pass

            Then the gradients of the loss with respect to `W1`, `b1`, `W2` and `b2`, each of the
            shape of its parameter. The cell compares them with numeric gradients (centred
            differences): the relative errors should stay below about `1e-8`.
            """
        ),
        code(
            '''
            from utils.gradient_check import eval_numerical_gradient

            loss, grads = net.loss(X, y, reg=0.05)
            for name in sorted(grads):
                f = lambda W: net.loss(X, y, reg=0.05)[0]
                numeric = eval_numerical_gradient(f, net.params[name], verbose=False)
                report(f"toy net: gradient of {name}", rel_error(numeric, grads[name]), 1e-8)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Training and predicting

            Write `TwoLayerNet.train` (minibatches drawn at random, one gradient descent step per
            minibatch) and `TwoLayerNet.predict`. Trained for 100 steps on its 5 examples, the toy
            net should end with a training loss near zero.
            """
        ),
        code(
            '''
            net = init_toy_model()
            stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
            print("final training loss:", stats["loss_history"][-1])
            report("toy net: final training loss", stats["loss_history"][-1], 0.02)
            report("toy net: predictions on its training set", np.mean(net.predict(X) != y), 0.01)

            plt.plot(stats["loss_history"])
            plt.xlabel("iteration")
            plt.ylabel("training loss")
            plt.title("Training loss of the toy net")
            plt.show()
            ''',
            LOCKED,
        ),
        md(
            """
            ## CIFAR-10

            Now a real data set: each image becomes a row of its 3072 pixel values (channels last,
            as `load_CIFAR10` returns them), minus the mean training image.
            """
        ),
        DATA_INTRO,
        code(
            '''
            from utils.data_utils import load_CIFAR10


            def get_CIFAR10_rows(num_training=49000, num_validation=1000, num_test=1000):
                """Training, validation and test images as rows, the mean training image subtracted."""
                X_train, y_train, X_test, y_test = load_CIFAR10(dtype=np.float32)  # finds CIFAR10_PATH
                X_val, y_val = X_train[num_training:num_training + num_validation], y_train[num_training:num_training + num_validation]
                X_train, y_train = X_train[:num_training], y_train[:num_training]
                X_test, y_test = X_test[:num_test], y_test[:num_test]
                mean_image = np.mean(X_train, axis=0)
                rows = [(X - mean_image).reshape(X.shape[0], -1) for X in (X_train, X_val, X_test)]
                return rows[0], y_train, rows[1], y_val, rows[2], y_test


            sizes = dict(num_training=1000, num_validation=200, num_test=200) if QUICK else {}
            X_train, y_train, X_val, y_val, X_test, y_test = get_CIFAR10_rows(**sizes)
            data = {"X_val": X_val, "y_val": y_val, "X_test": X_test, "y_test": y_test}
            for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
                print(f"{name:8s} {globals()[name].shape}")
            ''',
            LOCKED,
        ),
        md(
            """
            ### A first run

            With small weights, a tiny learning rate and a strong regularization, 1000 steps of
            SGD reach a validation accuracy of only about 28%. This net is kept as `subopt_net`.
            """
        ),
        code(
            '''
            input_size, hidden_size, num_classes = 32 * 32 * 3, 50, 10
            np.random.seed(0)
            net = TwoLayerNet(input_size, hidden_size, num_classes)
            stats = net.train(X_train, y_train, X_val, y_val, num_iters=iterations(1000), batch_size=200,
                              learning_rate=1e-4, learning_rate_decay=0.95, reg=0.25, verbose=True)
            val_acc = (net.predict(X_val) == y_val).mean()
            print("validation accuracy:", val_acc)
            subopt_net = net
            ''',
            LOCKED,
        ),
        md(
            """
            ### What went wrong?

            Plot what `train` returned, the training loss per step and the accuracies per epoch,
            and look for the reasons of the poor accuracy.
            """
        ),
        code(
            '''
            <<YOUR CODE HERE: plot the loss history and the training and validation accuracy histories of the first run (stats).>>
            fig, axes = plt.subplots(2, 1, figsize=(10, 8))
            axes[0].plot(stats["loss_history"])
            axes[0].set_title("Training loss")
            axes[0].set_xlabel("iteration")
            axes[1].plot(stats["train_acc_history"], "-o", label="train")
            axes[1].plot(stats["val_acc_history"], "-o", label="validation")
            axes[1].set_title("Classification accuracy")
            axes[1].set_xlabel("epoch")
            axes[1].legend()
            fig.tight_layout()
            plt.show()
            <<END>>
            '''
        ),
        *question(
            1,
            """
            Why is this first net so poor, and what would you change to fix it?
            """,
            """
            The loss barely moves for hundreds of steps and the two accuracy curves stay together,
            low: the net underfits. The learning rate is far too small for weights this small, and
            the regularization is strong; the run is also short (about five epochs of 1000 steps of
            200 images would be needed to see every image a few times). A larger learning rate with
            a decay, a weaker regularization and many more steps all help; the validation accuracy
            is what decides between settings.
            """,
        ),
        md(
            """
            ## Tune the net

            Tune the hyperparameters (learning rate, its decay, regularization, number of steps,
            batch size) on the validation set, **keeping `hidden_size = 50`**, and store your best
            net in `best_net`. More data helps too: a mirrored image (flipped left to right) is
            still an image of its class. The grader scores `best_net` by its validation accuracy X in
            percent: min(floor(X - 28) / 22, 1) of the points, so full points from 50%.
            """
        ),
        code(
            f'''
            best_net = None  # store the best model here
            <<YOUR CODE HERE: tune the hyperparameters on the validation set (hidden_size stays 50) and keep the best net in best_net. Use num_iters=iterations(n).>>
            # the training images and their mirror images (flipped left to right): twice the data
            flipped = X_train.reshape(-1, 32, 32, 3)[:, :, ::-1, :].reshape(X_train.shape)
            X_aug, y_aug = np.concatenate([X_train, flipped]), np.concatenate([y_train, y_train])
            del flipped
            best_val = -1
            for learning_rate, reg in [({s["learning_rate"]}, {s["reg"]})]:
                np.random.seed(0)
                net = TwoLayerNet(input_size, hidden_size, num_classes)
                stats = net.train(X_aug, y_aug, X_val, y_val, num_iters=iterations({s["num_iters"]}),
                                  batch_size={s["batch_size"]}, learning_rate=learning_rate,
                                  learning_rate_decay={s["learning_rate_decay"]}, reg=reg, verbose=False)
                val_acc = (net.predict(X_val) == y_val).mean()
                print(f"learning rate {{learning_rate:g}}, reg {{reg:g}}: validation accuracy {{val_acc:.4f}}")
                if val_acc > best_val:
                    best_val, best_net = val_acc, net
            <<END>>
            '''
        ),
        code(
            '''
            # The accuracy of best_net (min(floor(X - 28) / 22, 1) of the points). The grader
            # recomputes it itself, from the weights of best_net, on images this notebook never sees.
            val_acc = (best_net.predict(X_val) == y_val).mean()
            test_acc = (best_net.predict(X_test) == y_test).mean()
            print(f"validation accuracy {val_acc:.4f}, test accuracy {test_acc:.4f}")
            if QUICK:
                print("QUICK mode: trained on a small subset, the accuracy target is not checked")
            else:
                report_min("best_net: validation accuracy", val_acc, 0.5)
            ''',
            LOCKED,
        ),
        *question(
            2,
            """
            Compare the first-layer weights of `subopt_net` and of `best_net` (reshape each row of
            `W1` into a 32 x 32 x 3 image). What do you see?
            """,
            """
            The rows of `subopt_net` are almost the random noise they started from: the first run
            hardly changed them. Those of `best_net` are smooth templates (colour blobs, a few
            oriented edges, car- and horse-like silhouettes), the patterns its hidden units
            respond to.
            """,
        ),
    ]


# ----------------------------------------------------------------------------------------------
# FC_nets.ipynb
# ----------------------------------------------------------------------------------------------

FC_SOLVER = dict(hidden_dims=200, learning_rate=1e-3, reg=0.01, weight_scale=1e-2, lr_decay=0.95, num_epochs=10,
                 batch_size=200)


def fc_nets() -> list[tuple]:
    s = FC_SOLVER
    return [
        md(
            """
            # Modular fully connected networks

            The two-layer net of the last notebook computed everything in one function. Deeper nets
            are easier built from layers, each a pair of functions: a forward pass returning its
            output and a cache, and a backward pass turning the upstream gradient and that cache
            into the gradients of the layer's inputs. You will write the affine and ReLU layers in
            `nndl/layers.py`, then two nets of them in `nndl/fc_net.py`, trained by the given
            `Solver` (`utils/solver.py`).
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`; the TwoLayerNet trained with the Solver passes 50% validation accuracy, and the
            three-layer net overfits 50 images. Nothing here is scored by accuracy.
            """,
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## The affine layer

            `affine_forward(x, w, b)` flattens each example of `x` into a row and returns
            `x w + b`, with the cache `(x, w, b)`; `affine_backward(dout, cache)` returns `dx` (of
            the shape of `x`), `dw` and `db`.
            """
        ),
        code(
            '''
            from nndl.layers import *
            from utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array

            num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
            input_size = num_inputs * np.prod(input_shape)
            weight_size = output_dim * np.prod(input_shape)
            x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
            w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
            b = np.linspace(-0.3, 0.1, num=output_dim)
            out, _ = affine_forward(x, w, b)
            correct_out = np.array([[1.49834967, 1.70660132, 1.91485297],
                                    [3.25553199, 3.5141327, 3.77273342]])
            report("affine_forward", rel_error(out, correct_out), 1e-8)

            np.random.seed(231)
            x = np.random.randn(10, 2, 3)
            w = np.random.randn(6, 5)
            b = np.random.randn(5)
            dout = np.random.randn(10, 5)
            dx_num = eval_numerical_gradient_array(lambda x: affine_forward(x, w, b)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda w: affine_forward(x, w, b)[0], w, dout)
            db_num = eval_numerical_gradient_array(lambda b: affine_forward(x, w, b)[0], b, dout)
            _, cache = affine_forward(x, w, b)
            dx, dw, db = affine_backward(dout, cache)
            report("affine_backward: dx", rel_error(dx_num, dx), 1e-8)
            report("affine_backward: dw", rel_error(dw_num, dw), 1e-8)
            report("affine_backward: db", rel_error(db_num, db), 1e-8)
            ''',
            LOCKED,
        ),
        md(
            """
            ## The ReLU layer

            `relu_forward(x)` returns `max(0, x)` elementwise, `relu_backward(dout, cache)` the
            gradient, which flows only where `x > 0`.
            """
        ),
        code(
            '''
            x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
            out, _ = relu_forward(x)
            correct_out = np.array([[0., 0., 0., 0.],
                                    [0., 0., 0.04545455, 0.13636364],
                                    [0.22727273, 0.31818182, 0.40909091, 0.5]])
            report("relu_forward", rel_error(out, correct_out), 1e-7)

            np.random.seed(231)
            x = np.random.randn(10, 10)
            dout = np.random.randn(*x.shape)
            dx_num = eval_numerical_gradient_array(lambda x: relu_forward(x)[0], x, dout)
            _, cache = relu_forward(x)
            report("relu_backward", rel_error(dx_num, relu_backward(dout, cache)), 1e-8)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Sandwich layers

            `nndl/layer_utils.py` chains an affine layer and a ReLU into `affine_relu_forward` /
            `affine_relu_backward` (given). Check them with your layers.
            """
        ),
        code(
            '''
            from nndl.layer_utils import affine_relu_forward, affine_relu_backward

            np.random.seed(231)
            x = np.random.randn(2, 3, 4)
            w = np.random.randn(12, 10)
            b = np.random.randn(10)
            dout = np.random.randn(2, 10)
            out, cache = affine_relu_forward(x, w, b)
            dx, dw, db = affine_relu_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda x: affine_relu_forward(x, w, b)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda w: affine_relu_forward(x, w, b)[0], w, dout)
            db_num = eval_numerical_gradient_array(lambda b: affine_relu_forward(x, w, b)[0], b, dout)
            report("affine_relu_backward: dx", rel_error(dx_num, dx), 1e-8)
            report("affine_relu_backward: dw", rel_error(dw_num, dw), 1e-8)
            report("affine_relu_backward: db", rel_error(db_num, db), 1e-8)
            ''',
            LOCKED,
        ),
        md(
            """
            ## A two-layer net of layers

            `TwoLayerNet` in `nndl/fc_net.py` is the net of the last notebook rebuilt from layers:
            affine - relu - affine - softmax, its weights now `(D, H)` and `(H, C)`. Write its
            initialization and `loss`. The cell checks the initial weights, the scores and the
            losses on fixed weights.
            """
        ),
        code(
            '''
            from nndl.fc_net import *

            np.random.seed(231)
            N, D, H, C = 3, 5, 50, 7
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=N)
            std = 1e-3
            model = TwoLayerNet(input_dim=D, hidden_dims=H, num_classes=C, weight_scale=std)
            W1_std, W2_std = abs(model.params["W1"].std() - std), abs(model.params["W2"].std() - std)
            report("TwoLayerNet: W1 initial std", W1_std, std / 10)
            report("TwoLayerNet: W2 initial std", W2_std, std / 10)
            report("TwoLayerNet: b1 initially 0", np.abs(model.params["b1"]).max(), 1e-12)

            model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
            model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
            model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
            model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
            X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
            scores = model.loss(X)
            correct_scores = np.asarray(
                [[11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
                 [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
                 [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]])
            report("TwoLayerNet: scores", rel_error(scores, correct_scores), 1e-6)
            y = np.asarray([0, 5, 1])
            model.reg = 0.0
            loss, grads = model.loss(X, y)
            report("TwoLayerNet: loss (reg 0)", abs(loss - 3.4702243556), 1e-10)
            model.reg = 1.0
            loss, grads = model.loss(X, y)
            report("TwoLayerNet: loss (reg 1)", abs(loss - 26.5948426952), 1e-10)

            np.random.seed(231)
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=N)
            for reg in (0.0, 0.7):
                model = TwoLayerNet(input_dim=D, hidden_dims=H, num_classes=C, weight_scale=5e-2, reg=reg)
                loss, grads = model.loss(X, y)
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    numeric = eval_numerical_gradient(f, model.params[name], verbose=False)
                    report(f"TwoLayerNet (reg {reg}): gradient of {name}", rel_error(numeric, grads[name]), 1e-5)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Training with the Solver

            The `Solver` runs the training loop for any model with `params` and `loss`: minibatches,
            an update rule from `nndl/optim.py` (only `sgd` for now), learning-rate decay, and the
            accuracy checks after each epoch, keeping the best parameters. Train a `TwoLayerNet` to
            at least 50% validation accuracy.
            """
        ),
        DATA_INTRO,
        load_data_cell(),
        code(
            f'''
            from utils.solver import Solver

            model = None
            solver = None
            <<YOUR CODE HERE: train a TwoLayerNet with the Solver to at least 50% validation accuracy; keep it in model and the Solver in solver. Use num_epochs=epochs(n).>>
            np.random.seed(0)
            model = TwoLayerNet(hidden_dims={s["hidden_dims"]}, weight_scale={s["weight_scale"]}, reg={s["reg"]})
            solver = Solver(model, data, update_rule="sgd", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, num_epochs=epochs({s["num_epochs"]}), batch_size={s["batch_size"]},
                            print_every=500)
            solver.train()
            <<END>>
            '''
        ),
        code(
            '''
            if QUICK:
                print("QUICK mode: trained on a small subset, the accuracy target is not checked")
            else:
                report_min("TwoLayerNet with the Solver: validation accuracy", solver.best_val_acc, 0.5)
            plot_solvers({"TwoLayerNet": solver})
            ''',
            LOCKED,
        ),
        md(
            """
            ## Any number of layers

            `FullyConnectedNet` stacks `{affine - relu} x (L - 1) - affine - softmax` (batch
            normalization and dropout come in the next notebook: leave their options unused for
            now). Write its initialization and `loss`. The cell checks the initial loss (about
            `log(10)` with small weights) and the gradients of a small net, with and without
            regularization.
            """
        ),
        code(
            '''
            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))
            for reg in (0.0, 3.14):
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                                          dtype=np.float64)
                loss, grads = model.loss(X, y)
                print(f"reg {reg}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    numeric = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
                    report(f"FullyConnectedNet (reg {reg}): gradient of {name}", rel_error(numeric, grads[name]), 1e-4)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Overfit a small set

            A good check of a net and its training: a three-layer net should reach 100% training
            accuracy on 50 images within 20 epochs. Tune the learning rate and the weight scale.
            """
        ),
        code(
            '''
            small_data = {"X_train": data["X_train"][:50], "y_train": data["y_train"][:50],
                          "X_val": data["X_val"], "y_val": data["y_val"]}
            <<YOUR CODE HERE: find a learning rate and a weight scale with which a net of two hidden layers of 100 units overfits the 50 images in 20 epochs.>>
            learning_rate, weight_scale = 1e-2, 1e-2
            <<END>>
            np.random.seed(0)
            model = FullyConnectedNet([100, 100], weight_scale=weight_scale, dtype=np.float64)
            solver = Solver(model, small_data, print_every=10, num_epochs=20, batch_size=25,
                            update_rule="sgd", optim_config={"learning_rate": learning_rate}, verbose=False)
            solver.train()
            report_min("three-layer net: training accuracy on 50 images", solver.train_acc_history[-1], 1.0)
            plt.plot(solver.loss_history, "o")
            plt.title("Training loss history")
            plt.xlabel("iteration")
            plt.ylabel("training loss")
            plt.show()
            ''',
        ),
        *question(
            1,
            """
            Overfitting the 50 images with five layers instead of three: is it harder or easier,
            and how sensitive is it to the weight scale?
            """,
            """
            Harder. With more layers the scale of the activations is multiplied once per layer, so
            a weight scale a little too small makes the signal (and the gradients) vanish and one a
            little too large makes the loss explode; the range of weight scales that trains at all
            is much narrower, and the learning rate has to be tuned with it.
            """,
        ),
    ]


# ----------------------------------------------------------------------------------------------
# Dropout.ipynb: the update rules, batch normalization, dropout, the best fully connected net
# ----------------------------------------------------------------------------------------------

DROPOUT_FINAL = dict(  # the best fully connected net, scored min(floor(X - 32) / 28, 1)
    hidden_dims=[1024, 1024, 512],
    dropout=0.3,
    weight_scale=1e-2,
    reg=1e-4,
    learning_rate=1e-3,
    lr_decay=0.9,
    batch_size=200,
    num_epochs=15,
)


def dropout() -> list[tuple]:
    s = DROPOUT_FINAL
    return [
        md(
            """
            # Better training: update rules, batch normalization and dropout

            Three ways to train deeper fully connected nets better, then the best net you can make
            of them:

            - update rules that remember past gradients (`nndl/optim.py`): momentum, Nesterov
              momentum, RMSProp, Adam;
            - batch normalization (`batchnorm_forward` / `batchnorm_backward` in `nndl/layers.py`),
              which keeps each layer's inputs centred and scaled during training;
            - dropout (`dropout_forward` / `dropout_backward`), which regularizes by dropping random
              units at training time.

            `FullyConnectedNet` gets both options: `use_batchnorm=True` and `dropout=p` with `p`
            the probability of **dropping** a unit (`dropout=0`: no dropout).
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The last section trains a `FullyConnectedNet` ({hidden}, batchnorm, dropout
            {p}) for {epochs} epochs on the training images and their mirror images, and leaves it
            in `model`, which the grader scores with min(floor(X - 32) / 28, 1) of its validation
            accuracy X in percent.
            """.format(hidden=s["hidden_dims"], p=s["dropout"], epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: the update rules

            Each rule has the interface `next_w, config = rule(w, dw, config)`; `config` holds the
            hyperparameters and the rule's state between steps. The checks take one step from a
            given state.

            - `sgd_momentum`: the velocity `v = mu * v - learning_rate * dw`, then `w + v`.
            - `sgd_nesterov_momentum`: the same velocity update, and a step that looks ahead
              along it: `w + v_new + mu * (v_new - v_old)`.
            - `rmsprop`: a moving average `a` of the squared gradients, kept in `config['a']`, and
              the step `learning_rate * dw / (sqrt(a) + epsilon)`.
            - `adam`: moving averages of the gradient (`config['v']`) and of its square
              (`config['a']`), both bias-corrected with the step count `config['t']` (increase it
              first: the first step uses `t = 1`).
            """
        ),
        code(
            '''
            from nndl.optim import sgd_momentum, sgd_nesterov_momentum, rmsprop, adam

            N, D = 4, 5
            w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
            dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
            v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
            expected_velocity = np.asarray([
                [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
                [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
                [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
                [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]])

            config = {"learning_rate": 1e-3, "velocity": v}
            next_w, _ = sgd_momentum(w, dw, config=config)
            expected_next_w = np.asarray([
                [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
                [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
                [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
                [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
            report("sgd_momentum: next_w", rel_error(next_w, expected_next_w), 1e-7)
            report("sgd_momentum: velocity", rel_error(config["velocity"], expected_velocity), 1e-7)

            config = {"learning_rate": 1e-3, "velocity": v}
            next_w, _ = sgd_nesterov_momentum(w, dw, config=config)
            expected_next_w = np.asarray([
                [0.08714, 0.15246105, 0.21778211, 0.28310316, 0.34842421],
                [0.41374526, 0.47906632, 0.54438737, 0.60970842, 0.67502947],
                [0.74035053, 0.80567158, 0.87099263, 0.93631368, 1.00163474],
                [1.06695579, 1.13227684, 1.19759789, 1.26291895, 1.32824]])
            report("sgd_nesterov_momentum: next_w", rel_error(next_w, expected_next_w), 1e-7)
            report("sgd_nesterov_momentum: velocity", rel_error(config["velocity"], expected_velocity), 1e-7)

            a = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
            config = {"learning_rate": 1e-2, "a": a}
            next_w, _ = rmsprop(w, dw, config=config)
            expected_next_w = np.asarray([
                [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
                [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
                [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
                [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
            expected_a = np.asarray([
                [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
                [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
                [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
                [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]])
            report("rmsprop: next_w", rel_error(next_w, expected_next_w), 1e-7)
            report("rmsprop: config['a']", rel_error(config["a"], expected_a), 1e-7)

            v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
            a = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
            config = {"learning_rate": 1e-2, "v": v, "a": a, "t": 5}
            next_w, _ = adam(w, dw, config=config)
            expected_next_w = np.asarray([
                [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
                [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
                [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
                [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
            expected_v = np.asarray([
                [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
                [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
                [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
                [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]])
            expected_a = np.asarray([
                [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
                [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
                [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
                [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]])
            report("adam: next_w", rel_error(next_w, expected_next_w), 1e-6)
            report("adam: config['v']", rel_error(config["v"], expected_v), 1e-7)
            report("adam: config['a']", rel_error(config["a"], expected_a), 1e-7)
            report("adam: config['t']", abs(config["t"] - 6), 0.5)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Part 2: batch normalization

            In training mode, `batchnorm_forward` normalizes each feature with the minibatch mean
            and variance, then scales it by `gamma` and shifts it by `beta`; it also keeps running
            averages of the means and variances in `bn_param`, which normalize the data in test
            mode. After the forward pass in training mode the features have the means `beta` and
            the standard deviations `gamma`.
            """
        ),
        code(
            '''
            from nndl.layers import *
            from utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array

            np.random.seed(231)
            N, D1, D2, D3 = 200, 50, 60, 3
            X = np.random.randn(N, D1)
            W1 = np.random.randn(D1, D2)
            W2 = np.random.randn(D2, D3)
            a = np.maximum(0, X.dot(W1)).dot(W2)
            gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
            out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
            report("batchnorm_forward: means = beta", rel_error(out.mean(axis=0), beta), 1e-7)
            report("batchnorm_forward: stds = gamma", rel_error(out.std(axis=0), gamma), 1e-5)

            # test mode after many training batches: the running averages make the output about
            # zero-mean, unit-variance
            bn_param = {"mode": "train"}
            gamma, beta = np.ones(D3), np.zeros(D3)
            for t in range(50):
                a = np.maximum(0, np.random.randn(N, D1).dot(W1)).dot(W2)
                batchnorm_forward(a, gamma, beta, bn_param)
            bn_param["mode"] = "test"
            a = np.maximum(0, np.random.randn(N, D1).dot(W1)).dot(W2)
            out, _ = batchnorm_forward(a, gamma, beta, bn_param)
            report("batchnorm_forward (test): means near 0", np.abs(out.mean(axis=0)).max(), 0.2)
            report("batchnorm_forward (test): stds near 1", np.abs(out.std(axis=0) - 1).max(), 0.1)
            ''',
            LOCKED,
        ),
        md(
            """
            ### The backward pass

            Backpropagate through the normalization: the minibatch mean and variance depend on
            every example, so every example's gradient depends on the whole minibatch.
            """
        ),
        code(
            '''
            np.random.seed(231)
            N, D = 4, 5
            x = 5 * np.random.randn(N, D) + 12
            gamma = np.random.randn(D)
            beta = np.random.randn(D)
            dout = np.random.randn(N, D)
            bn_param = {"mode": "train"}
            fx = lambda x: batchnorm_forward(x, gamma, beta, bn_param)[0]
            fg = lambda g: batchnorm_forward(x, g, beta, bn_param)[0]
            fb = lambda b: batchnorm_forward(x, gamma, b, bn_param)[0]
            dx_num = eval_numerical_gradient_array(fx, x, dout)
            dgamma_num = eval_numerical_gradient_array(fg, gamma.copy(), dout)
            dbeta_num = eval_numerical_gradient_array(fb, beta.copy(), dout)
            _, cache = batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
            report("batchnorm_backward: dx", rel_error(dx_num, dx), 1e-7)
            report("batchnorm_backward: dgamma", rel_error(dgamma_num, dgamma), 1e-7)
            report("batchnorm_backward: dbeta", rel_error(dbeta_num, dbeta), 1e-7)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Batch normalization in the net

            With `use_batchnorm=True`, `FullyConnectedNet` puts a batch normalization between
            each hidden affine layer and its ReLU, with a `gamma` (ones) and a `beta` (zeros) per
            hidden layer, and gives each its own `bn_param` (`self.bn_params[i]`).
            """
        ),
        code(
            '''
            from nndl.fc_net import *

            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))
            for reg in (0.0, 3.14):
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                                          dtype=np.float64, use_batchnorm=True)
                loss, grads = model.loss(X, y)
                print(f"reg {reg}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    numeric = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
                    report(f"batchnorm net (reg {reg}): gradient of {name}", rel_error(numeric, grads[name]), 1e-3)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Part 3: dropout

            Inverted dropout: in training mode each unit is **dropped** (set to zero) with
            probability `p`, and the units kept are divided by `1 - p`, so that the expected output
            equals the input and test mode can return the input unchanged. Below, about a fraction
            `p` of the outputs should be zero and the mean should stay near 10.
            """
        ),
        code(
            '''
            np.random.seed(231)
            x = np.random.randn(500, 500) + 10
            for p in [0.3, 0.6, 0.75]:
                out, _ = dropout_forward(x, {"mode": "train", "p": p})
                out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
                print(f"p = {p}: train mean {out.mean():.4f}, test mean {out_test.mean():.4f}, "
                      f"fraction of zeros {np.mean(out == 0):.4f}")
                report(f"dropout_forward p={p}: fraction dropped", abs(np.mean(out == 0) - p), 0.01)
                report(f"dropout_forward p={p}: mean kept", abs(out.mean() - x.mean()) / x.mean(), 0.02)
                report(f"dropout_forward p={p}: test mode", rel_error(out_test, x), 1e-12)

            np.random.seed(231)
            x = np.random.randn(10, 10) + 10
            dout = np.random.randn(*x.shape)
            dropout_param = {"mode": "train", "p": 0.8, "seed": 123}
            out, cache = dropout_forward(x, dropout_param)
            dx = dropout_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda xx: dropout_forward(xx, dropout_param)[0], x, dout)
            report("dropout_backward: dx", rel_error(dx, dx_num), 1e-10)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Dropout in the net

            With `dropout=p > 0`, `FullyConnectedNet` follows each hidden ReLU with a dropout
            layer (all sharing `self.dropout_param`). With a seed, the masks repeat, so the
            gradients can be checked numerically.
            """
        ),
        code(
            '''
            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))
            for p in [0, 0.25, 0.5]:
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                          dtype=np.float64, dropout=p, seed=123)
                loss, grads = model.loss(X, y)
                print(f"dropout {p}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    f = lambda _: model.loss(X, y)[0]
                    numeric = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
                    report(f"dropout net (p={p}): gradient of {name}", rel_error(numeric, grads[name]), 1e-4)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Part 4: on CIFAR-10

            ### Comparing the update rules

            A six-layer net trained for five epochs on 4000 images with each rule. Momentum should
            beat plain SGD, Nesterov do slightly better still; RMSProp and Adam get there faster.
            """
        ),
        DATA_INTRO,
        load_data_cell(),
        code(
            '''
            from utils.solver import Solver

            small_data = {"X_train": data["X_train"][:4000], "y_train": data["y_train"][:4000],
                          "X_val": data["X_val"], "y_val": data["y_val"]}
            learning_rates = {"sgd": 1e-2, "sgd_momentum": 1e-2, "sgd_nesterov_momentum": 1e-2, "rmsprop": 2e-4,
                              "adam": 1e-3}
            solvers = {}
            for update_rule, learning_rate in learning_rates.items():
                np.random.seed(0)
                model = FullyConnectedNet([100] * 5, weight_scale=5e-2)
                solver = Solver(model, small_data, num_epochs=epochs(5), batch_size=100, update_rule=update_rule,
                                optim_config={"learning_rate": learning_rate}, verbose=False)
                solver.train()
                solvers[update_rule] = solver
                print(f"{update_rule:22s} final training loss {np.mean(solver.loss_history[-20:]):.3f}, "
                      f"best validation accuracy {solver.best_val_acc:.3f}")
            plot_solvers(solvers)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Batch normalization and the weight scale

            Deep nets without batch normalization train only for a narrow range of initial weight
            scales; with it, for a wide one. Each point is one short training run.
            """
        ),
        code(
            '''
            small_data = {"X_train": data["X_train"][:1000], "y_train": data["y_train"][:1000],
                          "X_val": data["X_val"], "y_val": data["y_val"]}
            weight_scales = np.logspace(-4, 0, num=5 if QUICK else 12)
            best = {False: [], True: []}
            for scale in weight_scales:
                for use_batchnorm in (False, True):
                    np.random.seed(0)
                    model = FullyConnectedNet([50] * 7, weight_scale=scale, use_batchnorm=use_batchnorm)
                    solver = Solver(model, small_data, num_epochs=epochs(10), batch_size=50, update_rule="adam",
                                    optim_config={"learning_rate": 1e-3}, verbose=False)
                    solver.train()
                    best[use_batchnorm].append(solver.best_val_acc)
            plt.semilogx(weight_scales, best[False], "-o", label="without batch normalization")
            plt.semilogx(weight_scales, best[True], "-o", label="with batch normalization")
            plt.xlabel("initial weight scale")
            plt.ylabel("best validation accuracy")
            plt.legend()
            plt.show()
            ''',
            LOCKED,
        ),
        *question(
            1,
            """
            Why does batch normalization make the training insensitive to the initial weight
            scale, and what does it cost at test time?
            """,
            """
            Each layer's pre-activations are renormalized to the scale set by `gamma` whatever the
            scale of the weights that produced them, so the signal neither vanishes nor explodes
            through the depth, and the gradients keep a usable size too. At test time there is no
            minibatch to normalize with: the layer uses the running averages gathered in training,
            which are only estimates, so the train and test behaviours differ slightly.
            """,
        ),
        md(
            """
            ### Dropout as a regularizer

            The same net trained on 500 images with and without dropout: dropout should narrow the
            gap between the training and the validation accuracy.
            """
        ),
        code(
            '''
            small_data = {"X_train": data["X_train"][:500], "y_train": data["y_train"][:500],
                          "X_val": data["X_val"], "y_val": data["y_val"]}
            dropout_choices = [0, 0.6]
            solvers = {}
            for p in dropout_choices:
                np.random.seed(0)
                model = FullyConnectedNet([500], dropout=p)
                solver = Solver(model, small_data, num_epochs=epochs(25), batch_size=100, update_rule="adam",
                                optim_config={"learning_rate": 5e-4}, verbose=False)
                solver.train()
                solvers[f"dropout {p}"] = solver
                print(f"dropout {p}: final training accuracy {solver.train_acc_history[-1]:.3f}, "
                      f"best validation accuracy {solver.best_val_acc:.3f}")
            plot_solvers(solvers)
            ''',
            LOCKED,
        ),
        *question(
            2,
            """
            How do the two runs differ, and why? What should change in the dropout probability if
            the hidden layer were made smaller?
            """,
            """
            Without dropout the training accuracy races towards 100% while the validation accuracy
            stalls: the net memorizes its 500 images. With dropout the training accuracy rises more
            slowly and the validation accuracy ends higher, because no unit can rely on any other
            being there. A smaller layer has less capacity to spare, so it should drop fewer units
            (a smaller p), or it will underfit.
            """,
        ),
        md(
            """
            ## Part 5: your best fully connected net

            Put it all together: depth, batch normalization, dropout, a good update rule with a
            decaying learning rate, L2 regularization, longer training. Mirrored copies of the
            training images (`X[:, :, :, ::-1]`) double the training set for free. Aim for **60%
            validation accuracy**: the grader scores the net in `model` by its validation accuracy
            X in percent, min(floor(X - 32) / 28, 1) of the points. Keep its Solver in `solver`
            and use `num_epochs=epochs(n)`.
            """
        ),
        code(
            f'''
            model = None
            solver = None
            <<YOUR CODE HERE: train your best FullyConnectedNet; keep it in model and its Solver in solver. Use num_epochs=epochs(n).>>
            X_train = data["X_train"]
            augmented = {{
                "X_train": np.concatenate([X_train, X_train[:, :, :, ::-1]]),
                "y_train": np.concatenate([data["y_train"], data["y_train"]]),
                "X_val": data["X_val"], "y_val": data["y_val"],
            }}
            del X_train

            np.random.seed(231)
            model = FullyConnectedNet({s["hidden_dims"]}, use_batchnorm=True, dropout={s["dropout"]},
                                      weight_scale={s["weight_scale"]}, reg={s["reg"]})
            solver = Solver(model, augmented, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=1000)
            solver.train()
            <<END>>
            '''
        ),
        evaluate_cell("model", 0.6, "best FullyConnectedNet", "min(floor(X - 32) / 28, 1) of the points"),
    ]


# ----------------------------------------------------------------------------------------------
# CNN.ipynb
# ----------------------------------------------------------------------------------------------

CNN_FINAL = dict(  # the conv net, "above 65% validation accuracy"
    num_filters=32,
    filter_size=5,
    hidden_dim=500,
    weight_scale=1e-2,
    reg=1e-3,
    learning_rate=1e-3,
    lr_decay=0.8,
    batch_size=100,
    num_epochs=6,
)


def cnn() -> list[tuple]:
    s = CNN_FINAL
    return [
        md(
            """
            # Convolutional networks

            A convolutional layer slides small filters over the image: the same few weights are
            used at every position, and the output keeps the image's layout. You will write the
            convolution, max pooling and spatial batch normalization layers plainly, with loops,
            in `nndl/conv_layers.py`, compare them with the fast versions given in
            `utils/fast_layers.py`, and build `ThreeLayerConvNet` in `nndl/cnn.py`.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The last section trains a `ThreeLayerConvNet` ({filters} filters of {size} x
            {size}, {hidden} hidden units, batch normalization) for {epochs} epochs and leaves it
            in `model`, which must pass 65% validation accuracy (the grader scores it on its own
            held-out images).
            """.format(filters=s["num_filters"], size=s["filter_size"], hidden=s["hidden_dim"],
                       epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: the layers

            ### Convolution

            `conv_forward_naive(x, w, b, conv_param)`: `N` images of shape `(C, H, W)`, `F`
            filters of shape `(C, HH, WW)`, biases of shape `(F,)`; `conv_param["pad"]` zeros on
            every side of each image (`np.pad`), the filters moving `conv_param["stride"]` pixels
            at a time. The output has shape `(N, F, H', W')`,
            `H' = 1 + (H + 2 * pad - HH) // stride` and likewise `W'`.
            """
        ),
        code(
            '''
            from nndl.conv_layers import *
            from utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array

            x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
            x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
            w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
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
            dx_num = eval_numerical_gradient_array(lambda x: conv_forward_naive(x, w, b, conv_param)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda w: conv_forward_naive(x, w, b, conv_param)[0], w, dout)
            db_num = eval_numerical_gradient_array(lambda b: conv_forward_naive(x, w, b, conv_param)[0], b, dout)
            _, cache = conv_forward_naive(x, w, b, conv_param)
            dx, dw, db = conv_backward_naive(dout, cache)
            report("conv_backward_naive: dx", rel_error(dx, dx_num), 1e-7)
            report("conv_backward_naive: dw", rel_error(dw, dw_num), 1e-7)
            report("conv_backward_naive: db", rel_error(db, db_num), 1e-7)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Max pooling

            `max_pool_forward_naive(x, pool_param)` keeps the largest value of each
            `pool_height x pool_width` window, the windows `stride` pixels apart; the backward pass
            sends each window's gradient to the position of its maximum.
            """
        ),
        code(
            '''
            x_shape = (2, 3, 4, 4)
            x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
            pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}
            out, _ = max_pool_forward_naive(x, pool_param)
            correct_out = np.array([[[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
                                     [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
                                     [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
                                    [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
                                     [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
                                     [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])
            report("max_pool_forward_naive", rel_error(out, correct_out), 1e-7)

            np.random.seed(231)
            x = np.random.randn(3, 2, 8, 8)
            dout = np.random.randn(3, 2, 4, 4)
            dx_num = eval_numerical_gradient_array(lambda x: max_pool_forward_naive(x, pool_param)[0], x, dout)
            _, cache = max_pool_forward_naive(x, pool_param)
            report("max_pool_backward_naive", rel_error(max_pool_backward_naive(dout, cache), dx_num), 1e-8)
            ''',
            LOCKED,
        ),
        md(
            """
            ### The fast layers

            The given layers of `utils/fast_layers.py` compute the same thing with a compiled
            im2col and one matrix product per block of images. They must agree with yours, and
            be much faster.
            """
        ),
        code(
            '''
            from utils.fast_layers import conv_forward_fast, conv_backward_fast, max_pool_forward_fast, max_pool_backward_fast

            np.random.seed(231)
            x = np.random.randn(20 if QUICK else 100, 3, 31, 31)
            w = np.random.randn(25, 3, 3, 3)
            b = np.random.randn(25)
            conv_param = {"stride": 2, "pad": 1}
            t0 = time.time()
            out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
            t1 = time.time()
            out_fast, cache_fast = conv_forward_fast(x, w, b, conv_param)
            t2 = time.time()
            print(f"convolution forward: naive {t1 - t0:.4f} s, fast {t2 - t1:.4f} s, "
                  f"speed-up {(t1 - t0) / max(t2 - t1, 1e-9):.0f}x")
            report("conv forward: fast against naive", rel_error(out_naive, out_fast), 1e-9)

            dout = np.random.randn(*out_naive.shape)
            t0 = time.time()
            dx_naive, dw_naive, db_naive = conv_backward_naive(dout, cache_naive)
            t1 = time.time()
            dx_fast, dw_fast, db_fast = conv_backward_fast(dout, cache_fast)
            t2 = time.time()
            print(f"convolution backward: naive {t1 - t0:.4f} s, fast {t2 - t1:.4f} s, "
                  f"speed-up {(t1 - t0) / max(t2 - t1, 1e-9):.0f}x")
            report("conv backward: fast against naive (dx)", rel_error(dx_naive, dx_fast), 1e-9)
            report("conv backward: fast against naive (dw)", rel_error(dw_naive, dw_fast), 1e-9)
            report("conv backward: fast against naive (db)", rel_error(db_naive, db_fast), 1e-9)

            x = np.random.randn(20 if QUICK else 100, 3, 32, 32)
            pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
            t0 = time.time()
            out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
            t1 = time.time()
            out_fast, cache_fast = max_pool_forward_fast(x, pool_param)
            t2 = time.time()
            print(f"max pool forward: naive {t1 - t0:.4f} s, fast {t2 - t1:.4f} s, "
                  f"speed-up {(t1 - t0) / max(t2 - t1, 1e-9):.0f}x")
            report("max pool forward: fast against naive", rel_error(out_naive, out_fast), 1e-12)
            dout = np.random.randn(*out_naive.shape)
            report("max pool backward: fast against naive",
                   rel_error(max_pool_backward_naive(dout, cache_naive), max_pool_backward_fast(dout, cache_fast)), 1e-12)
            ''',
            LOCKED,
        ),
        md(
            """
            ### Spatial batch normalization

            For images, batch normalization keeps one mean and one variance per **channel**, over
            the minibatch and every position. Reuse `batchnorm_forward` / `batchnorm_backward`:
            move the channel axis last, make rows of `C` features, and bring the result back to
            the shape of `x`.
            """
        ),
        code(
            '''
            np.random.seed(231)
            N, C, H, W = 2, 3, 4, 5
            x = 4 * np.random.randn(N, C, H, W) + 10
            gamma, beta = np.asarray([3.0, 4.0, 5.0]), np.asarray([6.0, 7.0, 8.0])
            out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
            report("spatial_batchnorm_forward: means = beta", rel_error(out.mean(axis=(0, 2, 3)), beta), 1e-7)
            report("spatial_batchnorm_forward: stds = gamma", rel_error(out.std(axis=(0, 2, 3)), gamma), 1e-5)

            gamma, beta = np.random.randn(C), np.random.randn(C)
            dout = np.random.randn(N, C, H, W)
            bn_param = {"mode": "train"}
            fx = lambda x: spatial_batchnorm_forward(x, gamma, beta, bn_param)[0]
            fg = lambda g: spatial_batchnorm_forward(x, g, beta, bn_param)[0]
            fb = lambda b: spatial_batchnorm_forward(x, gamma, b, bn_param)[0]
            dx_num = eval_numerical_gradient_array(fx, x, dout)
            dgamma_num = eval_numerical_gradient_array(fg, gamma.copy(), dout)
            dbeta_num = eval_numerical_gradient_array(fb, beta.copy(), dout)
            _, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
            report("spatial_batchnorm_backward: dx", rel_error(dx_num, dx), 1e-6)
            report("spatial_batchnorm_backward: dgamma", rel_error(dgamma_num, dgamma), 1e-7)
            report("spatial_batchnorm_backward: dbeta", rel_error(dbeta_num, dbeta), 1e-7)
            ''',
            LOCKED,
        ),
        md(
            """
            ## Part 2: a three-layer conv net

            `ThreeLayerConvNet` is conv - relu - 2x2 max pool - affine - relu - affine - softmax,
            with the sandwich layers of `nndl/conv_layer_utils.py`. Its initial loss with small
            weights is about `log(10)`, and a little more with regularization; its gradients should
            agree with numeric ones to a few `1e-2` (the kinks of ReLU and max make numeric
            gradients of conv nets rough).
            """
        ),
        code(
            '''
            from nndl.cnn import *

            np.random.seed(231)
            model = ThreeLayerConvNet(dtype=np.float64)
            X = np.random.randn(50, 3, 32, 32)
            y = np.random.randint(10, size=50)
            loss, _ = model.loss(X, y)
            report("ThreeLayerConvNet: initial loss - log(10)", abs(loss - np.log(10)), 0.05)
            model.reg = 0.5
            loss, _ = model.loss(X, y)
            print(f"initial loss with reg 0.5: {loss:.4f}")

            np.random.seed(231)
            num_inputs, input_dim = 2, (3, 16, 16)
            X = np.random.randn(num_inputs, *input_dim)
            y = np.random.randint(10, size=num_inputs)
            model = ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=input_dim, hidden_dim=7, dtype=np.float64)
            loss, grads = model.loss(X, y)
            for name in sorted(grads):
                f = lambda _: model.loss(X, y)[0]
                numeric = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-6)
                report(f"ThreeLayerConvNet: gradient of {name}", rel_error(numeric, grads[name]), 5e-2)
            ''',
            LOCKED,
        ),
        DATA_INTRO,
        load_data_cell(quick=(200, 100, 100)),
        md(
            """
            ### Overfit a little data

            Trained on 100 images, the net should reach a training accuracy near 100% and a poor
            validation accuracy.
            """
        ),
        code(
            '''
            from utils.solver import Solver

            small_data = {"X_train": data["X_train"][:100], "y_train": data["y_train"][:100],
                          "X_val": data["X_val"], "y_val": data["y_val"]}
            np.random.seed(231)
            model = ThreeLayerConvNet(weight_scale=1e-2)
            solver = Solver(model, small_data, num_epochs=epochs(15), batch_size=50, update_rule="adam",
                            optim_config={"learning_rate": 1e-3}, verbose=False)
            solver.train()
            print(f"training accuracy {solver.train_acc_history[-1]:.2f}, "
                  f"best validation accuracy {solver.best_val_acc:.2f}")
            if not QUICK:
                report_min("conv net: training accuracy on 100 images", solver.train_acc_history[-1], 0.9)
            plot_solvers({"100 images": solver})
            ''',
            LOCKED,
        ),
        md(
            """
            ## Part 3: a conv net above 65%

            Train a `ThreeLayerConvNet` to **above 65% validation accuracy**: more filters, a
            smaller filter size, a larger hidden layer, batch normalization (`use_batchnorm=True`:
            write that option in `nndl/cnn.py` if you use it), learning-rate decay, a few more
            epochs. Each epoch takes minutes: try settings on a subset first. Keep the net in
            `model` and its Solver in `solver`, and use `num_epochs=epochs(n)`; the grader
            rebuilds `model` from its weights and scores it on its own images.
            """
        ),
        code(
            f'''
            model = None
            solver = None
            <<YOUR CODE HERE: train a ThreeLayerConvNet above 65% validation accuracy; keep it in model and its Solver in solver. Use num_epochs=epochs(n).>>
            np.random.seed(231)
            model = ThreeLayerConvNet(num_filters={s["num_filters"]}, filter_size={s["filter_size"]},
                                      hidden_dim={s["hidden_dim"]}, weight_scale={s["weight_scale"]}, reg={s["reg"]},
                                      use_batchnorm=True)
            solver = Solver(model, data, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=100)
            solver.train()
            <<END>>
            '''
        ),
        evaluate_cell("model", 0.65, "ThreeLayerConvNet", "it must pass 65%"),
        *question(
            1,
            """
            What did you try for the last net, and what helped?
            """,
            """
            The sample solution keeps the architecture and changes its settings: 5 x 5 filters
            instead of 7 x 7 (each epoch about a third faster), a hidden layer of 500 units, batch
            normalization after the convolution and after the hidden layer, Adam with a
            learning-rate decay per epoch, and a little L2 regularization. Batch normalization let
            the net train at a larger learning rate from the start; the decay kept the later epochs
            improving.
            """,
        ),
    ]


NOTEBOOKS = {
    "two_layer_nn": ("tln", two_layer_nn),
    "FC_nets": ("fcn", fc_nets),
    "Dropout": ("do", dropout),
    "CNN": ("cnn", cnn),
}


def build() -> dict[str, str]:
    """The text of every master notebook, by file name."""
    texts = {}
    for name, (slug, make_cells) in NOTEBOOKS.items():
        text = nbformat.writes(assemble(slug, make_cells()))
        texts[f"{name}.ipynb"] = text if text.endswith("\n") else text + "\n"
    return texts


def main(argv: list[str]) -> int:
    texts = build()
    if "--check" in argv:
        stale = [n for n, t in texts.items() if not (HERE / n).exists() or (HERE / n).read_text(encoding="utf-8") != t]
        for name in stale:
            print(f"{name} differs from the output of {Path(__file__).name}; run it to rebuild")
        return 1 if stale else 0
    for name, text in texts.items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
