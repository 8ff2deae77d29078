"""Example submissions built from a copy of a course's reference by text substitution.

A profile's catalogue (its `mutants`: classic bugs; its `alternatives`: other correct
implementations) and its demo class are made with these; the tests, the benchmarks and `grader
demo` all draw their submissions from here.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .reference import CANONICAL
from .strip import strip_solutions


@dataclass(frozen=True)
class Edit:
    file: str  # path relative to the course root ("cs231n/layers.py")
    old: str
    new: str
    count: int = 1  # occurrences of `old` the reference must hold (all are replaced)


def edited(text: str, rel: str, edits) -> str:
    """`text` (the file `rel`, relative to the course root) with the edits of that file applied."""
    for e in edits:
        if e.file == rel:
            found = text.count(e.old)
            assert found == e.count, f"{e.file}: expected {e.count} occurrence(s) of {e.old!r}, found {found}"
            text = text.replace(e.old, e.new)
    return text


def apply(root: Path, edits) -> None:
    for rel in dict.fromkeys(e.file for e in edits):
        path = Path(root) / rel
        path.write_text(edited(path.read_text(encoding="utf-8"), rel, edits), encoding="utf-8")


def build(profile, dest: Path, edits=(), *, files=None, nest=(), strip=False) -> Path:
    """A submission folder: the course's reference packages (or only `files` of them, paths
    relative to the course root) under dest/*nest/, with `edits` applied, then the profile's
    edition's own edits (its API names); strip=True replaces every solution block by `pass` (the
    unsolved kit). Returns the submission's root (dest)."""
    src = profile.paths.reference
    root = Path(dest).joinpath(*nest)
    if files is None:
        for pkg in profile.packages:
            shutil.copytree(src / pkg.name, root / pkg.name, ignore=shutil.ignore_patterns("__pycache__", "*.c", "*.so"))
    else:
        for rel in files:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, root / rel)
    own = [e for e in profile.edition.edits if (root / e.file).exists()] if profile.edition is not None else []
    if strip:
        apply(root, own)  # (an edition's edits may touch solution lines: before they are stripped)
        own = []
        for rel in profile.editable:
            if (root / rel).exists():
                text = (root / rel).read_text(encoding="utf-8")
                (root / rel).write_text(strip_solutions(text, where=rel, markers=profile.markers), encoding="utf-8")
    apply(root, edits)
    apply(root, own)
    if profile.builds_on:
        _carry_bases(profile, root)
    return Path(dest)


BASES = CANONICAL  # how a reference names the courses it builds on


def _carry_bases(profile, root: Path) -> None:
    """A reference built on other courses calls their references as `_canonical.<package>...`
    inside its solution blocks. A submission made from it must run on its own in the sandbox,
    where no reference is visible: it carries each such package inside its first student package
    as `<package>/_canonical_<base package>/` (extra modules of the student's; a folder not named
    like a course package, so the submission's own package is still the one found) with the
    imports rewritten to it. Files that do not mention `_canonical` are left as they are."""
    from .courses import get_profile

    pkg = root / profile.package
    pattern = re.compile(rf"\b(from|import)\s+{BASES}\.(\w+)")
    users = [p for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    if not users or not pkg.is_dir():
        return
    for path in users:
        text = path.read_text(encoding="utf-8")
        path.write_text(pattern.sub(lambda m: f"{m.group(1)} {profile.package}.{BASES}_{m.group(2)}", text),
                        encoding="utf-8")
    for name in profile.builds_on:
        base = get_profile(name)
        for p in base.packages:
            shutil.copytree(base.paths.reference / p.name, pkg / f"{BASES}_{p.name}", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.c", "*.so"))


def variant(profile, name: str):
    """The catalogued mutant or alternative of `profile` named `name`."""
    for v in profile.mutants + profile.alternatives:
        if v.name == name:
            return v
    raise KeyError(f"{profile.name} has no catalogued variant {name!r}")


def zipped(profile, dest: Path, nest=("hw", "assignment")) -> Path:
    """The reference, zipped a few folders deep, as a student's upload often is."""
    folder = build(profile, dest.with_name(dest.name + "-src"), nest=nest)
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    shutil.rmtree(folder)
    return archive
