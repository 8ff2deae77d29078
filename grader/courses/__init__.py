"""Course profiles: discovered, loaded and validated here; each course is one folder.

A course folder holds an `__init__.py` defining PROFILE (a grader.courses.profile.Profile).
The built-in courses are the folders of grader/courses/ (family/ is their shared library, not
a course); their content lives in the project's top-level folders under the profile's name:
reference/<name>/, notebooks/<name>/, student_template/<name>/. Any other folder of courses is
added with $GRADER_COURSES (paths separated by os.pathsep, each a course folder or a folder of
them); such a course keeps its content inside its own folder: reference/, notebooks/ and kit/.

Loading validates a profile: every module, file, hint, named check, scored class and edition it
names exists, and its points add up; a problem is a ProfileError naming the profile, the entry
and what is wrong.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from ..errors import SetupError
from ..paths import PROJECT_ROOT
from .profile import CoursePaths, Profile

COURSES_ENV = "GRADER_COURSES"
BUILTIN = Path(__file__).resolve().parent
NOT_COURSES = {"family", "__pycache__"}

_LOCK = threading.RLock()
_LOADED: dict[str, Profile] = {}


class UnknownProfile(SetupError):
    """A profile name no course folder defines."""

    def __init__(self, name: str):
        self.name = name
        known = ", ".join(sorted(available())) or "none"
        super().__init__(f"unknown profile {name!r} (known: {known})")


class ProfileError(SetupError):
    """A profile that does not hold together: names the profile, the entry and the problem."""

    def __init__(self, profile: str, entry: str, problem: str):
        self.profile, self.entry, self.problem = profile, entry, problem
        super().__init__(f"profile {profile!r}: {entry}: {problem}")


# ----------------------------------------------------------------------------- discovery


def _course_folders() -> list[tuple[Path, bool]]:
    """(folder, built-in) of every course folder, built-ins first."""
    found = [(p, True) for p in sorted(BUILTIN.iterdir())
             if p.is_dir() and p.name not in NOT_COURSES and (p / "__init__.py").is_file()]
    for entry in os.environ.get(COURSES_ENV, "").split(os.pathsep):
        if not entry.strip():
            continue
        path = Path(entry).expanduser().resolve()
        if (path / "__init__.py").is_file():
            found.append((path, False))
        elif path.is_dir():
            found += [(p, False) for p in sorted(path.iterdir()) if (p / "__init__.py").is_file()]
    return found


def _declared_name(folder: Path) -> str | None:
    """The profile name a course folder declares (read from its source: nothing is imported)."""
    try:
        tree = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Profile":
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    return kw.value.value
    return None


def available() -> dict[str, Path]:
    """Profile name -> its course folder (the first folder declaring a name wins)."""
    out: dict[str, Path] = {}
    for folder, _ in _course_folders():
        name = _declared_name(folder) or folder.name
        out.setdefault(name, folder)
    return out


def default_profile_name() -> str:
    """The profile commands use when none is named: the built-in profile marked default."""
    for name in available():
        prof = get_profile(name)
        if prof.default:
            return name
    raise SetupError("no course profile is marked as the default (default=True)")


# ----------------------------------------------------------------------------- loading


def _import_course(folder: Path, builtin: bool):
    if builtin:
        return importlib.import_module(f"{__name__}.{folder.name}")
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    modname = f"_grader_course_{digest}"
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[modname]
        raise
    return module


def course_paths(name: str, folder: Path, builtin: bool) -> CoursePaths:
    if builtin:
        return CoursePaths(folder, PROJECT_ROOT / "reference" / name, PROJECT_ROOT / "notebooks" / name,
                           PROJECT_ROOT / "student_template" / name, PROJECT_ROOT / "reference" / name)
    return CoursePaths(folder, folder / "reference", folder / "notebooks", folder / "kit", folder / "reference")


def _borrowed(prof: Profile) -> dict[str, Path]:
    """Course-root path -> the other course's reference file it is taken from."""
    out = {}
    for rel, spec in prof.borrows.items():
        other, _, path = spec.partition(":")
        if other == prof.name:
            raise ProfileError(prof.name, f"borrows {rel}", "a course cannot borrow from itself")
        out[rel] = get_profile(other).paths.reference / path
    return out


def _composed(prof: Profile) -> Path:
    """The tree the grader uses: the course's own reference plus what it borrows, written once
    per content (a folder named by the hash of its files, reused by later processes)."""
    files: dict[str, Path] = {}
    source = prof.paths.source
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(source).as_posix()] = path
    for rel, path in _borrowed(prof).items():
        if rel in files:
            raise ProfileError(prof.name, f"borrows {rel}", "the course's own reference already has this file")
        if not path.is_file():
            raise ProfileError(prof.name, f"borrows {rel}", f"no such file {path}")
        files[rel] = path
    digest = hashlib.sha256()
    for rel, path in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    cache = Path(tempfile.gettempdir()) / f"grader-reference-{os.getuid()}"
    target = cache / f"{prof.name}-{digest.hexdigest()[:16]}"
    if not target.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{prof.name}-", dir=cache))
        for rel, path in files.items():
            (building / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, building / rel)
        try:
            os.rename(building, target)
        except OSError:  # another process composed it first
            shutil.rmtree(building, ignore_errors=True)
    return target


def get_profile(name: str | None = None, edition: str | None = None) -> Profile:
    """The validated profile `name` (None: the default one), as `edition` grades (None: the
    course's own kit, every function). Raises UnknownProfile or ProfileError."""
    if name is None:
        name = default_profile_name()
    with _LOCK:
        if name not in _LOADED:
            folders = {(_declared_name(f) or f.name): (f, b) for f, b in reversed(_course_folders())}
            if name not in folders:
                raise UnknownProfile(name)
            folder, builtin = folders[name]
            module = _import_course(folder, builtin)
            prof = getattr(module, "PROFILE", None)
            if not isinstance(prof, Profile):
                raise ProfileError(name, str(folder / "__init__.py"), "defines no PROFILE (a Profile)")
            if prof.name != name:
                raise ProfileError(name, "name", f"the folder declares {name!r} but PROFILE is named {prof.name!r}")
            prof = dataclasses.replace(prof, paths=course_paths(name, folder, builtin))
            if prof.borrows:
                prof = dataclasses.replace(prof, paths=dataclasses.replace(prof.paths, reference=_composed(prof)))
            validate(prof)
            _LOADED[name] = prof
        prof = _LOADED[name]
    if edition is None:
        return prof
    try:
        return prof.for_edition(edition)
    except KeyError:
        raise SetupError(f"profile {name!r} has no edition {edition!r} (editions: "
                         f"{', '.join(prof.edition_names()) or 'none'})") from None


def solution_folders() -> list[Path]:
    """Every folder holding course solutions on this machine that the grader knows of: the
    project's references and master notebooks, the composed reference trees, and the courses
    found through $GRADER_COURSES (the sandbox never shows them, even inside an allowed folder)."""
    folders = [PROJECT_ROOT / "reference", PROJECT_ROOT / "notebooks",
               Path(tempfile.gettempdir()) / f"grader-reference-{os.getuid()}"]
    folders += [folder for folder, builtin in _course_folders() if not builtin]
    return folders


def profiles() -> list[Profile]:
    """Every available profile, loaded and validated."""
    return [get_profile(n) for n in available()]


# ----------------------------------------------------------------------------- validation


def validate(prof: Profile) -> None:
    """Raise ProfileError at the first problem of `prof` (see the module docstring)."""
    from ..check.diagnose import GENERIC
    from ..check.judge import WARNING_KINDS
    from ..check.spec import CallSpec, CheckSpec, LayerSpec, ModelSpec, OptimSpec, qualnames

    COMPAT_SHIMS = ("numpy1",)

    def fail(entry: str, problem: str):
        raise ProfileError(prof.name, entry, problem)

    paths = prof.paths
    for other in prof.builds_on:
        if other == prof.name or other not in available():
            fail("builds_on", f"no other course named {other!r}")
    if not prof.packages or not prof.student_packages:
        fail("packages", "at least one student package is needed")
    for pkg in prof.packages:
        if not (paths.reference / pkg.name / "__init__.py").is_file():
            fail(f"package {pkg.name}", f"not in the reference ({paths.reference / pkg.name}/__init__.py missing)")
    for rel in prof.editable:
        if not (paths.reference / rel).is_file():
            fail(f"editable {rel}", f"no such file in the reference ({paths.reference})")
        if prof.package_of(rel.split("/", 1)[0]) is None:
            fail(f"editable {rel}", "not inside a package of the profile")
    for rel in prof.given_fixes:
        if rel not in prof.editable:
            fail(f"given_fixes {rel}", "not an editable file (given files are always the reference's)")
    for module in prof.module_deps:
        if not (paths.reference / prof.module_file(module)).is_file():
            fail(f"module_deps {module}", f"no module {prof.module_file(module)} in the reference")
        for dep in prof.module_deps[module]:
            if dep not in prof.module_deps:
                fail(f"module_deps {module}", f"depends on {dep}, which module_deps does not list")
    functions = set(prof.functions())
    hints = {**GENERIC, **prof.hints}
    for spec in prof.specs:
        names = qualnames(spec)
        where = f"the description of {names[0]}"
        module = getattr(spec, "module", None)
        if module is not None and module not in prof.module_deps:
            fail(where, f"module {module} is not in module_deps")
        if isinstance(spec, LayerSpec):
            used = [h for hs in spec.hints.values() for h in hs] + [h for hs in spec.across.values() for h in hs]
            uses = [u for us in spec.uses.values() for u in us]
            for f in spec.functions():
                if f not in spec.points:
                    fail(where, f"no points for {f}")
        elif isinstance(spec, (CallSpec, OptimSpec, ModelSpec)):
            used, uses = list(spec.hints), list(getattr(spec, "uses", ()))
        elif isinstance(spec, CheckSpec):
            used, uses = [], []
            if spec.check not in prof.checks:
                fail(where, f"named check {spec.check!r} is not registered by the profile")
            if spec.qualname not in functions:
                fail(where, "a named check of a function no description grades")
        else:
            fail(where, f"unknown description type {type(spec).__name__}")
        for h in used:
            if h not in hints:
                fail(where, f"hint {h!r} does not exist (neither the profile's nor a generic one)")
        for u in uses:
            if u not in functions:
                fail(where, f"uses {u}, which the profile does not grade")
    for q, pts in prof.points().items():
        if pts < 0:
            fail(q, f"negative points {pts}")
    for path in prof.drivers:
        if not Path(path).is_file():
            fail("drivers", f"no driver file {path}")
    for nb_group, where in ((prof.notebooks, "notebooks"),
                            *[(e.notebooks or (), f"edition {e.name} notebooks") for e in prof.editions]):
        for nb in nb_group:
            for cls in nb.classes:
                if cls not in prof.models:
                    fail(f"{where} {nb.file}", f"class {cls} has no ScoredModel in the profile's models")
            if nb.scored and not nb.classes:
                fail(f"{where} {nb.file}", "a scored notebook must name the classes its model may have")
            if nb.scored and nb.points <= 0:
                fail(f"{where} {nb.file}", "a scored notebook must carry points")
            if nb.not_executed and (nb.scored or nb.points):
                fail(f"{where} {nb.file}", "a notebook the grader does not execute cannot be scored")
    for nb in prof.notebooks:
        if paths.notebooks.is_dir() and not (paths.notebooks / nb.file).is_file():
            fail(f"notebooks {nb.file}", f"no master notebook {paths.notebooks / nb.file}")
    scored = [nb for e in prof.editions for nb in (e.notebooks or ())] + list(prof.notebooks)
    if any(nb.scored for nb in scored) and prof.dataset is None:
        fail("dataset", "the profile scores notebook models but has no data set")
    for folder in prof.kernel_path:
        if not Path(folder).is_dir():
            fail("kernel_path", f"no folder {folder}")
    seen = set()
    for e in prof.editions:
        if e.name in seen:
            fail(f"edition {e.name}", "two editions with this name")
        seen.add(e.name)
        for q in e.absent_functions:
            if q not in functions:
                fail(f"edition {e.name}", f"absent {q}, which the profile does not grade")
        for q, cases in e.absent_cases.items():
            known = {c.name for s in prof.specs if q in qualnames(s)
                     for c in (getattr(s, "configs", None) or getattr(s, "cases", None) or ())}
            for case in sorted(cases - known):
                fail(f"edition {e.name}", f"absent {q}[{case}], which is not a case of {q}")
        for cls in (*e.renames, *e.complement):
            if cls not in functions:
                fail(f"edition {e.name}", f"renames arguments of {cls}, which the profile does not grade")
        for shim in e.compat or ():
            if shim not in COMPAT_SHIMS:
                fail(f"edition {e.name}", f"unknown compatibility shim {shim!r} (known: {', '.join(COMPAT_SHIMS)})")
        for q in e.squeezed:
            if q not in functions:
                fail(f"edition {e.name}", f"squeezed shapes of {q}, which the profile does not grade")
        for check in e.options:
            if check not in prof.checks:
                fail(f"edition {e.name}", f"options of the named check {check!r}, which the profile does not register")
    for shim in prof.compat:
        if shim not in COMPAT_SHIMS:
            fail("compat", f"unknown compatibility shim {shim!r} (known: {', '.join(COMPAT_SHIMS)})")
    for kind, weight in prof.warning_weights.items():
        if kind not in WARNING_KINDS:
            fail("warning_weights", f"unknown warning kind {kind!r} (known: {', '.join(WARNING_KINDS)})")
        if not 0 <= float(weight) <= 1:
            fail("warning_weights", f"{kind}: a weight is a fraction of a test's points, in [0, 1], not {weight}")
    if prof.default_edition is not None and prof.default_edition not in seen:
        fail("default_edition", f"no edition {prof.default_edition!r}")
    if prof.total_points is not None:
        total = round(sum(prof.points().values()), 4)
        if abs(total - prof.total_points) > 1e-6:
            fail("total_points", f"the functions' points add up to {total:g}, not {prof.total_points:g}")
    for pattern, reason in prof.accepted_mutants.items():
        function = pattern.split(":", 1)[0]
        if not isinstance(reason, str) or not reason.strip():
            fail(f"accepted_mutants {pattern}", "needs the reason it may survive")
        if not any(fnmatch.fnmatchcase(f, function) for f in functions):
            fail(f"accepted_mutants {pattern}", f"names {function}, which the profile does not grade")
    for v in prof.mutants + prof.alternatives:
        for f in v.functions:
            if f not in functions:
                fail(f"catalogue {v.name}", f"names {f}, which the profile does not grade")
        for e in v.not_in:
            if e not in seen:
                fail(f"catalogue {v.name}", f"not_in names {e!r}, which is not an edition of the profile")
        for e in v.edits:
            if not (paths.reference / e.file).is_file():
                fail(f"catalogue {v.name}", f"edits {e.file}, which the reference does not have")
