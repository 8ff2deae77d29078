"""Accuracy of the models the notebooks trained, recomputed here on images the child never saw.

The child sends back a model as plain float64 arrays (grader.execute). This trusted process
checks their names and shapes, rebuilds the model with the REFERENCE class (the profile's
ScoredModel says how), installs the arrays, and runs the reference forward pass in test mode on
the held-out images of the profile's data set, which the sandbox never showed the notebook. The
profile's formula turns the accuracy of the split it names into a fraction of the test's
points. Printed accuracies are reported, never used.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

try:  # BLAS/OpenMP threads spinning on a shared machine make scoring ten times slower
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a dependency
    def threadpool_limits(limits=None):
        return contextlib.nullcontext()

from .results import TestRecord

SPLITS = ("validation", "test")
BATCH = 500


class ModelError(ValueError):
    """Arrays from a notebook that do not make a model of an allowed class."""


def install(model, params: dict, cls: str) -> None:
    """Put `params` into the freshly built reference `model`: the same names and shapes, or ModelError."""
    want = {k: tuple(v.shape) for k, v in model.params.items()}
    got = {k: tuple(v.shape) for k, v in params.items()}
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or extra:
        raise ModelError(f"the {cls}'s parameters do not match the reference's: "
                         + (f"missing {', '.join(missing)}" if missing else "")
                         + ("; " if missing and extra else "")
                         + (f"unexpected {', '.join(extra)}" if extra else ""))
    for k in want:
        if want[k] != got[k]:
            raise ModelError(f"{cls} parameter {k} has shape {got[k]}, the reference's has {want[k]}")
        if not np.all(np.isfinite(params[k])):
            raise ModelError(f"{cls} parameter {k} holds NaN or infinite values")
    dtype = getattr(model, "dtype", np.float64)
    model.params = {k: params[k].astype(dtype) for k in want}


def rebuild(profile, meta: dict, arrays: dict, classes):
    """The reference model holding the exported arrays; raises ModelError with what is wrong."""
    from .reference import load_reference

    cls = meta.get("class")
    if cls not in classes:
        raise ModelError(f"the model is a {cls}, expected one of {', '.join(classes)}")
    if cls not in profile.models:
        raise ModelError(f"the course does not say how a {cls} is scored")  # profile validation prevents it
    return profile.models[cls].rebuild(load_reference(profile), meta, arrays)


def accuracy(model, X: np.ndarray, y: np.ndarray, batch: int = BATCH) -> float:
    """Fraction of X the model classifies correctly (test mode: scores only, in batches)."""
    correct = 0
    for i in range(0, X.shape[0], batch):
        scores = model.loss(X[i:i + batch])  # (batch, C)
        correct += int(np.sum(np.argmax(scores, axis=1) == y[i:i + batch]))
    return correct / X.shape[0]


# ----------------------------------------------------------------------------- tests


@dataclass
class Scored:
    """A notebook's accuracy test and, when a model was scored, its results.json accuracy section."""

    test: TestRecord
    section: dict | None


def _test(name: str, status: str, score: float, max_score: float, output: str) -> TestRecord:
    return TestRecord(name, status, round(score, 4), round(max_score, 4), None, output, "visible")


def formula_text(spec) -> str:
    return spec.formula.describe(f"{spec.split} accuracy") if spec.formula is not None else "none"


def score_notebook(profile, run, holdout, *, skip_reason: str = "", warnings: list[str] | None = None) -> Scored:
    """The `notebook.<stem>[accuracy]` test of one run (its spec must have a formula)."""
    spec = run.spec
    name = f"notebook.{spec.stem}[accuracy]"
    points = float(spec.points)
    printed = ("; the notebook printed: " + " | ".join(run.printed)
               + " (not scored; while graded, the notebook's own test images were a stand-in)") if run.printed else ""
    formula = formula_text(spec)
    if run.forfeit:
        return Scored(_test(name, "error", 0.0, points, f"no points: {run.forfeit}{printed}"), None)
    if run.status == "skipped":
        why = skip_reason or run.message
        return Scored(_test(name, "skipped", 0.0, points, f"accuracy not scored: {why}{printed}"), None)
    if run.status != "executed":
        return Scored(_test(name, "error", 0.0, points, f"no model to score: {run.message}{printed}"), None)
    if holdout is None:  # pragma: no cover - the caller loads it whenever a notebook was executed
        return Scored(_test(name, "skipped", 0.0, points, f"accuracy not scored: {skip_reason}{printed}"), None)
    if "error" in run.model:
        return Scored(_test(name, "error", 0.0, points, f"no model to score: {run.model['error']}{printed}"), None)
    try:
        model = rebuild(profile, run.model, run.arrays, spec.classes)
        from .reference import load_reference

        # the reference's modules are sys.modules' while its code runs (it may import lazily,
        # e.g. the courses it builds on)
        with threadpool_limits(limits=1), load_reference(profile).active():
            values = {s: accuracy(model, holdout.X[s], holdout.y[s]) for s in SPLITS}
    except ModelError as exc:
        return Scored(_test(name, "error", 0.0, points, f"the model could not be scored: {exc}{printed}"), None)
    value = values[spec.split]
    fraction = spec.formula.fraction(value)
    status = "passed" if fraction >= 1.0 else "failed"
    other = "test" if spec.split == "validation" else "validation"
    text = (f"{spec.split} accuracy {value:.4f} recomputed by the grader on {holdout.describe(spec.split)} "
            f"({other} half: {values[other]:.4f}) -> {fraction:.2f} of {points:g} points ({formula})"
            f"{printed}")
    if warnings:
        text += "; " + "; ".join(warnings)
    section = {"split": spec.split, "value": round(value, 6), "points_fraction": round(fraction, 6),
               "formula": f"{spec.file}: {formula}"}
    return Scored(_test(name, status, points * fraction, points, text), section)
