"""Import the trusted reference course package by path (it is never installed)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from .paths import reference_dir

REFERENCE_MODULES = (
    "layers",
    "layer_utils",
    "classifiers.fc_net",
    "classifiers.cnn",
    "optim",
    "solver",
    "gradient_check",
    "data_utils",
    "fast_layers",
)


class ReferenceNotFound(ImportError):
    """A reference folder without the course package in it."""


def import_reference(package: str = "cs231n", *, root: Path | None = None) -> ModuleType:
    """Import <root>/<package> (root: reference_dir() by default), with its submodules loaded.

    The default reference is imported under its own name (`cs231n`), as the tests and the
    course code do. Another root (e.g. `grader build-template --reference DIR`) is loaded under
    a private name derived from its path, so it never shadows, nor is shadowed by, a `cs231n`
    already imported in this process; its relative imports work unchanged. Submodules are
    `<returned module>.__name__ + ".layers"`, etc.

    Only the trusted grading process and the tests call this; student processes never
    get the reference folder on their path.
    """
    default = reference_dir()
    root = default if root is None else Path(root).resolve()
    if root == default:
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        pkg = importlib.import_module(package)
    else:
        pkg = _import_private(root, package)
    for name in REFERENCE_MODULES:
        importlib.import_module(f"{pkg.__name__}.{name}")
    return pkg


def _import_private(root: Path, package: str) -> ModuleType:
    """<root>/<package> as the top-level module `_grader_reference_<hash>_<package>`."""
    init = root / package / "__init__.py"
    if not init.is_file():
        raise ReferenceNotFound(f"no package {package!r} in {root} (looked for {init})")
    digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:16]
    name = f"_grader_reference_{digest}_{package}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(root / package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
