"""The kit's notebooks, run as a student first opens them: every cell runs until the first one
that calls a student function, which fails there as an unwritten course function does (its
result is None), not with an unrelated error."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from grader.courses import get_profile

KIT = get_profile("cs231n").paths.kit
NOTEBOOKS = sorted(p.name for p in KIT.glob("*.ipynb"))
STUDENT_NAMES = sorted({q.rsplit(".", 1)[1] for q in get_profile("cs231n").functions()})
CALL = re.compile(r"\b(" + "|".join(map(re.escape, STUDENT_NAMES)) + r")\s*\(")


def test_the_kit_has_the_four_notebooks():
    assert NOTEBOOKS == ["BatchNormalization.ipynb", "ConvolutionalNetworks.ipynb", "Dropout.ipynb",
                         "FullyConnectedNets.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_kit_notebook_stops_at_the_first_unwritten_function(name, tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    shutil.copytree(KIT, kit)
    monkeypatch.setenv("QUICK", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(kit / name, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first_call = next(i for i in code if CALL.search(nb.cells[i].source))

    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(kit)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()

    failed = [i for i in code if any(o.get("output_type") == "error" for o in nb.cells[i].get("outputs", []))]
    assert failed == [first_call], f"{name}: expected the first failure at cell {first_call}, got {failed}"
    assert all(nb.cells[i].get("execution_count") for i in code if i < first_call)  # everything before ran
    assert "NoneType" in str(info.value), str(info.value)[-500:]
