"""The demo class of ECE C147/C247: what `grader demo --profile ece-c147` grades, and what a
correct grader concludes about each submission."""

from __future__ import annotations

from ... import examples
from ...examples import Edit
from ..profile import Example


def _mutant(name: str):
    return lambda profile, dest: examples.build(profile, dest, examples.variant(profile, name).edits)


# A hostile submission: every trick must cost it points and nothing more.
MALICIOUS_EDITS = (
    # hangs: the deadline kills it, only relu_forward's checks are lost
    Edit("nndl/layers.py", "    out, _ = canonical.relu_forward(x)\n", "    while True:\n        pass\n"),
    # prints success and returns garbage
    Edit("nndl/optim.py", "def sgd_momentum(w, dw, config=None):\n",
         "def sgd_momentum(w, dw, config=None):\n    print('PASSED ' * 1000)\n    return float('nan'), config\n"),
)

CLASS = (
    Example("alice", "the reference solution", lambda p, d: examples.build(p, d), True),
    Example("bob", "loops and a helper layer of his own (correct)",
            lambda p, d: examples.build(p, d, examples.variant(p, "conv_forward_with_loops").edits
                                        + examples.variant(p, "helper_added_to_layer_utils").edits), True),
    Example("carol", "the course's zip layout: the package two folders deep",
            lambda p, d: examples.zipped(p, d, ("ece-c147", "hw4")), True),
    Example("dave", "the unsolved kit", lambda p, d: examples.build(p, d, strip=True), False),
    Example("erin", "dropout with p the probability of keeping a unit", _mutant("dropout_other_convention"), False,
            ("layers.dropout_forward",)),
    Example("frank", "rmsprop's average kept in config['cache']", _mutant("rmsprop_state_under_cache"), False,
            ("optim.rmsprop",)),
    Example("grace", "Nesterov momentum written as plain momentum", _mutant("nesterov_is_momentum"), False,
            ("optim.sgd_nesterov_momentum",)),
    Example("heidi", "the two-layer net with CS231n's weight orientation", _mutant("two_layer_weights_transposed"),
            False, ("neural_net.TwoLayerNet",)),
    Example("ivan", "only the edited files, nndl/ without the support package",
            lambda p, d: examples.build(p, d, files=p.editable), True),
    Example("mallory", "malicious: hangs, prints PASSED, returns NaN",
            lambda p, d: examples.build(p, d, MALICIOUS_EDITS), False, ("layers.relu_forward", "optim.sgd_momentum")),
)
