"""Open a student submission, find the student's packages in it, assemble a private workdir.

Nothing a student submitted is ever imported or executed here: files are only copied as bytes.
A submission is a folder or a .zip, holding the course's package anywhere inside (e.g.
assignment2/cs231n/, the package folder itself, or just the edited files loose). The workdir
holds every package of the course under its own name:

- editable files (the profile's list) from the submission when present, else the KIT version
  (the reference with every solution block replaced by `pass`), so an absent file scores zero;
- every other reference file (solvers, gradient checks, fast layers, __init__.py, support
  packages) from the reference, whatever the submission holds;
- extra .py modules the student added to a student package (helpers their code imports);
- a copy of each package under each of its other names (Package.aliases), for code written for
  a term whose kit names that package differently;
- grader/__init__.py (empty) and the compiled grader/_im2col extension, so the given fast
  layers' `from grader._im2col import ...` works while the real grader stays out of reach.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import FailedError
from .reference import CANONICAL
from .strip import strip_solutions

log = logging.getLogger(__name__)

IGNORED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}

# Zip caps: generous for an assignment (code + notebooks + a few saved arrays), fatal for a bomb.
MAX_TOTAL_BYTES = 500 << 20
MAX_MEMBERS = 20_000
MAX_RATIO = 200  # uncompressed / compressed, for members above RATIO_MIN_BYTES
RATIO_MIN_BYTES = 10 << 20
MAX_CLASS_BYTES = 50 << 30  # a class download (`grader batch CLASS.zip`): hundreds of submissions
MAX_CLASS_MEMBERS = 2_000_000
MAX_STUDENT_FILE = 5 << 20  # a .py file copied into the workdir
MAX_EXTRA_FILES = 200


class SubmissionError(FailedError):
    """A submission that cannot be opened; the message says what to fix."""

    NOT_FOUND = "submission not found: {path}"
    NOT_ARCHIVE = "{path} is neither a folder nor a .zip archive"
    CORRUPT = "{path} is not a readable zip archive: {detail}"
    UNSAFE = "{path} was refused: {detail}"
    TOO_BIG = "{path} was refused: {detail}"
    NO_PACKAGE = "{path}: no {package} package found (none of {anchors} anywhere inside)"

    def __init__(self, template: str, path: Path | str, **details):
        self.path = Path(path)
        self.template = template
        super().__init__(template.format(path=path, **details))


@dataclass
class Workdir:
    path: Path  # holds the course's packages and grader/
    package: str  # the first student package
    from_student: list[str] = field(default_factory=list)  # editable files taken from the submission (course-root paths)
    from_reference: list[str] = field(default_factory=list)  # given files (always the reference's)
    missing: list[str] = field(default_factory=list)  # editable files absent: the kit version was used
    extra: list[str] = field(default_factory=list)  # modules the student added to the package
    notes: list[str] = field(default_factory=list)  # anything else worth telling (relocated files, skips)
    extension: Path | None = None  # the compiled im2col copied in, or None (numpy fallback)


# ----------------------------------------------------------------------------- opening
def _member_path(name: str) -> PurePosixPath | None:
    """The safe relative path of a zip member; None for junk; SubmissionError if it escapes."""
    name = name.replace("\\", "/")  # zips made on Windows
    if "\x00" in name:
        raise ValueError(f"member name with a NUL byte: {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"absolute member path {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"member path {name!r} leaves the archive folder")
    if not parts or parts[0] == "__MACOSX":
        return None
    return PurePosixPath(*parts)


def _extract(archive: Path, dest: Path, *, max_total: int = MAX_TOTAL_BYTES, max_members: int = MAX_MEMBERS) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except Exception as exc:  # noqa: BLE001 (a crafted archive can fail in many ways)
        raise SubmissionError(SubmissionError.CORRUPT, archive, detail=exc) from None
    with zf:
        members = zf.infolist()
        if len(members) > max_members:
            detail = f"{len(members)} members (at most {max_members})"
            raise SubmissionError(SubmissionError.TOO_BIG, archive, detail=detail)
        total = sum(m.file_size for m in members)
        if total > max_total:
            detail = f"{total} bytes uncompressed (at most {max_total})"
            raise SubmissionError(SubmissionError.TOO_BIG, archive, detail=detail)
        plan = []
        for m in members:
            try:
                rel = _member_path(m.filename)
            except ValueError as exc:
                raise SubmissionError(SubmissionError.UNSAFE, archive, detail=exc) from None
            if rel is None or m.is_dir():
                continue
            if stat.S_ISLNK(m.external_attr >> 16):
                continue  # symlinks are never created
            if m.flag_bits & 0x1:
                raise SubmissionError(SubmissionError.UNSAFE, archive, detail=f"encrypted member {m.filename!r}")
            if m.file_size > RATIO_MIN_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                ratio = m.file_size // max(m.compress_size, 1)
                detail = f"member {m.filename!r} expands {ratio}x (a zip bomb?)"
                raise SubmissionError(SubmissionError.TOO_BIG, archive, detail=detail)
            plan.append((m, rel))
        written = 0
        for m, rel in plan:
            target = dest.joinpath(*rel.parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > max_total:  # headers can lie; the stream cannot
                            detail = "more data than the archive declares"
                            raise SubmissionError(SubmissionError.TOO_BIG, archive, detail=detail)
                        out.write(chunk)
            except SubmissionError:
                raise
            except Exception as exc:  # noqa: BLE001 (untrusted bytes: every failure is a broken archive)
                # bad CRC, truncated or garbled data (zlib/lzma errors), unsupported compression,
                # a file where a folder must go, ...
                raise SubmissionError(SubmissionError.CORRUPT, archive, detail=f"{m.filename}: {exc}") from None
            os.chmod(target, 0o644)


def extract_class(archive: Path, dest: Path) -> Path:
    """A whole class's download (a zip of submission folders or zips), safely extracted into
    `dest` (emptied first) with the per-class caps; returns the folder holding the submissions
    (descending through a single top folder). Raises SubmissionError."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _extract(archive, dest, max_total=MAX_CLASS_BYTES, max_members=MAX_CLASS_MEMBERS)
    root = dest
    while True:
        inside = [p for p in root.iterdir() if not _skip_dir(p.name)]
        if len(inside) != 1 or not inside[0].is_dir() or _package_at_top(inside[0]):
            return root
        root = inside[0]


def _package_at_top(folder: Path) -> bool:
    """Is `folder` one submission (course files in it or in a child of it) rather than a folder of them?"""
    from .courses import profiles

    anchors = {a for prof in profiles() for pkg in prof.packages for a in pkg.anchors}
    for d in (folder, *[c for c in folder.iterdir() if c.is_dir()]):
        if any((d / name).is_file() for name in anchors):
            return True
    return False


def open_submission(path: Path, scratch: Path) -> Path:
    """The submission's root folder: a folder as it is, a .zip safely extracted under `scratch`.

    Extraction refuses absolute paths and `..`, skips symlinks and __MACOSX, and caps the member
    count, the total size and the compression ratio. Raises SubmissionError."""
    path = Path(path)
    if not path.exists():
        raise SubmissionError(SubmissionError.NOT_FOUND, path)
    if path.is_dir():
        return path.resolve()
    if path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
        raise SubmissionError(SubmissionError.NOT_ARCHIVE, path)
    dest = Path(scratch) / "submission"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _extract(path, dest)
    return dest


# ----------------------------------------------------------------------------- finding the package
def _skip_dir(name: str) -> bool:
    return name in IGNORED_DIRS or name.startswith(".")


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def find_package(root: Path, names, anchor_files: Iterable[str]) -> Path | None:
    """The folder inside `root` that is the student's package, or None.

    Candidates are folders holding at least one anchor file (relative paths like "layers.py"
    or "classifiers/fc_net.py"). A folder with one of the package's `names` (a name or a tuple of
    names) wins over others; then the one with the most anchors; then the shallowest; then the
    first by name (deterministic). Folders named __MACOSX, .ipynb_checkpoints, __pycache__ or
    starting with a dot are ignored; links are not followed."""
    root = Path(root)
    names = (names,) if isinstance(names, str) else tuple(names)
    anchors = tuple(anchor_files)
    candidates = []
    for dirpath, dirnames, _ in os.walk(root, followlinks=False):
        # (a solved example of a course built on another carries that course's packages as
        # <package>/_canonical_<base>/ (grader.examples): never the student's package)
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d) and not d.startswith(CANONICAL))
        here = Path(dirpath)
        score = sum(_is_regular(here / a) for a in anchors)
        if score:
            rel = here.relative_to(root)
            candidates.append((here.name not in names, -score, len(rel.parts), rel.as_posix(), here))
    return min(candidates)[-1] if candidates else None


def find_packages(root: Path, profile) -> dict[str, Path | None]:
    """Each student package of `profile` found in the submission at `root` (None: not there)."""
    return {pkg.name: find_package(root, pkg.names, pkg.anchors) for pkg in profile.student_packages}


# ----------------------------------------------------------------------------- the workdir
def _python_files(pkg: Path) -> list[str]:
    """Relative paths of the .py files under a package folder (junk folders and links skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(pkg, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d))
        for name in sorted(filenames):
            if name.endswith(".py") and not name.startswith("."):
                found.append((Path(dirpath) / name).relative_to(pkg).as_posix())
    return found


def _student_file(student_pkg: Path | None, rel: str, notes: list[str]) -> Path | None:
    """The student's copy of `rel`: at its place, or (a Gradescope-style flat upload) loose at the root."""
    if student_pkg is None:
        return None
    exact = student_pkg / rel
    if _is_regular(exact):
        return exact
    if exact.is_symlink():
        notes.append(f"{rel}: a symbolic link in the submission, ignored")
        return None
    if "/" in rel:
        loose = student_pkg / PurePosixPath(rel).name
        if _is_regular(loose):
            notes.append(f"{rel}: taken from {PurePosixPath(rel).name} at the package root")
            return loose
    return None


def _copy_bytes(src: Path, dest: Path, limit: int) -> None:
    with open(src, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise SubmissionError(SubmissionError.TOO_BIG, src, detail=f"file larger than {limit} bytes")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def _compiled_extension() -> Path | None:
    try:
        spec = importlib.util.find_spec("grader._im2col")
    except ImportError:
        spec = None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        return None
    return Path(spec.origin)


def assemble_workdir(profile, students: dict[str, Path | None], dest: Path, *, reference: Path | None = None) -> Workdir:
    """Build the private copy the sandbox runs (see the module docstring for what comes from
    where). students: per student package of the profile, the submission's folder of it (None:
    absent); reference: the folder holding the course's packages (default: the profile's)."""
    reference, dest = Path(reference or profile.paths.reference), Path(dest)
    editable = [PurePosixPath(e).as_posix() for e in profile.editable]
    if any(".." in PurePosixPath(e).parts or PurePosixPath(e).is_absolute() for e in editable):
        raise ValueError(f"editable paths must be relative to the course root: {editable}")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"workdir {dest} is not empty")
    work = Workdir(path=dest, package=profile.package)
    for pkg in profile.packages:
        student_pkg = students.get(pkg.name) if pkg.student else None
        mine = [e.split("/", 1)[1] for e in editable if e.split("/", 1)[0] == pkg.name]
        _assemble_package(student_pkg, reference / pkg.name, mine, dest / pkg.name, work, profile.markers)
    taken = {pkg.name for pkg in profile.packages}
    for pkg in profile.packages:
        for alias in pkg.aliases:
            # the same package under the name some terms' kits give it, for code that imports it so
            # (e.g. `from cs231n.fast_layers import *` where this kit says utils)
            if alias not in taken and (dest / pkg.name).is_dir():
                shutil.copytree(dest / pkg.name, dest / alias)
                taken.add(alias)
    return _finish_workdir(dest, work)

def _assemble_package(student_pkg: Path | None, reference_pkg: Path, editable: list[str], out: Path,
                      work: Workdir, markers) -> None:
    """One package of the workdir: editable files from the student, the rest from the reference."""
    name = out.name
    reference_files = _python_files(reference_pkg)
    for rel in sorted(set(reference_files) | set(editable)):
        target = out / rel
        shown = f"{name}/{rel}"
        if rel in editable:
            src = _student_file(student_pkg, rel, work.notes)
            if src is not None:
                _copy_bytes(src, target, MAX_STUDENT_FILE)
                work.from_student.append(shown)
            elif rel in reference_files:
                text = (reference_pkg / rel).read_text(encoding="utf-8")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(strip_solutions(text, where=shown, markers=markers), encoding="utf-8")
                work.missing.append(shown)
            else:
                work.missing.append(shown)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(reference_pkg / rel, target)
            work.from_reference.append(shown)

    if student_pkg is not None:
        taken = set(reference_files) | set(editable)
        extras = [rel for rel in _python_files(Path(student_pkg)) if rel not in taken]
        for rel in extras[:MAX_EXTRA_FILES]:
            # a helper module the student's code may import (only ever run inside the sandbox)
            if _is_regular(Path(student_pkg) / rel):
                _copy_bytes(Path(student_pkg) / rel, out / rel, MAX_STUDENT_FILE)
                work.extra.append(f"{name}/{rel}")
        if len(extras) > MAX_EXTRA_FILES:
            work.notes.append(f"only the first {MAX_EXTRA_FILES} extra modules of {name}/ were copied")


def _finish_workdir(dest: Path, work: Workdir) -> Workdir:
    stub = dest / "grader"
    stub.mkdir()
    (stub / "__init__.py").write_text("")
    ext = _compiled_extension()
    if ext is not None:
        shutil.copyfile(ext, stub / ext.name)
        work.extension = stub / ext.name
    else:
        log.warning("grader._im2col is not built: the course's compiled im2col falls back to numpy "
                    "(run `pip install -e .` to compile it)")
        work.notes.append("compiled im2col extension not available: the given code uses its numpy fallback")

    for dirpath, _, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    return work
