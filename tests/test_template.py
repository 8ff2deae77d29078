"""The student kit: in sync with a fresh build, free of solution lines, importable, deterministic,
and never half-built when the markers are wrong."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.check.public import ExpectationsError
from grader.courses import get_profile
from grader.strip import END_MARKER, START_MARKER, MarkerError, solution_lines
from grader.template import (
    CODE_PLACEHOLDER,
    MARKDOWN_PLACEHOLDER,
    BuildReport,
    LeakError,
    TemplateError,
    build_template as _build_template,
    check_template as _check_template,
    default_expectations_writer,
    diff_trees,
    find_leaks,
)

PROFILE = get_profile("cs231n")
REFERENCE = PROFILE.paths.reference
NOTEBOOKS = PROFILE.paths.notebooks
COMMITTED = PROFILE.paths.kit


def build_template(**kw):
    """The cs231n kit; no public expectations unless a writer is given."""
    kw.setdefault("expectations_writer", None)
    return _build_template(profile=PROFILE, **kw)


def check_template(**kw):
    return _check_template(profile=PROFILE, **kw)


def _copy_reference(dst: Path) -> Path:
    """A private copy of the reference package (no caches or build output)."""
    shutil.copytree(REFERENCE / "cs231n", dst / "cs231n", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    return dst


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> tuple[Path, BuildReport]:
    out = tmp_path_factory.mktemp("fresh") / "kit"
    report = build_template(reference=REFERENCE, notebooks=NOTEBOOKS, out=out,
                            expectations_writer=default_expectations_writer(PROFILE))  # as the CLI builds it
    return out, report


# ------------------------------------------------------------------------------------------ sync


def test_committed_kit_equals_a_fresh_build():
    assert COMMITTED.is_dir(), "student_template/ is missing: run `grader build-template`"
    diffs = check_template(reference=REFERENCE, notebooks=NOTEBOOKS, committed=COMMITTED,
                           expectations_writer=default_expectations_writer(PROFILE))
    assert diffs == [], "student_template/ is stale (run `grader build-template`):\n" + "\n".join(diffs)


# A child process computing like another machine: it builds a kit, then runs `--check` on the committed one.
OTHER_MACHINE_CHILD = """
import json, sys
import numpy as np
from threadpoolctl import threadpool_info
from grader.cli import main
try:
    from numpy._core._multiarray_umath import __cpu_features__
except ImportError:  # numpy 1.x
    from numpy.core._multiarray_umath import __cpu_features__

def run(*args):
    sys.argv = ["grader", *args]
    try:
        main()
    except SystemExit as exc:
        return exc.code
    return 0

np.ones((64, 64)) @ np.ones((64, 64))  # the BLAS loaded and running
codes = [run("build-template", "--out", sys.argv[1]), run("build-template", "--check")]
blas = [[p.get("internal_api"), p.get("architecture"), p.get("num_threads")]
        for p in threadpool_info() if p.get("user_api") == "blas"]
print(json.dumps({"codes": codes, "blas": blas, "features": sorted(k for k, v in __cpu_features__.items() if v)}))
"""


def _blas_here() -> list[list]:
    from threadpoolctl import threadpool_info

    np.ones((64, 64)) @ np.ones((64, 64))
    return [[p.get("internal_api"), p.get("architecture"), p.get("num_threads")]
            for p in threadpool_info() if p.get("user_api") == "blas"]


def _simd_dispatch_here() -> list[str]:
    """numpy's SIMD targets chosen at run time on this machine (beyond its baseline)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    return [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]


def _openblas_kernel(env: dict[str, str] | None = None) -> str | None:
    """The OpenBLAS kernel (threadpoolctl's `architecture`) numpy uses in a child process with
    these environment variables, or here (env None); None without OpenBLAS."""
    if env is None:
        return next((str(a) for api, a, _ in _blas_here() if api == "openblas" and a), None)
    code = ("import json, numpy as np\nfrom threadpoolctl import threadpool_info\nnp.ones((8, 8)) @ np.ones((8, 8))\n"
            "print(json.dumps([p.get('architecture') for p in threadpool_info() if p.get('internal_api') == 'openblas']))")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60)
    kernels = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else []
    return str(kernels[0]) if kernels and kernels[0] else None


def _kernel_candidates() -> tuple[str, ...]:
    """OPENBLAS_CORETYPE values this processor can run (forcing a kernel the CPU lacks crashes)."""
    machine = platform.machine().lower()
    if machine in ("aarch64", "arm64"):
        return ("ARMV8",)
    if machine not in ("x86_64", "amd64"):
        return ()
    try:
        flags = set(Path("/proc/cpuinfo").read_text(encoding="utf-8").split())
    except OSError:
        flags = set()
    # SSE3 / SSE4.2 kernels run on every processor numpy's baseline allows; AVX2 ones only with AVX2 and FMA
    return ("Prescott", "Nehalem") + (("Haswell",) if {"avx2", "fma"} <= flags else ())


def _another_machine() -> tuple[dict[str, str], list[str]]:
    """Environment variables that make a child process compute like another machine: another
    OpenBLAS kernel (OPENBLAS_CORETYPE, the first this CPU runs that is not the current one), one
    BLAS thread, and numpy's run-time SIMD targets switched off. Returns them and what they change."""
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    changes = []
    if any((threads or 1) > 1 for _, _, threads in _blas_here()):
        changes.append("BLAS threads 1")
    kernel = _openblas_kernel()
    if kernel:
        for candidate in _kernel_candidates():
            other = _openblas_kernel({"OPENBLAS_CORETYPE": candidate})  # names differ: Prescott shows as Katmai
            if other and other != kernel:
                env["OPENBLAS_CORETYPE"] = candidate
                changes.append(f"OpenBLAS kernel {other} instead of {kernel}")
                break
    simd = _simd_dispatch_here()
    if simd:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(simd)
        changes.append("numpy SIMD without " + ", ".join(simd))
    return env, changes


def test_kit_does_not_depend_on_the_machine(tmp_path):
    """A kit built with another BLAS kernel, thread count and SIMD level passes `--check` here, and
    `--check` there passes on the committed kit: the build stores the same numbers on any machine
    (up to the tolerance --check states)."""
    env_changes, changes = _another_machine()
    if not changes:
        pytest.skip("no way to make this machine compute differently (one BLAS thread, no OpenBLAS, no SIMD dispatch)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(env_changes)
    kit = tmp_path / "kit"
    proc = subprocess.run([sys.executable, "-c", OTHER_MACHINE_CHILD, str(kit)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    # the child did compute differently
    if "OPENBLAS_CORETYPE" in env_changes:
        assert [a for api, a, _ in child["blas"] if api == "openblas"] != [_openblas_kernel()], child
    assert all(threads == 1 for _, _, threads in child["blas"]), child
    assert not set(_simd_dispatch_here()) & set(child["features"]), child
    # there: the kit it built, and --check of the committed kit
    assert child["codes"] == [0, 0], (changes, proc.stdout[-3000:])
    assert "is in sync" in proc.stdout
    # here: --check of the kit built there
    result = CliRunner().invoke(cli, ["build-template", "--out", str(kit), "--check"])
    assert result.exit_code == 0, (changes, result.output)


def test_check_reports_every_kind_of_difference(kit, tmp_path):
    fresh, _ = kit
    stale = tmp_path / "stale"
    shutil.copytree(fresh, stale)
    (stale / "README.md").write_text("edited\n", encoding="utf-8")
    (stale / "Dropout.ipynb").unlink()
    (stale / "notes.txt").write_text("extra\n", encoding="utf-8")
    (stale / "cs231n" / "__pycache__").mkdir()
    (stale / "cs231n" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0")  # debris: ignored
    assert diff_trees(fresh, stale) == [
        "Dropout.ipynb: missing from the committed kit",
        "README.md: differs from a fresh build",
        "notes.txt: in the committed kit but not in a fresh build",
    ]

    result = CliRunner().invoke(cli, ["build-template", "--out", str(stale), "--check"])
    assert result.exit_code == 1, result.output
    assert "README.md: differs" in result.output and "Dropout.ipynb: missing" in result.output
    result = CliRunner().invoke(cli, ["build-template", "--out", str(fresh), "--check"])
    assert result.exit_code == 0, result.output


def test_check_compares_the_expected_numbers_within_a_tolerance(kit, tmp_path):
    """`--check`: every file byte for byte, except the stored expected numbers, which another
    machine's BLAS moves by a grid step or so: those within the stated tolerance, and a larger
    difference is named (file, array, index, both values, tolerance)."""
    from grader.check.public import CHECK_STEPS, GRID_BITS, grid_step, write_npz

    shown = " ".join(CliRunner().invoke(cli, ["build-template", "--help"]).output.split())
    assert f"within {CHECK_STEPS} grid steps of 2^-{GRID_BITS} of each array's scale" in shown  # the help states it
    fresh, _ = kit
    key = "out/layers.affine_forward[public]/out"
    arrays = _npz(fresh)
    step = grid_step(float(np.max(np.abs(arrays[key]))))
    near = tmp_path / "near"
    shutil.copytree(fresh, near)
    arrays[key] = arrays[key] + step * np.array([[1, -2, 0], [0, 3, -1]])  # other last bits
    write_npz(near / "public_checks" / "expectations.npz", arrays)
    result = CliRunner().invoke(cli, ["build-template", "--out", str(near), "--check"])
    assert result.exit_code == 0, result.output
    assert diff_trees(fresh, near) == ["public_checks/expectations.npz: differs from a fresh build"]  # not bytes

    arrays[key][1, 2] += 2 * CHECK_STEPS * step
    write_npz(near / "public_checks" / "expectations.npz", arrays)
    result = CliRunner().invoke(cli, ["build-template", "--out", str(near), "--check"])
    assert result.exit_code == 1, result.output
    line = " ".join(result.output.split())
    assert f"public_checks/expectations.npz: {key}[1, 2]: committed " in line and ", fresh " in line
    assert f"(tolerance {CHECK_STEPS * step:.3g}: {CHECK_STEPS} grid steps of 2^-44" in line

    inputs = _npz(fresh)
    x = "in/layers.affine_forward[public]/x"
    inputs[x] = inputs[x].copy()
    inputs[x].flat[5] = np.nextafter(inputs[x].flat[5], np.inf)  # inputs are stored exactly
    write_npz(near / "public_checks" / "expectations.npz", inputs)
    result = CliRunner().invoke(cli, ["build-template", "--out", str(near), "--check"])
    assert result.exit_code == 1 and f"{x}[0, 0, 0, 5]: committed" in result.output and "exactly" in result.output


def test_two_builds_are_byte_identical(kit, tmp_path):
    fresh, _ = kit
    again = tmp_path / "other-name"
    build_template(reference=REFERENCE, notebooks=NOTEBOOKS, out=again,
                   expectations_writer=default_expectations_writer(PROFILE))
    assert (again / "public_checks" / "expectations.npz").is_file()
    assert diff_trees(fresh, again) == []
    listing = [sorted(p.relative_to(root) for p in root.rglob("*")) for root in (fresh, again)]
    assert listing[0] == listing[1]


def _npz(kit: Path) -> dict[str, np.ndarray]:
    with np.load(kit / "public_checks" / "expectations.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_reference_option_gives_the_answers_of_that_reference(kit, tmp_path):
    """`build-template --reference DIR`: the stored answers are DIR's reference's, not those of the
    reference the grader loads by default (which this process has imported already)."""
    import cs231n.layers  # the default reference, imported as `cs231n` (conftest puts it on the path)

    fresh, _ = kit
    ref = _copy_reference(tmp_path / "ref")
    layers = ref / "cs231n" / "layers.py"
    text = layers.read_text(encoding="utf-8")
    end = text.index(END_MARKER, text.index("\ndef affine_forward("))
    line = text.rindex("\n", 0, end) + 1  # the END marker's line: the addition stays a solution line
    layers.write_text(text[:line] + text[line:end] + "out = out + 1.0\n" + text[line:], encoding="utf-8")

    out = tmp_path / "kit"
    result = CliRunner().invoke(cli, ["build-template", "--reference", str(ref), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert diff_trees(fresh, out) == ["public_checks/expectations.npz: differs from a fresh build"]  # bytes
    # as --check compares it: the expected numbers, the first difference named
    diffs = diff_trees(fresh, out, default_expectations_writer(PROFILE).comparators)
    default, other = _npz(fresh), _npz(out)
    first = min(k for k in default if not np.array_equal(default[k], other[k]))  # in sorted order
    assert len(diffs) == 1 and diffs[0].startswith(f"public_checks/expectations.npz: {first}[")
    assert "committed" in diffs[0] and "fresh" in diffs[0] and "tolerance" in diffs[0]
    assert set(default) == set(other)
    changed = sorted(k for k in default if not np.array_equal(default[k], other[k]))
    key = "out/layers.affine_forward[public]/out"
    np.testing.assert_allclose(other[key], default[key] + 1.0, rtol=1e-9)
    # affine_forward's own answers and those of what calls it; no input, nothing else
    assert key in changed and all(k.startswith("out/") for k in changed)
    assert "out/layer_utils.affine_relu_forward[public]/out" in changed
    assert not [k for k in changed if "relu_forward[public]" in k and "affine" not in k]
    assert not [k for k in changed if "optim." in k or "conv_" in k]
    # and the `cs231n` this process imported is still the default reference, unmodified
    assert Path(cs231n.layers.__file__).resolve().is_relative_to(REFERENCE)
    inputs = {n: default[f"in/layers.affine_forward[public]/{n}"] for n in ("x", "w", "b")}
    np.testing.assert_allclose(cs231n.layers.affine_forward(**inputs)[0], default[key], rtol=1e-9)

    # the same reference through the API: the writer takes the folder too
    again = tmp_path / "api"
    build_template(reference=ref, notebooks=None, out=again,
                   expectations_writer=default_expectations_writer(PROFILE, reference=ref))
    np.testing.assert_array_equal(_npz(again)[key], other[key])


def test_expectations_from_another_reference_than_the_kit_are_refused(tmp_path):
    """The writer's reference must be the one the kit is built from: answers must match the code."""
    ref = _copy_reference(tmp_path / "ref")
    optim = ref / "cs231n" / "optim.py"
    optim.write_text(optim.read_text(encoding="utf-8") + "\n# an instructor's edit\n", encoding="utf-8")
    with pytest.raises(ExpectationsError, match="another"):
        build_template(reference=ref, notebooks=None, out=tmp_path / "kit",
                       expectations_writer=default_expectations_writer(PROFILE))
    assert not (tmp_path / "kit").exists()


# ------------------------------------------------------------------------------------------ contents


def test_kit_layout(kit):
    out, report = kit
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for rel in ("layers.py", "layer_utils.py", "classifiers/fc_net.py", "classifiers/cnn.py", "optim.py",
                "solver.py", "gradient_check.py", "data_utils.py", "fast_layers.py", "im2col.py",
                "im2col_cython.pyx", "__init__.py", "classifiers/__init__.py"):
        assert f"cs231n/{rel}" in files
    assert not [f for f in files if f.endswith((".so", ".c", ".pyc")) or "__pycache__" in f]
    assert {f for f in files if f.endswith(".ipynb")} == {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    assert "README.md" in files
    # Given files verbatim, editable ones stripped (markers kept, bodies replaced by `pass`).
    for rel in ("solver.py", "fast_layers.py", "im2col_cython.pyx"):
        assert (out / "cs231n" / rel).read_bytes() == (REFERENCE / "cs231n" / rel).read_bytes()
    layers = (out / "cs231n" / "layers.py").read_text(encoding="utf-8")
    assert layers.count(START_MARKER) == layers.count(END_MARKER) == report.stripped["cs231n/layers.py"] > 10
    assert all(ln.strip() == "pass" for ln in solution_lines(layers))


def test_readme_says_how_to_work(kit):
    out, _ = kit
    readme = (out / "README.md").read_text(encoding="utf-8")
    for needle in ("grader check", "CIFAR10_PATH", "cs231n/layers.py", "cs231n/solver.py", "pip install"):
        assert needle in readme
    assert "START OF YOUR CODE" not in readme  # a README line must never look like a marker


def test_kit_notebooks_have_no_outputs_hidden_cells_or_solutions(kit):
    out, report = kit
    assert [nb.name for nb in report.notebooks][:1] == ["FullyConnectedNets.ipynb"]
    for master_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        master = nbformat.read(master_path, as_version=4)
        text = (out / master_path.name).read_text(encoding="utf-8")
        assert text.endswith("\n")
        kit_nb = nbformat.reads(text, as_version=4)
        nbformat.validate(kit_nb)
        assert set(kit_nb.metadata) <= {"kernelspec", "language_info", "grader"}
        assert kit_nb.metadata["grader"] == {"course": "cs231n", "notebook": master_path.name}  # the kit's mark
        assert kit_nb.metadata["kernelspec"] == master.metadata["kernelspec"]

        kept = [c for c in master.cells if "hidden" not in c.metadata.get("tags", [])]
        assert len(kit_nb.cells) == len(kept) < len(master.cells)
        for m, k in zip(kept, kit_nb.cells):
            assert k.id == m.id and k.cell_type == m.cell_type
            assert k.metadata.get("tags", []) == m.metadata.get("tags", [])
            assert set(k.metadata) <= {"tags", "editable", "deletable"}
            if k.cell_type == "code":
                assert k.outputs == [] and k.execution_count is None
            if "solution" in m.metadata.get("tags", []):
                assert k.source == (CODE_PLACEHOLDER if k.cell_type == "code" else MARKDOWN_PLACEHOLDER)
            elif START_MARKER in m.source:
                assert all(ln.strip() == "pass" for ln in solution_lines(k.source))
                assert solution_lines(m.source) and k.source != m.source
            else:
                assert k.source == m.source
        hidden = [c.source for c in master.cells if "hidden" in c.metadata.get("tags", [])]
        assert hidden and not any(h in text for h in hidden)


# ------------------------------------------------------------------------------------------ leaks


def test_no_solution_line_leaks_into_the_kit(kit):
    out, _ = kit
    assert find_leaks(out, PROFILE, notebooks=NOTEBOOKS) == []
    if COMMITTED.is_dir():
        assert find_leaks(COMMITTED, PROFILE, notebooks=NOTEBOOKS) == []


def _planted_line(text: str) -> str:
    """A distinctive solution line: long, and not also a line of the given code."""
    given = {ln.strip() for ln in text.splitlines()} - {ln.strip() for ln in solution_lines(text)}
    return max((ln.strip() for ln in solution_lines(text) if ln.strip() not in given), key=len)


def test_find_leaks_catches_planted_leaks(kit, tmp_path):
    fresh, _ = kit
    leaky = tmp_path / "leaky"
    shutil.copytree(fresh, leaky)
    code_line = _planted_line((REFERENCE / "cs231n" / "layers.py").read_text(encoding="utf-8"))
    helper = leaky / "cs231n" / "helpers.py"
    helper.write_text(f"def f(x):\n        {code_line}\n", encoding="utf-8")  # other indentation

    master = nbformat.read(NOTEBOOKS / "Dropout.ipynb", as_version=4)
    answer = next(c for c in master.cells if "solution" in c.metadata.get("tags", []))
    answer_line = max(answer.source.splitlines(), key=len)
    nb = nbformat.read(leaky / "Dropout.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[index].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{answer_line}\n")]
    nbformat.write(nb, leaky / "Dropout.ipynb")

    leaks = find_leaks(leaky, PROFILE, notebooks=NOTEBOOKS)
    assert len(leaks) == 2, leaks
    assert leaks[0].startswith(f"Dropout.ipynb [cell {index}]:1:") and "Dropout.ipynb [cell" in leaks[0]
    assert leaks[1].startswith("cs231n/helpers.py:2:") and "layers.py:" in leaks[1]


def test_expectations_writer_output_is_recorded_and_leak_checked(tmp_path):
    def writer(folder: Path) -> None:
        (folder / "public").mkdir()
        (folder / "public" / "cases.json").write_text('{"layers.affine_forward": [1.0, 2.0]}\n', encoding="utf-8")
        (folder / "public" / "arrays.npz").write_bytes(b"PK\x03\x04\x00\x00")

    report = build_template(reference=REFERENCE, notebooks=None, out=tmp_path / "kit", expectations_writer=writer)
    assert report.expectations == ["public/arrays.npz", "public/cases.json"]
    assert "`public`" in (tmp_path / "kit" / "README.md").read_text(encoding="utf-8")

    leaked = _planted_line((REFERENCE / "cs231n" / "optim.py").read_text(encoding="utf-8"))

    def leaky_writer(folder: Path) -> None:
        (folder / "public.txt").write_text(f"{leaked}\n", encoding="utf-8")

    out = tmp_path / "leaky"
    with pytest.raises(LeakError) as err:
        build_template(reference=REFERENCE, notebooks=None, out=out, expectations_writer=leaky_writer)
    assert len(err.value.leaks) == 1 and err.value.leaks[0].startswith("public.txt:1: ")
    assert "(solution line of " in err.value.leaks[0] and "optim.py:" in err.value.leaks[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["kit"]


# ------------------------------------------------------------------------------------------ import


CHILD = """
import json, sys
import numpy as np
import cs231n, cs231n.layers, cs231n.classifiers.fc_net, cs231n.classifiers.cnn, cs231n.optim, cs231n.solver
from cs231n.layers import affine_forward, affine_backward, relu_forward, softmax_loss
from cs231n.optim import adam
x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.ones(4)
out, cache = affine_forward(x, w, b)
print(json.dumps({
    "file": cs231n.__file__,
    "affine_forward": out is None,
    "affine_backward": affine_backward(np.ones((2, 4)), cache) == (None, None, None),
    "relu_forward": relu_forward(x)[0] is None,
    "softmax_loss": softmax_loss(x, np.array([0, 1])) == (None, None),
    "adam": adam(w, w)[0] is None,
}))
"""


def test_kit_package_imports_and_is_unimplemented(kit):
    out, _ = kit
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=out, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(result.pop("file")).resolve().is_relative_to(out.resolve())  # the kit's package, not the reference
    assert result == dict.fromkeys(result, True) and len(result) == 5


# ------------------------------------------------------------------------------------------ markers


BAD_MARKERS = {
    # name: (edit of layers.py's text, problem words); the line is the edited marker's
    "unterminated": (lambda lines, i: lines.pop(_next_end(lines, i)), "never closed"),
    "nested": (lambda lines, i: lines.insert(i + 2, lines[i]), "nested"),
    "end-without-start": (lambda lines, i: lines.pop(i), "without a START"),
}


def _next_end(lines: list[str], start: int) -> int:
    return next(j for j in range(start, len(lines)) if lines[j].strip() == END_MARKER)


def _break_markers(path: Path, kind: str) -> int:
    """Apply one BAD_MARKERS edit to a block of `path`; the 1-based line the error names.

    Unterminated: the last block (an unclosed block followed by another is reported as nesting).
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if ln.strip() == START_MARKER]
    i = starts[-1] if kind == "unterminated" else starts[2]
    BAD_MARKERS[kind][0](lines, i)
    path.write_text("".join(lines), encoding="utf-8")
    if kind == "unterminated":
        return i + 1  # the START that is never closed
    if kind == "nested":
        return i + 3  # the second START
    return _next_end(lines, i) + 1  # the END left alone once its START is gone


@pytest.mark.parametrize("kind", sorted(BAD_MARKERS))
def test_bad_markers_stop_the_build_leaving_nothing(tmp_path, kind):
    ref = _copy_reference(tmp_path / "ref")
    line = _break_markers(ref / "cs231n" / "layers.py", kind)
    out = tmp_path / "kit"
    with pytest.raises(MarkerError) as err:
        build_template(reference=ref, notebooks=NOTEBOOKS, out=out)
    assert err.value.where.endswith("layers.py") and err.value.line == line
    assert BAD_MARKERS[kind][1] in str(err.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref"]  # no temporary folder left behind

    result = CliRunner().invoke(cli, ["build-template", "--reference", str(ref), "--out", str(out)])
    assert result.exit_code == 2
    assert f"layers.py:{line}:" in result.output
    assert not out.exists()


def test_bad_marker_in_a_notebook_names_the_cell_and_keeps_the_old_kit(kit, tmp_path):
    fresh, _ = kit
    out = tmp_path / "kit"
    shutil.copytree(fresh, out)
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS / "FullyConnectedNets.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if END_MARKER in c.source)
    nb.cells[index].source = nb.cells[index].source.replace(END_MARKER, "# TODO: done")
    nbformat.write(nb, notebooks / "FullyConnectedNets.ipynb")
    start_line = nb.cells[index].source.splitlines().index(START_MARKER) + 1
    with pytest.raises(MarkerError) as err:
        build_template(reference=REFERENCE, notebooks=notebooks, out=out)
    assert f"FullyConnectedNets.ipynb [cell {index}]:{start_line}:" in str(err.value)
    assert diff_trees(fresh, out) == []  # the previous kit is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit", "nbs"]


def test_build_refuses_to_replace_a_folder_that_is_not_a_kit(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="not a kit"):
        build_template(reference=REFERENCE, notebooks=None, out=tmp_path)
    assert (tmp_path / "precious.txt").exists()


def test_markers_in_a_given_file_stop_the_build(tmp_path):
    ref = _copy_reference(tmp_path / "ref")
    solver = ref / "cs231n" / "solver.py"
    lines = solver.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3:3] = [START_MARKER + "\n", "x = 1\n", END_MARKER + "\n"]
    solver.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(MarkerError, match="given file") as err:
        build_template(reference=ref, notebooks=None, out=tmp_path / "kit")
    assert err.value.where.endswith("solver.py") and err.value.line == 4
    assert not (tmp_path / "kit").exists()
