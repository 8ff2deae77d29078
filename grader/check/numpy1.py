"""The "numpy1" compatibility shim: numpy as code written for numpy 1.x saw it.

Standalone (numpy and the standard library only), for two places that cannot import `grader`:
the sandbox child, where it runs as a driver file in one module with grader/check/drivers.py
(whose `_compat` calls it before any student code runs), and a notebook kernel, where it is
imported as `numpy1_compat` (grader.execute copies it beside the kernel's stand-ins) and
`numpy1_install_kernel` makes the notebook and the working copy's modules see the same numpy.

What numpy 2 removed or changed and a course's students relied on: the aliases np.int, np.float,
np.product, np.NaN, ... ; np.reshape's `newshape=` keyword; int() and float() of an array of
one element (numpy 2 converts only 0-d arrays) inside the student's own code only (numpy and
the standard library keep the builtins).
"""

import builtins
import sys

import numpy as np


class _Numpy1Type(type):
    """int and float as code written for numpy 1.x sees them: isinstance/issubclass answer as for the
    builtin type."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__mro__[1])

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__mro__[1])


def _numpy1_scalar(x):
    """numpy 1.x converted an array of one element to a Python number (numpy 2 only a 0-d one)."""
    if isinstance(x, np.ndarray) and x.ndim > 0 and x.size == 1:
        return x.reshape(())[()]
    return x


# (builtins.int, not int, below: this module's own globals get the shim's int and float when it
# lies in a working copy, as in a notebook kernel)
class Numpy1Int(int, metaclass=_Numpy1Type):
    dtype = np.dtype(int)  # dtype=int, astype(int) as with the builtin

    def __new__(cls, x=0, *args):
        return builtins.int.__new__(builtins.int, _numpy1_scalar(x) if not args else x, *args)


class Numpy1Float(float, metaclass=_Numpy1Type):
    dtype = np.dtype(float)

    def __new__(cls, x=0.0):
        return builtins.float.__new__(builtins.float, _numpy1_scalar(x))


NUMPY1_ALIASES = {
    "int": Numpy1Int, "float": Numpy1Float, "bool": bool, "object": object, "str": str, "complex": complex,
    "long": int, "unicode": str, "float_": np.float64, "complex_": np.complex128, "int_": np.int64,
    "NaN": np.nan, "NAN": np.nan, "Inf": np.inf, "Infinity": np.inf, "infty": np.inf, "PINF": np.inf, "NINF": -np.inf,
    "product": np.prod, "cumproduct": np.cumprod, "sometrue": np.any, "alltrue": np.all, "round_": np.round,
    "row_stack": np.vstack, "asscalar": lambda a: np.asarray(a).item(),
}
_numpy1_done = {}


def numpy1_install():
    """numpy's removed names back, and np.reshape's `newshape=` keyword (once per process)."""
    if _numpy1_done.get("numpy"):
        return
    _numpy1_done["numpy"] = True
    for name, value in NUMPY1_ALIASES.items():
        if name not in np.__dict__:
            setattr(np, name, value)
    reshape = np.reshape

    def reshape_numpy1(a, *args, newshape=None, **kwargs):
        if newshape is not None:
            args = (newshape, *args)
        return reshape(a, *args, **kwargs)

    np.reshape = reshape_numpy1


def numpy1_globals(namespace: dict) -> None:
    """int() and float() of one-element arrays inside one module of the student's (its globals)."""
    for name, value in (("int", Numpy1Int), ("float", Numpy1Float)):
        if namespace.get(name) is None:
            namespace[name] = value


def numpy1_loaded(root: str) -> None:
    """numpy1_globals for every module already loaded from under `root` (the working copy)."""
    prefix = root.rstrip("/") + "/"
    for mod in list(sys.modules.values()):
        if str(getattr(mod, "__file__", None) or "").startswith(prefix) and getattr(mod, "__dict__", None) is not None:
            numpy1_globals(mod.__dict__)


class _Numpy1Finder:
    """Gives every module loaded from under `root` (the student's working copy) numpy1_globals
    before its code runs."""

    def __init__(self, root: str):
        self.root = root.rstrip("/") + "/"
        self.busy = False

    def find_spec(self, name, path=None, target=None):
        if self.busy:  # another finder asking the import system again
            return None
        self.busy = True
        try:
            return self._find(name, path, target)
        finally:
            self.busy = False

    def _find(self, name, path, target):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            origin = spec.origin or ""
            if origin.startswith(self.root) and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                loader = spec.loader
                run = loader.exec_module

                def exec_module(module, run=run):
                    numpy1_globals(module.__dict__)
                    run(module)

                loader.exec_module = exec_module
            return spec
        return None


def numpy1_install_kernel(shell, root: str) -> None:
    """In a notebook kernel: numpy's old names, the old int()/float() in the notebook's own
    namespace and in every module of the working copy `root` imported from now on."""
    numpy1_install()
    if shell is not None:
        numpy1_globals(shell.user_ns)
    if not any(isinstance(f, _Numpy1Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Numpy1Finder(root))
    numpy1_loaded(root)
