"""What the courses of the CS231n assignment-2 family share: their classic bugs (hints), named
checks and the drivers those run in the sandbox, how their scored models are rebuilt, CIFAR-10,
the kit README and the stand-ins old notebooks import. A course profile registers what it uses; nothing here is used unregistered.
"""

from __future__ import annotations

from pathlib import Path

from .checks import CHECKS as FAMILY_CHECKS
from .checks import DRIVERS
from .hints import HINTS as FAMILY_HINTS

FAMILY_DRIVERS = (DRIVERS,)
# Older courses (2015-2017) also load NUMPY_COMPAT: the NumPy names their students used that
# NumPy has since removed (np.int, np.lib.pad, ...), restored in the sandbox child only.
NUMPY_COMPAT = Path(__file__).with_name("compat.py")
# Stand-ins the official kits' notebooks import (past.builtins, future, google.colab): see kernel/README.md.
FAMILY_KERNEL_PATH = (Path(__file__).resolve().parent / "kernel",)

__all__ = ["FAMILY_CHECKS", "FAMILY_DRIVERS", "FAMILY_HINTS", "FAMILY_KERNEL_PATH", "NUMPY_COMPAT"]
