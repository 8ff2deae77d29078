"""Master notebooks as an instructor keeps them: .ipynb files edited in Jupyter, checked and
normalised here, turned into the kit's notebooks by grader.template.

A master notebook holds everything about itself, as nbgrader's do:

- cell tags (`cell.metadata.tags`): "locked" (given; the grader restores it when a student
  changes or deletes it), "solution" (the whole cell is the answer: a placeholder in the kit),
  "hidden" (instructor only: left out of the kit); untagged cells are kept as they are;
- solution blocks: the student's lines inside untagged code cells, between the profile's
  marker lines (grader.strip), stripped in the kit;
- cell ids: the cells' stable names. Locked-cell integrity is keyed on them, so an edit never
  renames a cell: `normalize` keeps every id and gives a new one only to a cell without one
  (a new cell, or a notebook saved by a tool that drops ids), reusing the kit's id of a
  locked cell whose text it still has.

Reading accepts what Jupyter, JupyterLab, VS Code and Colab save: any nbformat 4 minor
version, editor metadata (widget state, Colab's cell ids and execution info), attachments,
missing ids. `normalize` writes the canonical form: nbformat 4.5, no outputs or execution
counts, only the metadata the tooling uses (tags, editable, deletable; kernelspec and
language_info), JSON as nbformat writes it.

`check` is what `grader notebooks check` runs: each problem names the notebook, the cell's
index and id, and says whether `normalize` fixes it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from .errors import SetupError
from .strip import STAR_MARKERS, MarkerError, find_blocks

LOCKED, SOLUTION, HIDDEN = "locked", "solution", "hidden"
KNOWN_TAGS = (LOCKED, SOLUTION, HIDDEN)
CELL_TYPES = ("code", "markdown", "raw")
# Metadata that means something to Jupyter or the grader; everything else is editor state.
CELL_METADATA_KEPT = ("tags", "editable", "deletable")
NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info")
LANGUAGE_INFO_KEPT = ("codemirror_mode", "file_extension", "mimetype", "name", "nbconvert_exporter", "pygments_lexer")
# Notebook metadata the kit's notebooks carry: {"course": profile name, "notebook": file name}.
KIT_METADATA = "grader"
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # nbformat 4.5's cell id
CANONICAL_MINOR = 5


class NotebookError(SetupError):
    """A file that cannot be read as a notebook at all (not JSON, not nbformat 4)."""


@dataclass
class Problem:
    """One thing wrong with a master notebook. fixable: `grader notebooks normalize` fixes it."""

    notebook: str
    index: int | None
    cell_id: str | None
    message: str
    fixable: bool = False

    def __str__(self) -> str:
        where = self.notebook
        if self.index is not None:
            where += f" cell {self.index}" + (f" ({self.cell_id})" if self.cell_id else " (no id)")
        fix = " [fixed by `grader notebooks normalize`]" if self.fixable else ""
        return f"{where}: {self.message}{fix}"


# ----------------------------------------------------------------------------- reading


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _tags(cell: dict) -> list[str]:
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _valid_id(value) -> str | None:
    return value if isinstance(value, str) and ID_PATTERN.match(value) else None


@dataclass
class Master:
    """A notebook as saved by whatever tool: its cells as plain dicts, the nbformat minor it was
    saved with, each cell's saved id (None: none, or not a valid id) and nbformat's complaint
    about the file ("" when it is valid)."""

    path: Path
    raw: dict
    minor: int
    ids: list[str | None]
    invalid: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def cells(self) -> list[dict]:
        return self.raw["cells"]

    def source(self, index: int) -> str:
        return _text(self.cells[index].get("source", ""))

    def tags(self, index: int) -> list[str]:
        return _tags(self.cells[index])

    def cell_type(self, index: int) -> str:
        return str(self.cells[index].get("cell_type", ""))

    def code_indices(self) -> list[int]:
        return [i for i in range(len(self.cells)) if self.cell_type(i) == "code"]


def read_master(path: Path) -> Master:
    """Read a notebook without changing it (nbformat's own reader would invent ids for cells
    without one). Raises NotebookError for a file that is not an nbformat 3/4 notebook."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise NotebookError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path}: not a notebook (not UTF-8 text)") from exc
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotebookError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", [] if raw.get("nbformat") == 3 else None), list):
        raise NotebookError(f"{path}: JSON, but not a Jupyter notebook (no list of cells)")
    major = raw.get("nbformat")
    if major == 3:  # very old notebooks: nbformat converts them (they have no ids)
        try:
            raw = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as exc:  # noqa: BLE001 - whatever nbformat dislikes
            raise NotebookError(f"{path}: an nbformat 3 notebook that cannot be converted ({exc})") from exc
        for cell in raw["cells"]:
            cell.pop("id", None)
        raw["nbformat_minor"] = 0
    elif major != 4:
        raise NotebookError(f"{path}: nbformat {major!r} is not supported (nbformat 4 is)")
    raw["cells"] = [c if isinstance(c, dict) else {"cell_type": "?", "source": ""} for c in raw["cells"]]
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
    minor = raw.get("nbformat_minor") if isinstance(raw.get("nbformat_minor"), int) else 0
    invalid = ""
    try:
        with warnings.catch_warnings():  # missing ids are reported as problems of their own
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(copy.deepcopy(raw)))
    except nbformat.ValidationError as exc:
        invalid = (str(exc).strip().splitlines() or ["invalid"])[0][:300]
    except Exception as exc:  # noqa: BLE001 - a schema nbformat does not know
        invalid = f"{type(exc).__name__}: {exc}"[:300]
    return Master(path, raw, minor, [_valid_id(c.get("id")) for c in raw["cells"]], invalid)


# ----------------------------------------------------------------------------- ids and the canonical form


def _id_prefix(ids) -> str:
    """The common stem of a notebook's ids ("fcn" for fcn-00, fcn-01, ...), or "cell"."""
    stems = Counter(i.rsplit("-", 1)[0] for i in ids if i and "-" in i)
    return stems.most_common(1)[0][0][:40] if stems else "cell"


def assign_ids(master: Master, known: dict[str, str] | None = None) -> tuple[list[str], list[int]]:
    """Every cell's id: its own when it has a valid one not used by an earlier cell; else the
    kit's id of a locked cell with exactly its text (`known`: sha256 of the text -> id), if free;
    else Colab's id of the cell (metadata.id), if free; else a new one, derived from the text.
    Returns (ids, indices of the cells whose id is new)."""
    from .integrity import checksum

    known = known or {}
    ids: list[str | None] = []
    used: set[str] = set()
    for cid in master.ids:
        ids.append(cid if cid and cid not in used else None)
        if cid:
            used.add(cid)
    used = {i for i in ids if i}
    new = [k for k, cid in enumerate(ids) if not cid]
    for k in new:
        candidate = known.get(checksum(master.source(k)))
        if not candidate or candidate in used:
            meta = master.cells[k].get("metadata")
            candidate = _valid_id(meta.get("id")) if isinstance(meta, dict) else None
        if candidate and candidate not in used:
            ids[k] = candidate
            used.add(candidate)
    prefix = _id_prefix(ids)
    for k in new:
        n = 0
        while not ids[k]:
            digest = hashlib.sha256(f"{master.name}\0{k}\0{n}\0{master.source(k)}".encode()).hexdigest()
            if f"{prefix}-{digest[:8]}" not in used:
                ids[k] = f"{prefix}-{digest[:8]}"
            n += 1
        used.add(ids[k])
    return list(ids), new


def canonical(master: Master, ids: list[str]) -> nbformat.NotebookNode:
    """The notebook in canonical form (see the module docstring) with these cell ids."""
    meta = master.raw.get("metadata") or {}
    metadata = {k: copy.deepcopy(meta[k]) for k in NOTEBOOK_METADATA_KEPT if isinstance(meta.get(k), dict)}
    if "language_info" in metadata:
        metadata["language_info"] = {k: v for k, v in metadata["language_info"].items() if k in LANGUAGE_INFO_KEPT}
    nb = new_notebook(metadata=metadata)
    for k, cell in enumerate(master.cells):
        cmeta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        kept = {key: copy.deepcopy(cmeta[key]) for key in CELL_METADATA_KEPT if key in cmeta}
        if "tags" in kept:
            kept["tags"] = list(dict.fromkeys(master.tags(k)))  # in order, once each
            if not kept["tags"]:
                del kept["tags"]
        kind = master.cell_type(k)
        source = master.source(k)
        if kind == "code":
            new = new_code_cell(source=source, metadata=kept, id=ids[k])
        elif kind == "markdown":
            new = new_markdown_cell(source=source, metadata=kept, id=ids[k])
            if isinstance(cell.get("attachments"), dict) and cell["attachments"]:
                new["attachments"] = copy.deepcopy(cell["attachments"])
        else:
            new = new_raw_cell(source=source, metadata=kept, id=ids[k])
        nb.cells.append(new)
    nb.nbformat_minor = CANONICAL_MINOR
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The file text of a notebook: JSON as nbformat writes it, ending with a newline."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def known_locked_ids(profile, file: str) -> dict[str, str]:
    """sha256 of a locked cell's text -> its id, as the course's committed kit records them for
    the notebook `file` (empty without a profile or a kit)."""
    if profile is None or profile.paths is None:
        return {}
    from .integrity import load_manifest

    try:
        entries = load_manifest(kit=profile.paths.kit).get(file, [])
    except (OSError, ValueError):
        return {}
    return {e["sha256"]: e["id"] for e in entries if e.get("id") and e.get("sha256")}


@dataclass
class Normalized:
    """What `normalize` did to one notebook."""

    path: Path
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def describe(self) -> str:
        return f"{self.path.name}: " + ("; ".join(self.changes) if self.changes else "already normalized")


def normalized(master: Master, profile=None) -> tuple[nbformat.NotebookNode, list[str]]:
    """The canonical notebook of `master` and what differs from the file (ids kept, missing
    ones recovered or new; outputs and execution counts cleared; editor metadata dropped)."""
    ids, new = assign_ids(master, known_locked_ids(profile, master.name))
    nb = canonical(master, ids)
    changes = []
    outputs = sum(1 for c in master.cells if c.get("cell_type") == "code" and c.get("outputs"))
    counts = sum(1 for c in master.cells if c.get("cell_type") == "code" and c.get("execution_count") is not None)
    if outputs:
        changes.append(f"outputs cleared in {outputs} cell{'s' if outputs != 1 else ''}")
    if counts:
        changes.append(f"{counts} execution count{'s' if counts != 1 else ''} cleared")
    if new:
        shown = ", ".join(f"cell {k} -> {ids[k]}" for k in new[:6]) + (" ..." if len(new) > 6 else "")
        changes.append(f"{len(new)} new cell id{'s' if len(new) != 1 else ''} ({shown})")
    if master.minor != CANONICAL_MINOR:
        changes.append(f"nbformat 4.{master.minor} -> 4.{CANONICAL_MINOR}")
    try:
        current = master.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != notebook_text(nb) and not changes:
        changes.append("metadata and layout made canonical")
    return nb, changes


def normalize(path: Path, *, profile=None, write: bool = True) -> Normalized:
    """Rewrite the notebook at `path` in canonical form (see `normalized`); returns what changed.
    With write=False nothing is written (a dry run). Raises NotebookError."""
    master = read_master(path)
    nb, changes = normalized(master, profile)
    if write and changes:
        Path(path).write_bytes(notebook_text(nb).encode("utf-8"))
    return Normalized(Path(path), changes)


# ----------------------------------------------------------------------------- checks


def master_paths(profile, folder: Path | None = None) -> list[Path]:
    """The master notebooks of a course folder (default: the profile's), in the order the
    profile lists them (the order the assignment is done in), the others after, by name."""
    folder = Path(folder) if folder is not None else profile.paths.notebooks
    if not folder.is_dir():
        return []
    order = {nb.file: i for i, nb in enumerate(profile.masters)}
    return sorted(folder.glob("*.ipynb"), key=lambda p: (order.get(p.name, len(order)), p.name))


def _show(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cell_problems(master: Master, markers=None) -> list[Problem]:
    """The problems of one notebook on its own: format, ids, outputs, tags, solution markers."""
    show = _show(master.path)
    out: list[Problem] = []

    def add(index, message, fixable=False):
        out.append(Problem(show, index, master.ids[index] if index is not None else None, message, fixable))

    if master.invalid:
        add(None, f"does not follow nbformat 4.{master.minor}: {master.invalid}", fixable=True)
    first_use: dict[str, int] = {}
    for k, cell in enumerate(master.cells):
        kind = master.cell_type(k)
        if kind not in CELL_TYPES:
            add(k, f"unknown cell type {kind!r}")
            continue
        raw_id = cell.get("id")
        if master.ids[k] is None:
            if raw_id is None:
                add(k, f"has no cell id (saved as nbformat 4.{master.minor})", fixable=True)
            else:
                add(k, f"cell id {raw_id!r} is not a valid id (1-64 letters, digits, '-' or '_')", fixable=True)
        elif master.ids[k] in first_use:
            add(k, f"cell id {master.ids[k]!r} is also cell {first_use[master.ids[k]]}'s", fixable=True)
        else:
            first_use[master.ids[k]] = k
        if kind == "code":
            if cell.get("outputs"):
                add(k, "has outputs (a master is committed without them)", fixable=True)
            if cell.get("execution_count") is not None:
                add(k, "has an execution count", fixable=True)
        tags = master.tags(k)
        unknown = [t for t in tags if t not in KNOWN_TAGS]
        if unknown:
            add(k, f"unknown tag{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                   f"(known: {', '.join(KNOWN_TAGS)})")
        roles = [t for t in KNOWN_TAGS if t in tags]
        if len(roles) > 1:
            add(k, f"tagged both {' and '.join(roles)}: a cell has one of these roles at most")
        source = master.source(k)
        try:
            blocks = find_blocks(source, f"{show} [cell {k}]", markers or STAR_MARKERS)
        except MarkerError as exc:
            add(k, f"solution markers, line {exc.line}: {exc.problem}")
            continue
        if blocks:
            if kind != "code":
                add(k, "solution markers in a markdown cell (tag the cell 'solution' instead)")
            elif roles:
                add(k, f"solution markers in a {roles[0]} cell: only untagged code cells hold solution blocks")
            lines = source.splitlines()
            for block in blocks:
                if not any(line.strip() for line in lines[block.start:block.end - 1]):
                    add(k, f"empty solution block (lines {block.start}-{block.end}): the kit would give away "
                           "nothing and the master shows no solution")
    return out


def setup_cell(master: Master) -> int | None:
    """The index of a notebook's setup cell: its first code cell."""
    code = master.code_indices()
    return code[0] if code else None


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def stated_targets(master: Master, spec) -> list[tuple[int, float, str]]:
    """(cell index, percent, the words) of every accuracy target the notebook states to students
    for the model `spec` scores: in the cells that name its variable (not the hidden notes and
    sample answers, which may quote results), a percentage of `spec.split` accuracy in the text
    ("at least 50% validation accuracy", "50% accuracy on the validation set") and the threshold
    of a `report_min("... validation accuracy", value, 0.5)` check."""
    if not spec or not spec.variable:
        return []
    split = re.escape(spec.split)
    text_forms = [rf"(\d+(?:\.\d+)?)\s*%\s+(?:of\s+)?(?:the\s+)?{split}\s+accuracy",
                  rf"(\d+(?:\.\d+)?)\s*%\s+accuracy\s+on\s+the\s+{split}"]
    check = re.compile(r"report_min\(\s*(['\"])(?P<name>[^'\"\n]*)\1\s*,\s*[^,\n]+,\s*(?P<value>\d*\.?\d+)\s*\)")
    found = []
    for k in range(len(master.cells)):
        source = master.source(k)
        if not _mentions(source, spec.variable) or {HIDDEN, SOLUTION} & set(master.tags(k)):
            continue
        if master.cell_type(k) == "code":
            for m in check.finditer(source):
                if spec.split in m.group("name"):
                    found.append((k, 100 * float(m.group("value")), m.group(0)))
        else:
            for form in text_forms:
                for m in re.finditer(form, source, re.IGNORECASE):
                    found.append((k, float(m.group(1)), " ".join(m.group(0).split())))
    return sorted(found)


def profile_problems(masters: list[Master], profile, *, others: list[Master] = ()) -> list[Problem]:
    """The problems across a course's notebooks: the setup cell differs between them; a stated
    accuracy target differs from the profile's formula; a scored variable is never assigned.
    `others`: the course's other notebooks, compared with but not reported on."""
    out: list[Problem] = []
    setups = {}
    for m in [*masters, *others]:
        k = setup_cell(m)
        if k is not None:
            setups[m.path] = (m, k, m.source(k).strip())
    if len(setups) > 1:
        counts = Counter(text for _, _, text in setups.values())
        order = {nb.file: i for i, nb in enumerate(profile.masters)}
        first = min(setups.values(), key=lambda v: (-counts[v[2]], order.get(v[0].name, len(order)), v[0].name))
        for m in masters:
            if m.path in setups and setups[m.path][2] != first[2]:
                k = setups[m.path][1]
                a, b = first[2].splitlines(), setups[m.path][2].splitlines()
                line = next((i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)) + 1)
                out.append(Problem(_show(m.path), k, m.ids[k],
                                   f"the setup cell (the first code cell) differs from {first[0].name}'s "
                                   f"(cell {first[1]}) from line {line} on; every notebook of the course "
                                   "starts with the same one"))
    for m in masters:
        spec = profile.master_spec(m.name)
        if spec is None or not spec.scored:
            continue
        target = spec.formula.target()
        for k, value, words in stated_targets(m, spec):
            if abs(value - target) > 1e-6:
                out.append(Problem(_show(m.path), k, m.ids[k],
                                   f"states the target {value:g}% ({words!r}) but profile {profile.name!r} scores "
                                   f"{spec.variable} with {spec.formula.describe(spec.split + ' accuracy')}, i.e. "
                                   f"{target:g}%"))
        assign = re.compile(rf"^\s*{re.escape(spec.variable)}\s*=", re.MULTILINE)
        if not any(assign.search(m.source(k)) for k in m.code_indices()):
            out.append(Problem(_show(m.path), None, None,
                               f"never assigns {spec.variable}, the model profile {profile.name!r} scores"))
    return out


def check(profile, paths=None) -> list[Problem]:
    """Every problem of the given notebooks (default: the course's masters): see the module
    docstring. A notebook that cannot be read is one problem; a missing path raises SetupError."""
    given = [Path(p) for p in paths] if paths else master_paths(profile)
    out: list[Problem] = []
    if not paths:
        if not given:
            return [Problem(_show(profile.paths.notebooks), None, None, "no master notebooks (*.ipynb) here")]
        names = {p.name for p in given}
        for spec in profile.masters:
            if spec.file not in names:
                out.append(Problem(_show(profile.paths.notebooks / spec.file), None, None,
                                   f"profile {profile.name!r} names this master notebook, but it does not exist"))
    for p in given:
        if not p.is_file():
            raise SetupError(f"{p}: no such notebook")
    masters = []
    for p in given:
        try:
            masters.append(read_master(p))
        except NotebookError as exc:
            out.append(Problem(_show(p), None, None, str(exc).split(": ", 1)[-1]))
    for m in masters:
        out += cell_problems(m, profile.markers)
    resolved = {m.path.resolve() for m in masters}
    others = []
    for folder in {m.path.resolve().parent for m in masters}:
        for p in master_paths(profile, folder):
            if p.resolve() not in resolved:
                try:
                    others.append(read_master(p))
                except NotebookError:
                    pass
    out += profile_problems(masters, profile, others=others)
    return out
