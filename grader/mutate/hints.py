"""Naming a generated mutant when a student's failing result equals its result.

A profile opts in by registering `mutant_hint(name)` under the hint name GENERATED_MUTANT
(grader.check.diagnose keeps a placeholder of that name among its generic hints, tried after
every other hint, so the profile's version runs whenever nothing more specific recognised a
failure). On a failed value check of a function, it recomputes in the grading process what each
generated mutant of that function returns on the very inputs of the check (the drivers the
sandbox runs, with the reference's other modules), and when the student's failing output equals
one mutant's (and not the reference's), the hint names the mistake in plain words, never with
reference code.

Why running mutants in the grading process is acceptable: they are made by the grader's own
operators from the trusted reference (no student code is involved, as for the ReferenceOracle),
their operators only change expressions and statements (functions holding a `while` loop are
left out, so no mutant can loop without end), the inputs are a check's small arrays, numpy's
global random state is restored after each call, and the search stops after TIME_BUDGET seconds
per failure and FUNCTION_BUDGET seconds per function and process (a hint only explains a
failure; it never changes a score). Models and named checks are not searched.
"""

from __future__ import annotations

import ast
import threading
import time
import types
import warnings
from pathlib import Path

import numpy as np

from ..check.diagnose import Evidence, matches
from .generate import Mutant, generate, module_of
from .operators import PLAIN

GENERATED_MUTANT = "generated_mutant"
TIME_BUDGET = 2.0  # seconds of mutant runs per failure
FUNCTION_BUDGET = 6.0  # seconds per function and process, all its failures together
_LOCK = threading.RLock()
_MUTANTS: dict[tuple[str, str], list[Mutant]] = {}
_MODULES: dict[str, types.ModuleType | None] = {}
_SPENT: dict[tuple[str, str], float] = {}
_ENABLED = [True]


def enable(on: bool) -> None:
    """Turn the search on or off in this process (`grader mutate` turns it off: it would only
    name the very mutant being graded, at a cost)."""
    _ENABLED[0] = bool(on)


def _driver_of(params: dict) -> str | None:
    """The generic driver a check's task used, from its parameters."""
    if "backward" in params and "call" in params:
        return "layer_pair"
    if "rule" in params:
        return "optim_steps"
    if "outputs" in params and "call" in params:
        return "call"
    if "call" in params and "function" in params:
        return "layer_forward"
    return None  # models and named checks: not searched (too slow, or not a plain comparison)


def _mutants(profile, function: str) -> list[Mutant]:
    key = (profile.label, function)
    with _LOCK:
        if key not in _MUTANTS:
            try:
                gen = generate(profile, only={function}, catalogue=False, via_base=False)
                found = [m for m in gen.mutants if len(m.files) == 1 and not _loops(m)]
            except Exception:  # noqa: BLE001 - no reference here (a student's kit): no mutant hints
                found = []
            _MUTANTS[key] = found
        return _MUTANTS[key]


def _loops(m: Mutant) -> bool:
    text = next(iter(m.files.values()))
    return any(isinstance(n, ast.While) for n in ast.walk(ast.parse(text)))


class _Context:
    """The drivers' ctx: the mutated module in place of its reference twin, the rest the reference's."""

    def __init__(self, tree, name: str, module: types.ModuleType):
        self.tree, self.name, self.mutated = tree, name, module
        self.config = {}

    def module(self, name: str):
        return self.mutated if name == self.name else self.tree.module(name)


def _module(tree, m: Mutant) -> types.ModuleType | None:
    """The mutated module, executed once (under the reference tree, whose modules its imports find)."""
    with _LOCK:
        if m.id in _MODULES:
            return _MODULES[m.id]
        rel, text = next(iter(m.files.items()))
        name = module_of(rel)
        module = types.ModuleType(name)
        module.__package__ = name.rpartition(".")[0]
        module.__file__ = str(Path(tree.root) / rel)
        try:
            code = compile(text, f"<mutant {m.id}>", "exec")
            with tree.active():
                exec(code, module.__dict__)  # noqa: S102 - generated from the trusted reference (module docstring)
        except Exception:  # noqa: BLE001
            module = None
        _MODULES[m.id] = module
        return module


def _run(drivers, ctx, driver: str, params: dict, arrays: dict) -> dict | None:
    state = np.random.get_state()
    try:
        with ctx.tree.active(), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copies = {k: np.array(v, copy=True) for k, v in arrays.items()}
            out = drivers[driver](ctx, dict(params, numeric=None), copies)
    except Exception:  # noqa: BLE001 - a mutant that raises on these inputs matches nothing
        return None
    finally:
        np.random.set_state(state)
    out.pop("info", None)
    return out


def describe(m: Mutant) -> str:
    return f"your result equals the reference's with {PLAIN.get(m.operator, m.operator)} (generated mutant {m.id})"


def mutant_hint(profile_name: str, edition: str | None = None):
    """The GENERATED_MUTANT hint of a profile (registered in its hints)."""

    def hint(ev: Evidence) -> str | None:
        if not _ENABLED[0] or ev.error or ev.key is None or ev.actual.get(ev.key) is None:
            return None
        driver = _driver_of(ev.params)
        if driver is None:
            return None
        from ..check.oracle import load_drivers
        from ..check.plan import driver_files
        from ..courses import get_profile
        from ..reference import load_reference

        profile = get_profile(profile_name, edition)
        mutants = _mutants(profile, ev.function)
        if not mutants:
            return None
        tree = load_reference(profile)
        drivers = _drivers(profile, driver_files, load_drivers)
        actual, expected = ev.actual[ev.key], ev.expected.get(ev.key)
        key = (profile.label, ev.function)
        started = time.monotonic()
        deadline = started + min(TIME_BUDGET, FUNCTION_BUDGET - _SPENT.get(key, 0.0))
        try:
            for m in mutants:
                if time.monotonic() > deadline:
                    return None
                module = _module(tree, m)
                if module is None:
                    continue
                out = _run(drivers, _Context(tree, module.__name__, module), driver, ev.params, ev.arrays)
                value = None if out is None else out.get(ev.key)
                if value is None or (expected is not None and matches(value, expected)):
                    continue
                if matches(actual, value):
                    return describe(m)
            return None
        finally:
            _SPENT[key] = _SPENT.get(key, 0.0) + time.monotonic() - started

    return hint


_DRIVERS: dict[str, dict] = {}


def _drivers(profile, driver_files, load_drivers) -> dict:
    with _LOCK:
        if profile.name not in _DRIVERS:
            _DRIVERS[profile.name] = load_drivers(driver_files(profile))
        return _DRIVERS[profile.name]


__all__ = ["GENERATED_MUTANT", "TIME_BUDGET", "describe", "enable", "mutant_hint"]
