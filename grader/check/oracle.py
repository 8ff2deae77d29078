"""Oracles: where the expected values come from.

The ReferenceOracle runs the trusted reference in this (the parent) process on the very inputs of
each task, through the same drivers the child runs (numeric checks off), so both sides make
exactly the same calls. The student kit's oracle (grader.check.public.StoredOracle) answers the
same questions from stored expectations. Anything with `expected(task)`, `param_shapes(...)` and
`model(...)` will do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType

import numpy as np

from ..reference import load_reference
from ..sandbox import Task
from .plan import driver_files


def load_drivers(paths) -> dict:
    """The DRIVERS of the given driver files, run in one module (as the sandbox child does)."""
    namespace: dict = {"__name__": "_reference_drivers"}
    for path in paths:
        exec(compile(Path(path).read_text(encoding="utf-8"), str(path), "exec"), namespace)  # trusted grader code
    return namespace["DRIVERS"]


def task_key(task: Task) -> str:
    """A task's identity for caching expected values: its name, driver, params and input bytes
    (the same name with another seed's inputs is another task)."""
    h = hashlib.sha256(f"{task.name}\0{task.driver}\0{json.dumps(task.params, sort_keys=True)}".encode())
    for k in sorted(task.arrays):
        a = np.ascontiguousarray(task.arrays[k])
        h.update(f"\0{k}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class ReferenceOracle:
    """Expected values of the profile's reference (in `root`, default the profile's own)."""

    def __init__(self, profile, *, root: Path | None = None):
        self.profile = profile
        self.tree = load_reference(profile, root)
        self.drivers = load_drivers(driver_files(profile))
        self.config = {}  # the reference is called with the profile's own names
        self._cache: dict[str, tuple[dict, dict]] = {}

    def module(self, name: str) -> ModuleType:
        """The driver context's method: a module of the reference ("cs231n.layers")."""
        return self.tree.module(name)

    def expected(self, task: Task) -> tuple[dict, dict]:
        """(outputs as float64 arrays, info) of the reference on the task's inputs."""
        key = task_key(task)
        if key not in self._cache:
            params = dict(task.params, numeric=None)
            arrays = {k: np.array(v, copy=True) for k, v in task.arrays.items()}
            state = np.random.get_state()  # the course API seeds the global generator
            try:
                with self.tree.active():
                    out = self.drivers[task.driver](self, params, arrays)
            finally:
                np.random.set_state(state)
            info = out.pop("info", {}) or {}
            outputs = {k: np.array(v, dtype=np.float64) for k, v in out.items() if v is not None}
            self._cache[key] = (outputs, info)
        return self._cache[key]

    def param_shapes(self, module: str, cls: str, kwargs: dict) -> dict[str, tuple]:
        m = self.model(module, cls, kwargs)
        return {k: tuple(np.shape(v)) for k, v in m.params.items()}

    def model(self, module: str, cls: str, kwargs: dict):
        """A fresh reference model (random initial parameters from a fixed seed)."""
        state = np.random.get_state()
        try:
            np.random.seed(0)
            with self.tree.active():
                return getattr(self.module(module), cls)(**_constructor_kwargs(kwargs))
        finally:
            np.random.set_state(state)


def _constructor_kwargs(kwargs: dict) -> dict:
    out = dict(kwargs)
    if isinstance(out.get("dtype"), str):
        out["dtype"] = np.dtype(out["dtype"]).type
    return out


class NoOracle:
    """Enough of an oracle to list the tests (shapes only) when nothing will be judged."""

    def __init__(self, profile):
        self.profile = profile
        self._ref = None

    def param_shapes(self, module, cls, kwargs):
        if self._ref is None:
            self._ref = ReferenceOracle(self.profile)
        return self._ref.param_shapes(module, cls, kwargs)

    def expected(self, task):  # pragma: no cover - never judged
        raise RuntimeError("no oracle")
