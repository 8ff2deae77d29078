"""Mutants of a course: generated from its reference's solution blocks, plus its catalogue.

Generated mutants change one thing in one solution block of an editable file (grader.mutate.
operators). Their ids are deterministic: `<function>:<operator>:<k>`, k counting that operator's
mutants of that function in source order, so an id names the same mutant for as long as the
function's code does not change. A proposal that does not compile or parse to the AST it claims
is dropped as invalid, one that changes nothing as a no-op, one giving a file text an earlier
mutant gave as a duplicate; the counts are kept.

The profile's catalogue (Profile.mutants: classic bugs as text edits) joins them with the ids
`<function>:catalogue:<name>`.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..examples import BASES, edited
from ..strip import find_blocks
from .operators import OPERATORS, FunctionContext, Source, proposals, realise

CATALOGUE = "catalogue"


@dataclass(frozen=True)
class Mutant:
    """One wrong implementation: a generated mutation or a catalogued classic bug.

    function: the graded function (qualified name) whose code changed; functions: every graded
    function it changes (a catalogue entry may change several). files: course-root path -> the
    whole mutated text of every changed editable file. description: the change in short
    (instructors only: it shows reference code). line: first changed line of the first file.
    """

    id: str
    function: str
    operator: str
    description: str
    files: dict
    diff: str
    line: int = 0
    functions: tuple[str, ...] = ()
    source: str = "generated"

    def digest(self) -> str:
        h = hashlib.sha256()
        for rel in sorted(self.files):
            h.update(rel.encode() + b"\0" + self.files[rel].encode() + b"\0")
        return h.hexdigest()[:16]


@dataclass
class Generation:
    """What generation produced: the mutants, per function, and what was dropped and why."""

    mutants: list[Mutant] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)  # invalid | noop | duplicate
    skipped: list[str] = field(default_factory=list)  # blocks outside a graded function
    functions: list[str] = field(default_factory=list)  # graded functions holding solution blocks


def module_of(rel: str) -> str:
    """'cs/classifiers/net.py' -> 'cs.classifiers.net'."""
    return PurePosixPath(rel).with_suffix("").as_posix().replace("/", ".")


def _graded_name(rel: str, func: ast.FunctionDef, cls: ast.ClassDef | None, graded: set[str]) -> str | None:
    short = module_of(rel).rsplit(".", 1)[-1]
    for name in ([f"{short}.{cls.name}"] if cls is not None else []) + [f"{short}.{func.name}"]:
        if name in graded:
            return name
    return None


def _functions(tree: ast.Module):
    """(function, enclosing class or None) of every function definition, outermost first."""
    out = []

    def visit(node, cls):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((child, cls))
                visit(child, cls)

    visit(tree, None)
    return out


def unified_diff(rel: str, old: str, new: str, context: int = 2) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{rel}", tofile=f"b/{rel}", n=context))


def _first_changed_line(old: str, new: str) -> int:
    for i, (a, b) in enumerate(zip(old.splitlines(), new.splitlines()), start=1):
        if a != b:
            return i
    return min(len(old.splitlines()), len(new.splitlines())) + 1


def generate(profile, *, only: set[str] | None = None, catalogue: bool = True, via_base: bool = True) -> Generation:
    """Every mutant of `profile` (only: graded functions to keep), in a deterministic order:
    editable files in the profile's order, functions in source order, operators by site.
    via_base: a function whose solution delegates to a course it builds on (`canonical.f(...)`)
    also gets the mutants of that course's f, applied to the copy its submissions carry."""
    graded = set(profile.functions())
    gen = Generation()
    seen: set[str] = set()
    delegating: dict[str, list[str]] = {}  # graded name -> base modules.functions it calls
    for rel in profile.editable:
        path = profile.paths.reference / rel
        text = profile.source(rel, path.read_text(encoding="utf-8"))
        blocks = find_blocks(text, rel, profile.markers)
        if not blocks:
            continue
        tree = ast.parse(text)
        src = Source(text)
        functions = _functions(tree)
        owned: dict[int, list] = {}
        for block in blocks:
            holders = [(f, c) for f, c in functions if f.lineno < block.start + 1 and f.end_lineno >= block.end - 1]
            if not holders:
                gen.skipped.append(f"{rel}:{block.start + 1}: a solution block outside any function")
                continue
            func, cls = max(holders, key=lambda fc: fc[0].lineno)  # the innermost
            owned.setdefault(id(func), [func, cls, []])[2].append(block)
        counters: Counter = Counter()
        for func, cls in functions:
            if id(func) not in owned:
                continue
            _, _, fblocks = owned[id(func)]
            name = _graded_name(rel, func, cls, graded)
            if name is None:
                gen.skipped.append(f"{rel}:{func.lineno}: {func.name} holds solution blocks but is not graded")
                continue
            if name not in gen.functions:
                gen.functions.append(name)
            if only is not None and name not in only:
                continue
            ranges = [(b.start + 1, b.end - 1) for b in fblocks]

            def inside(node, ranges=ranges):
                lo, hi = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
                return lo is not None and any(a <= lo and hi <= b for a, b in ranges)

            if via_base and getattr(profile, "builds_on", ()):
                delegating[name] = _delegations(tree, func, inside)
            ctx = FunctionContext(func, src)
            original = ast.dump(func)
            for p in proposals(ctx, inside):
                done = realise(src, func, p)
                if done is None:
                    gen.dropped["invalid"] += 1
                    continue
                mutated, dump = done
                if dump == original:
                    gen.dropped["noop"] += 1
                    continue
                key = hashlib.sha256(f"{rel}\0{mutated}".encode()).hexdigest()
                if key in seen:
                    gen.dropped["duplicate"] += 1
                    continue
                seen.add(key)
                counters[(name, p.operator)] += 1
                mid = f"{name}:{p.operator}:{counters[(name, p.operator)]}"
                line = _first_changed_line(text, mutated)
                description = f"{p.old} -> {p.new}" if p.new != "(skipped)" else f"{p.old} skipped"
                gen.mutants.append(Mutant(mid, name, p.operator, description, {rel: mutated},
                                          unified_diff(rel, text, mutated), line, (name,)))
    base_mutants: dict[str, dict[str, list[Mutant]]] = {}  # base course -> its function -> mutants, made once
    for name, targets in delegating.items():
        gen.mutants += _via_base(profile, name, targets, seen, gen, base_mutants)
    if catalogue:
        gen.mutants += catalogue_mutants(profile, only=only)
    return gen


def _delegations(tree: ast.Module, func: ast.FunctionDef, inside) -> list[str]:
    """The base courses' functions `func`'s solution blocks call, as 'cs231n.layers.affine_forward'
    (through `from _canonical.<module> import <name> as <alias>`, anywhere in the module)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(BASES + "."):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module[len(BASES) + 1:]}.{a.name}"
    found = []
    for node in ast.walk(func):
        if (isinstance(node, ast.Call) and inside(node) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases):
            target = f"{aliases[node.func.value.id]}.{node.func.attr}"
            if target not in found:
                found.append(target)
    return found


def _via_base(profile, name: str, targets: list[str], seen: set, gen: Generation, cache: dict) -> list[Mutant]:
    """The mutants of the base courses' functions `name` delegates to, moved onto the copy of the
    base package a submission of `profile` carries (<package>/_canonical_<base>/, grader.examples).
    cache: base course name -> {function: its mutants}, filled on first use."""
    from ..courses import get_profile

    out = []
    for target in targets:
        module, _, fn = target.rpartition(".")
        top, _, rest = module.partition(".")
        for base_name in profile.builds_on:
            base = get_profile(base_name)
            short = f"{module.rsplit('.', 1)[-1]}.{fn}"
            if top not in {p.name for p in base.packages} or short not in base.functions():
                continue
            carried = f"{profile.package}/{BASES}_{top}/{rest.replace('.', '/')}.py"
            if base_name not in cache:
                cache[base_name] = {}
                for m in generate(base, catalogue=False, via_base=False).mutants:
                    cache[base_name].setdefault(m.function, []).append(m)
            for m in cache[base_name].get(short, ()):
                (rel, text), = m.files.items()
                key = hashlib.sha256(f"{carried}\0{text}".encode()).hexdigest()
                if key in seen:
                    gen.dropped["duplicate"] += 1
                    continue
                seen.add(key)
                out.append(Mutant(f"{name}:via:{m.id}", name, m.operator, f"{m.description} (in {target}, which it calls)",
                                  {carried: text}, m.diff.replace(f"a/{rel}", f"a/{carried}").replace(f"b/{rel}", f"b/{carried}"),
                                  m.line, (name,), "generated"))
            break
    return out


def catalogue_mutants(profile, *, only: set[str] | None = None) -> list[Mutant]:
    """The profile's catalogued classic bugs (Profile.mutants) as mutants of their first function."""
    out = []
    graded = set(profile.functions())
    for v in profile.mutants:
        if not v.functions or not set(v.functions) <= graded:
            continue
        if only is not None and not set(v.functions) & only:
            continue
        files, diffs, line = {}, [], 0
        for rel in dict.fromkeys(e.file for e in v.edits):
            raw = (profile.paths.reference / rel).read_text(encoding="utf-8")
            old, new = profile.source(rel, raw), profile.source(rel, edited(raw, rel, v.edits))
            files[rel] = new
            diffs.append(unified_diff(rel, old, new))
            line = line or _first_changed_line(old, new)
        description = v.hint or v.name.replace("_", " ")
        out.append(Mutant(f"{v.functions[0]}:{CATALOGUE}:{v.name}", v.functions[0], CATALOGUE, description, files,
                          "".join(diffs), line, tuple(v.functions), CATALOGUE))
    return out


__all__ = ["CATALOGUE", "Generation", "Mutant", "OPERATORS", "catalogue_mutants", "generate", "module_of"]
