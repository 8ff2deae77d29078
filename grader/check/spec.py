"""The description of a course's student functions, from which the check engine derives its tests.

A profile (grader/check/profiles/) is a list of these descriptions, one per student function or
class (a forward/backward pair counts as one description of two functions). The engine turns each
into sandbox tasks (run by the drivers in the child) and into the comparisons and statistics the
parent computes; nothing here runs student code.

Shapes are tuples of ints or of dimension names looked up in a case's `dims`; a case may list
several alternative `dims`, of which the per-submission seed picks one (hidden shapes vary).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

VISIBLE, HIDDEN, AFTER_PUBLISHED = "visible", "hidden", "after_published"


@dataclass(frozen=True)
class Tol:
    """Thresholds on the relative error of one output, by dtype of the case's inputs.

    The error is the notebooks' max |a - e| / max(floor, |a| + |e|), with the floor raised to
    `floor * max|e|` so that entries rounding has cancelled to almost nothing do not dominate.
    """

    float64: float = 1e-6
    float32: float = 1e-3
    floor64: float = 1e-6
    floor32: float = 1e-2

    def threshold(self, dtype: str) -> float:
        return self.float32 if dtype == "float32" else self.float64

    def floor(self, dtype: str) -> float:
        return self.floor32 if dtype == "float32" else self.floor64


VALUE_TOL = Tol()
# Gradients from an analytic backward against the reference's: the same formulas up to rounding.
GRAD_TOL = Tol(float64=1e-6, float32=1e-3)
# Numeric gradients (centred differences, h = 1e-5, float64) against the student's own backward.
NUMERIC_TOL = Tol(float64=1e-5, float32=1e-2, floor64=1e-4)
# Update rules: epsilon inside or outside the square root must both pass.
OPTIM_TOL = Tol(float64=1e-4, float32=1e-3, floor64=1e-2)


@dataclass(frozen=True)
class Arg:
    """An input array the parent draws for every case.

    draw: "randn" (scale * N(0, 1) + shift), "uniform" (U(shift, shift + scale)), "labels"
    (integers in [0, dims[classes])), "ties" (small integers, so windows hold equal maxima),
    "away" (randn kept at least 0.5 * scale away from zero: gradients well defined, no relu kinks).
    """

    name: str
    shape: tuple
    draw: str = "randn"
    scale: float = 1.0
    shift: float = 0.0
    classes: str = "C"


@dataclass(frozen=True)
class Case:
    """One set of inputs for a function: its name is the test's `[case]`.

    dims: one dict of dimension sizes, or a tuple of alternatives the seed picks from.
    params: non-array arguments by name (conv_param, bn_param, G, ...), referred to as "@name".
    fixed: the public inputs, a function returning arrays by name (any not returned are drawn,
    from a fixed seed, so every submission and the student kit see the same public case).
    scale, draw: per-argument overrides of Arg.scale / Arg.draw (e.g. huge scores for an
    overflow check, tied values for max pooling).
    compare: "value" (against the reference) or the name of a special comparison.
    """

    name: str
    dims: dict | tuple = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    dtype: str = "float64"
    visibility: str = HIDDEN
    fixed: Callable[[], dict] | None = None
    scale: dict = field(default_factory=dict)
    draw: dict = field(default_factory=dict)
    numeric: bool = True
    compare: str = "value"
    weight: float = 1.0

    @property
    def public(self) -> bool:
        return self.visibility == VISIBLE


@dataclass(frozen=True)
class LayerSpec:
    """A forward function returning (out, cache) and the backward functions taking that cache.

    call: the forward's positional arguments, array names or "@param" (from the case's params).
    grads: the inputs whose gradients the backward returns, in its return order.
    out_shape: shape of `out` from the input arrays and params (dout is drawn with it);
    None means the shape of the first argument.
    points: per function name. hints: per function name, names of diagnose.HINTS entries.
    uses: per function name, other functions (qualified) it calls: a failure there is named.
    same_dtype: out must keep the dtype of the first input (the course requires it there).
    """

    module: str
    forward: str
    backward: tuple[str, ...]
    args: tuple[Arg, ...]
    call: tuple[str, ...]
    grads: tuple[str, ...]
    cases: tuple[Case, ...]
    points: dict[str, float]
    out_shape: Callable[[dict, dict], tuple] | None = None
    tol: Tol = VALUE_TOL
    grad_tol: Tol = GRAD_TOL
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inplace: bool = True
    same_dtype: bool = False

    def functions(self) -> tuple[str, ...]:
        return (self.forward, *self.backward)


@dataclass(frozen=True)
class CallSpec:
    """A plain function returning a tuple of named outputs, e.g. a loss: (loss, dx).

    numeric: {"scalar": "loss", "grads": {"dx": "x"}}: dx is the gradient of the scalar output
    with respect to input x, checked by centred differences in the child (diagnostic).
    """

    module: str
    name: str
    args: tuple[Arg, ...]
    call: tuple[str, ...]
    outputs: tuple[str, ...]
    cases: tuple[Case, ...]
    points: float
    numeric: dict | None = None
    tol: Tol = VALUE_TOL
    hints: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    inplace: bool = True


@dataclass(frozen=True)
class OptimSpec:
    """An update rule `rule(w, dw, config=None) -> (next_w, config)`.

    defaults: every hyperparameter and its default. state: config keys carried between steps
    and their initial value ("zeros" like w, or a number). public: spec §3's single step,
    a function returning (w, dw, config). hidden: non-default hyperparameters for the
    several-step case.
    """

    name: str
    defaults: dict[str, float]
    state: dict[str, Any]
    points: float
    public: Callable[[], tuple] | None = None
    hidden: dict[str, float] = field(default_factory=dict)
    steps: int = 5
    module: str = "optim"
    tol: Tol = OPTIM_TOL
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelConfig:
    """One way of building a model class, as a test case.

    kwargs: constructor arguments (numpy dtypes written as strings, e.g. "float64").
    input_shape: the shape of one example; N examples, `classes` classes.
    params: how the parent draws the parameter values it installs ("randn" scale per prefix).
    dropout: dropout masks are the student's own random draws, so the training loss and
    gradients are checked against the student's own numeric gradient (same seed), not
    against the reference; nodrop_kwargs builds the same net without dropout.
    fixed: the public case, a function returning {"X", "y", "params"} (arrays).
    """

    name: str
    kwargs: dict
    input_shape: tuple
    N: int
    classes: int
    regs: tuple[float, ...] = (0.0, 0.7)
    dtype: str = "float64"
    visibility: str = HIDDEN
    dropout: bool = False
    nodrop_kwargs: dict = field(default_factory=dict)
    fixed: Callable[[], dict] | None = None
    param_scale: dict = field(default_factory=lambda: {"W": 0.3, "b": 0.1, "gamma": 0.5, "beta": 0.3})
    weight: float = 1.0


@dataclass(frozen=True)
class ModelSpec:
    """A model class with `params` and `loss(X, y=None)`; each config gives the tests
    [config:init], [config:loss], [config:grads] and [config:scores]."""

    module: str
    cls: str
    configs: tuple[ModelConfig, ...]
    points: float
    init_std: str = "weight_scale"  # the constructor argument giving the weights' std
    tol: Tol = VALUE_TOL
    grad_tol: Tol = Tol(float64=1e-6, float32=2e-3)
    # The child's numeric gradient of the student's own loss (diagnostic except with dropout).
    numeric_tol: Tol = Tol(float64=1e-4, float32=1e-1, floor64=1e-3)
    hints: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckSpec:
    """A check the engine implements by name (statistics, several calls, training), attached
    to the function `qualname`: e.g. dropout statistics, batchnorm running averages, Solver."""

    qualname: str
    check: str
    points: float
    options: dict = field(default_factory=dict)
    visibility: str = HIDDEN


Spec = LayerSpec | CallSpec | OptimSpec | ModelSpec | CheckSpec


@dataclass(frozen=True)
class AccuracyFormula:
    """Points for a trained model's accuracy X (in percent), as settings rather than code.

    fraction = (X - offset) / span, with floor(X - offset) first when `floor` is on, clipped to
    [0, 1] when `clip` is on; span 0 is a step: 1 from X >= offset on, else 0.
    ECE C147: AccuracyFormula(offset=32, span=28, floor=True) = min(floor(X - 32) / 28, 1), clipped
    at 0. CS231n's "at least 50%": AccuracyFormula(offset=50, span=0).
    """

    offset: float
    span: float
    floor: bool = False
    clip: bool = True

    def fraction(self, accuracy: float) -> float:
        """The points fraction of an accuracy given as a fraction (0.53 for 53%)."""
        x = 100.0 * float(accuracy)
        if not math.isfinite(x):
            return 0.0
        if self.span == 0:
            return 1.0 if x >= self.offset - 1e-9 else 0.0
        d = x - self.offset
        if self.floor:
            d = math.floor(d + 1e-9)  # 60.0 must not floor to 59 by rounding
        f = d / self.span
        return min(max(f, 0.0), 1.0) if self.clip else f

    def describe(self, what: str = "X") -> str:
        if self.span == 0:
            return f"1 if {what} >= {self.offset:g}% else 0"
        inner = f"floor({what} - {self.offset:g})" if self.floor else f"({what} - {self.offset:g})"
        text = f"{inner} / {self.span:g}"
        return f"clip({text}, 0, 1), {what} in percent" if self.clip else f"{text}, {what} in percent"


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the assignment: executed when grading, its trained model scored.

    file: its file name in the submission (found anywhere inside, beside the package first).
    variable: the kernel variable holding the scored model (None: execute only, no accuracy).
    classes: the class names that model may have; it is rebuilt with the reference's class.
    formula: points fraction from the recomputed accuracy on `split` ("validation" or "test",
    the two halves of the real test batch the notebook never sees); points: the test's weight.
    """

    file: str
    variable: str | None = "best_model"
    classes: tuple[str, ...] = ("FullyConnectedNet",)
    formula: AccuracyFormula | None = None
    points: float = 0.0
    split: str = "validation"

    def __post_init__(self):
        if self.split not in ("validation", "test"):
            raise ValueError(f"{self.file}: split must be 'validation' or 'test', not {self.split!r}")

    @property
    def stem(self) -> str:
        return self.file[:-6] if self.file.endswith(".ipynb") else self.file


@dataclass(frozen=True)
class NotebookSettings:
    """How notebooks are executed (in the sandbox) and how their models are scored.

    Times are wall seconds: startup_timeout for the kernel to answer, cell_timeout per cell,
    notebook_timeout for one notebook's cells in total, total_timeout for all the notebooks of
    a submission. A cell over its limit is interrupted (interrupt_grace seconds to answer, or
    the kernel counts as hung and the notebook stops). Outputs beyond max_cell_output_bytes per
    cell or max_notebook_bytes per notebook are dropped (noted). env: extra environment of the kernel
    (e.g. (("QUICK", "1"),) for the notebooks' short mode). mean_images: how many training
    images the notebooks' mean image is taken over (get_CIFAR10_data's num_training). threads:
    BLAS threads of the kernel (None: every core available).
    """

    startup_timeout: float = 60.0
    cell_timeout: float = 1800.0
    notebook_timeout: float = 3600.0
    total_timeout: float = 4 * 3600.0
    interrupt_grace: float = 10.0
    export_timeout: float = 120.0
    memory_bytes: int = 8 << 30
    file_size_bytes: int = 256 << 20
    max_notebook_bytes: int = 50 << 20
    max_cell_output_bytes: int = 2 << 20
    env: tuple[tuple[str, str], ...] = ()
    mean_images: int = 49000
    threads: int | None = None

    def kernel_threads(self) -> int:
        """BLAS threads of a notebook's kernel: `threads`, else $GRADER_KERNEL_THREADS (a batch of
        parallel gradings shares the cores so), else every core this process may use."""
        if self.threads:
            return max(1, int(self.threads))
        if os.environ.get("GRADER_KERNEL_THREADS", "").isdigit():  # set by `grader batch` for its workers
            return max(1, int(os.environ["GRADER_KERNEL_THREADS"]))
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1


@dataclass(frozen=True)
class Profile:
    """A course variant: its package, which files students edit, and every description.

    module_deps: for each module, the package modules it imports (an import that hangs makes
    every dependent check an error without running it).
    notebooks: the assignment's notebooks (executed, their models' accuracy scored) and
    notebook_settings how (see NotebookSpec, NotebookSettings).
    """

    name: str
    package: str
    editable: tuple[str, ...]
    anchor_files: tuple[str, ...]
    specs: tuple
    module_deps: dict[str, tuple[str, ...]]
    solver_behaviour: bool = False
    task_timeout: float = 10.0
    import_timeout: float = 20.0
    total_timeout: float = 240.0
    notebooks: tuple[NotebookSpec, ...] = ()
    notebook_settings: NotebookSettings = NotebookSettings()

    def functions(self) -> list[str]:
        """Qualified names (module.function / module.Class) of everything the profile grades."""
        names: list[str] = []
        for spec in self.specs:
            for q in qualnames(spec):
                if q not in names:
                    names.append(q)
        return names


def short_module(module: str) -> str:
    """'classifiers.fc_net' -> 'fc_net': test names use the module's last component."""
    return module.rsplit(".", 1)[-1]


def qualnames(spec) -> list[str]:
    if isinstance(spec, LayerSpec):
        return [f"{short_module(spec.module)}.{f}" for f in spec.functions()]
    if isinstance(spec, CallSpec):
        return [f"{short_module(spec.module)}.{spec.name}"]
    if isinstance(spec, OptimSpec):
        return [f"{short_module(spec.module)}.{spec.name}"]
    if isinstance(spec, ModelSpec):
        return [f"{short_module(spec.module)}.{spec.cls}"]
    if isinstance(spec, CheckSpec):
        return [spec.qualname]
    raise TypeError(f"not a check description: {spec!r}")


def np_dtype(name: str) -> np.dtype:
    return np.dtype({"float32": np.float32, "float64": np.float64}[name])
