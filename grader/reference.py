"""Load a course's trusted reference tree by path (it is never installed, nor importable by students).

A course's reference is a folder of packages (e.g. reference/cs231n/ holding cs231n/), with the
imports a course's code uses: relative ones inside a package, absolute ones between packages.
Several courses may name their packages alike (two courses' `cs231n`), so each tree is loaded
under its real names into a private set of modules: while it loads, and whenever its code runs
(`tree.active()`), sys.modules holds that course's modules; before and after, whatever was
there (another course, or the tests' own import of a reference) is untouched.

Only the trusted grading process and the tests load references; student processes never see them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from pathlib import Path
from types import ModuleType

from .errors import SetupError

_LOCK = threading.RLock()
_TREES: dict[tuple[str, tuple[str, ...]], "ReferenceTree"] = {}


class ReferenceNotFound(SetupError):
    """A reference folder without the course's packages in it."""


def _modules_of(root: Path, package: str) -> list[str]:
    """Dotted names of every module of root/package (packages first, sorted)."""
    names = []
    base = root / package
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        rel = Path(dirpath).relative_to(root).as_posix().replace("/", ".")
        if "__init__.py" not in filenames:
            dirnames[:] = []
            continue
        names.append(rel)
        names += [f"{rel}.{f[:-3]}" for f in sorted(filenames) if f.endswith(".py") and f != "__init__.py"]
    return names


CANONICAL = "_canonical"  # the name under which a course's reference sees the courses it builds on


class ReferenceTree:
    """The modules of one course's reference packages, loaded under their own names; `base`
    trees (the courses it builds on) are importable as `_canonical.<package>.<module>`."""

    def __init__(self, root: Path, packages: tuple[str, ...], base: tuple["ReferenceTree", ...] = ()):
        self.root = Path(root).resolve()
        self.packages = tuple(packages)
        self.modules: dict[str, ModuleType] = self._canonical(base)
        for pkg in self.packages:
            if not (self.root / pkg / "__init__.py").is_file():
                raise ReferenceNotFound(f"no package {pkg!r} in the reference folder {self.root} "
                                        f"(looked for {self.root / pkg / '__init__.py'})")
        with self._swapped():
            sys.path.insert(0, str(self.root))
            importlib.invalidate_caches()
            try:
                for pkg in self.packages:
                    for name in _modules_of(self.root, pkg):
                        importlib.import_module(name)
            finally:
                sys.path.remove(str(self.root))
            self.modules.update({k: v for k, v in sys.modules.items() if self._ours(k)})
        # The base trees stay importable as _canonical.* afterwards too: solution blocks import
        # them inside the function bodies, which also run outside active() (a reference model a
        # named check trains, or one the grader rebuilt to score a notebook's weights).
        with _LOCK:
            for name, module in self.modules.items():
                if name.split(".", 1)[0] == CANONICAL:
                    sys.modules.setdefault(name, module)

    @staticmethod
    def _canonical(base) -> dict[str, ModuleType]:
        """sys.modules entries making the base trees' modules importable under CANONICAL."""
        if not base:
            return {}
        top = ModuleType(CANONICAL)
        top.__path__ = []  # a package: its submodules are the entries below
        out = {CANONICAL: top}
        for tree in base:
            for name, module in tree.modules.items():
                if not name.startswith(CANONICAL):
                    out[f"{CANONICAL}.{name}"] = module
                    if "." not in name:
                        setattr(top, name, module)
        return out

    def _ours(self, name: str) -> bool:
        return name.split(".", 1)[0] in (*self.packages, CANONICAL)

    @contextlib.contextmanager
    def _swapped(self):
        with _LOCK:
            saved = {k: sys.modules.pop(k) for k in list(sys.modules) if self._ours(k)}
            sys.modules.update(self.modules)
            try:
                yield
            finally:
                for k in [k for k in sys.modules if self._ours(k)]:
                    del sys.modules[k]
                sys.modules.update(saved)

    def active(self):
        """A context in which the tree's modules are sys.modules' (code importing lazily finds them)."""
        return self._swapped()

    def module(self, name: str) -> ModuleType:
        """The reference module `name` ("cs231n.layers")."""
        try:
            return self.modules[name]
        except KeyError:
            raise ReferenceNotFound(f"the reference in {self.root} has no module {name}") from None

    def __getitem__(self, name: str) -> ModuleType:
        return self.module(name)


def reference_tree(root: Path, packages, base: tuple[ReferenceTree, ...] = ()) -> ReferenceTree:
    """The loaded tree of `packages` under `root` (cached per process)."""
    key = (str(Path(root).resolve()), tuple(packages), tuple(str(b.root) for b in base))
    with _LOCK:
        if key not in _TREES:
            _TREES[key] = ReferenceTree(Path(root), tuple(packages), base)
        return _TREES[key]


def load_reference(profile, root: Path | None = None) -> ReferenceTree:
    """The reference tree of a course profile (root: another folder holding the same packages),
    with the trees of the courses it builds on importable as `_canonical.<package>...`."""
    from .courses import get_profile

    base = tuple(load_reference(get_profile(name)) for name in profile.builds_on)
    return reference_tree(Path(root) if root is not None else profile.paths.reference,
                          tuple(p.name for p in profile.packages), base)
