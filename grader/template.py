"""Generate a course's student kit (student_template/<course>/) from its reference and master notebooks.

The build is a short ordered list of named steps (as nbgrader's preprocessors), each a function of
one `_Build` context:

1. copy_package       reference/<course>/<package> -> kit/<package>, for every package of the
                      course: the profile's editable files with every
                      solution block replaced by `pass` (markers kept), the given files verbatim,
                      never build artefacts (__pycache__, .so, .c, ...)
2. convert_notebooks  master notebooks (as any editor saved them, grader.notebooks) ->
                      kit/*.ipynb: outputs cleared, "hidden" cells removed, "solution" cells
                      replaced by a placeholder, marked blocks stripped, metadata normalised,
                      the kit's mark in the notebook metadata (grader: course, notebook)
3. write_expectations the public check expectations, by the writer the check engine provides
4. write_locked_cells the checksums and sources of the notebooks' locked cells (grader.integrity)
5. write_readme       a short kit README.md
6. check_leaks        no solution line of the reference or the notebooks anywhere in the kit

Everything is built into a temporary folder beside `out` that replaces `out` only when every step
succeeded, so a failed build (bad markers, a leak) leaves no half-built kit. The output is
deterministic: sorted walks, no timestamps, notebooks written by nbformat (sorted keys).

`check_template` (`grader build-template --check`) compares a committed kit with a fresh build:
byte for byte, except the public checks' expected numbers, which pass through BLAS and SIMD code
and so may differ in their last bits on another machine; those are compared within the tolerance
the check engine states (grader.check.public.diff_expectations), and the first difference is named.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from .courses.profile import Profile
from .errors import SetupError
from .notebooks import (KIT_METADATA, Master, NotebookError, assign_ids, canonical, cell_problems, known_locked_ids,
                        master_paths, notebook_text, profile_problems, read_master)
from .strip import MarkerError, find_blocks, solution_lines, strip_solutions

# Never copied into the kit: caches, compiled extensions, Cython output, editor and build debris.
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", "build", "dist", ".pytest_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib", ".c", ".cpp", ".o", ".obj", ".html"}
# Debris a student's (or instructor's) run leaves in a committed kit; not a difference.
JUNK_DIRS = {"__pycache__", ".ipynb_checkpoints"}
JUNK_SUFFIXES = {".pyc", ".pyo"}

SOLUTION, HIDDEN, LOCKED = "solution", "hidden", "locked"
CODE_PLACEHOLDER = "# TODO: write your code for this cell here.\n"
MARKDOWN_PLACEHOLDER = "*Your answer:* ..."

# Solution lines too generic to count as a leak (closing brackets, bare keywords).
TRIVIAL_LINES = {"pass", "else:", "try:", "finally:", "except:", "break", "continue", "return", "return None"}
MIN_LEAK_CHARS = 6  # non-space characters a solution line needs to count

# Writes the public expectations into the kit being built. It may carry `comparators`: the files it
# wrote that `check_template` compares with its function (fresh, committed) -> difference or None.
ExpectationsWriter = Callable[[Path], object]
FileComparator = Callable[[Path, Path], "str | None"]


class TemplateError(SetupError):
    """A kit that cannot be built; the message says what to fix."""

    MISSING_PACKAGE = "no package {package!r} under {reference}"
    MISSING_EDITABLE = "{path}: editable file of profile {profile!r} not found in the reference"
    MISSING_NOTEBOOKS = "notebooks folder not found: {path}"
    NOT_TEXT = "{path}: editable file is not UTF-8 text"
    BAD_NOTEBOOK = "{path}: not a valid notebook ({detail})"
    BAD_MASTER = "{path}: master notebook problems (see `grader notebooks check`):\n{problems}"
    BAD_MASTERS = "the master notebooks disagree with each other or with the profile:\n{problems}"
    UNSAFE_OUT = "refusing to build into {out}: {why}"
    LEAKS = "{count} solution line(s) would reach the kit:\n{lines}"

    def __init__(self, template: str, **fields):
        self.fields = fields
        super().__init__(template.format(**fields))


class LeakError(TemplateError):
    """Solution text found in the built kit (the kit is not written)."""

    def __init__(self, leaks: list[str]):
        self.leaks = leaks
        super().__init__(self.LEAKS, count=len(leaks), lines="\n".join(f"  {leak}" for leak in leaks))


@dataclass
class NotebookReport:
    name: str
    cells: int  # cells in the kit notebook
    hidden_removed: int
    placeholders: int
    blocks_stripped: int


@dataclass
class BuildReport:
    """What one build wrote (paths relative to the kit, POSIX style)."""

    out: Path
    stripped: dict[str, int] = field(default_factory=dict)  # editable file -> solution blocks stripped
    copied: list[str] = field(default_factory=list)  # given files, verbatim
    skipped: list[str] = field(default_factory=list)  # reference files left out (artefacts)
    notebooks: list[NotebookReport] = field(default_factory=list)
    expectations: list[str] | None = None  # None: no writer given
    readme: str = "README.md"
    shared_lines: int = 0  # solution lines that also occur in given material (not leaks)
    notes: list[str] = field(default_factory=list)  # what the build made up (e.g. ids of cells without one)

    def summary(self) -> str:
        blocks = sum(self.stripped.values())
        lines = [
            f"kit written to {self.out}",
            f"  {len(self.stripped)} editable files, {blocks} solution blocks stripped; "
            f"{len(self.copied)} given files copied; {len(self.skipped)} artefacts left out",
        ]
        for nb in self.notebooks:
            lines.append(
                f"  {nb.name}: {nb.cells} cells, {nb.hidden_removed} hidden removed, "
                f"{nb.placeholders} answer placeholders, {nb.blocks_stripped} blocks stripped"
            )
        if self.expectations is None:
            lines.append("  public expectations: none (no expectations writer given)")
        else:
            lines.append(f"  public expectations: {len(self.expectations)} files " + ", ".join(self.expectations))
        lines.append(
            f"  leak check passed ({self.shared_lines} solution lines also appear in given code, not counted)"
        )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class _Build:
    reference: Path  # the course's reference folder (holding its packages)
    notebooks: Path | None
    out: Path  # the temporary folder being built
    profile: Profile
    expectations_writer: ExpectationsWriter | None
    report: BuildReport


# ------------------------------------------------------------------------------------------ walks


def _show(path: Path) -> str:
    """A path for messages: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _walk(root: Path) -> Iterator[Path]:
    """Every file under root, in sorted order (directories sorted too)."""
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def _is_artefact(rel: PurePosixPath) -> bool:
    parts = rel.parts
    if any(p in SKIP_DIRS or p.endswith(".egg-info") or p.startswith(".") for p in parts):
        return True
    return rel.suffix in SKIP_SUFFIXES


def _package_files(root: Path, package: str, skipped: list[str] | None = None) -> Iterator[tuple[PurePosixPath, Path]]:
    """(path relative to root, file) for every file of root/package the kit gets (artefacts are
    added to `skipped`)."""
    if not (root / package).is_dir():
        raise TemplateError(TemplateError.MISSING_PACKAGE, package=package, reference=_show(root))
    for path in _walk(root / package):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        if _is_artefact(PurePosixPath(*rel.parts[1:])):
            if skipped is not None:
                skipped.append(str(rel))
        else:
            yield rel, path


def _read_text(path: Path) -> str | None:
    """The file decoded as UTF-8 (newlines untouched), or None for a binary file."""
    data = path.read_bytes()
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _notebook_paths(notebooks: Path | None, profile: Profile) -> list[Path]:
    """The master notebooks in the order the profile lists them (the order the assignment is
    done in); others after them, by name."""
    if notebooks is None:
        return []
    return master_paths(profile, notebooks)


def _read_master(nb_path: Path) -> Master:
    try:
        return read_master(nb_path)
    except NotebookError as exc:
        raise TemplateError(TemplateError.BAD_NOTEBOOK, path=_show(nb_path), detail=str(exc).split(": ", 1)[-1]) from exc


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _where(nb_path: Path, index: int) -> str:
    return f"{_show(nb_path)} [cell {index}]"


# ------------------------------------------------------------------------------------------ steps


def copy_package(b: _Build) -> None:
    """Editable files stripped of their solution blocks; given files verbatim; artefacts left out."""
    markers = b.profile.markers
    editable = set(b.profile.editable)
    for rel in sorted(editable):
        if not (b.reference / rel).is_file():
            raise TemplateError(TemplateError.MISSING_EDITABLE, path=_show(b.reference / rel), profile=b.profile.name)
    for package in b.profile.packages:
        for rel, path in _package_files(b.reference, package.name, b.report.skipped):
            target = b.out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            text = _read_text(path)
            if text is not None:
                edited = b.profile.source(str(rel), text)  # the edition's API names
                if edited != text:
                    text = edited
                    target.write_bytes(text.encode("utf-8"))
                    if str(rel) not in editable:
                        b.report.copied.append(str(rel))
                        continue
            if str(rel) in editable:
                if text is None:
                    raise TemplateError(TemplateError.NOT_TEXT, path=_show(path))
                blocks = find_blocks(text, _show(path), markers)
                target.write_bytes(strip_solutions(text, _show(path), markers=markers).encode("utf-8"))
                b.report.stripped[str(rel)] = len(blocks)
                continue
            if text is not None:
                blocks = find_blocks(text, _show(path), markers)  # also rejects malformed markers
                if blocks:
                    raise MarkerError(_show(path), blocks[0].start,
                                      "solution block in a given file (only the profile's editable files are stripped)")
            shutil.copyfile(path, target)
            b.report.copied.append(str(rel))


def _kit_notebook(master: Master, profile: Profile) -> tuple[nbformat.NotebookNode, NotebookReport, list[str]]:
    """The kit version of one master notebook, and notes on what the build had to make up
    (ids of cells without one)."""
    nb_path, markers = master.path, profile.markers
    report = NotebookReport(nb_path.name, 0, 0, 0, 0)
    ids, new_ids = assign_ids(master, known_locked_ids(profile, nb_path.name))
    canon = canonical(master, ids)
    kit = new_notebook(metadata=dict(canon.metadata))
    kit.metadata[KIT_METADATA] = {"course": profile.name, "notebook": nb_path.name}

    for index, cell in enumerate(canon.cells):
        where = _where(nb_path, index)
        source, tags = cell.source, _tags(cell)
        blocks = find_blocks(source, where, markers)  # every cell, so a bad marker anywhere stops the build
        if HIDDEN in tags:
            report.hidden_removed += 1
            continue
        if SOLUTION in tags:
            source = CODE_PLACEHOLDER if cell.cell_type == "code" else MARKDOWN_PLACEHOLDER
            report.placeholders += 1
        elif blocks:
            if cell.cell_type != "code":
                raise MarkerError(where, blocks[0].start,
                                  "solution block in a markdown cell (tag the cell 'solution' instead)")
            source = strip_solutions(source, where, markers=markers)
            report.blocks_stripped += len(blocks)
        cell_meta = dict(cell.metadata)
        if cell.cell_type == "code":
            new = new_code_cell(source=source, metadata=cell_meta, id=cell.id)  # no outputs, no count
        elif cell.cell_type == "markdown":
            new = new_markdown_cell(source=source, metadata=cell_meta, id=cell.id)
            if cell.get("attachments") and SOLUTION not in tags:
                new["attachments"] = cell["attachments"]
        else:
            new = new_raw_cell(source=source, metadata=cell_meta, id=cell.id)
        kit.cells.append(new)
    report.cells = len(kit.cells)
    problems = [p for p in cell_problems(master, markers) if not p.fixable]
    if problems:
        raise TemplateError(TemplateError.BAD_MASTER, path=_show(nb_path), problems="\n".join(f"  {p}" for p in problems))
    try:
        nbformat.validate(kit)
    except nbformat.ValidationError as exc:
        raise TemplateError(TemplateError.BAD_NOTEBOOK, path=_show(nb_path), detail=exc) from exc
    notes = []
    if new_ids:
        notes.append(f"{nb_path.name}: {len(new_ids)} cell(s) had no id and got one for this build "
                     f"({', '.join(ids[k] for k in new_ids[:4])}{' ...' if len(new_ids) > 4 else ''}); "
                     "run `grader notebooks normalize` to keep them")
    return kit, report, notes


def _notebook_text(nb: nbformat.NotebookNode) -> str:
    return notebook_text(nb)  # json with sorted keys, one-space indent


def convert_notebooks(b: _Build) -> None:
    """Each master notebook, stripped, beside the package in the kit (read as any editor saved
    it: grader.notebooks); the course's notebooks must agree with each other and the profile."""
    masters = [_read_master(p) for p in _notebook_paths(b.notebooks, b.profile)]
    for master in masters:
        kit, report, notes = _kit_notebook(master, b.profile)
        (b.out / master.name).write_bytes(_notebook_text(kit).encode("utf-8"))
        b.report.notebooks.append(report)
        b.report.notes += notes
    problems = profile_problems(masters, b.profile)
    if problems:
        raise TemplateError(TemplateError.BAD_MASTERS, problems="\n".join(f"  {p}" for p in problems))


def write_expectations(b: _Build) -> None:
    """The public expectations, by the engine's writer; the report lists the files it added."""
    if b.expectations_writer is None:
        return
    before = {p.relative_to(b.out).as_posix() for p in _walk(b.out)}
    b.expectations_writer(b.out)
    after = {p.relative_to(b.out).as_posix() for p in _walk(b.out)}
    b.report.expectations = sorted(after - before)


def write_locked_cells(b: _Build) -> None:
    """public_checks/locked_cells.json: each kit notebook's locked cells (id, position, sha256 and
    source), which the grader checks a submitted notebook against and restores from."""
    if b.notebooks is None:
        return
    from .integrity import write_manifest

    kits = {p.name: nbformat.reads((b.out / p.name).read_text(encoding="utf-8"), as_version=4)
            for p in _notebook_paths(b.notebooks, b.profile)}
    write_manifest(b.out, kits)


def write_readme(b: _Build) -> None:
    if b.profile.readme is not None:
        (b.out / b.report.readme).write_bytes(b.profile.readme(b.profile, b.report).encode("utf-8"))


def check_leaks(b: _Build) -> None:
    secret, shared = _solution_material(b.profile, b.reference, b.notebooks)
    leaks = _scan_for(secret, b.out)
    if leaks:
        raise LeakError(leaks)
    b.report.shared_lines = len(shared)


STEPS: tuple[tuple[str, Callable[[_Build], None]], ...] = (
    ("copy package", copy_package),
    ("convert notebooks", convert_notebooks),
    ("write public expectations", write_expectations),
    ("record locked notebook cells", write_locked_cells),
    ("write README", write_readme),
    ("check for leaks", check_leaks),
)


# ------------------------------------------------------------------------------------------ README


# ------------------------------------------------------------------------------------------ leaks


def _norm(line: str) -> str:
    return " ".join(line.split())


def _trivial(line: str) -> bool:
    """Blank lines, comments, bare keywords and short or bracket-only lines: never leaks."""
    if not line or line.startswith("#") or line in TRIVIAL_LINES:
        return True
    if not any(ch.isalnum() for ch in line):
        return True
    return len(line.replace(" ", "")) < MIN_LEAK_CHARS


def _solution_material(profile: Profile, reference: Path, notebooks: Path | None) -> tuple[dict[str, str], set[str]]:
    """(secret lines -> where the first one is, solution lines that also occur in given material).

    Secret: every non-trivial line inside a solution block of the package or of a notebook cell,
    and every line of a "solution" or "hidden" cell. A secret line that also occurs outside
    solution blocks (given code, kept notebook cells) is given material, not a leak.
    """
    secret: dict[str, str] = {}
    given: set[str] = set()

    def scan(text: str, where: str, whole_cell_secret: bool = False) -> None:
        lines = text.splitlines()
        if whole_cell_secret:
            inside, outside = [ln for ln in lines if ln.strip()], []
        else:
            inside = solution_lines(text, where, profile.markers)
            outside = strip_solutions(text, where, markers=profile.markers).splitlines()
        given.update(_norm(ln) for ln in outside)
        for line in inside:
            norm = _norm(line)
            if not _trivial(norm):
                secret.setdefault(norm, f"{where}:{lines.index(line) + 1}")

    for package in profile.packages:
        for _rel, path in _package_files(reference, package.name):
            text = _read_text(path)
            if text is not None:
                scan(text, _show(path))
    for nb_path in _notebook_paths(notebooks, profile):
        master = _read_master(nb_path)
        for index in range(len(master.cells)):
            tags = master.tags(index)
            scan(master.source(index), _where(nb_path, index), whole_cell_secret=SOLUTION in tags or HIDDEN in tags)
    shared = {line for line in secret if line in given}
    return {line: where for line, where in secret.items() if line not in shared}, shared


def _kit_texts(kit: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text in the kit: files, and notebook cells and outputs."""
    for path in _walk(kit):
        rel = path.relative_to(kit).as_posix()
        text = _read_text(path)
        if text is None:
            continue
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(text).get("cells", [])
            except (ValueError, AttributeError):
                cells = None
            if isinstance(cells, list):
                for index, cell in enumerate(cells):
                    parts = [cell.get("source", "")]
                    for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                        parts.append(output.get("text", ""))
                        parts.extend((output.get("data") or {}).values())
                    for part in parts:
                        yield f"{rel} [cell {index}]", "".join(part) if isinstance(part, list) else str(part)
                continue
        yield rel, text


def _scan_for(secret: dict[str, str], kit: Path) -> list[str]:
    leaks = []
    for where, text in _kit_texts(kit):
        for number, line in enumerate(text.splitlines(), start=1):
            norm = _norm(line)
            if norm in secret:
                leaks.append(f"{where}:{number}: {norm!r} (solution line of {secret[norm]})")
    return leaks


def find_leaks(kit: Path, profile: Profile, *, reference: Path | None = None,
               notebooks: Path | None = None) -> list[str]:
    """Every place in `kit` holding a line that the course's reference (or `notebooks`) has inside a
    solution block (or a "solution"/"hidden" cell): "where:line: text (solution line of where)".

    Not counted: blank lines, comments, `pass`, short or bracket-only lines, and solution lines
    that also occur outside solution blocks (given code such as `return out, cache`).
    """
    secret, _ = _solution_material(profile, Path(reference or profile.paths.reference), notebooks)
    return _scan_for(secret, Path(kit))


# ------------------------------------------------------------------------------------------ API


def _check_out(out: Path, sources: list[Path], package: str) -> None:
    """Refuse to build over the sources, or over a folder that is not a kit of this course."""
    out_r = out.resolve()
    for src in sources:
        src_r = src.resolve()
        if out_r == src_r or src_r.is_relative_to(out_r) or out_r.is_relative_to(src_r):
            raise TemplateError(TemplateError.UNSAFE_OUT, out=_show(out), why=f"it overlaps {_show(src)}")
    if out.exists():
        if not out.is_dir():
            raise TemplateError(TemplateError.UNSAFE_OUT, out=_show(out), why="it is not a folder")
        if any(out.iterdir()) and not (out / package).is_dir():
            raise TemplateError(TemplateError.UNSAFE_OUT, out=_show(out),
                                why=f"it is not empty and holds no {package}/ (not a kit to replace)")


def _replace(built: Path, out: Path) -> None:
    """Move the finished kit into place, replacing an older one."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rename(out, old / out.name)
        os.rename(built, out)
        shutil.rmtree(old)
    else:
        os.rename(built, out)


DEFAULT = object()  # build_template's "the profile's own" for notebooks and the expectations writer


def default_expectations_writer(profile: Profile, *, reference: Path | None = None) -> ExpectationsWriter:
    """The writer of the public expectations used by `grader build-template` and its test.

    The check engine's writer (a callable taking the kit folder): it writes public_checks/, the
    inputs of the profile's public cases and the reference's answers on them (numbers only, as
    npz/JSON), which `grader check` judges a student's kit against without the reference. The
    answers come from the reference in the folder `reference` (the one the kit is built from;
    None: the profile's).
    """
    from .check.public import PublicExpectationsWriter

    return PublicExpectationsWriter(profile, None if reference is None else Path(reference).resolve())


def build_template(
    *,
    profile: Profile,
    out: Path | None = None,
    reference: Path | None = None,
    notebooks=DEFAULT,
    expectations_writer=DEFAULT,
) -> BuildReport:
    """Build the profile's student kit into `out` (default: the profile's kit folder, replacing a
    previous kit there) and return what was written.

    reference: the folder holding the course's packages (default: the profile's reference).
    notebooks: the folder of master notebooks (*.ipynb; default: the profile's), or None for a
    kit without notebooks. expectations_writer: called with the folder being built (it becomes
    `out`) to write the public expectations (default: the engine's, from `reference`; None:
    none); the report lists the files it added.
    Raises MarkerError (file:line, or notebook [cell N]:line) on bad markers, LeakError when
    solution text would reach the kit, TemplateError otherwise; `out` is then left untouched.
    """
    prof = profile
    reference = Path(reference or prof.paths.reference)
    notebooks = prof.paths.notebooks if notebooks is DEFAULT else notebooks
    if expectations_writer is DEFAULT:
        expectations_writer = default_expectations_writer(prof, reference=reference)
    for package in prof.packages:
        if not (reference / package.name).is_dir():
            raise TemplateError(TemplateError.MISSING_PACKAGE, package=package.name, reference=_show(reference))
    if notebooks is not None and not Path(notebooks).is_dir():
        raise TemplateError(TemplateError.MISSING_NOTEBOOKS, path=_show(Path(notebooks)))
    out = Path(out or prof.paths.kit).absolute()
    _check_out(out, [reference / p.name for p in prof.packages] + ([Path(notebooks)] if notebooks is not None else []),
               prof.package)
    out.parent.mkdir(parents=True, exist_ok=True)

    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(building, 0o777 & ~umask)  # mkdtemp makes it private; the kit is an ordinary folder
        b = _Build(reference, Path(notebooks) if notebooks is not None else None, building, prof,
                   expectations_writer, BuildReport(out=out))
        for _name, step in STEPS:
            step(b)
        _replace(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return b.report


def _is_junk(rel: PurePosixPath) -> bool:
    return any(p in JUNK_DIRS for p in rel.parts) or rel.suffix in JUNK_SUFFIXES


def diff_trees(fresh: Path, committed: Path, comparators: Mapping[str, FileComparator] | None = None) -> list[str]:
    """Differences of `committed` from `fresh`, one line per file (empty when identical).

    Every file is compared byte for byte, except those `comparators` names (kit-relative POSIX
    path -> compare(fresh_file, committed_file) returning the first difference in words, or None),
    such as the stored expected numbers, which another machine computes to the last bits only.
    """
    def files(root: Path) -> dict[str, Path]:
        return {
            p.relative_to(root).as_posix(): p
            for p in _walk(root)
            if not _is_junk(PurePosixPath(p.relative_to(root).as_posix()))
        }

    comparators = comparators or {}
    new, old = files(fresh), files(committed)
    diffs = []
    for rel in sorted(set(new) | set(old)):
        if rel not in old:
            diffs.append(f"{rel}: missing from the committed kit")
        elif rel not in new:
            diffs.append(f"{rel}: in the committed kit but not in a fresh build")
        elif rel in comparators:
            why = comparators[rel](new[rel], old[rel])
            if why:
                diffs.append(f"{rel}: {why}")
        elif new[rel].read_bytes() != old[rel].read_bytes():
            diffs.append(f"{rel}: differs from a fresh build")
    return diffs


def check_template(
    *,
    profile: Profile,
    committed: Path | None = None,
    reference: Path | None = None,
    notebooks=DEFAULT,
    expectations_writer=DEFAULT,
) -> list[str]:
    """The differences between the committed kit (default: the profile's) and a fresh build
    (empty when in sync).

    The files the expectations writer names in its `comparators` attribute (the public checks'
    expected numbers, for the check engine's writer) are compared by the writer's own function,
    within the tolerance it states; every other file byte for byte.
    """
    committed = Path(committed or profile.paths.kit)
    if expectations_writer is DEFAULT:
        expectations_writer = default_expectations_writer(profile, reference=reference)
    if not committed.is_dir():
        return [f"{_show(committed)}: no committed kit there"]
    comparators = dict(getattr(expectations_writer, "comparators", None) or {})
    with tempfile.TemporaryDirectory(prefix="grader-kit-") as tmp:
        fresh = Path(tmp) / "kit"
        build_template(profile=profile, reference=reference, notebooks=notebooks, out=fresh,
                       expectations_writer=expectations_writer)
        return diff_trees(fresh, committed, comparators)
