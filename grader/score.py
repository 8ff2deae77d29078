"""Accuracy of the models the notebooks trained, recomputed here on images the child never saw.

The child sends back a model as plain float64 arrays (grader.execute). This trusted process
checks their names and shapes, rebuilds the model with the REFERENCE class, installs the
arrays, and runs the reference forward pass in test mode on the real CIFAR-10 test batch,
which the sandbox hid from the notebook (the notebook's test_batch is a stand-in):

    test_batch images 0..4999     -> "validation"
    test_batch images 5000..9999  -> "test"

both unseen by the notebook (its own validation images, training images 49000..49999, are in
the batches it trains from, so they cannot be trusted as unseen). Images are prepared as
get_CIFAR10_data prepares them: channels first, minus the mean image of the training split,
computed here from the real training batches. The profile's formula turns the accuracy of
the split it names into a fraction of the test's points. Printed accuracies are reported,
never used.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import numpy as np

try:  # BLAS/OpenMP threads spinning on a shared machine make scoring ten times slower
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a dev extra
    def threadpool_limits(limits=None):
        return contextlib.nullcontext()

from .check.spec import NotebookSpec
from .execute import CifarSource, DataError, NotebookRun
from .reference import import_reference

SPLITS = ("validation", "test")
BATCH = 500


class ModelError(ValueError):
    """Arrays from a notebook that do not make a model of an allowed class."""


# ----------------------------------------------------------------------------- held-out data


@dataclass(frozen=True)
class Holdout:
    """The real test batch, split in two halves, prepared as get_CIFAR10_data does (float32)."""

    X: dict  # split -> (n, 3, 32, 32) float32, mean-subtracted
    y: dict  # split -> (n,) int64
    ranges: dict  # split -> (first, last) image index in the test batch
    mean_images: int

    def describe(self, split: str) -> str:
        first, last = self.ranges[split]
        return f"CIFAR-10 test_batch images {first}..{last}, never shown to the notebook"


_HOLDOUT: dict[tuple, Holdout] = {}


def load_holdout(src: CifarSource, mean_images: int = 49000) -> Holdout:
    """The held-out halves (cached per process and data set). Raises DataError.

    The mean image is that of the first `mean_images` training images (all of them if fewer),
    as get_CIFAR10_data(num_training=mean_images) subtracts it."""
    st = src.location.stat()
    key = (str(src.location), st.st_size, st.st_mtime_ns, mean_images)
    if key in _HOLDOUT:
        return _HOLDOUT[key]
    ref = import_reference("cs231n")
    try:
        Xtr, _, Xte, yte = ref.data_utils.load_CIFAR10(str(src.location), dtype=np.uint8)
    except (ValueError, OSError) as exc:  # CIFAR10Error is a ValueError
        raise DataError(f"CIFAR-10 at {src.location} could not be read: {exc}") from exc
    if Xte.shape[0] < 2:
        raise DataError(f"{src.location}: the test batch holds {Xte.shape[0]} images")
    used = min(mean_images, Xtr.shape[0])
    mean = np.mean(Xtr[:used].transpose(0, 3, 1, 2), axis=0, dtype=np.float64)  # (3, 32, 32)
    X = (Xte.transpose(0, 3, 1, 2).astype(np.float64) - mean).astype(np.float32)  # (N, 3, 32, 32)
    half = Xte.shape[0] // 2
    holdout = Holdout(
        X={"validation": X[:half], "test": X[half:]},
        y={"validation": yte[:half].copy(), "test": yte[half:].copy()},
        ranges={"validation": (0, half - 1), "test": (half, Xte.shape[0] - 1)},
        mean_images=used,
    )
    _HOLDOUT[key] = holdout
    return holdout


# ----------------------------------------------------------------------------- rebuilding


def _dtype(meta: dict):
    return np.float32 if meta.get("dtype") == "float32" else np.float64


def _layers(params: dict, prefix: str) -> list[int]:
    nums = sorted(int(k[len(prefix):]) for k in params if re.fullmatch(rf"{prefix}[0-9]+", k))
    return nums


def _install(model, params: dict, cls: str) -> None:
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
    model.params = {k: params[k].astype(model.dtype) for k in want}


def rebuild(meta: dict, arrays: dict, classes, input_shape=(3, 32, 32), num_classes: int = 10):
    """The reference model holding the exported arrays; raises ModelError with what is wrong."""
    cls = meta.get("class")
    if cls not in classes:
        raise ModelError(f"the model is a {cls}, expected one of {', '.join(classes)}")
    params = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    ref = import_reference("cs231n")
    dtype = _dtype(meta)
    D = int(np.prod(input_shape))
    if cls == "FullyConnectedNet":
        layers = _layers(params, "W")
        if not layers or layers != list(range(1, len(layers) + 1)):
            raise ModelError(f"FullyConnectedNet weights must be W1..WL, found {sorted(params)}")
        Ws = [params[f"W{i}"] for i in layers]
        if any(W.ndim != 2 for W in Ws):
            raise ModelError("FullyConnectedNet weights must be matrices")
        if Ws[0].shape[0] != D or Ws[-1].shape[1] != num_classes:
            raise ModelError(f"the net maps {Ws[0].shape[0]} inputs to {Ws[-1].shape[1]} classes; "
                             f"CIFAR-10 needs {D} inputs and {num_classes} classes")
        hidden = [W.shape[1] for W in Ws[:-1]]
        norm = meta.get("normalization")
        if norm not in ("batchnorm", "layernorm"):
            norm = "batchnorm" if meta.get("use_batchnorm") else None
        model = ref.classifiers.fc_net.FullyConnectedNet(
            hidden, input_dim=D, num_classes=num_classes, normalization=norm, dtype=dtype, reg=0.0)
        _install(model, params, cls)
        if norm == "batchnorm":
            for i, bn in enumerate(model.bn_params):
                H = hidden[i]
                for stat in ("running_mean", "running_var"):
                    arr = arrays.get(f"bn{i}.{stat}")
                    if arr is None:
                        raise ModelError(f"batchnorm layer {i + 1} has no {stat}: the model cannot run in test mode")
                    if arr.shape != (H,) or not np.all(np.isfinite(arr)):
                        raise ModelError(f"batchnorm layer {i + 1}'s {stat} has shape {arr.shape}, expected ({H},)")
                    bn[stat] = arr.astype(dtype)
        return model
    if cls == "ThreeLayerConvNet":
        need = ("W1", "b1", "W2", "b2", "W3", "b3")
        if any(k not in params for k in need):
            raise ModelError(f"ThreeLayerConvNet parameters must be {', '.join(need)}, found {sorted(params)}")
        W1, W3 = params["W1"], params["W3"]
        if W1.ndim != 4 or W1.shape[2] != W1.shape[3] or W1.shape[1] != input_shape[0] or W3.ndim != 2:
            raise ModelError(f"ThreeLayerConvNet W1 has shape {W1.shape}: expected (F, {input_shape[0]}, k, k)")
        model = ref.classifiers.cnn.ThreeLayerConvNet(
            input_dim=tuple(input_shape), num_filters=W1.shape[0], filter_size=W1.shape[2],
            hidden_dim=W3.shape[0], num_classes=num_classes, dtype=dtype, reg=0.0)
        _install(model, params, cls)
        return model
    raise ModelError(f"no reference rebuild for class {cls}")  # pragma: no cover - a profile naming a new class


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

    test: dict
    section: dict | None


def _test(name: str, status: str, score: float, max_score: float, output: str) -> dict:
    return {"name": name, "status": status, "score": round(score, 4), "max_score": round(max_score, 4),
            "rel_error": None, "output": output, "visibility": "visible"}


def formula_text(spec: NotebookSpec) -> str:
    return spec.formula.describe(f"{spec.split} accuracy") if spec.formula is not None else "none"


def score_notebook(run: NotebookRun, holdout: Holdout | None, *, skip_reason: str = "",
                   warnings: list[str] | None = None) -> Scored:
    """The `notebook.<stem>[accuracy]` test of one run (its spec must have a formula)."""
    spec = run.spec
    name = f"notebook.{spec.stem}[accuracy]"
    points = float(spec.points)
    printed = ("; the notebook printed: " + " | ".join(run.printed)
               + " (not scored; while graded, the notebook's own test_batch was a stand-in)") if run.printed else ""
    formula = formula_text(spec)
    if run.status == "skipped":
        why = skip_reason or run.message
        return Scored(_test(name, "skipped", 0.0, points, f"accuracy not scored: {why}{printed}"), None)
    if run.status != "executed":
        return Scored(_test(name, "error", 0.0, points, f"no model to score: {run.message}{printed}"), None)
    if holdout is None:  # pragma: no cover - the caller loads it whenever a notebook was executed
        return Scored(_test(name, "skipped", 0.0, points, f"accuracy not scored: {skip_reason}{printed}"), None)
    if "error" in run.model:
        return Scored(_test(name, "error", 0.0, points,
                            f"no model to score: {run.model['error']}{printed}"), None)
    try:
        model = rebuild(run.model, run.arrays, spec.classes)
        with threadpool_limits(limits=1):
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
