"""Import the trusted reference course package by path (it is never installed)."""

from __future__ import annotations

import importlib
import sys
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


def import_reference(package: str = "cs231n") -> ModuleType:
    """Import reference/<package> under its own name, with its submodules loaded.

    Only the trusted grading process and the tests call this; student processes never
    get the reference folder on their path.
    """
    root = str(reference_dir())
    if root not in sys.path:
        sys.path.insert(0, root)
    pkg = importlib.import_module(package)
    for name in REFERENCE_MODULES:
        importlib.import_module(f"{package}.{name}")
    return pkg
