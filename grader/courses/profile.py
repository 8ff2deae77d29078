"""What a course profile is: every fact the grader knows about one course, as data.

A profile is built by the course's folder (grader/courses/<name>/__init__.py, or any folder
named in $GRADER_COURSES) and loaded, validated and completed by grader.courses. The engine,
the drivers, the sandbox and the pipeline steps read these fields and name no course
function, module or notebook themselves.

Editions are settings of a profile (which functions a year's assignment contains, the names
its constructors use, which notebooks carry accuracy points), never copies of it:
`profile.for_edition(name)` is the profile as that edition grades.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..check.spec import CheckSpec, ModelSpec, qualnames
from ..strip import Markers, STAR_MARKERS

EMPTY: Mapping = MappingProxyType({})


# ----------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class AccuracyFormula:
    """Points for a trained model's accuracy X (in percent), as settings rather than code.

    fraction = (X - offset) / span, with floor(X - offset) first when `floor` is on, clipped to
    [0, 1] when `clip` is on (clip off: extra credit above 1 and nothing below 0 still); span 0
    is a step: 1 from X >= offset on, else 0. bonus_per_point: extra fraction per percentage
    point above bonus_from (e.g. a bonus per point above 56%), added after the clip.
    """

    offset: float
    span: float
    floor: bool = False
    clip: bool = True
    bonus_from: float | None = None
    bonus_per_point: float = 0.0

    def fraction(self, accuracy: float) -> float:
        """The points fraction of an accuracy given as a fraction (0.53 for 53%)."""
        x = 100.0 * float(accuracy)
        if not math.isfinite(x):
            return 0.0
        if self.span == 0:
            f = 1.0 if x >= self.offset - 1e-9 else 0.0
        else:
            d = x - self.offset
            if self.floor:
                d = math.floor(d + 1e-9)  # 60.0 must not floor to 59 by rounding
            f = d / self.span
            f = min(max(f, 0.0), 1.0) if self.clip else max(f, 0.0)
        if self.bonus_from is not None and x > self.bonus_from:
            f += self.bonus_per_point * math.floor(x - self.bonus_from + 1e-9)
        return f

    def target(self) -> float:
        """The accuracy in percent from which the fraction is 1."""
        return self.offset if self.span == 0 else self.offset + self.span

    def describe(self, what: str = "X") -> str:
        if self.span == 0:
            text = f"1 if {what} >= {self.offset:g}% else 0"
        else:
            inner = f"floor({what} - {self.offset:g})" if self.floor else f"({what} - {self.offset:g})"
            text = f"{inner} / {self.span:g}"
            text = f"clip({text}, 0, 1), {what} in percent" if self.clip else f"{text} (at least 0), {what} in percent"
        if self.bonus_from is not None and self.bonus_per_point:
            text += f", plus {self.bonus_per_point:g} per point above {self.bonus_from:g}%"
        return text


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the assignment: executed when grading, its trained model scored.

    file: its file name in the submission (found anywhere inside, beside the package first).
    variable: the kernel variable holding the scored model (None: execute only, no accuracy).
    not_executed: set for a notebook of the course the grader does not run (a PyTorch notebook,
    a submission helper): the results say it was found and why it was not executed.
    classes: the class names that model may have; it is rebuilt with the reference's class
    (profile.models says how). formula: points fraction from the accuracy the grader recomputes
    on `split` ("validation" or "test", the two halves of the real test batch the notebook never
    sees); points: the test's weight.
    """

    file: str
    variable: str | None = None
    classes: tuple[str, ...] = ()
    formula: AccuracyFormula | None = None
    points: float = 0.0
    split: str = "validation"
    not_executed: str = ""  # non-empty: the grader never executes this notebook, and this says why

    def __post_init__(self):
        if self.split not in ("validation", "test"):
            raise ValueError(f"{self.file}: split must be 'validation' or 'test', not {self.split!r}")

    @property
    def executed(self) -> bool:
        return not self.not_executed

    @property
    def stem(self) -> str:
        return self.file[:-6] if self.file.endswith(".ipynb") else self.file

    @property
    def scored(self) -> bool:
        return bool(self.variable) and self.formula is not None


@dataclass(frozen=True)
class NotebookSettings:
    """How notebooks are executed (in the sandbox) and how their models are scored.

    Times are wall seconds: startup_timeout for the kernel to answer, cell_timeout per cell,
    notebook_timeout for one notebook's cells in total, total_timeout for all the notebooks of
    a submission. A cell over its limit is interrupted (interrupt_grace seconds to answer, or
    the kernel counts as hung and the notebook stops). Outputs beyond max_cell_output_bytes per
    cell or max_notebook_bytes per notebook are dropped (noted). env: extra environment of the
    kernel (e.g. (("QUICK", "1"),) for the notebooks' short mode). threads: BLAS threads of the
    kernel (None: every core available).
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
class ScoredModel:
    """How a model class a notebook trains is scored: the kernel exports `params` (numbers only)
    plus the `attributes` named here (small values) and the numeric arrays of `state` (e.g. a
    list of dicts holding running averages); `rebuild(reference, meta, arrays, input_shape,
    num_classes)` makes the reference's model of the same architecture holding those arrays, and
    raises ModelError (grader.score) with what is wrong."""

    rebuild: Callable[..., Any]
    attributes: tuple[str, ...] = ()
    state: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- the data set


@dataclass(frozen=True)
class Dataset:
    """The data set the notebooks train on, and how the grader keeps part of it unseen.

    locate(path): the data's source from an archive or a folder (raises a SetupError saying what
    to fix); default(): where it is when no path is given (None: nowhere); stage(profile,
    source): a folder of what the sandboxed notebooks may read, copied into the working copy as
    `folder` and named to the kernel by the environment variable `env`; holdout(profile,
    source): the held-out images the grader scores on (X and y by split, describe(split)).
    links: paths, relative to the working copy, where the staged folder is also linked, for
    notebooks that hard-code where the data is (the official kits' `cs231n/datasets/...`).
    """

    name: str
    env: str
    folder: str
    locate: Callable[[Path], Any]
    stage: Callable[[Any, Any], Path]
    holdout: Callable[[Any, Any], Any]
    default: Callable[[], Path | None]
    links: tuple[str, ...] = ()  # other places of the working copy the staged folder is linked at


# ----------------------------------------------------------------------------- editions


@dataclass(frozen=True)
class Evidence:
    """What a submission's code must show (files, functions, constructor arguments) to be
    recognised as an edition or a course. Each satisfied item counts one point, each one
    violated (`absent` present) loses one; nothing is imported or run, the files are parsed (or,
    for `text`, searched as text: a file that does not parse still shows its patterns)."""

    files: tuple[str, ...] = ()  # paths relative to the course root ("cs231n/classifiers/fc_net.py")
    functions: tuple[str, ...] = ()  # qualified names that must be defined ("layers.svm_loss")
    absent: tuple[str, ...] = ()  # qualified names that must not be defined
    arguments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "fc_net.FullyConnectedNet" -> __init__ argument names
    # short module name -> {regular expression: whether the module's text matches it}, e.g. a given
    # default that differs between years ({"optim": {r"setdefault\('t', 0\)": True}}); read as text
    text: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # "fc_net.FullyConnectedNet" -> {"dropout": 1}: literal __init__ defaults


@dataclass(frozen=True)
class Edition:
    """One year's (or term's) version of a course, as a setting of its profile.

    absent: qualified names the edition's assignment does not contain (neither graded nor
    counted in max_score), or single cases of a function as "qualname[case]" (a model config
    or a case the edition's assignment does not ask for, e.g. "fc_net.FullyConnectedNet[dropout]").
    renames: per class, constructor arguments the edition names differently
    ({"fc_net.FullyConnectedNet": {"dropout_keep_ratio": "dropout"}}): the student's class is
    called with the edition's names, the reference with the profile's. complement: per class,
    constructor arguments whose value the edition gives as 1 - the profile's (a probability of
    keeping where the profile's is of dropping: {"fc_net.FullyConnectedNet": ("dropout",)}).
    options: per named check (CheckSpec.check), options that replace the profile's for this
    edition ({"dropout_forward": {"keep": True}}). notebooks: the edition's notebooks (None: the
    profile's). evidence: how a submission shows it. edits: text substitutions turning the
    reference into a solved submission of the edition (its API names), for the catalogue, the
    demo and the profile contract test. compat: the compatibility shims its submissions are
    graded with (None: the profile's). squeezed: per backward ("layers.spatial_groupnorm_backward"),
    gradients whose docstring states the squeezed shape ((C,) where the notebook passes gamma as
    (1, C, 1, 1)): that shape is accepted too.
    """

    name: str
    years: tuple[int, ...] = ()
    description: str = ""
    absent: tuple[str, ...] = ()
    renames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    complement: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notebooks: tuple[NotebookSpec, ...] | None = None
    evidence: Evidence = Evidence()
    edits: tuple = ()  # grader.examples.Edit: the reference as a solved submission of this edition reads
    compat: tuple[str, ...] | None = None
    squeezed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def absent_functions(self) -> tuple[str, ...]:
        """The whole functions of `absent` (not its "qualname[case]" entries)."""
        return tuple(q for q in self.absent if "[" not in q)

    @property
    def absent_cases(self) -> dict[str, set[str]]:
        """qualname -> the names of its cases the edition leaves out."""
        out: dict[str, set[str]] = {}
        for q in self.absent:
            if "[" in q and q.endswith("]"):
                name, _, case = q[:-1].partition("[")
                out.setdefault(name, set()).add(case)
        return out


# ----------------------------------------------------------------------------- the profile


@dataclass(frozen=True)
class Package:
    """A package of the course tree. student: it holds editable files (the student's copy is
    taken); else it is given support code, always the reference's. aliases: other names the
    same package has in some terms' kits (a submission's package is found under any of them)."""

    name: str
    student: bool = True
    aliases: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()  # files (relative to the package) that identify it in a submission

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class CoursePaths:
    """Where a course's content lives: its profile folder, reference tree, master notebooks, kit.

    reference is the tree the grader uses: the course's own reference folder (`source`, the one
    an instructor edits), completed with the files it borrows from other courses (Profile.borrows)
    when it borrows any."""

    profile: Path
    reference: Path
    notebooks: Path
    kit: Path
    source: Path | None = None


@dataclass(frozen=True)
class Variant:
    """A modified copy of the reference (text substitutions): a catalogued classic bug
    (`functions` it breaks must each lose points, and one of their failures must show `hint`) or
    an accepted alternative implementation (`functions` it touches all keep full marks; when
    `warning` is given, one of their tests must show it among its warnings: what the assignment
    does not ask, docs/grading-policy.md). editions: the editions it applies to (empty: all).
    not_in: editions whose assignment does not contain what it changes (a bug of the dropout in
    a net is invisible in an edition that grades the net without dropout)."""

    name: str
    edits: tuple  # grader.examples.Edit
    functions: tuple[str, ...] = ()
    hint: str | None = None
    warning: str | None = None
    editions: tuple[str, ...] = ()
    not_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    """A student of the demo class: how to make the submission and what a correct grader concludes."""

    name: str
    story: str
    make: Callable[[Any, Path], Path]  # (profile, folder) -> the submission's path
    full_marks: bool
    broken: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A course: its packages and editable files, the description of every student function,
    its hints, named checks, catalogue of classic bugs and accepted alternatives, scored models,
    notebooks and accuracy formulas, data set, kit README and editions.

    specs: the check descriptions (grader.check.spec), in grading order.
    hints: name -> hint function (grader.check.diagnose's generic hints are always available).
    checks: name -> named check (a function (builder, CheckSpec) adding plans; see
    grader.check.plan) for every CheckSpec.check used. drivers: files of extra sandbox drivers
    the named checks use (standalone, like grader/check/drivers.py). module_deps: per module, the
    course modules it imports (a module hanging on import then blocks only its dependants).
    models: class name -> ScoredModel of the classes notebooks may train.
    readme: a function (profile, report) -> the kit README text.
    notebooks: the master notebooks' specs (notebooks/<name>/); an edition's `notebooks` replace
    them in for_edition (the official notebooks of that year), `masters` keeps them.
    requirements: the modules the course's notebooks import beyond the grader's own (checked
    when grading; each installed with the grader or found in kernel_path, folders of small
    stand-ins for dead packages appended to the kernel's import path).
    total_points: when given, what every edition's points must add up to.
    borrows: files of this course's tree taken verbatim from another course's reference, as
    {"utils/data_utils.py": "cs231n:cs231n/data_utils.py"} (given code shared by courses: one
    copy in the project). builds_on: courses whose reference modules this course's reference
    may import as `_canonical.<package>.<module>` inside its solution blocks (the same maths,
    written once; the kit never sees them). given_fixes: per editable file (course-root path),
    lines of the GIVEN code of the course's own kits that cannot run as they are (Python 2 in a
    kit of that era, or a known bug of a year's kit) and the form the grader runs instead
    ({"cs231n/classifier_trainer.py": {"for it in xrange(num_iters):": "for it in
    range(num_iters):"}}): where a student's file holds such a line verbatim (indentation and a
    trailing comment and runs of blanks aside), the grader runs the fixed form and reports each
    replacement. The student's own lines are never changed.
    accepted_mutants: mutants `grader mutate` may leave alive, each with the reason: a mutant id
    ("layers.relu_backward:comparison:1") or a glob over ids ("layers.relu_backward:comparison:*")
    -> why that wrong implementation may keep full marks (docs/mutate.md).
    compat: compatibility shims applied in the sandbox child before student code runs, so that a
    submission is graded as its students wrote it on the software of their year ("numpy1": the
    names numpy 2 removed, np.reshape's newshape=, int() of a one-element array).
    warning_weights: the instructor's settings: per warning kind (grader.check.judge: "inplace",
    "shape", "ties", ...), the fraction of a test's points a warning of that kind costs (default:
    nothing; docs/grading-policy.md).
    """

    name: str
    title: str
    packages: tuple[Package, ...]
    editable: tuple[str, ...]
    specs: tuple
    module_deps: Mapping[str, tuple[str, ...]]
    hints: Mapping[str, Callable] = field(default_factory=dict)
    checks: Mapping[str, Callable] = field(default_factory=dict)
    drivers: tuple[Path, ...] = ()
    models: Mapping[str, ScoredModel] = field(default_factory=dict)
    notebooks: tuple[NotebookSpec, ...] = ()
    notebook_settings: NotebookSettings = NotebookSettings()
    dataset: Dataset | None = None
    markers: Markers = STAR_MARKERS
    editions: tuple[Edition, ...] = ()
    default_edition: str | None = None
    mutants: tuple[Variant, ...] = ()
    alternatives: tuple[Variant, ...] = ()
    examples: tuple[Example, ...] = ()
    readme: Callable | None = None
    requirements: tuple[str, ...] = ()  # modules the course's notebooks import: installed, or in kernel_path
    kernel_path: tuple[Path, ...] = ()  # folders appended to the notebook kernel's import path (compatibility shims)
    total_points: float | None = None
    borrows: Mapping[str, str] = field(default_factory=dict)
    builds_on: tuple[str, ...] = ()
    accepted_mutants: Mapping[str, str] = field(default_factory=dict)
    given_fixes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    default: bool = False  # the profile commands use when none is named
    compat: tuple[str, ...] = ()
    warning_weights: Mapping[str, float] = field(default_factory=dict)
    task_timeout: float = 10.0
    import_timeout: float = 20.0
    total_timeout: float = 240.0
    paths: CoursePaths | None = None  # filled in by grader.courses when loaded
    edition: Edition | None = None  # set by for_edition
    own_notebooks: tuple[NotebookSpec, ...] | None = None  # set by for_edition: the masters' specs

    # -- names
    def functions(self) -> list[str]:
        """Qualified names (module.function / module.Class) of everything the profile grades."""
        names: list[str] = []
        for spec in self.specs:
            for q in qualnames(spec):
                if q not in names:
                    names.append(q)
        return names

    @property
    def student_packages(self) -> tuple[Package, ...]:
        return tuple(p for p in self.packages if p.student)

    @property
    def package(self) -> str:
        """The (first) student package's name: the one a kit is found by."""
        return self.student_packages[0].name

    def package_of(self, name: str) -> Package | None:
        return next((p for p in self.packages if name in p.names), None)

    @property
    def anchor_files(self) -> tuple[str, ...]:
        return self.student_packages[0].anchors

    def source(self, rel: str, text: str) -> str:
        """The reference file `rel` (course-root path) as this edition's kit has it: the edition's
        edits (its API names) applied."""
        if self.edition is None or not self.edition.edits:
            return text
        from ..examples import edited

        return edited(text, rel, self.edition.edits)

    def module_file(self, module: str) -> str:
        """'cs231n.classifiers.fc_net' -> 'cs231n/classifiers/fc_net.py' (relative to the course root)."""
        return module.replace(".", "/") + ".py"

    # -- editions
    def edition_names(self) -> list[str]:
        return [e.name for e in self.editions]

    def get_edition(self, name: str | None) -> Edition | None:
        if name is None:
            name = self.default_edition
        if name is None:
            return None
        for e in self.editions:
            if e.name == name or str(name) in (str(y) for y in e.years):
                return e
        raise KeyError(name)

    def for_edition(self, name: str | None = None) -> Profile:
        """The profile as edition `name` grades (None: the default edition; a profile without
        editions is returned as it is). A name may also be one of the edition's years."""
        edition = self.get_edition(name)
        if edition is None or self.edition is edition:
            return self
        absent = set(edition.absent_functions)
        specs = tuple(s for s in self.specs if not set(qualnames(s)) <= absent)
        specs = tuple(_squeezed(_for_edition(_without(s, absent), edition), edition.squeezed) for s in specs)
        return dataclasses.replace(
            self, specs=specs, edition=edition, own_notebooks=self.masters,
            notebooks=self.notebooks if edition.notebooks is None else edition.notebooks)

    @property
    def masters(self) -> tuple[NotebookSpec, ...]:
        """The specs of this project's master notebooks (what a notebook made from the kit is
        scored by), whichever edition the profile grades as."""
        return self.notebooks if self.own_notebooks is None else self.own_notebooks

    def master_spec(self, file: str) -> NotebookSpec | None:
        return next((nb for nb in self.masters if nb.file.lower() == file.lower()), None)

    @property
    def label(self) -> str:
        """'cs231n' or 'cs231n (2021-2024)' for messages and results."""
        return f"{self.name} ({self.edition.name})" if self.edition else self.name

    @property
    def renames(self) -> Mapping[str, Mapping[str, str]]:
        return self.edition.renames if self.edition else EMPTY

    @property
    def compat_shims(self) -> tuple[str, ...]:
        """The compatibility shims this profile's (edition's) submissions are graded with."""
        if self.edition is not None and self.edition.compat is not None:
            return tuple(self.edition.compat)
        return tuple(self.compat)

    @property
    def complement(self) -> Mapping[str, tuple[str, ...]]:
        return self.edition.complement if self.edition else EMPTY

    # -- points
    def points(self) -> dict[str, float]:
        """Points per graded function (value checks and named checks added up)."""
        from ..check.spec import CallSpec, LayerSpec, OptimSpec

        out: dict[str, float] = {}
        for spec in self.specs:
            if isinstance(spec, LayerSpec):
                for f in spec.functions():
                    q = f"{spec.module.rsplit('.', 1)[-1]}.{f}"
                    out[q] = out.get(q, 0.0) + float(spec.points[f])
            elif isinstance(spec, (CallSpec, OptimSpec, ModelSpec)):
                q = qualnames(spec)[0]
                out[q] = out.get(q, 0.0) + float(spec.points)
            elif isinstance(spec, CheckSpec):
                out[spec.qualname] = out.get(spec.qualname, 0.0) + float(spec.points)
        return out

    def max_points(self) -> float:
        return round(sum(self.points().values()) + sum(nb.points for nb in self.notebooks if nb.scored), 4)


def _squeezed(spec, squeezed: Mapping[str, tuple[str, ...]]):
    """A layer description accepting the squeezed shapes an edition's docstring states."""
    from ..check.spec import LayerSpec, short_module

    if not squeezed or not isinstance(spec, LayerSpec):
        return spec
    mod = short_module(spec.module)
    extra = {b: tuple(squeezed[f"{mod}.{b}"]) for b in spec.backward if f"{mod}.{b}" in squeezed}
    if not extra:
        return spec
    return dataclasses.replace(spec, squeezed={**spec.squeezed, **extra})


def _for_edition(spec, edition: Edition):
    """A spec without the cases the edition leaves out ("qualname[case]" in its absent) and with
    the edition's options of its named check."""
    if isinstance(spec, CheckSpec):
        extra = edition.options.get(spec.check)
        return dataclasses.replace(spec, options={**spec.options, **extra}) if extra else spec
    cases = set()
    for q in qualnames(spec):
        cases |= edition.absent_cases.get(q, set())
    if not cases:
        return spec
    if isinstance(spec, ModelSpec):
        return dataclasses.replace(spec, configs=tuple(c for c in spec.configs if c.name not in cases))
    if hasattr(spec, "cases"):
        return dataclasses.replace(spec, cases=tuple(c for c in spec.cases if c.name not in cases))
    return spec


def _without(spec, absent: set[str]):
    """A spec with the functions of `absent` taken out of its `uses` (not graded this edition)."""
    uses = getattr(spec, "uses", None)
    if not uses or not absent:
        return spec
    if isinstance(uses, Mapping):
        new = {k: tuple(u for u in v if u not in absent) for k, v in uses.items()}
    else:
        new = tuple(u for u in uses if u not in absent)
    return dataclasses.replace(spec, uses=new)


__all__ = [
    "AccuracyFormula", "CoursePaths", "Dataset", "Edition", "Evidence", "Example", "NotebookSettings",
    "NotebookSpec", "Package", "Profile", "ScoredModel", "Variant", "field",
]
