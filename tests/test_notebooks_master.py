"""The master assignment notebooks (notebooks/<course>/*.ipynb), as committed: every course's
masters pass `grader notebooks check` and are in canonical form; the cs231n ones follow the
layout their kit relies on; and (slow) they run top to bottom with the reference in QUICK
mode, passing every inline check and leaving the scored model behind."""

from __future__ import annotations

import time

import nbformat
import pytest
from click.testing import CliRunner

from grader import notebooks
from grader.cli import cli
from grader.courses import get_profile, profiles
from grader.strip import find_blocks

NOTEBOOK_DIR = get_profile("cs231n").paths.notebooks
# Each master notebook and the class of the model its final section leaves in `best_model`.
MASTERS = {
    "FullyConnectedNets": "FullyConnectedNet",
    "BatchNormalization": "FullyConnectedNet",
    "Dropout": "FullyConnectedNet",
    "ConvolutionalNetworks": "ThreeLayerConvNet",
}
COURSES = [p.name for p in profiles() if p.paths.notebooks.is_dir()]


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.mark.parametrize("course", COURSES)
def test_grader_notebooks_check_passes_on_every_courses_masters(course):
    prof = get_profile(course)
    assert notebooks.check(prof) == []
    result = CliRunner().invoke(cli, ["notebooks", "check", "--profile", course])
    assert result.exit_code == 0, result.output
    assert f"{len(notebooks.master_paths(prof))} notebooks of {course} checked: no problems" in result.output


@pytest.mark.parametrize("course", COURSES)
def test_the_masters_are_committed_normalized(course):
    prof = get_profile(course)
    for path in notebooks.master_paths(prof):
        done = notebooks.normalize(path, profile=prof, write=False)
        assert not done.changed, f"{done.describe()}: run `grader notebooks normalize --profile {course}`"


def test_every_cs231n_master_is_valid_v4_5_with_a_python3_kernel():
    assert sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(MASTERS)
    for name in MASTERS:
        nb = read(name)
        assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_solutions_marked(name):
    nb = read(name)
    assert any("solution" in tags(c) for c in nb.cells), "no cell is tagged solution (the inline-question answers should be)"
    assert sum(len(find_blocks(c.source)) for c in nb.cells if c.cell_type == "code") >= 1, "no solution block"


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
