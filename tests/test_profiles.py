"""The contract every course profile and edition keeps, and the rule that the pipeline itself names
no course: the reference scores full marks, the unsolved kit zero without a crash, every
catalogued classic bug loses points on its function and shows its hint, every accepted
alternative keeps full marks, and the kit builds reproducibly without leaking a solution line."""

from __future__ import annotations

import builtins
import io
import re
import tokenize
from pathlib import Path

import pytest

from grader import examples
from grader.courses import available, get_profile, profiles
from grader.grade import grade_submission
from grader.template import build_template, diff_trees, find_leaks

GRADER = Path(examples.__file__).resolve().parent
EDITIONS = [(p.name, None) for p in profiles()] + [(p.name, e.name) for p in profiles() for e in p.editions]


def _id(pair):
    return f"{pair[0]}-{pair[1] or 'kit'}"


def grade(prof, root: Path, tmp: Path, **kw) -> dict:
    return grade_submission(root, profile=prof, out_dir=tmp / f"out-{root.name}", notebooks=False, seed=3, **kw)


def by_function(results: dict) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for t in results["tests"]:
        groups.setdefault(t["name"].split("[")[0], []).append(t)
    return groups


def _catalogue(kind: str):
    out = []
    for name, edition in EDITIONS:
        prof = get_profile(name, edition)
        graded = set(prof.functions())
        for v in getattr(prof, kind):
            if set(v.functions) <= graded and (not v.editions or (edition or "kit") in v.editions) \
                    and edition not in v.not_in:
                mark = () if edition is None else (pytest.mark.slow,)
                out.append(pytest.param(name, edition, v.name, id=f"{_id((name, edition))}-{v.name}", marks=mark))
    return out


# ----------------------------------------------------------------------------- every profile, every edition


@pytest.mark.parametrize("pair", EDITIONS, ids=_id)
def test_the_reference_scores_full_marks_and_the_unsolved_kit_zero(pair, tmp_path):
    prof = get_profile(*pair)
    solved = grade(prof, examples.build(prof, tmp_path / "alice"), tmp_path)
    bad = [(t["name"], t["output"]) for t in solved["tests"] if t["status"] != "passed"]
    assert not bad, bad[:5]
    assert solved["max_score"] > 0 and solved["score"] == pytest.approx(solved["max_score"])
    assert set(by_function(solved)) == set(prof.functions())
    if prof.edition is not None:  # what the edition's assignment does not contain is neither graded nor counted
        assert not set(prof.edition.absent_functions) & set(by_function(solved))
    unsolved = grade(prof, examples.build(prof, tmp_path / "dave", strip=True), tmp_path)
    assert unsolved["status"] == "graded" and unsolved["score"] == 0
    assert all(t["status"] == "error" and "not implemented" in t["output"] for t in unsolved["tests"])


@pytest.mark.parametrize("name,edition,variant", _catalogue("mutants"))
def test_every_catalogued_bug_loses_points_on_its_function_and_names_itself(name, edition, variant, tmp_path):
    prof = get_profile(name, edition)
    v = examples.variant(prof, variant)
    results = grade(prof, examples.build(prof, tmp_path / v.name, v.edits), tmp_path, only=set(v.functions))
    groups = by_function(results)
    failing = []
    for fn in v.functions:
        lost = [t for t in groups[fn] if t["status"] != "passed"]
        assert lost and sum(t["score"] for t in groups[fn]) < sum(t["max_score"] for t in groups[fn]), fn
        failing += lost
    if v.hint:
        assert any(v.hint in t["output"] for t in failing), [t["output"] for t in failing]


@pytest.mark.parametrize("name,edition,variant", _catalogue("alternatives"))
def test_every_accepted_alternative_keeps_full_marks(name, edition, variant, tmp_path):
    prof = get_profile(name, edition)
    v = examples.variant(prof, variant)
    results = grade(prof, examples.build(prof, tmp_path / v.name, v.edits), tmp_path, only=set(v.functions))
    assert set(v.functions) <= set(by_function(results))
    bad = [(t["name"], t["output"]) for t in results["tests"] if t["status"] != "passed"]
    assert not bad, bad
    assert results["score"] == pytest.approx(results["max_score"])
    if v.warning:  # accepted, with the warning the policy gives what the assignment does not ask
        warned = [w for t in results["tests"] for w in t["warnings"]]
        assert any(v.warning in w for w in warned), warned


@pytest.mark.parametrize("pair", EDITIONS, ids=_id)
def test_the_kit_builds_reproducibly_and_leaks_nothing(pair, tmp_path):
    prof = get_profile(*pair)
    a = build_template(profile=prof, out=tmp_path / "a")
    build_template(profile=prof, out=tmp_path / "b")
    assert diff_trees(tmp_path / "a", tmp_path / "b") == []
    assert find_leaks(tmp_path / "a", prof, notebooks=prof.paths.notebooks) == []
    assert set(a.stripped) == set(prof.editable)


def test_profiles_are_discovered_and_listed_with_their_editions():
    names = set(available())
    assert "cs231n" in names
    assert get_profile().default and get_profile().name == "cs231n"
    cs = get_profile("cs231n")
    assert {"2018-2020", "2021-2024", "2025+"} <= set(cs.edition_names())
    assert get_profile("cs231n", "2019").edition.name == "2018-2020"  # a year names its edition


# ----------------------------------------------------------------------------- the pipeline names no course


# Plain words a course may also use as a name (a notebook keeping its model in `model`): they say
# nothing about the course, and the engine uses them too.
PLAIN_WORDS = {"model"}


def _course_words() -> set[str]:
    """Every function, class, module, package and notebook name a profile uses."""
    words: set[str] = set()
    for prof in profiles():
        for q in prof.functions():
            module, _, name = q.partition(".")
            words |= {module, name}
        for module in prof.module_deps:
            words |= set(module.split("."))
        words |= {p.name for p in prof.packages} | {a for p in prof.packages for a in p.aliases}
        for nb in prof.notebooks + tuple(x for e in prof.editions for x in (e.notebooks or ())):
            words |= {nb.file, nb.stem} | ({nb.variable} if nb.variable else set()) | set(nb.classes)
    return {w for w in words if len(w) > 3} - set(dir(builtins)) - PLAIN_WORDS  # a model kept as a plain `dict` names no course


def _code_tokens(path: Path):
    """(line, token) of every name and every string that is not a docstring, in a module."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))
    previous = None
    for tok in tokens:
        if tok.type == tokenize.NAME:
            yield tok.start[0], tok.string
        elif tok.type == tokenize.STRING:
            docstring = previous in (None, tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT)
            if not docstring:
                yield tok.start[0], tok.string
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.type


def test_the_engine_and_the_pipeline_name_no_course_function_module_or_notebook():
    words = _course_words()
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b")
    found = []
    for path in sorted(GRADER.rglob("*.py")):
        rel = path.relative_to(GRADER).as_posix()
        if rel.startswith("courses/") and rel != "courses/__init__.py" and rel != "courses/profile.py":
            continue  # course knowledge lives in the course folders
        for line, token in _code_tokens(path):
            if pattern.search(token):
                found.append(f"grader/{rel}:{line}: {token[:60]}")
    assert not found, "\n".join(found[:20])
