"""The public checks of the student kit: stored expectations, and `grader check`'s run of them.

Writing (instructor side, `grader build-template`): the engine builds every plan of the profile;
the plans whose tests are all "visible" (the notebooks' public cases, the same for every submission)
are the public subset. Their inputs and the reference's answers on them are stored in the kit
(answers only where a judge compares with them: dropout statistics and the Solver's overfitting
run are judged from the student's own outputs):

    public_checks/manifest.json     profile, tasks (name, driver, params, tests, input and output
                                    keys), tolerances of each function, model parameter shapes
    public_checks/expectations.npz  in/<task>/<key> inputs, out/<task>/<key> expected outputs

Only numbers leave the reference: no code, no pickles (plain numeric arrays, loadable with
allow_pickle=False), and never a hidden case's inputs. Both files are written deterministically
(sorted JSON; a zip written member by member with fixed dates and no compression).

The expected values pass through BLAS and SIMD code, whose last bits depend on the machine
(processor, BLAS kernel, thread count, numpy build): the measured differences between kernels
reach 4.4e-14 of an array's largest magnitude, and arrays that are zero up to rounding (the
gradient of a bias followed by batchnorm) change sign. So the stored expected values are put on
a grid tied to the scale of the data (`quantise_outputs`):

- each array is a multiple of its grid step 2^(e - GRID_BITS), where 2^(e-1) <= max|array| < 2^e:
  an error below 2^-GRID_BITS = 5.7e-14 of the array's largest magnitude, under 6% of the
  tightest judge's budget (a relative error of 1e-6 over a floor of 1e-6 * max|expected|, for an
  entry near zero), and entries far below the array's scale become exact (positive) zeros;
- an array whose largest magnitude is below ZERO_BELOW (2^-44) times its task's scale (the
  largest magnitude among the task's expected arrays) is zero up to rounding and stored as
  zeros: rounding noise sits near 1e-17 of the task's scale, real values at 1e-9 and above.

The inputs are stored exactly (no arithmetic of the machine's makes them). A rebuild on another
machine may still move a value by a grid step or so; `grader build-template --check` therefore
compares the stored expected values numerically (`diff_expectations`: at most CHECK_STEPS grid
steps of the larger of the two arrays' scales, ≤ 2^-40 ≈ 9.1e-13 of it) and everything else byte
for byte, naming the first difference.

Checking (student side, `grader check`): no reference is needed. `StoredOracle` answers the
engine's oracle questions from those files, so the very same builder, judges, hints and cross-test
notes of the engine judge the student's code, which runs in the sandbox as in grading.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..courses import get_profile
from ..courses.profile import Profile
from ..errors import SetupError
from ..results import TestRecord
from ..sandbox import Limits, Task
from .judge import Verdict
from .oracle import ReferenceOracle
from .plan import Builder, Plan, build
from .run import run_and_judge
from .spec import NUMERIC_TOL, VISIBLE, CallSpec, CheckSpec, LayerSpec, ModelSpec, OptimSpec

EXPECTATIONS_DIR = "public_checks"
MANIFEST = "manifest.json"
ARRAYS = "expectations.npz"
FORMAT = 1
GRID_BITS = 44  # the stored expected values: multiples of 2^-44 of the array's scale (float64 has 52 bits)
ZERO_BELOW = 2.0**-GRID_BITS  # an array below this fraction of its task's scale is stored as zeros
CHECK_STEPS = 8  # `build-template --check`: stored expected values may differ by this many grid steps
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the kit
MAX_MANIFEST_BYTES = 4 << 20
MAX_ARRAYS_BYTES = 64 << 20


class ExpectationsError(SetupError):
    """Stored public expectations that cannot be used; the message says what to do."""

    NOT_FOUND = ("no public checks found: looked for {name}/{manifest} in {where}. Run `grader check` in the "
                 "folder of your assignment kit (the one holding {name}/ and your package), or give "
                 "that folder: `grader check PATH`")
    BAD = "{path}: not usable public checks ({detail}); get a fresh copy of {name}/ from your course's kit"
    STALE = ("{path}: these public checks were made for another version of the grader ({detail}); install the "
             "grader version your course gives, or get the kit's current {name}/ folder")
    NO_PACKAGE = ("{kit}: no {package} package found beside {name}/ (none of {anchors} anywhere inside); "
                  "keep the kit's layout: your package next to {name}/")
    NO_REFERENCE = "the public checks never need the reference ({what}): this is a grader bug"
    OTHER_REFERENCE = ("the public expectations come from the reference in {ref}, but the kit is built from another "
                       "one ({first}); give the writer the reference folder the kit is built from")

    def __init__(self, template: str, **fields):
        self.fields = fields
        super().__init__(template.format(name=EXPECTATIONS_DIR, manifest=MANIFEST, **fields))


# ----------------------------------------------------------------------------- the public subset


def public_plans(b: Builder) -> list[Plan]:
    """The plans all of whose tests are visible: what the kit stores and `grader check` runs."""
    return [p for p in b.plans if p.tests and all(t.visibility == VISIBLE for t in p.tests)]


def _plain(obj):
    """JSON-able copy: tuples to lists, numpy scalars to Python numbers."""
    return json.loads(json.dumps(obj, default=lambda o: o.item() if isinstance(o, np.generic) else list(o)))


def _tol(t) -> dict:
    return {"float64": t.float64, "float32": t.float32, "floor64": t.floor64, "floor32": t.floor32}


def _tolerances(spec) -> dict[str, dict]:
    """Qualified name -> the tolerances its judges use (recorded so the kit data explains itself;
    the judging uses the installed grader's profile)."""
    mod = spec.module.rsplit(".", 1)[-1] if hasattr(spec, "module") else ""
    if isinstance(spec, LayerSpec):
        out = {f"{mod}.{spec.forward}": {"out": _tol(spec.tol)}}
        for b in spec.backward:
            out[f"{mod}.{b}"] = {"grads": _tol(spec.grad_tol), "numeric (own forward)": _tol(NUMERIC_TOL)}
        return out
    if isinstance(spec, CallSpec):
        return {f"{mod}.{spec.name}": {"outputs": _tol(spec.tol), "numeric (own loss)": _tol(NUMERIC_TOL)}}
    if isinstance(spec, OptimSpec):
        return {f"{mod}.{spec.name}": {"next_w and config": _tol(spec.tol)}}
    if isinstance(spec, ModelSpec):
        return {f"{mod}.{spec.cls}": {"loss and scores": _tol(spec.tol), "grads": _tol(spec.grad_tol),
                                      "numeric (own loss)": _tol(spec.numeric_tol)}}
    if isinstance(spec, CheckSpec):
        return {spec.qualname: {}}
    raise TypeError(f"not a check description: {spec!r}")


def grid_step(scale: float) -> float:
    """The grid step of an array whose largest magnitude is `scale`: 2^(e - GRID_BITS) with
    2^(e-1) <= scale < 2^e (0.0 for scale 0)."""
    if scale == 0.0:
        return 0.0
    _, e = math.frexp(scale)
    return math.ldexp(1.0, e - GRID_BITS)


def quantised(a) -> np.ndarray:
    """`a` as float64 on its grid: each entry rounded (half to even) to the nearest multiple of
    grid_step(max|a|), with exact binary operations only, so that every machine rounds alike;
    zeros are +0.0."""
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("expected values must be finite")
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    if scale == 0.0:
        return np.zeros_like(a)
    _, e = math.frexp(scale)
    # a * 2^(GRID_BITS - e) is below 2^GRID_BITS in magnitude: rint is exact there, and so is
    # scaling back; adding 0.0 turns the -0.0 of a small negative entry into +0.0
    return np.ldexp(np.rint(np.ldexp(a, GRID_BITS - e)), e - GRID_BITS) + 0.0


def quantise_outputs(outputs: dict) -> dict[str, np.ndarray]:
    """The expected arrays of one task as stored: each on its own grid (`quantised`), and those
    whose largest magnitude is below ZERO_BELOW times the task's scale (zero up to rounding) as
    zeros. Raises ValueError naming a non-finite array."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in outputs.items()}
    for k, v in arrays.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"expected value {k!r} is not finite")
    peaks = {k: float(np.max(np.abs(v))) if v.size else 0.0 for k, v in arrays.items()}
    task_scale = max(peaks.values(), default=0.0)
    return {k: np.zeros_like(v) if peaks[k] < ZERO_BELOW * task_scale else quantised(v)
            for k, v in arrays.items()}


# ----------------------------------------------------------------------------- writing


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)  # 0-d stays 0-d
    return buf.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz (np.load(allow_pickle=False) reads it) whose bytes depend on the arrays only:
    members in sorted order, stored uncompressed (zlib builds differ), fixed dates and modes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            arr = np.asarray(arrays[key])
            if arr.dtype.hasobject or arr.dtype.kind not in "biuf":
                raise TypeError(f"{key}: only numeric arrays are stored, got dtype {arr.dtype}")
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, whatever the building machine
            info.external_attr = 0o644 << 16
            zf.writestr(info, _npy(arr))
    return buf.getvalue()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write npz_bytes(arrays) to `path`."""
    Path(path).write_bytes(npz_bytes(arrays))


def expectations_data(profile: Profile, *, oracle=None, reference: Path | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, arrays) of the profile's public subset, the expected values from `oracle`
    (default: the trusted reference in the folder `reference`, or the profile's, run in this process)."""
    prof = profile
    oracle = oracle or ReferenceOracle(prof, root=reference)
    b = build(prof, 0, oracle)  # the seed only draws hidden inputs, which are dropped
    plans = public_plans(b)
    arrays: dict[str, np.ndarray] = {}
    tasks: list[dict] = []
    seen: set[str] = set()
    for p in plans:
        t = p.task
        if t.name in seen:  # the arrays are filed by task name
            raise ValueError(f"two public tasks named {t.name}")
        seen.add(t.name)
        outputs, info = oracle.expected(t) if p.expected else ({}, {})  # statistics need no answers
        for k, v in t.arrays.items():
            arrays[f"in/{t.name}/{k}"] = np.asarray(v)
        try:
            stored = quantise_outputs(outputs)
        except ValueError as exc:
            raise ValueError(f"{t.name}: {exc}") from None
        for k, v in stored.items():
            arrays[f"out/{t.name}/{k}"] = v
        tasks.append({
            "name": t.name,
            "driver": t.driver,
            "params": _plain(t.params),
            "timeout": t.timeout,
            "modules": list(p.modules),
            "tests": [{"name": d.name, "function": d.function, "case": d.case, "visibility": d.visibility}
                      for d in p.tests],
            "inputs": {k: {"dtype": str(np.asarray(v).dtype), "shape": list(np.shape(v))}
                       for k, v in sorted(t.arrays.items())},
            "outputs": {k: list(np.shape(v)) for k, v in sorted(outputs.items())},
            "info": _plain(info),
        })
    checked = [d.function for p in plans for d in p.tests]
    functions = {}
    for spec in prof.specs:
        for q, tols in _tolerances(spec).items():
            if q in checked:
                functions.setdefault(q, {}).update(tols)
    models = []
    for spec in prof.specs:
        if isinstance(spec, ModelSpec):
            for cfg in spec.configs:
                if cfg.visibility == VISIBLE:
                    kwargs = _plain(cfg.kwargs)
                    shapes = oracle.param_shapes(spec.module, spec.cls, kwargs)
                    models.append({"module": spec.module, "cls": spec.cls, "kwargs": kwargs,
                                   "param_shapes": {k: list(v) for k, v in sorted(shapes.items())}})
    manifest = {
        "format": FORMAT,
        "what": "public checks of the student kit, written by `grader build-template`; do not edit",
        "profile": prof.name,
        "edition": prof.edition.name if prof.edition else None,
        "package": prof.package,
        "arrays": ARRAYS,
        "expected_values": {
            "grid_bits": GRID_BITS,
            "zero_below": ZERO_BELOW,
            "check_steps": CHECK_STEPS,
            "rule": ("each out/ array is a multiple of 2^(e - grid_bits), 2^(e-1) <= max|array| < 2^e; an array "
                     "below zero_below times its task's largest expected magnitude is stored as zeros; "
                     "`grader build-template --check` accepts check_steps grid steps of difference"),
        },
        "functions": {q: {"tolerances": functions[q]} for q in sorted(functions)},
        "no_public_checks": [q for q in prof.functions() if q not in functions],
        "tasks": tasks,
        "models": models,
    }
    return manifest, arrays


def write_public_expectations(kit: Path, *, profile: Profile, oracle=None, reference: Path | None = None) -> list[Path]:
    """Write kit/public_checks/ (manifest.json and expectations.npz); returns the files written.
    The answers come from `oracle`, else from the reference in the folder `reference` (default:
    the profile's)."""
    manifest, arrays = expectations_data(profile, oracle=oracle, reference=reference)
    folder = Path(kit) / EXPECTATIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_npz(folder / ARRAYS, arrays)
    text = json.dumps(manifest, indent=1, sort_keys=True, allow_nan=False) + "\n"
    (folder / MANIFEST).write_bytes(text.encode("utf-8"))
    return [folder / MANIFEST, folder / ARRAYS]


def reference_mismatches(kit: Path, profile: Profile, *, reference: Path | None = None) -> list[str]:
    """Files of the kit's packages that do not come from the reference in the folder `reference`
    (default: the profile's): the answers would belong to another reference than the kit's code."""
    from ..strip import strip_solutions

    prof = profile
    root = Path(reference or prof.paths.reference)
    bad = []
    for package in prof.packages:
        for path in sorted((Path(kit) / package.name).rglob("*.py")):
            rel = path.relative_to(kit).as_posix()
            src = root / rel
            if not src.is_file():
                bad.append(f"{rel}: not in {root}")
                continue
            text = prof.source(rel, src.read_text(encoding="utf-8"))
            want = strip_solutions(text, rel, markers=prof.markers) if rel in prof.editable else text
            if path.read_text(encoding="utf-8") != want:
                bad.append(f"{rel}: differs from {src}")
    return bad


@dataclass(frozen=True)
class PublicExpectationsWriter:
    """The kit generator's expectations writer: `writer(kit_folder)`. The answers come from the
    reference package in the folder `reference` (None: the one the grader loads, reference_dir()),
    which must be the one the kit is built from: a kit whose code comes from another reference
    is refused (TemplateError)."""

    profile: Profile
    reference: Path | None = None

    @property
    def comparators(self) -> dict[str, object]:
        """The files this writer compares itself when a kit is checked against a fresh build
        (kit-relative path -> compare(fresh, committed) -> first difference or None): the
        expected values numerically, within a tolerance (see diff_expectations)."""
        return {f"{EXPECTATIONS_DIR}/{ARRAYS}": diff_expectations}

    def __call__(self, kit: Path) -> list[Path]:
        bad = reference_mismatches(Path(kit), self.profile, reference=self.reference)
        if bad:
            raise ExpectationsError(ExpectationsError.OTHER_REFERENCE, ref=self.reference or self.profile.paths.reference,
                                    first=bad[0])
        return write_public_expectations(Path(kit), profile=self.profile, reference=self.reference)


# ----------------------------------------------------------------------------- reading


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz read as untrusted data: size-capped, allow_pickle=False, numeric only.
    Raises ValueError with what is wrong."""
    try:
        if Path(path).stat().st_size > MAX_ARRAYS_BYTES:
            raise ValueError("too large")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"not a readable npz of plain arrays ({str(exc) or type(exc).__name__})") from None
    for key, arr in arrays.items():
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"array {key} is not numeric (dtype {arr.dtype})")
    return arrays


def _shown(x) -> str:
    return repr(x.item() if isinstance(x, np.generic) else x)


def _index(shape: tuple, flat: int) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + "]" if shape else ""


def check_tolerance(scale: float) -> float:
    """What `--check` accepts between a stored expected array and a fresh one whose larger
    largest magnitude is `scale`: CHECK_STEPS grid steps, at most 2^-40 (9.1e-13) of `scale`."""
    return CHECK_STEPS * grid_step(scale)


def diff_expectations(fresh: Path, committed: Path) -> str | None:
    """The first difference of the committed expectations.npz from a fresh one, in words (None
    when they agree): the expected values (out/...) numerically, within check_tolerance() of the
    larger of the two arrays' largest magnitudes; everything else exactly (the keys, every dtype
    and shape, the inputs' bytes, and the file's own layout, which must be write_npz's)."""
    try:
        new = _load_npz(fresh)
    except ValueError as exc:
        return f"the fresh build is {exc}"
    try:
        old = _load_npz(committed)
    except ValueError as exc:
        return f"the committed file is {exc}"
    for key in sorted(set(new) | set(old)):
        if key not in old:
            return f"{key}: missing from the committed kit"
        if key not in new:
            return f"{key}: in the committed kit but not in a fresh build"
        a, b = new[key], old[key]
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{key}: committed {b.dtype} {b.shape}, fresh {a.dtype} {a.shape}"
        if key.startswith("out/") and a.dtype.kind == "f":
            if not np.all(np.isfinite(b)):
                flat = int(np.argmax(~np.isfinite(b).ravel()))
                return f"{key}{_index(b.shape, flat)}: committed {_shown(b.ravel()[flat])}, not a finite number"
            fa, fb = a.astype(np.float64), b.astype(np.float64)
            scale = max(float(np.max(np.abs(fa))), float(np.max(np.abs(fb)))) if a.size else 0.0
            tol = check_tolerance(scale)
            gap = np.abs(fa - fb)
            if np.any(gap > tol):
                flat = int(np.argmax((gap > tol).ravel()))
                return (f"{key}{_index(a.shape, flat)}: committed {_shown(b.ravel()[flat])}, fresh "
                        f"{_shown(a.ravel()[flat])}, {float(gap.ravel()[flat]):.3g} apart (tolerance {tol:.3g}: "
                        f"{CHECK_STEPS} grid steps of 2^-{GRID_BITS} of the array's scale {scale:.6g})")
        elif a.tobytes() != b.tobytes():
            # byte by byte per entry: -0.0 against 0.0 differs too
            bytes_a = np.ascontiguousarray(a).view(np.uint8).reshape(a.size, -1)
            bytes_b = np.ascontiguousarray(b).view(np.uint8).reshape(b.size, -1)
            flat = int(np.argmax((bytes_a != bytes_b).any(axis=1)))
            return (f"{key}{_index(a.shape, flat)}: committed {_shown(b.ravel()[flat])}, fresh "
                    f"{_shown(a.ravel()[flat])} (compared exactly)")
    if npz_bytes(old) != Path(committed).read_bytes():
        return "same arrays, but not written as `grader build-template` writes them (zip layout, dates or order)"
    return None




@dataclass
class StoredExpectations:
    """The kit's public checks as loaded: the manifest, and per task its inputs and expected outputs."""

    folder: Path
    manifest: dict
    inputs: dict[str, dict[str, np.ndarray]]
    outputs: dict[str, dict[str, np.ndarray]]

    @property
    def profile(self) -> str:
        return self.manifest["profile"]

    @property
    def tasks(self) -> dict[str, dict]:
        return {t["name"]: t for t in self.manifest["tasks"]}

    def functions(self) -> list[str]:
        """Qualified names with public checks, in the profile's order."""
        seen: list[str] = []
        for t in self.manifest["tasks"]:
            for d in t["tests"]:
                if d["function"] not in seen:
                    seen.append(d["function"])
        return seen

    @classmethod
    def load(cls, folder: Path) -> StoredExpectations:
        folder = Path(folder)
        mpath, apath = folder / MANIFEST, folder / ARRAYS

        def bad(detail: str, path: Path = mpath) -> ExpectationsError:
            return ExpectationsError(ExpectationsError.BAD, path=path, detail=detail)

        try:
            if mpath.stat().st_size > MAX_MANIFEST_BYTES:
                raise bad("manifest too large")
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise bad(str(exc)) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            got = manifest.get("format") if isinstance(manifest, dict) else None
            raise ExpectationsError(ExpectationsError.STALE, path=mpath, detail=f"format {got!r}, this grader reads {FORMAT}")
        try:
            for key in ("profile", "package", "tasks", "models", "no_public_checks"):
                if key not in manifest:
                    raise bad(f"no {key!r} in the manifest")
            for t in manifest["tasks"]:
                for key in ("name", "driver", "params", "tests", "inputs", "outputs", "info"):
                    if key not in t:
                        raise bad(f"no {key!r} in a task of the manifest")
            for m in manifest["models"]:
                if not {"module", "cls", "kwargs", "param_shapes"} <= set(m):
                    raise bad("a model of the manifest lacks module, cls, kwargs or param_shapes")
        except (TypeError, KeyError, ValueError) as exc:
            raise bad(f"malformed manifest: {exc!r}") from None
        inputs: dict[str, dict] = {t["name"]: {} for t in manifest["tasks"]}
        outputs: dict[str, dict] = {t["name"]: {} for t in manifest["tasks"]}
        try:
            if apath.stat().st_size > MAX_ARRAYS_BYTES:
                raise bad("arrays file too large", apath)
            with np.load(apath, allow_pickle=False) as npz:
                for key in npz.files:
                    side, _, rest = key.partition("/")
                    task, _, name = rest.rpartition("/")
                    where = {"in": inputs, "out": outputs}.get(side, {})
                    if task not in where:
                        raise bad(f"array {key!r} belongs to no task", apath)
                    arr = npz[key]
                    if arr.dtype.kind not in "biuf":
                        raise bad(f"array {key!r} is not numeric", apath)
                    where[task][name] = arr
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # ExpectationsError passes through
            raise bad(str(exc) or type(exc).__name__, apath) from None
        for t in manifest["tasks"]:
            name = t["name"]
            if set(inputs[name]) != set(t["inputs"]) or set(outputs[name]) != set(t["outputs"]):
                raise bad(f"the arrays of {name} do not match the manifest", apath)
        return cls(folder, manifest, inputs, outputs)

    def adopt(self, plans: list[Plan]) -> None:
        """Check that freshly built public plans are the stored ones (same tests, drivers, params,
        input names) and give them the stored inputs, which the stored answers belong to.
        Raises ExpectationsError(STALE) when the installed grader's profile differs."""
        stored = self.tasks
        where = self.folder / MANIFEST
        for p in plans:
            t = stored.get(p.task.name)
            if t is None:
                raise ExpectationsError(ExpectationsError.STALE, path=where, detail=f"no stored check {p.task.name}")
            what = []
            if t["driver"] != p.task.driver:
                what.append("driver")
            if t["params"] != _plain(p.task.params):
                what.append("parameters")
            if [d["name"] for d in t["tests"]] != [d.name for d in p.tests]:
                what.append("tests")
            if set(t["inputs"]) != set(p.task.arrays):
                what.append("inputs")
            if what:
                raise ExpectationsError(ExpectationsError.STALE, path=where,
                                        detail=f"{p.task.name}: different {', '.join(what)}")
            # in place: a judge may hold the very dict
            p.task.arrays.clear()
            p.task.arrays.update({k: np.array(v) for k, v in self.inputs[p.task.name].items()})


class StoredOracle:
    """The engine's oracle from stored expectations: the answers the reference gave on the public
    inputs when the kit was built. Only the public plans are ever judged with it."""

    def __init__(self, stored: StoredExpectations):
        self.stored = stored
        self._shapes = {
            json.dumps([m["module"], m["cls"], m["kwargs"]], sort_keys=True): {k: tuple(v) for k, v in m["param_shapes"].items()}
            for m in stored.manifest["models"]
        }
        self._info = {t["name"]: t["info"] for t in stored.manifest["tasks"]}

    def expected(self, task: Task) -> tuple[dict, dict]:
        if not self.stored.outputs.get(task.name):  # none stored: its judge needs no reference answer
            raise ExpectationsError(ExpectationsError.STALE, path=self.stored.folder / MANIFEST,
                                    detail=f"no stored answer for {task.name}")
        outputs = {k: np.array(v, dtype=np.float64) for k, v in self.stored.outputs[task.name].items()}
        return outputs, json.loads(json.dumps(self._info[task.name]))

    def param_shapes(self, module: str, cls: str, kwargs: dict) -> dict[str, tuple]:
        """The stored shapes of a public model configuration; {} for any other (the builder asks
        about hidden configurations too, whose plans are dropped before anything runs)."""
        return dict(self._shapes.get(json.dumps([module, cls, _plain(kwargs)], sort_keys=True), {}))

    def model(self, module: str, cls: str, kwargs: dict):
        raise ExpectationsError(ExpectationsError.NO_REFERENCE, what=f"a reference {cls}")


def find_expectations(start: Path) -> tuple[Path | None, list[Path]]:
    """(the public_checks folder for a kit at or above `start`, or None; the folders looked in)."""
    start = Path(start).resolve()
    looked = []
    for folder in (start, *start.parents):
        looked.append(folder)
        if (folder / EXPECTATIONS_DIR / MANIFEST).is_file():
            return folder / EXPECTATIONS_DIR, looked
    return None, looked


# ----------------------------------------------------------------------------- running


@dataclass
class PublicRun:
    tests: list[TestRecord]
    seconds: float
    unchecked: list[str]
    report: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.status == "passed" for t in self.tests)

    def counts(self) -> dict[str, int]:
        c = {"passed": 0, "failed": 0, "error": 0, "not_implemented": 0}
        for t in self.tests:
            c["not_implemented" if t.not_implemented else t.status] += 1
        return c


class UnknownCheck(SetupError):
    """An --only name that names no function with public checks (the message lists the valid ones)."""


def resolve_only(names: Iterable[str], stored: StoredExpectations) -> set[str]:
    """Qualified names for --only values: `layers.affine_forward`, `affine_forward`, or the module's
    full path (`classifiers.fc_net.TwoLayerNet`). UnknownCheck lists the valid names."""
    valid = stored.functions()
    chosen: set[str] = set()
    for raw in names:
        name = raw.strip()
        hits = [q for q in valid if name in (q, q.split(".", 1)[1]) or name.endswith("." + q)]
        if len(hits) == 1:
            chosen.add(hits[0])
            continue
        if len(hits) > 1:
            raise UnknownCheck(f"{raw!r} is ambiguous: {', '.join(hits)}")
        hidden = [q for q in stored.manifest["no_public_checks"] if name in (q, q.split(".", 1)[1])]
        why = (f"{hidden[0]} has no public check (it is graded on hidden inputs only)" if hidden
               else f"no public check is named {raw!r}")
        raise UnknownCheck(f"{why}; valid names: {', '.join(valid)}")
    return chosen


def stored_profile(stored: StoredExpectations) -> Profile:
    """The profile (and edition) a kit's public checks were written for; STALE when unknown here."""
    try:
        return get_profile(stored.profile, stored.manifest.get("edition"))
    except SetupError as exc:
        raise ExpectationsError(ExpectationsError.STALE, path=stored.folder / MANIFEST, detail=str(exc)) from None


def run_public(workdir: Path, stored: StoredExpectations, *, only: set[str] | None = None,
               limits: Limits | None = None) -> PublicRun:
    """The engine's probe, run and judge steps on the public subset, judged with the stored expectations."""
    started = time.monotonic()
    prof = stored_profile(stored)
    oracle = StoredOracle(stored)
    b = build(prof, 0, oracle, only)
    plans = public_plans(b)
    if only:
        plans = [p for p in plans if any(d.function in only for d in p.tests)]
    else:
        gone = sorted(set(stored.tasks) - {p.task.name for p in plans})
        if gone:
            raise ExpectationsError(ExpectationsError.STALE, path=stored.folder / MANIFEST,
                                    detail=f"this grader has no public check {gone[0]}")
    stored.adopt(plans)  # and a public check this grader has but the kit lacks is stale too
    names = {d.name for p in plans for d in p.tests}
    b.plans, b.aggregates = plans, []
    b.defs = [d for d in b.defs if d.name in names]
    verdicts, _, report = run_and_judge(b, workdir, limits=limits)
    tests = []
    for d in b.defs:
        v = verdicts.get(d.name) or Verdict("error", "no result (grader bug)")
        rel = v.rel_error if v.rel_error is not None and math.isfinite(v.rel_error) else None
        tests.append(TestRecord(d.name, v.status, 0.0, 0.0, rel, v.output, d.visibility, function=d.function,
                                not_implemented=bool(v.not_implemented),  # the public run scores nothing
                                warnings=[f"{kind}: {text}" for kind, text in v.warnings]))
    unchecked = [q for q in stored.manifest["no_public_checks"] if not only]
    return PublicRun(tests, time.monotonic() - started, unchecked, report)


def check_kit(path: Path, *, only: Iterable[str] = (), limits: Limits | None = None) -> tuple[PublicRun, dict]:
    """`grader check`: find the kit and its public checks at or around `path`, run them on the
    kit's package in the sandbox. Returns (run, where: kit/package/expectations folders).
    Raises ExpectationsError for set-up problems (no kit, no or stale expectations) and
    UnknownCheck for an unknown --only name."""
    from ..courses import profiles
    from ..submission import assemble_workdir, find_package

    path = Path(path).resolve()  # "." has no name: the package's folder name is its import name
    if not path.is_dir():
        raise ExpectationsError(ExpectationsError.NOT_FOUND, where=f"{path} (not a folder)")
    folder, looked = find_expectations(path)
    if folder is None:
        for prof in profiles():  # a kit whose package was given instead of the kit's folder
            pkg = find_package(path, prof.student_packages[0].names, prof.anchor_files)
            if pkg is not None and (pkg.parent / EXPECTATIONS_DIR / MANIFEST).is_file():
                folder = pkg.parent / EXPECTATIONS_DIR
                break
        else:
            raise ExpectationsError(ExpectationsError.NOT_FOUND, where=f"{looked[0]} and the folders above it")
    stored = StoredExpectations.load(folder)
    prof = stored_profile(stored)
    chosen = resolve_only(only, stored) if only else None
    kit = folder.parent
    found = {}
    for package in prof.student_packages:
        pkg = find_package(path, package.names, package.anchors)
        if pkg is None or not pkg.resolve().is_relative_to(kit.resolve()):
            pkg = find_package(kit, package.names, package.anchors)
        if pkg is None:
            raise ExpectationsError(ExpectationsError.NO_PACKAGE, kit=kit, package=package.name,
                                    anchors=", ".join(package.anchors))
        found[package.name] = pkg
    scratch = Path(tempfile.mkdtemp(prefix="grader-check-"))
    try:
        # the kit's own files stand in for the reference's given files: nothing else is needed
        work = assemble_workdir(prof, found, scratch / "work", reference=kit)
        run = run_public(work.path, stored, only=chosen, limits=limits)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return run, {"kit": str(kit), "package": str(found[prof.package]), "expectations": str(folder),
                 "profile": prof.name}


# ----------------------------------------------------------------------------- showing


_LABEL = {"passed": "pass", "failed": "FAIL", "error": "ERROR"}
_STYLE = {"pass": "green", "FAIL": "bold red", "ERROR": "bold red", "todo": "yellow"}


def _label(t: dict) -> str:
    return "todo" if t.not_implemented else _LABEL[t.status]


def _shown_name(name: str) -> str:
    """`layers.affine_forward[public]` -> `layers.affine_forward`; `fc_net.TwoLayerNet[public:loss]`
    -> `fc_net.TwoLayerNet[loss]`; `...[public_batchnorm:loss]` -> `...[batchnorm:loss]` (every
    case here is a public one)."""
    return name.replace("[public]", "").replace("[public:", "[").replace("[public_", "[")


def _err(t) -> str:
    return "" if t.rel_error is None else f"{t.rel_error:.1e}"


def summary(run: PublicRun) -> str:
    c = run.counts()
    parts = [f"{c['passed']} passed"]
    parts += [f"{c[k]} {k.replace('_', ' ')}" for k in ("failed", "error", "not_implemented") if c[k]]
    warned = sum(bool(t.warnings) for t in run.tests)
    if warned:
        parts.append(f"{warned} with warnings (no points lost)")
    return f"{', '.join(parts)} (of {len(run.tests)} public checks) in {run.seconds:.1f} s"


def footer(run: PublicRun) -> list[str]:
    lines = [summary(run)]
    if run.unchecked:
        lines.append("no public check (graded on hidden inputs only): " + ", ".join(run.unchecked))
    if run.passed:
        lines.append("all public checks pass; grading adds hidden inputs, gradient checks and trained accuracy")
    return lines


def render_plain(run: PublicRun, width: int = 120) -> str:
    """The table without colour (pipes, logs, tests)."""
    rows = [(_shown_name(t.name), _label(t), _err(t), " ".join(t.output.split())) for t in run.tests]
    name_w = max([len(r[0]) for r in rows] + [len("function")])
    lines = [f"{'function':<{name_w}}  {'status':<6} {'error':>8}  hint"]
    room = max(width - name_w - 19, 30)
    for (name, label, err, out), t in zip(rows, run.tests):
        if len(out) > room:
            out = out[: room - 3] + "..."
        lines.append(f"{name:<{name_w}}  {label:<6} {err:>8}  {out}")
        for w in t.warnings:
            text = "warning: " + " ".join(w.split())
            lines.append(f"{'':<{name_w}}  {'':<6} {'':>8}  " + (text if len(text) <= room else text[: room - 3] + "..."))
    return "\n".join(lines + [""] + footer(run))


def print_rich(run: PublicRun, console) -> None:
    """The table in colour, for a terminal."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    table.add_column("function", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("error", justify="right", no_wrap=True)
    table.add_column("hint", overflow="fold")
    for t in run.tests:
        label = _label(t)
        hint = escape(t.output) + "".join(f"\n[yellow]warning:[/] {escape(w)}" for w in t.warnings)
        table.add_row(_shown_name(t.name), f"[{_STYLE[label]}]{label}[/]", _err(t), hint)
    console.print(table)
    console.print()
    lines = footer(run)
    console.print(lines[0], style="green" if run.passed else "red", highlight=False)
    for line in lines[1:]:
        console.print(line, style="dim", highlight=False)


def as_json(run: PublicRun, where: dict) -> dict:
    return {**where, "status": "passed" if run.passed else "failed", "counts": run.counts(),
            "seconds": round(run.seconds, 3), "unchecked": run.unchecked,
            "tests": [{"name": t.name, "function": t.function, "status": t.status, "rel_error": t.rel_error,
                       "output": t.output, "not_implemented": t.not_implemented, "warnings": list(t.warnings)}
                      for t in run.tests]}


__all__ = [
    "EXPECTATIONS_DIR", "ExpectationsError", "PublicExpectationsWriter", "PublicRun", "StoredExpectations",
    "StoredOracle", "UnknownCheck", "check_kit", "check_tolerance", "diff_expectations", "expectations_data", "grid_step",
    "public_plans", "quantise_outputs", "quantised", "run_public", "write_public_expectations",
]

