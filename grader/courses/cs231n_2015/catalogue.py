"""The catalogue of CS231n 2015 assignment 2: classic bugs of real 2015 submissions (mutants) and
accepted alternatives, each a set of text substitutions on this course's reference
(reference/cs231n-2015/). Where the reference delegates to the default course, a mutant
replaces the delegating lines by the code a student wrote.

Seen in real submissions (docs/courses/cs231n-2015.md): a softmax without the max shift
(huyouare), a smoothing constant of 1e5 (the classic the assignment's text warns about).
RMSProp's smoothing inside the square root is the course's own form (its check value needs it).
"""

from __future__ import annotations

from ...examples import Edit
from ..family.variants import delegated_layer_bugs
from ..profile import Variant

NET, TRAINER, L = "cs231n/classifiers/neural_net.py", "cs231n/classifier_trainer.py", "cs231n/layers.py"

_NET_BLOCK = """    import types
    from _canonical.cs231n.classifiers import fc_net as canonical
    net = types.SimpleNamespace(params=model, reg=reg)  # the same maths as the default course's TwoLayerNet
    if y is not None:
        return canonical.TwoLayerNet.loss(net, X, y)
    scores = canonical.TwoLayerNet.loss(net, X)
"""


def _net(shift=True, half=True):
    """two_layer_net as a 2015 student writes it, in the three blocks (here all in the first)."""
    return ("    hidden = np.maximum(0, X.dot(W1) + b1)  # (N, H)\n"
            "    scores = hidden.dot(W2) + b2  # (N, C)\n"
            "    if y is not None:\n"
            + ("        shifted = scores - np.max(scores, axis=1, keepdims=True)\n" if shift else
               "        shifted = scores\n")
            + "        exp_scores = np.exp(shifted)\n"
            "        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)\n"
            "        loss = -np.mean(np.log(probs[np.arange(N), y]))\n"
            f"        loss += {'0.5 * ' if half else ''}reg * (np.sum(W1 * W1) + np.sum(W2 * W2))\n"
            "        dscores = probs\n"
            "        dscores[np.arange(N), y] -= 1\n"
            "        dscores /= N\n"
            "        grads = {'W2': hidden.T.dot(dscores) + reg * W2, 'b2': dscores.sum(axis=0)}\n"
            "        dhidden = dscores.dot(W2.T) * (hidden > 0)\n"
            "        grads['W1'] = X.T.dot(dhidden) + reg * W1\n"
            "        grads['b1'] = dhidden.sum(axis=0)\n"
            "        return loss, grads\n")


_RMSPROP = """                    self.step_cache[p] = decay_rate * self.step_cache[p] + (1 - decay_rate) * grads[p] ** 2
                    dx = -learning_rate * grads[p] / np.sqrt(self.step_cache[p] + 1e-8)
"""
_MOMENTUM = """                    dx = momentum * self.step_cache[p] - learning_rate * grads[p]
                    self.step_cache[p] = dx
"""

MUTANTS = (
    Variant("net_softmax_no_max_shift", (Edit(NET, _NET_BLOCK, _net(shift=False)),), ("neural_net.two_layer_net",),
            "overflows on large scores"),
    Variant("net_reg_without_half", (Edit(NET, _NET_BLOCK, _net(half=False)),), ("neural_net.two_layer_net",),
            "lacks the 0.5 factor"),
    Variant("rmsprop_smoothing_1e5", (Edit(TRAINER, _RMSPROP, _RMSPROP.replace("+ 1e-8", "+ 1e5")),),
            ("classifier_trainer.ClassifierTrainer",), "1e5 instead of 1e-8"),
    Variant("rmsprop_no_sqrt", (Edit(TRAINER, _RMSPROP, _RMSPROP.replace("np.sqrt(self.step_cache[p] + 1e-8)",
                                                                        "(self.step_cache[p] + 1e-8)")),),
            ("classifier_trainer.ClassifierTrainer",), "without the square root"),
    Variant("momentum_wrong_sign", (Edit(TRAINER, _MOMENTUM, _MOMENTUM.replace("- learning_rate", "+ learning_rate")),),
            ("classifier_trainer.ClassifierTrainer",), "wrong sign"),
    *delegated_layer_bugs(L),
)

ALTERNATIVES = (
    Variant("net_own_code", (Edit(NET, _NET_BLOCK, _net()),), ("neural_net.two_layer_net",)),
    # the reference (as the course's own solution, and all three real 2015 submissions) adds the
    # smoothing inside the square root; outside it is correct too
    Variant("rmsprop_epsilon_outside_sqrt", (Edit(TRAINER, _RMSPROP, _RMSPROP.replace(
        "np.sqrt(self.step_cache[p] + 1e-8)", "(np.sqrt(self.step_cache[p]) + 1e-8)")),),
        ("classifier_trainer.ClassifierTrainer",)),
)
