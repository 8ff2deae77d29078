"""Where the course content and the data live (overridable by environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Environment variable naming CIFAR-10: a folder (extracted batches or their parent) or the tarball.
CIFAR10_ENV = "CIFAR10_PATH"


def reference_dir() -> Path:
    """The folder holding the reference course packages (reference/cs231n, ...)."""
    return Path(os.environ.get("GRADER_REFERENCE", PROJECT_ROOT / "reference")).resolve()


def default_cifar10() -> Path | None:
    """CIFAR-10 from $CIFAR10_PATH, else ../shared/cifar10 beside the checkout; None if absent."""
    env = os.environ.get(CIFAR10_ENV)
    if env:
        return Path(env)
    candidate = PROJECT_ROOT.parent / "shared" / "cifar10" / "cifar-10-python.tar.gz"
    return candidate if candidate.exists() else None
