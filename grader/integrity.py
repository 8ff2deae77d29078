"""Locked notebook cells: their checksums in the kit, and their restoration before grading.

The kit's notebooks keep the master notebooks' "locked" cells verbatim (setup, data loading,
every check, the final evaluation). Integrity applies to the notebooks made from the kit only
(`origin`: the kit's metadata, else its locked cells found in the notebook); any other notebook
(an official course notebook, say) runs untouched. The kit build records each locked cell in
`public_checks/locked_cells.json`: its cell id, its position, the sha256 of its source and the
source itself (all public: the same text is in the kit's notebooks). Before a submitted notebook
is executed, every locked cell is found (by id, else by content) and checked against its
checksum; a cell that was altered is put back as the kit has it, one that was deleted is
re-inserted where it belongs, and each repair becomes a note in the results.

Nothing here executes anything: notebooks are plain JSON documents (nbformat nodes).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell


LOCKED = "locked"
MANIFEST_DIR = "public_checks"
MANIFEST_NAME = "locked_cells.json"
MANIFEST_FORMAT = 1
KIT_ENV = "GRADER_KIT"


def normalize_source(source) -> str:
    """A cell's source as compared: one string, Unix newlines, no trailing whitespace at its end
    (editors differ there; nothing a cell does depends on it)."""
    text = "".join(source) if isinstance(source, list) else str(source)
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def checksum(source) -> str:
    return hashlib.sha256(normalize_source(source).encode("utf-8")).hexdigest()


def _tags(cell) -> list:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return list(tags) if isinstance(tags, list) else []


def cell_id(cell) -> str | None:
    """A cell's id: nbformat's, else the one Colab keeps in the cell's metadata."""
    cid = cell.get("id")
    if isinstance(cid, str) and cid:
        return cid
    meta = cell.get("metadata")
    cid = meta.get("id") if isinstance(meta, dict) else None
    return cid if isinstance(cid, str) and cid else None


@dataclass
class Origin:
    """Whether a submitted notebook was made from this project's kit ("ours": its locked cells
    are checked and restored, the profile's own NotebookSpec scores it) or not (an official
    course notebook, say: it runs untouched), and how that was decided."""

    ours: bool
    evidence: str

    @property
    def label(self) -> str:
        return "this project's kit" if self.ours else "not this project's kit"


def origin(nb, *, course: str, file: str, entries: list[dict] | None) -> Origin:
    """Ours when the notebook's metadata names this course and notebook (build-template writes
    it; Jupyter and Colab keep it), else when at least half of the kit's locked cells for
    `file` are in it, found by id or by exact text (a notebook whose metadata was lost);
    otherwise not ours."""
    from .notebooks import KIT_METADATA

    meta = (nb.get("metadata") or {}).get(KIT_METADATA)
    if isinstance(meta, dict) and meta.get("course") == course:
        named = meta.get("notebook")
        if not isinstance(named, str) or named.lower() == file.lower():
            return Origin(True, f"its metadata names {course}'s kit notebook {named or file}")
    entries = entries or []
    if not entries:
        return Origin(False, "no metadata of this project's kit, and the kit records no locked cells for "
                             f"{file}")
    ids = {cell_id(c) for c in nb.cells} - {None}
    sums = {checksum(c.get("source", "")) for c in nb.cells}
    found = sum(1 for e in entries if (e.get("id") and e["id"] in ids) or e.get("sha256") in sums)
    counted = f"{found} of the kit's {len(entries)} locked cells of {file} are in it (by id or exact text)"
    if found and 2 * found >= len(entries):
        return Origin(True, f"no kit metadata, but {counted}")
    return Origin(False, f"no metadata of this project's kit, and {counted}")


def locked_cells(nb) -> list[dict]:
    """The locked cells of one (kit or master) notebook, as manifest entries."""
    entries = []
    for index, cell in enumerate(nb.cells):
        if LOCKED in _tags(cell):
            entries.append({
                "id": cell.get("id"),
                "index": index,
                "cell_type": cell.cell_type,
                "sha256": checksum(cell.source),
                "source": normalize_source(cell.source),
            })
    return entries


def manifest_for(notebooks: dict[str, nbformat.NotebookNode]) -> dict:
    """{file name: kit notebook} -> the locked-cell manifest (deterministic)."""
    return {
        "format": MANIFEST_FORMAT,
        "notebooks": {name: locked_cells(nb) for name, nb in sorted(notebooks.items())},
    }


def write_manifest(kit: Path, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
    """Write kit/public_checks/locked_cells.json; returns its path."""
    folder = Path(kit) / MANIFEST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_NAME
    text = json.dumps(manifest_for(notebooks), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def kit_dir(profile) -> Path:
    """The student kit the grader checks locked cells against ($GRADER_KIT, else the profile's kit)."""
    return Path(os.environ.get(KIT_ENV, profile.paths.kit))


def load_manifest(profile=None, kit: Path | None = None) -> dict[str, list[dict]]:
    """{notebook file name: locked cell entries} from a kit (the profile's unless `kit` is
    given; {} when the kit has no manifest)."""
    path = Path(kit if kit is not None else kit_dir(profile)) / MANIFEST_DIR / MANIFEST_NAME
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path}: unknown locked-cell manifest format {data.get('format')!r}")
    return data["notebooks"]


@dataclass
class Repair:
    """One locked cell put back: what was wrong, where (the cell's index in the repaired notebook)."""

    kind: str  # "altered" | "deleted"
    cell_id: str | None
    index: int

    def describe(self) -> str:
        what = "was changed: restored" if self.kind == "altered" else "was missing: re-inserted"
        name = f" ({self.cell_id})" if self.cell_id else ""
        return f"locked cell {self.index}{name} {what}"


def _new_cell(entry: dict):
    make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(entry.get("cell_type"), new_raw_cell)
    cell = make(source=entry["source"], metadata={"tags": [LOCKED]})
    if entry.get("id"):
        cell["id"] = entry["id"]
    return cell


def restore_locked(nb: nbformat.NotebookNode, entries: list[dict]) -> list[Repair]:
    """Check every locked cell of `entries` in `nb` and repair it in place; returns the repairs.

    A locked cell is found by its id; failing that (notebooks saved without ids, cells copied
    and pasted), by a cell with exactly its content. Found but different: its source is put
    back (its outputs are dropped: they belong to other code). Not found: it is inserted after the
    cell matched to the previous locked cell, as many cells further as the kit has between the
    two (never past the next locked cell), so the checks keep their place in the order."""
    by_id = {}
    for i, cell in enumerate(nb.cells):
        cid = cell_id(cell)
        if cid and cid not in by_id:
            by_id[cid] = i
    used: set[int] = set()
    placed: list[tuple[dict, int | None]] = []
    for entry in entries:
        at = by_id.get(entry.get("id")) if entry.get("id") else None
        if at is not None and at in used:
            at = None
        if at is None:
            at = next((i for i, c in enumerate(nb.cells) if i not in used and c.cell_type == entry["cell_type"]
                       and checksum(c.source) == entry["sha256"]), None)
        if at is not None:
            used.add(at)
        placed.append((entry, at))

    fixed: list[tuple[str, dict, object]] = []  # (kind, entry, the cell now in the notebook)
    for entry, at in placed:
        if at is None:
            continue
        cell = nb.cells[at]
        if checksum(cell.source) != entry["sha256"] or cell.cell_type != entry["cell_type"]:
            fresh = _new_cell(entry)
            if cell_id(cell) and not entry.get("id"):
                fresh["id"] = cell_id(cell)
            nb.cells[at] = fresh
            fixed.append(("altered", entry, fresh))
        elif LOCKED not in _tags(cell):
            cell.setdefault("metadata", {})["tags"] = _tags(cell) + [LOCKED]

    # re-insert the missing ones, in kit order, each after its predecessor's cell
    cells = list(nb.cells)
    anchors = [cells[at] if at is not None else None for _, at in placed]
    def position(cell) -> int:
        return next(i for i, c in enumerate(cells) if c is cell)

    for k, (entry, at) in enumerate(placed):
        if at is not None:
            continue
        fresh = _new_cell(entry)
        # as many cells after the previous locked cell as the kit has between them, but never
        # beyond the next locked cell
        prev = next((j for j in range(k - 1, -1, -1) if anchors[j] is not None), None)
        nxt = next((j for j in range(k + 1, len(placed)) if anchors[j] is not None), None)
        limit = position(anchors[nxt]) if nxt is not None else len(cells)
        if prev is None:
            pos = int(entry.get("index", 0))
        else:
            gap = int(entry.get("index", 0)) - int(placed[prev][0].get("index", 0)) - 1
            pos = position(anchors[prev]) + 1 + max(gap, 0)
        pos = min(pos, limit)
        cells.insert(pos, fresh)
        anchors[k] = fresh
        fixed.append(("deleted", entry, fresh))
    nb.cells = cells
    where = {id(c): i for i, c in enumerate(cells)}
    repairs = [Repair(kind, entry.get("id"), where[id(cell)]) for kind, entry, cell in fixed]
    return sorted(repairs, key=lambda r: r.index)
