"""The master assignment notebooks (notebooks/*.ipynb): valid, tagged as the kit generator
expects, identical to their generator's output, and (slow) runnable top to bottom with the
reference in QUICK mode, passing every inline check and leaving the scored model behind."""

from __future__ import annotations

import importlib.util
import time

import nbformat
import pytest

from grader.courses import get_profile
from grader.strip import find_blocks

NOTEBOOK_DIR = get_profile("cs231n").paths.notebooks
# Each master notebook and the class of the model its final section leaves in `best_model`.
MASTERS = {
    "FullyConnectedNets": "FullyConnectedNet",
    "BatchNormalization": "FullyConnectedNet",
    "Dropout": "FullyConnectedNet",
    "ConvolutionalNetworks": "ThreeLayerConvNet",
}
KNOWN_TAGS = {"solution", "hidden", "locked"}


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def load_build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOK_DIR.parent / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_valid_nbformat_v4_with_python3_kernel(name):
    nb = read(name)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_committed_without_outputs(name):
    for index, cell in enumerate(read(name).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_tags_are_known_and_consistent(name):
    for index, cell in enumerate(read(name).cells):
        cell_tags = tags(cell)
        assert cell_tags <= KNOWN_TAGS, f"cell {index}: unknown tags {cell_tags - KNOWN_TAGS}"
        assert not {"solution", "locked"} <= cell_tags, f"cell {index} is both solution and locked"
        if "locked" in cell_tags:
            # A locked cell is restored by checksum: it must have nothing for students to write.
            assert not find_blocks(cell.source, f"{name} cell {index}"), f"locked cell {index} has markers"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_solutions_marked_and_markers_balanced(name):
    nb = read(name)
    solution_cells = [c for c in nb.cells if "solution" in tags(c)]
    blocks = 0
    for index, cell in enumerate(nb.cells):
        found = find_blocks(cell.source, f"{name}.ipynb cell {index}")  # raises on unbalanced/nested
        if cell.cell_type == "markdown":
            assert not found, f"markdown cell {index} has solution markers"
        for block in found:
            inside = cell.source.splitlines()[block.start : block.end - 1]
            assert any(line.strip() for line in inside), f"cell {index}: empty solution block"
        blocks += len(found)
    assert solution_cells, "no cell is tagged solution (the inline-question answers should be)"
    assert blocks >= 1, "no code cell has a solution block"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_setup_first_and_data_after_the_unit_checks(name):
    cells = read(name).cells
    code_cells = [c for c in cells if c.cell_type == "code"]
    setup = code_cells[0]
    assert "locked" in tags(setup)
    assert '"reference"' in setup.source and "QUICK" in setup.source and "def rel_error" in setup.source
    first_check = next(i for i, c in enumerate(cells) if "report(" in c.source and "def report" not in c.source)
    first_data = next(i for i, c in enumerate(cells) if "get_CIFAR10_data(" in c.source)
    assert first_check < first_data, "the data must be loaded after the pure unit checks"
    assert "CIFAR10_PATH" in cells[first_data].source


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_final_section_leaves_best_model(name):
    cells = read(name).cells
    final = [c for c in cells if c.cell_type == "code" and find_blocks(c.source)][-1]
    lines = final.source.splitlines()
    block = find_blocks(final.source)[-1]
    before, inside = lines[: block.start - 1], lines[block.start : block.end - 1]
    assert "best_model = None" in before, "best_model must be reset outside the student's block"
    assert any(line.strip().startswith("best_model =") for line in inside)
    assert any("epochs(" in line for line in inside), "the final training must respect QUICK via epochs()"
    after = cells[cells.index(final) + 1 :]
    assert any("best_model" in c.source and "locked" in tags(c) for c in after), "no locked evaluation cell"


def test_build_script_reproduces_the_notebooks():
    build = load_build_module()
    texts = build.build()
    assert sorted(texts) == sorted(f"{name}.ipynb" for name in MASTERS)
    assert texts == build.build(), "the build is not deterministic"
    for file_name, text in texts.items():
        committed = (NOTEBOOK_DIR / file_name).read_text(encoding="utf-8")
        assert committed == text, f"{file_name} differs from notebooks/_build.py's output; rerun it"


@pytest.mark.slow
@pytest.mark.cifar
@pytest.mark.parametrize("name", sorted(MASTERS))
def test_executes_in_quick_mode_with_the_reference(name, cifar10_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("QUICK", "1")
    monkeypatch.setenv("CIFAR10_PATH", str(cifar10_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # One BLAS thread: on a busy 2-core machine, threads spinning between the many tiny matrix
    # products make them many times slower.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    nb = read(name)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "assert 'best_model' in dir() and best_model is not None, 'best_model is not defined'\n"
            f"assert type(best_model).__name__ == {MASTERS[name]!r}, type(best_model)\n"
            "assert not failed_checks, f'checks failed: {failed_checks}'\n"
            "print('EXECUTED-OK')",
            id="test-final",
        )
    )
    start = time.monotonic()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    seconds = time.monotonic() - start
    outputs = nb.cells[-1].outputs
    assert any("EXECUTED-OK" in o.get("text", "") for o in outputs), outputs
    assert seconds < 300, f"QUICK mode took {seconds:.0f} s"
