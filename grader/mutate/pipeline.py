"""The whole of `grader mutate`: generate, grade, report (the CLI's entry point)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from ..errors import SetupError
from .generate import Generation, Mutant, generate
from .report import summarise, write_html, write_json
from .run import DEFAULT_PROBE_SEEDS, DEFAULT_SEED, Outcome, run_mutants

MIN_KILL_RATE = 0.95


def resolve_only(profile, names) -> set[str] | None:
    """Qualified names from --only values (a qualified name, or a bare function or class name)."""
    if not names:
        return None
    graded = profile.functions()
    out = set()
    for name in names:
        hits = [f for f in graded if f == name or f.split(".", 1)[-1] == name]
        if not hits:
            raise SetupError(f"--only {name}: {profile.name} grades no such function (e.g. {graded[0]})")
        out.update(hits)
    return out


def mutate_profile(profile, *, out_dir: Path, only=None, workers: int = 1, seed: int = DEFAULT_SEED,
                   probe_seeds: int = DEFAULT_PROBE_SEEDS, catalogue: bool = True, min_rate: float = MIN_KILL_RATE,
                   on_start: Callable[[int], None] | None = None,
                   progress: Callable[[Outcome], None] | None = None) -> dict:
    """Generate, grade and report every mutant of `profile` (only: qualified names); writes
    OUT/mutants.json and OUT/mutants.html and returns the summary (mutants.json's content)."""
    started = time.monotonic()
    only = resolve_only(profile, only)
    gen: Generation = generate(profile, only=only, catalogue=catalogue)
    if on_start:
        on_start(len(gen.mutants))
    outcomes = run_mutants(profile, gen.mutants, workers=workers, seed=seed, probe_seeds=probe_seeds,
                           progress=progress)
    summary = summarise(profile, gen, gen.mutants, outcomes, seed=seed, probe_seeds=probe_seeds, workers=workers,
                        seconds=time.monotonic() - started, only=only)
    out_dir = Path(out_dir)
    write_json(summary, out_dir)
    write_html(summary, out_dir, min_rate)
    return summary


def passed(summary: dict, min_rate: float = MIN_KILL_RATE) -> bool:
    """Every function at or above min_rate, and no survivor neither equivalent nor accepted."""
    rates_ok = all(f["kill_rate"] is None or f["kill_rate"] >= min_rate - 1e-12 for f in summary["functions"])
    return rates_ok and summary["totals"]["survived"] == 0 and summary["totals"]["error"] == 0


__all__ = ["MIN_KILL_RATE", "Mutant", "generate", "mutate_profile", "passed", "resolve_only"]
