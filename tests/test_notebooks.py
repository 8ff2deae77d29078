"""Master notebooks edited as an instructor does it (grader.notebooks, `grader notebooks check` and
`normalize`): a notebook opened in Jupyter or Colab, changed, run and saved is accepted by check,
normalize and build-template, no edit renames a cell, and the locked-cell integrity keeps working
for the kits already handed out."""

from __future__ import annotations

import copy
import json
import shutil

import nbformat
import pytest
from click.testing import CliRunner

from grader import notebooks
from grader.cli import cli
from grader.courses import get_profile
from grader.integrity import load_manifest, locked_cells, restore_locked
from grader.strip import START_MARKER, MarkerError
from grader.template import TemplateError, build_template

PROFILE = get_profile("cs231n")
MASTERS = PROFILE.paths.notebooks
END_MARKER = START_MARKER.replace("START", "END")


def raw(path):
    return json.loads(path.read_text(encoding="utf-8"))


def save(path, nb: dict):
    path.write_text(json.dumps(nb, indent=2), encoding="utf-8")


@pytest.fixture
def masters(tmp_path):
    folder = tmp_path / "notebooks"
    shutil.copytree(MASTERS, folder)
    return folder


def build(folder, out):
    return build_template(profile=PROFILE, notebooks=folder, out=out, expectations_writer=None)


def new_cell(kind, source, tags=(), outputs=False):
    cell = {"cell_type": kind, "metadata": {"tags": list(tags)} if tags else {}, "source": source.splitlines(True)}
    if kind == "code":
        cell["execution_count"] = 7 if outputs else None
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}] if outputs else []
    return cell


# ----------------------------------------------------------------------------- what Jupyter saves


def test_a_cell_inserted_in_jupyter_renames_no_other_cell(masters):
    path = masters / "Dropout.ipynb"
    nb = raw(path)
    before = [c["id"] for c in nb["cells"]]
    nb["cells"].insert(5, new_cell("code", "print('a new check')", outputs=True))  # a tool that gave it no id
    nb["cells"][11]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["out\n"]}]
    nb["cells"][11]["execution_count"] = 3
    nb["cells"][11]["metadata"].update({"scrolled": True, "execution": {"iopub.status.busy": "2025-01-01"}})
    save(path, nb)

    problems = notebooks.check(PROFILE, [path])
    assert problems and all(p.fixable for p in problems), [str(p) for p in problems]
    assert any(p.index == 5 and "has no cell id" in p.message for p in problems)
    done = notebooks.normalize(path, profile=PROFILE)
    assert done.changed and "1 new cell id (cell 5 -> do-" in done.describe()
    after = [c["id"] for c in raw(path)["cells"]]
    assert after[:5] + after[6:] == before and after[5] not in before
    assert notebooks.check(PROFILE, [path]) == []
    assert not notebooks.normalize(path, profile=PROFILE).changed  # idempotent
    cells = raw(path)["cells"]
    assert cells[11]["metadata"] == {"tags": ["locked"]} and cells[11]["outputs"] == []


def test_edit_as_jupyter_tag_change_and_another_nbformat_minor(masters, tmp_path):
    """Insert a locked check, tag a cell hidden, run the notebook (outputs) and save it as
    nbformat 4.4, which has no cell ids: check, normalize, build-template and the locked-cell
    integrity of the kits already handed out all behave."""
    old_kit = build(masters, tmp_path / "old-kit")  # the kit students already have
    old_manifest = load_manifest(kit=old_kit.out)["Dropout.ipynb"]
    path = masters / "Dropout.ipynb"
    nb = raw(path)
    original_ids = [c["id"] for c in nb["cells"]]
    locked_before = {c["id"] for c in nb["cells"] if "locked" in c["metadata"].get("tags", [])}
    check_at = next(i for i, c in enumerate(nb["cells"]) if "dropout_backward" in "".join(c["source"])
                    and "locked" in c["metadata"].get("tags", [])) + 1
    nb["cells"].insert(check_at, new_cell("code", "assert dropout_keep_ratio_ok()  # a new check", ("locked",), True))
    note = next(i for i, c in enumerate(nb["cells"]) if "".join(c["source"]).startswith("### Inline question 2"))
    nb["cells"][note]["metadata"]["tags"] = ["hidden"]  # now an instructor-only note
    for c in nb["cells"]:
        c.pop("id", None)
        if c["cell_type"] == "code":
            c["execution_count"] = 1
    nb["nbformat_minor"] = 4
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                               "version_minor": 0}}
    nb["metadata"]["language_info"]["version"] = "3.12.1"
    save(path, nb)

    # check: every problem is one normalize fixes, and says where it is
    problems = notebooks.check(PROFILE, [path])
    assert problems and all(p.fixable for p in problems)
    assert str(problems[0]) == (f"{path} cell 0 (no id): has no cell id (saved as nbformat 4.4) "
                                "[fixed by `grader notebooks normalize`]")
    # build-template accepts it as saved, noting the ids it had to make up
    report = build(masters, tmp_path / "unnormalized-kit")
    assert any("had no id" in n and "grader notebooks normalize" in n for n in report.notes)

    done = notebooks.normalize(path, profile=PROFILE)
    assert "nbformat 4.4 -> 4.5" in done.describe() and "execution counts cleared" in done.describe()
    fixed = raw(path)
    assert fixed["nbformat_minor"] == 5 and "widgets" not in fixed["metadata"]
    assert "version" not in fixed["metadata"]["language_info"]
    ids = [c["id"] for c in fixed["cells"]]
    assert len(set(ids)) == len(ids)
    # the locked cells got their kit ids back (by text); the new one has a new id
    assert {ids[i] for i, c in enumerate(fixed["cells"]) if "locked" in c["metadata"].get("tags", [])} == \
        locked_before | {ids[check_at]}
    assert ids[check_at] not in original_ids
    assert notebooks.check(PROFILE, [path]) == []

    new_kit = build(masters, tmp_path / "new-kit")
    assert not new_kit.notes
    kit_nb = nbformat.read(new_kit.out / "Dropout.ipynb", as_version=4)
    assert not any(c.source.startswith("### Inline question 2") for c in kit_nb.cells)  # hidden now
    manifest = load_manifest(kit=new_kit.out)["Dropout.ipynb"]
    assert manifest == locked_cells(kit_nb)
    added = [e for e in manifest if e["id"] == ids[check_at]]
    assert len(added) == 1 and added[0]["source"].startswith("assert dropout_keep_ratio_ok()")
    assert {(e["id"], e["sha256"]) for e in manifest} == {(e["id"], e["sha256"]) for e in old_manifest + added}

    # a student's notebook from the old kit, graded against the new manifest: only the new check
    # is added, no cell of theirs is taken for another
    theirs = nbformat.read(old_kit.out / "Dropout.ipynb", as_version=4)
    their_sources = [c.source for c in theirs.cells]
    repairs = restore_locked(theirs, manifest)
    assert [(r.kind, r.cell_id) for r in repairs] == [("deleted", ids[check_at])]
    assert [c.source for c in theirs.cells if c.get("id") != ids[check_at]] == their_sources
    # a notebook from the new kit needs no repair; a changed check is put back
    mine = nbformat.read(new_kit.out / "Dropout.ipynb", as_version=4)
    assert restore_locked(mine, manifest) == []
    at = next(k for k, c in enumerate(mine.cells) if c.id == ids[check_at])
    mine.cells[at].source = "pass  # skipped the check"
    assert [(r.kind, r.index) for r in restore_locked(mine, manifest)] == [("altered", at)]


def test_a_notebook_saved_by_colab_is_accepted(masters, tmp_path):
    path = masters / "BatchNormalization.ipynb"
    nb = raw(path)
    ids = [c["id"] for c in nb["cells"]]
    for k, c in enumerate(nb["cells"]):
        colab_id = f"Zx{k:04d}Qa"
        del c["id"]
        c["metadata"].update({"id": colab_id, "colab": {"base_uri": "https://localhost:8080/"}})
        if c["cell_type"] == "code":
            c["metadata"]["outputId"] = "0f1e2d3c-aaaa-bbbb-cccc-111122223333"
            c["metadata"]["executionInfo"] = {"elapsed": 1234, "status": "ok"}
    nb["cells"][0]["attachments"] = {"graph.png": {"image/png": "iVBORw0KGgo="}}
    nb["nbformat_minor"] = 0
    nb["metadata"] = {"colab": {"provenance": []}, "accelerator": "GPU", "kernelspec": nb["metadata"]["kernelspec"],
                      "language_info": {"name": "python"}}
    save(path, nb)

    assert all(p.fixable for p in notebooks.check(PROFILE, [path]))
    notebooks.normalize(path, profile=PROFILE)
    fixed = raw(path)
    assert fixed["metadata"] == {"kernelspec": nb["metadata"]["kernelspec"], "language_info": {"name": "python"}}
    assert fixed["cells"][0]["attachments"] == {"graph.png": {"image/png": "iVBORw0KGgo="}}
    locked = [k for k, c in enumerate(fixed["cells"]) if "locked" in c["metadata"].get("tags", [])]
    assert all(fixed["cells"][k]["id"] == ids[k] for k in locked)  # the kit's ids, found by text
    assert all(fixed["cells"][k]["id"] == f"Zx{k:04d}Qa" for k in range(len(ids)) if k not in locked)  # Colab's
    assert all(set(c["metadata"]) <= {"tags"} for c in fixed["cells"])
    assert notebooks.check(PROFILE, [path]) == []
    build(masters, tmp_path / "kit")


# ----------------------------------------------------------------------------- problems check finds


def test_check_names_notebook_cell_and_id_of_every_problem(masters):
    path = masters / "FullyConnectedNets.ipynb"
    nb = raw(path)
    cells = nb["cells"]
    cells[3]["metadata"]["tags"] = ["lockd"]                                   # unknown tag
    cells[4]["metadata"]["tags"] = ["locked", "solution"]                      # two roles
    cells[5]["source"] = [f"{START_MARKER}\n", "text\n", f"{END_MARKER}\n"]   # markers in markdown
    cells[6]["source"] += ["\n", f"{START_MARKER}\n", "x = 1\n", f"{END_MARKER}\n"]  # markers in a locked cell
    cells[8]["source"] += ["\n", f"{START_MARKER}\n"]                         # unbalanced
    cells[9]["id"] = cells[7]["id"]                                           # duplicate id
    cells[2]["source"] = ["import os  # a setup cell of its own\n"] + cells[2]["source"]
    final_md = next(k for k, c in enumerate(cells) if "Aim for **at least 50% validation" in "".join(c["source"]))
    cells[final_md]["source"] = "".join(cells[final_md]["source"]).replace("at least 50%", "at least 55%")
    save(path, nb)

    by_index = {}
    for p in notebooks.check(PROFILE, [path]):
        by_index.setdefault(p.index, []).append(str(p))
    assert any("unknown tag 'lockd'" in m for m in by_index[3])
    assert any("tagged both locked and solution" in m for m in by_index[4])
    assert any("solution markers in a markdown cell" in m for m in by_index[5])
    assert any("solution markers in a locked cell" in m for m in by_index[6])
    assert any("solution markers, line" in m for m in by_index[8])
    assert any(f"cell id {cells[7]['id']!r} is also cell 7's" in m for m in by_index[9])
    assert any("the setup cell (the first code cell) differs from BatchNormalization.ipynb's" in m for m in by_index[2])
    assert any("states the target 55%" in m and "1 if validation accuracy >= 50% else 0" in m
               for m in by_index[final_md])
    assert all(f"FullyConnectedNets.ipynb cell {k} ({cells[k]['id']}): " in by_index[k][0] for k in (3, 4, 5, 6, 8))

    result = CliRunner().invoke(cli, ["notebooks", "check", str(path)])
    assert result.exit_code == 1
    assert "FullyConnectedNets.ipynb cell 3 (fcn-03): unknown tag 'lockd'" in result.output
    with pytest.raises(MarkerError, match=r"FullyConnectedNets.ipynb \[cell 5\]:1: solution block in a markdown"):
        build(masters, masters.parent / "kit")


def test_build_template_refuses_what_check_rejects_and_normalize_cannot_fix(masters, tmp_path):
    path = masters / "Dropout.ipynb"
    nb = raw(path)
    nb["cells"][3]["metadata"]["tags"] = ["lockd"]
    save(path, nb)
    with pytest.raises(TemplateError, match=r"Dropout.ipynb cell 3 \(do-03\): unknown tag 'lockd'"):
        build(masters, tmp_path / "kit")
    nb["cells"][3]["metadata"]["tags"] = []
    final = next(c for c in nb["cells"] if "report_min(" in "".join(c["source"]) and "best_model" in "".join(c["source"]))
    final["source"] = "".join(final["source"]).replace("val_acc, 0.6)", "val_acc, 0.7)")
    save(path, nb)
    with pytest.raises(TemplateError, match=r"disagree with each other or with the profile:\n.*states the target 70%"):
        build(masters, tmp_path / "kit")
    assert not (tmp_path / "kit").exists()


def test_a_target_in_code_and_a_model_never_assigned_are_found(masters):
    path = masters / "ConvolutionalNetworks.ipynb"
    nb = raw(path)
    for c in nb["cells"]:
        c["source"] = "".join(c["source"]).replace("val_acc, 0.6)", "val_acc, 0.65)")
    save(path, nb)
    messages = [str(p) for p in notebooks.check(PROFILE, [path])]
    assert len(messages) == 1 and "states the target 65%" in messages[0] and "report_min(" in messages[0]
    for c in nb["cells"]:
        c["source"] = c["source"].replace("val_acc, 0.65)", "val_acc, 0.6)").replace("best_model", "my_model")
    save(path, nb)
    messages = [str(p) for p in notebooks.check(PROFILE, [path])]
    assert messages == [f"{path}: never assigns best_model, the model profile 'cs231n' scores"]


def test_unreadable_and_missing_notebooks(masters):
    bad = masters / "Broken.ipynb"
    bad.write_text('{"cells": [')
    problems = notebooks.check(PROFILE, [bad])
    assert len(problems) == 1 and "not valid JSON" in str(problems[0])
    result = CliRunner().invoke(cli, ["notebooks", "check", str(masters / "Nowhere.ipynb")])
    assert result.exit_code == 2 and "no such notebook" in result.output
    result = CliRunner().invoke(cli, ["notebooks", "normalize", str(bad)])
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_cli_normalize_rewrites_and_reports(masters):
    path = masters / "Dropout.ipynb"
    nb = raw(path)
    nb["cells"][4]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    save(path, nb)
    result = CliRunner().invoke(cli, ["notebooks", "normalize", "--dry-run", str(path)])
    assert result.exit_code == 0 and "would change Dropout.ipynb: outputs cleared in 1 cell" in result.output
    assert raw(path)["cells"][4]["outputs"]
    result = CliRunner().invoke(cli, ["notebooks", "normalize", str(path)])
    assert result.exit_code == 0 and "Dropout.ipynb: outputs cleared in 1 cell" in result.output
    assert raw(path)["cells"][4]["outputs"] == []
    assert path.read_bytes() == (MASTERS / "Dropout.ipynb").read_bytes()


def test_results_quoted_in_hidden_notes_and_sample_answers_are_not_targets(masters):
    path = masters / "Dropout.ipynb"
    nb = raw(path)
    note = next(c for c in nb["cells"] if "hidden" in c["metadata"].get("tags", []))
    note["source"] = "With the reference, `best_model` reaches 62.7% validation accuracy."
    answer = next(c for c in nb["cells"] if "solution" in c["metadata"].get("tags", []))
    answer["source"] = "My best_model got 58% validation accuracy."
    save(path, nb)
    assert notebooks.check(PROFILE, [path]) == []
