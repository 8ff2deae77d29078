"""NumPy names that older courses' students used and later NumPy removed (a sandbox driver file).

Code written for the NumPy of 2015-2017 calls np.int, np.float, np.bool, np.object, np.complex,
np.str and np.lib.pad: right then, an AttributeError now (NumPy 1.24 and 2.0 removed them).
A course of those years lists this file among its drivers, so that in the sandbox child,
before any student code runs, these names mean again what they meant (the builtins and
np.pad). The student's files are not changed; only the library is given its old names back.
Nothing happens in the grader's own process (the reference oracle loads the same files).
"""

import numpy as np

if __name__ == "_sandbox_drivers":  # the sandbox child, never the grading process
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _name, _value in (("int", int), ("float", float), ("bool", bool), ("object", object),
                              ("complex", complex), ("str", str)):
            try:
                getattr(np, _name)
            except AttributeError:
                setattr(np, _name, _value)
    if not hasattr(np.lib, "pad"):
        np.lib.pad = np.pad
