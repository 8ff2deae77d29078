"""Course variants as data: each profile module defines PROFILE (a grader.check.spec.Profile)."""

from __future__ import annotations

import importlib

from ..spec import Profile

KNOWN = ("cs231n",)


class UnknownProfile(ValueError):
    """A profile name that no module under grader/check/profiles/ defines."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown profile {name!r} (known: {', '.join(KNOWN)})")


def get_profile(name: str = "cs231n") -> Profile:
    if name not in KNOWN:
        raise UnknownProfile(name)
    return importlib.import_module(f"{__name__}.{name}").PROFILE
