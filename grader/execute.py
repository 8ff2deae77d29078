"""Execute a submission's notebooks in the sandbox; bring back the executed notebooks and the models.

Pipeline for one submission (each a small step below):

1. find     each notebook the profile names, anywhere in the submission (beside the package first)
2. load     as plain JSON, with size caps: invalid JSON, an empty file or a notebook without code
            each become a status with a message, never an exception
3. origin   made from this project's kit (its metadata, else its locked cells) or not (an official
            course notebook, say); that decides the spec that scores it (resolve_spec): the
            master's, or the edition's. Only a notebook made from the kit gets its locked cells
            restored, by id or checksum (grader.integrity), each repair noted; any other runs
            untouched. A notebook the profile lists as not executed (a PyTorch notebook) is
            reported, never run.
4. run      every notebook in the sandboxed child (grader/nbdriver.py: nbclient and the kernel run
            inside the child's namespaces, limits and uid); per-cell timeouts, a notebook budget,
            a hung or dead kernel detected; the model exported as plain arrays
5. write    the executed notebook into the output folder, always (on failure, what there is)

The data for the child: the profile's data set stages a folder of what the notebooks may read
(for CIFAR-10, the training batches and a stand-in test batch), copied into the working copy
(and linked where official notebooks look for it, Dataset.links), while the images the parent
scores on (grader.score) stay out of the child's sight: the child sees only the sandbox's
allowlist (grader/sandbox/view.py), of which the real data's folder is never part (it is also
named as hidden, should an allowed folder hold it). The kernel also gets the profile's
kernel_path (stand-ins for the dead packages old notebooks import) at the end of its path, and
the images beside the submitted notebook (the official kits' notebook_images/) beside it again.

Nothing here imports or evaluates student code: notebooks are parsed as JSON, results come
back as float64 arrays and small JSON through the sandbox.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from nbformat.v4.nbbase import random_cell_id

from .check.plan import NUMPY1_SHIM
from .courses.profile import NotebookSettings, NotebookSpec
from .integrity import Origin, Repair, cell_id, origin, restore_locked
from .notebooks import ID_PATTERN
from .sandbox import Limits, Task, run_tasks

log = logging.getLogger(__name__)

DRIVER = Path(__file__).with_name("nbdriver.py")
NOTEBOOK_FOLDER = "_notebooks"  # in the workdir: the notebooks as they will run
KERNEL_FOLDER = "_kernel"  # in the workdir: the profile's kernel_path folders, appended to the kernel's path
ASSET_FOLDER = "_assets"  # in the workdir: the images beside the submitted notebooks, linked beside them again
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg"}
ASSET_DEPTH, MAX_ASSETS, MAX_ASSET_BYTES, MAX_ASSETS_BYTES = 3, 200, 5 << 20, 50 << 20
SKIP_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
MARGIN = 60.0  # seconds the parent waits beyond the driver's own deadlines
ACCURACY_LINE = re.compile(r"accura", re.IGNORECASE)


def _link_or_copy(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(src.iterdir()):
        try:
            os.link(p, dest / p.name)
        except OSError:
            shutil.copyfile(p, dest / p.name)


# ----------------------------------------------------------------------------- finding and loading


def _skip_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.startswith(".")


def find_notebook(root: Path, file: str, near: Path | None = None) -> Path | None:
    """The submission's copy of `file`: the one beside the package (`near`) if there, else the
    shallowest (then first by name); an exact name wins over a case-insensitive match, which
    wins over a notebook whose name contains it (a renamed copy: Q1_FullyConnectedNets.ipynb)."""
    root = Path(root)
    exact, loose, renamed = [], [], []
    stem = file.lower()[:-6] if file.lower().endswith(".ipynb") else file.lower()
    inside = re.compile(rf"(^|[^a-z]){re.escape(stem)}([^a-z]|$)")  # as a word of the name
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d))
        for name in filenames:
            p = Path(dirpath) / name
            low = name.lower()
            if not low.endswith(".ipynb") or not inside.search(low[:-6]) or not stat.S_ISREG(p.lstat().st_mode):
                continue
            (exact if name == file else loose if low == file.lower() else renamed).append(p)
    for group in (exact, loose, renamed):
        if not group:
            continue
        if near is not None:
            for p in group:
                if p.parent == Path(near):
                    return p
        return min(group, key=lambda p: (len(p.relative_to(root).parts), len(p.name), str(p)))
    return None


def _rebuilt(raw: dict) -> nbformat.NotebookNode:
    """A valid v4 notebook from the cells of a notebook nbformat rejects (sources kept, outputs dropped)."""
    nb = new_notebook()
    for cell in raw.get("cells", []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        make = {"code": new_code_cell, "markdown": new_markdown_cell}.get(cell.get("cell_type"), new_raw_cell)
        tags = (cell.get("metadata") or {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
        metadata = {"tags": [t for t in tags if isinstance(t, str)]} if isinstance(tags, list) else {}
        new = make(source=source, metadata=metadata)
        if isinstance(cell.get("id"), str) and re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell["id"]):
            new["id"] = cell["id"]
        nb.cells.append(new)
    return nb


def load_notebook(path: Path, max_bytes: int) -> tuple[nbformat.NotebookNode | None, str, str]:
    """(notebook, status, message): status "ok" (message: a note or ""), "invalid" or "empty"."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return None, "empty", f"{path.name} is an empty file (0 bytes): nothing to execute"
    if size > max_bytes:
        return None, "invalid", f"{path.name} is {size} bytes, more than the {max_bytes} a notebook may have"
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, "invalid", f"{path.name} is not a notebook: not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, "invalid", (f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}): "
                                 "the file is damaged or not a notebook; open and save it in Jupyter, then resubmit")
    except RecursionError:
        return None, "invalid", f"{path.name} is not a notebook: JSON nested too deeply"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, "invalid", f"{path.name} is JSON but not a Jupyter notebook (no list of cells)"
    note = ""
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - any nbformat complaint: keep the cells, drop the rest
        nb = _rebuilt(raw)
        first = (str(exc).splitlines() or [""])[0][:200]
        note = f"{path.name} does not follow the notebook format ({first}); its cells were kept"
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        return None, "empty", f"{path.name} has no code cells: nothing to execute"
    return nb, "ok", note


def printed_accuracy(nb) -> list[str]:
    """The lines mentioning accuracy that the notebook's last such cell printed (for the report;
    never scored)."""
    found: list[str] = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        lines = []
        for out in cell.get("outputs") or []:
            if not isinstance(out, dict):
                continue
            text = out.get("text") if out.get("output_type") == "stream" else (out.get("data") or {}).get("text/plain")
            if isinstance(text, list):
                text = "".join(t for t in text if isinstance(t, str))
            if isinstance(text, str):
                lines += [ln.strip()[:160] for ln in text.splitlines() if ACCURACY_LINE.search(ln)]
        if lines:
            found = lines
    return found[-3:]


# ----------------------------------------------------------------------------- the run


@dataclass
class CellResult:
    index: int
    status: str  # ok | error | timeout | dead kernel | not run
    ename: str = ""
    evalue: str = ""
    seconds: float | None = None
    cell_id: str | None = None

    def describe(self) -> str:
        if self.status == "error":
            return f"cell {self.index}: {self.ename}: {self.evalue}".rstrip(": ")
        if self.status == "timeout":
            return f"cell {self.index} timed out: {self.evalue}"
        if self.status == "dead kernel":
            return f"cell {self.index}: the kernel died while running it"
        return f"cell {self.index}: {self.status}" + (f" ({self.evalue})" if self.evalue else "")


@dataclass
class NotebookRun:
    """What happened to one notebook of the profile.

    listed: the spec the profile (as its edition grades) lists; spec: the one that applies once
    the notebook's origin is known (resolve_spec); unscored: why its model is not scored;
    forfeit: why its points, kept in max_score, are lost."""

    spec: NotebookSpec
    status: str  # executed | missing | invalid | empty | skipped | failed | not executed
    message: str = ""
    listed: NotebookSpec | None = None
    origin: Origin | None = None
    unscored: str = ""
    forfeit: str = ""
    source: str | None = None  # its path inside the submission
    notes: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    cells: list[CellResult] = field(default_factory=list)
    code_cells: int = 0
    kernel: str = "not started"  # running (finished normally) | died | hung | failed to start | not started
    kernel_message: str = ""
    budget_exhausted: bool = False
    model: dict = field(default_factory=dict)  # class, dtype, normalization, ... or {"error": ...}
    arrays: dict = field(default_factory=dict)  # "model.W1", "bn0.running_mean", ... float64
    printed: list[str] = field(default_factory=list)  # accuracy lines the notebook printed
    output: Path | None = None  # the executed notebook written to the output folder
    seconds: float = 0.0
    isolation: dict = field(default_factory=dict)

    @property
    def problems(self) -> list[CellResult]:
        return [c for c in self.cells if c.status not in ("ok", "not run")]


def _write_notebook(nb, path: Path, note: str | None = None) -> Path:
    """Write a notebook node (with a grader note in its metadata when it was not executed)."""
    if note:
        nb.metadata["grader"] = {"executed": False, "note": note}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = nbformat.writes(nb)
    except Exception:  # noqa: BLE001 - a repaired notebook nbformat still dislikes
        text = json.dumps(nb, indent=1)
    path.write_text(text, encoding="utf-8")
    return path


def _unpack_notebook(arr: np.ndarray | None, length) -> bytes | None:
    """The executed notebook's bytes from the child's uint32-packed array (None if malformed)."""
    if arr is None or not isinstance(length, int) or length < 0 or arr.ndim != 1 or len(arr) * 4 < length:
        return None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr >= 2**32) or np.any(arr != np.floor(arr)):
        return None
    return arr.astype(np.uint32).tobytes()[:length]


def _cells_from(info_cells) -> list[CellResult]:
    cells = []
    if not isinstance(info_cells, dict):
        return cells
    for key, c in info_cells.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(c, dict)):
            continue
        seconds = c.get("seconds")
        cells.append(CellResult(
            index=int(key),
            status=str(c.get("status", "?"))[:20],
            ename=str(c.get("ename", ""))[:200],
            evalue=str(c.get("evalue", c.get("reason", "")))[:500],
            seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        ))
    return sorted(cells, key=lambda c: c.index)


def resolve_spec(profile, listed: NotebookSpec, origin: Origin, *, from_kit: bool = False
                 ) -> tuple[NotebookSpec, str, str]:
    """(the spec that executes and scores a notebook, why its model is not scored, why its points
    are forfeited) from the spec the profile lists and the notebook's origin.

    - made from this project's kit: the master notebook's spec (the profile's own targets);
    - not: the edition's spec when an edition says which notebooks carry points; for a profile
      without editions, its own; otherwise nothing is scored (the edition is not known, so no
      target can be justified), unless the submission itself was made from the kit, which
      asks for the kit's notebooks: then their points are kept, and lost.
    """
    unscored_spec = dataclasses.replace(listed, variable=None, formula=None, points=0.0)
    if origin.ours:
        master = profile.master_spec(listed.file)
        if master is not None:
            return master, "", ""
        return unscored_spec, f"profile {profile.name} has no master notebook {listed.file}, so no target", ""
    edition = profile.edition
    if (edition is not None and edition.notebooks is not None) or not profile.editions:
        return listed, "", ""
    if from_kit and listed.scored:
        return listed, "", (f"the submission was made from this project's kit, whose {listed.file} carries these "
                            f"points, but this {listed.file} is not the kit's ({origin.evidence})")
    why = ("the course's edition is not known (the submission's code matches this project's kit, not one "
           "year's), so no year's target can be justified") if edition is None else (
           f"edition {edition.name} does not say which of its notebooks carry points")
    return unscored_spec, why, ""


def prepare(run: NotebookRun, root: Path, near: Path | None, settings: NotebookSettings,
            locked: dict[str, list[dict]], profile=None, from_kit: bool = False) -> nbformat.NotebookNode | None:
    """Steps 1-3 for one notebook; the notebook to execute, or None (run.status says why)."""
    listed = run.listed = run.listed or run.spec
    path = find_notebook(root, listed.file, near)
    if path is None:
        run.status = "missing"
        run.message = f"{listed.file} was not found in the submission"
        return None
    run.source = path.relative_to(root).as_posix()
    if path.name != listed.file:
        run.notes.append(f"found as {run.source}")
    if not listed.executed:
        run.status = "not executed"
        run.message = f"found at {run.source}; not executed: {listed.not_executed}"
        return None
    nb, status, message = load_notebook(path, settings.max_notebook_bytes)
    if nb is None:
        run.status, run.message = status, message
        return None
    if message:
        run.notes.append(message)
    run.printed = printed_accuracy(nb)  # what the submitted outputs claim (replaced after execution)
    entries = locked.get(listed.file)
    run.origin = origin(nb, course=profile.name if profile is not None else "", file=listed.file, entries=entries)
    if profile is not None:
        run.spec, run.unscored, run.forfeit = resolve_spec(profile, listed, run.origin, from_kit=from_kit)
    if run.origin.ours:
        if entries is None:
            run.notes.append("no locked-cell checksums for this notebook in the kit: locked cells not verified")
        else:
            run.repairs = restore_locked(nb, entries)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    _with_ids(nb)
    return nb


def _with_ids(nb) -> None:
    """Make the notebook nbformat 4.5 with an id on every cell (Colab's when it kept one), so the
    results can name every cell."""
    used = set()
    for cell in nb.cells:
        cid = cell_id(cell)
        while cid is None or not ID_PATTERN.match(cid) or cid in used:
            cid = random_cell_id()
        cell["id"] = cid
        used.add(cid)
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor") or 0), 5)


def copy_assets(folder: Path, dest: Path) -> list[str]:
    """Copy the images beside a submitted notebook (and in the folders under it, e.g.
    notebook_images/ or cs231n/notebook_images/, which official notebooks open) into dest;
    returns their paths relative to the notebook's folder. Only image files, within caps; the
    data set's folders and links are skipped."""
    found, total = [], 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        depth = len(here.relative_to(folder).parts)
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d) and d != "datasets" and depth < ASSET_DEPTH)
        for name in sorted(filenames):
            p = here / name
            if Path(name).suffix.lower() not in ASSET_SUFFIXES or not stat.S_ISREG(p.lstat().st_mode):
                continue
            size = p.stat().st_size
            if size > MAX_ASSET_BYTES or total + size > MAX_ASSETS_BYTES or len(found) >= MAX_ASSETS:
                continue
            rel = p.relative_to(folder).as_posix()
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest / rel)
            found.append(rel)
            total += size
    return found


def missing_requirements(profile) -> list[str]:
    """The modules of profile.requirements that neither this Python (which the kernel runs) nor
    the profile's kernel_path provides."""
    missing = []
    for name in profile.requirements:
        top = name.split(".")[0]
        if any((Path(f) / top).is_dir() or (Path(f) / f"{top}.py").is_file() for f in profile.kernel_path):
            continue
        try:
            found = importlib.util.find_spec(top) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def run_notebooks(
    profile,
    *,
    root: Path,
    package_dir: Path | None,
    workdir: Path,
    out_dir: Path,
    data,
    locked: dict[str, list[dict]],
    limits: Limits | None = None,
    from_kit: bool = False,
) -> list[NotebookRun]:
    """Execute every notebook of the profile found in the submission at `root`; one NotebookRun each.

    workdir: the assembled working copy (the packages the notebooks import); the notebooks, the
    child's data and the kernel's stand-in modules are added to it. Executed notebooks go to
    out_dir/notebooks/. data: the data set's source (None: nothing is executed, status
    "skipped"; the notebooks are still checked and written). from_kit: the submission was made
    from this project's kit (see resolve_spec). A notebook the profile lists as not executed is
    reported when found, left out when not."""
    settings = profile.notebook_settings
    runs = [NotebookRun(spec, "pending", listed=spec) for spec in profile.notebooks]
    ready: list[tuple[NotebookRun, nbformat.NotebookNode]] = []
    near = Path(package_dir).parent if package_dir is not None else None
    nb_out = Path(out_dir) / "notebooks"
    for run in runs:
        nb = prepare(run, Path(root), near, settings, locked, profile, from_kit)
        if nb is None:
            continue
        if data is None and profile.dataset is not None:
            run.status = "skipped"
            run.message = f"not executed: {profile.dataset.name} not found"
            run.output = _write_notebook(nb, nb_out / run.spec.file, f"not executed: {profile.dataset.name} was not available")
            continue
        ready.append((run, nb))
    runs = [r for r in runs if not (r.status == "missing" and not r.listed.executed)]
    if not ready:
        return runs
    missing = missing_requirements(profile)
    if missing:
        for run, _ in ready:
            run.notes.append(f"the grader's Python lacks {', '.join(missing)}, which the course's notebooks import "
                             "(install it where the grader runs)")

    work = Path(workdir)
    (work / NOTEBOOK_FOLDER).mkdir(exist_ok=True)
    if data is not None:
        _link_or_copy(profile.dataset.stage(profile, data), work / profile.dataset.folder)
    kernel_path = []
    for k, folder in enumerate(profile.kernel_path):
        dest = work / KERNEL_FOLDER / str(k)
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.md"))
        kernel_path.append(dest.relative_to(work).as_posix())
    if "numpy1" in profile.compat_shims:  # the notebooks see the numpy the code checks give the student
        dest = work / KERNEL_FOLDER / "compat"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NUMPY1_SHIM, dest / "numpy1_compat.py")
        kernel_path.append(dest.relative_to(work).as_posix())
    assets: dict[Path, tuple[str, list[str]]] = {}  # the notebooks' folders -> (copy in the workdir, files)
    for run, _ in ready:
        folder = (Path(root) / run.source).parent
        if folder not in assets:
            base = f"{ASSET_FOLDER}/{len(assets)}"
            assets[folder] = (base, copy_assets(folder, work / base))
    export = {"attributes": sorted({a for m in profile.models.values() for a in m.attributes}),
              "state": sorted({a for m in profile.models.values() for a in m.state})}
    tasks = []
    for k, (run, nb) in enumerate(ready):
        rel = f"{NOTEBOOK_FOLDER}/{k}.ipynb"
        (work / rel).write_text(nbformat.writes(nb), encoding="utf-8")
        params = {
            "notebook": rel,
            "packages": [p.name for p in profile.packages],
            "data": profile.dataset.folder if data is not None else None,
            "data_env": profile.dataset.env if data is not None else None,
            "data_links": list(profile.dataset.links) if data is not None else [],
            "assets": list(assets[(Path(root) / run.source).parent][1]),
            "asset_folder": assets[(Path(root) / run.source).parent][0],
            "kernel_path": kernel_path,
            "compat": list(profile.compat_shims),
            "export": export,
            "env": dict(settings.env),
            "threads": settings.kernel_threads(),
            "startup_timeout": settings.startup_timeout,
            "cell_timeout": settings.cell_timeout,
            "notebook_timeout": settings.notebook_timeout,
            "interrupt_grace": settings.interrupt_grace,
            "export_timeout": settings.export_timeout,
            "variable": run.spec.variable if run.spec.scored else None,
            "classes": list(run.spec.classes),
            "max_output_bytes": settings.file_size_bytes,
            "max_cell_output_bytes": settings.max_cell_output_bytes,
            "max_output_total_bytes": settings.max_notebook_bytes,
        }
        timeout = (settings.startup_timeout + settings.notebook_timeout + settings.interrupt_grace
                   + settings.export_timeout + MARGIN)
        tasks.append(Task(f"notebook:{run.spec.file}", "execute_notebook", params, {}, timeout))

    base = limits or Limits()
    nb_limits = dataclasses.replace(
        base,
        memory_bytes=settings.memory_bytes,
        file_size_bytes=settings.file_size_bytes,
        output_bytes=max(base.output_bytes, 4 * settings.max_notebook_bytes + settings.file_size_bytes),
        nprocs=max(base.nprocs, 128),
        hide_paths=tuple(base.hide_paths) + ((str(data.folder),) if data is not None else ()),
    )
    report: dict = {}
    results = run_tasks(workdir, tasks, drivers=DRIVER, limits=nb_limits, total_timeout=settings.total_timeout,
                        report=report)
    isolation = report.get("isolation", {})
    for (run, nb), result in zip(ready, results):
        run.isolation = isolation
        _collect(run, nb, result, nb_out / run.spec.file)
    return runs


def _collect(run: NotebookRun, nb, result, target: Path) -> None:
    """Step 5: the driver's result into `run`; the executed notebook (or what there is) to `target`."""
    run.seconds = result.seconds
    info = result.info if isinstance(result.info, dict) else {}
    if result.status != "ok":
        run.status = "failed"
        tail = result.stdout.strip()[-1500:]
        run.message = f"notebook execution failed: {result.error or result.status}" + (f"\n{tail}" if tail else "")
        run.output = _write_notebook(nb, target, f"execution failed: {result.error or result.status}")
        return
    run.status = "executed"
    run.cells = _cells_from(info.get("cells"))
    for c in run.cells:
        if 0 <= c.index < len(nb.cells):
            c.cell_id = nb.cells[c.index].get("id")
    run.code_cells = int(info.get("code_cells") or 0) if isinstance(info.get("code_cells"), (int, float)) else 0
    run.kernel = str(info.get("kernel", "?"))[:40]
    run.kernel_message = str(info.get("kernel_message", ""))[:2000]
    run.budget_exhausted = bool(info.get("budget_exhausted"))
    if run.kernel == "failed to start" and result.stdout.strip():
        run.kernel_message += "\n" + result.stdout.strip()[-1500:]
    model = info.get("model")
    if isinstance(model, dict):
        run.model = {k: v for k, v in model.items() if isinstance(k, str)}
    else:
        run.model = {"error": "no model description came back"}
    run.arrays = {k: v for k, v in result.outputs.items() if k != "notebook"}
    data = _unpack_notebook(result.outputs.get("notebook"), info.get("notebook_bytes"))
    executed = None
    if data is not None:
        try:
            executed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            executed = None
    if executed is None:
        run.notes.append("the executed notebook did not come back intact: the submitted one was written instead")
        run.output = _write_notebook(nb, target, "the executed notebook was lost")
        return
    run.printed = printed_accuracy(executed)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    run.output = target


def scoring_text(run: NotebookRun, profile=None) -> str:
    """What is scored in this notebook and by which formula, or why nothing is."""
    spec = run.spec
    if run.forfeit:
        return f"its {spec.points:g} accuracy points are lost: {run.forfeit}"
    if spec.scored:
        return (f"scored: {spec.variable} ({', '.join(spec.classes)}), "
                f"{spec.formula.describe(spec.split + ' accuracy')}, {spec.points:g} points")
    if run.unscored:
        return f"no accuracy scored: {run.unscored}"
    if not spec.executed:
        return "no accuracy scored: not executed"
    if profile is not None and profile.edition is not None:
        return f"no accuracy scored: edition {profile.edition.name} sets this notebook no accuracy target"
    return "no accuracy scored: the profile sets this notebook no accuracy target"


def origin_text(run: NotebookRun) -> str:
    if run.origin is None:
        return ""
    if run.origin.ours:
        return f"made from this project's kit ({run.origin.evidence}): locked cells checked"
    return f"not made from this project's kit ({run.origin.evidence}): run untouched"


def execution_summary(run: NotebookRun, profile=None) -> tuple[str, str]:
    """(test status, output text) of a notebook's execution test: where it was found, whether it
    is the kit's, what ran and failed, what is scored."""
    notes = [r.describe() for r in run.repairs] + run.notes
    tail = ("; " + "; ".join(notes)) if notes else ""
    where = f" Executed notebook: notebooks/{run.spec.file}." if run.output is not None else ""
    head = origin_text(run)
    head = f"{head}. " if head else ""
    scoring = f" {scoring_text(run, profile)[:1].upper()}{scoring_text(run, profile)[1:]}."
    if run.status in ("missing", "invalid", "empty", "failed"):
        return "error", head + run.message + tail + "." + scoring + where
    if run.status in ("skipped", "not executed"):
        return "skipped", head + run.message + tail + "." + (scoring if run.status == "skipped" else "") + where
    ran = [c for c in run.cells if c.status != "not run"]
    not_run = [c for c in run.cells if c.status == "not run"]
    text = f"{len(ran)} of {run.code_cells} code cells ran in {run.seconds:.1f} s"
    status = "passed"
    if run.kernel in ("failed to start", "died", "hung"):
        status = "error"
        text = f"the kernel {run.kernel}: {run.kernel_message.strip() or 'no detail'}; " + text
    problems = run.problems
    if problems:
        if status == "passed":
            status = "failed"
        shown = "; ".join(c.describe() for c in problems[:8])
        more = f"; and {len(problems) - 8} more" if len(problems) > 8 else ""
        text += f". Problems: {shown}{more}"
    if not_run:
        status = "failed" if status == "passed" else status
        text += f". {len(not_run)} cell{'s' if len(not_run) != 1 else ''} not run ({not_run[0].evalue})"
    return status, head + text + tail + "." + scoring + where


def run_report(run: NotebookRun, profile=None, accuracy: dict | None = None) -> dict:
    """results.json's account of one notebook (its `notebooks` section): found or not, ours or
    official, executed or not and why, which cells failed, what was scored and how, or why not."""
    executed = run.status == "executed"
    why_not = None if executed else (run.message or run.status)
    failed = [{"index": c.index, "id": c.cell_id, "status": c.status,
               "error": c.describe().split(": ", 1)[-1] if c.status == "error" else c.evalue or c.status}
              for c in run.problems]
    scored = None
    if accuracy is not None:
        scored = {"variable": run.spec.variable, "classes": list(run.spec.classes), "split": run.spec.split,
                  "formula": run.spec.formula.describe(run.spec.split + " accuracy") if run.spec.formula else None,
                  "points": run.spec.points, **accuracy}
    return {
        "file": (run.listed or run.spec).file,
        "found": run.status != "missing",
        "path": run.source,
        "origin": None if run.origin is None else ("kit" if run.origin.ours else "other"),
        "origin_evidence": None if run.origin is None else run.origin.evidence,
        "status": run.status,
        "executed": executed,
        "why_not_executed": why_not,
        "code_cells": run.code_cells if executed else None,
        "cells_ran": sum(1 for c in run.cells if c.status != "not run") if executed else None,
        "failed_cells": failed,
        "kernel": run.kernel if executed else None,
        "locked_cells_restored": [r.describe() for r in run.repairs] if run.origin and run.origin.ours else None,
        "notes": list(run.notes),
        "scoring": scoring_text(run, profile),
        "scored": scored,
        "seconds": round(run.seconds, 1),
        "output": f"notebooks/{run.spec.file}" if run.output is not None else None,
    }
