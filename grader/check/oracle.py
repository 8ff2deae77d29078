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
            # the reference's own answers only: no numeric gradient, no documented-cache run, no composition
            params = {**task.params, "numeric": None, "cache": None, "compose": None}
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

    def replayed(self, task: Task, record: dict, calls: list, arrays: dict) -> tuple[dict, dict]:
        """(outputs, info) of the reference on `task` with the functions of `record` ({qualified
        name: [module, function]}) answering as the student's did: each call takes the next
        recorded call of that function, checks that it gets the same array arguments (raising
        ReplayMismatch otherwise), applies the recorded state of its dict arguments (running
        averages) and returns the recorded outputs. So a caller is judged given its callees'
        answers: grader/check/run.py's replay step."""
        params = {**task.params, "numeric": None, "cache": None, "compose": None}
        replay = _Replay(calls, arrays)
        state = np.random.get_state()
        patched = []
        try:
            with self.tree.active():
                for qualname, (module, name) in record.items():
                    original = getattr(self.module(module), name)
                    fake = replay.function(qualname, original)
                    for mod in self.tree.modules.values():
                        for attr, value in list(vars(mod).items()):
                            if value is original:
                                setattr(mod, attr, fake)
                                patched.append((mod, attr, original))
                out = self.drivers[task.driver](self, params, {k: np.array(v, copy=True) for k, v in task.arrays.items()})
        finally:
            for mod, attr, original in patched:
                setattr(mod, attr, original)
            np.random.set_state(state)
        info = dict(out.pop("info", {}) or {})
        info["replay_differed"] = sorted(replay.differed)
        return {k: np.array(v, dtype=np.float64) for k, v in out.items() if v is not None}, info

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


class ReplayMismatch(Exception):
    """The reference's call of a replayed function is not the one the student's code made."""


class _Token:
    """Stands for an object a recorded call returned (a cache), handed back to later calls."""

    def __init__(self, name: str):
        self.name = name


class _Replay:
    """The recorded calls of the student's functions, answered in order per function."""

    def __init__(self, calls: list, arrays: dict):
        self.calls, self.arrays = calls, arrays
        self.next: dict[str, int] = {}
        self.differed: set[str] = set()  # replayed functions whose answers were not the reference's

    def function(self, qualname: str, original=None):
        """The replayed function. `original` (the reference's own) also runs on the same arguments,
        so that what the record cannot hold (a cache) is the reference's own for the same call."""

        def replayed(*args, **kwargs):
            mine = [c for c in self.calls if c.get("name") == qualname]
            k = self.next.get(qualname, 0)
            if k >= len(mine) or "out" not in mine[k]:
                raise ReplayMismatch(f"{qualname} is called more often than the student's code called it")
            self.next[qualname] = k + 1
            call = mine[k]
            if len(call["args"]) != len(args):
                raise ReplayMismatch(f"{qualname} call {k + 1}: {len(args)} arguments, the student's code passed "
                                     f"{len(call['args'])}")
            for j, (item, arg) in enumerate(zip(call["args"], args)):
                if item[0] == "a":
                    got = np.asarray(arg, dtype=np.float64) if arg is not None else None
                    want = np.asarray(self.arrays[item[1]], dtype=np.float64)
                    if got is None or got.shape != want.shape or not _close(got, want):
                        raise ReplayMismatch(f"{qualname} call {k + 1}: argument {j + 1} differs from the one the "
                                             f"student's code passed")
                elif item[0] == "t" and isinstance(arg, _Token) and arg.name != item[1]:
                    raise ReplayMismatch(f"{qualname} call {k + 1}: argument {j + 1} comes from another call")
            mine_ref = None
            if original is not None:
                try:
                    mine_ref = original(*args, **kwargs)
                except Exception:  # noqa: BLE001 - then only tokens stand for the objects
                    mine_ref = None
            ref_items = mine_ref if isinstance(mine_ref, tuple) else (mine_ref,)
            for j, keys in (call.get("dicts") or {}).items():
                target = args[int(j)]
                if isinstance(target, dict):
                    for key in keys:
                        mine = np.array(self.arrays[_dict_key(call, j, key, self.calls)])
                        ref = target.get(key)
                        if mine_ref is not None and (ref is None or np.shape(ref) != mine.shape or not _close(
                                np.asarray(ref, dtype=np.float64), np.asarray(mine, dtype=np.float64))):
                            self.differed.add(qualname)  # e.g. running averages not the reference's
                        target[key] = mine
            outs = []
            for i, item in enumerate(call["out"]):
                if item[0] == "a":
                    v = np.array(self.arrays[item[1]])
                    if mine_ref is not None and i < len(ref_items):
                        r = np.asarray(ref_items[i], dtype=np.float64) if ref_items[i] is not None else None
                        if r is None or r.shape != v.shape or not _close(np.asarray(v, dtype=np.float64), r):
                            self.differed.add(qualname)  # the student's answer is not the reference's here
                    outs.append(float(v) if v.ndim == 0 else v)
                elif mine_ref is not None and i < len(ref_items) and not isinstance(ref_items[i], np.ndarray):
                    outs.append(ref_items[i])  # the reference's own cache for the same call
                else:
                    outs.append(_Token(item[1]))
            return tuple(outs) if call.get("tuple") else outs[0]

        return replayed


def _dict_key(call, j, key, calls) -> str:
    return f"rec.{calls.index(call)}.d{j}.{key}"


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    # the same call, up to the rounding of another order of operations (float32 cases included); the
    # caller's own outputs are then compared at the usual tolerances
    return bool(np.all(np.abs(a - b) <= 1e-5 * np.maximum(np.abs(a) + np.abs(b), 1e-6 * scale) + 1e-300))


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
