"""The demo class of CS231n 2015 assignment 2: what `grader demo --profile cs231n-2015` grades,
and what a correct grader concludes about each submission."""

from __future__ import annotations

from ... import examples
from ...examples import Edit
from ..profile import Example


def _mutant(name: str):
    return lambda profile, dest: examples.build(profile, dest, examples.variant(profile, name).edits)


# The course's students wrote Python 2: a print statement makes a module unparsable under the
# grader's Python 3, which costs that module's functions only (reported with the fix).
PYTHON2_EDITS = (Edit("cs231n/classifier_trainer.py", "            if verbose and it % 10 == 0:\n"
                                                      "                print('starting iteration ', it)\n",
                      "            if verbose and it % 10 == 0:\n"
                      "                print 'starting iteration ', it\n"),)

CLASS = (
    Example("alice", "the reference solution", lambda p, d: examples.build(p, d), True),
    Example("bob", "RMSProp with the smoothing outside the square root (correct)", _mutant("rmsprop_epsilon_outside_sqrt"),
            True),
    Example("carol", "a zip with the package two folders deep", lambda p, d: examples.zipped(p, d, ("hw2", "assignment2")),
            True),
    Example("dave", "the unsolved kit", lambda p, d: examples.build(p, d, strip=True), False),
    Example("erin", "a softmax without the max shift", _mutant("net_softmax_no_max_shift"), False,
            ("neural_net.two_layer_net",)),
    Example("frank", "RMSProp smoothing 1e5", _mutant("rmsprop_smoothing_1e5"), False,
            ("classifier_trainer.ClassifierTrainer",)),
    Example("grace", "a Python 2 print statement in classifier_trainer.py", lambda p, d: examples.build(p, d, PYTHON2_EDITS),
            False, ("classifier_trainer.ClassifierTrainer",)),
)
