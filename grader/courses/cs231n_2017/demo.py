"""The demo class of CS231n assignment 2 (2016-2017): what `grader demo --profile cs231n-2017`
grades, and what a correct grader concludes about each submission."""

from __future__ import annotations

from ... import examples
from ..profile import Example


def _mutant(name: str):
    return lambda profile, dest: examples.build(profile, dest, examples.variant(profile, name).edits)


CLASS = (
    Example("alice", "the reference solution", lambda p, d: examples.build(p, d), True),
    Example("bob", "drop-convention dropout written with random_sample (correct)", _mutant("dropout_mask_random_sample"),
            True),
    Example("carol", "a zip with the package two folders deep", lambda p, d: examples.zipped(p, d, ("hw2", "assignment2")),
            True),
    Example("dave", "the unsolved kit", lambda p, d: examples.build(p, d, strip=True), False),
    Example("erin", "dropout with the keep convention under the 'drop' docstring",
            _mutant("dropout_keep_convention"), False, ("layers.dropout_forward",)),
    Example("frank", "a normal (randn) dropout mask", _mutant("dropout_randn_mask"), False, ("layers.dropout_forward",)),
    Example("grace", "rmsprop with epsilon 1e5", _mutant("rmsprop_eps_1e5"), False, ("optim.rmsprop",)),
    Example("heidi", "only the edited files, loose", lambda p, d: examples.build(p, d, files=p.editable), True),
)
