"""cs231n.data_utils: CIFAR-10 loading, splitting, and refusal of broken or hostile data."""

from __future__ import annotations

import hashlib
import os
import pickle
import pickletools
import tarfile

import numpy as np
import pytest

from cs231n.data_utils import (
    BATCH_FOLDER,
    CIFAR10_ENV,
    CIFAR10Error,
    CIFAR10NotFoundError,
    get_CIFAR10_data,
    load_CIFAR10,
    load_CIFAR_batch,
)

BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
N_FAKE = 12  # images per fake batch: 60 train, 12 test


# ---------------------------------------------------------------------------------------
# Small fake data sets in the official format (pickle protocol 2, latin1 str keys)
# ---------------------------------------------------------------------------------------


def _fake_batch(seed, n=N_FAKE):
    rng = np.random.default_rng(seed)
    return {
        "batch_label": f"fake batch {seed}",
        "labels": [int(v) for v in rng.integers(0, 10, size=n)],
        "data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),  # (n, 3072)
    }


def _dump(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


@pytest.fixture
def fake_root(tmp_path):
    """tmp_path/cifar-10-batches-py with six small valid batches; returns the batch folder."""
    folder = tmp_path / BATCH_FOLDER
    folder.mkdir()
    for seed, name in enumerate(BATCHES):
        _dump(_fake_batch(seed), folder / name)
    return folder


def _make_tar(folder, path):
    with tarfile.open(path, "w:gz") as tf:
        tf.add(folder, arcname=BATCH_FOLDER)
    return path


class _RunsShell:
    """Unpickling this would call os.system(command)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


# ---------------------------------------------------------------------------------------
# Fake data: layout, splits, locations
# ---------------------------------------------------------------------------------------


def test_load_batch_layout_and_values(fake_root):
    X, y = load_CIFAR_batch(fake_root / "data_batch_1")
    raw = _fake_batch(0)
    assert X.shape == (N_FAKE, 32, 32, 3) and X.dtype == np.float64
    assert y.shape == (N_FAKE,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, raw["labels"])
    # Rows are stored channel-major (R plane, G plane, B plane): pixel (row 2, col 5).
    img = raw["data"][3]
    np.testing.assert_array_equal(X[3, 2, 5], [img[2 * 32 + 5], img[1024 + 2 * 32 + 5], img[2048 + 2 * 32 + 5]])


def test_load_cifar10_concatenates_batches_in_order(fake_root):
    Xtr, ytr, Xte, yte = load_CIFAR10(fake_root)
    assert Xtr.shape == (5 * N_FAKE, 32, 32, 3) and Xte.shape == (N_FAKE, 32, 32, 3)
    for i in range(5):
        Xb, yb = load_CIFAR_batch(fake_root / f"data_batch_{i + 1}")
        np.testing.assert_array_equal(Xtr[i * N_FAKE:(i + 1) * N_FAKE], Xb)
        np.testing.assert_array_equal(ytr[i * N_FAKE:(i + 1) * N_FAKE], yb)
    np.testing.assert_array_equal(yte, _fake_batch(5)["labels"])


def test_all_locations_give_the_same_data(fake_root, tmp_path, monkeypatch):
    archive = _make_tar(fake_root, tmp_path / "cifar-10-python.tar.gz")
    expected = load_CIFAR10(fake_root, dtype=np.uint8)
    other_parent = tmp_path / "only_archive"
    other_parent.mkdir()
    os.replace(archive, other_parent / archive.name)
    monkeypatch.setenv(CIFAR10_ENV, str(fake_root))
    for root in (tmp_path, other_parent / archive.name, other_parent, None):
        got = load_CIFAR10(root, dtype=np.uint8)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b, strict=True)


def test_get_data_splits_and_mean(fake_root):
    Xtr, ytr, Xte, yte = load_CIFAR10(fake_root)
    d = get_CIFAR10_data(num_training=40, num_validation=15, num_test=7, cifar10_dir=fake_root)
    shapes = {k: v.shape for k, v in d.items()}
    assert shapes == {"X_train": (40, 3, 32, 32), "y_train": (40,), "X_val": (15, 3, 32, 32),
                      "y_val": (15,), "X_test": (7, 3, 32, 32), "y_test": (7,)}
    mean = Xtr[:40].mean(axis=0).transpose(2, 0, 1)  # (3, 32, 32)
    np.testing.assert_allclose(d["X_train"], Xtr[:40].transpose(0, 3, 1, 2) - mean, atol=1e-12)
    np.testing.assert_allclose(d["X_val"], Xtr[40:55].transpose(0, 3, 1, 2) - mean, atol=1e-12)
    np.testing.assert_allclose(d["X_test"], Xte[:7].transpose(0, 3, 1, 2) - mean, atol=1e-12)
    np.testing.assert_array_equal(d["y_val"], ytr[40:55])
    np.testing.assert_array_equal(d["y_test"], yte[:7])
    assert d["X_train"].dtype == np.float64 and d["X_train"].flags.c_contiguous


def test_get_data_without_mean_and_float32(fake_root):
    d = get_CIFAR10_data(num_training=50, num_validation=10, num_test=12, subtract_mean=False,
                         cifar10_dir=fake_root, dtype=np.float32)
    Xtr, _, _, _ = load_CIFAR10(fake_root, dtype=np.uint8)
    assert d["X_train"].dtype == np.float32
    np.testing.assert_array_equal(d["X_val"], Xtr[50:60].transpose(0, 3, 1, 2))


def test_get_data_too_many_images_is_an_error(fake_root):
    with pytest.raises(ValueError, match="60"):
        get_CIFAR10_data(num_training=55, num_validation=10, cifar10_dir=fake_root)


def test_md5_is_checked_when_given(fake_root, tmp_path):
    archive = _make_tar(fake_root, tmp_path / "c.tar.gz")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    assert load_CIFAR10(archive, expected_md5=md5)[0].shape[0] == 5 * N_FAKE
    with pytest.raises(CIFAR10Error, match=r"c\.tar\.gz.*md5"):
        load_CIFAR10(archive, expected_md5="0" * 32)
    with pytest.raises(CIFAR10Error, match="archive"):
        load_CIFAR10(fake_root, expected_md5=md5)


# ---------------------------------------------------------------------------------------
# Broken inputs: each raises CIFAR10Error naming the file
# ---------------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(CIFAR10NotFoundError, match="nowhere") as info:
        load_CIFAR10(missing)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)


def test_folder_without_cifar(tmp_path):
    with pytest.raises(CIFAR10NotFoundError, match="no CIFAR-10 here"):
        load_CIFAR10(tmp_path)


def test_no_location_and_no_env(monkeypatch):
    monkeypatch.delenv(CIFAR10_ENV, raising=False)
    with pytest.raises(CIFAR10NotFoundError, match=CIFAR10_ENV):
        load_CIFAR10()


def test_missing_batch_file(fake_root):
    (fake_root / "data_batch_3").unlink()
    with pytest.raises(CIFAR10NotFoundError, match="data_batch_3"):
        load_CIFAR10(fake_root)


def test_missing_member_in_archive(fake_root, tmp_path):
    (fake_root / "test_batch").unlink()
    archive = _make_tar(fake_root, tmp_path / "partial.tar.gz")
    with pytest.raises(CIFAR10NotFoundError, match=r"partial\.tar\.gz.*test_batch"):
        load_CIFAR10(archive)


def test_truncated_tarball(fake_root, tmp_path):
    archive = _make_tar(fake_root, tmp_path / "cut.tar.gz")
    raw = archive.read_bytes()
    archive.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CIFAR10Error, match=r"cut\.tar\.gz.*truncated or corrupt"):
        load_CIFAR10(archive)


def test_file_that_is_not_an_archive(tmp_path):
    bogus = tmp_path / "cifar.tar.gz"
    bogus.write_bytes(b"this is not a tar archive" * 100)
    with pytest.raises(CIFAR10Error, match=r"cifar\.tar\.gz"):
        load_CIFAR10(bogus)


def test_truncated_batch_pickle(fake_root):
    path = fake_root / "data_batch_2"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(CIFAR10Error, match="data_batch_2.*truncated or corrupt"):
        load_CIFAR10(fake_root)
    with pytest.raises(CIFAR10Error, match="data_batch_2"):
        load_CIFAR_batch(path)


def test_garbage_batch_file(fake_root):
    (fake_root / "data_batch_4").write_bytes(b"\x00\x01 not a pickle at all")
    with pytest.raises(CIFAR10Error, match="data_batch_4"):
        load_CIFAR10(fake_root)


def test_pickle_that_is_not_a_dict(fake_root):
    _dump([1, 2, 3], fake_root / "data_batch_5")
    with pytest.raises(CIFAR10Error, match="data_batch_5.*must be a dict.*list"):
        load_CIFAR10(fake_root)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda b: b.update(data=b["data"][:, :3000]), r"shape \(N, 3072\).*\(12, 3000\)"),
        (lambda b: b.update(data=b["data"][:-1]), "12 labels for 11 images"),
        (lambda b: b.update(data=b["data"].astype(np.float32)), "uint8"),
        (lambda b: b.update(labels=b["labels"][:-1] + [10]), r"labels must lie in 0\.\.9"),
        (lambda b: b.update(labels=[str(v) for v in b["labels"]]), "integers"),
        (lambda b: b.pop("labels"), "no 'labels' entry"),
    ],
    ids=["row-length", "row-count", "dtype", "label-range", "label-type", "no-labels"],
)
def test_malformed_batch(fake_root, change, message):
    batch = _fake_batch(0)
    change(batch)
    _dump(batch, fake_root / "data_batch_1")
    with pytest.raises(CIFAR10Error, match="data_batch_1.*" + message):
        load_CIFAR10(fake_root)


def _malicious_batch(marker):
    batch = _fake_batch(0)
    batch["batch_label"] = _RunsShell(f"touch {marker}")
    return batch


def test_malicious_pickle_is_refused_without_running(fake_root, tmp_path):
    marker = tmp_path / "pwned"
    path = fake_root / "test_batch"
    _dump(_malicious_batch(marker), path)
    # The file really does ask for os.system (posix.system / nt.system) ...
    globals_named = {arg for op, arg, _ in pickletools.genops(path.read_bytes()) if op.name == "GLOBAL"}
    assert any(g.endswith(" system") for g in globals_named), globals_named
    # ... and loading it refuses that global before anything runs.
    with pytest.raises(CIFAR10Error, match=r"test_batch.*refused to load global \w+\.system"):
        load_CIFAR10(fake_root)
    with pytest.raises(CIFAR10Error, match="refused"):
        load_CIFAR_batch(path)
    assert not marker.exists()


def test_malicious_pickle_inside_archive(fake_root, tmp_path):
    marker = tmp_path / "pwned"
    _dump(_malicious_batch(marker), fake_root / "data_batch_2")
    archive = _make_tar(fake_root, tmp_path / "evil.tar.gz")
    with pytest.raises(CIFAR10Error, match=r"evil\.tar\.gz:cifar-10-batches-py/data_batch_2.*refused"):
        load_CIFAR10(archive)
    assert not marker.exists()


def test_builtins_eval_is_refused(fake_root):
    # Hand-written protocol-0 pickle: builtins.eval("1+1").
    (fake_root / "data_batch_1").write_bytes(b"cbuiltins\neval\n(V1+1\ntR.")
    with pytest.raises(CIFAR10Error, match=r"data_batch_1.*builtins\.eval"):
        load_CIFAR10(fake_root)


def test_codecs_encode_only_latin1(fake_root):
    # _codecs.encode is allowed only as Python 3's protocol-2 spelling of bytes.
    (fake_root / "data_batch_1").write_bytes(b"c_codecs\nencode\n(Vabc\nVrot13\ntR.")
    with pytest.raises(CIFAR10Error, match=r"data_batch_1.*refused _codecs\.encode\(str, 'rot13'\)"):
        load_CIFAR10(fake_root)


def test_batches_resaved_by_numpy2_protocol5_load(fake_root):
    batch = _fake_batch(3)
    batch["labels"] = np.asarray(batch["labels"])  # an array instead of a list
    with open(fake_root / "data_batch_1", "wb") as f:
        pickle.dump(batch, f, protocol=5)
    X, y = load_CIFAR_batch(fake_root / "data_batch_1", dtype=np.uint8)
    np.testing.assert_array_equal(X.transpose(0, 3, 1, 2).reshape(N_FAKE, -1), batch["data"])
    np.testing.assert_array_equal(y, batch["labels"])


# ---------------------------------------------------------------------------------------
# The real CIFAR-10 (loaded once per module)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cifar(cifar10_path):
    return load_CIFAR10(cifar10_path)


@pytest.mark.cifar
def test_real_shapes_and_dtypes(cifar):
    Xtr, ytr, Xte, yte = cifar
    assert Xtr.shape == (50000, 32, 32, 3) and Xtr.dtype == np.float64
    assert Xte.shape == (10000, 32, 32, 3) and Xte.dtype == np.float64
    assert ytr.shape == (50000,) and yte.shape == (10000,)
    assert Xtr.min() == 0 and Xtr.max() == 255


@pytest.mark.cifar
def test_real_class_counts(cifar):
    _, ytr, _, yte = cifar
    np.testing.assert_array_equal(np.bincount(ytr, minlength=10), [5000] * 10)
    np.testing.assert_array_equal(np.bincount(yte, minlength=10), [1000] * 10)


@pytest.mark.cifar
def test_real_channel_means(cifar):
    Xtr = cifar[0]
    np.testing.assert_allclose(Xtr.mean(axis=(0, 1, 2)), [125.3, 123.0, 113.9], atol=0.1)


@pytest.mark.cifar
def test_real_get_data(cifar, cifar10_path):
    Xtr, ytr, Xte, yte = cifar
    d = get_CIFAR10_data(cifar10_dir=cifar10_path)
    assert d["X_train"].shape == (49000, 3, 32, 32) and d["X_train"].dtype == np.float64
    assert d["X_val"].shape == (1000, 3, 32, 32) and d["X_test"].shape == (1000, 3, 32, 32)
    assert d["y_train"].shape == (49000,) and d["y_val"].shape == d["y_test"].shape == (1000,)
    # The training split's own mean image was subtracted: its mean is ~0 everywhere.
    assert np.abs(d["X_train"].mean(axis=0)).max() < 1e-9
    mean = Xtr[:49000].mean(axis=0).transpose(2, 0, 1)  # (3, 32, 32)
    np.testing.assert_allclose(d["X_val"], Xtr[49000:].transpose(0, 3, 1, 2) - mean, atol=1e-9)
    np.testing.assert_allclose(d["X_test"], Xte[:1000].transpose(0, 3, 1, 2) - mean, atol=1e-9)
    np.testing.assert_array_equal(d["y_val"], ytr[49000:])
    np.testing.assert_array_equal(d["y_test"], yte[:1000])


@pytest.mark.cifar
@pytest.mark.slow  # extracts 180 MB and loads it twice
def test_real_archive_and_extracted_folder_agree(cifar, cifar10_path, tmp_path):
    if not cifar10_path.is_file():
        pytest.skip("CIFAR-10 is given as a folder, not the archive")
    with tarfile.open(cifar10_path) as tf:
        # The "data" filter exists from Python 3.10.12 / 3.11.4 on.
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tf.extractall(tmp_path, **kwargs)
    for root in (tmp_path, tmp_path / BATCH_FOLDER):
        got = load_CIFAR10(root, dtype=np.uint8)
        for a, b in zip(got, cifar):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)
