"""CIFAR-10 as the family's notebooks use it, and how the grader keeps its test images unseen.

The sandboxed notebooks get a folder laid out like cifar-10-batches-py: the real training
batches, batches.meta, and as test_batch a stand-in (a copy of data_batch_5), so they run
unchanged while the real test images stay out of their sight. The grader scores on those:

    test_batch images 0..4999     -> "validation"
    test_batch images 5000..9999  -> "test"

both unseen by the notebook (its own validation images, training images 49000..49999, are in
the batches it trains from). Images are prepared as get_CIFAR10_data prepares them: channels
first, minus the mean image of the first `mean_images` training images.

The batches are read with the course reference's own loader (`loader`, a module of the
reference holding load_CIFAR10 and the archive reader), which refuses any pickle content but
numpy arrays: the data is the instructor's, still never trusted further than that.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import SetupError
from ...paths import PROJECT_ROOT
from ..profile import Dataset

ENV = "CIFAR10_PATH"
BATCH_FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
DECOY_SOURCE = "data_batch_5"  # the stand-in test_batch the notebooks see
STAGED = f"_data/{BATCH_FOLDER}"  # in the working copy: what the notebooks read


class DataError(SetupError):
    """CIFAR-10 given but unusable (a set-up problem, not the student's)."""


@dataclass(frozen=True)
class CifarSource:
    """Where the real CIFAR-10 is: an archive ("tar") or the batch folder ("dir")."""

    kind: str
    location: Path

    @property
    def folder(self) -> Path:
        """The folder holding it (what a sandbox that hides by path hides)."""
        return self.location.parent if self.kind == "tar" else self.location


def locate(path: Path | str) -> CifarSource:
    """The CIFAR-10 at `path` (the .tar.gz archive, the batch folder, or a folder holding either).

    Raises DataError with what to fix."""
    path = Path(path).expanduser().resolve()
    if path.is_file():
        kind, location = "tar", path
    elif path.is_dir():
        if (path / TEST_BATCH).is_file() or (path / TRAIN_BATCHES[0]).is_file():
            kind, location = "dir", path
        elif (path / BATCH_FOLDER).is_dir():
            kind, location = "dir", path / BATCH_FOLDER
        elif (path / ARCHIVE).is_file():
            kind, location = "tar", path / ARCHIVE
        else:
            raise DataError(f"{path}: no CIFAR-10 there (expected the {ARCHIVE} archive, "
                            f"or data_batch_1..5 and test_batch, or a {BATCH_FOLDER}/ folder)")
    else:
        raise DataError(f"{path}: CIFAR-10 not found (no such file or folder)")
    return CifarSource(kind, location)


def default_location() -> Path | None:
    """$CIFAR10_PATH, else ../shared/cifar10 beside the checkout; None if absent."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    candidate = PROJECT_ROOT.parent / "shared" / "cifar10" / ARCHIVE
    return candidate if candidate.exists() else None


def _loader(profile, module: str):
    from ...reference import load_reference

    return load_reference(profile).module(module)


def read_batches(profile, module: str, src: CifarSource, names) -> dict[str, bytes]:
    """The raw bytes of the named batch files (nothing is unpickled here)."""
    wanted, found = set(names), {}
    if src.kind == "dir":
        for name in wanted:
            if (src.location / name).is_file():
                found[name] = (src.location / name).read_bytes()
        return found
    try:
        return _loader(profile, module)._read_batches_from_tar(str(src.location), wanted)
    except ValueError as exc:  # the loader's CIFAR10Error
        raise DataError(f"{src.location}: unreadable CIFAR-10 archive ({exc})") from exc


_STAGED: dict[tuple, Path] = {}


def _cleanup() -> None:
    for folder in _STAGED.values():
        shutil.rmtree(folder.parent, ignore_errors=True)
    _STAGED.clear()


atexit.register(_cleanup)


def staged_folder(profile, module: str, src: CifarSource) -> Path:
    """The notebooks' folder (training batches, batches.meta, the stand-in test_batch), built
    once per process and data set, then reused (the caller links or copies it)."""
    st = src.location.stat()
    key = (str(src.location), st.st_size, st.st_mtime_ns)
    if key in _STAGED and _STAGED[key].is_dir():
        return _STAGED[key]
    batches = read_batches(profile, module, src, TRAIN_BATCHES + (META,))
    missing = [n for n in TRAIN_BATCHES if n not in batches]
    if missing:
        raise DataError(f"{src.location}: no {', '.join(missing)} in this CIFAR-10")
    folder = Path(tempfile.mkdtemp(prefix="grader-cifar-")) / BATCH_FOLDER
    folder.mkdir()
    for name, data in batches.items():
        (folder / name).write_bytes(data)
    (folder / TEST_BATCH).write_bytes(batches[DECOY_SOURCE])
    for p in folder.iterdir():
        os.chmod(p, 0o644)
    os.chmod(folder, 0o755)
    os.chmod(folder.parent, 0o755)
    _STAGED[key] = folder
    return folder


@dataclass(frozen=True)
class Holdout:
    """The real test batch, split in two halves, prepared as get_CIFAR10_data does (float32)."""

    X: dict  # split -> (n, 3, 32, 32) float32, mean-subtracted
    y: dict  # split -> (n,) int64
    ranges: dict  # split -> (first, last) image index in the test batch
    mean_images: int

    def describe(self, split: str) -> str:
        first, last = self.ranges[split]
        return f"CIFAR-10 test_batch images {first}..{last}, never shown to the notebook"


_HOLDOUT: dict[tuple, Holdout] = {}


def holdout(profile, module: str, src: CifarSource, mean_images: int = 49000) -> Holdout:
    """The held-out halves (cached per process and data set). Raises DataError."""
    st = src.location.stat()
    key = (str(src.location), st.st_size, st.st_mtime_ns, mean_images)
    if key in _HOLDOUT:
        return _HOLDOUT[key]
    try:
        Xtr, _, Xte, yte = _loader(profile, module).load_CIFAR10(str(src.location), dtype=np.uint8)
    except (ValueError, OSError) as exc:  # CIFAR10Error is a ValueError
        raise DataError(f"CIFAR-10 at {src.location} could not be read: {exc}") from exc
    if Xte.shape[0] < 2:
        raise DataError(f"{src.location}: the test batch holds {Xte.shape[0]} images")
    used = min(mean_images, Xtr.shape[0])
    mean = np.mean(Xtr[:used].transpose(0, 3, 1, 2), axis=0, dtype=np.float64)  # (3, 32, 32)
    X = (Xte.transpose(0, 3, 1, 2).astype(np.float64) - mean).astype(np.float32)  # (N, 3, 32, 32)
    half = Xte.shape[0] // 2
    h = Holdout(
        X={"validation": X[:half], "test": X[half:]},
        y={"validation": yte[:half].copy(), "test": yte[half:].copy()},
        ranges={"validation": (0, half - 1), "test": (half, Xte.shape[0] - 1)},
        mean_images=used,
    )
    _HOLDOUT[key] = h
    return h


def dataset(loader: str, mean_images: int = 49000, links: tuple[str, ...] = ()) -> Dataset:
    """CIFAR-10 for a course whose reference reads it with the module `loader` (e.g.
    "cs231n.data_utils"); the notebooks subtract the mean of the first `mean_images` images.
    links: where else in a notebook's folder the staged batches appear (see Dataset)."""
    return Dataset(
        links=tuple(links),
        name="CIFAR-10",
        env=ENV,
        folder=STAGED,
        locate=locate,
        stage=lambda profile, src: staged_folder(profile, loader, src),
        holdout=lambda profile, src: holdout(profile, loader, src, mean_images),
        default=default_location,
    )
