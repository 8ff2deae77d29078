"""The description of a course's student functions, from which the check engine derives its tests.

A course profile (grader/courses/) lists these descriptions, one per student function or class
(a forward/backward pair counts as one description of two functions). The engine turns each into
sandbox tasks (run by the drivers in the child) and into the comparisons and statistics the
parent computes; nothing here runs student code. Modules are named from the course root
("cs231n.layers"); test names use the module's last component ("layers.affine_forward").

Shapes are tuples of ints or of dimension names looked up in a case's `dims`; a case may list
several alternative `dims`, of which the per-submission seed picks one (hidden shapes vary).
"""

from __future__ import annotations

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
NUMERIC_COORDS = 8  # coordinates sampled per tensor by the child's numeric gradient
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
    scale, shift, draw: per-argument overrides of Arg.scale / Arg.shift / Arg.draw (e.g. scores
    around 1000 for an overflow check, tied values for max pooling).
    compare: "value" (against the reference), or a function (arrays, outputs, values) ->
    Comparison judging the backward's outputs itself (e.g. any one of tied maxima may win).
    edge: what this case tries that the notebooks do not (e.g. "pad 2"): when a function fails
    only such cases, the hint names the edge.
    """

    name: str
    dims: dict | tuple = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    dtype: str = "float64"
    visibility: str = HIDDEN
    fixed: Callable[[], dict] | None = None
    scale: dict = field(default_factory=dict)
    shift: dict = field(default_factory=dict)
    draw: dict = field(default_factory=dict)
    numeric: bool = True
    compare: str | Callable = "value"
    weight: float = 1.0
    edge: str = ""

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
    points: per function name. hints: per function name, names of hints (the profile's or the
    generic ones of grader.check.diagnose). across: per function name, hints that read the
    verdicts of all its cases at once (e.g. right at stride 1, wrong at stride 2).
    uses: per function name, other functions (qualified) it calls: a failure there is named.
    same_dtype: out must keep the dtype of the first input (the course requires it there).
    scratch: per function name, the inputs the assignment never reads again after a call (for a
    backward: "dout", or a forward input written through the cache): writing into them is a
    warning, not a failure (docs/grading-policy.md). Every other input must be left unchanged.
    cache: per backward, the cache's documented form (the docstring's), as items of the forward's
    call ("x", "@conv_param"; a single string: the cache is that one item): when the student's
    forward is wrong, the backward is also run on a cache built from the right inputs in that form
    and judged on it.
    compose: per function, {"name": a composition the profile's drivers implement from the
    functions it calls (the given sandwich layers), "module": the module whose names it calls}: a
    failure that equals the composition of the student's own callees is the callees' failure,
    not this function's.
    squeezed: per backward, gradients whose squeezed shape is documented too (an edition's
    docstring; set by Profile.for_edition from Edition.squeezed).
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
    across: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inplace: bool = True
    same_dtype: bool = False
    scratch: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cache: dict[str, tuple[str, ...] | str] = field(default_factory=dict)
    compose: dict[str, dict] = field(default_factory=dict)
    squeezed: dict[str, tuple[str, ...]] = field(default_factory=dict)

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
    scratch: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptimSpec:
    """An update rule `rule(w, dw, config=None) -> (next_w, config)`.

    defaults: every hyperparameter and its default. state: config keys carried between steps
    and their initial value ("zeros" like w, or a number). public: the notebook's single step,
    a function returning (w, dw, config). hidden: non-default hyperparameters for the
    several-step case. defaults_case: also run the rule from config=None (its defaults); off when
    the defaults are given code that differs between a course's years (e.g. adam's initial t).
    """

    module: str
    name: str
    defaults: dict[str, float]
    state: dict[str, Any]
    points: float
    public: Callable[[], tuple] | None = None
    hidden: dict[str, float] = field(default_factory=dict)
    steps: int = 5
    tol: Tol = OPTIM_TOL
    hints: tuple[str, ...] = ()
    defaults_case: bool = True


@dataclass(frozen=True)
class ModelConfig:
    """One way of building a model class, as a test case.

    kwargs: constructor arguments (numpy dtypes written as strings, e.g. "float64").
    input_shape: the shape of one example; N examples, `classes` classes.
    param_scale: how the parent draws the parameter values it installs (scale per name prefix).
    stochastic: the training loss draws random numbers (e.g. dropout masks) that are the
    student's own, so the training loss and gradients are checked against the student's own
    numeric gradient (same seed), not against the reference; plain_kwargs builds the same model
    without the randomness (it must then match the reference).
    fixed: the public case, a function returning {"X", "y", "params"} (arrays).
    edge: what this configuration tries that the notebooks do not (named by the hint when only
    such configurations fail).
    """

    name: str
    kwargs: dict
    input_shape: tuple
    N: int
    classes: int
    regs: tuple[float, ...] = (0.0, 0.7)
    dtype: str = "float64"
    visibility: str = HIDDEN
    stochastic: bool = False
    plain_kwargs: dict = field(default_factory=dict)
    fixed: Callable[[], dict] | None = None
    param_scale: dict = field(default_factory=lambda: {"W": 0.3, "b": 0.1, "gamma": 0.5, "beta": 0.3})
    weight: float = 1.0
    edge: str = ""
    # False: the test-mode scores are not a test (when the course's given code, not the student's,
    # decides how the model runs at test time, e.g. a kit whose loss never puts batchnorm in test mode)
    check_scores: bool = True


@dataclass(frozen=True)
class ModelSpec:
    """A model class with `params` and `loss(X, y=None)`; each config gives the tests
    [config:init], [config:loss], [config:grads] and [config:scores]."""

    module: str
    cls: str
    configs: tuple[ModelConfig, ...]
    points: float
    # Initial parameters by name prefix: "normal" (mean 0, std = the constructor argument
    # `init_std`) or a constant; a prefix not listed starts at 0.
    init: dict = field(default_factory=dict)
    init_std: str = "weight_scale"
    reg_arg: str = "reg"  # the constructor argument giving the L2 regularisation strength
    reg_at: str = "init"  # "loss": reg_arg is an argument of loss(X, y, reg=...) instead
    tol: Tol = VALUE_TOL
    grad_tol: Tol = Tol(float64=1e-6, float32=2e-3)
    # The child's numeric gradient of the student's own loss (diagnostic except when stochastic).
    numeric_tol: Tol = Tol(float64=1e-4, float32=1e-1, floor64=1e-3)
    hints: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckSpec:
    """A check the profile implements and registers by name (statistics, several calls,
    training), attached to the function `qualname` whose points it shares: e.g. the statistics of
    a random mask, running averages, a training loop. See grader.check.plan.Builder for what a
    named check may use."""

    qualname: str
    check: str
    points: float
    options: dict = field(default_factory=dict)
    visibility: str = HIDDEN


Spec = LayerSpec | CallSpec | OptimSpec | ModelSpec | CheckSpec


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
