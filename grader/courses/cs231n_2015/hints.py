"""Hints of the 2015 course's function model (two_layer_net), beside the family's."""

from __future__ import annotations

import numpy as np

from ...check.diagnose import Evidence


def net_softmax_overflow(ev: Evidence) -> str | None:
    """The loss is not finite on large scores: exp of unshifted scores overflowed."""
    loss = ev.actual.get("r0.loss")
    if ev.case == "large_scores" and ev.key == "loss" and loss is not None and not np.all(np.isfinite(loss)):
        return "the softmax overflows on large scores: subtract each row's maximum score before np.exp"
    return None


HINTS = {"net_softmax_overflow": net_softmax_overflow}
