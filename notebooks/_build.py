"""Assemble the master assignment notebooks from the cell lists in this folder.

    python notebooks/_build.py           # (re)write the four .ipynb files
    python notebooks/_build.py --check   # exit 1 if a committed .ipynb differs from the build

The output is deterministic: fixed cell ids, no outputs, no execution counts, JSON as nbformat
writes it (sorted keys, one-space indent). Cell tags: "locked" (given cells students must not
change), "solution" (a whole cell that is the student's answer) and "hidden" (instructor-only,
removed from the kit). Student lines inside given cells sit between the START/END markers;
in the cell text below they are written as the tokens <<START>> and <<END>>.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent / "cs231n"  # the default course's masters

LOCKED, SOLUTION, HIDDEN = "locked", "solution", "hidden"
START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def md(text: str, *tags: str) -> tuple:
    return ("markdown", text, tags)


def code(text: str, *tags: str) -> tuple:
    return ("code", text, tags)


def _source(text: str) -> str:
    """Dedented cell text with the marker tokens expanded to the exact marker lines."""
    lines = textwrap.dedent(text).strip("\n").splitlines()
    out = []
    for line in lines:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == "<<START>>":
            out.append(indent + START)
        elif stripped == "<<END>>":
            out.append(indent + END)
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
# Cells shared by every notebook
# ----------------------------------------------------------------------------------------------

SETUP = code(
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
    plt.rcParams["figure.figsize"] = (10.0, 6.0)
    plt.rcParams["image.interpolation"] = "nearest"

    # Re-import edited files of cs231n before every cell, so changes show up without a restart.
    %load_ext autoreload
    %autoreload 2

    # QUICK=1 in the environment (the tests set it): small data and one epoch per training run.
    QUICK = bool(os.environ.get("QUICK"))


    def epochs(n):
        """How many epochs to train: n normally, 1 in QUICK mode."""
        return 1 if QUICK else n


    def rel_error(x, y):
        """Relative error max |x - y| / max(1e-8, |x| + |y|), elementwise, worst element."""
        return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


    failed_checks = []  # names of the checks above their tolerance, in the order they ran


    def report(name, error, tol):
        """Print the error of one check and whether it is below tol."""
        ok = bool(error < tol)
        if not ok:
            failed_checks.append(name)
        verdict = "ok" if ok else f"TOO LARGE: expected below {tol:.0e}"
        print(f"{name:<40} error {error:.2e}  {verdict}")


    def report_min(name, value, target):
        """Print a measured value (an accuracy, say) and whether it reaches target."""
        ok = bool(value >= target)
        if not ok:
            failed_checks.append(name)
        verdict = "ok" if ok else f"BELOW TARGET {target:.3g}"
        print(f"{name:<40} {value:.4f}  {verdict}")


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

def load_data_cell(num_training=1000, num_validation=200, num_test=200) -> tuple:
    """The locked data cell; the sizes are those of QUICK mode."""
    return code(
        f'''
        # CIFAR-10. get_CIFAR10_data finds the data through the CIFAR10_PATH environment variable:
        # the cifar-10-python.tar.gz archive itself or the folder it unpacks to.
        from cs231n.data_utils import get_CIFAR10_data

        sizes = dict(num_training={num_training}, num_validation={num_validation}, num_test={num_test}) if QUICK else {{}}
        data = get_CIFAR10_data(**sizes)
        for name, array in data.items():
            print(f"{{name:8s}} {{array.shape}}")
        ''',
        LOCKED,
    )


LOAD_DATA = load_data_cell()

DATA_INTRO = textwrap.dedent(
    """
    The sections from here on train on CIFAR-10. Set the environment variable `CIFAR10_PATH`
    to the `cifar-10-python.tar.gz` archive or to the folder it unpacks to **before** starting
    Jupyter. The loader returns the images channels first, `(N, 3, 32, 32)`, with the mean
    training image subtracted; the validation images are taken from the end of the training
    batches, the test images from the official test batch.
    """
).strip()


def evaluate_cell(target: float, name: str) -> tuple:
    """A locked cell scoring best_model on validation and test data and plotting its run."""
    return code(
        f'''
        # Accuracy of best_model (the Solver has already put back its best parameters).
        def accuracy(model, X, y, batch_size=500):
            """Fraction of X classified correctly, in batches to keep memory small."""
            predictions = [np.argmax(model.loss(X[i:i + batch_size]), axis=1)
                           for i in range(0, X.shape[0], batch_size)]
            return np.mean(np.concatenate(predictions) == y)

        val_acc = accuracy(best_model, data["X_val"], data["y_val"])
        test_acc = accuracy(best_model, data["X_test"], data["y_test"])
        print(f"validation accuracy {{val_acc:.4f}}, test accuracy {{test_acc:.4f}}")
        if QUICK:
            print("QUICK mode: trained on a small subset, accuracy target not checked")
        else:
            report_min("{name}: validation accuracy", val_acc, {target})
        plot_solvers({{"best model": solver}})
        ''',
        LOCKED,
    )


def question(number: int, prompt: str, answer: str) -> list[tuple]:
    """An inline question: the prompt cell, then the answer cell (a sample answer, tagged solution)."""
    return [
        md(f"### Inline question {number}\n\n" + textwrap.dedent(prompt).strip("\n")),
        md("**Your answer:** " + textwrap.dedent(answer).strip("\n"), SOLUTION),
    ]


# ----------------------------------------------------------------------------------------------
# FullyConnectedNets.ipynb
# ----------------------------------------------------------------------------------------------

FC_FINAL = dict(  # the final model of FullyConnectedNets: 55.6% validation accuracy, about 4 min
    hidden_dims=[512, 256],
    weight_scale=5e-3,
    reg=1e-3,
    learning_rate=1e-3,
    lr_decay=0.9,
    batch_size=200,
    num_epochs=15,
)


def fully_connected_nets() -> list[tuple]:
    s = FC_FINAL
    return [
        md(
            """
            # Fully connected networks

            In this notebook you build neural networks out of small layers, each with a forward
            and a backward function, and train them on CIFAR-10.

            A layer's **forward** function receives the layer's inputs and parameters and returns
            two things: its output, and a `cache` holding whatever the backward pass will need
            (typically the inputs, and values computed on the way). Its **backward** function
            receives the gradient of the loss with respect to the layer's output (`dout`) and that
            cache, and returns the gradient of the loss with respect to each input of the forward
            function, each with the shape of the input it belongs to. A network is a chain of
            forward calls followed by the backward calls in reverse order, which is all
            backpropagation is.

            You will edit these files, writing your code only between the pair of marker comment
            lines that opens and closes each place left for you (leave the marker lines as they
            are):

            | file | what you write |
            |---|---|
            | `cs231n/layers.py` | affine and ReLU layers, the SVM and softmax losses |
            | `cs231n/classifiers/fc_net.py` | `TwoLayerNet` and `FullyConnectedNet` |
            | `cs231n/optim.py` | SGD with momentum, RMSProp, Adam |

            `cs231n/layer_utils.py`, `cs231n/solver.py` and `cs231n/gradient_check.py` are given;
            read them. Cells that check your work are locked: do not edit them (a grader restores
            them). The same public checks, with hints for common mistakes, run from a terminal with
            `grader check`.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference solution every check
            prints `ok`. The final section trains a `FullyConnectedNet` with hidden layers
            {hidden} for {epochs} epochs of Adam; it reaches above 50% validation accuracy in a few
            minutes on two cores. `best_model` is the variable the grader scores. With `QUICK=1`
            the whole notebook runs in well under a minute.
            """.format(hidden=s["hidden_dims"], epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: layers and networks, checked on small inputs

            Nothing in this part needs the dataset.

            ### Affine layer: forward

            `affine_forward(x, w, b)` receives a minibatch `x` of shape `(N, d_1, ..., d_k)`. Treat
            each example as one vector of `D = d_1 * ... * d_k` numbers, then compute
            `x_flat @ w + b` with `w` of shape `(D, M)` and `b` of shape `(M,)`. The result has shape
            `(N, M)`. Implement it in `cs231n/layers.py`; the relative error below should be about
            `1e-9`.
            """
        ),
        code(
            """
            from cs231n.layers import affine_forward, affine_backward

            # Two examples of shape (4, 5, 6), three output units; fixed, evenly spaced values.
            x = np.linspace(-0.1, 0.5, num=2 * 4 * 5 * 6).reshape(2, 4, 5, 6)
            w = np.linspace(-0.2, 0.3, num=4 * 5 * 6 * 3).reshape(4 * 5 * 6, 3)
            b = np.linspace(-0.3, 0.1, num=3)

            out, _ = affine_forward(x, w, b)
            expected = np.array([[1.49834967, 1.70660132, 1.91485297],
                                 [3.25553199, 3.51413270, 3.77273342]])
            report("affine_forward", rel_error(out, expected), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### Affine layer: backward

            Implement `affine_backward(dout, cache)`. It returns `dx` (shaped like the original `x`,
            not the flattened one), `dw` and `db`. The check compares your gradients with numerical
            ones: `eval_numerical_gradient_array` nudges each input entry by a small `h` in both
            directions and measures how the output, weighted by `dout`, changes. Errors of `1e-8` or
            smaller mean the two agree.
            """
        ),
        code(
            """
            from cs231n.gradient_check import eval_numerical_gradient_array

            np.random.seed(231)
            x = np.random.randn(7, 3, 4)
            w = np.random.randn(12, 6)
            b = np.random.randn(6)
            dout = np.random.randn(7, 6)

            dx_num = eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)
            db_num = eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)

            _, cache = affine_forward(x, w, b)
            dx, dw, db = affine_backward(dout, cache)
            report("affine_backward dx", rel_error(dx, dx_num), 1e-7)
            report("affine_backward dw", rel_error(dw, dw_num), 1e-7)
            report("affine_backward db", rel_error(db, db_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### ReLU

            `relu_forward(x)` computes `max(0, x)` elementwise, for an input of any shape.
            `relu_backward(dout, cache)` lets the upstream gradient through where the input was
            positive and blocks it elsewhere. Implement both.
            """
        ),
        code(
            """
            from cs231n.layers import relu_forward, relu_backward

            x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
            out, _ = relu_forward(x)
            expected = np.array([[0.0, 0.0, 0.0, 0.0],
                                 [0.0, 0.0, 0.04545455, 0.13636364],
                                 [0.22727273, 0.31818182, 0.40909091, 0.5]])
            report("relu_forward", rel_error(out, expected), 1e-7)

            np.random.seed(231)
            x = np.random.randn(8, 9)
            dout = np.random.randn(*x.shape)
            dx_num = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
            _, cache = relu_forward(x)
            dx = relu_backward(dout, cache)
            report("relu_backward dx", rel_error(dx, dx_num), 1e-7)
            """,
            LOCKED,
        ),
        *question(
            1,
            """
            A ReLU unit whose input is negative for every example of the training set outputs zero
            and passes no gradient back, so its weights never change again (a "dead" unit).
            (a) Describe one way a unit can end up in that state during training. (b) Name an
            activation function whose gradient becomes tiny when its input is large in magnitude,
            and one whose gradient is never exactly zero.
            """,
            """
            (a) One large update (a learning rate that is too high, say) can push the unit's
            weights and bias so far that `w·x + b < 0` for every input; from then on its gradient
            is zero and nothing moves it back. A strongly negative initial bias does the same.
            (b) The sigmoid (and tanh) saturate: their slope tends to zero for large |input|, so a
            unit that is far into either tail learns very slowly. Leaky ReLU (slope `a > 0` for
            negative inputs) and ELU never have an exactly zero gradient.
            """,
        ),
        md(
            """
            ### Sandwich layers

            An affine layer followed by a ReLU occurs so often that `cs231n/layer_utils.py` gives
            you the pair as one layer, `affine_relu_forward` / `affine_relu_backward`, built from
            your two functions. Nothing to write here: the check only confirms that your layers
            compose correctly.
            """
        ),
        code(
            """
            from cs231n.layer_utils import affine_relu_forward, affine_relu_backward

            np.random.seed(231)
            x = np.random.randn(4, 2, 5)
            w = np.random.randn(10, 8)
            b = np.random.randn(8)
            dout = np.random.randn(4, 8)

            out, cache = affine_relu_forward(x, w, b)
            dx, dw, db = affine_relu_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(v, w, b)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(x, v, b)[0], w, dout)
            db_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(x, w, v)[0], b, dout)
            report("affine_relu_backward dx", rel_error(dx, dx_num), 1e-7)
            report("affine_relu_backward dw", rel_error(dw, dw_num), 1e-7)
            report("affine_relu_backward db", rel_error(db, db_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### Loss layers: multiclass SVM and softmax

            `svm_loss(x, y)` and `softmax_loss(x, y)` take class scores `x` of shape `(N, C)` and
            integer labels `y` of shape `(N,)`, and return the loss averaged over the `N` examples
            and its gradient with respect to the scores (so `dx` is already divided by `N`).
            Subtract each row's maximum before exponentiating in the softmax: the result is the
            same, and large scores no longer overflow.

            With scores close to zero the hinge loss is about `C - 1 = 9` (every wrong class violates
            the margin by about 1) and the softmax loss about `log(C) = 2.3` (all classes equally
            likely).
            """
        ),
        code(
            """
            from cs231n.layers import svm_loss, softmax_loss
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            num_classes, num_inputs = 10, 40
            x = 0.001 * np.random.randn(num_inputs, num_classes)
            y = np.random.randint(num_classes, size=num_inputs)

            loss, dx = svm_loss(x, y)
            dx_num = eval_numerical_gradient(lambda v: svm_loss(v, y)[0], x, verbose=False)
            print(f"svm_loss: {loss:.6f} (expect about 9)")
            report("svm_loss value", rel_error(loss, 9.0), 1e-3)
            report("svm_loss dx", rel_error(dx, dx_num), 1e-7)

            loss, dx = softmax_loss(x, y)
            dx_num = eval_numerical_gradient(lambda v: softmax_loss(v, y)[0], x, verbose=False)
            print(f"softmax_loss: {loss:.6f} (expect about {np.log(num_classes):.6f})")
            report("softmax_loss value", rel_error(loss, np.log(num_classes)), 1e-3)
            report("softmax_loss dx", rel_error(dx, dx_num), 1e-7)

            big = np.array([[1000.0, 0.0, -1000.0]])
            loss, _ = softmax_loss(big, np.array([0]))
            report("softmax_loss of huge scores", abs(loss), 1e-6)
            """,
            LOCKED,
        ),
        md(
            """
            ### A two-layer network

            Open `cs231n/classifiers/fc_net.py` and complete `TwoLayerNet`: affine - ReLU - affine,
            followed by a softmax loss. The constructor draws `W1` and `W2` from a zero-mean Gaussian
            with standard deviation `weight_scale` and sets the biases to zero; `loss(X)` returns the
            class scores, `loss(X, y)` returns the loss (plus `0.5 * reg * sum(W**2)` over both weight
            matrices) and a dictionary of gradients with the same keys as `self.params`. Use the
            layers you wrote above.
            """
        ),
        code(
            """
            from cs231n.classifiers.fc_net import TwoLayerNet

            N, D, H, C = 3, 5, 50, 7
            std = 1e-3
            model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=std)

            # The initial weights: right shapes, about the requested spread, zero biases.
            shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
            for name, shape in shapes.items():
                assert model.params[name].shape == shape, f"{name} should have shape {shape}"
            report("TwoLayerNet W1 std", abs(model.params["W1"].std() - std) / std, 0.5)
            report("TwoLayerNet W2 std", abs(model.params["W2"].std() - std) / std, 0.5)
            report("TwoLayerNet biases are zero", np.abs(model.params["b1"]).max() + np.abs(model.params["b2"]).max(), 1e-12)

            # Fixed parameters and inputs, so the scores and losses are known exactly.
            model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
            model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
            model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
            model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
            X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
            scores = model.loss(X)
            expected_scores = np.array([
                [11.53165108, 12.29173440, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
                [12.05769098, 12.74614105, 13.43459113, 14.12304120, 14.81149128, 15.49994135, 16.18839143],
                [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.28463190]])
            report("TwoLayerNet scores", rel_error(scores, expected_scores), 1e-7)

            y = np.array([0, 5, 1])
            model.reg = 0.0
            loss, _ = model.loss(X, y)
            report("TwoLayerNet loss, reg = 0", rel_error(loss, 3.4702243556), 1e-9)
            model.reg = 1.0
            loss, _ = model.loss(X, y)
            report("TwoLayerNet loss, reg = 1", rel_error(loss, 26.5948426952), 1e-9)
            """,
            LOCKED,
        ),
        md(
            """
            Now the gradients of the two-layer net, against numerical ones, without and with
            regularisation. Every parameter should show an error of about `1e-6` or less.
            """
        ),
        code(
            """
            np.random.seed(231)
            N, D, H, C = 3, 5, 50, 7
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=N)
            model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-1)

            for reg in [0.0, 0.7]:
                model.reg = reg
                loss, grads = model.loss(X, y)
                for name in sorted(grads):
                    grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False)
                    report(f"TwoLayerNet d{name}, reg = {reg}", rel_error(grad_num, grads[name]), 1e-5)
            """,
            LOCKED,
        ),
        md(
            """
            ### A network of any depth

            Complete `FullyConnectedNet` in the same file: `L - 1` hidden layers of
            affine - ReLU, then a last affine layer and the softmax loss. Its parameters are
            `W1, b1, ..., WL, bL`, with `W1` of shape `(input_dim, hidden_dims[0])` and so on; the
            weights start as Gaussian noise of spread `weight_scale`, the biases as zeros. Ignore
            the normalisation and dropout options for now: the next two notebooks add them.

            The first check builds a small net, evaluates the loss with and without
            regularisation on the *same* parameters and compares the difference with the L2 term
            `0.5 * reg * sum(W**2)` over every weight matrix (not the biases). Then it checks every
            gradient numerically. Most errors should be around `1e-7` or smaller; one or two up to
            about `1e-5` can still come from a correct net, when a ReLU input lies within `h` of
            zero and the numerical gradient straddles the kink.
            """
        ),
        code(
            """
            from cs231n.classifiers.fc_net import FullyConnectedNet

            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))

            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=0.0, weight_scale=5e-2, dtype=np.float64)
            loss_0, _ = model.loss(X, y)
            print(f"initial loss without regularisation: {loss_0:.6f} (about log(10) = 2.3026)")
            report("FullyConnectedNet initial loss", abs(loss_0 - np.log(C)), 0.1)

            reg = 3.14
            model.reg = reg
            loss_reg, _ = model.loss(X, y)
            l2 = 0.5 * reg * sum(np.sum(model.params[f"W{i}"] ** 2) for i in range(1, 4))
            report("FullyConnectedNet L2 term", rel_error(loss_reg - loss_0, l2), 1e-7)

            for reg in [0.0, 3.14]:
                model.reg = reg
                loss, grads = model.loss(X, y)
                for name in sorted(grads):
                    grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-5)
                    report(f"FullyConnectedNet d{name}, reg = {reg}", rel_error(grad_num, grads[name]), 1e-4)
            """,
            LOCKED,
        ),
        md(
            """
            ### Update rules

            Plain SGD moves every parameter against its gradient: `w -= learning_rate * dw`. The
            rules in `cs231n/optim.py` improve on it. Each has the signature
            `rule(w, dw, config) -> (next_w, config)`, where `config` carries the hyperparameters
            and the rule's state from one call to the next.

            **SGD with momentum** keeps a velocity `v`, a running sum of past steps that decays by
            the factor `momentum` at each step: `v = momentum * v - learning_rate * dw`, then
            `w = w + v`. Along directions where successive gradients agree the steps add up; where
            they flip sign they cancel. Implement `sgd_momentum`.
            """
        ),
        code(
            """
            from cs231n.optim import sgd_momentum

            N, D = 4, 5
            w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
            dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
            v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)

            next_w, config = sgd_momentum(w, dw, {"learning_rate": 1e-3, "velocity": v})
            expected_next_w = np.array([
                [0.14060000, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
                [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
                [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
                [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.40960000]])
            expected_velocity = np.array([
                [0.54060000, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
                [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
                [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
                [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.80960000]])
            report("sgd_momentum next_w", rel_error(next_w, expected_next_w), 1e-6)
            report("sgd_momentum velocity", rel_error(config["velocity"], expected_velocity), 1e-6)
            """,
            LOCKED,
        ),
        md(
            """
            **RMSProp** keeps a running average of squared gradients,
            `cache = decay_rate * cache + (1 - decay_rate) * dw**2`, and divides each step by its
            square root: `w -= learning_rate * dw / (sqrt(cache) + epsilon)`. Every parameter thus
            gets its own step size, small where gradients have been large.

            **Adam** combines both ideas: a running average `m` of the gradients (decay `beta1`)
            and one of their squares, `v` (decay `beta2`). Both averages start at zero, so in the
            first iterations they underestimate; Adam divides them by `1 - beta1**t` and
            `1 - beta2**t`, where `t` counts the updates made so far, *including the current one*
            (increment `t` before using it). Then
            `w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)`.

            Implement `rmsprop` and `adam`.
            """
        ),
        code(
            """
            from cs231n.optim import rmsprop, adam

            N, D = 4, 5
            w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
            dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)

            cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
            next_w, config = rmsprop(w, dw, {"learning_rate": 1e-2, "cache": cache})
            expected_next_w = np.array([
                [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
                [-0.13273700, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
                [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
                [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
            expected_cache = np.array([
                [0.59760000, 0.61262770, 0.62771080, 0.64284931, 0.65804321],
                [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
                [0.75037008, 0.76595180, 0.78158892, 0.79728144, 0.81302936],
                [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.89260000]])
            report("rmsprop next_w", rel_error(next_w, expected_next_w), 1e-6)
            report("rmsprop cache", rel_error(config["cache"], expected_cache), 1e-6)

            m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
            v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
            next_w, config = adam(w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
            expected_next_w = np.array([
                [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
                [-0.13802740, -0.08544591, -0.03286534, 0.01971428, 0.07229290],
                [0.12487050, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
                [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
            expected_v = np.array([
                [0.69966000, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
                [0.64683452, 0.63628604, 0.62574310, 0.61520571, 0.60467385],
                [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
                [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966000]])
            expected_m = np.array([
                [0.48000000, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
                [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
                [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
                [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85000000]])
            report("adam next_w", rel_error(next_w, expected_next_w), 1e-6)
            report("adam v", rel_error(config["v"], expected_v), 1e-6)
            report("adam m", rel_error(config["m"], expected_m), 1e-6)
            report("adam t (5 before the step)", abs(config["t"] - 6), 0.5)
            """,
            LOCKED,
        ),
        md("## Part 2: training on CIFAR-10\n\n" + DATA_INTRO),
        LOAD_DATA,
        md(
            """
            ### The Solver

            `cs231n/solver.py` (given; read its docstring) trains any model that has a `params`
            dictionary and a `loss(X, y)` method. You give it the model, the data dictionary, an
            update rule with its `optim_config`, and the batch size and number of epochs; `train()`
            then runs the optimisation, records the loss of every iteration and the training and
            validation accuracy of every epoch, and at the end puts back the parameters that did
            best on the validation set.

            Use a `Solver` to train the `TwoLayerNet` below to about 45-50% validation accuracy.
            Pass `num_epochs=epochs(n)` rather than `n`, so that the notebook's QUICK mode stays
            short, and store the solver in `solver`.
            """
        ),
        code(
            """
            from cs231n.solver import Solver

            model = TwoLayerNet(hidden_dim=100, weight_scale=1e-3, reg=0.0)
            solver = None
            # TODO: create a Solver for model on data, store it in solver, and train it.
            <<START>>
            solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                            lr_decay=0.95, batch_size=100, num_epochs=epochs(10), print_every=500)
            solver.train()
            <<END>>
            print(f"best validation accuracy: {solver.best_val_acc:.4f}")
            """
        ),
        code(
            """
            plot_solvers({"two-layer net": solver})
            """,
            LOCKED,
        ),
        md(
            """
            ### Overfitting a tiny training set

            A good test of a new model and its training loop: a network with enough capacity must
            be able to learn 50 training images by heart. Choose a weight scale and learning rate
            with which a three-layer net (two hidden layers of 100 units) reaches 100% training
            accuracy within 20 epochs of plain SGD. Expect validation accuracy to stay poor.
            """
        ),
        code(
            """
            num_train = 50
            small_data = {
                "X_train": data["X_train"][:num_train], "y_train": data["y_train"][:num_train],
                "X_val": data["X_val"], "y_val": data["y_val"],
            }

            weight_scale = None
            learning_rate = None
            # TODO: choose weight_scale and learning_rate for the three-layer net.
            <<START>>
            weight_scale = 1e-2
            learning_rate = 1e-2
            <<END>>
            np.random.seed(231)
            model = FullyConnectedNet([100, 100], weight_scale=weight_scale, dtype=np.float64)
            solver = Solver(model, small_data, update_rule="sgd", optim_config={"learning_rate": learning_rate},
                            batch_size=25, num_epochs=20, print_every=20)
            solver.train()
            report_min("3-layer net: training accuracy", max(solver.train_acc_history), 1.0)

            plt.plot(solver.loss_history, "o", markersize=3)
            plt.title("Three-layer net: training loss")
            plt.xlabel("Iteration")
            plt.show()
            """
        ),
        md(
            """
            Now the same with a five-layer net (four hidden layers of 100 units). Again find a weight
            scale and learning rate that reach 100% training accuracy within 20 epochs.
            """
        ),
        code(
            """
            weight_scale = None
            learning_rate = None
            # TODO: choose weight_scale and learning_rate for the five-layer net.
            <<START>>
            weight_scale = 1e-1
            learning_rate = 2e-3
            <<END>>
            np.random.seed(231)
            model = FullyConnectedNet([100, 100, 100, 100], weight_scale=weight_scale, dtype=np.float64)
            solver = Solver(model, small_data, update_rule="sgd", optim_config={"learning_rate": learning_rate},
                            batch_size=25, num_epochs=20, print_every=20)
            solver.train()
            report_min("5-layer net: training accuracy", max(solver.train_acc_history), 1.0)

            plt.plot(solver.loss_history, "o", markersize=3)
            plt.title("Five-layer net: training loss")
            plt.xlabel("Iteration")
            plt.show()
            """
        ),
        *question(
            2,
            """
            Which of the two nets was harder to get to 100% training accuracy, and how narrow was
            the range of weight scales that worked? Explain what depth does to the size of the
            activations and gradients when the weight scale is a little too small or too large.
            """,
            """
            The five-layer net was harder: only a narrow band of weight scales (around `1e-1`)
            trained at all, while the three-layer net tolerated scales differing by a factor of ten.
            Each layer multiplies its input by a random matrix, so the spread of the activations
            changes by roughly a constant factor per layer; over more layers that factor compounds.
            Slightly too small a scale makes the last layers' activations, and the gradients flowing
            back, shrink towards zero, so the loss stays near `log(10)` and nothing learns; slightly
            too large makes them grow until the softmax saturates and the loss explodes or the steps
            overshoot. With more layers a smaller error in the scale is enough to cause either.
            """,
        ),
        md(
            """
            ### The update rules in practice

            The cell below trains the same six-layer net (five hidden layers of 100 units) on 4000
            images for 5 epochs with each of the four update rules, at a learning rate that suits
            each. Momentum should bring the training loss down clearly faster than plain SGD;
            RMSProp and Adam faster still.
            """
        ),
        code(
            """
            num_train = 4000
            small_data = {
                "X_train": data["X_train"][:num_train], "y_train": data["y_train"][:num_train],
                "X_val": data["X_val"], "y_val": data["y_val"],
            }
            learning_rates = {"sgd": 5e-3, "sgd_momentum": 5e-3, "rmsprop": 1e-4, "adam": 1e-3}

            solvers = {}
            for update_rule, learning_rate in learning_rates.items():
                np.random.seed(231)
                model = FullyConnectedNet([100] * 5, weight_scale=5e-2)
                solver = Solver(model, small_data, update_rule=update_rule, optim_config={"learning_rate": learning_rate},
                                batch_size=100, num_epochs=epochs(5), verbose=False)
                start = time.time()
                solver.train()
                print(f"{update_rule:13s} final training loss {np.mean(solver.loss_history[-10:]):.3f}, "
                      f"best validation accuracy {solver.best_val_acc:.3f} ({time.time() - start:.1f} s)")
                solvers[update_rule] = solver
            plot_solvers(solvers)
            """,
            LOCKED,
        ),
        *question(
            3,
            """
            RMSProp and Adam divide each parameter's step by a running root-mean-square of that
            parameter's gradients. (a) What does this do to the step of a parameter whose gradients
            have always been very small, compared with plain SGD? (b) Adam's running averages start
            at zero. What would its first few steps look like without the bias correction, and why?
            """,
            """
            (a) Its step becomes much larger than SGD's: dividing `dw` by the root-mean-square of
            past `dw` makes the step size roughly independent of the gradient's scale, so a
            parameter with consistently tiny gradients still moves about `learning_rate` per step,
            where SGD would barely move it. (b) After one step `m = (1 - beta1) * dw` is ten times too
            small and `v = (1 - beta2) * dw**2` a thousand times too small, so `m / sqrt(v)` is about
            `0.1 / sqrt(0.001)`, i.e. roughly 3 times the intended magnitude: the early steps would be
            several times too large, which can throw the weights far off at the start of training.
            Dividing by `1 - beta**t` makes both averages unbiased from the first step.
            """,
        ),
        md(
            """
            ## Part 3: your best fully connected net

            Train the best `FullyConnectedNet` you can on the full training set, with the Solver.
            Aim for **at least 50% validation accuracy**. Things worth trying: wider or deeper hidden
            layers, Adam with a learning rate around `1e-3` and a learning-rate decay, a little L2
            regularisation, larger batches, more epochs. Keep `num_epochs=epochs(n)`.

            Store the trained model in `best_model` and its solver in `solver`: the cell after this
            one evaluates them, and `best_model` is what the grader scores (it recomputes the
            accuracy itself from the model's parameters, on its own copy of the data).
            """
        ),
        code(
            f"""
            best_model = None
            # TODO: train your best FullyConnectedNet; keep it in best_model and its Solver in solver.
            <<START>>
            np.random.seed(231)
            model = FullyConnectedNet({s["hidden_dims"]}, weight_scale={s["weight_scale"]}, reg={s["reg"]})
            solver = Solver(model, data, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=1000)
            solver.train()
            best_model = model
            <<END>>
            """
        ),
        evaluate_cell(0.5, "final FullyConnectedNet"),
    ]



# ----------------------------------------------------------------------------------------------
# BatchNormalization.ipynb
# ----------------------------------------------------------------------------------------------

BN_FINAL = dict(  # the final model of BatchNormalization: about 54% validation accuracy, ~1.5 min
    hidden_dims=[256, 256],
    weight_scale=2e-2,
    reg=1e-3,
    learning_rate=1e-3,
    lr_decay=0.9,
    batch_size=200,
    num_epochs=8,
)


def join(*parts: str) -> str:
    """Cell text made of several separately indented parts."""
    return "\n\n".join(textwrap.dedent(part).strip("\n") for part in parts)


def small_data_code(num_train: int) -> str:
    return f"""
    num_train = {num_train}
    small_data = {{
        "X_train": data["X_train"][:num_train], "y_train": data["y_train"][:num_train],
        "X_val": data["X_val"], "y_val": data["y_val"],
    }}
    """


def batch_normalization() -> list[tuple]:
    s = BN_FINAL
    return [
        md(
            """
            # Batch normalization

            Deep networks are hard to train partly because the distribution of every layer's input
            keeps changing as the layers before it learn, and because a poor initial scale of the
            weights is amplified layer after layer. *Batch normalization* (Ioffe and Szegedy, 2015)
            inserts a layer that standardises each feature over the current minibatch, to zero mean
            and unit variance, and then rescales it with a learnable scale `gamma` and shift `beta`
            (so the network can still undo the normalisation where that helps). During training the
            layer also keeps exponentially decaying running averages of the means and variances it
            has seen; at test time it normalises with those averages, so a test prediction does not
            depend on the other images in its batch.

            You will edit `cs231n/layers.py` (`batchnorm_forward`, `batchnorm_backward`,
            `batchnorm_backward_alt`, `layernorm_forward`, `layernorm_backward`) and add the
            `normalization` option to `FullyConnectedNet` in `cs231n/classifiers/fc_net.py`.
            Check cells are locked; `grader check` runs the same public checks from a terminal.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The experiments train small nets on 1000 images; the final section trains a
            batch-normalised net with hidden layers {hidden} for {epochs} epochs (above 50%
            validation accuracy) and leaves it in `best_model`.
            """.format(hidden=s["hidden_dims"], epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: the layer, checked on small inputs

            ### Forward pass, training mode

            `batchnorm_forward(x, gamma, beta, bn_param)` receives `x` of shape `(N, D)` and
            normalises each of the `D` columns with that column's mean and variance over the `N`
            rows (add `eps` to the variance before the square root), then returns
            `gamma * x_hat + beta`. `bn_param["mode"]` is `"train"` or `"test"`; any other value
            is an error (raise `ValueError`). In training mode also update
            `running_mean = momentum * running_mean + (1 - momentum) * batch_mean` (and the same for
            the variance), and store both back into `bn_param`.

            The check feeds the layer the activations of a random two-layer net, whose columns have
            very different means and spreads.
            """
        ),
        code(
            """
            from cs231n.layers import batchnorm_forward, batchnorm_backward, batchnorm_backward_alt

            np.random.seed(231)
            N, D1, D2, D3 = 200, 50, 60, 3
            X = np.random.randn(N, D1)
            W1 = np.random.randn(D1, D2)
            W2 = np.random.randn(D2, D3)
            a = np.maximum(0, X.dot(W1)).dot(W2)  # (N, D3)
            print("before: means", a.mean(axis=0), " stds", a.std(axis=0))

            # gamma = 1, beta = 0: every column standardised.
            out, _ = batchnorm_forward(a, np.ones(D3), np.zeros(D3), {"mode": "train"})
            print("after:  means", out.mean(axis=0), " stds", out.std(axis=0))
            report("batchnorm_forward column means", np.abs(out.mean(axis=0)).max(), 1e-7)
            report("batchnorm_forward column stds", rel_error(out.std(axis=0), np.ones(D3)), 1e-5)

            # The columns then take the spread gamma and the mean beta.
            gamma = np.array([1.0, 2.0, 3.0])
            beta = np.array([11.0, 12.0, 13.0])
            out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
            report("batchnorm_forward means = beta", rel_error(out.mean(axis=0), beta), 1e-7)
            report("batchnorm_forward stds = gamma", rel_error(out.std(axis=0), gamma), 1e-5)

            try:
                batchnorm_forward(a, gamma, beta, {"mode": "evaluate"})
                report("batchnorm_forward rejects a bad mode", 1.0, 0.5)
            except ValueError:
                report("batchnorm_forward rejects a bad mode", 0.0, 0.5)
            """,
            LOCKED,
        ),
        md(
            """
            ### Forward pass, test mode

            Now the running averages. The cell runs the layer 50 times in training mode on fresh
            minibatches, then once in test mode. The test-time outputs are only roughly
            standardised, since they are normalised with the averages rather than their own
            statistics; their exact means and standard deviations are known.
            """
        ),
        code(
            """
            np.random.seed(231)
            N, D1, D2, D3 = 200, 50, 60, 3
            W1 = np.random.randn(D1, D2)
            W2 = np.random.randn(D2, D3)
            bn_param = {"mode": "train"}
            gamma, beta = np.ones(D3), np.zeros(D3)
            for _ in range(50):
                X = np.random.randn(N, D1)
                batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)

            bn_param["mode"] = "test"
            X = np.random.randn(N, D1)
            out, _ = batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)
            print("test mode: means", out.mean(axis=0), " stds", out.std(axis=0))
            report("batchnorm test-time means", rel_error(out.mean(axis=0), np.array([-0.03927354, -0.04349152, -0.10452688])), 1e-6)
            report("batchnorm test-time stds", rel_error(out.std(axis=0), np.array([1.01531428, 1.01238373, 0.97819988])), 1e-6)
            """,
            LOCKED,
        ),
        md(
            """
            ### Backward pass

            Implement `batchnorm_backward(dout, cache)`, returning `dx`, `dgamma` and `dbeta`. A
            reliable way is to write the forward pass as a chain of simple steps (mean, centred
            input, variance, inverse standard deviation, `x_hat`, scale and shift), draw it as a
            graph, and backpropagate through one node at a time. Remember that the mean and the
            variance depend on every row of `x`: both contribute to `dx`.
            """
        ),
        code(
            """
            from cs231n.gradient_check import eval_numerical_gradient_array

            np.random.seed(231)
            N, D = 6, 4
            x = 5 * np.random.randn(N, D) + 12
            gamma = np.random.randn(D)
            beta = np.random.randn(D)
            dout = np.random.randn(N, D)
            bn_param = {"mode": "train"}

            dx_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta, bn_param)[0], x, dout)
            dgamma_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, v, beta, bn_param)[0], gamma, dout)
            dbeta_num = eval_numerical_gradient_array(lambda v: batchnorm_forward(x, gamma, v, bn_param)[0], beta, dout)

            _, cache = batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
            report("batchnorm_backward dx", rel_error(dx, dx_num), 1e-6)
            report("batchnorm_backward dgamma", rel_error(dgamma, dgamma_num), 1e-7)
            report("batchnorm_backward dbeta", rel_error(dbeta, dbeta_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### A shorter backward pass

            Working through the graph gives correct gradients but many intermediate arrays. With
            `x_hat = (x - mu) / sigma` and `sigma = sqrt(var + eps)`, write `dL/dx_hat` as `g`.
            Carry the chain rule through `mu` and `var` on paper and simplify: the whole of `dx`
            fits in a single line that needs only `g`, `x_hat`, `sigma` and two column sums (or
            means) over the `N` rows. Implement `batchnorm_backward_alt` with your expression. The
            cell compares it with your first version and times both.
            """
        ),
        code(
            """
            np.random.seed(231)
            N, D = 100, 500
            x = 5 * np.random.randn(N, D) + 12
            gamma = np.random.randn(D)
            beta = np.random.randn(D)
            dout = np.random.randn(N, D)

            _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
            start = time.time()
            for _ in range(20):
                dx1, dgamma1, dbeta1 = batchnorm_backward(dout, cache)
            t1 = time.time() - start
            start = time.time()
            for _ in range(20):
                dx2, dgamma2, dbeta2 = batchnorm_backward_alt(dout, cache)
            t2 = time.time() - start
            report("batchnorm_backward_alt dx", rel_error(dx1, dx2), 1e-7)
            report("batchnorm_backward_alt dgamma", rel_error(dgamma1, dgamma2), 1e-9)
            report("batchnorm_backward_alt dbeta", rel_error(dbeta1, dbeta2), 1e-9)
            print(f"speed-up of the shorter version: {t1 / max(t2, 1e-9):.1f}x")
            """,
            LOCKED,
        ),
        md(
            """
            ### Batch normalization in the fully connected net

            Add the `normalization="batchnorm"` option to `FullyConnectedNet`: every hidden layer
            becomes affine - batchnorm - ReLU, with parameters `gamma1, beta1, ...` (ones and
            zeros, one per hidden unit) and one `bn_param` dictionary per layer, kept in
            `self.bn_params`. The last affine layer has no normalisation. `gamma` and `beta` are not
            regularised. `cs231n/layer_utils.py` gives you the sandwich layers
            `affine_bn_relu_forward` / `affine_bn_relu_backward` (and `affine_ln_relu_*` for
            layer normalization), built on your functions.

            The gradient check below is on a tiny net in float64; errors up to about `1e-5` are
            expected (batch normalisation makes some gradients small, which inflates their
            relative error).
            """
        ),
        code(
            """
            from cs231n.classifiers.fc_net import FullyConnectedNet
            from cs231n.gradient_check import eval_numerical_gradient


            def check_normalized_net(normalization):
                # Five examples: with two, every normalised feature would be exactly +-1 whatever W1 is.
                np.random.seed(231)
                N, D, H1, H2, C = 5, 15, 20, 30, 10
                X = np.random.randn(N, D)
                y = np.random.randint(C, size=(N,))
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                          dtype=np.float64, normalization=normalization)
                expected = {f"gamma{i}" for i in (1, 2)} | {f"beta{i}" for i in (1, 2)}
                report(f"{normalization}: gamma/beta parameters present", len(expected - set(model.params)), 0.5)

                loss_0, _ = model.loss(X, y)
                print(f"{normalization}: initial loss {loss_0:.6f}")
                report(f"{normalization}: initial loss", abs(loss_0 - np.log(C)), 0.2)
                model.reg = 3.14
                loss_reg, _ = model.loss(X, y)
                l2 = 0.5 * model.reg * sum(np.sum(model.params[f"W{i}"] ** 2) for i in range(1, 4))
                report(f"{normalization}: L2 term (weights only)", rel_error(loss_reg - loss_0, l2), 1e-7)

                for reg in [0.0, 3.14]:
                    model.reg = reg
                    loss, grads = model.loss(X, y)
                    for name in sorted(grads):
                        grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-5)
                        report(f"{normalization}: d{name}, reg = {reg}", rel_error(grad_num, grads[name]), 1e-4)


            check_normalized_net("batchnorm")
            """,
            LOCKED,
        ),
        md("## Part 2: experiments on CIFAR-10\n\n" + DATA_INTRO),
        LOAD_DATA,
        md(
            """
            ### Deep nets with and without batch normalization

            The cell trains a six-layer net (five hidden layers of 100 units) on 1000 images, once
            plain and once with batch normalization, with the same initialisation scale and
            optimiser. The normalised net should learn clearly faster.
            """
        ),
        code(
            join(small_data_code(1000), """
            from cs231n.solver import Solver

            solvers = {}
            for label, normalization in [("baseline", None), ("batchnorm", "batchnorm")]:
                np.random.seed(231)
                model = FullyConnectedNet([100] * 5, weight_scale=2e-2, normalization=normalization)
                solver = Solver(model, small_data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                                batch_size=50, num_epochs=epochs(10), verbose=False)
                solver.train()
                print(f"{label:9s} best validation accuracy {solver.best_val_acc:.3f}")
                solvers[label] = solver
            plot_solvers(solvers)
            """),
            LOCKED,
        ),
        md(
            """
            ### Sensitivity to the initial weight scale

            Next, eight-layer nets (seven hidden layers of 50 units) trained with a range of weight
            scales, with and without batch normalization. The plots show the best training and
            validation accuracy and the final training loss of each run against the scale.
            """
        ),
        code(
            join(small_data_code(1000), """
            weight_scales = np.logspace(-4, 0, num=3 if QUICK else 12)
            results = {None: [], "batchnorm": []}
            for scale in weight_scales:
                for normalization in results:
                    np.random.seed(231)
                    model = FullyConnectedNet([50] * 7, weight_scale=scale, normalization=normalization)
                    solver = Solver(model, small_data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                                    batch_size=50, num_epochs=epochs(10), verbose=False)
                    solver.train()
                    results[normalization].append(
                        (max(solver.train_acc_history), solver.best_val_acc, np.mean(solver.loss_history[-10:])))
                print(f"weight scale {scale:.1e}: baseline {results[None][-1][1]:.3f}, "
                      f"batchnorm {results['batchnorm'][-1][1]:.3f} best validation accuracy")

            fig, axes = plt.subplots(3, 1, figsize=(10, 12))
            titles = ["Best training accuracy", "Best validation accuracy", "Final training loss"]
            for k, (ax, title) in enumerate(zip(axes, titles)):
                for normalization, label in [(None, "baseline"), ("batchnorm", "batchnorm")]:
                    ax.semilogx(weight_scales, [r[k] for r in results[normalization]], "-o", label=label)
                ax.set_title(title)
                ax.set_xlabel("Weight initialisation scale")
                ax.legend(loc="best")
            axes[2].set_yscale("log")  # a diverging run's loss would flatten every other point
            fig.tight_layout()
            plt.show()
            """),
            LOCKED,
        ),
        *question(
            1,
            """
            Describe the two curves of the validation-accuracy plot. Over which range of weight
            scales does the baseline train at all, and why does batch normalization widen it?
            """,
            """
            The baseline only learns well in a narrow band of scales (roughly `3e-2` to `1e-1` for
            these nets); below it the activations shrink layer after layer until the last layers
            see almost nothing and the gradients vanish, above it they grow until the loss
            explodes. The batch-normalised net reaches a useful accuracy over most of the range,
            because each hidden layer's pre-activations are rescaled to unit spread whatever the
            weights' scale: multiplying a layer's weights by a constant does not change its
            normalised output, so the scale stops compounding through the depth. It too degrades
            at the largest scales (around 1), because the last affine layer is not normalised:
            with huge weights it produces huge scores, the softmax saturates and the first
            updates are wild.
            """,
        ),
        md(
            """
            ### Batch size

            Batch normalization estimates its statistics from the minibatch, so the batch size
            matters. The cell trains the six-layer net with batch normalization at three batch
            sizes, and the plain net at the middle one for reference.
            """
        ),
        code(
            join(small_data_code(1000), """

            def train_with_batch_sizes(normalization, batch_sizes):
                trained = {}
                for batch_size in batch_sizes:
                    np.random.seed(231)
                    model = FullyConnectedNet([100] * 5, weight_scale=2e-2, normalization=normalization)
                    solver = Solver(model, small_data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                                    batch_size=batch_size, num_epochs=epochs(10), verbose=False)
                    solver.train()
                    trained[f"{normalization or 'baseline'}, batch {batch_size}"] = solver
                return trained


            solvers = train_with_batch_sizes(None, [10])
            solvers.update(train_with_batch_sizes("batchnorm", [5, 10, 50]))
            for label, solver in solvers.items():
                print(f"{label:22s} best validation accuracy {solver.best_val_acc:.3f}")
            plot_solvers(solvers)
            """),
            LOCKED,
        ),
        *question(
            2,
            """
            How does the batch size change the benefit of batch normalization here? What goes wrong
            with very small batches, both during training and when the net switches to test mode?
            """,
            """
            With batches of 50 batch normalization helps clearly; with batches of 5 it helps little
            or even hurts. A mean and variance estimated from five examples are very noisy, so
            during training every example is normalised with statistics that jump from batch to
            batch (a strong, unhelpful noise), and the running averages built from those noisy
            estimates are a poor match for the statistics seen at test time, so test-mode accuracy
            can lag behind what training suggested. Larger batches give stable estimates.
            """,
        ),
        md(
            """
            ## Part 3: layer normalization

            Layer normalization (Ba, Kiros and Hinton, 2016) normalises each *example* over its
            features instead of each feature over the batch: the statistics are those of one row of
            `x`, so nothing depends on the other examples, training and test behave identically,
            and no running averages are needed. `gamma` and `beta` are still one per feature.

            Implement `layernorm_forward` and `layernorm_backward` (the code is close to batch
            normalization with the roles of the axes exchanged), then the
            `normalization="layernorm"` option of `FullyConnectedNet`.
            """
        ),
        code(
            """
            from cs231n.layers import layernorm_forward, layernorm_backward

            np.random.seed(231)
            N, D1, D2, D3 = 4, 50, 60, 3
            X = np.random.randn(N, D1)
            W1 = np.random.randn(D1, D2)
            W2 = np.random.randn(D2, D3)
            a = np.maximum(0, X.dot(W1)).dot(W2)  # (N, D3)

            out, _ = layernorm_forward(a, np.ones(D3), np.zeros(D3), {})
            print("row means", out.mean(axis=1), " row stds", out.std(axis=1))
            report("layernorm_forward row means", np.abs(out.mean(axis=1)).max(), 1e-7)
            report("layernorm_forward row stds", rel_error(out.std(axis=1), np.ones(N)), 1e-3)

            # Undo a per-feature gamma and beta: the rows must be standardised again.
            gamma = np.array([3.0, 3.5, 4.0])
            beta = np.array([5.0, 6.0, 7.0])
            out, _ = layernorm_forward(a, gamma, beta, {})
            standardised = (out - beta) / gamma
            report("layernorm_forward with gamma, beta", np.abs(standardised.mean(axis=1)).max(), 1e-7)

            N, D = 4, 5
            x = 5 * np.random.randn(N, D) + 12
            gamma = np.random.randn(D)
            beta = np.random.randn(D)
            dout = np.random.randn(N, D)
            ln_param = {}
            dx_num = eval_numerical_gradient_array(lambda v: layernorm_forward(v, gamma, beta, ln_param)[0], x, dout)
            dgamma_num = eval_numerical_gradient_array(lambda v: layernorm_forward(x, v, beta, ln_param)[0], gamma, dout)
            dbeta_num = eval_numerical_gradient_array(lambda v: layernorm_forward(x, gamma, v, ln_param)[0], beta, dout)
            _, cache = layernorm_forward(x, gamma, beta, ln_param)
            dx, dgamma, dbeta = layernorm_backward(dout, cache)
            report("layernorm_backward dx", rel_error(dx, dx_num), 1e-6)
            report("layernorm_backward dgamma", rel_error(dgamma, dgamma_num), 1e-7)
            report("layernorm_backward dbeta", rel_error(dbeta, dbeta_num), 1e-7)
            """,
            LOCKED,
        ),
        code(
            """
            check_normalized_net("layernorm")
            """,
            LOCKED,
        ),
        md(
            """
            The batch-size experiment again, now with layer normalization.
            """
        ),
        code(
            """
            solvers = train_with_batch_sizes(None, [10])
            solvers.update(train_with_batch_sizes("layernorm", [5, 10, 50]))
            for label, solver in solvers.items():
                print(f"{label:22s} best validation accuracy {solver.best_val_acc:.3f}")
            plot_solvers(solvers)
            """,
            LOCKED,
        ),
        *question(
            3,
            """
            Layer normalization does not depend on the batch. Describe a situation in which it
            would still work poorly, and explain why.
            """,
            """
            When an example has very few features, or features of very different kinds, the
            per-example statistics are poor: with a hidden layer of only a handful of units the
            mean and variance of one row are as noisy as batch statistics over a tiny batch, and
            normalising them away removes real information about the input. Likewise, if a few
            features have much larger magnitudes than the rest they dominate the row's statistics,
            and the other features end up squashed. Layer normalization is also a poor fit for
            convolutional feature maps, where channels carry different kinds of information.
            """,
        ),
        md(
            """
            ## Part 4: a batch-normalised net on the full training set

            Train a `FullyConnectedNet` with batch normalization on all of `data`, reaching at least
            50% validation accuracy. Keep the model in `best_model` and the solver in `solver`,
            and use `num_epochs=epochs(n)`.
            """
        ),
        code(
            f"""
            best_model = None
            # TODO: train a FullyConnectedNet with normalization="batchnorm"; keep it in best_model
            # and its Solver in solver.
            <<START>>
            np.random.seed(231)
            model = FullyConnectedNet({s["hidden_dims"]}, weight_scale={s["weight_scale"]}, reg={s["reg"]},
                                      normalization="batchnorm")
            solver = Solver(model, data, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=1000)
            solver.train()
            best_model = model
            <<END>>
            """
        ),
        evaluate_cell(0.5, "batchnorm net"),
    ]


# ----------------------------------------------------------------------------------------------
# Dropout.ipynb
# ----------------------------------------------------------------------------------------------

DROPOUT_FINAL = dict(  # the best FC net: 64% validation accuracy after 15 epochs (architecture,
    hidden_dims=[1024, 1024, 512],  # keep ratio, reg and batch size as in benchmarks/cifar10_accuracy.py)
    dropout_keep_ratio=0.7,
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
            # Dropout

            Dropout (Srivastava et al., 2014) regularises a network by switching off a random subset
            of its hidden units at every training step: each unit's output is kept with probability
            `p` and set to zero otherwise, with a fresh random choice for every example and every
            step. The network cannot rely on any single unit being present, which discourages units
            from co-adapting and acts much like training an ensemble of thinned networks that share
            their weights. At test time all units are used.

            In this course `p` is the probability of **keeping** a unit. We use *inverted* dropout:
            during training the kept outputs are divided by `p`, so that their expected value equals
            the input and the test-time pass needs no change at all.

            You will edit `dropout_forward` and `dropout_backward` in `cs231n/layers.py` and add the
            `dropout_keep_ratio` option to `FullyConnectedNet`. The notebook ends with your best
            fully connected network, combining everything so far.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The final section trains a `FullyConnectedNet` with hidden layers {hidden},
            batch normalization and dropout (keep {keep}) for {epochs} epochs on the training set
            and its mirror images; `best_model` (scored by the grader) should reach 60% validation
            accuracy. This is the longest fully connected run of the assignment.
            """.format(hidden=s["hidden_dims"], keep=s["dropout_keep_ratio"], epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: the layer, checked on small inputs

            ### Forward pass

            `dropout_forward(x, dropout_param)` reads `p` (the keep probability) and `mode`
            (`"train"` or `"test"`) from `dropout_param`. In training mode draw a mask of the shape
            of `x` that is 1 with probability `p` (use `np.random.rand`), scale it by `1 / p`,
            multiply, and keep the mask in the cache. In test mode return `x` unchanged. When
            `dropout_param` has a `"seed"` key, the given code seeds the generator with it, so that
            the same mask comes out every time (needed for gradient checks).

            The check draws inputs with mean 10: in training mode about a fraction `1 - p` of the
            outputs should be zero, and the mean should stay close to 10.
            """
        ),
        code(
            """
            from cs231n.layers import dropout_forward, dropout_backward

            np.random.seed(231)
            x = np.random.randn(500, 500) + 10

            for p in [0.25, 0.4, 0.7]:
                out, _ = dropout_forward(x, {"mode": "train", "p": p})
                out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
                print(f"p = {p}: input mean {x.mean():.4f}, train-mode mean {out.mean():.4f}, "
                      f"test-mode mean {out_test.mean():.4f}, zeros in train mode {np.mean(out == 0):.4f}")
                report(f"dropout p={p}: fraction of zeros", abs(np.mean(out == 0) - (1 - p)), 0.01)
                report(f"dropout p={p}: train-mode mean", rel_error(out.mean(), x.mean()), 0.01)
                report(f"dropout p={p}: test mode is the identity", rel_error(out_test, x), 1e-12)

            first, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
            second, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})
            report("dropout with a seed repeats its mask", rel_error(first, second), 1e-12)
            """,
            LOCKED,
        ),
        md(
            """
            ### Backward pass

            The backward pass routes the upstream gradient through the same mask (including the
            `1 / p` scale). Implement `dropout_backward`; the numerical check fixes the seed so
            every forward call drops the same units.
            """
        ),
        code(
            """
            from cs231n.gradient_check import eval_numerical_gradient_array

            np.random.seed(231)
            x = np.random.randn(10, 10) + 10
            dout = np.random.randn(*x.shape)

            dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
            out, cache = dropout_forward(x, dropout_param)
            dx = dropout_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, dropout_param)[0], x, dout)
            report("dropout_backward dx", rel_error(dx, dx_num), 1e-8)
            """,
            LOCKED,
        ),
        *question(
            1,
            """
            Suppose the forward pass only multiplied by the mask and did **not** divide by `p`.
            What would go wrong when the trained network is used at test time, and what would you
            have to change in the test-time pass to fix it?
            """,
            """
            During training each unit's output would on average be `p` times its full value, and the
            next layer's weights would adapt to inputs of that size. At test time every unit is on,
            so the next layer would suddenly receive inputs about `1 / p` times larger than anything
            it saw in training, and its outputs (and the scores) would be off by that factor. To fix
            it, the test-time pass would have to multiply the outputs by `p`. Inverted dropout moves
            this scaling into training, so the test-time code is just the plain network.
            """,
        ),
        md(
            """
            ### Dropout in the fully connected net

            Add the `dropout_keep_ratio` option to `FullyConnectedNet`: when it is below 1, every
            hidden layer ends with a dropout layer (after the ReLU), all sharing
            `self.dropout_param`; the `seed` argument goes into that dictionary. In `loss`, use
            training mode when labels are given and test mode when they are not.

            The check runs the gradient check with keep ratios 1, 0.75 and 0.5 (with a fixed seed),
            and makes sure dropout really changes the training loss from call to call while the
            test-time scores stay deterministic.
            """
        ),
        code(
            """
            from cs231n.classifiers.fc_net import FullyConnectedNet
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            N, D, H1, H2, C = 2, 15, 20, 30, 10
            X = np.random.randn(N, D)
            y = np.random.randint(C, size=(N,))

            for keep_ratio in [1, 0.75, 0.5]:
                model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                                          dtype=np.float64, dropout_keep_ratio=keep_ratio, seed=123)
                loss, grads = model.loss(X, y)
                print(f"keep ratio {keep_ratio}: initial loss {loss:.6f}")
                for name in sorted(grads):
                    grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-5)
                    report(f"keep {keep_ratio}: d{name}", rel_error(grad_num, grads[name]), 1e-4)

            # Without a seed, two training-mode passes drop different units.
            np.random.seed(231)
            model = FullyConnectedNet([100, 100], input_dim=D, num_classes=C, weight_scale=5e-1,
                                      dtype=np.float64, dropout_keep_ratio=0.5)
            X = np.random.randn(20, D)
            y = np.random.randint(C, size=(20,))
            losses = [model.loss(X, y)[0] for _ in range(2)]
            report_min("dropout changes the training loss", abs(losses[0] - losses[1]), 1e-6)
            report("test-time scores are deterministic", rel_error(model.loss(X), model.loss(X)), 1e-12)
            """,
            LOCKED,
        ),
        md("## Part 2: dropout as a regulariser\n\n" + DATA_INTRO),
        LOAD_DATA,
        md(
            """
            The cell trains two nets with one hidden layer of 500 units on only 500 training
            images, without dropout and with a keep ratio of 0.25, and plots their training and
            validation accuracy per epoch.
            """
        ),
        code(
            join(small_data_code(500), """
            from cs231n.solver import Solver

            solvers = {}
            for keep_ratio in [1, 0.25]:
                np.random.seed(231)
                model = FullyConnectedNet([500], dropout_keep_ratio=keep_ratio)
                solver = Solver(model, small_data, update_rule="adam", optim_config={"learning_rate": 5e-4},
                                batch_size=100, num_epochs=epochs(25), verbose=False)
                solver.train()
                print(f"keep ratio {keep_ratio:4}: final training accuracy {solver.train_acc_history[-1]:.3f}, "
                      f"best validation accuracy {solver.best_val_acc:.3f}")
                solvers[f"keep ratio {keep_ratio}"] = solver
            plot_solvers(solvers)
            """),
            LOCKED,
        ),
        *question(
            2,
            """
            Compare the two runs: their training accuracy, their validation accuracy, and the gap
            between the two. What does this say about what dropout does?
            """,
            """
            Without dropout the net fits the 500 training images almost perfectly within a few
            epochs while its validation accuracy stops improving early: it memorises. With a keep
            ratio of 0.25 the training accuracy rises more slowly and stays lower, but the
            validation accuracy ends up similar or a little higher, so the gap between training and
            validation accuracy is much smaller. Dropout makes fitting the training set harder
            (every step trains a different thinned network), which reduces overfitting: it is a
            regulariser.
            """,
        ),
        *question(
            3,
            """
            You have found a good keep ratio for a net with hidden layers of 512 units and now halve
            every hidden layer to 256 units. Would you keep the same keep ratio, raise it or lower
            it? Explain.
            """,
            """
            Raise it (drop fewer units). The number of units active in a layer is about
            `p * width`; halving the width with the same `p` halves the capacity that is left at
            each step, on top of the capacity already lost by making the net smaller, so the net
            would now underfit. A smaller net also overfits less to begin with and needs less
            regularisation, so a keep ratio closer to 1 is the better starting point.
            """,
        ),
        md(
            """
            ## Part 3: your best fully connected net

            Put together what you have built: depth, batch (or layer) normalization, dropout, a
            good update rule and learning-rate decay, L2 regularisation. Train the best
            `FullyConnectedNet` you can and aim for **at least 60% validation accuracy**. Longer
            training helps, and so does more data: adding horizontally mirrored copies of the
            training images (`X[:, :, :, ::-1]`) doubles the training set for free, since a
            mirrored cat is still a cat.

            Keep the model in `best_model` and its solver in `solver`, and use
            `num_epochs=epochs(n)`. `best_model` is what the grader scores.
            """
        ),
        code(
            f"""
            best_model = None
            # TODO: train your best FullyConnectedNet; keep it in best_model and its Solver in solver.
            <<START>>
            # Training set plus its mirror images, in float32 (the net computes in float32 anyway).
            X_train = data["X_train"].astype(np.float32)
            augmented = {{
                "X_train": np.concatenate([X_train, X_train[:, :, :, ::-1]]),
                "y_train": np.concatenate([data["y_train"], data["y_train"]]),
                "X_val": data["X_val"], "y_val": data["y_val"],
            }}
            del X_train

            np.random.seed(231)
            model = FullyConnectedNet({s["hidden_dims"]}, normalization="batchnorm",
                                      dropout_keep_ratio={s["dropout_keep_ratio"]}, weight_scale={s["weight_scale"]},
                                      reg={s["reg"]})
            solver = Solver(model, augmented, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=1000)
            solver.train()
            best_model = model
            <<END>>
            """
        ),
        evaluate_cell(0.6, "best FullyConnectedNet"),
    ]


# ----------------------------------------------------------------------------------------------
# ConvolutionalNetworks.ipynb
# ----------------------------------------------------------------------------------------------

CNN_FINAL = dict(  # the open-ended model: a ThreeLayerConvNet, 66% validation accuracy after 6 epochs
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


def convolutional_networks() -> list[tuple]:
    s = CNN_FINAL
    return [
        md(
            """
            # Convolutional networks

            A fully connected layer treats an image as a flat vector: it ignores which pixels are
            neighbours, and it needs a separate weight for every pixel and every output. A
            convolutional layer instead slides a small filter over the image and computes, at every
            position, the dot product between the filter and the patch under it. The same few
            weights are reused everywhere, so a pattern learned in one place is recognised in any
            other, and the output keeps the spatial layout of the input. Pooling layers then shrink
            the feature maps, keeping the strongest response in each small window.

            You will edit `cs231n/layers.py` (`conv_forward_naive`, `conv_backward_naive`,
            `max_pool_forward_naive`, `max_pool_backward_naive`, `spatial_batchnorm_forward` /
            `_backward`, `spatial_groupnorm_forward` / `_backward`) and
            `cs231n/classifiers/cnn.py` (`ThreeLayerConvNet`). Fast implementations of the
            convolution and pooling layers are given in `cs231n/fast_layers.py`; they need the
            compiled `im2col` extension, which `pip install -e .` of the grader builds.
            """
        ),
        md(
            """
            **Instructor note (not in the student kit).** With the reference every check prints
            `ok`. The one-epoch run of `ThreeLayerConvNet` should pass 40% training accuracy; the
            open-ended section trains a `ThreeLayerConvNet` ({filters} filters of size
            {size}, {hidden} hidden units) for {epochs} epochs and leaves it in `best_model`, which
            the grader scores. These two runs are the slow part of the notebook.
            """.format(filters=s["num_filters"], size=s["filter_size"], hidden=s["hidden_dim"], epochs=s["num_epochs"]),
            HIDDEN,
        ),
        SETUP,
        md(
            """
            ## Part 1: the layers, checked on small inputs

            ### Convolution: forward

            `conv_forward_naive(x, w, b, conv_param)` takes `N` images `x` of shape `(N, C, H, W)`
            and `F` filters `w` of shape `(F, C, HH, WW)`, each filter spanning all `C` channels, and
            biases `b` of shape `(F,)`. `conv_param["pad"]` zeros are added on every side of each
            image (use `np.pad`), and the filters move `conv_param["stride"]` pixels at a time. The
            output has shape `(N, F, H', W')` with `H' = 1 + (H + 2 * pad - HH) // stride` and
            `W' = 1 + (W + 2 * pad - WW) // stride`. Loops over the output positions are fine here;
            speed comes later.
            """
        ),
        code(
            """
            from cs231n.layers import conv_forward_naive, conv_backward_naive

            x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
            b = np.linspace(-0.1, 0.2, num=3)

            out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
            expected = np.array([
                [[[-0.08759809, -0.10987781], [-0.18387192, -0.21092160]],
                 [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                 [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
                [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                 [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                 [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
            report("conv_forward_naive", rel_error(out, expected), 1e-7)

            # A 1x1 input, 1x1 filters and no padding reduce the layer to a matrix product.
            x1 = np.random.randn(4, 3, 1, 1)
            w1 = np.random.randn(5, 3, 1, 1)
            out1, _ = conv_forward_naive(x1, w1, np.zeros(5), {"stride": 1, "pad": 0})
            report("conv_forward_naive, 1x1 case", rel_error(out1.reshape(4, 5), x1.reshape(4, 3) @ w1.reshape(5, 3).T), 1e-10)
            """,
            LOCKED,
        ),
        md(
            """
            ### What a convolution does to an image

            To see the layer at work, the cell below applies three hand-made 3x3 filters to a small
            synthetic picture: one that converts the colours to brightness, one that responds to
            vertical edges in the brightness, and one that blurs it.
            """
        ),
        code(
            """
            # A 64x64 picture: a red disc and a blue square on a grey left-to-right gradient.
            size = 64
            rows, cols = np.mgrid[0:size, 0:size]
            picture = np.repeat((60 + 120 * cols / size)[:, :, None], 3, axis=2)  # (64, 64, 3)
            picture[(rows - 22) ** 2 + (cols - 20) ** 2 < 12 ** 2] = [220, 40, 40]
            picture[38:58, 34:56] = [40, 60, 210]

            brightness = np.array([0.3, 0.6, 0.1])  # weights of R, G, B
            w = np.zeros((3, 3, 3, 3))
            w[0, :, 1, 1] = brightness
            w[1] = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])[None] * brightness[:, None, None]
            w[2] = np.ones((3, 3))[None] * brightness[:, None, None] / 9
            b = np.array([0.0, 128.0, 0.0])  # lift the edge map to mid-grey

            out, _ = conv_forward_naive(picture.transpose(2, 0, 1)[None], w, b, {"stride": 1, "pad": 1})

            fig, axes = plt.subplots(1, 4, figsize=(14, 4))
            axes[0].imshow(picture.astype(np.uint8))
            axes[0].set_title("input")
            for ax, image, title in zip(axes[1:], out[0], ["brightness", "vertical edges", "blurred"]):
                ax.imshow(np.clip(image, 0, 255), cmap="gray", vmin=0, vmax=255)
                ax.set_title(title)
            for ax in axes:
                ax.axis("off")
            plt.show()
            """,
            LOCKED,
        ),
        md(
            """
            ### Convolution: backward

            Implement `conv_backward_naive(dout, cache)`, returning `dx`, `dw` and `db`. Each output
            value came from one patch of the padded input and one filter, so its gradient flows back
            to exactly those: accumulate into the padded `dx` and drop the padding at the end. The
            check covers stride 1 and stride 2.
            """
        ),
        code(
            """
            from cs231n.gradient_check import eval_numerical_gradient_array


            def check_conv_backward(x, w, b, conv_param, label):
                out, cache = conv_forward_naive(x, w, b, conv_param)
                dout = np.random.randn(*out.shape)
                dx, dw, db = conv_backward_naive(dout, cache)
                dx_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(v, w, b, conv_param)[0], x, dout)
                dw_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(x, v, b, conv_param)[0], w, dout)
                db_num = eval_numerical_gradient_array(lambda v: conv_forward_naive(x, w, v, conv_param)[0], b, dout)
                report(f"conv_backward_naive dx, {label}", rel_error(dx, dx_num), 1e-7)
                report(f"conv_backward_naive dw, {label}", rel_error(dw, dw_num), 1e-7)
                report(f"conv_backward_naive db, {label}", rel_error(db, db_num), 1e-7)


            np.random.seed(231)
            check_conv_backward(np.random.randn(3, 3, 5, 5), np.random.randn(2, 3, 3, 3), np.random.randn(2),
                                {"stride": 1, "pad": 1}, "stride 1")
            check_conv_backward(np.random.randn(2, 3, 7, 7), np.random.randn(4, 3, 3, 3), np.random.randn(4),
                                {"stride": 2, "pad": 1}, "stride 2")
            """,
            LOCKED,
        ),
        md(
            """
            ### Max pooling

            `max_pool_forward_naive(x, pool_param)` takes the maximum of every `pool_height` x
            `pool_width` window, moving `stride` pixels at a time, separately for each image and
            channel (no padding). In the backward pass the whole gradient of each window goes to the
            one input that was the maximum; the other inputs of the window get nothing. Implement
            both functions.
            """
        ),
        code(
            """
            from cs231n.layers import max_pool_forward_naive, max_pool_backward_naive

            x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
            pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}
            out, _ = max_pool_forward_naive(x, pool_param)
            expected = np.array([
                [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
                 [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
                 [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
                [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
                 [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
                 [[0.32631579, 0.34105263], [0.38526316, 0.40000000]]]])
            report("max_pool_forward_naive", rel_error(out, expected), 1e-7)

            np.random.seed(231)
            x = np.random.randn(3, 2, 8, 8)
            dout = np.random.randn(3, 2, 4, 4)
            _, cache = max_pool_forward_naive(x, pool_param)
            dx = max_pool_backward_naive(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward_naive(v, pool_param)[0], x, dout)
            report("max_pool_backward_naive dx", rel_error(dx, dx_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### Fast layers

            Loops in Python are far too slow for training. `cs231n/fast_layers.py` (given) computes
            the same convolution by copying every input patch into one column of a large matrix
            (*im2col*, compiled with Cython) and doing a single matrix product; pooling over
            non-overlapping windows becomes a reshape and a `max`. The cell compares them with your
            naive versions: the results must agree, and the fast ones should be much faster.
            """
        ),
        code(
            """
            from cs231n.fast_layers import conv_forward_fast, conv_backward_fast
            from cs231n.fast_layers import max_pool_forward_fast, max_pool_backward_fast

            np.random.seed(231)
            x = np.random.randn(20, 3, 31, 31)
            w = np.random.randn(16, 3, 3, 3)
            b = np.random.randn(16)
            conv_param = {"stride": 2, "pad": 1}

            start = time.time()
            out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
            t_naive = time.time() - start
            start = time.time()
            out_fast, cache_fast = conv_forward_fast(x, w, b, conv_param)
            t_fast = time.time() - start
            print(f"conv forward: naive {t_naive:.3f} s, fast {t_fast:.4f} s")
            report("conv_forward_fast = naive", rel_error(out_naive, out_fast), 1e-9)

            dout = np.random.randn(*out_naive.shape)
            start = time.time()
            dx_naive, dw_naive, db_naive = conv_backward_naive(dout, cache_naive)
            t_naive = time.time() - start
            start = time.time()
            dx_fast, dw_fast, db_fast = conv_backward_fast(dout, cache_fast)
            t_fast = time.time() - start
            print(f"conv backward: naive {t_naive:.3f} s, fast {t_fast:.4f} s")
            report("conv_backward_fast dx = naive", rel_error(dx_naive, dx_fast), 1e-9)
            report("conv_backward_fast dw = naive", rel_error(dw_naive, dw_fast), 1e-9)
            report("conv_backward_fast db = naive", rel_error(db_naive, db_fast), 1e-9)

            x = np.random.randn(20, 3, 32, 32)
            pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
            out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
            out_fast, cache_fast = max_pool_forward_fast(x, pool_param)
            report("max_pool_forward_fast = naive", rel_error(out_naive, out_fast), 1e-12)
            dout = np.random.randn(*out_naive.shape)
            report("max_pool_backward_fast = naive",
                   rel_error(max_pool_backward_naive(dout, cache_naive), max_pool_backward_fast(dout, cache_fast)), 1e-12)
            """,
            LOCKED,
        ),
        md(
            """
            ### Sandwich layers

            `cs231n/layer_utils.py` chains the fast layers into `conv_relu_forward` and
            `conv_relu_pool_forward` (conv - ReLU - 2x2 max pool), with their backward passes. The
            check confirms they work with your layers.
            """
        ),
        code(
            """
            from cs231n.layer_utils import conv_relu_forward, conv_relu_backward
            from cs231n.layer_utils import conv_relu_pool_forward, conv_relu_pool_backward

            np.random.seed(231)
            x = np.random.randn(2, 3, 8, 8)
            w = np.random.randn(3, 3, 3, 3)
            b = np.random.randn(3)
            conv_param = {"stride": 1, "pad": 1}
            pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

            out, cache = conv_relu_pool_forward(x, w, b, conv_param, pool_param)
            dout = np.random.randn(*out.shape)
            dx, dw, db = conv_relu_pool_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: conv_relu_pool_forward(v, w, b, conv_param, pool_param)[0], x, dout)
            dw_num = eval_numerical_gradient_array(lambda v: conv_relu_pool_forward(x, v, b, conv_param, pool_param)[0], w, dout)
            report("conv_relu_pool_backward dx", rel_error(dx, dx_num), 1e-7)
            report("conv_relu_pool_backward dw", rel_error(dw, dw_num), 1e-7)

            out, cache = conv_relu_forward(x, w, b, conv_param)
            dout = np.random.randn(*out.shape)
            dx, dw, db = conv_relu_backward(dout, cache)
            dx_num = eval_numerical_gradient_array(lambda v: conv_relu_forward(v, w, b, conv_param)[0], x, dout)
            db_num = eval_numerical_gradient_array(lambda v: conv_relu_forward(x, w, v, conv_param)[0], b, dout)
            report("conv_relu_backward dx", rel_error(dx, dx_num), 1e-7)
            report("conv_relu_backward db", rel_error(db, db_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### A three-layer convolutional network

            Complete `ThreeLayerConvNet` in `cs231n/classifiers/cnn.py`: conv - ReLU - 2x2 max pool -
            affine - ReLU - affine - softmax. The convolution has stride 1 and padding
            `(filter_size - 1) // 2`, so it keeps the height and width of the image; the pool halves
            them. Use the sandwich layers.

            The first check compares the loss with and without regularisation on the same
            parameters: the difference must be exactly the L2 term over the three weight matrices.
            The second is a numerical gradient check on a tiny net. The net runs in float64 here;
            errors of up to about `1e-2` can still be correct for this net, because a few inputs of
            the ReLUs and pools sit close to their kinks, where numerical gradients are unreliable.
            """
        ),
        code(
            """
            from cs231n.classifiers.cnn import ThreeLayerConvNet
            from cs231n.gradient_check import eval_numerical_gradient

            np.random.seed(231)
            N = 20
            X = np.random.randn(N, 3, 32, 32)
            y = np.random.randint(10, size=N)
            model = ThreeLayerConvNet(dtype=np.float64)
            shapes = {"W1": (32, 3, 7, 7), "b1": (32,), "W2": (32 * 16 * 16, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}
            for name, shape in shapes.items():
                assert model.params[name].shape == shape, f"{name} should have shape {shape}"

            model.reg = 0.0
            loss_0, _ = model.loss(X, y)
            print(f"initial loss, no regularisation: {loss_0:.6f} (about log(10) = 2.3026)")
            report("ThreeLayerConvNet initial loss", abs(loss_0 - np.log(10)), 0.05)
            model.reg = 0.5
            loss_reg, _ = model.loss(X, y)
            l2 = 0.5 * model.reg * sum(np.sum(model.params[f"W{i}"] ** 2) for i in (1, 2, 3))
            print(f"with reg = 0.5: {loss_reg:.6f}")
            report("ThreeLayerConvNet L2 term", rel_error(loss_reg - loss_0, l2), 1e-7)
            """,
            LOCKED,
        ),
        code(
            """
            np.random.seed(231)
            num_inputs, input_dim, num_classes = 2, (3, 16, 16), 10
            X = np.random.randn(num_inputs, *input_dim)
            y = np.random.randint(num_classes, size=num_inputs)
            model = ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=input_dim, hidden_dim=7,
                                      num_classes=num_classes, weight_scale=1e-2, dtype=np.float64)
            loss, grads = model.loss(X, y)
            for name in sorted(grads):
                grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-6)
                report(f"ThreeLayerConvNet d{name}", rel_error(grad_num, grads[name]), 2e-2)
            """,
            LOCKED,
        ),
        md(
            """
            ### Spatial batch normalization

            For convolutional feature maps batch normalization keeps one mean and variance per
            **channel**, computed over the batch and over all spatial positions, so `gamma` and
            `beta` have shape `(C,)`. Implement `spatial_batchnorm_forward` / `_backward` by
            rearranging `x` of shape `(N, C, H, W)` into a matrix with one column per channel and
            calling your `batchnorm_forward` / `batchnorm_backward`. Take care that the rearranged
            matrix really has the channels as columns: a plain `reshape(-1, C)` of the `(N, C, H, W)`
            array mixes them up.
            """
        ),
        code(
            """
            from cs231n.layers import spatial_batchnorm_forward, spatial_batchnorm_backward

            np.random.seed(231)
            N, C, H, W = 2, 3, 4, 5
            x = 4 * np.random.randn(N, C, H, W) + 10
            gamma = np.array([3.0, 4.0, 5.0])
            beta = np.array([6.0, 7.0, 8.0])
            out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
            report("spatial_batchnorm_forward means", rel_error(out.mean(axis=(0, 2, 3)), beta), 1e-7)
            report("spatial_batchnorm_forward stds",
                   rel_error(out.std(axis=(0, 2, 3)), np.array([2.99999885, 3.99999804, 4.99999798])), 1e-6)

            # Test mode after 50 training passes: roughly standardised channels.
            N, C, H, W = 10, 4, 11, 12
            bn_param = {"mode": "train"}
            for _ in range(50):
                spatial_batchnorm_forward(2.3 * np.random.randn(N, C, H, W) + 13, np.ones(C), np.zeros(C), bn_param)
            bn_param["mode"] = "test"
            out, _ = spatial_batchnorm_forward(2.3 * np.random.randn(N, C, H, W) + 13, np.ones(C), np.zeros(C), bn_param)
            print("test mode: channel means", out.mean(axis=(0, 2, 3)), " stds", out.std(axis=(0, 2, 3)))
            report("spatial batchnorm test-time means", np.abs(out.mean(axis=(0, 2, 3))).max(), 0.15)
            report("spatial batchnorm test-time stds", np.abs(out.std(axis=(0, 2, 3)) - 1).max(), 0.1)

            N, C, H, W = 2, 3, 4, 5
            x = 5 * np.random.randn(N, C, H, W) + 12
            gamma = np.random.randn(C)
            beta = np.random.randn(C)
            dout = np.random.randn(N, C, H, W)
            bn_param = {"mode": "train"}
            dx_num = eval_numerical_gradient_array(lambda v: spatial_batchnorm_forward(v, gamma, beta, bn_param)[0], x, dout)
            dgamma_num = eval_numerical_gradient_array(lambda v: spatial_batchnorm_forward(x, v, beta, bn_param)[0], gamma, dout)
            dbeta_num = eval_numerical_gradient_array(lambda v: spatial_batchnorm_forward(x, gamma, v, bn_param)[0], beta, dout)
            _, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
            dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
            report("spatial_batchnorm_backward dx", rel_error(dx, dx_num), 1e-6)
            report("spatial_batchnorm_backward dgamma", rel_error(dgamma, dgamma_num), 1e-7)
            report("spatial_batchnorm_backward dbeta", rel_error(dbeta, dbeta_num), 1e-7)
            """,
            LOCKED,
        ),
        md(
            """
            ### Spatial group normalization

            Group normalization (Wu and He, 2018) is layer normalization for feature maps: the `C`
            channels of each example are split into `G` groups of consecutive channels, and each
            group is normalised over its channels and all spatial positions, independently of the
            other examples. `gamma` and `beta` are per channel, with shape `(1, C, 1, 1)`. Implement
            `spatial_groupnorm_forward(x, gamma, beta, G, gn_param)` and its backward pass.
            """
        ),
        code(
            """
            from cs231n.layers import spatial_groupnorm_forward, spatial_groupnorm_backward

            np.random.seed(231)
            N, C, H, W, G = 2, 6, 4, 5, 2
            x = 4 * np.random.randn(N, C, H, W) + 10
            gamma = np.random.rand(1, C, 1, 1) + 0.5
            beta = np.random.randn(1, C, 1, 1)
            out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {})
            # Undo gamma and beta: every (example, group) block must be standardised.
            groups = ((out - beta) / gamma).reshape(N, G, -1)
            report("spatial_groupnorm_forward group means", np.abs(groups.mean(axis=2)).max(), 1e-7)
            report("spatial_groupnorm_forward group stds", rel_error(groups.std(axis=2), np.ones((N, G))), 1e-5)

            dout = np.random.randn(N, C, H, W)
            gn_param = {}
            dx_num = eval_numerical_gradient_array(lambda v: spatial_groupnorm_forward(v, gamma, beta, G, gn_param)[0], x, dout)
            dgamma_num = eval_numerical_gradient_array(lambda v: spatial_groupnorm_forward(x, v, beta, G, gn_param)[0], gamma, dout)
            dbeta_num = eval_numerical_gradient_array(lambda v: spatial_groupnorm_forward(x, gamma, v, G, gn_param)[0], beta, dout)
            _, cache = spatial_groupnorm_forward(x, gamma, beta, G, gn_param)
            dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
            report("spatial_groupnorm_backward dx", rel_error(dx, dx_num), 1e-6)
            report("spatial_groupnorm_backward dgamma", rel_error(dgamma, dgamma_num), 1e-7)
            report("spatial_groupnorm_backward dbeta", rel_error(dbeta, dbeta_num), 1e-7)
            """,
            LOCKED,
        ),
        md("## Part 2: training on CIFAR-10\n\n" + DATA_INTRO),
        load_data_cell(num_training=200, num_validation=100, num_test=100),
        md(
            """
            ### Overfitting 100 images

            As with the fully connected nets, first make sure the conv net can memorise a tiny
            training set: 100 images, 15 epochs. Training accuracy should climb close to 100%
            while validation accuracy stays low.
            """
        ),
        code(
            join(small_data_code(100), """
            from cs231n.solver import Solver

            np.random.seed(231)
            model = ThreeLayerConvNet(weight_scale=1e-2)
            solver = Solver(model, small_data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                            batch_size=50, num_epochs=epochs(15), print_every=10)
            solver.train()
            if not QUICK:
                report_min("conv net: training accuracy on 100 images", max(solver.train_acc_history), 0.9)
            plot_solvers({"100 images": solver})
            """),
            LOCKED,
        ),
        md(
            """
            ### One epoch on the full training set

            The cell trains the three-layer conv net for a single epoch on all 49,000 training images
            (a few minutes). The training accuracy at the end should be above 40%.
            """
        ),
        code(
            """
            np.random.seed(231)
            model = ThreeLayerConvNet(weight_scale=1e-3, hidden_dim=500, reg=1e-3)
            solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                            batch_size=50, num_epochs=1, print_every=100)
            solver.train()
            print(f"training accuracy {solver.train_acc_history[-1]:.4f}, validation accuracy {solver.val_acc_history[-1]:.4f}")
            if QUICK:
                print("QUICK mode: trained on a small subset, accuracy target not checked")
            else:
                report_min("conv net: training accuracy, one epoch", solver.train_acc_history[-1], 0.4)
            """,
            LOCKED,
        ),
        md(
            """
            The first-layer filters of the trained net, each shown as a small colour image. After
            one epoch many of them already look like oriented edges and colour blobs.
            """
        ),
        code(
            """
            def show_filters(weights):
                \"\"\"Tile filters (F, 3, HH, WW) into one image, each stretched to the range [0, 1].\"\"\"
                F, _, HH, WW = weights.shape
                cols = int(np.ceil(np.sqrt(F)))
                rows = int(np.ceil(F / cols))
                grid = np.ones((rows * (HH + 1) - 1, cols * (WW + 1) - 1, 3))
                for i in range(F):
                    f = weights[i].transpose(1, 2, 0)  # (HH, WW, 3)
                    f = (f - f.min()) / max(f.max() - f.min(), 1e-12)
                    r, c = divmod(i, cols)
                    grid[r * (HH + 1):r * (HH + 1) + HH, c * (WW + 1):c * (WW + 1) + WW] = f
                plt.imshow(grid)
                plt.axis("off")
                plt.show()


            show_filters(model.params["W1"])
            """,
            LOCKED,
        ),
        *question(
            1,
            """
            Your conv net and the fully connected nets of the earlier notebooks see the same images.
            Give two reasons why, after the same training time, the conv net does better with far
            fewer weights in its first layer.
            """,
            """
            (1) Weight sharing: a filter of 3 x 7 x 7 weights is applied at every position, so
            the first layer has a few thousand weights instead of millions, and every position of
            every training image gives each filter a training example; the net learns more from the
            same data and overfits less. (2) Built-in structure: a filter only looks at a small
            neighbourhood, which matches how images work (nearby pixels are related, far ones much
            less), and because the same filter is used everywhere a pattern learned in one place is
            recognised anywhere; max pooling then adds a little tolerance to small shifts. A fully
            connected layer has to learn all of this from data, separately for every position.
            """,
        ),
        md(
            """
            ## Part 3: open-ended: train your best conv net

            Train the best `ThreeLayerConvNet` you can, with the Solver, on the full training set.
            Ideas: more filters or a smaller filter size, a larger hidden layer, a few more epochs,
            learning-rate decay, L2 regularisation, mirrored training images. Each epoch takes
            minutes, so try settings on a subset first.

            Keep the trained model in `best_model` and its solver in `solver`, and use
            `num_epochs=epochs(n)`. `best_model` is what the grader scores; it must be a
            `ThreeLayerConvNet`, whose parameters the grader can load into its own copy of the
            class.
            """
        ),
        code(
            f"""
            best_model = None
            # TODO: train your best ThreeLayerConvNet; keep it in best_model and its Solver in solver.
            <<START>>
            np.random.seed(231)
            model = ThreeLayerConvNet(num_filters={s["num_filters"]}, filter_size={s["filter_size"]}, hidden_dim={s["hidden_dim"]},
                                      weight_scale={s["weight_scale"]}, reg={s["reg"]})
            solver = Solver(model, data, update_rule="adam", optim_config={{"learning_rate": {s["learning_rate"]}}},
                            lr_decay={s["lr_decay"]}, batch_size={s["batch_size"]}, num_epochs=epochs({s["num_epochs"]}),
                            print_every=100)
            solver.train()
            best_model = model
            <<END>>
            """
        ),
        evaluate_cell(0.6, "ThreeLayerConvNet"),
        *question(
            2,
            """
            Describe what you tried in the open-ended section, what helped and what did not.
            """,
            """
            The sample solution trains a `ThreeLayerConvNet` with {filters} filters of size {size} and
            {hidden} hidden units, Adam at `1e-3` with a learning-rate decay of {decay} per epoch, a
            little L2 regularisation, for {epochs} epochs. Filters of 5 x 5 instead of the default
            7 x 7 make each epoch about a third faster. Validation accuracy rose from about 60% after
            two epochs to 66% after six, with the decay keeping the later epochs improving, while
            the gap to the training accuracy grew slowly; mirrored training images and more filters
            would be the next things to try.
            """.format(filters=s["num_filters"], size=s["filter_size"], hidden=s["hidden_dim"],
                       decay=s["lr_decay"], epochs=s["num_epochs"]),
        ),
    ]


NOTEBOOKS = {
    "FullyConnectedNets": ("fcn", fully_connected_nets),
    "BatchNormalization": ("bn", batch_normalization),
    "Dropout": ("do", dropout),
    "ConvolutionalNetworks": ("cnn", convolutional_networks),
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
