"""`future.standard_library`: the Python 3 module names already exist, nothing to alias."""

import contextlib


def install_aliases():
    """Nothing to do on Python 3."""


def install_hooks():
    """Nothing to do on Python 3."""


def remove_hooks():
    """Nothing to do on Python 3."""


@contextlib.contextmanager
def hooks():
    yield
