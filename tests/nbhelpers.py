"""Helpers of the notebook tests (test_execute.py, test_accuracy.py): tiny notebooks, a tiny
synthetic CIFAR-10, submissions and profiles built in tmp_path."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.courses import get_profile
from grader.courses.profile import AccuracyFormula, NotebookSettings, NotebookSpec
from grader import examples

TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
# Function checks of the fast tests: one function (the notebook step is what they test).
ONLY = {"layers.relu_forward"}


def tiny_cifar(folder: Path, n: int = 20, seed: int = 0, learnable: bool = False) -> Path:
    """A CIFAR-10 batch folder with n images per batch, in the official pickle format; its
    test_batch differs from every training batch. Random images and labels, or (learnable)
    dim noise with a bright band of rows whose place is the class: any small net learns it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in TRAIN + ("test_batch",):
        labels = rng.integers(0, 10, size=n)
        if learnable:
            images = rng.integers(0, 40, size=(n, 3, 32, 32), dtype=np.uint8)
            for i, c in enumerate(labels):
                images[i, :, 3 * c : 3 * c + 3, :] = 250
            data = images.reshape(n, 3072)
        else:
            data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        batch = {"batch_label": name, "data": data, "labels": labels.tolist()}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}, protocol=2))
    return folder


KIT_MARK = {"course": "cs231n"}  # the notebook metadata of this project's kit (any notebook of the course)


def make_notebook(cells, ours: bool = True) -> nbformat.NotebookNode:
    """cells: code strings, or (kind, source, tags, id) tuples. ours: carries the kit's metadata
    (made from this project's kit); False: an official course notebook."""
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if ours:
        metadata["grader"] = dict(KIT_MARK)
    nb = new_notebook(metadata=metadata)
    for k, cell in enumerate(cells):
        if isinstance(cell, str):
            cell = ("code", cell, (), None)
        kind, source, tags, cid = cell
        make = new_code_cell if kind == "code" else new_markdown_cell
        nb.cells.append(make(source=source, metadata={"tags": list(tags)} if tags else {}, id=cid or f"c{k:02d}"))
    return nb


def write_notebook(path: Path, cells, ours: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(cells, ours), path)
    return path


def submission(root: Path, notebooks: dict | None = None, ours: bool = True) -> Path:
    """The reference package under root/cs231n plus notebooks {file name: cells | bytes}
    (ours: made from this project's kit, see make_notebook)."""
    examples.build(get_profile("cs231n"), root)
    for name, cells in (notebooks or {}).items():
        if isinstance(cells, bytes):
            (root / name).write_bytes(cells)
        else:
            write_notebook(root / name, cells, ours)
    return root


def profile(specs, **settings):
    """The cs231n profile with these notebooks and notebook settings (short defaults for tests)."""
    base = dict(startup_timeout=60, cell_timeout=60, notebook_timeout=120, interrupt_grace=5, export_timeout=30)
    base.update(settings)
    return dataclasses.replace(get_profile("cs231n"), notebooks=tuple(specs),
                               notebook_settings=NotebookSettings(**base))


def fc_spec(file: str = "T.ipynb", offset: float = 50, points: float = 5.0, **kw) -> NotebookSpec:
    """A notebook whose best_model (a FullyConnectedNet) earns `points` from `offset` percent on."""
    kw.setdefault("formula", AccuracyFormula(offset=offset, span=0))
    kw.setdefault("variable", "best_model")
    return NotebookSpec(file, classes=("FullyConnectedNet",), points=points, **kw)


def by_name(results: dict) -> dict[str, dict]:
    return {t["name"]: t for t in results["tests"]}
