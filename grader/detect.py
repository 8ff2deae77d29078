"""Which course and edition a submission is, from its files alone.

Nothing is imported or run: the student's Python files are parsed (ast, with size caps) for the
functions, classes, methods and constructor arguments they define, and each profile's editions
say what they expect to see (grader.courses.profile.Evidence). A submission made from this
project's kit carries its public checks (public_checks/manifest.json names the profile): that
settles the course and means the kit's own edition (every function).
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .submission import find_package

MAX_PARSE_BYTES = 2 << 20
KIT_MANIFEST = ("public_checks", "manifest.json")


@dataclass
class Detection:
    """The chosen profile and edition (None: the kit's own), how sure, and why."""

    profile: str | None
    edition: str | None
    evidence: list[str] = field(default_factory=list)
    candidates: list[tuple[str, str | None, float]] = field(default_factory=list)  # (profile, edition, score)
    from_kit: bool = False  # the submission carries this project's kit (public_checks/ names the profile)

    def as_json(self, detected: bool = True) -> dict:
        return {"profile": self.profile, "edition": self.edition, "detected": detected, "evidence": self.evidence,
                "from_kit": self.from_kit,
                "candidates": [{"profile": p, "edition": e, "score": s} for p, e, s in self.candidates[:6]]}


def _literal_defaults(a: ast.arguments) -> dict:
    """Argument name -> its default value, for the defaults written as plain literals."""
    out = {}
    positional = a.posonlyargs + a.args
    for arg, default in zip(positional[len(positional) - len(a.defaults):], a.defaults):
        try:
            out[arg.arg] = ast.literal_eval(default)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            pass
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        if default is not None:
            try:
                out[arg.arg] = ast.literal_eval(default)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                pass
    return out


def _definitions(path: Path) -> tuple[set[str], dict[str, list[str]], dict[str, dict]]:
    """(names defined at top level, incl. Class.method; constructor argument names per class;
    constructor argument defaults written as literals, per class)."""
    try:
        if path.stat().st_size > MAX_PARSE_BYTES:
            return set(), {}, {}
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return set(), {}, {}
    names: set[str] = set()
    args: dict[str, list[str]] = {}
    defaults: dict[str, dict] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(f"{node.name}.{item.name}")
                    if item.name == "__init__":
                        a = item.args
                        args[node.name] = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs][1:]
                        defaults[node.name] = _literal_defaults(a)
    return names, args, defaults


class Facts:
    """What a submission's code shows, per profile package layout (parsed on demand, cached)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[Path, tuple[set[str], dict]] = {}
        self._text: dict[Path, str] = {}

    def parsed(self, path: Path):
        if path not in self._cache:
            self._cache[path] = _definitions(path) if path.is_file() else (set(), {}, {})
        return self._cache[path]

    def text(self, path: Path) -> str:
        """The file's text (capped; empty when absent or unreadable): searched, never parsed."""
        if path not in self._text:
            try:
                with open(path, "rb") as f:
                    self._text[path] = f.read(MAX_PARSE_BYTES).decode("utf-8", "replace")
            except OSError:
                self._text[path] = ""
        return self._text[path]


def _module_files(profile, package_dir: Path | None) -> dict[str, Path]:
    """Short module name -> the file a submission would hold it in (for the profile's modules)."""
    out = {}
    if package_dir is None:
        return out
    for module in profile.module_deps:
        top, _, rest = module.partition(".")
        pkg = profile.package_of(top)
        if pkg is None or not pkg.student or not rest:
            continue
        out[module.rsplit(".", 1)[-1]] = package_dir / (rest.replace(".", "/") + ".py")
    return out


def _features(profile) -> set[tuple]:
    """The features every edition of the profile is judged on: ("def", qualified name) and
    ("arg", "module.Class", argument name)."""
    out = {("def", q) for q in profile.functions()}
    for e in profile.editions:
        out |= {("def", q) for q in (*e.evidence.functions, *e.evidence.absent)}
        out |= {("file", f) for f in e.evidence.files}
        for cls, args in e.evidence.arguments.items():
            out |= {("arg", cls, a) for a in args}
        for cls, values in e.evidence.defaults.items():
            out |= {("default", cls, a, v) for a, v in values.items()}
        for cls, names in e.renames.items():
            out |= {("arg", cls, a) for pair in names.items() for a in pair}
        out |= {("text", module, pattern) for module, patterns in e.evidence.text.items() for pattern in patterns}
    return out


def _expectations(profile, edition) -> dict[tuple, bool]:
    """What the edition's code shows over the profile's features: the reference's own code
    (= the course's own kit, edition None), changed as the edition says."""
    ref_pkg = profile.paths.reference / profile.package
    ref = Facts(profile.paths.reference)
    files = _module_files(profile, ref_pkg)
    out = {f: _observe(f, ref, files, ref_pkg) for f in _features(profile)}
    if edition is None:
        return out
    # edition.absent is what the edition does not grade; whether its code still defines it (2025's
    # kit ships optim.py solved) is for the evidence to say
    for cls, names in edition.renames.items():
        for canonical, renamed in names.items():
            out[("arg", cls, canonical)] = False
            out[("arg", cls, renamed)] = True
    ev = edition.evidence
    out.update({("def", q): True for q in ev.functions})
    out.update({("def", q): False for q in ev.absent})
    out.update({("file", f): True for f in ev.files})
    out.update({("arg", cls, a): True for cls, args in ev.arguments.items() for a in args})
    out.update({("text", m, pattern): seen for m, patterns in ev.text.items() for pattern, seen in patterns.items()})
    for cls, values in ev.defaults.items():
        for a, v in values.items():
            out.update({f: False for f in out if f[:3] == ("default", cls, a)})  # one default at a time
            out[("default", cls, a, v)] = True
    return out


def _observe(feature: tuple, facts: Facts, files: dict[str, Path], package_dir: Path):
    kind = feature[0]
    if kind == "def":
        module, _, name = feature[1].partition(".")
        path = files.get(module)
        return path is not None and name in facts.parsed(path)[0]
    if kind == "arg":
        module, _, cls = feature[1].partition(".")
        path = files.get(module)
        have = facts.parsed(path)[1].get(cls) if path is not None else None
        return have is not None and feature[2] in have
    if kind == "text":
        path = files.get(feature[1])
        return path is not None and re.search(feature[2], facts.text(path)) is not None
    if kind == "default":
        module, _, cls = feature[1].partition(".")
        path = files.get(module)
        have = facts.parsed(path)[2].get(cls) if path is not None else None
        return have is not None and feature[2] in have and have[feature[2]] == feature[3]
    return (package_dir.parent / feature[1]).is_file()


def _describe(feature: tuple, seen: bool) -> str:
    if feature[0] == "def":
        return f"{feature[1]} {'defined' if seen else 'not defined'}"
    if feature[0] == "arg":
        return f"{feature[1]}({feature[2]}=...) {'accepted' if seen else 'not an argument'}"
    if feature[0] == "text":
        return f"{feature[1]} {'matches' if seen else 'does not match'} /{feature[2]}/"
    if feature[0] == "default":
        return f"{feature[1]}({feature[2]}={feature[3]!r}) {'is the default' if seen else 'not the default'}"
    return f"{feature[1]} {'present' if seen else 'absent'}"


def _score(profile, edition, facts: Facts, files: dict[str, Path], package_dir: Path) -> tuple[float, list[str]]:
    """The fraction of the features on which the submission looks like `edition`, and the
    features that tell the editions apart (as evidence)."""
    want = _expectations(profile, edition)
    seen = {f: _observe(f, facts, files, package_dir) for f in want}
    agree = sum(seen[f] == want[f] for f in want)
    telling = [f for f in want if any(_expectations(profile, e).get(f) != want[f] for e in (None, *profile.editions))]
    why = [_describe(f, seen[f]) + ("" if seen[f] == want[f] else " (not as this edition has it)") for f in telling]
    return agree / max(len(want), 1), why


def _kit_profile(root: Path) -> str | None:
    """The profile named by a kit's public checks inside the submission, if any."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__MACOSX"]
        if Path(dirpath).name == KIT_MANIFEST[0] and KIT_MANIFEST[1] in filenames:
            try:
                data = json.loads((Path(dirpath) / KIT_MANIFEST[1]).read_text(encoding="utf-8")[:1 << 22])
                name = data.get("profile") if isinstance(data, dict) else None
                return name if isinstance(name, str) else None
            except (OSError, ValueError):
                return None
    return None


def detect(root: Path, profiles, *, within: str | None = None) -> Detection:
    """The best matching (profile, edition) for the submission at `root` among `profiles`
    (within: only that profile's editions). Detection(None, ...) when no course matches."""
    root = Path(root)
    facts = Facts(root)
    kit = _kit_profile(root)
    candidates: list[tuple[float, str, str | None, list[str]]] = []
    for prof in profiles:
        if within is not None and prof.name != within:
            continue
        pkg = prof.student_packages[0]
        found = find_package(root, pkg.names, pkg.anchors)
        if found is None:
            continue
        base = [f"package {found.name}/ found at {found.relative_to(root).as_posix() or '.'}"]
        files = _module_files(prof, found)
        if kit == prof.name:
            candidates.append((10**6, prof.name, None, base + ["made from this project's kit (public_checks/ names "
                                                                 f"profile {kit})"]))
            continue
        anchors = sum((found / a).is_file() for a in pkg.anchors) / max(len(pkg.anchors), 1)
        base.append(f"{anchors:.0%} of the anchor files ({', '.join(pkg.anchors)})")
        for e in (None, *prof.editions):
            s, why = _score(prof, e, facts, files, found)
            label = e.name if e else "the course's own kit"
            candidates.append((round(anchors + 2 * s, 6), prof.name, e.name if e else None,
                               base + [f"{s:.0%} of the code's features as {label} has them"] + why))
    if not candidates:
        return Detection(None, None, ["no package of any known course was found"])
    candidates.sort(key=lambda c: -c[0])
    best = candidates[0]
    return Detection(best[1], best[2], best[3], [(c[1], c[2], c[0]) for c in candidates],
                     from_kit=kit is not None and kit == best[1] and best[2] is None)
