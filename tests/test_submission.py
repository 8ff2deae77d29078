"""Opening submissions as they come in the wild, and assembling the workdir the sandbox runs."""

from __future__ import annotations

import io
import stat
import textwrap
import zipfile
from pathlib import Path

import dataclasses

import pytest

from grader.courses import get_profile
from grader.courses.profile import CoursePaths
from grader.strip import strip_solutions
from grader.submission import SubmissionError, open_submission
from grader.submission import assemble_workdir as _assemble
from grader.submission import find_package as _find

START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
EDITABLE = ["layers.py", "optim.py", "classifiers/fc_net.py"]


def _solved(name: str, body: str) -> str:
    return textwrap.dedent(f"""\
        def {name}(x):
            out = None
            # TODO: implement {name}
            {START}
            {body}
            {END}
            return out
        """)


ANCHORS = get_profile().anchor_files


def find_package(root):
    return _find(root, "cs231n", ANCHORS)


def assemble_workdir(pkg, reference, editable, dest):
    """The workdir of a profile whose reference is the stand-in package `reference`."""
    root = reference.parent
    profile = dataclasses.replace(get_profile(), editable=tuple(f"cs231n/{e}" for e in editable),
                                  paths=CoursePaths(root, root, root / "notebooks", root / "kit"))
    return _assemble(profile, {"cs231n": pkg}, dest)


def shown(names):
    return sorted(f"cs231n/{n}" for n in names)


@pytest.fixture
def reference(tmp_path) -> Path:
    """A small stand-in for reference/cs231n: three editable files and a given one."""
    pkg = tmp_path / "reference" / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "classifiers" / "__init__.py").write_text("from .fc_net import *\n")
    (pkg / "layers.py").write_text(_solved("relu", "out = x * (x > 0)"))
    (pkg / "optim.py").write_text(_solved("sgd", "out = x - 1e-2"))
    (pkg / "classifiers" / "fc_net.py").write_text(_solved("net", "out = 2 * x"))
    (pkg / "gradient_check.py").write_text("def eval_numerical_gradient(f, x):\n    return 'reference'\n")
    return pkg


STUDENT_FILES = {
    "layers.py": "def relu(x):\n    return 'student layers'\n",
    "optim.py": "def sgd(x):\n    return 'student optim'\n",
    "classifiers/fc_net.py": "def net(x):\n    return 'student net'\n",
    "gradient_check.py": "def eval_numerical_gradient(f, x):\n    return 'always passes'\n",
}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _grade_dir(submission: Path, reference: Path, tmp_path: Path):
    root = open_submission(submission, tmp_path / "scratch")
    pkg = find_package(root)
    return pkg, assemble_workdir(pkg, reference, EDITABLE, tmp_path / "work")


def test_folder_submission_uses_student_code_but_the_reference_given_files(tmp_path, reference):
    sub = tmp_path / "alice"
    _write(sub / "cs231n", STUDENT_FILES)
    pkg, work = _grade_dir(sub, reference, tmp_path)
    assert pkg == sub / "cs231n"
    assert open_submission(sub, tmp_path / "scratch") == sub.resolve()  # a folder is used in place
    assert sorted(work.from_student) == shown(EDITABLE) and work.missing == []
    out = work.path / "cs231n"
    assert (out / "layers.py").read_text() == STUDENT_FILES["layers.py"]
    # the student's gradient_check.py is ignored: the reference copy is used
    assert "cs231n/gradient_check.py" in work.from_reference
    assert (out / "gradient_check.py").read_text() == (reference / "gradient_check.py").read_text()
    assert (out / "classifiers" / "__init__.py").read_text() == "from .fc_net import *\n"
    # the stub grader package: empty __init__, and the compiled extension when it is built
    assert (work.path / "grader" / "__init__.py").read_text() == ""
    if work.extension is not None:
        assert work.extension.parent == work.path / "grader" and work.extension.name.startswith("_im2col")
    else:
        assert any("numpy fallback" in n for n in work.notes)


def test_zip_nested_two_levels_with_macosx_junk(tmp_path, reference):
    files = {f"hw2/assignment2/cs231n/{rel}": text for rel, text in STUDENT_FILES.items()}
    files["__MACOSX/hw2/assignment2/cs231n/._layers.py"] = b"\x00\x05\x16\x07 resource fork"
    files["__MACOSX/cs231n/layers.py"] = "def relu(x):\n    return 'junk'\n"
    files["hw2/assignment2/cs231n/.ipynb_checkpoints/layers-checkpoint.py"] = "old\n"
    files["hw2/assignment2/notebook.ipynb"] = "{}"
    pkg, work = _grade_dir(_zip(tmp_path / "bob.zip", files), reference, tmp_path)
    assert pkg == tmp_path / "scratch" / "submission" / "hw2" / "assignment2" / "cs231n"
    assert not (tmp_path / "scratch" / "submission" / "__MACOSX").exists()
    assert (work.path / "cs231n" / "layers.py").read_text() == STUDENT_FILES["layers.py"]
    assert sorted(work.from_student) == shown(EDITABLE)


def test_only_edited_files_the_rest_comes_stripped_or_from_the_reference(tmp_path, reference):
    sub = tmp_path / "carol"
    _write(sub / "cs231n", {"layers.py": STUDENT_FILES["layers.py"], "helpers.py": "K = 3\n"})
    _, work = _grade_dir(sub, reference, tmp_path)
    assert work.from_student == ["cs231n/layers.py"]
    assert sorted(work.missing) == shown(["classifiers/fc_net.py", "optim.py"])
    assert work.extra == ["cs231n/helpers.py"]
    optim = (work.path / "cs231n" / "optim.py").read_text()
    assert optim == strip_solutions((reference / "optim.py").read_text())
    assert "x - 1e-2" not in optim and "pass" in optim  # never the solution
    assert (work.path / "cs231n" / "gradient_check.py").exists()


def test_flat_upload_of_loose_files(tmp_path, reference):
    sub = tmp_path / "dave"
    _write(sub, {"layers.py": STUDENT_FILES["layers.py"], "fc_net.py": STUDENT_FILES["classifiers/fc_net.py"]})
    pkg, work = _grade_dir(sub, reference, tmp_path)
    assert pkg == sub.resolve()
    assert sorted(work.from_student) == shown(["classifiers/fc_net.py", "layers.py"])
    assert (work.path / "cs231n" / "classifiers" / "fc_net.py").read_text() == STUDENT_FILES["classifiers/fc_net.py"]
    assert any("taken from fc_net.py" in n for n in work.notes)


def test_the_richest_candidate_folder_wins_deterministically(tmp_path):
    _write(tmp_path / "a" / "old" / "cs231n", {"layers.py": ""})
    _write(tmp_path / "b" / "cs231n", {"layers.py": "", "optim.py": "", "solver.py": ""})
    _write(tmp_path / "c" / "copy" / "cs231n", {"layers.py": "", "optim.py": "", "solver.py": ""})
    _write(tmp_path / "lib", {"layers.py": "", "optim.py": "", "solver.py": "", "data_utils.py": ""})
    _write(tmp_path / ".hidden" / "cs231n", {rel: "" for rel in STUDENT_FILES})
    # named cs231n beats more anchors elsewhere; then most anchors; then shallowest
    assert find_package(tmp_path) == tmp_path / "b" / "cs231n"
    _write(tmp_path / "a" / "cs231n", {"layers.py": "", "optim.py": "", "solver.py": ""})
    assert find_package(tmp_path) == tmp_path / "a" / "cs231n"  # same score and depth: first by name
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_package(empty) is None


@pytest.mark.parametrize("member", ["../evil.py", "cs231n/../../evil.py", "/tmp/evil.py", "C:/evil.py", "..\\evil.py"])
def test_zip_slip_is_refused(tmp_path, member):
    archive = _zip(tmp_path / "eve.zip", {"cs231n/layers.py": "x = 1\n", member: "import os\n"})
    with pytest.raises(SubmissionError, match="refused") as info:
        open_submission(archive, tmp_path / "scratch")
    assert info.value.path == archive
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "scratch" / "evil.py").exists()


def test_symlinks_are_never_followed(tmp_path, reference):
    secret = tmp_path / "secret.txt"
    secret.write_text("exam answers")
    # in a zip: a symlink entry is skipped
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cs231n/layers.py", STUDENT_FILES["layers.py"])
        info = zipfile.ZipInfo("cs231n/optim.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, str(secret))
    root = open_submission(archive, tmp_path / "scratch")
    assert not (root / "cs231n" / "optim.py").exists()
    # in a folder: a linked editable file is treated as absent (kit version used)
    sub = tmp_path / "frank" / "cs231n"
    sub.mkdir(parents=True)
    (sub / "layers.py").symlink_to(secret)
    work = assemble_workdir(sub, reference, EDITABLE, tmp_path / "work")
    assert "cs231n/layers.py" in work.missing
    assert "exam answers" not in (work.path / "cs231n" / "layers.py").read_text()


def test_corrupt_and_foreign_files_are_submission_errors(tmp_path):
    good = _zip(tmp_path / "good.zip", {"cs231n/layers.py": "x = 1\n" * 100})
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(SubmissionError, match="not a readable zip archive"):
        open_submission(truncated, tmp_path / "s1")
    # damaged member data (bad CRC, garbled deflate stream) is caught while extracting
    for n, method in enumerate((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as zf:
            zf.writestr("cs231n/layers.py", "y = 2\n" * 100)
        raw = bytearray(buf.getvalue())
        raw[30 + len("cs231n/layers.py") + 3] ^= 0xFF  # a byte of the member's data
        (tmp_path / f"bad{n}.zip").write_bytes(bytes(raw))
        with pytest.raises(SubmissionError, match="not a readable zip archive: cs231n/layers.py"):
            open_submission(tmp_path / f"bad{n}.zip", tmp_path / f"s2-{n}")
    text = tmp_path / "notes.txt"
    text.write_text("this is my homework")
    with pytest.raises(SubmissionError, match="neither a folder nor a .zip"):
        open_submission(text, tmp_path / "s3")
    with pytest.raises(SubmissionError, match="not found"):
        open_submission(tmp_path / "nope.zip", tmp_path / "s4")


def test_a_zip_bomb_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cs231n/layers.py", "x = 1\n")
        zf.writestr("cs231n/zeros.bin", b"\0" * (20 << 20))  # 20 MB in ~20 kB
    (tmp_path / "bomb.zip").write_bytes(buf.getvalue())
    with pytest.raises(SubmissionError, match="zip bomb"):
        open_submission(tmp_path / "bomb.zip", tmp_path / "scratch")


def test_workdir_is_world_readable_and_nothing_is_executed(tmp_path, reference):
    sub = tmp_path / "mallory" / "cs231n"
    marker = tmp_path / "executed"
    _write(sub, {"layers.py": f"open({str(marker)!r}, 'w').close()\n"})
    zip_member = tmp_path / "mallory.zip"
    _zip(zip_member, {"cs231n/layers.py": f"open({str(marker)!r}, 'w').close()\n"})
    for src in (sub.parent, zip_member):
        root = open_submission(src, tmp_path / f"scratch-{src.name}")
        work = assemble_workdir(find_package(root), reference, EDITABLE, tmp_path / f"work-{src.name}")
        modes = {p: p.stat().st_mode & 0o777 for p in work.path.rglob("*")}
        assert all(m == (0o755 if p.is_dir() else 0o644) for p, m in modes.items())
    assert not marker.exists()
    with pytest.raises(ValueError, match="not empty"):
        assemble_workdir(sub, reference, EDITABLE, tmp_path / "work-mallory")
