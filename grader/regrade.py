"""Regrades: what a grading depended on, when it is stale, the previous results kept, the deltas.

A grading depends on the grader (its version and its own source: `grader_version`), the course
profile (the Python files of its folder, and the edition: `profile_hash`) and the course's
reference tree (`reference_hash`, grade.reference_digest). The ledger records the three per
grading (grader.batch); `grader batch --resume` regrades a submission whose grading was done
with any of them different ("stale"), as well as new and changed submissions.

Nothing is lost: before a submission is graded again its results.json moves to
results/NAME/history/<time>.json; after the new grading, results/NAME/delta.json records the
old and new score and the tests whose verdict changed (read by the class report and the
feedback pages; absent when there was no previous grading).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path

GRADER_DIR = Path(__file__).resolve().parent
HISTORY = "history"
DELTA = "delta.json"


@functools.lru_cache(maxsize=1)
def grader_version() -> str:
    """The package version and a digest of the grader's own source (the built-in course folders
    excluded: they are profiles, hashed by profile_hash), e.g. "0.1.0+src.1a2b3c4d5e6f"."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    dist = (packages_distributions().get("grader") or [None])[0]
    try:
        v = version(dist) if dist else "0"
    except PackageNotFoundError:
        v = "0"
    courses = GRADER_DIR / "courses"
    h = hashlib.sha256()
    for path in sorted(GRADER_DIR.rglob("*.py")):
        rel = path.relative_to(GRADER_DIR)
        if "__pycache__" in rel.parts:
            continue
        if path.is_relative_to(courses) and len(rel.parts) > 2 and rel.parts[1] != "family":
            continue  # a built-in course's own folder: its profile_hash
        h.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{v}+src.{h.hexdigest()[:12]}"


def profile_hash(profile) -> str:
    """A hash of the profile's folder (its Python files) and of the edition graded."""
    h = hashlib.sha256(f"{profile.name}\0{profile.edition.name if profile.edition else ''}\0".encode())
    folder = Path(profile.paths.profile)
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def reference_hash(profile) -> str:
    from .grade import reference_digest

    return reference_digest(profile)[:16]


@functools.lru_cache(maxsize=64)
def _keys(name: str, edition: str | None) -> tuple[str, str, str]:
    from .courses import get_profile
    from .errors import SetupError

    try:
        prof = get_profile(name, edition)
    except SetupError:
        return grader_version(), "unknown profile", "unknown profile"
    return grader_version(), profile_hash(prof), reference_hash(prof)


def grading_keys(profile: str | None, edition: str | None = None) -> tuple[str, str, str]:
    """(grader version, profile hash, reference hash) of a grading against `profile` now; a
    submission no course matched ("" or None) depends on the grader only."""
    if not profile:
        return grader_version(), "", ""
    return _keys(profile, edition)


def keys_of(results: dict) -> tuple[str, str, str]:
    course = results.get("course") if isinstance(results.get("course"), dict) else {}
    return grading_keys(results.get("profile") or None, course.get("edition"))


def clear_cache() -> None:
    """Forget the hashes computed in this process (tests change profiles between batches)."""
    _keys.cache_clear()


# ----------------------------------------------------------------------------- history and deltas


def archive(result_dir: Path) -> Path | None:
    """Move result_dir/results.json (if any) to result_dir/history/<time>.json; the new path."""
    current = Path(result_dir) / "results.json"
    if not current.is_file():
        return None
    history = Path(result_dir) / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(current.stat().st_mtime))
    target, k = history / f"{stamp}.json", 2
    while target.exists():
        target, k = history / f"{stamp}-{k}.json", k + 1
    os.replace(current, target)
    return target


def history(result_dir: Path) -> list[Path]:
    """The previous results of a submission, oldest first."""
    folder = Path(result_dir) / HISTORY
    return sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name)) if folder.is_dir() else []


def latest(result_dir: Path) -> Path | None:
    """The most recent previous results (e.g. of a regrade that an interrupted batch archived)."""
    found = history(result_dir)
    return found[-1] if found else None


def _verdicts(results: dict) -> dict[str, tuple[str, float]]:
    return {t["name"]: (t.get("status"), float(t.get("score", 0.0))) for t in results.get("tests", [])
            if isinstance(t, dict) and "name" in t}


def delta(old: dict, new: dict) -> dict:
    """Old and new score, and the tests whose verdict (status or score) changed."""
    a, b = _verdicts(old), _verdicts(new)
    changed = []
    for name in list(b) + [n for n in a if n not in b]:
        before, after = a.get(name), b.get(name)
        if before is None or after is None or before[0] != after[0] or abs(before[1] - after[1]) > 1e-9:
            changed.append({"name": name, "old": before[0] if before else None, "new": after[0] if after else None,
                            "old_score": before[1] if before else None, "new_score": after[1] if after else None})
    return {"old_score": old.get("score"), "new_score": new.get("score"), "old_max": old.get("max_score"),
            "new_max": new.get("max_score"), "old_status": old.get("status"), "new_status": new.get("status"),
            "changed": changed}


def write_delta(result_dir: Path, previous: Path | None, new: dict, reason: str = "") -> dict | None:
    """results/NAME/delta.json from the archived `previous` results and the `new` ones (removed
    when there is no previous grading); returns the delta."""
    path = Path(result_dir) / DELTA
    old = None
    if previous is not None:
        try:
            old = json.loads(Path(previous).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
    if not isinstance(old, dict):
        path.unlink(missing_ok=True)
        return None
    d = delta(old, new)
    d["previous"] = Path(previous).relative_to(result_dir).as_posix()
    d["reason"] = reason
    d["when"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(d, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return d


def read_delta(result_dir: Path) -> dict | None:
    """The submission's delta.json, or None; only a delta where something changed is returned."""
    try:
        d = json.loads((Path(result_dir) / DELTA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(d, dict):
        return None
    if not d.get("changed") and d.get("old_score") == d.get("new_score"):
        return None
    return d
